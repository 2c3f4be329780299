//! The contact store: submissions and their notification outbox, behind one
//! interface the rest of the server uses without seeing SQL.
//!
//! `Store` is an enum over the backends rather than a trait object: there are
//! two, both known here, and an enum keeps the methods plain `async fn`s
//! (no boxed futures, no `async-trait`), lets a `match` show at a glance that
//! every backend implements every method, and costs nothing to call.
//!
//! - `sqlite`: one file, the default and the embedded choice for one machine.
//!   Its calls are blocking; they run on `spawn_blocking` here.
//! - `postgres`: one PostgreSQL database shared by any number of instances
//!   (`database = "postgres://…"`).
//!
//! Every method is async; a stored submission is durable when `insert`
//! returns (the handler answers 201 only then). The types below carry no SQL.

mod postgres;
mod sqlite;

/// The columns each backend's row mapping (`submission`) reads, in its order,
/// from `submissions` aliased `s`: one list for both dialects.
const SUBMISSION_COLUMNS: &str = "s.id, s.created_at, s.name, s.email, s.company, s.budget, s.message, s.consent, s.spam, s.handled_at, s.partner_origin, s.source, s.verdict, s.reasons";

use std::path::Path;
use std::sync::Arc;

use keel_model::contact::ContactRequest;
use serde::Serialize;

pub use postgres::PgStore;
pub use sqlite::SqliteStore;

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Submission {
    pub id: String,
    pub created_at: i64,
    pub name: String,
    pub email: String,
    pub company: Option<String>,
    pub budget: Option<String>,
    pub message: String,
    pub consent: bool,
    pub spam: bool,
    pub handled_at: Option<i64>,
    /// The partner site the submission came from (an entry of
    /// `allowed_origins`), or none for the site itself.
    pub partner_origin: Option<String>,
    /// The source the partner's page named (`data-keel-source`, a campaign),
    /// if any.
    pub source: Option<String>,
    /// What staff are told of it (`spam` is this being `Spam`), and why.
    pub verdict: Verdict,
    pub reasons: Option<String>,
    pub deliveries: Vec<Delivery>,
}

/// A request's spam verdict (the server's `verdict.rs` gives it): clean and
/// review are notified (review marked so), spam only stored and listed.
/// Stored and sent on the wire as `as_str()`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Clean,
    Review,
    Spam,
}

/// A verdict and its reasons, in words staff read (`; ` between them; empty
/// for none). The server's `verdict.rs` gives it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Judgement {
    pub verdict: Verdict,
    pub reasons: String,
}

impl Judgement {
    pub const CLEAN: Judgement = Judgement {
        verdict: Verdict::Clean,
        reasons: String::new(),
    };
    pub const SPAM: Judgement = Judgement {
        verdict: Verdict::Spam,
        reasons: String::new(),
    };
}

/// A message as the repeated-message rule compares it (lower case, words
/// separated by one space), hashed: SHA-256 in hex.
pub fn message_fingerprint(message: &str) -> String {
    use sha2::Digest;
    let normal = message
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase();
    sha2::Sha256::digest(normal.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Where a notification goes. Stored and sent on the wire as `as_str()`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Email,
    Webhook,
}

/// Where a notification stands. Stored and sent on the wire as `as_str()`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    /// Not delivered yet; retried at `next_attempt_at`.
    Pending,
    /// The target accepted it.
    Delivered,
    /// Refused for good (an SMTP 5xx, a malformed address, a redirect): not
    /// retried until the operator requeues it (`submissions retry`).
    Failed,
}

