//! The contact form: its fields, its limits and its validation rules.
//!
//! The SPA runs `validate` for instant field errors; the server runs the same
//! function and is authoritative. Lengths count Unicode scalar values after
//! trimming, so a name in any script is fine.

use serde::{Deserialize, Serialize};

pub const NAME_MAX: usize = 100;
pub const EMAIL_MAX: usize = 254;
pub const COMPANY_MAX: usize = 100;
pub const MESSAGE_MIN: usize = 10;
pub const MESSAGE_MAX: usize = 5000;
/// The server refuses request bodies larger than this (413). Comfortably above
/// the largest valid submission: 5000 four-byte characters plus the other fields.
pub const BODY_LIMIT_BYTES: usize = 32 * 1024;

/// On the wire as `as_str()` (the renames keep serde and `as_str` identical;
/// a test holds them to it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Budget {
    #[serde(rename = "under_10k")]
    Under10k,
    #[serde(rename = "from_10k_to_50k")]
    From10kTo50k,
    #[serde(rename = "from_50k_to_150k")]
    From50kTo150k,
    #[serde(rename = "over_150k")]
    Over150k,
    #[serde(rename = "not_sure")]
    NotSure,
}

impl Budget {
    pub const ALL: [Budget; 5] = [
        Budget::Under10k,
        Budget::From10kTo50k,
        Budget::From50kTo150k,
        Budget::Over150k,
        Budget::NotSure,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Budget::Under10k => "Under €10k",
            Budget::From10kTo50k => "€10k – €50k",
            Budget::From50kTo150k => "€50k – €150k",
            Budget::Over150k => "Over €150k",
            Budget::NotSure => "Not sure yet",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Budget::Under10k => "under_10k",
            Budget::From10kTo50k => "from_10k_to_50k",
            Budget::From50kTo150k => "from_50k_to_150k",
            Budget::Over150k => "over_150k",
            Budget::NotSure => "not_sure",
        }
    }
}

/// `POST /api/v1/contact` body. Every field has a default so that a missing
/// field is reported by `validate`, beside the field, like an empty one.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ContactRequest {
    pub name: String,
    pub email: String,
    pub company: Option<String>,
    pub budget: Option<Budget>,
    pub message: String,
    pub consent: bool,
    /// The honeypot: hidden from people, filled in by bots. Non-empty means spam.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub website: Option<String>,
}

/// `201 Created` body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactAccepted {
    pub id: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    Name,
    Email,
    Company,
    Budget,
    Message,
    Consent,
}

impl Field {
    pub const ALL: [Field; 6] =
        [Field::Name, Field::Email, Field::Company, Field::Budget, Field::Message, Field::Consent];

