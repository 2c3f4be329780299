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
const SUBMISSION_COLUMNS: &str = "s.id, s.created_at, s.name, s.email, s.company, s.budget, s.message, s.consent, s.spam, s.handled_at, s.partner_origin";

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
    pub deliveries: Vec<Delivery>,
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
    pub spam: bool,
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
                let (spam, now_ms, since) = (new.spam, new.now_ms, new.duplicate_since_ms);
                let partner = new.partner_origin.map(str::to_string);
                blocking(s, move |s| {
                    s.insert(&NewSubmission {
                        request: &request,
                        spam,
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

/// Time-ordered and unguessable: 12 hex digits of milliseconds, 16 random.
fn new_id(now_ms: i64) -> String {
    format!("{:012x}{:016x}", now_ms, rand::random::<u64>())
}

/// The store's behaviour, one suite run against every backend (`sqlite`
/// here; `postgres` in its module against a real server).
#[cfg(test)]
pub(crate) mod suite {
    use keel_model::contact::ContactRequest;

    use super::*;
    use crate::store::test_pg;

    fn req() -> ContactRequest {
        ContactRequest {
            name: "Ada".into(),
            email: "ada@example.com".into(),
            message: "Hello there, we need help.".into(),
            consent: true,
            ..Default::default()
        }
    }

    async fn insert(
        s: &Store,
        spam: bool,
        key: Option<&str>,
        hash: &str,
        channels: &[Channel],
        now_ms: i64,
    ) -> Inserted {
        s.insert(NewSubmission {
            request: &req(),
            spam,
            idempotency_key: key,
            request_hash: hash,
            channels,
            now_ms,
            duplicate_since_ms: now_ms,
            partner_origin: None,
        })
        .await
        .unwrap()
    }

    async fn new_id(s: &Store, hash: &str, channels: &[Channel], now_ms: i64) -> String {
        match insert(s, false, None, hash, channels, now_ms).await {
            Inserted::New(id) => id,
            other => panic!("{other:?}"),
        }
    }

    /// Every check, each on a fresh store from `fresh`.
    pub(crate) async fn run<F: std::future::Future<Output = Store>>(fresh: impl Fn() -> F) {
        insert_list_handle_delete(fresh().await).await;
        idempotency_key_replays_and_detects_reuse(fresh().await).await;
        a_double_submit_without_key_stores_one_row(fresh().await).await;
        spam_gets_no_outbox_rows(fresh().await).await;
        failed_delivery_backs_off(fresh().await).await;
        a_permanent_failure_is_not_retried_until_requeued(fresh().await).await;
        a_claimed_row_is_not_claimed_again_until_its_lease_ends(fresh().await).await;
        the_partner_origin_is_stored_listed_and_exported(fresh().await, fresh().await).await;
    }

    async fn the_partner_origin_is_stored_listed_and_exported(s: Store, other: Store) {
        let from_partner = match s
            .insert(NewSubmission {
                request: &req(),
                spam: false,
                idempotency_key: None,
                request_hash: "p",
                channels: &[Channel::Webhook],
                now_ms: 1,
                duplicate_since_ms: 1,
                partner_origin: Some("https://partner.example"),
            })
            .await
            .unwrap()
        {
            Inserted::New(id) => id,
            other => panic!("{other:?}"),
        };
        let own = new_id(&s, "o", &[], 2).await;
        let got = s.get(&from_partner).await.unwrap().unwrap();
        assert_eq!(
            got.partner_origin.as_deref(),
            Some("https://partner.example")
        );
        assert_eq!(s.get(&own).await.unwrap().unwrap().partner_origin, None);
        let listed = s.list(ListFilter::default()).await.unwrap();
        assert_eq!(listed.iter().find(|x| x.id == from_partner).unwrap(), &got);
        let claimed = s.claim_due(10, 10, CLAIM_LEASE_MS).await.unwrap();
        assert_eq!(
            claimed[0].submission.partner_origin.as_deref(),
            Some("https://partner.example"),
            "the notification worker sees it"
        );
        let records = s.export().await.unwrap();
        assert_eq!(
            records[0].submission.partner_origin.as_deref(),
            Some("https://partner.example")
        );
        assert_eq!(other.import(records).await.unwrap(), 2);
        assert_eq!(
            other
                .get(&from_partner)
                .await
                .unwrap()
                .unwrap()
                .partner_origin
                .as_deref(),
            Some("https://partner.example"),
            "an import keeps it"
        );
    }

    async fn insert_list_handle_delete(s: Store) {
        let id = new_id(&s, "h", &[Channel::Email], 1).await;
        let all = s.list(ListFilter::default()).await.unwrap();
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].name, "Ada");
        assert_eq!(all[0].deliveries[0].state, DeliveryState::Pending);
        assert_eq!(all[0].deliveries[0].channel, Channel::Email);
        assert_eq!(s.get(&id).await.unwrap().unwrap(), all[0]);
        assert!(s.mark_handled(&id, 2).await.unwrap());
        assert!(!s.mark_handled("nope", 2).await.unwrap());
        assert!(s.list(ListFilter::default()).await.unwrap().is_empty());
        let handled = s
            .list(ListFilter {
                include_handled: true,
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(handled[0].handled_at, Some(2));
        assert!(s.delete(&id).await.unwrap());
        assert!(!s.delete(&id).await.unwrap());
        assert_eq!(s.count().await.unwrap(), 0);
        assert!(
            s.claim_due(10, 10, CLAIM_LEASE_MS)
                .await
                .unwrap()
                .is_empty(),
            "outbox rows go with their submission"
        );
    }

    async fn idempotency_key_replays_and_detects_reuse(s: Store) {
        let Inserted::New(id) = insert(&s, false, Some("k"), "h1", &[], 1).await else {
            panic!()
        };
        let Inserted::Replayed(again) = insert(&s, false, Some("k"), "h1", &[], 2).await else {
            panic!()
        };
        assert_eq!(id, again);
        assert!(matches!(
            s.replay("k", "h1").await.unwrap(),
            Some(Inserted::Replayed(i)) if i == id
        ));
        assert!(matches!(
            insert(&s, false, Some("k"), "h2", &[], 3).await,
            Inserted::KeyReused
        ));
        assert!(matches!(
            s.replay("k", "h2").await.unwrap(),
            Some(Inserted::KeyReused)
        ));
        assert!(s.replay("other", "h1").await.unwrap().is_none());
        assert_eq!(s.count().await.unwrap(), 1);
    }

    async fn a_double_submit_without_key_stores_one_row(s: Store) {
        let first = new_id(&s, "h", &[], 100).await;
        assert_eq!(
            s.recent_duplicate("h", 50).await.unwrap(),
            Some(first.clone())
        );
        assert_eq!(
            s.recent_duplicate("h", 101).await.unwrap(),
            None,
            "outside the window"
        );
        // Inside the window: the insert itself answers with the first id.
        let again = s
            .insert(NewSubmission {
                request: &req(),
                spam: false,
                idempotency_key: None,
                request_hash: "h",
                channels: &[],
                now_ms: 200,
                duplicate_since_ms: 100,
                partner_origin: None,
            })
            .await
            .unwrap();
        assert!(
            matches!(again, Inserted::Replayed(ref i) if *i == first),
            "{again:?}"
        );
        // Outside it, a deliberate resend is stored.
        new_id(&s, "h", &[], 300).await;
        assert_eq!(s.count().await.unwrap(), 2);
    }

    async fn spam_gets_no_outbox_rows(s: Store) {
        insert(&s, true, None, "h", &[Channel::Email, Channel::Webhook], 1).await;
        assert!(
            s.claim_due(10, 10, CLAIM_LEASE_MS)
                .await
                .unwrap()
                .is_empty()
        );
        assert!(s.list(ListFilter::default()).await.unwrap().is_empty());
        let spam = s
            .list(ListFilter {
                include_spam: true,
                ..Default::default()
            })
            .await
            .unwrap();
        assert!(spam[0].spam && spam[0].deliveries.is_empty());
    }

    async fn failed_delivery_backs_off(s: Store) {
        new_id(&s, "h", &[Channel::Webhook], 1).await;
        let item = &s.claim_due(1, 10, CLAIM_LEASE_MS).await.unwrap()[0];
        assert_eq!(item.submission.name, "Ada");
        s.mark_for_retry(item.id, "connection refused", 100)
            .await
            .unwrap();
        assert!(
            s.claim_due(50, 10, CLAIM_LEASE_MS)
                .await
                .unwrap()
                .is_empty()
        );
        let again = &s.claim_due(100, 10, CLAIM_LEASE_MS).await.unwrap()[0];
        assert_eq!(again.attempts, 1);
        s.mark_delivered(again.id, 101).await.unwrap();
        assert!(
            s.claim_due(i64::MAX, 10, CLAIM_LEASE_MS)
                .await
                .unwrap()
                .is_empty()
        );
        assert_eq!(s.next_due().await.unwrap(), None);
        let d = &s.list(ListFilter::default()).await.unwrap()[0].deliveries[0];
        assert_eq!(
            (d.state, d.attempts, d.delivered_at, d.last_error.as_deref()),
            (DeliveryState::Delivered, 2, Some(101), None)
        );
    }

    async fn a_permanent_failure_is_not_retried_until_requeued(s: Store) {
        let id = new_id(&s, "h", &[Channel::Email, Channel::Webhook], 1).await;
        let due = s.claim_due(1, 10, CLAIM_LEASE_MS).await.unwrap();
        s.mark_failed(due[0].id, "smtp: permanent error (550): no such user")
            .await
            .unwrap();
        s.mark_for_retry(due[1].id, "webhook: connection refused", 5)
            .await
            .unwrap();
        assert_eq!(s.next_due().await.unwrap(), Some(5));
        let d = &s.get(&id).await.unwrap().unwrap().deliveries;
        assert_eq!((d[0].state, d[0].attempts), (DeliveryState::Failed, 1));
        assert_eq!(
            d[0].last_error.as_deref(),
            Some("smtp: permanent error (550): no such user")
        );
        assert_eq!(d[1].state, DeliveryState::Pending);

        assert_eq!(s.requeue_failed(&id, 7).await.unwrap(), Some(1));
        let due = s.claim_due(7, 10, CLAIM_LEASE_MS).await.unwrap();
        assert_eq!(
            due.iter().map(|o| o.channel).collect::<Vec<_>>(),
            [Channel::Webhook, Channel::Email],
            "due again, oldest due first"
        );
        assert_eq!(
            s.requeue_failed(&id, 8).await.unwrap(),
            Some(0),
            "nothing failed any more"
        );
        assert_eq!(s.requeue_failed("nope", 8).await.unwrap(), None);
    }

    async fn a_claimed_row_is_not_claimed_again_until_its_lease_ends(s: Store) {
        for n in 0..3 {
            new_id(&s, &format!("h{n}"), &[Channel::Webhook], 1).await;
        }
        let first = s.claim_due(10, 2, CLAIM_LEASE_MS).await.unwrap();
        assert_eq!(first.len(), 2, "the limit is kept");
        let second = s.claim_due(10, 10, CLAIM_LEASE_MS).await.unwrap();
        assert_eq!(second.len(), 1, "only the unclaimed row is left");
        assert!(first.iter().all(|a| a.id != second[0].id));
        assert!(
            s.claim_due(10 + CLAIM_LEASE_MS - 1, 10, CLAIM_LEASE_MS)
                .await
                .unwrap()
                .is_empty()
        );
        // A worker that died mid-send never settled its claim: it expires.
        let retried = s
            .claim_due(10 + CLAIM_LEASE_MS, 10, CLAIM_LEASE_MS)
            .await
            .unwrap();
        assert_eq!(retried.len(), 3);
        assert_eq!(s.next_due().await.unwrap(), Some(10 + 2 * CLAIM_LEASE_MS));
    }

    #[tokio::test]
    async fn sqlite_in_memory() {
        run(|| async { Store::open_sqlite_in_memory().unwrap() }).await;
    }

    #[tokio::test]
    async fn sqlite_file() {
        let dir = tempfile::tempdir().unwrap();
        let n = std::sync::atomic::AtomicUsize::new(0);
        let (dir, n) = (&dir, &n);
        run(move || async move {
            let i = n.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            Store::open(&dir.path().join(format!("{i}.db")), 1)
                .await
                .unwrap()
        })
        .await;
    }

    /// The suite, then what only several instances can get wrong, against a
    /// real PostgreSQL this test starts and stops.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        let pg = test_pg::TestPg::start();
        let n = std::sync::atomic::AtomicUsize::new(0);
        let (pg, n) = (&pg, &n);
        let fresh_url = move || async move {
            let i = n.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            pg.create_db(&format!("suite{i}")).await
        };
        run(move || async move { Store::open(Path::new(&fresh_url().await), 4).await.unwrap() })
            .await;

        let url = fresh_url().await;
        let a = Store::open(Path::new(&url), 8).await.unwrap();
        let b = Store::open(Path::new(&url), 8).await.unwrap();
        assert!(
            matches!(a, Store::Postgres(_)),
            "a postgres:// URL opens PostgreSQL"
        );
        two_instances_share_idempotency_keys(&a, &b).await;
        two_instances_share_the_double_submit_window(&a, &b).await;
        two_workers_never_claim_one_row(&a, &b).await;
        a_claim_passes_over_rows_another_worker_is_claiming(&url, &a).await;
        migrations_are_applied_once(&url).await;
    }

    async fn two_instances_share_idempotency_keys(a: &Store, b: &Store) {
        let body = req();
        for round in 0..20 {
            let key = format!("key-{round}");
            let new = NewSubmission {
                request: &body,
                spam: false,
                idempotency_key: Some(&key),
                request_hash: "same",
                channels: &[Channel::Webhook],
                now_ms: 1,
                duplicate_since_ms: 0,
                partner_origin: None,
            };
            let (x, y) = tokio::join!(a.insert(new.clone()), b.insert(new));
            let ids: Vec<String> = [x.unwrap(), y.unwrap()]
                .into_iter()
                .map(|i| match i {
                    Inserted::New(id) | Inserted::Replayed(id) => id,
                    Inserted::KeyReused => panic!("same body, same key"),
                })
                .collect();
            assert_eq!(ids[0], ids[1], "both instances answer with one id");
        }
        assert_eq!(a.count().await.unwrap(), 20);
        assert!(matches!(
            b.replay("key-3", "other").await.unwrap(),
            Some(Inserted::KeyReused)
        ));
    }

    async fn two_instances_share_the_double_submit_window(a: &Store, b: &Store) {
        let before = a.count().await.unwrap();
        for round in 0..20 {
            let hash = format!("body-{round}");
            let new = NewSubmission {
                request: &req(),
                spam: false,
                idempotency_key: None,
                request_hash: &hash,
                channels: &[],
                now_ms: 1000,
                duplicate_since_ms: 0,
                partner_origin: None,
            };
            let (x, y) = tokio::join!(a.insert(new.clone()), b.insert(new.clone()));
            let kinds = [x.unwrap(), y.unwrap()];
            assert_eq!(
                kinds
                    .iter()
                    .filter(|i| matches!(i, Inserted::New(_)))
                    .count(),
                1,
                "one copy stored, the other answered with its id: {kinds:?}"
            );
        }
        assert_eq!(a.count().await.unwrap(), before + 20);
    }

    async fn two_workers_never_claim_one_row(a: &Store, b: &Store) {
        // 20 webhook rows from the idempotency test are due; claim in small batches.
        let mut seen = std::collections::HashSet::new();
        loop {
            let (x, y) = tokio::join!(
                a.claim_due(5, 3, CLAIM_LEASE_MS),
                b.claim_due(5, 3, CLAIM_LEASE_MS)
            );
            let (x, y) = (x.unwrap(), y.unwrap());
            if x.is_empty() && y.is_empty() {
                break;
            }
            for item in x.iter().chain(&y) {
                assert!(seen.insert(item.id), "outbox row {} claimed twice", item.id);
            }
        }
        assert_eq!(seen.len(), 20, "every due row was claimed once");
    }

    /// Deterministic where the race above is not: another worker's claim
    /// holds a row lock; a claim must neither wait for it nor take that row.
    async fn a_claim_passes_over_rows_another_worker_is_claiming(url: &str, a: &Store) {
        for n in 0..3 {
            new_id(a, &format!("lock-{n}"), &[Channel::Email], 100).await;
        }
        let (mut client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
            .await
            .unwrap();
        tokio::spawn(conn);
        let other = client.transaction().await.unwrap();
        let locked: i64 = other
            .query_one(
                "SELECT id FROM outbox WHERE next_attempt_at = 100 ORDER BY id LIMIT 1 FOR UPDATE",
                &[],
            )
            .await
            .unwrap()
            .get(0);
        let claimed = tokio::time::timeout(
            std::time::Duration::from_secs(5),
            a.claim_due(100, 10, CLAIM_LEASE_MS),
        )
        .await
        .expect("the claim waited for another worker's lock")
        .unwrap();
        assert_eq!(claimed.len(), 2, "the two unlocked rows");
        assert!(
            claimed.iter().all(|c| c.id != locked),
            "the locked row was taken"
        );
        other.rollback().await.unwrap();
        assert_eq!(
            a.claim_due(100, 10, CLAIM_LEASE_MS).await.unwrap()[0].id,
            locked
        );
    }

    async fn migrations_are_applied_once(url: &str) {
        let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
            .await
            .unwrap();
        tokio::spawn(conn);
        let versions: i64 = client
            .query_one("SELECT count(*) FROM keel_migrations", &[])
            .await
            .unwrap()
            .get(0);
        assert_eq!(versions, 2, "three opens, each migration applied once");
        client
            .execute("INSERT INTO keel_migrations (version) VALUES (99)", &[])
            .await
            .unwrap();
        let err = Store::open(Path::new(url), 1).await.err().unwrap();
        assert!(
            format!("{err:#}")
                .contains("schema is at version 99, newer than this server knows (2)"),
            "{err:#}"
        );
    }

    #[tokio::test]
    async fn a_bad_database_setting_is_named() {
        let err = |url: &'static str| async move {
            format!("{:#}", Store::open(Path::new(url), 1).await.err().unwrap())
        };
        let refused = err("postgres://keel:sekret@127.0.0.1:1/keel").await;
        assert!(
            refused.contains("cannot connect to PostgreSQL at postgres://keel@127.0.0.1:1/keel"),
            "{refused}"
        );
        assert!(
            !refused.contains("sekret"),
            "the password is never shown: {refused}"
        );
        let malformed = err("postgres://keel:sekret@127.0.0.1:port/keel").await;
        assert!(
            malformed.contains("not a valid PostgreSQL URL"),
            "{malformed}"
        );
        assert!(!malformed.contains("sekret"), "{malformed}");
        let other = err("mysql://keel@db/keel").await;
        assert!(other.contains("\"mysql://…\" is not supported"), "{other}");
    }
}

#[cfg(test)]
#[path = "../../tests/support/pg.rs"]
mod test_pg;