macro_rules! text_enum {
    ($ty:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        impl $ty {
            pub const ALL: &[$ty] = &[$($ty::$variant),+];
            pub fn as_str(self) -> &'static str {
                match self {
                    $($ty::$variant => $text),+
                }
            }
            /// The value stored as `text`; an error naming it otherwise.
            pub fn from_stored(text: &str) -> Result<$ty, String> {
                $ty::ALL.iter().copied().find(|v| v.as_str() == text).ok_or_else(|| {
                    format!(concat!("unknown ", stringify!($ty), " {:?} in the database"), text)
                })
            }
        }
        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

text_enum!(Channel { Email => "email", Webhook => "webhook" });
text_enum!(Verdict { Clean => "clean", Review => "review", Spam => "spam" });
text_enum!(DeliveryState { Pending => "pending", Delivered => "delivered", Failed => "failed" });

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Delivery {
    pub channel: Channel,
    pub state: DeliveryState,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub delivered_at: Option<i64>,
    pub next_attempt_at: i64,
}

#[derive(Clone, Debug)]
pub struct OutboxItem {
    pub id: i64,
    pub channel: Channel,
    pub attempts: i64,
    pub submission: Submission,
}

#[derive(Debug)]
pub enum Inserted {
    New(String),
    /// The idempotency key was seen before with the same body, or (without a
    /// key) the same body was stored within the double-submit window: the
    /// first id.
    Replayed(String),
    /// The idempotency key was seen before with a different body.
    KeyReused,
}

#[derive(Clone, Copy, Debug, Default)]
pub struct ListFilter {
    pub include_spam: bool,
    pub include_handled: bool,
}

/// A submission with everything stored about it: what `Store::export` reads
/// and `Store::import` writes, to move submissions between stores.
#[derive(Clone, Debug, PartialEq)]
pub struct Record {
    pub submission: Submission,
    pub idempotency_key: Option<String>,
    pub request_hash: Option<String>,
}

/// A submission to store (`Store::insert`).
#[derive(Clone, Debug)]
pub struct NewSubmission<'a> {
    pub request: &'a ContactRequest,
    /// Spam gets no outbox rows.
    pub judgement: Judgement,
    pub idempotency_key: Option<&'a str>,
    pub request_hash: &'a str,
    pub channels: &'a [Channel],
    pub now_ms: i64,
    /// Without a key: a submission with the same `request_hash` and no key
    /// stored at or after this time is the same one sent twice, answered
    /// `Replayed`. Checked inside the insert's transaction, so two copies
    /// racing each other store one row.
    pub duplicate_since_ms: i64,
    /// The partner site it came from (already checked against `allowed_origins`).
    pub partner_origin: Option<&'a str>,
}

/// What `Store::backup` wrote.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Backup {
    /// Submissions in the copy.
    pub submissions: i64,
    /// The copy's size in bytes.
    pub bytes: u64,
}

/// How long a claimed outbox row is held by the worker that claimed it, by
/// default (`outbox_lease_seconds`; `Store::claim_due`): another worker may
/// take it once this has passed, so a worker that dies mid-send leaves the
/// row to be retried.
pub const CLAIM_LEASE_MS: i64 = 2 * 60 * 1000;

#[derive(Clone)]
pub enum Store {
    Sqlite(Arc<SqliteStore>),
    Postgres(Arc<PgStore>),
}

impl Store {
    /// The store `database` names: a `postgres://` (or `postgresql://`) URL,
    /// with at most `pool_size` connections; otherwise a file path (SQLite).
    pub async fn open(database: &Path, pool_size: usize) -> anyhow::Result<Store> {
        let text = database.to_string_lossy();
        if let Some((scheme, _)) = text.split_once("://") {
            if matches!(scheme, "postgres" | "postgresql") {
                let p = PgStore::connect(&text, pool_size).await?;
                return Ok(Store::Postgres(Arc::new(p)));
            }
            if !scheme.is_empty()
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
            {
                anyhow::bail!(
                    "database = \"{scheme}://…\" is not supported: give a postgres:// URL, or a file path for SQLite"
                );
            }
        }
        let path = database.to_path_buf();
        let s = tokio::task::spawn_blocking(move || SqliteStore::open(&path)).await??;
        Ok(Store::Sqlite(Arc::new(s)))
    }

    /// What the store is, as logs may show it (never a password).
    pub fn describe(&self) -> String {
        match self {
            Store::Sqlite(s) => s.describe(),
            Store::Postgres(p) => p.describe(),
        }
    }

    pub fn open_sqlite_in_memory() -> anyhow::Result<Store> {
        Ok(Store::Sqlite(Arc::new(SqliteStore::open_in_memory()?)))
    }

