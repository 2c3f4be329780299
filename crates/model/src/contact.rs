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
/// A request's source (a partner's campaign, `data-keel-source`): at most
/// this many characters, ASCII letters and digits first, then also `.`, `_`,
/// `:` and `-`. Written as `SOURCE_PATTERN` for the loader, and held to
/// `is_valid_source` by a test.
pub const SOURCE_MAX: usize = 64;
pub const SOURCE_PATTERN: &str = "^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$";
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
    /// Where the request came from, as the partner's page names it (a
    /// campaign: `data-keel-source`), stored beside the partner's origin.
    /// Not the visitor's to write: the form sends what its embed was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
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
            "source" => self.source = Some(value).filter(|s| !s.is_empty()),
            _ => return Ok(false),
        }
        Ok(true)
    }
}

impl ContactRequest {
    /// Each of `prefill`'s text fields (`Field::PREFILLED`) where this
    /// request's is empty: what the visitor typed stays.
    pub fn fill_empty_from(&mut self, prefill: ContactRequest) {
        let blank = |s: &str| s.trim().is_empty();
        if blank(&self.name) {
            self.name = prefill.name;
        }
        if blank(&self.email) {
            self.email = prefill.email;
        }
        if given_company(self.company.as_deref()).is_none() && prefill.company.is_some() {
            self.company = prefill.company;
        }
        if blank(&self.message) {
            self.message = prefill.message;
        }
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
    /// Not typed by the visitor: the source the embed was given.
    Source,
}

impl Field {
    pub const ALL: [Field; 7] = [
        Field::Name,
        Field::Email,
        Field::Company,
        Field::Budget,
        Field::Message,
        Field::Consent,
        Field::Source,
    ];

    /// The fields a partner's page may fill in for the visitor
    /// (`data-keel-name` and so on: `may_prefill`).
    pub const PREFILLED: [Field; 4] = [Field::Name, Field::Email, Field::Company, Field::Message];

