//! What the form keeps in localStorage between visits, and the
//! Idempotency-Key of an attempt.

use keel_model::contact::ContactRequest;
use serde::{Deserialize, Serialize};

use crate::dom::storage;

const DRAFT_KEY: &str = "keel-contact-draft";

/// The visitor's form, and the key of the last attempt to send it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Draft {
    pub form: ContactRequest,
    /// The key of the last attempt, and the body it was used for: a retry of
    /// the same body reuses it, an edited body gets a new one.
    key: Option<String>,
    key_body: Option<String>,
}

impl Draft {
    /// The body to send and its Idempotency-Key: the last attempt's key when
    /// the body is the same (a retry after a lost answer is stored once), a
    /// new one otherwise.
    pub fn attempt(&mut self) -> (String, String) {
        let body = serde_json::to_string(&self.form).expect("the form serializes");
        if self.key.is_none() || self.key_body.as_deref() != Some(body.as_str()) {
            self.key = Some(new_key());
            self.key_body = Some(body.clone());
        }
        (body, self.key.clone().unwrap_or_default())
    }

    /// The saved draft, if there is one (never on the server).
    pub fn load() -> Option<Draft> {
        let text = storage()?.get_item(DRAFT_KEY).ok().flatten()?;
        serde_json::from_str(&text).ok()
    }

    pub fn save(&self) {
        if let (Some(s), Ok(text)) = (storage(), serde_json::to_string(self)) {
            // Storage can be full or disabled (private mode): the form still works.
            let _ = s.set_item(DRAFT_KEY, &text);
        }
    }

    pub fn clear() {
        if let Some(s) = storage() {
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
    uuid::Builder::from_random_bytes(bytes).into_uuid().hyphenated().to_string()
}
