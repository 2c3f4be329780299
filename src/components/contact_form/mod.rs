//! "Tell us about your project": the contact form.
//!
//! It never loses what the visitor typed: every keystroke is saved as a draft
//! in localStorage (restored after a reload or a crash, `draft.rs`), a failed
//! send keeps the form filled and offers a retry with the same
//! Idempotency-Key (so a retry after a lost answer cannot store the request
//! twice), and success is shown only after the server answered 201
//! (`post.rs`). The validation rules are the model crate's, the same ones the
//! server enforces. This file is the component: its state, and the markup.

mod draft;
mod post;
mod proof;

use keel_model::contact::{Budget, ContactRequest, Field, FieldError, check_field, validate};
use yew::prelude::*;

use crate::api::FetchError;
use draft::Draft;
use post::{PostError, post};

/// Before the app adopts the page: what was typed into the prerendered form
/// (`name=value` pairs) becomes the draft the form restores.
pub fn adopt_typed(pairs: Vec<(String, String)>) {
    Draft::adopt(pairs);
}

/// The message beside each field, by `Field as usize` (the order of `Field::ALL`).
type Errors = [Option<String>; Field::ALL.len()];

fn errors_of(fields: impl IntoIterator<Item = FieldError>) -> Errors {
    let mut e = Errors::default();
    for f in fields {
        e[f.field as usize] = Some(f.message);
    }
    e
}

/// `errors` with `field` checked again against `form`.
fn rechecked(errors: &Errors, form: &ContactRequest, field: Field) -> Errors {
    let mut e = errors.clone();
    e[field as usize] = check_field(form, field);
    e
}

/// An edit of the form: the field it belongs to (re-checked if it shows an
/// error; none for the honeypot, which is no field of the visitor's), and
/// the change.
type Edit = (Option<Field>, Box<dyn Fn(&mut ContactRequest)>);

/// A one-line text field.
struct TextField {
    field: Field,
    label: &'static str,
    kind: &'static str,
    autocomplete: &'static str,
    hint: Option<&'static str>,
    max: usize,
}

const TEXT_FIELDS: [TextField; 3] = [
    TextField {
        field: Field::Name,
        label: "Your name",
        kind: "text",
        autocomplete: "name",
        hint: None,
        max: keel_model::contact::NAME_MAX,
    },
    TextField {
        field: Field::Email,
        label: "Email",
        kind: "email",
        autocomplete: "email",
        hint: Some("We only use it to reply to you."),
        max: keel_model::contact::EMAIL_MAX,
    },
    TextField {
        field: Field::Company,
        label: "Company (optional)",
        kind: "text",
        autocomplete: "organization",
        hint: None,
        max: keel_model::contact::COMPANY_MAX,
    },
];

#[derive(Clone, Debug, PartialEq)]
enum SendState {
    Editing,
    Sending,
    Failed(FetchError),
    Sent(String),
}

#[derive(Properties, PartialEq)]
pub struct ContactFormProps {
    /// Where to write if the form cannot be sent at all.
    pub email: AttrValue,
    /// In an embed inside our iframe: the partner's origin, sent with the
    /// request (`Keel-Embed-Origin`, or the `embed_origin` field of a post
    /// made without the app) so the request is recorded as theirs.
    #[prop_or_default]
    pub partner: Option<AttrValue>,
    /// Whether the form is in our iframe on a partner's page (it then
    /// carries the `embed_origin` field, which `embed/frame.js` fills).
    #[prop_or_default]
    pub in_frame: bool,
    /// In an embed: what the partner's page filled in for the visitor
    /// (`embed::Prefill`), shown in each field the visitor's own draft
    /// leaves empty.
    #[prop_or_default]
    pub prefill: ContactRequest,
    /// In an embed: the source the partner's page named, sent with the request.
    #[prop_or_default]
    pub source: Option<AttrValue>,
}

