//! A submission as a chat service's incoming webhook wants it
//! (`webhook.format`): Slack (Block Kit), Microsoft Teams (an Adaptive Card,
//! as Teams' Workflows webhooks take it) and Discord (an embed). Each names
//! the visitor, their company and budget, the first lines of the message, the
//! partner site and the source, and the submission's id to look it up with
//! the CLI; it links to nothing (the admin API is not a link to put in a
//! chat). A visitor's text is shown as text: Slack gets it as `plain_text`,
//! Teams and Discord with their Markdown escaped, and Discord may mention no
//! one. Each service's limits (a header's length, a field's) are kept.

use keel_model::contact::escape_controls;
use keel_store::Submission;
use serde::Deserialize;
use serde_json::{Value, json};

/// `webhook.format`: the shape of the webhook's body.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// `{"event":"contact.submitted","submission":{…}}`: every stored field.
    #[default]
    Json,
    Slack,
    Teams,
    Discord,
}

impl Format {
    pub const ALL: [Format; 4] = [Format::Json, Format::Slack, Format::Teams, Format::Discord];

    pub fn as_str(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Slack => "slack",
            Format::Teams => "teams",
            Format::Discord => "discord",
        }
    }

    pub fn parse(text: &str) -> Option<Format> {
        Format::ALL.into_iter().find(|f| f.as_str() == text)
    }
}

/// The lines of a message a chat shows, at most.
const EXCERPT_LINES: usize = 6;
/// The characters of a message a chat shows, at most.
const EXCERPT_CHARS: usize = 600;

/// The body to POST for `s` in `format`.
pub fn body(format: Format, s: &Submission) -> Value {
    let facts = chat_facts(s);
    let title = format!("New project enquiry from {}", line(&s.name));
    let excerpt = excerpt(&s.message);
    match format {
        Format::Json => json!({ "event": "contact.submitted", "submission": s }),
        Format::Slack => {
            let fields: Vec<Value> = facts
                .iter()
                .map(|(k, v)| json!({ "type": "plain_text", "text": cut(&format!("{k}: {v}"), 2000), "emoji": false }))
                .collect();
            json!({
                // The notification's own text (mrkdwn): the three characters
                // Slack reads as markup are escaped.
                "text": slack_escape(&cut(&title, 3000)),
                "blocks": [
                    { "type": "header", "text": { "type": "plain_text", "text": cut(&title, 150), "emoji": false } },
                    { "type": "section", "fields": fields },
                    { "type": "section", "text": { "type": "plain_text", "text": cut(&excerpt, 3000), "emoji": false } },
                ],
            })
        }
        Format::Teams => {
            let card = json!({
                "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                "type": "AdaptiveCard",
                "version": "1.4",
                "body": [
                    { "type": "TextBlock", "text": markdown_escape(&title), "weight": "Bolder", "size": "Medium", "wrap": true },
                    { "type": "FactSet", "facts": facts.iter().map(|(k, v)| json!({ "title": k, "value": markdown_escape(v) })).collect::<Vec<_>>() },
                    { "type": "TextBlock", "text": markdown_escape(&excerpt), "wrap": true },
                ],
            });
            json!({
                "type": "message",
                "attachments": [{ "contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": null, "content": card }],
            })
        }
        Format::Discord => json!({
            "username": "Keel",
            // Nobody is pinged, whatever the visitor wrote (@everyone, <@id>).
            "allowed_mentions": { "parse": [] },
            "embeds": [{
                "title": cut(&markdown_escape(&title), 256),
                "description": cut(&markdown_escape(&excerpt), 4096),
                "fields": facts.iter().map(|(k, v)| json!({ "name": k, "value": cut(&markdown_escape(v), 1024), "inline": true })).collect::<Vec<_>>(),
            }],
        }),
    }
}

/// The labelled facts every notification shows, in order (the email's
/// lines, the chats' fields); `-` for none.
pub(crate) fn facts(s: &Submission) -> Vec<(&'static str, String)> {
    vec![
        ("Name", line(&s.name)),
        ("Email", line(&s.email)),
        ("Company", or_none(s.company.as_deref())),
        ("Budget", or_none(s.budget.as_deref())),
        ("Partner site", or_none(s.partner_origin.as_deref())),
        ("Source", or_none(s.source.as_deref())),
        ("Submission", line(&s.id)),
    ]
}

/// A chat's facts: a request for review says why first.
fn chat_facts(s: &Submission) -> Vec<(&'static str, String)> {
    let mut facts = facts(s);
    if s.verdict == keel_store::Verdict::Review {
        facts.insert(0, ("Review", or_none(s.reasons.as_deref())));
    }
    facts
}

/// One line of stored text, its hidden characters written out.
pub(crate) fn line(text: &str) -> String {
    escape_controls(text, false).into_owned()
}

/// `line`, or `-` for none.
fn or_none(text: Option<&str>) -> String {
    text.map(line).unwrap_or_else(|| "-".into())
}

/// The message's first lines, shortened with `…` when there is more.
fn excerpt(message: &str) -> String {
    let message = escape_controls(message.trim(), true);
    let lines: Vec<&str> = message.lines().take(EXCERPT_LINES).collect();
    let mut out = cut(&lines.join("\n"), EXCERPT_CHARS);
    if out.chars().count() < message.chars().count() && !out.ends_with('…') {
        out.push('…');
    }
    out
}