    /// Store a submission, and for non-spam one outbox row per channel, in one
    /// transaction. Returns after the commit is durable.
    pub async fn insert(&self, new: NewSubmission<'_>) -> anyhow::Result<Inserted> {
        match self {
            Store::Postgres(p) => p.insert(&new).await,
            Store::Sqlite(s) => {
                let request = new.request.clone();
                let key = new.idempotency_key.map(str::to_string);
                let hash = new.request_hash.to_string();
                let channels = new.channels.to_vec();
                let judgement = new.judgement.clone();
                let (now_ms, since) = (new.now_ms, new.duplicate_since_ms);
                let partner = new.partner_origin.map(str::to_string);
                blocking(s, move |s| {
                    s.insert(&NewSubmission {
                        request: &request,
                        judgement,
                        idempotency_key: key.as_deref(),
                        request_hash: &hash,
                        channels: &channels,
                        now_ms,
                        duplicate_since_ms: since,
                        partner_origin: partner.as_deref(),
                    })
                })
                .await
            }
        }
    }

    /// The stored answer for an idempotency key, if the key was used before.
    pub async fn replay(&self, key: &str, request_hash: &str) -> anyhow::Result<Option<Inserted>> {
        match self {
            Store::Postgres(p) => p.replay(key, request_hash).await,
            Store::Sqlite(s) => {
                let (key, hash) = (key.to_string(), request_hash.to_string());
                blocking(s, move |s| s.replay(&key, &hash)).await
            }
        }
    }

    /// A submission without a key whose body was exactly this one, stored at
    /// or after `since_ms`: a double submit (a form posted twice, a client that
    /// sends no key and retries).
    pub async fn recent_duplicate(
        &self,
        request_hash: &str,
        since_ms: i64,
    ) -> anyhow::Result<Option<String>> {
        match self {
            Store::Postgres(p) => p.recent_duplicate(request_hash, since_ms).await,
            Store::Sqlite(s) => {
                let hash = request_hash.to_string();
                blocking(s, move |s| s.recent_duplicate(&hash, since_ms)).await
            }
        }
    }

    /// Submissions, newest first, with their deliveries.
    pub async fn list(&self, filter: ListFilter) -> anyhow::Result<Vec<Submission>> {
        match self {
            Store::Postgres(p) => p.list(filter).await,
            Store::Sqlite(s) => blocking(s, move |s| s.list(filter)).await,
        }
    }

    pub async fn get(&self, id: &str) -> anyhow::Result<Option<Submission>> {
        match self {
            Store::Postgres(p) => p.get(id).await,
            Store::Sqlite(s) => {
                let id = id.to_string();
                blocking(s, move |s| s.get(&id)).await
            }
        }
    }

    pub async fn count(&self) -> anyhow::Result<i64> {
        match self {
            Store::Postgres(p) => p.count().await,
            Store::Sqlite(s) => blocking(s, |s| s.count()).await,
        }
    }

    /// Returns false when there is no such submission.
    pub async fn mark_handled(&self, id: &str, now_ms: i64) -> anyhow::Result<bool> {
        match self {
            Store::Postgres(p) => p.mark_handled(id, now_ms).await,
            Store::Sqlite(s) => {
                let id = id.to_string();
                blocking(s, move |s| s.mark_handled(&id, now_ms)).await
            }
        }
    }

    /// Erase a submission and its outbox rows (privacy requests), from the
    /// tables and from the files. False when there is no such submission.
    pub async fn delete(&self, id: &str) -> anyhow::Result<bool> {
        match self {
            Store::Postgres(p) => p.delete(id).await,
            Store::Sqlite(s) => {
                let id = id.to_string();
                blocking(s, move |s| s.delete(&id)).await
            }
        }
    }

    /// How many other senders (emails) stored the same message (by
    /// `message_fingerprint`) since `since_ms`: the repeated-message rule.
    pub async fn same_message_elsewhere(
        &self,
        message: &str,
        email: &str,
        since_ms: i64,
    ) -> anyhow::Result<usize> {
        match self {
            Store::Postgres(p) => p.same_message_elsewhere(message, email, since_ms).await,
            Store::Sqlite(s) => {
                let (message, email) = (message.to_string(), email.to_string());
                blocking(s, move |s| {
                    s.same_message_elsewhere(&message, &email, since_ms)
                })
                .await
            }
        }
    }

