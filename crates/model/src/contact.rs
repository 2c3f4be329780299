//! The contact form: its fields, its limits and its validation rules.
//!
//! The SPA runs `validate` for instant field errors; the server runs the same
//! function and is authoritative. Lengths count Unicode scalar values after
//! trimming, so a name in any script is fine.
//!
//! Text rules, per field: any script and any printable character, but no
//! control characters (C0, DEL, C1: they drive terminals and fake lines in
//! emails and logs) and no bidirectional embeddings, overrides or isolates
//! (U+202A–U+202E, U+2066–U+2069: they make text read in another order than
//! it is stored). Only the message may have several lines: it allows line
//! breaks and tabs. `escape_controls` shows text stored before these rules
//! safely.

use std::borrow::Cow;

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

impl ContactRequest {
    /// Sets the field a plain HTML form names `name` (as the server reads a
    /// post made without the app, and the app reads the prerendered form it
    /// adopts). Returns `Ok(false)` for a name that is no field of the
    /// request (a submit button, `embed_origin`), and `Err` for a budget that
    /// is not one of the choices.
    pub fn set_form_field(&mut self, name: &str, value: String) -> Result<bool, BadChoice> {
        match name {
            "name" => self.name = value,
            "email" => self.email = value,
            "company" => self.company = given_company(Some(&value)).is_some().then_some(value),
            "budget" if value.is_empty() => self.budget = None,
            "budget" => {
                self.budget = Some(
                    Budget::ALL
                        .into_iter()
                        .find(|b| b.as_str() == value)
                        .ok_or(BadChoice)?,
                )
            }
            "message" => self.message = value,
            "consent" => self.consent = matches!(value.as_str(), "on" | "true" | "yes" | "1"),
            "website" => self.website = Some(value).filter(|w| !w.is_empty()),
            _ => return Ok(false),
        }
        Ok(true)
    }
}

/// The company as given: `None` when there is none or it is blank (empty or
/// only whitespace), else without its surrounding whitespace. The one rule
/// for a blank company, for the form, the checks and both stores.
pub fn given_company(company: Option<&str>) -> Option<&str> {
    company.map(str::trim).filter(|c| !c.is_empty())
}

