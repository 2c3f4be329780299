//! The PostgreSQL backend of `Store`, for several instances on one database.
//!
//! Driver: tokio-postgres (the rust-postgres project, async, no macros, a
//! light compile) with the deadpool-postgres pool. A connection that breaks
//! is dropped by the pool and a new one made at the next call, so the server
//! recovers by itself when the database comes back; meanwhile a request that
//! cannot be stored is answered 503.
//!
//! Correct across instances:
//! - an idempotency key is unique in the table; an insert that loses the
//!   race (`ON CONFLICT DO NOTHING`) answers with the winner's row;
//! - the no-key double-submit check holds a transaction advisory lock on the
//!   body's hash, so two copies on two instances store one row;
//! - the outbox is claimed with `FOR UPDATE SKIP LOCKED` and a lease, so
//!   workers never take the same row, and a dead worker's row comes back.
//!
//! Migrations are versioned (`keel_migrations`), applied at start under an
//! advisory lock (instances starting together apply them once), idempotent.

use std::collections::HashMap;
use std::time::Duration;

use anyhow::{Context, anyhow};
use deadpool_postgres::GenericClient;
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use keel_model::contact::Budget;
use tokio_postgres::Row;

pub(crate) mod schema;
pub mod tls;

use crate::{
    Channel, Delivery, DeliveryState, Inserted, ListFilter, NewSubmission, OutboxItem, Record,
    SUBMISSION_COLUMNS, Submission, Verdict, new_id,
};
use schema::migrate;

pub struct PgStore {
    pool: Pool,
    label: String,
}

