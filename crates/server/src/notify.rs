//! The notification worker: delivers each outbox row (email and/or webhook),
//! retrying with capped exponential backoff for as long as it takes. A row is
//! only ever marked delivered after the target accepted it; nothing is dropped.

use std::time::Duration;

use lettre::message::{Mailbox, header::ContentType};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use keel_model::contact::escape_controls;

use crate::config::{Smtp, Tls, Webhook};
use crate::store::{Channel, OutboxItem, Submission};
use crate::{AppState, now_ms};

/// The wait before retry number `attempts + 1`: `base`, doubling, never more
/// than an hour. There is no last attempt: a row stays pending until delivered.
pub fn backoff_ms(base: u64, attempts: i64) -> i64 {
    let cap: i64 = 3_600_000;
    (base as i64).max(1).saturating_mul(1i64 << attempts.clamp(0, 30)).min(cap)
}

/// The longest the worker sleeps when nothing wakes it and nothing is due.
const POLL: Duration = Duration::from_secs(5);

pub async fn run(state: AppState, mut shutdown: tokio::sync::watch::Receiver<bool>) {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("a TLS backend is compiled in");
    let base = state.config.retry_base_ms;
    loop {
        let store = state.store.clone();
        let due = tokio::task::spawn_blocking(move || store.due(now_ms(), 50)).await;
        match due {
            Ok(Ok(items)) => {
                for item in items {
                    let result = deliver(&state, &http, &item).await;
                    let store = state.store.clone();
                    let id = item.id;
                    let attempts = item.attempts;
                    let saved = tokio::task::spawn_blocking(move || match result {
                        Ok(()) => store.mark_delivered(id, now_ms()),
                        Err(e) => {
                            tracing::warn!(outbox = id, attempts = attempts + 1, error = %e, "notification failed; will retry");
                            store.mark_failed(id, &e, now_ms() + backoff_ms(base, attempts))
                        }
                    })
                    .await;
                    if let Ok(Err(e)) | Err(e) = saved.map_err(anyhow::Error::from) {
                        tracing::error!(error = ?e, "could not record a delivery attempt");
                    }
                }
            }
            Ok(Err(e)) => tracing::error!(error = ?e, "reading the outbox failed"),
            Err(e) => tracing::error!(error = ?e, "outbox task failed"),
        }
        // Sleep until the next retry is due (or POLL), unless a new submission wakes us.
        let store = state.store.clone();
        let next = tokio::task::spawn_blocking(move || store.next_due()).await.ok().and_then(Result::ok).flatten();
        let wait = next
            .map(|at| Duration::from_millis((at - now_ms()).clamp(0, POLL.as_millis() as i64) as u64))
            .unwrap_or(POLL);
        tokio::select! {
            _ = state.outbox_signal.notified() => {}
            _ = tokio::time::sleep(wait) => {}
            _ = shutdown.changed() => return,
        }
    }
}

async fn deliver(state: &AppState, http: &reqwest::Client, item: &OutboxItem) -> Result<(), String> {
    match item.channel {
        Channel::Email => match &state.config.smtp {
            Some(smtp) => send_email(smtp, &item.submission).await,
            None => Err("email is no longer configured (set smtp to deliver)".into()),
        },
        Channel::Webhook => match &state.config.webhook {
            Some(hook) => send_webhook(http, hook, &item.submission).await,
            None => Err("the webhook is no longer configured (set webhook.url to deliver)".into()),
        },
    }
}

async fn send_webhook(http: &reqwest::Client, hook: &Webhook, s: &Submission) -> Result<(), String> {
    let mut req = http.post(&hook.url).json(&serde_json::json!({
        "event": "contact.submitted",
        "submission": s,
    }));
    if let Some(secret) = &hook.secret {
        req = req.bearer_auth(secret);
    }
    let res = req.send().await.map_err(|e| format!("webhook: {e}"))?;
    if res.status().is_success() {
        Ok(())
    } else {
        Err(format!("webhook answered {}", res.status()))
    }
}

/// The notification email's subject and body. Stored text is written with
/// its hidden characters spelled out (`escape_controls`): a name cannot fake a
/// header or a line, a message cannot carry terminal escapes to whoever reads
/// the mail in a terminal.
fn email_text(s: &Submission) -> (String, String) {
    let line = |t: &str| escape_controls(t, false).into_owned();
    let subject = format!("New project enquiry from {}", line(&s.name));
    let body = format!(
        "Name: {}\nEmail: {}\nCompany: {}\nBudget: {}\nSubmission: {}\n\n{}\n",
        line(&s.name),
        line(&s.email),
        s.company.as_deref().map(line).unwrap_or_else(|| "-".into()),
        s.budget.as_deref().map(line).unwrap_or_else(|| "-".into()),
        s.id,
        escape_controls(&s.message, true)
    );
    (subject, body)
}

async fn send_email(smtp: &Smtp, s: &Submission) -> Result<(), String> {
    let from: Mailbox = smtp.from.parse().map_err(|e| format!("smtp.from: {e}"))?;
    let to: Mailbox = smtp.to.parse().map_err(|e| format!("smtp.to: {e}"))?;
    let (subject, body) = email_text(s);
    let mut builder = Message::builder().from(from).to(to).subject(subject).header(ContentType::TEXT_PLAIN);
    // Reply goes to the visitor; their address passed the HTML email rule.
    let reply_name = escape_controls(&s.name, false).replace(['<', '>', '"'], "");
    if let Ok(reply) = format!("{reply_name} <{}>", s.email).parse::<Mailbox>() {
        builder = builder.reply_to(reply);
    }
    let message = builder.body(body).map_err(|e| format!("building the email: {e}"))?;
    let mut transport = match smtp.tls {
        Tls::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&smtp.host).map_err(|e| e.to_string())?,
        Tls::Starttls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&smtp.host).map_err(|e| e.to_string())?,
        Tls::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&smtp.host),
    }
    .port(smtp.port)
    .timeout(Some(Duration::from_secs(15)));
    if let (Some(u), Some(p)) = (&smtp.username, &smtp.password) {
        transport = transport.credentials(Credentials::new(u.clone(), p.clone()));
    }
    transport.build().send(message).await.map(|_| ()).map_err(|e| format!("smtp: {e}"))
}

/// Spawn the worker; returns the sender that stops it.
pub fn spawn(state: AppState) -> (tokio::sync::watch::Sender<bool>, tokio::task::JoinHandle<()>) {
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
            deliveries: Vec::new(),
        };
        let (subject, body) = email_text(&s);
        assert_eq!(subject, "New project enquiry from Ada\\u{202e}ecalovoL\\u{a}Bcc: all@example.com");
        assert_eq!(
            body,
            "Name: Ada\\u{202e}ecalovoL\\u{a}Bcc: all@example.com\nEmail: ada@example.com\n\
             Company: Acme\\u{1b}[2J\\u{7}\nBudget: -\nSubmission: 0123\n\n\
             Hello\r\nthere\\u{8}\\u{8}\\u{8}\\u{d}fake\n\tbye\n"
        );
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