    /// Staff's verdict on a submission (`submissions spam` / `not-spam`).
    /// Spam: its pending notifications are dropped. Not spam: one is queued
    /// per channel it has none for, so it is sent now. `None`: no such
    /// submission; else how many notifications were queued.
    pub async fn set_verdict(
        &self,
        id: &str,
        verdict: Verdict,
        channels: &[Channel],
        now_ms: i64,
    ) -> anyhow::Result<Option<usize>> {
        match self {
            Store::Postgres(p) => p.set_verdict(id, verdict, channels, now_ms).await,
            Store::Sqlite(s) => {
                let (id, channels) = (id.to_string(), channels.to_vec());
                blocking(s, move |s| s.set_verdict(&id, verdict, &channels, now_ms)).await
            }
        }
    }

    /// Record that a proof-of-work `challenge` (good until `expires_ms`) was
    /// used: true the first time, on any instance; false ever after. Used
    /// challenges past their expiry are dropped as it goes.
    pub async fn use_challenge(
        &self,
        challenge: &str,
        expires_ms: i64,
        now_ms: i64,
    ) -> anyhow::Result<bool> {
        match self {
            Store::Postgres(p) => p.use_challenge(challenge, expires_ms, now_ms).await,
            Store::Sqlite(s) => {
                let challenge = challenge.to_string();
                blocking(s, move |s| s.use_challenge(&challenge, expires_ms, now_ms)).await
            }
        }
    }

    /// The server's setting `key`, set to `first` by whichever instance asks
    /// first: every instance gets the same (the challenges' key).
    pub async fn setting(&self, key: &str, first: &str) -> anyhow::Result<String> {
        match self {
            Store::Postgres(p) => p.setting(key, first).await,
            Store::Sqlite(s) => {
                let (key, first) = (key.to_string(), first.to_string());
                blocking(s, move |s| s.setting(&key, &first)).await
            }
        }
    }

    /// Erase every submission sent from `email` (without regard to case or
    /// surrounding spaces) with its outbox rows: a person's request to be
    /// forgotten (GDPR art. 17). On SQLite also from the files, as `delete`.
    /// How many were erased.
    pub async fn forget(&self, email: &str) -> anyhow::Result<usize> {
        match self {
            Store::Postgres(p) => p.forget(email).await,
            Store::Sqlite(s) => {
                let email = email.to_string();
                blocking(s, move |s| s.forget(&email)).await
            }
        }
    }

    /// Erase every submission stored before `cutoff_ms` (unix milliseconds)
    /// with its outbox rows, as `forget` does: the retention sweep. How many
    /// were erased.
    pub async fn erase_before(&self, cutoff_ms: i64) -> anyhow::Result<usize> {
        match self {
            Store::Postgres(p) => p.erase_before(cutoff_ms).await,
            Store::Sqlite(s) => blocking(s, move |s| s.erase_before(cutoff_ms)).await,
        }
    }

    /// A consistent copy of a SQLite store in the new file `to`, taken while
    /// servers keep writing to it (`VACUUM INTO`): it holds every submission
    /// committed before the copy began, and is a store a server starts on.
    /// PostgreSQL has `pg_dump` for this (docs/configuration.md).
    pub async fn backup(&self, to: &Path) -> anyhow::Result<Backup> {
        match self {
            Store::Postgres(_) => anyhow::bail!(
                "backup copies a SQLite store; back up PostgreSQL with pg_dump (docs/configuration.md, \"Backups\")"
            ),
            Store::Sqlite(s) => {
                let to = to.to_path_buf();
                blocking(s, move |s| s.backup(&to)).await
            }
        }
    }

    /// Every submission, spam and handled included, oldest first.
    pub async fn export(&self) -> anyhow::Result<Vec<Record>> {
        match self {
            Store::Sqlite(s) => blocking(s, |s| s.export()).await,
            Store::Postgres(p) => p.export().await,
        }
    }

