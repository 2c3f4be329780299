//! The spam verdict of a contact request, from the signals the server has.
//! Every request is stored, whatever its verdict; the verdict decides who is
//! told. The rules, in order (docs/configuration.md, "Spam"):
//!
//! 1. The hidden field (`website`, the honeypot) is filled: **spam**.
//! 2. The same message (compared without case or spacing) was stored for two
//!    other senders in the last day: **spam** (a campaign).
//! 3. Otherwise points add up, and 3 or more make **spam**, 1 or 2 **review**,
//!    none **clean**:
//!    - three links or more in the message: 3; one or two: 1;
//!    - no valid proof of work (`challenge.rs`; a plain form post, a script
//!      posting directly, a solution used before): 1;
//!    - the form filled in under three seconds: 2.
//!
//! Spam is stored and listed (`submissions list --spam`) but notifies no
//! one; review notifies, marked so. Staff move a request with `submissions
//! spam ID` and `submissions not-spam ID` (which then notifies).

use keel_model::contact::ContactRequest;
pub use keel_store::{Judgement, Verdict};

/// What the server knows of a request besides its fields.
#[derive(Clone, Copy, Debug)]
pub struct Signals {
    /// The proof of work: solved (and not used before), or why not.
    pub proof: Result<(), &'static str>,
    /// How long the visitor took over the form, as the page's script says
    /// (`Keel-Filled-Ms`); none when no script of ours sent it.
    pub filled_ms: Option<u64>,
    /// Other senders of the same message in the last day.
    pub same_message_elsewhere: usize,
}

/// Under this, a form was filled in faster than a person types.
pub const HUMAN_MS: u64 = 3_000;

pub fn judge(request: &ContactRequest, signals: Signals) -> Judgement {
    let honeypot = request
        .website
        .as_deref()
        .is_some_and(|w| !w.trim().is_empty());
    if honeypot {
        return spam("the hidden field was filled in (a bot fills every field)");
    }
    if signals.same_message_elsewhere >= 2 {
        return spam(&format!(
            "the same message came from {} other senders in the last day",
            signals.same_message_elsewhere
        ));
    }
    let mut points = 0;
    let mut reasons = Vec::new();
    match links(&request.message) {
        0 => {}
        n @ (1 | 2) => {
            points += 1;
            reasons.push(format!("{n} link(s) in the message"));
        }
        n => {
            points += 3;
            reasons.push(format!("{n} links in the message"));
        }
    }
    if let Err(reason) = signals.proof {
        points += 1;
        reasons.push(reason.to_string());
    }
    if let Some(ms) = signals.filled_ms.filter(|ms| *ms < HUMAN_MS) {
        points += 2;
        reasons.push(format!(
            "the form was filled in {:.1} s",
            ms as f64 / 1000.0
        ));
    }
    let verdict = match points {
        0 => Verdict::Clean,
        1 | 2 => Verdict::Review,
        _ => Verdict::Spam,
    };
    Judgement {
        verdict,
        reasons: reasons.join("; "),
    }
}

fn spam(reason: &str) -> Judgement {
    Judgement {
        verdict: Verdict::Spam,
        reasons: reason.to_string(),
    }
}

/// Links in `text`: `http://`, `https://` and `www.` starts, any case.
fn links(text: &str) -> usize {
    let lower = text.to_lowercase();
    lower.matches("http://").count()
        + lower.matches("https://").count()
        + lower.matches("www.").count()
        - lower.matches("://www.").count()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(message: &str) -> ContactRequest {
        ContactRequest {
            name: "Ada".into(),
            email: "ada@example.com".into(),
            message: message.into(),
            consent: true,
            ..ContactRequest::default()
        }
    }

    const PERSON: Signals = Signals {
        filled_ms: Some(45_000),
        same_message_elsewhere: 0,
        proof: Ok(()),
    };

    #[test]
    fn a_person_with_the_script_is_clean() {
        let j = judge(
            &request("We need help scaling our Postgres cluster."),
            PERSON,
        );
        assert_eq!(
            j,
            Judgement {
                verdict: Verdict::Clean,
                reasons: String::new()
            }
        );
    }

    #[test]
    fn each_rule_gives_its_verdict_with_its_reason() {
        let cases: &[(&str, Signals, Option<&str>, Verdict, &str)] = &[
            (
                "Hello there, we need help.",
                PERSON,
                Some("http://x"),
                Verdict::Spam,
                "hidden field",
            ),
            (
                "Hello there, we need help.",
                Signals {
                    same_message_elsewhere: 2,
                    ..PERSON
                },
                None,
                Verdict::Spam,
                "2 other senders",
            ),
            (
                "Hello there, we need help.",
                Signals {
                    same_message_elsewhere: 1,
                    ..PERSON
                },
                None,
                Verdict::Clean,
                "",
            ),
            (
                "See https://a.example and www.b.example and http://c.example",
                PERSON,
                None,
                Verdict::Spam,
                "3 links",
            ),
            (
                "Our site is https://www.acme.example, have a look.",
                PERSON,
                None,
                Verdict::Review,
                "1 link(s)",
            ),
            (
                "Hello there, we need help.",
                Signals {
                    filled_ms: None,
                    proof: Err("no proof of work"),
                    ..PERSON
                },
                None,
                Verdict::Review,
                "no proof of work",
            ),
            (
                "Hello there, we need help.",
                Signals {
                    proof: Err("the proof of work was already used"),
                    ..PERSON
                },
                None,
                Verdict::Review,
                "already used",
            ),
            (
                "See https://a.example",
                Signals {
                    proof: Err("no proof of work"),
                    ..PERSON
                },
                None,
                Verdict::Review,
                "1 link(s)",
            ),
            (
                "Hello there, we need help.",
                Signals {
                    filled_ms: Some(1200),
                    ..PERSON
                },
                None,
                Verdict::Review,
                "filled in 1.2 s",
            ),
            (
                "Cheap pills at https://x.example",
                Signals {
                    filled_ms: Some(900),
                    ..PERSON
                },
                None,
                Verdict::Spam,
                "filled in 0.9 s",
            ),
        ];
        for (message, signals, honeypot, verdict, reason) in cases {
            let mut r = request(message);
            r.website = honeypot.map(str::to_string);
            let j = judge(&r, *signals);
            assert_eq!(j.verdict, *verdict, "{message:?} {signals:?}: {j:?}");
            assert!(j.reasons.contains(reason), "{j:?} lacks {reason:?}");
        }
    }
}