impl PgStore {
    /// Connect (`url` is a `postgres://` URL), check the database answers,
    /// and bring the schema up to date. Errors name the server, never the
    /// password.
    pub async fn connect(url: &str, pool_size: usize) -> anyhow::Result<PgStore> {
        let (plain_url, tls) = tls::split(url)?;
        let mut config: tokio_postgres::Config = plain_url.parse().map_err(|e| {
            anyhow!(
                "database is not a valid PostgreSQL URL like postgres://user@host:5432/keel ({e})"
            )
        })?;
        let (connector, mode) = tls.connector()?;
        config.ssl_mode(mode);
        if !tls.mode.encrypts() && !tls::is_loopback(&config) {
            tracing::warn!(
                database = %describe(url),
                sslmode = ?tls.mode,
                "the database is on another machine and TLS is not required: submissions may cross the network in clear (add sslmode=verify-full to the URL)"
            );
        }
        let manager = Manager::from_config(
            config,
            connector,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(pool_size)
            .runtime(Runtime::Tokio1)
            // A request waits this long for a connection, then gets a 503.
            .wait_timeout(Some(Duration::from_secs(5)))
            .create_timeout(Some(Duration::from_secs(5)))
            .recycle_timeout(Some(Duration::from_secs(5)))
            .build()
            .context("creating the PostgreSQL connection pool")?;
        let store = PgStore {
            pool,
            label: format!("PostgreSQL {}", describe(url)),
        };
        let mut client = store.pool.get().await.map_err(|e| {
            anyhow!(
                "cannot connect to PostgreSQL at {} ({})",
                describe(url),
                crate::error_chain(&e)
            )
        })?;
        migrate(&mut client)
            .await
            .with_context(|| format!("migrating the database at {}", describe(url)))?;
        Ok(store)
    }

    pub fn describe(&self) -> String {
        self.label.clone()
    }

    async fn client(&self) -> anyhow::Result<deadpool_postgres::Object> {
        self.pool
            .get()
            .await
            .map_err(|e| anyhow!("no PostgreSQL connection ({e})"))
    }

    pub async fn insert(&self, new: &NewSubmission<'_>) -> anyhow::Result<Inserted> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        if let Some(key) = new.idempotency_key
            && let Some(seen) = seen_key(&tx, key, new.request_hash).await?
        {
            return Ok(seen);
        }
        if new.idempotency_key.is_none() {
            // Copies of one body serialize here, on every instance; the lock
            // is released at commit or rollback.
            tx.execute(
                "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
                &[&new.request_hash],
            )
            .await?;
            if let Some(id) = duplicate(&tx, new.request_hash, new.duplicate_since_ms).await? {
                return Ok(Inserted::Replayed(id));
            }
        }
        let req = new.request;
        let id = new_id(new.now_ms);
        let company = keel_model::contact::given_company(req.company.as_deref());
        let spam = new.judgement.verdict == Verdict::Spam;
        let inserted = tx
            .execute(
                "INSERT INTO submissions (id, created_at, name, email, company, budget, message, consent, spam, idempotency_key, request_hash, partner_origin, source, verdict, reasons, message_hash)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
                 ON CONFLICT (idempotency_key) DO NOTHING",
                &[
                    &id,
                    &new.now_ms,
                    &req.name.trim(),
                    &req.email.trim(),
                    &company,
                    &req.budget.map(Budget::as_str),
                    &req.message.trim(),
                    &req.consent,
                    &spam,
                    &new.idempotency_key,
                    &new.request_hash,
                    &new.partner_origin,
                    &req.source,
                    &new.judgement.verdict.as_str(),
                    &Some(&new.judgement.reasons).filter(|r| !r.is_empty()),
                    &crate::message_fingerprint(&req.message),
                ],
            )
            .await?;
        if inserted == 0 {
            // Another request with this key committed first (the insert
            // waited for it): answer as it did.
            let key = new.idempotency_key.unwrap_or_default();
            return seen_key(&tx, key, new.request_hash)
                .await?
                .ok_or_else(|| anyhow!("idempotency key conflict without a row"));
        }
        if !spam {
            for channel in new.channels {
                tx.execute(
                    "INSERT INTO outbox (submission_id, channel, next_attempt_at) VALUES ($1, $2, $3)",
                    &[&id, &channel.as_str(), &new.now_ms],
                )
                .await?;
            }
        }
        tx.commit().await?;
        Ok(Inserted::New(id))
    }

    pub async fn replay(&self, key: &str, request_hash: &str) -> anyhow::Result<Option<Inserted>> {
        seen_key(&self.client().await?, key, request_hash).await
    }

    pub async fn recent_duplicate(
        &self,
        request_hash: &str,
        since_ms: i64,
    ) -> anyhow::Result<Option<String>> {
        duplicate(&self.client().await?, request_hash, since_ms).await
    }

    pub async fn list(&self, filter: ListFilter) -> anyhow::Result<Vec<Submission>> {
        let client = self.client().await?;
        let rows = client
            .query(
                &format!(
                    "SELECT {SUBMISSION_COLUMNS} FROM submissions s
                     WHERE ($1 OR NOT s.spam) AND ($2 OR s.handled_at IS NULL)
                     ORDER BY s.created_at DESC, s.id DESC"
                ),
                &[&filter.include_spam, &filter.include_handled],
            )
            .await?;
        let mut list = rows
            .iter()
            .map(|r| submission(r, 0))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let ids: Vec<&str> = list.iter().map(|s| s.id.as_str()).collect();
        let mut deliveries = deliveries(&client, &ids).await?;
        for s in &mut list {
            s.deliveries = deliveries.remove(&s.id).unwrap_or_default();
        }
        Ok(list)
    }

    pub async fn get(&self, id: &str) -> anyhow::Result<Option<Submission>> {
        let client = self.client().await?;
        let row = client
            .query_opt(
                &format!("SELECT {SUBMISSION_COLUMNS} FROM submissions s WHERE s.id = $1"),
                &[&id],
            )
            .await?;
        let Some(row) = row else { return Ok(None) };
        let mut s = submission(&row, 0)?;
        s.deliveries = deliveries(&client, &[id])
            .await?
            .remove(id)
            .unwrap_or_default();
        Ok(Some(s))
    }

    pub async fn count(&self) -> anyhow::Result<i64> {
        let client = self.client().await?;
        Ok(client
            .query_one("SELECT count(*) FROM submissions", &[])
            .await?
            .try_get(0)?)
    }

    pub async fn mark_handled(&self, id: &str, now_ms: i64) -> anyhow::Result<bool> {
        let client = self.client().await?;
        Ok(client
            .execute(
                "UPDATE submissions SET handled_at = $2 WHERE id = $1",
                &[&id, &now_ms],
            )
            .await?
            > 0)
    }

    /// The rows go from every query at once. PostgreSQL reclaims the space at
    /// its next vacuum; until then (and in its WAL and backups) the bytes
    /// remain on disk, as for any PostgreSQL delete.
    pub async fn delete(&self, id: &str) -> anyhow::Result<bool> {
        let client = self.client().await?;
        Ok(client
            .execute("DELETE FROM submissions WHERE id = $1", &[&id])
            .await?
            > 0)
    }

    pub async fn same_message_elsewhere(
        &self,
        message: &str,
        email: &str,
        since_ms: i64,
    ) -> anyhow::Result<usize> {
        let client = self.client().await?;
        let n: i64 = client
            .query_one(
                "SELECT count(DISTINCT lower(email)) FROM submissions
                 WHERE message_hash = $1 AND created_at >= $2 AND lower(email) <> lower($3)",
                &[
                    &crate::message_fingerprint(message),
                    &since_ms,
                    &email.trim(),
                ],
            )
            .await?
            .try_get(0)?;
        Ok(n as usize)
    }

    pub async fn set_verdict(
        &self,
        id: &str,
        verdict: Verdict,
        channels: &[Channel],
        now_ms: i64,
    ) -> anyhow::Result<Option<usize>> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let spam = verdict == Verdict::Spam;
        let n = tx
            .execute(
                "UPDATE submissions SET verdict = $2, spam = $3, reasons = $4 WHERE id = $1",
                &[&id, &verdict.as_str(), &spam, &"set by staff"],
            )
            .await?;
        if n == 0 {
            return Ok(None);
        }
        let queued = if spam {
            // What was not sent yet never will be.
            tx.execute(
                "DELETE FROM outbox WHERE submission_id = $1 AND state = 'pending'",
                &[&id],
            )
            .await?;
            0
        } else {
            let mut queued = 0;
            for channel in channels {
                queued += tx
                    .execute(
                        "INSERT INTO outbox (submission_id, channel, next_attempt_at)
                         SELECT $1, $2, $3 WHERE NOT EXISTS
                           (SELECT 1 FROM outbox WHERE submission_id = $1 AND channel = $2)",
                        &[&id, &channel.as_str(), &now_ms],
                    )
                    .await? as usize;
            }
            queued
        };
        tx.commit().await?;
        Ok(Some(queued))
    }

