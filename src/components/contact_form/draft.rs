//! What the form keeps in localStorage between visits, and the
//! Idempotency-Key of an attempt.

use std::cell::Cell;
use std::collections::BTreeMap;

use keel_model::contact::ContactRequest;
use serde::de::IgnoredAny;
use serde::{Deserialize, Deserializer, Serialize};

use crate::dom::draft_storage;

const DRAFT_KEY: &str = "keel-contact-draft";

thread_local! {
    /// Set when the draft holds only what was typed into the prerendered
    /// form before the app ran: nothing to announce as restored.
    static JUST_TYPED: Cell<bool> = const { Cell::new(false) };
}

/// The visitor's form, and the key of the last attempt to send it. Stored
/// as `{"form": …, "key": …, "key_body": …}`; what can be read of a saved
/// draft is kept, so a damaged one still gives back every field it can.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Draft {
    #[serde(deserialize_with = "kept_fields")]
    pub form: ContactRequest,
    /// The key of the last attempt, and the body it was used for: a retry of
    /// the same body reuses it, an edited body gets a new one.
    #[serde(deserialize_with = "or_none")]
    key: Option<String>,
    #[serde(deserialize_with = "or_none")]
    key_body: Option<String>,
}

/// A member of a saved form: text, or a tick box; anything else is left out.
#[derive(Deserialize)]
#[serde(untagged)]
enum Member {
    Text(String),
    Tick(bool),
    Other(IgnoredAny),
}

/// A saved form's members, or something that is no form.
#[derive(Deserialize)]
#[serde(untagged)]
enum Saved {
    Form(BTreeMap<String, Member>),
    Other(IgnoredAny),
}

/// A saved form, member by member, as the form's own fields are set
/// (`ContactRequest::set_form_field`): a member that cannot be read (of
/// another type, a budget that is no choice) is left out, the rest kept.
fn kept_fields<'de, D: Deserializer<'de>>(d: D) -> Result<ContactRequest, D::Error> {
    let mut form = ContactRequest::default();
    if let Saved::Form(members) = Saved::deserialize(d)? {
        for (name, member) in members {
            let value = match member {
                Member::Text(s) => s,
                Member::Tick(b) => b.to_string(),
                Member::Other(_) => continue,
            };
            let _ = form.set_form_field(&name, value);
        }
    }
    Ok(form)
}

/// A string, or `None` for anything else.
fn or_none<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match Member::deserialize(d)? {
        Member::Text(s) => Some(s),
        _ => None,
    })
}

impl Draft {
    /// The body to send and its Idempotency-Key: the last attempt's key when
    /// the body is the same (a retry after a lost answer is stored once), a
    /// new one otherwise.
    pub fn attempt(&mut self) -> (String, String) {
        let body = crate::json::write(&self.form);
        if self.key.is_none() || self.key_body.as_deref() != Some(body.as_str()) {
            self.key = Some(new_key());
            self.key_body = Some(body.clone());
        }
        (body, self.key.clone().unwrap_or_default())
    }

    /// The saved draft, if there is one (never on the server).
    pub fn load() -> Option<Draft> {
        let text = draft_storage()?.get_item(DRAFT_KEY).ok().flatten()?;
        crate::json::read(&text)
    }

    pub fn save(&self) {
        if let Some(s) = draft_storage() {
            // Storage can be full or disabled (private mode): the form still works.
            let _ = s.set_item(DRAFT_KEY, &crate::json::write(self));
        }
    }

    /// What the visitor changed in the prerendered form before the app ran
    /// (`name=value` pairs, an unticked box as empty), over the saved draft:
    /// a field not touched keeps the draft's value.
    pub fn adopt(pairs: Vec<(String, String)>) {
        let saved = Draft::load().unwrap_or_default();
        let mut next = saved.clone();
        for (name, value) in pairs {
            // A budget that is no choice is left as it was.
            let _ = next.form.set_form_field(&name, value);
        }
        if next != saved {
            JUST_TYPED.with(|j| j.set(saved.form == ContactRequest::default()));
            next.save();
        }
    }

    /// Whether a draft loaded now is one the visitor was shown before this
    /// page (and so worth saying it was restored); asked once.
    pub fn was_saved_before() -> bool {
        !JUST_TYPED.with(|j| j.replace(false))
    }

    pub fn clear() {
        if let Some(s) = draft_storage() {
            let _ = s.remove_item(DRAFT_KEY);
        }
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
    uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .hyphenated()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_saved_draft_reads_back() {
        let mut draft = Draft::default();
        draft.form.name = "Åsa \"Q\" Nørgaard\n".into();
        draft.form.consent = true;
        let stored = |d: &Draft| crate::json::write(d);
        assert_eq!(
            crate::json::read::<Draft>(&stored(&draft)),
            Some(draft.clone())
        );
        draft.key = Some("k".into());
        draft.key_body = Some(crate::json::write(&draft.form));
        draft.form.company = Some("Acme".into());
        draft.form.budget = Some(keel_model::contact::Budget::NotSure);
        draft.form.website = Some("x".into());
        assert_eq!(crate::json::read::<Draft>(&stored(&draft)), Some(draft));
        // A draft stored by an older version (serde's, the same shape) still reads.
        let old = r#"{"form":{"name":"Ada","email":"","company":null,"budget":"not_sure","message":"","consent":false},"key":null,"key_body":null}"#;
        assert_eq!(
            crate::json::read::<Draft>(old).map(|d| d.form.name),
            Some("Ada".into())
        );
        // A damaged one keeps what it can.
        let damaged = r#"{"form":{"name":"Ada","email":"ada@example.com","budget":"lots","message":"Hello there","consent":"maybe","company":7},"key":5}"#;
        let d = crate::json::read::<Draft>(damaged).unwrap();
        assert_eq!(
            (
                d.form.name.as_str(),
                d.form.email.as_str(),
                d.form.message.as_str(),
                d.form.budget,
                d.key
            ),
            ("Ada", "ada@example.com", "Hello there", None, None)
        );
        assert_eq!((d.form.consent, d.form.company), (false, None));
        assert_eq!(
            crate::json::read::<Draft>(r#"{"form":[1],"key":"k"}"#).map(|d| (d.form, d.key)),
            Some((ContactRequest::default(), Some("k".into())))
        );
        assert_eq!(crate::json::read::<Draft>("null"), None, "nothing to keep");
        assert_eq!(crate::json::read::<Draft>("{"), None, "no JSON at all");
    }
}