#[component]
pub fn ContactForm(props: &ContactFormProps) -> Html {
    let cache = crate::env::use_env().cache;
    // The saved draft from the first render on, in the browser: hydration
    // writes each field's value from this state, so it must already hold what
    // the visitor typed into the prerendered form (`adopt.rs` saved it), or
    // the fields would be emptied while they are being typed into. The server
    // renders the empty form.
    let saved = use_memo((), |_| Draft::load().unwrap_or_default());
    let draft = {
        let (prefill, saved) = (props.prefill.clone(), saved.clone());
        use_state(move || {
            let mut draft = (*saved).clone();
            draft.form.fill_empty_from(prefill);
            draft
        })
    };
    let errors = use_state(Errors::default);
    let send = use_state(|| SendState::Editing);
    let restored = use_state(|| false);
    let field_refs = use_memo((), |_| Field::ALL.map(|_| NodeRef::default()));
    let proof = use_memo((), |_| proof::Proof::default());
    let challenge_url = format!("{}{}", cache.base, keel_model::paths::contact_challenge());

    // Say once that a draft from an earlier visit was restored (what a
    // partner's page filled in is no draft).
    {
        let restored = restored.clone();
        let first = saved.form.clone();
        use_effect_with((), move |_| {
            if first != ContactRequest::default() && Draft::was_saved_before() {
                restored.set(true);
            }
        });
    }

    let update = {
        let draft = draft.clone();
        let errors = errors.clone();
        let (proof, url) = (proof.clone(), challenge_url.clone());
        Callback::from(move |(field, edit): Edit| {
            // The visitor started: the proof of work is solved meanwhile.
            proof.start(url.clone());
            let mut next = (*draft).clone();
            edit(&mut next.form);
            next.save();
            // An error already shown is re-checked as the visitor fixes it.
            if let Some(field) = field.filter(|f| errors[*f as usize].is_some()) {
                errors.set(rechecked(&errors, &next.form, field));
            }
            draft.set(next);
        })
    };
    // Leaving a field checks it.
    let blur = {
        let draft = draft.clone();
        let errors = errors.clone();
        Callback::from(move |field: Field| errors.set(rechecked(&errors, &draft.form, field)))
    };

    let submit = {
        let draft = draft.clone();
        let errors = errors.clone();
        let send = send.clone();
        let refs = field_refs.clone();
        let base = cache.base.clone();
        let partner = props.partner.clone();
        let source = props.source.clone();
        let (proof, challenge_url) = (proof.clone(), challenge_url.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if *send == SendState::Sending {
                return; // The button is disabled too; this covers Enter presses.
            }
            let problems = validate(&draft.form);
            if !problems.is_empty() {
                focus_first(&refs[..], &problems);
                errors.set(errors_of(problems));
                return;
            }
            errors.set(Errors::default());
            let mut next = (*draft).clone();
            // The source is this widget's, whatever form the draft was typed in.
            next.form.source = source.as_deref().map(str::to_string);
            let (body, key) = next.attempt();
            next.save();
            draft.set(next);
            send.set(SendState::Sending);
            let send = send.clone();
            let errors = errors.clone();
            let refs = refs.clone();
            let draft = draft.clone();
            let url = format!("{base}{}", keel_model::paths::contact());
            let partner = partner.clone();
            let (proof, challenge_url) = (proof.clone(), challenge_url.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let solved = proof.take(challenge_url).await;
                match post(&url, body, &key, partner.as_deref(), solved.as_deref()).await {
                    Ok(id) => {
                        // Stored: a partner's page may now be told (embeds).
                        if let Some(el) = refs[0].cast::<web_sys::Element>() {
                            crate::dom::tell_embed(&el, "keel-submitted", &id);
                        }
                        Draft::clear();
                        draft.set(Draft::default());
                        send.set(SendState::Sent(id));
                    }
                    Err(PostError::Invalid(fields)) => {
                        focus_first(&refs[..], &fields);
                        errors.set(errors_of(fields));
                        send.set(SendState::Editing);
                    }
                    Err(PostError::Fetch(e)) => send.set(SendState::Failed(e)),
                }
            });
        })
    };

    // Stored: focus moves to the message, which a screen reader then reads
    // (the button pressed is gone), here and inside a partner's widget.
    let done = use_node_ref();
    {
        let done = done.clone();
        let sent = matches!(*send, SendState::Sent(_));
        use_effect_with(sent, move |sent| {
            if *sent && let Some(el) = done.cast::<web_sys::HtmlElement>() {
                let _ = el.focus();
            }
        });
    }

    if let SendState::Sent(id) = &*send {
        let again = {
            let send = send.clone();
            Callback::from(move |_: MouseEvent| send.set(SendState::Editing))
        };
        return html! {
            <div class="status success contact-done" role="status" tabindex="-1" ref={done}>
                <h2>{ "Thank you, your message has arrived." }</h2>
                <p>{ "We read every message and will reply by email, usually within two working days." }</p>
                <p class="meta">{ format!("Reference: {id}") }</p>
                <button type="button" class="button secondary" onclick={again}>{ "Send another message" }</button>
            </div>
        };
    }

    let sending = *send == SendState::Sending;
    let form = &draft.form;
    let err = |f: Field| errors[f as usize].clone();
    let described = |f: Field, hint: bool| {
        let mut ids = Vec::new();
        if hint {
            ids.push(format!("{}-hint", f.as_str()));
        }
        if errors[f as usize].is_some() {
            ids.push(format!("{}-error", f.as_str()));
        }
        (!ids.is_empty()).then(|| ids.join(" "))
    };
    // The slot is always rendered (so nothing moves when an error appears);
    // fields point at it with aria-describedby only while it has an error.
    let error_text = |f: Field| {
        let id = format!("{}-error", f.as_str());
        match err(f) {
            Some(m) => html! { <p class="error-text" {id}>{ format!("Error: {m}") }</p> },
            None => html! { <p class="error-text" {id}></p> },
        }
    };
    let text_input = |t: &TextField| {
        let (f, hint) = (t.field, t.hint);
        let value = text_of(form, f);
        let oninput = {
            let update = update.clone();
            Callback::from(move |e: InputEvent| {
                let v = input_value(&e);
                update.emit((
                    Some(f),
                    Box::new(move |r: &mut ContactRequest| set_text(r, f, v.clone())),
                ));
            })
        };
        let onblur = blur.reform(move |_: FocusEvent| f);
        html! {
            <div class="field">
                <label for={f.as_str()}>{ t.label }</label>
                <input id={f.as_str()} name={f.as_str()} type={t.kind} {value} {oninput} {onblur} autocomplete={t.autocomplete} maxlength={t.max.to_string()}
                       ref={field_refs[f as usize].clone()} required={f != Field::Company}
                       aria-invalid={errors[f as usize].is_some().then_some("true")}
                       aria-describedby={described(f, hint.is_some())} />
                if let Some(h) = hint { <p class="hint" id={format!("{}-hint", f.as_str())}>{ h }</p> }
                { error_text(f) }
            </div>
        }
    };
    let on_message = {
        let update = update.clone();
        Callback::from(move |e: InputEvent| {
            let v = input_value(&e);
            update.emit((
                Some(Field::Message),
                Box::new(move |r: &mut ContactRequest| r.message = v.clone()),
            ));
        })
    };
    let on_consent = {
        let update = update.clone();
        Callback::from(move |e: Event| {
            let checked = e
                .target_dyn_into::<web_sys::HtmlInputElement>()
                .map(|i| i.checked())
                .unwrap_or(false);
            update.emit((
                Some(Field::Consent),
                Box::new(move |r: &mut ContactRequest| r.consent = checked),
            ));
        })
    };
    let on_honeypot = {
        let update = update.clone();
        Callback::from(move |e: InputEvent| {
            let v = input_value(&e);
            update.emit((
                None,
                Box::new(move |r: &mut ContactRequest| {
                    r.website = Some(v.clone()).filter(|s| !s.is_empty())
                }),
            ));
        })
    };
    let budget_choice = |b: Option<Budget>, label: &'static str| {
        let onchange = {
            let update = update.clone();
            Callback::from(move |_: Event| {
                update.emit((
                    Some(Field::Budget),
                    Box::new(move |r: &mut ContactRequest| r.budget = b),
                ))
            })
        };
        let id = format!("budget-{}", b.map(Budget::as_str).unwrap_or("none"));
        html! {
            <label class="choice" for={id.clone()}>
                <input type="radio" {id} name="budget" value={b.map(Budget::as_str).unwrap_or("")} checked={form.budget == b} {onchange} />
                { label }
            </label>
        }
    };
    let message_len = form.message.trim().chars().count();

    html! {
        // method and action make the prerendered form work without JavaScript
        // too (the server answers a plain form post with a page of its own).
        <form class="contact-form" novalidate=true onsubmit={submit} aria-describedby="form-note"
              method="post" action={format!("{}{}", cache.base, keel_model::paths::contact())}>
            if props.in_frame {
                <input type="hidden" name="embed_origin" value={props.partner.clone().unwrap_or_default()} />
                <input type="hidden" name="source" value={props.source.clone().unwrap_or_default()} />
            }
            if *restored {
                <p class="status" role="status">{ "We restored the message you were writing." }</p>
            }
            { for TEXT_FIELDS.iter().map(text_input) }
            <fieldset class="field">
                <legend>{ "Budget (optional)" }</legend>
                <div class="choices">
                    { for Budget::ALL.iter().map(|b| budget_choice(Some(*b), b.label())) }
                </div>
            </fieldset>
            <div class="field">
                <label for="message">{ "About your project" }</label>
                <textarea id="message" name="message" value={form.message.clone()} oninput={on_message}
                          onblur={blur.reform(|_: FocusEvent| Field::Message)} ref={field_refs[Field::Message as usize].clone()} required=true
                          aria-invalid={errors[Field::Message as usize].is_some().then_some("true")}
                          aria-describedby={described(Field::Message, true)} rows="8" />
                <p class="hint" id="message-hint">
                    { format!("What are you building, and where could a backend engineer help? {message_len} of {} characters.", keel_model::contact::MESSAGE_MAX) }
                </p>
                { error_text(Field::Message) }
            </div>
            <div class="honeypot" aria-hidden="true">
                <label for="website">{ "Leave this field empty" }</label>
                <input id="website" name="website" type="text" tabindex="-1" autocomplete="off"
                       value={form.website.clone().unwrap_or_default()} oninput={on_honeypot} />
            </div>
            <div class="field">
                <label class="check" for="consent">
                    <input id="consent" name="consent" type="checkbox" checked={form.consent} onchange={on_consent}
                           ref={field_refs[Field::Consent as usize].clone()}
                           aria-invalid={errors[Field::Consent as usize].is_some().then_some("true")}
                           aria-describedby={described(Field::Consent, false)} />
                    <span>{ "You may contact me about my project. We use your details for nothing else." }</span>
                </label>
                { error_text(Field::Consent) }
            </div>
            if let SendState::Failed(e) = &*send {
                <div class="status error" role="alert">
                    <p><strong>{ "Your message was not sent. " }</strong>{ e.to_string() }</p>
                    <p>{ "Everything you typed is still here. Press “Send message” to try again; we will not receive it twice." }</p>
                </div>
            }
            <button type="submit" class="button" disabled={sending} aria-disabled={sending.then_some("true")}>
                { if sending { "Sending…" } else { "Send message" } }
            </button>
            <p class="hint" id="form-note">
                { "Prefer email? Write to " }<a href={format!("mailto:{}", props.email)}>{ props.email.clone() }</a>{ "." }
            </p>
        </form>
    }
}