    pub async fn use_challenge(
        &self,
        challenge: &str,
        expires_ms: i64,
        now_ms: i64,
    ) -> anyhow::Result<bool> {
        let client = self.client().await?;
        client
            .execute(
                "DELETE FROM used_challenges WHERE expires_at < $1",
                &[&now_ms],
            )
            .await?;
        Ok(client
            .execute(
                "INSERT INTO used_challenges (challenge, expires_at) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                &[&challenge, &expires_ms],
            )
            .await?
            == 1)
    }

    pub async fn setting(&self, key: &str, first: &str) -> anyhow::Result<String> {
        let client = self.client().await?;
        client
            .execute(
                "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                &[&key, &first],
            )
            .await?;
        Ok(client
            .query_one("SELECT value FROM settings WHERE key = $1", &[&key])
            .await?
            .try_get(0)?)
    }

    pub async fn forget(&self, email: &str) -> anyhow::Result<usize> {
        let client = self.client().await?;
        Ok(client
            .execute(
                "DELETE FROM submissions WHERE lower(trim(email)) = lower(trim($1))",
                &[&email],
            )
            .await? as usize)
    }

    pub async fn erase_before(&self, cutoff_ms: i64) -> anyhow::Result<usize> {
        let client = self.client().await?;
        Ok(client
            .execute(
                "DELETE FROM submissions WHERE created_at < $1",
                &[&cutoff_ms],
            )
            .await? as usize)
    }

    pub async fn export(&self) -> anyhow::Result<Vec<Record>> {
        let all = self
            .list(ListFilter {
                include_spam: true,
                include_handled: true,
            })
            .await?;
        let client = self.client().await?;
        let keys: HashMap<String, (Option<String>, Option<String>)> = client
            .query(
                "SELECT id, idempotency_key, request_hash FROM submissions",
                &[],
            )
            .await?
            .iter()
            .map(|r| Ok((r.try_get(0)?, (r.try_get(1)?, r.try_get(2)?))))
            .collect::<anyhow::Result<_>>()?;
        Ok(all
            .into_iter()
            .rev()
            .map(|submission| {
                let (idempotency_key, request_hash) =
                    keys.get(&submission.id).cloned().unwrap_or_default();
                Record {
                    submission,
                    idempotency_key,
                    request_hash,
                }
            })
            .collect())
    }