    /// Add these records, in one transaction, with their ids and delivery
    /// states. A record whose id (or idempotency key) is already stored is
    /// skipped, so an interrupted import can be run again. Returns how many
    /// were added.
    pub async fn import(&self, records: Vec<Record>) -> anyhow::Result<usize> {
        match self {
            Store::Sqlite(s) => blocking(s, move |s| s.import(&records)).await,
            Store::Postgres(p) => p.import(&records).await,
        }
    }

    /// Claim up to `limit` outbox rows due at `now_ms`, oldest due first: each
    /// is held for `lease_ms` (its `next_attempt_at` moves there), so
    /// no other worker takes it meanwhile; the claimer records the outcome
    /// with `mark_*`, and a claim that is never settled expires into a retry.
    pub async fn claim_due(
        &self,
        now_ms: i64,
        limit: usize,
        lease_ms: i64,
    ) -> anyhow::Result<Vec<OutboxItem>> {
        match self {
            Store::Postgres(p) => p.claim_due(now_ms, limit, lease_ms).await,
            Store::Sqlite(s) => blocking(s, move |s| s.claim_due(now_ms, limit, lease_ms)).await,
        }
    }

    /// When the earliest pending row is due, if any.
    pub async fn next_due(&self) -> anyhow::Result<Option<i64>> {
        match self {
            Store::Postgres(p) => p.next_due().await,
            Store::Sqlite(s) => blocking(s, |s| s.next_due()).await,
        }
    }

    pub async fn mark_delivered(&self, outbox_id: i64, now_ms: i64) -> anyhow::Result<()> {
        match self {
            Store::Postgres(p) => p.mark_delivered(outbox_id, now_ms).await,
            Store::Sqlite(s) => blocking(s, move |s| s.mark_delivered(outbox_id, now_ms)).await,
        }
    }

    /// A transient failure: tried again at `next_attempt_at`.
    pub async fn mark_for_retry(
        &self,
        outbox_id: i64,
        error: &str,
        next_attempt_at: i64,
    ) -> anyhow::Result<()> {
        match self {
            Store::Postgres(p) => p.mark_for_retry(outbox_id, error, next_attempt_at).await,
            Store::Sqlite(s) => {
                let error = error.to_string();
                blocking(s, move |s| {
                    s.mark_for_retry(outbox_id, &error, next_attempt_at)
                })
                .await
            }
        }
    }

    /// A permanent failure: not tried again unless requeued.
    pub async fn mark_failed(&self, outbox_id: i64, error: &str) -> anyhow::Result<()> {
        match self {
            Store::Postgres(p) => p.mark_failed(outbox_id, error).await,
            Store::Sqlite(s) => {
                let error = error.to_string();
                blocking(s, move |s| s.mark_failed(outbox_id, &error)).await
            }
        }
    }

    /// Put a submission's failed notifications back in line, due now. Returns
    /// how many; `None` when there is no such submission.
    pub async fn requeue_failed(&self, id: &str, now_ms: i64) -> anyhow::Result<Option<usize>> {
        match self {
            Store::Postgres(p) => p.requeue_failed(id, now_ms).await,
            Store::Sqlite(s) => {
                let id = id.to_string();
                blocking(s, move |s| s.requeue_failed(&id, now_ms)).await
            }
        }
    }
}

/// Run a blocking SQLite call off the async threads.
async fn blocking<T: Send + 'static>(
    s: &Arc<SqliteStore>,
    f: impl FnOnce(&SqliteStore) -> anyhow::Result<T> + Send + 'static,
) -> anyhow::Result<T> {
    let s = s.clone();
    tokio::task::spawn_blocking(move || f(&s)).await?
}

/// An error and its causes on one line ("a: b: c"), a cause its error
/// already tells left out: how the store tells why it cannot connect (a TLS
/// refusal is a cause of a cause), and the server why a notification failed.
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let part = s.to_string();
        if !text.contains(&part) {
            text = format!("{text}: {part}");
        }
        source = s.source();
    }
    text
}

/// Time-ordered and unguessable: 12 hex digits of milliseconds, 16 random.
fn new_id(now_ms: i64) -> String {
    format!("{:012x}{:016x}", now_ms, rand::random::<u64>())
}

#[cfg(test)]
mod suite;
