//! The notification worker: delivers each outbox row (email and/or webhook).
//! A transient failure (the target is down, a timeout, a 5xx) is retried with
//! capped exponential backoff for as long as it takes; a permanent one (an
//! SMTP 5xx, a redirect, a 4xx, an address that cannot be used) is marked
//! failed and left for the operator (`submissions retry` after fixing it). A
//! row is only ever marked delivered after the target accepted it; nothing is
//! dropped. Errors name the webhook by scheme and host only: its path and
//! query often carry a secret.

use std::time::Duration;

use lettre::message::{Mailbox, header::ContentType};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use keel_model::contact::escape_controls;

use crate::config::{Smtp, Tls, Webhook, redact_url};
use crate::{AppState, now_ms};
use keel_store::{Channel, OutboxItem, Submission, error_chain};

/// The wait before retry number `attempts + 1`: `base`, doubling, never more
/// than an hour. A transient failure has no last attempt: the row stays
/// pending until delivered or failed permanently.
pub fn backoff_ms(base: u64, attempts: i64) -> i64 {
    let cap: i64 = 3_600_000;
    (base as i64)
        .max(1)
        .saturating_mul(1i64 << attempts.clamp(0, 30))
        .min(cap)
}

/// Rows claimed at once. Each is sent in turn within the claim's lease
/// (`outbox_lease_seconds`, 2 minutes by default): 5 sends at the 15-second
/// SMTP timeout fit.
const BATCH: usize = 5;

/// The longest the worker sleeps when nothing wakes it and nothing is due.
const POLL: Duration = Duration::from_secs(5);

/// The wait after the outbox could not be read `failures` times in a row
/// (the database is down or unreachable): 1 s, doubling, at most a minute,
/// instead of asking a dead database every `POLL`. A new submission still
/// wakes the worker at once: it means the database is back.
pub fn store_retry_wait(failures: u32) -> Duration {
    let ms = backoff_ms(1_000, i64::from(failures.saturating_sub(1))).min(60_000);
    Duration::from_millis(ms as u64)
}

/// Why a delivery did not happen, and whether trying again can help.
#[derive(Debug, PartialEq, Eq)]
pub enum Failure {
    /// Worth retrying: the target is down, slow or overloaded.
    Transient(String),
    /// Not worth retrying until a setting or the target changes.
    Permanent(String),
}

pub async fn run(state: AppState, mut shutdown: tokio::sync::watch::Receiver<bool>) {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        // A redirect would turn the POST into a bodyless GET (301/302/303)
        // that then counts as delivered; a 3xx is an answer to act on instead.
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("a TLS backend is compiled in");
    let base = state.config.retry_base_ms;
    let lease_ms = state.config.outbox_lease_seconds.saturating_mul(1000) as i64;
    // Reads of the outbox that failed in a row; 0 while the database answers.
    let mut store_failures: u32 = 0;
    loop {
        match state.store.claim_due(now_ms(), BATCH, lease_ms).await {
            Ok(items) => {
                if store_failures > 0 {
                    tracing::info!(failures = store_failures, "the outbox can be read again");
                    store_failures = 0;
                }
                for item in items {
                    let result = deliver(&state, &http, &item).await;
                    let (id, attempts, channel) = (item.id, item.attempts, item.channel);
                    let saved = match result {
                        Ok(()) => state.store.mark_delivered(id, now_ms()).await,
                        Err(Failure::Transient(e)) => {
                            tracing::warn!(outbox = id, %channel, attempts = attempts + 1, error = %e, "notification failed; will retry");
                            state
                                .store
                                .mark_for_retry(id, &e, now_ms() + backoff_ms(base, attempts))
                                .await
                        }
                        Err(Failure::Permanent(e)) => {
                            tracing::error!(
                                outbox = id, %channel, attempts = attempts + 1, error = %e,
                                "notification failed permanently; not retried (fix the cause, then `keel-server submissions retry ID`)"
                            );
                            state.store.mark_failed(id, &e).await
                        }
                    };
                    if let Err(e) = saved {
                        tracing::error!(error = ?e, "could not record a delivery attempt");
                    }
                }
            }
            Err(e) => {
                store_failures = store_failures.saturating_add(1);
                tracing::error!(
                    error = ?e, failures = store_failures,
                    retry_in_ms = store_retry_wait(store_failures).as_millis() as u64,
                    "reading the outbox failed; retrying with backoff"
                );
            }
        }
        // Sleep until the next retry is due (or POLL), or, while the database
        // fails, for the backoff; unless a new submission wakes us.
        let wait = if store_failures > 0 {
            store_retry_wait(store_failures)
        } else {
            let next = state.store.next_due().await.ok().flatten();
            next.map(|at| {
                Duration::from_millis((at - now_ms()).clamp(0, POLL.as_millis() as i64) as u64)
            })
            .unwrap_or(POLL)
        };
        tokio::select! {
            _ = state.outbox_signal.notified() => {}
            _ = tokio::time::sleep(wait) => {}
            _ = shutdown.changed() => return,
        }
    }
}