    pub async fn import(&self, records: &[Record]) -> anyhow::Result<usize> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let mut added = 0;
        for r in records {
            let s = &r.submission;
            let n = tx
                .execute(
                    "INSERT INTO submissions (id, created_at, name, email, company, budget, message, consent, spam, handled_at, idempotency_key, request_hash, partner_origin, source, verdict, reasons, message_hash)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
                     ON CONFLICT DO NOTHING",
                    &[&s.id, &s.created_at, &s.name, &s.email, &s.company, &s.budget, &s.message, &s.consent, &s.spam, &s.handled_at, &r.idempotency_key, &r.request_hash, &s.partner_origin, &s.source, &s.verdict.as_str(), &s.reasons, &crate::message_fingerprint(&s.message)],
                )
                .await?;
            if n == 0 {
                continue;
            }
            added += 1;
            for d in &s.deliveries {
                tx.execute(
                    "INSERT INTO outbox (submission_id, channel, state, attempts, next_attempt_at, last_error, delivered_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    &[&s.id, &d.channel.as_str(), &d.state.as_str(), &d.attempts, &d.next_attempt_at, &d.last_error, &d.delivered_at],
                )
                .await?;
            }
        }
        tx.commit().await?;
        Ok(added)
    }

    /// One statement: the due rows are locked (`SKIP LOCKED`: another
    /// worker's rows are passed over, not waited for), leased, and returned
    /// with their submissions.
    pub async fn claim_due(
        &self,
        now_ms: i64,
        limit: usize,
        lease_ms: i64,
    ) -> anyhow::Result<Vec<OutboxItem>> {
        let client = self.client().await?;
        let until = now_ms.saturating_add(lease_ms);
        let rows = client
            .query(
                &format!(
                    "WITH c AS (
                         SELECT id, next_attempt_at AS due_at FROM outbox
                         WHERE state = $1 AND next_attempt_at <= $2
                         ORDER BY next_attempt_at, id LIMIT $3
                         FOR UPDATE SKIP LOCKED
                     )
                     UPDATE outbox o SET next_attempt_at = $4
                     FROM c, submissions s
                     WHERE o.id = c.id AND s.id = o.submission_id
                     RETURNING c.due_at, o.id, o.channel, o.attempts, {SUBMISSION_COLUMNS}"
                ),
                &[
                    &DeliveryState::Pending.as_str(),
                    &now_ms,
                    &(limit as i64),
                    &until,
                ],
            )
            .await?;
        let mut items = rows
            .iter()
            .map(|r| {
                Ok((
                    r.try_get::<_, i64>(0)?,
                    OutboxItem {
                        id: r.try_get(1)?,
                        channel: Channel::from_stored(r.try_get(2)?).map_err(|e| anyhow!(e))?,
                        attempts: r.try_get(3)?,
                        submission: submission(r, 4)?,
                    },
                ))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        items.sort_by_key(|(due, item)| (*due, item.id));
        Ok(items.into_iter().map(|(_, item)| item).collect())
    }

    pub async fn next_due(&self) -> anyhow::Result<Option<i64>> {
        let client = self.client().await?;
        Ok(client
            .query_one(
                "SELECT min(next_attempt_at) FROM outbox WHERE state = $1",
                &[&DeliveryState::Pending.as_str()],
            )
            .await?
            .try_get(0)?)
    }

    pub async fn mark_delivered(&self, outbox_id: i64, now_ms: i64) -> anyhow::Result<()> {
        self.client().await?
            .execute(
                "UPDATE outbox SET state = $3, delivered_at = $2, attempts = attempts + 1, last_error = NULL WHERE id = $1",
                &[&outbox_id, &now_ms, &DeliveryState::Delivered.as_str()],
            )
            .await?;
        Ok(())
    }

    pub async fn mark_for_retry(
        &self,
        outbox_id: i64,
        error: &str,
        next_attempt_at: i64,
    ) -> anyhow::Result<()> {
        self.client().await?
            .execute(
                "UPDATE outbox SET attempts = attempts + 1, last_error = $2, next_attempt_at = $3 WHERE id = $1",
                &[&outbox_id, &error, &next_attempt_at],
            )
            .await?;
        Ok(())
    }

    pub async fn mark_failed(&self, outbox_id: i64, error: &str) -> anyhow::Result<()> {
        self.client().await?
            .execute(
                "UPDATE outbox SET state = $3, attempts = attempts + 1, last_error = $2 WHERE id = $1",
                &[&outbox_id, &error, &DeliveryState::Failed.as_str()],
            )
            .await?;
        Ok(())
    }

    pub async fn requeue_failed(&self, id: &str, now_ms: i64) -> anyhow::Result<Option<usize>> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let exists = tx
            .query_opt("SELECT 1 FROM submissions WHERE id = $1", &[&id])
            .await?
            .is_some();
        let n = tx
            .execute(
                "UPDATE outbox SET state = $2, next_attempt_at = $3 WHERE submission_id = $1 AND state = $4",
                &[
                    &id,
                    &DeliveryState::Pending.as_str(),
                    &now_ms,
                    &DeliveryState::Failed.as_str(),
                ],
            )
            .await?;
        tx.commit().await?;
        Ok(exists.then_some(n as usize))
    }
}