/// A text field's value in the form.
fn text_of(r: &ContactRequest, f: Field) -> String {
    match f {
        Field::Name => r.name.clone(),
        Field::Email => r.email.clone(),
        Field::Company => r.company.clone().unwrap_or_default(),
        Field::Message => r.message.clone(),
        Field::Budget | Field::Consent | Field::Source => String::new(),
    }
}

fn set_text(r: &mut ContactRequest, f: Field, v: String) {
    match f {
        Field::Name => r.name = v,
        Field::Email => r.email = v,
        // As typed: a blank company is none when it is read (`given_company`).
        Field::Company => r.company = Some(v),
        Field::Message => r.message = v,
        Field::Budget | Field::Consent | Field::Source => {}
    }
}

fn input_value(e: &InputEvent) -> String {
    if let Some(i) = e.target_dyn_into::<web_sys::HtmlInputElement>() {
        return i.value();
    }
    e.target_dyn_into::<web_sys::HtmlTextAreaElement>()
        .map(|t| t.value())
        .unwrap_or_default()
}

/// Focus the first field with a problem, and bring the whole field (label,
/// input, error) into view only as far as needed. A plain `focus()` scrolls
/// as each engine likes: WebKit put the input at the very top of the window,
/// its label cut off above it, even when it was already in view.
fn focus_first(refs: &[NodeRef], problems: &[FieldError]) {
    if let Some(el) = problems
        .first()
        .and_then(|p| refs.get(p.field as usize))
        .and_then(|r| r.cast::<web_sys::HtmlElement>())
    {
        let focus = web_sys::FocusOptions::new();
        focus.set_prevent_scroll(true);
        let _ = el.focus_with_options(&focus);
        let field = el
            .closest(".field")
            .ok()
            .flatten()
            .unwrap_or_else(|| el.clone().into());
        let view = web_sys::ScrollIntoViewOptions::new();
        view.set_block(web_sys::ScrollLogicalPosition::Nearest);
        field.scroll_into_view_with_scroll_into_view_options(&view);
    }
}