async fn deliver(
    state: &AppState,
    http: &reqwest::Client,
    item: &OutboxItem,
) -> Result<(), Failure> {
    // A channel switched off since the row was written stays pending: it is
    // delivered once the setting is back.
    match item.channel {
        Channel::Email => match &state.config.smtp {
            Some(smtp) => send_email(smtp, &item.submission).await,
            None => Err(Failure::Transient(
                "email is no longer configured (set smtp to deliver)".into(),
            )),
        },
        Channel::Webhook => match &state.config.webhook {
            Some(hook) => send_webhook(http, hook, &item.submission).await,
            None => Err(Failure::Transient(
                "the webhook is no longer configured (set webhook.url to deliver)".into(),
            )),
        },
    }
}

async fn send_webhook(
    http: &reqwest::Client,
    hook: &Webhook,
    s: &Submission,
) -> Result<(), Failure> {
    let target = redact_url(&hook.url);
    let mut req = http
        .post(&hook.url)
        .json(&crate::chat::body(hook.format, s));
    if let Some(secret) = &hook.secret {
        req = req.bearer_auth(secret);
    }
    let res = match req.send().await {
        Ok(res) => res,
        Err(e) => {
            // An unusable URL will not become usable; a connection may.
            let permanent = e.is_builder();
            let text = format!("webhook {target}: {}", error_chain(&e.without_url()))
                .replace(&hook.url, &target);
            return Err(if permanent {
                Failure::Permanent(text)
            } else {
                Failure::Transient(text)
            });
        }
    };
    webhook_status(&target, res.status())
}

/// A webhook's answer: 2xx is delivered; 408, 425, 429 and 5xx are worth
/// retrying; a redirect or another 4xx will not change by itself.
fn webhook_status(target: &str, status: reqwest::StatusCode) -> Result<(), Failure> {
    let text = format!("webhook {target} answered {status}");
    if status.is_success() {
        Ok(())
    } else if status.is_redirection() {
        Err(Failure::Permanent(format!(
            "{text}; redirects are not followed: set webhook.url to the final address"
        )))
    } else if status.is_server_error() || matches!(status.as_u16(), 408 | 425 | 429) {
        Err(Failure::Transient(text))
    } else {
        Err(Failure::Permanent(text))
    }
}

/// The notification email's subject and body. Stored text is written with
/// its hidden characters spelled out (`escape_controls`): a name cannot fake a
/// header or a line, a message cannot carry terminal escapes to whoever reads
/// the mail in a terminal.
fn email_text(s: &Submission) -> (String, String) {
    use crate::chat::line;
    // A request to look at twice says so first.
    let review = s.verdict == keel_store::Verdict::Review;
    let subject = format!(
        "{}New project enquiry from {}",
        if review { "[review] " } else { "" },
        line(&s.name)
    );
    let mut body = String::new();
    if review {
        let reasons = line(s.reasons.as_deref().unwrap_or_default());
        body.push_str(&format!("Marked for review: {reasons}.\n\n"));
    }
    for (label, value) in crate::chat::facts(s) {
        body.push_str(&format!("{label}: {value}\n"));
    }
    body.push_str(&format!("\n{}\n", escape_controls(&s.message, true)));
    (subject, body)
}

async fn send_email(smtp: &Smtp, s: &Submission) -> Result<(), Failure> {
    // Checked at start (config.rs); kept permanent here should a bad one slip through.
    let from: Mailbox = smtp
        .from
        .parse()
        .map_err(|e| Failure::Permanent(format!("smtp.from: {e}")))?;
    let to: Mailbox = smtp
        .to
        .parse()
        .map_err(|e| Failure::Permanent(format!("smtp.to: {e}")))?;
    let (subject, body) = email_text(s);
    let mut builder = Message::builder()
        .from(from)
        .to(to)
        .subject(subject)
        .header(ContentType::TEXT_PLAIN);
    // Reply goes to the visitor; their address passed the HTML email rule.
    let reply_name = escape_controls(&s.name, false).replace(['<', '>', '"'], "");
    if let Ok(reply) = format!("{reply_name} <{}>", s.email).parse::<Mailbox>() {
        builder = builder.reply_to(reply);
    }
    let message = builder
        .body(body)
        .map_err(|e| Failure::Permanent(format!("building the email: {e}")))?;
    let relay = match smtp.tls {
        Tls::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&smtp.host),
        Tls::Starttls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&smtp.host),
        Tls::None => Ok(AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(
            &smtp.host,
        )),
    };
    let mut transport = relay
        .map_err(|e| Failure::Permanent(format!("smtp {}: {}", smtp.host, error_chain(&e))))?
        .port(smtp.port)
        .timeout(Some(Duration::from_secs(15)));
    if let (Some(u), Some(p)) = (&smtp.username, &smtp.password) {
        transport = transport.credentials(Credentials::new(u.clone(), p.clone()));
    }
    transport
        .build()
        .send(message)
        .await
        .map(|_| ())
        .map_err(|e| {
            let text = format!("smtp {}:{}: {}", smtp.host, smtp.port, error_chain(&e));
            // A 5xx answer is the server's final word (unknown recipient, relaying
            // denied, a rejected sender); anything else (4xx, connection, TLS, a
            // timeout) may pass.
            if e.is_permanent() {
                Failure::Permanent(text)
            } else {
                Failure::Transient(text)
            }
        })
}