/// `text` within `max` characters, ending in `…` when it was longer.
fn cut(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// Slack's escaping for text it reads as mrkdwn: `&`, `<` and `>`.
fn slack_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The characters that make Markdown markup with a backslash before each
/// (CommonMark's escapes, which Teams' and Discord's Markdown honour): a
/// visitor's `[x](…)` is text, not a link; `**` is not bold; `<@id>` is
/// no mention.
fn markdown_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if "\\`*_[]<>~|".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hostile() -> Submission {
        Submission {
            id: "01J0000000000000000000000".into(),
            created_at: 1,
            name: "<!channel> Ada **Bold** [click](https://evil.example) @everyone".into(),
            email: "ada@example.com".into(),
            company: Some("Acme & <Sons>".into()),
            budget: Some("over_150k".into()),
            message: format!("line one\nline two <@123>\n{}", "x\n".repeat(40)),
            consent: true,
            spam: false,
            handled_at: None,
            partner_origin: Some("https://partner.example".into()),
            source: Some("spring-2027".into()),
            verdict: keel_store::Verdict::Review,
            reasons: Some("1 link(s) in the message".into()),
            deliveries: Vec::new(),
        }
    }

    #[test]
    fn the_formats_read_as_their_setting_names() {
        for f in Format::ALL {
            assert_eq!(Format::parse(f.as_str()), Some(f));
            let toml: std::collections::HashMap<String, Format> =
                toml::from_str(&format!("f = \"{}\"", f.as_str())).unwrap();
            assert_eq!(toml["f"], f);
        }
        assert_eq!(Format::parse("Slack"), None);
    }

    #[test]
    fn a_visitors_markup_is_text_in_every_chat() {
        let s = hostile();
        // Slack: the visitor's text only as plain_text (never parsed), and
        // the notification text (mrkdwn) escaped.
        let slack = body(Format::Slack, &s);
        assert!(
            slack["text"].as_str().unwrap().contains("&lt;!channel&gt;"),
            "{slack}"
        );
        assert!(
            !slack.to_string().contains("\"type\":\"mrkdwn\""),
            "{slack}"
        );
        let teams = body(Format::Teams, &s).to_string();
        assert!(teams.contains(r"\\[click\\](https://evil"), "{teams}");
        let discord = body(Format::Discord, &s);
        assert_eq!(discord["allowed_mentions"]["parse"], json!([]));
        let text = discord.to_string();
        assert!(
            !text.contains("**Bold**") && !text.contains("[click](") && !text.contains("<@123>"),
            "{text}"
        );
        for f in [Format::Slack, Format::Teams, Format::Discord] {
            let text = body(f, &s).to_string();
            // Every fact is there, and the message's first lines, not all of them.
            for needle in ["partner", "spring", "over", "Acme", "line one"] {
                assert!(text.contains(needle), "{f:?} lacks {needle}: {text}");
            }
            assert!(
                text.matches("x\\n").count() < 10,
                "{f:?} shows the whole message"
            );
            assert!(!text.contains("/api/"), "{f:?} links to the API: {text}");
        }
    }

    #[test]
    fn long_text_is_cut_to_each_services_limits() {
        let s = Submission {
            name: "N".repeat(400),
            company: Some("C".repeat(3000)),
            message: "m".repeat(5000),
            ..hostile()
        };
        let slack = body(Format::Slack, &s);
        assert!(
            slack["blocks"][0]["text"]["text"]
                .as_str()
                .unwrap()
                .chars()
                .count()
                <= 150
        );
        let discord = body(Format::Discord, &s);
        assert!(
            discord["embeds"][0]["title"]
                .as_str()
                .unwrap()
                .chars()
                .count()
                <= 256
        );
        for field in discord["embeds"][0]["fields"].as_array().unwrap() {
            assert!(field["value"].as_str().unwrap().chars().count() <= 1024);
        }
        assert_eq!(cut("abcdef", 4), "abc…");
        assert_eq!(cut("abc", 3), "abc");
    }

    /// Each chat body, for an ordinary and a hostile, oversized submission,
    /// against the shape its service documents (tests/fixtures/chat/).
    #[test]
    fn each_body_is_what_its_service_documents() {
        let schemas = [
            (
                Format::Slack,
                include_str!("../tests/fixtures/chat/slack.schema.json"),
            ),
            (
                Format::Teams,
                include_str!("../tests/fixtures/chat/teams.schema.json"),
            ),
            (
                Format::Discord,
                include_str!("../tests/fixtures/chat/discord.schema.json"),
            ),
        ];
        let huge = Submission {
            name: "N".repeat(400),
            company: Some("C".repeat(3000)),
            message: "m".repeat(5000),
            ..hostile()
        };
        let plain = Submission {
            company: None,
            budget: None,
            partner_origin: None,
            source: None,
            message: "Hello".into(),
            ..hostile()
        };
        for (format, schema) in schemas {
            let schema: Value = serde_json::from_str(schema).unwrap();
            let validator = jsonschema::validator_for(&schema).unwrap();
            for s in [&hostile(), &huge, &plain] {
                let body = body(format, s);
                let errors: Vec<String> = validator
                    .iter_errors(&body)
                    .map(|e| format!("{e} at {}", e.instance_path()))
                    .collect();
                assert!(errors.is_empty(), "{format:?}: {errors:?}\n{body:#}");
                let size = body.to_string().len();
                match format {
                    // Teams takes a message of at most 28 KB.
                    Format::Teams => assert!(size < 28 * 1024, "{size}"),
                    // Discord: all of an embed's text, 6,000 characters.
                    Format::Discord => {
                        let e = &body["embeds"][0];
                        let mut n = e["title"].as_str().unwrap().chars().count()
                            + e["description"].as_str().unwrap().chars().count();
                        for f in e["fields"].as_array().unwrap() {
                            n += f["name"].as_str().unwrap().chars().count()
                                + f["value"].as_str().unwrap().chars().count();
                        }
                        assert!(n <= 6000, "{n}");
                    }
                    _ => {}
                }
            }
        }
    }
}