    pub fn as_str(self) -> &'static str {
        match self {
            Field::Name => "name",
            Field::Email => "email",
            Field::Company => "company",
            Field::Budget => "budget",
            Field::Message => "message",
            Field::Consent => "consent",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: Field,
    pub message: String,
}

/// One field's rule. The SPA calls this on blur; `validate` calls it for all.
pub fn check_field(req: &ContactRequest, field: Field) -> Option<String> {
    let len = |s: &str| s.trim().chars().count();
    match field {
        Field::Name => {
            let n = len(&req.name);
            if n == 0 {
                Some("Please tell us your name.".into())
            } else if n > NAME_MAX {
                Some(format!("Please keep your name under {NAME_MAX} characters (it has {n})."))
            } else if req.name.chars().any(char::is_control) {
                Some("Your name contains a character we cannot store.".into())
            } else {
                None
            }
        }
        Field::Email => {
            let e = req.email.trim();
            if e.is_empty() {
                Some("Please give an email address so we can reply.".into())
            } else if e.len() > EMAIL_MAX {
                Some(format!("An email address has at most {EMAIL_MAX} characters."))
            } else if !is_valid_email(e) {
                Some("This does not look like an email address (name@example.com).".into())
            } else {
                None
            }
        }
        Field::Company => {
            let c = req.company.as_deref().map(len).unwrap_or(0);
            (c > COMPANY_MAX)
                .then(|| format!("Please keep the company name under {COMPANY_MAX} characters."))
        }
        Field::Budget => None,
        Field::Message => {
            let n = len(&req.message);
            if n < MESSAGE_MIN {
                Some(format!(
                    "Please tell us a little more: at least {MESSAGE_MIN} characters."
                ))
            } else if n > MESSAGE_MAX {
                Some(format!("Please keep the message under {MESSAGE_MAX} characters (it has {n})."))
            } else {
                None
            }
        }
        Field::Consent => (!req.consent)
            .then(|| "Please agree that we may contact you about your project.".into()),
    }
}

/// All field errors, in form order. Empty means valid.
pub fn validate(req: &ContactRequest) -> Vec<FieldError> {
    Field::ALL
        .iter()
        .filter_map(|&field| check_field(req, field).map(|message| FieldError { field, message }))
        .collect()
}

/// A valid email address as the HTML specification defines it for
/// `<input type=email>`: the "willful violation" of RFC 5322 that browsers use.
pub fn is_valid_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else { return false };
    let local_ok = !local.is_empty()
        && local.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+/=?^_`{|}~.-".contains(&b));
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    };
    local_ok && domain.split('.').all(label_ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid() -> ContactRequest {
        ContactRequest {
            name: "Åsa Nørgaard".into(),
            email: "asa@example.dk".into(),
            company: None,
            budget: Some(Budget::NotSure),
            message: "We need help scaling our Postgres cluster.".into(),
            consent: true,
            website: None,
        }
    }

    #[test]
    fn a_valid_request_has_no_errors() {
        assert_eq!(validate(&valid()), vec![]);
    }

    #[test]
    fn each_rule_names_its_field() {
        let cases: &[(fn(&mut ContactRequest), Field)] = &[
            (|r| r.name = "  ".into(), Field::Name),
            (|r| r.name = "x".repeat(NAME_MAX + 1), Field::Name),
            (|r| r.name = "a\u{7}b".into(), Field::Name),
            (|r| r.email = "nope".into(), Field::Email),
            (|r| r.email = "a@b..c".into(), Field::Email),
            (|r| r.company = Some("c".repeat(COMPANY_MAX + 1)), Field::Company),
            (|r| r.message = "short".into(), Field::Message),
            (|r| r.message = "m".repeat(MESSAGE_MAX + 1), Field::Message),
            (|r| r.consent = false, Field::Consent),
        ];
        for (mutate, field) in cases {
            let mut r = valid();
            mutate(&mut r);
            let errors = validate(&r);
            assert_eq!(errors.len(), 1, "{r:?}");
            assert_eq!(errors[0].field, *field);
        }
    }

    #[test]
    fn limits_count_characters_not_bytes() {
        let mut r = valid();
        r.name = "語".repeat(NAME_MAX);
        assert_eq!(check_field(&r, Field::Name), None);
    }

    #[test]
    fn html_spec_emails() {
        for ok in ["a@b", "first.last+tag@sub.example.com", "x@localhost", "o'neil@ex-ample.io"] {
            assert!(is_valid_email(ok), "{ok}");
        }
        for bad in ["", "@b", "a@", "a@b@c", "a b@c", "a@-b.c", "a@b-.c", "a@.c", "ü@b.c", "a@b_c"] {
            assert!(!is_valid_email(bad), "{bad}");
        }
    }

    #[test]
    fn budget_wire_names_are_as_str() {
        for b in Budget::ALL {
            assert_eq!(serde_json::to_string(&b).unwrap(), format!("\"{}\"", b.as_str()));
        }
    }

    #[test]
    fn unknown_fields_are_refused() {
        let err = serde_json::from_str::<ContactRequest>(
            r#"{"name":"a","email":"a@b","message":"m","consent":true,"admin":true}"#,
        );
        assert!(err.is_err());
    }
}
