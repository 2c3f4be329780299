//! "Tell us about your project": the contact form.
//!
//! It never loses what the visitor typed: every keystroke is saved as a draft
//! in localStorage (restored after a reload or a crash), a failed send keeps
//! the form filled and offers a retry with the same Idempotency-Key (so a
//! retry after a lost answer cannot store the request twice), and success is
//! shown only after the server answered 201. The validation rules are the
//! model crate's, the same ones the server enforces.

use keel_model::contact::{Budget, ContactAccepted, ContactRequest, Field, FieldError, check_field, validate};
use serde::{Deserialize, Serialize};
use yew::prelude::*;

use crate::api::{ApiCache, FetchError};
use crate::dom::storage;

const DRAFT_KEY: &str = "keel-contact-draft";

/// What is kept in localStorage between visits.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
struct Draft {
    form: ContactRequest,
    /// The key of the last attempt, and the body it was used for: a retry of
    /// the same body reuses it, an edited body gets a new one.
    key: Option<String>,
    key_body: Option<String>,
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
}

#[component]
pub fn ContactForm(props: &ContactFormProps) -> Html {
    let cache = use_context::<ApiCache>().expect("ApiCache is provided by the app shell");
    let draft = use_state(Draft::default);
    let errors = use_state(Errors::default);
    let send = use_state(|| SendState::Editing);
    let restored = use_state(|| false);
    let field_refs = use_memo((), |_| Field::ALL.map(|_| NodeRef::default()));

    // Restore a saved draft once, in the browser.
    {
        let draft = draft.clone();
        let restored = restored.clone();
        use_effect_with((), move |_| {
            if let Some(saved) = load_draft() {
                if saved.form != ContactRequest::default() {
                    restored.set(true);
                }
                draft.set(saved);
            }
        });
    }

    let update = {
        let draft = draft.clone();
        let errors = errors.clone();
        Callback::from(move |(field, edit): (Field, Box<dyn Fn(&mut ContactRequest)>)| {
            let mut next = (*draft).clone();
            edit(&mut next.form);
            save_draft(&next);
            // An error already shown is re-checked as the visitor fixes it.
            if errors[field as usize].is_some() {
                let mut e = (*errors).clone();
                e[field as usize] = check_field(&next.form, field);
                errors.set(e);
            }
            draft.set(next);
        })
    };
    let blur = {
        let draft = draft.clone();
        let errors = errors.clone();
        Callback::from(move |field: Field| {
            let mut e = (*errors).clone();
            e[field as usize] = check_field(&draft.form, field);
            errors.set(e);
        })
    };

    let submit = {
        let draft = draft.clone();
        let errors = errors.clone();
        let send = send.clone();
        let refs = field_refs.clone();
        let base = cache.base.clone();
        let partner = props.partner.clone();
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
            let body = serde_json::to_string(&next.form).expect("the form serializes");
            if next.key.is_none() || next.key_body.as_deref() != Some(body.as_str()) {
                next.key = Some(new_key());
                next.key_body = Some(body.clone());
            }
            save_draft(&next);
            draft.set(next.clone());
            send.set(SendState::Sending);
            let send = send.clone();
            let errors = errors.clone();
            let refs = refs.clone();
            let draft = draft.clone();
            let url = format!("{base}{}", keel_model::paths::contact());
            let partner = partner.clone();
            wasm_bindgen_futures::spawn_local(async move {
                match post(&url, body, next.key.as_deref().unwrap_or_default(), partner.as_deref()).await {
                    Ok(id) => {
                        clear_draft();
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

    if let SendState::Sent(id) = &*send {
        let again = {
            let send = send.clone();
            Callback::from(move |_: MouseEvent| send.set(SendState::Editing))
        };
        return html! {
            <div class="status success contact-done" role="status" tabindex="-1">
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
    let text_input = |f: Field, label: &'static str, kind: &'static str, value: String, autocomplete: &'static str, hint: Option<&'static str>| {
        let maxlength = match f {
            Field::Name => keel_model::contact::NAME_MAX,
            Field::Email => keel_model::contact::EMAIL_MAX,
            _ => keel_model::contact::COMPANY_MAX,
        }
        .to_string();
        let oninput = {
            let update = update.clone();
            Callback::from(move |e: InputEvent| {
                let v = input_value(&e);
                update.emit((f, Box::new(move |r: &mut ContactRequest| set_text(r, f, v.clone()))));
            })
        };
        let onblur = blur.reform(move |_: FocusEvent| f);
        html! {
            <div class="field">
                <label for={f.as_str()}>{ label }</label>
                <input id={f.as_str()} name={f.as_str()} type={kind} {value} {oninput} {onblur} autocomplete={autocomplete} {maxlength}
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
            update.emit((Field::Message, Box::new(move |r: &mut ContactRequest| r.message = v.clone())));
        })
    };
    let on_consent = {
        let update = update.clone();
        Callback::from(move |e: Event| {
            let checked = e.target_dyn_into::<web_sys::HtmlInputElement>().map(|i| i.checked()).unwrap_or(false);
            update.emit((Field::Consent, Box::new(move |r: &mut ContactRequest| r.consent = checked)));
        })
    };
    let on_honeypot = {
        let update = update.clone();
        Callback::from(move |e: InputEvent| {
            let v = input_value(&e);
            update.emit((Field::Name, Box::new(move |r: &mut ContactRequest| r.website = Some(v.clone()).filter(|s| !s.is_empty()))));
        })
    };
    let budget_choice = |b: Option<Budget>, label: &'static str| {
        let onchange = {
            let update = update.clone();
            Callback::from(move |_: Event| update.emit((Field::Budget, Box::new(move |r: &mut ContactRequest| r.budget = b))))
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
            }
            if *restored {
                <p class="status" role="status">{ "We restored the message you were writing." }</p>
            }
            { text_input(Field::Name, "Your name", "text", form.name.clone(), "name", None) }
            { text_input(Field::Email, "Email", "email", form.email.clone(), "email", Some("We only use it to reply to you.")) }
            { text_input(Field::Company, "Company (optional)", "text", form.company.clone().unwrap_or_default(), "organization", None) }
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

enum PostError {
    Invalid(Vec<FieldError>),
    Fetch(FetchError),
}

async fn post(url: &str, body: String, key: &str, partner: Option<&str>) -> Result<String, PostError> {
    let mut req = gloo_net::http::Request::post(url)
        .header("Content-Type", "application/json")
        .header("Accept", "application/json")
        .header("Idempotency-Key", key);
    if let Some(origin) = partner {
        req = req.header("Keel-Embed-Origin", origin);
    }
    let res = crate::net::send(req, Some(body), crate::net::SUBMIT_TIMEOUT_MS).await.map_err(PostError::Fetch)?;
    match res.status() {
        201 => res
            .json::<ContactAccepted>()
            .await
            .map(|a| a.id)
            .map_err(|e| PostError::Fetch(FetchError::Decode(e.to_string()))),
        422 => match res.json::<keel_model::ApiError>().await {
            Ok(e) if !e.fields.is_empty() => Err(PostError::Invalid(e.fields)),
            Ok(e) => Err(PostError::Fetch(FetchError::Http { status: 422, message: Some(e.message) })),
            Err(_) => Err(PostError::Fetch(FetchError::Http { status: 422, message: None })),
        },
        _ => Err(PostError::Fetch(crate::net::error_from(res).await)),
    }
}

fn set_text(r: &mut ContactRequest, f: Field, v: String) {
    match f {
        Field::Name => r.name = v,
        Field::Email => r.email = v,
        Field::Company => r.company = Some(v).filter(|s| !s.is_empty()),
        Field::Message => r.message = v,
        Field::Budget | Field::Consent => {}
    }
}

fn input_value(e: &InputEvent) -> String {
    if let Some(i) = e.target_dyn_into::<web_sys::HtmlInputElement>() {
        return i.value();
    }
    e.target_dyn_into::<web_sys::HtmlTextAreaElement>().map(|t| t.value()).unwrap_or_default()
}

/// Focus the first field with a problem, and bring the whole field (label,
/// input, error) into view only as far as needed. A plain `focus()` scrolls
/// as each engine likes: WebKit put the input at the very top of the window,
/// its label cut off above it, even when it was already in view.
fn focus_first(refs: &[NodeRef], problems: &[FieldError]) {
    if let Some(el) = problems.first().and_then(|p| refs.get(p.field as usize)).and_then(|r| r.cast::<web_sys::HtmlElement>()) {
        let focus = web_sys::FocusOptions::new();
        focus.set_prevent_scroll(true);
        let _ = el.focus_with_options(&focus);
        let field = el.closest(".field").ok().flatten().unwrap_or_else(|| el.clone().into());
        let view = web_sys::ScrollIntoViewOptions::new();
        view.set_block(web_sys::ScrollLogicalPosition::Nearest);
        field.scroll_into_view_with_scroll_into_view_options(&view);
    }
}

fn load_draft() -> Option<Draft> {
    let text = storage()?.get_item(DRAFT_KEY).ok().flatten()?;
    serde_json::from_str(&text).ok()
}

fn save_draft(d: &Draft) {
    if let (Some(s), Ok(text)) = (storage(), serde_json::to_string(d)) {
        // Storage can be full or disabled (private mode): the form still works.
        let _ = s.set_item(DRAFT_KEY, &text);
    }
}

fn clear_draft() {
    if let Some(s) = storage() {
        let _ = s.remove_item(DRAFT_KEY);
    }
}

/// A random UUID (version 4) for the Idempotency-Key, from
/// `crypto.getRandomValues`, which every browser has on every page.
/// Not `crypto.randomUUID`: browsers offer it only in a secure context
/// (HTTPS or localhost), and on a plain-HTTP page calling it threw, so the
/// form could not be sent at all.
fn new_key() -> String {
    let mut bytes = [0u8; 16];
    let filled = web_sys::window()
        .and_then(|w| w.crypto().ok())
        .is_some_and(|c| c.get_random_values_with_u8_array(&mut bytes).is_ok());
    if !filled {
        // No Web Crypto at all: still random, if not cryptographically.
        for b in &mut bytes {
            *b = (js_sys::Math::random() * 256.0) as u8;
        }
    }
    uuid::Builder::from_random_bytes(bytes).into_uuid().hyphenated().to_string()
}