/// A form's budget that is not one of `Budget::ALL`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BadChoice;

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
    pub const ALL: [Field; 6] = [
        Field::Name,
        Field::Email,
        Field::Company,
        Field::Budget,
        Field::Message,
        Field::Consent,
    ];

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
                Some(format!(
                    "Please keep your name under {NAME_MAX} characters (it has {n})."
                ))
            } else {
                hidden_char(req.name.trim(), false).map(|c| {
                    format!("Your name contains an invisible control or text-direction character ({}). Please remove it.", code_point(c))
                })
            }
        }
        Field::Email => {
            let e = req.email.trim();
            if e.is_empty() {
                Some("Please give an email address so we can reply.".into())
            } else if e.len() > EMAIL_MAX {
                Some(format!(
                    "An email address has at most {EMAIL_MAX} characters."
                ))
            } else if !is_valid_email(e) {
                Some("This does not look like an email address (name@example.com).".into())
            } else {
                None
            }
        }
        Field::Company => {
            let company = given_company(req.company.as_deref()).unwrap_or_default();
            if len(company) > COMPANY_MAX {
                Some(format!(
                    "Please keep the company name under {COMPANY_MAX} characters."
                ))
            } else {
                hidden_char(company, false).map(|c| {
                    format!("The company name contains an invisible control or text-direction character ({}). Please remove it.", code_point(c))
                })
            }
        }
        Field::Budget => None,
        Field::Message => {
            let n = len(&req.message);
            if n < MESSAGE_MIN {
                Some(format!(
                    "Please tell us a little more: at least {MESSAGE_MIN} characters."
                ))
            } else if n > MESSAGE_MAX {
                Some(format!(
                    "Please keep the message under {MESSAGE_MAX} characters (it has {n})."
                ))
            } else {
                hidden_char(req.message.trim(), true).map(|c| {
                    format!(
                        "Your message contains an invisible control or text-direction character ({}). Line breaks and tabs are fine; please remove this one.",
                        code_point(c)
                    )
                })
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

/// A bidirectional embedding, override or isolate: U+202A–U+202E, U+2066–U+2069.
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Whether `c` (followed by `next`) is a character its field may not hold:
/// a control character (C0, DEL, C1), a bidi control, or a line or paragraph
/// separator. With `multiline`, line feeds, tabs, CR LF pairs and the two
/// separators are allowed; a lone carriage return is not (on a terminal it
/// overwrites the line).
fn is_hidden(c: char, next: Option<char>, multiline: bool) -> bool {
    match c {
        '\n' | '\t' | '\u{2028}' | '\u{2029}' => !multiline,
        '\r' => !(multiline && next == Some('\n')),
        c => c.is_control() || is_bidi_control(c),
    }
}

/// The first character of `text` that its field may not hold.
pub fn hidden_char(text: &str, multiline: bool) -> Option<char> {
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if is_hidden(c, chars.peek().copied(), multiline) {
            return Some(c);
        }
    }
    None
}

/// `text` with every character its field may not hold written out as
/// `\u{…}`, for printing whatever is stored (it may predate these rules) to
/// a terminal, a CSV file or an email. Line and paragraph separators are
/// written out too: a terminal or a mail client shows them unpredictably.
pub fn escape_controls(text: &str, multiline: bool) -> Cow<'_, str> {
    let escape = |c: char, next: Option<char>| {
        is_hidden(c, next, multiline) || matches!(c, '\u{2028}' | '\u{2029}')
    };
    if hidden_char(text, multiline).is_none() && !text.contains(['\u{2028}', '\u{2029}']) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if escape(c, chars.peek().copied()) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

fn code_point(c: char) -> String {
    format!("U+{:04X}", c as u32)
}

/// A valid email address as the HTML specification defines it for
/// `<input type=email>`: the "willful violation" of RFC 5322 that browsers use.
pub fn is_valid_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    let local_ok = !local.is_empty()
        && local
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+/=?^_`{|}~.-".contains(&b));
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
            (|r| r.name = "a\u{8}\u{8}b".into(), Field::Name),
            (|r| r.name = "Ada\u{202E}ecalovoL".into(), Field::Name),
            (|r| r.name = "Ada\nBcc: x@evil.example".into(), Field::Name),
            (|r| r.name = "Ada\tLovelace".into(), Field::Name),
            (|r| r.name = "Ada\u{7f}".into(), Field::Name),
            (|r| r.company = Some("Acme\u{1b}[2J".into()), Field::Company),
            (
                |r| r.company = Some("Acme\u{85}Corp".into()),
                Field::Company,
            ),
            (
                |r| r.company = Some("Acme\u{2066}Corp".into()),
                Field::Company,
            ),
            (
                |r| r.message = "Hello\u{7} there, we need help.".into(),
                Field::Message,
            ),
            (
                |r| r.message = "Hello there\u{1b}]0;owned\u{7}, we need help.".into(),
                Field::Message,
            ),
            (
                |r| r.message = "Hello there, we need \u{2067}help\u{2069}.".into(),
                Field::Message,
            ),
            (
                |r| r.message = "Hello there,\u{0}we need help.".into(),
                Field::Message,
            ),
            (
                |r| r.message = "Hello there,\rwe need help.".into(),
                Field::Message,
            ),
            (|r| r.email = "nope".into(), Field::Email),
            (|r| r.email = "a@b..c".into(), Field::Email),
            (
                |r| r.company = Some("c".repeat(COMPANY_MAX + 1)),
                Field::Company,
            ),
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
    fn hidden_characters_are_named_in_the_message() {
        let mut r = valid();
        r.name = "Ada\u{202E}ecalovoL".into();
        r.company = Some("Acme\u{1b}".into());
        r.message = "We need help\u{8}\u{8}\u{8}with this.".into();
        let errors = validate(&r);
        let text: Vec<&str> = errors.iter().map(|e| e.message.as_str()).collect();
        assert_eq!(
            errors.iter().map(|e| e.field).collect::<Vec<_>>(),
            [Field::Name, Field::Company, Field::Message]
        );
        assert!(
            text[0].starts_with("Your name contains") && text[0].contains("U+202E"),
            "{text:?}"
        );
        assert!(
            text[1].starts_with("The company name contains") && text[1].contains("U+001B"),
            "{text:?}"
        );
        assert!(
            text[2].contains("U+0008") && text[2].contains("Line breaks and tabs are fine"),
            "{text:?}"
        );
    }

    #[test]
    fn line_breaks_tabs_and_any_script_are_fine() {
        let mut r = valid();
        r.name = "\u{5E9}\u{5DC}\u{5D5}\u{5DD} \u{200F}Cohen".into(); // Hebrew and a right-to-left mark
        r.company = Some("Nørgaard & Søn — 語".into());
        r.message = "Hello,\r\n\r\nwe need help:\n\t- queues\n\t- caching\u{2028}and more".into();
        assert_eq!(validate(&r), vec![]);
        r.name = "  Ada Lovelace\n".into();
        assert_eq!(
            check_field(&r, Field::Name),
            None,
            "surrounding whitespace is trimmed, not refused"
        );
    }

    #[test]
    fn escape_controls_shows_hidden_characters_as_code_points() {
        assert!(matches!(
            escape_controls("Åsa Nørgaard", false),
            Cow::Borrowed(_)
        ));
        assert_eq!(
            escape_controls("a\u{1b}[31mb\u{7}c\u{8}", false),
            "a\\u{1b}[31mb\\u{7}c\\u{8}"
        );
        assert_eq!(
            escape_controls("Ada\u{202E}x\u{9b}y\u{7f}", false),
            "Ada\\u{202e}x\\u{9b}y\\u{7f}"
        );
        assert_eq!(
            escape_controls("one\ntwo\tthree", false),
            "one\\u{a}two\\u{9}three"
        );
        assert_eq!(
            escape_controls("one\r\ntwo\n\tthree", true),
            "one\r\ntwo\n\tthree"
        );
        assert_eq!(
            escape_controls("fake\rline\u{2028}x", true),
            "fake\\u{d}line\\u{2028}x",
            "a lone CR would overwrite the line"
        );
    }

    #[test]
    fn limits_count_characters_not_bytes() {
        let mut r = valid();
        r.name = "語".repeat(NAME_MAX);
        assert_eq!(check_field(&r, Field::Name), None);
    }

    #[test]
    fn html_spec_emails() {
        for ok in [
            "a@b",
            "first.last+tag@sub.example.com",
            "x@localhost",
            "o'neil@ex-ample.io",
        ] {
            assert!(is_valid_email(ok), "{ok}");
        }
        for bad in [
            "", "@b", "a@", "a@b@c", "a b@c", "a@-b.c", "a@b-.c", "a@.c", "ü@b.c", "a@b_c",
        ] {
            assert!(!is_valid_email(bad), "{bad}");
        }
    }

    #[test]
    fn the_request_reads_back_as_written() {
        let awkward: String = [
            '"', '\\', '/', '\u{0}', '\u{8}', '\t', '\n', '\u{c}', '\r', '\u{1f}', '\u{7f}',
            '\u{2028}', 'é', '語', '🦀',
        ]
        .into_iter()
        .collect();
        let mut requests = vec![ContactRequest::default(), valid()];
        for budget in Budget::ALL {
            requests.push(ContactRequest {
                name: awkward.clone(),
                company: Some(awkward.clone()),
                budget: Some(budget),
                website: Some("http://spam.example".into()),
                consent: true,
                ..valid()
            });
        }
        for req in requests {
            let json = serde_json::to_string(&req).unwrap();
            assert_eq!(serde_json::from_str::<ContactRequest>(&json).unwrap(), req);
        }
        // Members may be left out, and are then reported by `validate`.
        assert_eq!(
            serde_json::from_str::<ContactRequest>(r#"{"name":"Ada"}"#)
                .unwrap()
                .name,
            "Ada"
        );
        // A member of another type, or an unknown one, is refused whole.
        for bad in [
            r#"{"name":"Ada","email":42}"#,
            r#"{"budget":"lots"}"#,
            r#"{"age":3}"#,
        ] {
            assert!(
                serde_json::from_str::<ContactRequest>(bad).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn budget_wire_names_are_as_str() {
        for b in Budget::ALL {
            assert_eq!(
                serde_json::to_string(&b).unwrap(),
                format!("\"{}\"", b.as_str())
            );
        }
    }

    #[test]
    fn form_fields_set_the_request_as_a_browser_posts_them() {
        let mut req = ContactRequest::default();
        for (name, value) in [
            ("name", "Ada"),
            ("email", "ada@example.com"),
            ("company", "  "),
            ("budget", "from_10k_to_50k"),
            ("message", "Hello"),
            ("consent", "on"),
            ("website", ""),
        ] {
            assert_eq!(req.set_form_field(name, value.into()), Ok(true), "{name}");
        }
        assert_eq!(req.company, None, "a blank company is none");
        assert_eq!(req.budget, Some(Budget::From10kTo50k));
        assert!(req.consent);
        assert_eq!(req.website, None);
        assert_eq!(
            req.set_form_field("embed_origin", "https://p.example".into()),
            Ok(false)
        );
        assert_eq!(req.set_form_field("budget", "a lot".into()), Err(BadChoice));
        assert_eq!(
            req.budget,
            Some(Budget::From10kTo50k),
            "a bad choice changes nothing"
        );
        assert_eq!(req.set_form_field("budget", String::new()), Ok(true));
        assert_eq!(req.budget, None);
        assert_eq!(req.set_form_field("consent", String::new()), Ok(true));
        assert!(!req.consent);
    }

    #[test]
    fn unknown_fields_are_refused() {
        let err = serde_json::from_str::<ContactRequest>(
            r#"{"name":"a","email":"a@b","message":"m","consent":true,"admin":true}"#,
        );
        assert!(err.is_err());
    }
}