/// The URL as an error may show it: user, host, port and database, without
/// the password.
pub fn describe(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) => {
            let _ = u.set_password(None);
            u.set_query(None);
            u.to_string()
        }
        Err(_) => "(a malformed URL)".into(),
    }
}

async fn seen_key(
    client: &impl GenericClient,
    key: &str,
    request_hash: &str,
) -> anyhow::Result<Option<Inserted>> {
    let row = client
        .query_opt(
            "SELECT id, request_hash FROM submissions WHERE idempotency_key = $1",
            &[&key],
        )
        .await?;
    Ok(match row {
        None => None,
        Some(r) => {
            let (id, hash): (String, Option<String>) = (r.try_get(0)?, r.try_get(1)?);
            Some(if hash.as_deref() == Some(request_hash) {
                Inserted::Replayed(id)
            } else {
                Inserted::KeyReused
            })
        }
    })
}

async fn duplicate(
    client: &impl GenericClient,
    request_hash: &str,
    since_ms: i64,
) -> anyhow::Result<Option<String>> {
    Ok(client
        .query_opt(
            "SELECT id FROM submissions WHERE idempotency_key IS NULL AND request_hash = $1 AND created_at >= $2 ORDER BY created_at LIMIT 1",
            &[&request_hash, &since_ms],
        )
        .await?
        .map(|r| r.try_get(0))
        .transpose()?)
}

fn submission(r: &Row, at: usize) -> anyhow::Result<Submission> {
    Ok(Submission {
        id: r.try_get(at)?,
        created_at: r.try_get(at + 1)?,
        name: r.try_get(at + 2)?,
        email: r.try_get(at + 3)?,
        company: r.try_get(at + 4)?,
        budget: r.try_get(at + 5)?,
        message: r.try_get(at + 6)?,
        consent: r.try_get(at + 7)?,
        spam: r.try_get(at + 8)?,
        handled_at: r.try_get(at + 9)?,
        partner_origin: r.try_get(at + 10)?,
        source: r.try_get(at + 11)?,
        verdict: Verdict::from_stored(r.try_get(at + 12)?).map_err(anyhow::Error::msg)?,
        reasons: r.try_get(at + 13)?,
        deliveries: Vec::new(),
    })
}

/// The deliveries of these submissions, by submission id, oldest first.
async fn deliveries(
    client: &impl GenericClient,
    ids: &[&str],
) -> anyhow::Result<HashMap<String, Vec<Delivery>>> {
    let mut out: HashMap<String, Vec<Delivery>> = HashMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    let rows = client
        .query(
            "SELECT submission_id, channel, state, attempts, last_error, delivered_at, next_attempt_at
             FROM outbox WHERE submission_id = ANY($1) ORDER BY id",
            &[&ids],
        )
        .await?;
    for r in rows {
        out.entry(r.try_get(0)?).or_default().push(Delivery {
            channel: Channel::from_stored(r.try_get(1)?).map_err(|e| anyhow!(e))?,
            state: DeliveryState::from_stored(r.try_get(2)?).map_err(|e| anyhow!(e))?,
            attempts: r.try_get(3)?,
            last_error: r.try_get(4)?,
            delivered_at: r.try_get(5)?,
            next_attempt_at: r.try_get(6)?,
        });
    }
    Ok(out)
}