/// Spawn the worker; returns the sender that stops it.
pub fn spawn(
    state: AppState,
) -> (
    tokio::sync::watch::Sender<bool>,
    tokio::task::JoinHandle<()>,
) {
    let (tx, rx) = tokio::sync::watch::channel(false);
    let handle = tokio::spawn(run(state, rx));
    (tx, handle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_email_spells_out_hidden_characters() {
        let s = Submission {
            id: "0123".into(),
            created_at: 1,
            name: "Ada\u{202E}ecalovoL\nBcc: all@example.com".into(),
            email: "ada@example.com".into(),
            company: Some("Acme\u{1b}[2J\u{7}".into()),
            budget: None,
            message: "Hello\r\nthere\u{8}\u{8}\u{8}\rfake\n\tbye".into(),
            consent: true,
            spam: false,
            handled_at: None,
            partner_origin: None,
            source: None,
            verdict: keel_store::Verdict::Clean,
            reasons: None,
            deliveries: Vec::new(),
        };
        let (subject, body) = email_text(&s);
        assert_eq!(
            subject,
            "New project enquiry from Ada\\u{202e}ecalovoL\\u{a}Bcc: all@example.com"
        );
        assert_eq!(
            body,
            "Name: Ada\\u{202e}ecalovoL\\u{a}Bcc: all@example.com\nEmail: ada@example.com\n\
             Company: Acme\\u{1b}[2J\\u{7}\nBudget: -\nPartner site: -\nSource: -\nSubmission: 0123\n\n\
             Hello\r\nthere\\u{8}\\u{8}\\u{8}\\u{d}fake\n\tbye\n"
        );
        let from_partner = Submission {
            partner_origin: Some("https://partner.example".into()),
            source: Some("spring-2027".into()),
            ..s.clone()
        };
        assert!(
            email_text(&from_partner)
                .1
                .contains("\nPartner site: https://partner.example\nSource: spring-2027\n")
        );
        let review = Submission {
            verdict: keel_store::Verdict::Review,
            reasons: Some("sent without the page's script".into()),
            ..s
        };
        let (subject, body) = email_text(&review);
        assert!(
            subject.starts_with("[review] New project enquiry"),
            "{subject}"
        );
        assert!(
            body.starts_with("Marked for review: sent without the page's script.\n\n"),
            "{body}"
        );
    }

    #[test]
    fn webhook_answers_are_delivered_retried_or_given_up() {
        use reqwest::StatusCode as S;
        let t = "https://hooks.example";
        assert_eq!(webhook_status(t, S::NO_CONTENT), Ok(()));
        assert_eq!(webhook_status(t, S::OK), Ok(()));
        for transient in [
            S::INTERNAL_SERVER_ERROR,
            S::BAD_GATEWAY,
            S::SERVICE_UNAVAILABLE,
            S::REQUEST_TIMEOUT,
            S::TOO_MANY_REQUESTS,
        ] {
            assert!(
                matches!(webhook_status(t, transient), Err(Failure::Transient(_))),
                "{transient}"
            );
        }
        for permanent in [
            S::MOVED_PERMANENTLY,
            S::FOUND,
            S::SEE_OTHER,
            S::TEMPORARY_REDIRECT,
            S::NOT_FOUND,
            S::UNAUTHORIZED,
            S::GONE,
        ] {
            assert!(
                matches!(webhook_status(t, permanent), Err(Failure::Permanent(_))),
                "{permanent}"
            );
        }
        let Err(Failure::Permanent(text)) = webhook_status(t, S::FOUND) else {
            panic!()
        };
        assert_eq!(
            text,
            "webhook https://hooks.example answered 302 Found; redirects are not followed: set webhook.url to the final address"
        );
    }

    #[test]
    fn an_unreachable_database_is_retried_with_growing_waits() {
        let waits: Vec<u64> = (1..=8)
            .map(|n| store_retry_wait(n).as_millis() as u64)
            .collect();
        assert_eq!(
            waits,
            [1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000]
        );
        assert_eq!(store_retry_wait(u32::MAX), Duration::from_secs(60));
    }

    #[test]
    fn backoff_doubles_then_caps() {
        assert_eq!(backoff_ms(5_000, 0), 5_000);
        assert_eq!(backoff_ms(5_000, 1), 10_000);
        assert_eq!(backoff_ms(5_000, 3), 40_000);
        assert_eq!(backoff_ms(5_000, 30), 3_600_000);
        assert_eq!(backoff_ms(5_000, 1_000), 3_600_000);
    }
}
