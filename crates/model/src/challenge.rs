//! The contact form's proof of work, as the ALTCHA protocol shapes it
//! (altcha.org): the server hands out a `Challenge`; the visitor's browser
//! finds the `number` (0 to `maxnumber`) whose SHA-256 of `salt` followed by
//! the number in decimal is `challenge`, and sends the `Solution` back,
//! base64-encoded JSON, in the `Keel-Challenge` header. The server checks
//! its own signature (an HMAC of `challenge`), the expiry written into the
//! salt (`?expires=` unix seconds), the hash, and that no one used it before.

use serde::{Deserialize, Serialize};

/// The only algorithm this server hands out.
pub const ALGORITHM: &str = "SHA-256";

/// The header the solution travels in.
pub const HEADER: &str = "Keel-Challenge";

/// `GET /api/v1/contact/challenge`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Challenge {
    pub algorithm: String,
    pub challenge: String,
    pub maxnumber: u64,
    pub salt: String,
    pub signature: String,
}

/// What the browser sends back (base64 of this as JSON).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Solution {
    pub algorithm: String,
    pub challenge: String,
    pub number: u64,
    pub salt: String,
    pub signature: String,
    /// How long the browser took, in milliseconds (informative).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub took: Option<u64>,
}

impl Solution {
    pub fn of(c: &Challenge, number: u64, took: u64) -> Solution {
        Solution {
            algorithm: c.algorithm.clone(),
            challenge: c.challenge.clone(),
            number,
            salt: c.salt.clone(),
            signature: c.signature.clone(),
            took: Some(took),
        }
    }
}