    /// The most characters the field holds, for a text field.
    pub fn max_chars(self) -> Option<usize> {
        match self {
            Field::Name => Some(NAME_MAX),
            Field::Email => Some(EMAIL_MAX),
            Field::Company => Some(COMPANY_MAX),
            Field::Message => Some(MESSAGE_MAX),
            Field::Source => Some(SOURCE_MAX),
            Field::Budget | Field::Consent => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Field::Name => "name",
            Field::Email => "email",
            Field::Company => "company",
            Field::Budget => "budget",
            Field::Message => "message",
            Field::Consent => "consent",
            Field::Source => "source",
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
        Field::Source => req
            .source
            .as_deref()
            .filter(|s| !is_valid_source(s))
            // SOURCE_MAX, written out: a test holds the two together.
            .map(|_| "A source is 1 to 64 letters, digits, dots, underscores, colons and hyphens, starting with a letter or digit.".into()),
    }
}

/// Whether a partner's page may fill `field` in with `value` for the
/// visitor: a text field, within its length, with none of the characters it
/// may not hold. Its other rules (an email's form, a message's minimum) are
/// the visitor's to meet, who sees and may change every prefilled value.
/// The loader checks the same, with `hidden_pattern` and `max_chars`.
pub fn may_prefill(field: Field, value: &str) -> bool {
    let value = value.trim();
    Field::PREFILLED.contains(&field)
        && field
            .max_chars()
            .is_some_and(|max| value.chars().count() <= max)
        && hidden_char(value, field == Field::Message).is_none()
}

/// `SOURCE_PATTERN`'s rule.
pub fn is_valid_source(s: &str) -> bool {
    let mut bytes = s.bytes();
    s.len() <= SOURCE_MAX
        && bytes.next().is_some_and(|b| b.is_ascii_alphanumeric())
        && bytes.all(|b| b.is_ascii_alphanumeric() || b".:_-".contains(&b))
}

/// The characters a text field may not hold (`hidden_char`), as a JavaScript
/// regular expression that finds the first: the loader checks a partner's
/// prefilled values with it (`keel::embed::script_facts`).
pub fn hidden_pattern(multiline: bool) -> String {
    // C0 and C1 controls, DEL, bidi controls; with `multiline`, a line feed,
    // a tab, the two separators and a CR before a line feed are allowed.
    let bidi = "\\u202a-\\u202e\\u2066-\\u2069";
    if multiline {
        format!("[\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f{bidi}]|\\r(?!\\n)")
    } else {
        format!("[\\x00-\\x1f\\x7f-\\x9f\\u2028\\u2029{bidi}]")
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
            source: None,
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
            (|r| r.source = Some("spring 2027".into()), Field::Source),
            (|r| r.source = Some("-spring".into()), Field::Source),
            (
                |r| r.source = Some("s".repeat(SOURCE_MAX + 1)),
                Field::Source,
            ),
            (|r| r.source = Some("spring\n".into()), Field::Source),
            (|r| r.source = Some("printemps-é".into()), Field::Source),
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
            ("source", "newsletter:2027-03"),
        ] {
            assert_eq!(req.set_form_field(name, value.into()), Ok(true), "{name}");
        }
        assert_eq!(req.company, None, "a blank company is none");
        assert_eq!(req.budget, Some(Budget::From10kTo50k));
        assert!(req.consent);
        assert_eq!(req.website, None);
        assert_eq!(req.source.as_deref(), Some("newsletter:2027-03"));
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

    #[test]
    fn the_source_pattern_agrees_with_the_rule() {
        let pattern = fancy_regex::Regex::new(SOURCE_PATTERN).unwrap();
        let mut samples: Vec<String> = [
            "",
            "a",
            "spring-2027",
            "newsletter:03.b_c",
            "-a",
            ".a",
            "a b",
        ]
        .map(String::from)
        .to_vec();
        samples.extend(["x".repeat(SOURCE_MAX), "x".repeat(SOURCE_MAX + 1)]);
        // Every character after a valid first one, and in the first place.
        for c in (0..0x250u32)
            .chain([0x2028, 0x202e, 0xff0d])
            .filter_map(char::from_u32)
        {
            samples.push(format!("a{c}"));
            samples.push(c.to_string());
        }
        for s in samples {
            assert_eq!(pattern.is_match(&s).unwrap(), is_valid_source(&s), "{s:?}");
        }
        assert!(is_valid_source("spring-2027"));
        let bad = ContactRequest {
            source: Some("-".into()),
            ..ContactRequest::default()
        };
        let message = check_field(&bad, Field::Source).unwrap();
        assert!(message.contains(&format!(" {SOURCE_MAX} ")), "{message}");
    }

    #[test]
    fn the_hidden_patterns_find_what_hidden_char_finds() {
        for multiline in [false, true] {
            let pattern = fancy_regex::Regex::new(&hidden_pattern(multiline)).unwrap();
            let chars = (0..0x3000u32)
                .chain([0xfeff, 0xfffd])
                .filter_map(char::from_u32);
            for c in chars {
                for text in [format!("a{c}b"), format!("a{c}"), format!("{c}\n")] {
                    assert_eq!(
                        pattern.is_match(&text).unwrap(),
                        hidden_char(&text, multiline).is_some(),
                        "{text:?}, multiline {multiline}"
                    );
                }
            }
        }
    }

    #[test]
    fn a_partner_may_prefill_text_within_its_rules() {
        assert!(may_prefill(Field::Name, "Ada Lovelace"));
        assert!(
            may_prefill(Field::Email, "not yet an address"),
            "its form is the visitor's to fix"
        );
        assert!(may_prefill(Field::Message, "Line one\nline two"));
        assert!(may_prefill(Field::Name, &"n".repeat(NAME_MAX)));
        assert!(!may_prefill(Field::Name, &"n".repeat(NAME_MAX + 1)));
        assert!(!may_prefill(Field::Name, "Ada\nBcc: x@evil.example"));
        assert!(!may_prefill(Field::Company, "Acme\u{202e}"));
        assert!(!may_prefill(Field::Message, &"m".repeat(MESSAGE_MAX + 1)));
        for field in [Field::Budget, Field::Consent, Field::Source] {
            assert!(!may_prefill(field, "x"), "{field:?}");
        }
    }
}
