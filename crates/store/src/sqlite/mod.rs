//! The SQLite backend of `Store`: contact submissions and their notification outbox.
//!
//! Durability: WAL with `synchronous=FULL`, so a transaction is on disk when
//! `commit` returns; the handler answers 201 only after that. A submission and
//! its outbox rows are written in one transaction, so a stored submission is
//! never without its pending notifications.
//!
//! One connection behind a mutex: SQLite has one writer anyway, and the intake
//! is small. Callers run these blocking methods on `spawn_blocking`.
//!
//! Hygiene: the database files are created readable by their owner only
//! (0600); a write transaction takes the write lock at BEGIN (IMMEDIATE), so
//! it waits for another writer (the CLI) instead of failing half-way; and a
//! deleted submission's text is overwritten (`secure_delete`) and checkpointed
//! out of the WAL, so it is gone from the files, not only from queries.
//!
//! The types are in `store`; everything SQLite is here, behind `Store`.

use std::path::Path;
use std::sync::Mutex;

use anyhow::Context;
use keel_model::contact::Budget;
use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, ValueRef};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

mod schema;

use crate::{
    Channel, Delivery, DeliveryState, Inserted, ListFilter, NewSubmission, OutboxItem, Record,
    SUBMISSION_COLUMNS, Submission, Verdict, new_id,
};
use schema::{SCHEMA, create_private, migrate, readable_by_others};

pub struct SqliteStore {
    conn: Mutex<Connection>,
    label: String,
}

macro_rules! sql_text {
    ($ty:ident) => {
        impl ToSql for $ty {
            fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
                Ok(ToSqlOutput::from(self.as_str()))
            }
        }
        impl FromSql for $ty {
            fn column_result(value: ValueRef<'_>) -> FromSqlResult<$ty> {
                $ty::from_stored(value.as_str()?).map_err(|e| FromSqlError::Other(e.into()))
            }
        }
    };
}

sql_text!(Channel);
sql_text!(DeliveryState);

impl SqliteStore {
    pub fn open(path: &Path) -> anyhow::Result<SqliteStore> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        create_private(path)
            .with_context(|| format!("creating the database {}", path.display()))?;
        if let Some(mode) = readable_by_others(path) {
            // An older install: say so rather than change what the operator set.
            tracing::warn!(
                "{} can be read by other users (mode {mode:o}): run `chmod 600` on it and its -wal and -shm files",
                path.display()
            );
        }
        let conn = Connection::open(path)
            .with_context(|| format!("opening the database {}", path.display()))?;
        Self::init(conn, path.display().to_string())
    }

    pub fn open_in_memory() -> anyhow::Result<SqliteStore> {
        Self::init(Connection::open_in_memory()?, ":memory:".into())
    }

    fn init(mut conn: Connection, label: String) -> anyhow::Result<SqliteStore> {
        // WAL: readers never block the writer. FULL: fsync at every commit, so an
        // acknowledged submission survives a crash or power loss.
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        // Freed space is zeroed, so deleted text does not linger in free pages.
        conn.pragma_update(None, "secure_delete", "ON")?;
        // Wait for another process (the CLI) instead of failing at once.
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.execute_batch(SCHEMA)?;
        migrate(&mut conn)?;
        Ok(SqliteStore {
            conn: Mutex::new(conn),
            label: format!("SQLite {label}"),
        })
    }

    pub fn describe(&self) -> String {
        self.label.clone()
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave a transaction half-done
        // (rusqlite rolls back on drop), so a poisoned lock is safe to reuse.
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Store a submission, and for non-spam one outbox row per channel, in one
    /// transaction. Returns after the commit is durable.
    pub fn insert(&self, new: &NewSubmission<'_>) -> anyhow::Result<Inserted> {
        let NewSubmission {
            request: req,
            ref judgement,
            idempotency_key,
            request_hash,
            channels,
            now_ms,
            duplicate_since_ms,
            partner_origin,
        } = *new;
        let mut conn = self.conn();
        // IMMEDIATE: the write lock is taken (or waited for) before the first
        // read, so the transaction cannot fail half-way when another process
        // wrote since it started reading.
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        // Checked again inside the transaction: two requests with one key can race.
        if let Some(key) = idempotency_key
            && let Some(seen) = seen_key(&tx, key, request_hash)?
        {
            return Ok(seen);
        }
        if idempotency_key.is_none()
            && let Some(id) = duplicate(&tx, request_hash, duplicate_since_ms)?
        {
            return Ok(Inserted::Replayed(id));
        }
        let id = new_id(now_ms);
        let spam = judgement.verdict == Verdict::Spam;
        tx.execute(
            "INSERT INTO submissions (id, created_at, name, email, company, budget, message, consent, spam, idempotency_key, request_hash, partner_origin, source, verdict, reasons, message_hash)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
            params![
                id,
                now_ms,
                req.name.trim(),
                req.email.trim(),
                keel_model::contact::given_company(req.company.as_deref()),
                req.budget.map(Budget::as_str),
                req.message.trim(),
                req.consent,
                spam,
                idempotency_key,
                request_hash,
                partner_origin,
                req.source,
                judgement.verdict.as_str(),
                Some(&judgement.reasons).filter(|r| !r.is_empty()),
                crate::message_fingerprint(&req.message),
            ],
        )?;
        if !spam {
            for channel in channels {
                tx.execute(
                    "INSERT INTO outbox (submission_id, channel, next_attempt_at) VALUES (?1, ?2, ?3)",
                    params![id, channel, now_ms],
                )?;
            }
        }
        tx.commit()?;
        Ok(Inserted::New(id))
    }

    /// The stored answer for an idempotency key, if the key was used before.
    pub fn replay(&self, key: &str, request_hash: &str) -> anyhow::Result<Option<Inserted>> {
        seen_key(&self.conn(), key, request_hash)
    }

    /// A submission without a key whose body was exactly this one, stored at
    /// or after `since_ms`: a double submit (a form posted twice, a client that
    /// sends no key and retries).
    pub fn recent_duplicate(
        &self,
        request_hash: &str,
        since_ms: i64,
    ) -> anyhow::Result<Option<String>> {
        duplicate(&self.conn(), request_hash, since_ms)
    }

    pub fn list(&self, filter: ListFilter) -> anyhow::Result<Vec<Submission>> {
        let conn = self.conn();
        let mut stmt = conn.prepare(&format!(
            "SELECT {SUBMISSION_COLUMNS} FROM submissions s
             WHERE (?1 OR s.spam = 0) AND (?2 OR s.handled_at IS NULL)
             ORDER BY s.created_at DESC, s.id DESC"
        ))?;
        let rows = stmt.query_map(params![filter.include_spam, filter.include_handled], |r| {
            submission(r, 0)
        })?;
        let mut out = Vec::new();
        for row in rows {
            let mut s = row?;
            s.deliveries = deliveries(&conn, &s.id)?;
            out.push(s);
        }
        Ok(out)
    }

    pub fn get(&self, id: &str) -> anyhow::Result<Option<Submission>> {
        let conn = self.conn();
        let s = conn
            .query_row(
                &format!("SELECT {SUBMISSION_COLUMNS} FROM submissions s WHERE s.id = ?1"),
                [id],
                |r| submission(r, 0),
            )
            .optional()?;
        match s {
            Some(mut s) => {
                s.deliveries = deliveries(&conn, &s.id)?;
                Ok(Some(s))
            }
            None => Ok(None),
        }
    }

    pub fn count(&self) -> anyhow::Result<i64> {
        Ok(self
            .conn()
            .query_row("SELECT count(*) FROM submissions", [], |r| r.get(0))?)
    }

    /// Returns false when there is no such submission.
    pub fn mark_handled(&self, id: &str, now_ms: i64) -> anyhow::Result<bool> {
        Ok(self.conn().execute(
            "UPDATE submissions SET handled_at = ?2 WHERE id = ?1",
            params![id, now_ms],
        )? > 0)
    }

    /// Erase a submission and its outbox rows (privacy requests): from the
    /// tables, and from the files. `secure_delete` zeroes the freed space; the
    /// checkpoint then moves the zeroed pages into the database file and
    /// truncates the WAL, which still held the old pages.
    pub fn delete(&self, id: &str) -> anyhow::Result<bool> {
        Ok(self.erase("id = ?1", id)? > 0)
    }

    pub fn same_message_elsewhere(
        &self,
        message: &str,
        email: &str,
        since_ms: i64,
    ) -> anyhow::Result<usize> {
        Ok(self.conn().query_row(
            "SELECT count(DISTINCT lower(email)) FROM submissions
             WHERE message_hash = ?1 AND created_at >= ?2 AND lower(email) <> lower(?3)",
            params![crate::message_fingerprint(message), since_ms, email.trim()],
            |r| r.get::<_, i64>(0),
        )? as usize)
    }

    pub fn set_verdict(
        &self,
        id: &str,
        verdict: Verdict,
        channels: &[Channel],
        now_ms: i64,
    ) -> anyhow::Result<Option<usize>> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let spam = verdict == Verdict::Spam;
        let n = tx.execute(
            "UPDATE submissions SET verdict = ?2, spam = ?3, reasons = 'set by staff' WHERE id = ?1",
            params![id, verdict.as_str(), spam],
        )?;
        if n == 0 {
            return Ok(None);
        }
        let mut queued = 0;
        if spam {
            // What was not sent yet never will be.
            tx.execute(
                "DELETE FROM outbox WHERE submission_id = ?1 AND state = 'pending'",
                [id],
            )?;
        } else {
            for channel in channels {
                queued += tx.execute(
                    "INSERT INTO outbox (submission_id, channel, next_attempt_at)
                     SELECT ?1, ?2, ?3 WHERE NOT EXISTS
                       (SELECT 1 FROM outbox WHERE submission_id = ?1 AND channel = ?2)",
                    params![id, channel, now_ms],
                )?;
            }
        }
        tx.commit()?;
        Ok(Some(queued))
    }

    pub fn use_challenge(
        &self,
        challenge: &str,
        expires_ms: i64,
        now_ms: i64,
    ) -> anyhow::Result<bool> {
        let conn = self.conn();
        conn.execute(
            "DELETE FROM used_challenges WHERE expires_at < ?1",
            [now_ms],
        )?;
        Ok(conn.execute(
            "INSERT OR IGNORE INTO used_challenges (challenge, expires_at) VALUES (?1, ?2)",
            params![challenge, expires_ms],
        )? == 1)
    }

    pub fn setting(&self, key: &str, first: &str) -> anyhow::Result<String> {
        let conn = self.conn();
        conn.execute(
            "INSERT OR IGNORE INTO settings (key, value) VALUES (?1, ?2)",
            params![key, first],
        )?;
        Ok(
            conn.query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| {
                r.get(0)
            })?,
        )
    }

    pub fn forget(&self, email: &str) -> anyhow::Result<usize> {
        // SQLite's lower() folds ASCII only, which is what an address holds
        // but for an internationalised domain, compared as written.
        self.erase("lower(trim(email)) = lower(trim(?1))", email)
    }

    pub fn erase_before(&self, cutoff_ms: i64) -> anyhow::Result<usize> {
        self.erase("created_at < ?1", cutoff_ms)
    }

    /// Delete the submissions `condition` (on `?1`) selects, their outbox
    /// rows with them (a cascade), and clear the write-ahead log so that no
    /// old copy of their text stays in the files (`secure_delete` zeroes the
    /// freed pages of the database itself).
    fn erase(&self, condition: &str, value: impl rusqlite::ToSql) -> anyhow::Result<usize> {
        let conn = self.conn();
        let erased = conn.execute(
            &format!("DELETE FROM submissions WHERE {condition}"),
            [value],
        )?;
        // Also when nothing matched: an erasure repeated after a busy
        // checkpoint finishes the job. The row is (busy, WAL frames, frames
        // checkpointed); busy = 1 when a reader kept an old snapshot past the
        // busy timeout.
        let (busy, _, _): (i64, i64, i64) =
            conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })?;
        if busy != 0 {
            anyhow::bail!(
                "the write-ahead log could not be cleared (another process is reading), so the erased text may still be in it: run the command again later"
            );
        }
        Ok(erased)
    }

    /// `VACUUM INTO` a new file, created private (0600) first: a snapshot of
    /// one read transaction, so writers go on meanwhile.
    pub fn backup(&self, to: &Path) -> anyhow::Result<crate::Backup> {
        if std::fs::metadata(to).is_ok_and(|m| m.len() > 0) {
            anyhow::bail!("{} exists: back up into a new file", to.display());
        }
        schema::create_private(to).with_context(|| format!("creating {}", to.display()))?;
        let target = to.to_str().context("the backup file's path is not UTF-8")?;
        self.conn()
            .execute("VACUUM INTO ?1", [target])
            .with_context(|| format!("copying into {}", to.display()))?;
        let copy = Connection::open_with_flags(to, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
        let submissions = copy.query_row("SELECT count(*) FROM submissions", [], |r| r.get(0))?;
        Ok(crate::Backup {
            submissions,
            bytes: std::fs::metadata(to)?.len(),
        })
    }

    pub fn export(&self) -> anyhow::Result<Vec<Record>> {
        let all = self.list(ListFilter {
            include_spam: true,
            include_handled: true,
        })?;
        let conn = self.conn();
        let mut stmt =
            conn.prepare("SELECT idempotency_key, request_hash FROM submissions WHERE id = ?1")?;
        let mut out = Vec::with_capacity(all.len());
        for submission in all.into_iter().rev() {
            let (idempotency_key, request_hash) =
                stmt.query_row([&submission.id], |r| Ok((r.get(0)?, r.get(1)?)))?;
            out.push(Record {
                submission,
                idempotency_key,
                request_hash,
            });
        }
        Ok(out)
    }

    pub fn import(&self, records: &[Record]) -> anyhow::Result<usize> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut added = 0;
        for r in records {
            let s = &r.submission;
            let n = tx.execute(
                "INSERT OR IGNORE INTO submissions (id, created_at, name, email, company, budget, message, consent, spam, handled_at, idempotency_key, request_hash, partner_origin, source, verdict, reasons, message_hash)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
                params![s.id, s.created_at, s.name, s.email, s.company, s.budget, s.message, s.consent, s.spam, s.handled_at, r.idempotency_key, r.request_hash, s.partner_origin, s.source, s.verdict.as_str(), s.reasons, crate::message_fingerprint(&s.message)],
            )?;
            if n == 0 {
                continue;
            }
            added += 1;
            for d in &s.deliveries {
                tx.execute(
                    "INSERT INTO outbox (submission_id, channel, state, attempts, next_attempt_at, last_error, delivered_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                    params![s.id, d.channel, d.state, d.attempts, d.next_attempt_at, d.last_error, d.delivered_at],
                )?;
            }
        }
        tx.commit()?;
        Ok(added)
    }

    /// Claim the rows due (see `Store::claim_due`). The IMMEDIATE
    /// transaction holds the write lock, so two claimers never take one row.
    pub fn claim_due(
        &self,
        now_ms: i64,
        limit: usize,
        lease_ms: i64,
    ) -> anyhow::Result<Vec<OutboxItem>> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let items = {
            let mut stmt = tx.prepare(&format!(
                "SELECT o.id, o.channel, o.attempts, {SUBMISSION_COLUMNS}
                 FROM outbox o JOIN submissions s ON s.id = o.submission_id
                 WHERE o.state = ?1 AND o.next_attempt_at <= ?2
                 ORDER BY o.next_attempt_at, o.id LIMIT ?3"
            ))?;
            let rows =
                stmt.query_map(params![DeliveryState::Pending, now_ms, limit as i64], |r| {
                    Ok(OutboxItem {
                        id: r.get(0)?,
                        channel: r.get(1)?,
                        attempts: r.get(2)?,
                        submission: submission(r, 3)?,
                    })
                })?;
            rows.collect::<Result<Vec<_>, _>>()?
        };
        let until = now_ms.saturating_add(lease_ms);
        for item in &items {
            tx.execute(
                "UPDATE outbox SET next_attempt_at = ?2 WHERE id = ?1",
                params![item.id, until],
            )?;
        }
        tx.commit()?;
        Ok(items)
    }

    /// When the earliest pending row is due, if any.
    pub fn next_due(&self) -> anyhow::Result<Option<i64>> {
        Ok(self.conn().query_row(
            "SELECT min(next_attempt_at) FROM outbox WHERE state = ?1",
            [DeliveryState::Pending],
            |r| r.get(0),
        )?)
    }

    pub fn mark_delivered(&self, outbox_id: i64, now_ms: i64) -> anyhow::Result<()> {
        self.conn().execute(
            "UPDATE outbox SET state = ?3, delivered_at = ?2, attempts = attempts + 1, last_error = NULL WHERE id = ?1",
            params![outbox_id, now_ms, DeliveryState::Delivered],
        )?;
        Ok(())
    }

    /// A transient failure: tried again at `next_attempt_at`.
    pub fn mark_for_retry(
        &self,
        outbox_id: i64,
        error: &str,
        next_attempt_at: i64,
    ) -> anyhow::Result<()> {
        self.conn().execute(
            "UPDATE outbox SET attempts = attempts + 1, last_error = ?2, next_attempt_at = ?3 WHERE id = ?1",
            params![outbox_id, error, next_attempt_at],
        )?;
        Ok(())
    }

    /// A permanent failure: not tried again unless requeued.
    pub fn mark_failed(&self, outbox_id: i64, error: &str) -> anyhow::Result<()> {
        self.conn().execute(
            "UPDATE outbox SET state = ?3, attempts = attempts + 1, last_error = ?2 WHERE id = ?1",
            params![outbox_id, error, DeliveryState::Failed],
        )?;
        Ok(())
    }

    /// Put a submission's failed notifications back in line, due now (after
    /// the operator fixed what made them fail). Returns how many; `None` when
    /// there is no such submission.
    pub fn requeue_failed(&self, id: &str, now_ms: i64) -> anyhow::Result<Option<usize>> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let exists = tx
            .query_row("SELECT 1 FROM submissions WHERE id = ?1", [id], |_| Ok(()))
            .optional()?
            .is_some();
        let n = tx.execute(
            "UPDATE outbox SET state = ?2, next_attempt_at = ?3 WHERE submission_id = ?1 AND state = ?4",
            params![id, DeliveryState::Pending, now_ms, DeliveryState::Failed],
        )?;
        tx.commit()?;
        Ok(exists.then_some(n))
    }
}

fn duplicate(
    conn: &Connection,
    request_hash: &str,
    since_ms: i64,
) -> anyhow::Result<Option<String>> {
    Ok(conn
        .query_row(
            "SELECT id FROM submissions WHERE idempotency_key IS NULL AND request_hash = ?1 AND created_at >= ?2 ORDER BY created_at LIMIT 1",
            params![request_hash, since_ms],
            |r| r.get(0),
        )
        .optional()?)
}

/// What an idempotency key was used for before: the same body (a replay) or
/// another (a reuse); none if the key is new.
fn seen_key(conn: &Connection, key: &str, request_hash: &str) -> anyhow::Result<Option<Inserted>> {
    let seen: Option<(String, Option<String>)> = conn
        .query_row(
            "SELECT id, request_hash FROM submissions WHERE idempotency_key = ?1",
            [key],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    Ok(seen.map(|(id, hash)| {
        if hash.as_deref() == Some(request_hash) {
            Inserted::Replayed(id)
        } else {
            Inserted::KeyReused
        }
    }))
}

/// A submission (without its deliveries) from `SUBMISSION_COLUMNS`, which
/// start at column `at` of the row.
fn submission(r: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<Submission> {
    Ok(Submission {
        id: r.get(at)?,
        created_at: r.get(at + 1)?,
        name: r.get(at + 2)?,
        email: r.get(at + 3)?,
        company: r.get(at + 4)?,
        budget: r.get(at + 5)?,
        message: r.get(at + 6)?,
        consent: r.get(at + 7)?,
        spam: r.get(at + 8)?,
        handled_at: r.get(at + 9)?,
        partner_origin: r.get(at + 10)?,
        source: r.get(at + 11)?,
        verdict: {
            let text: String = r.get(at + 12)?;
            Verdict::from_stored(&text).map_err(|e| {
                rusqlite::Error::FromSqlConversionFailure(
                    at + 12,
                    rusqlite::types::Type::Text,
                    e.into(),
                )
            })?
        },
        reasons: r.get(at + 13)?,
        deliveries: Vec::new(),
    })
}

fn deliveries(conn: &Connection, id: &str) -> anyhow::Result<Vec<Delivery>> {
    let mut stmt = conn.prepare(
        "SELECT channel, state, attempts, last_error, delivered_at, next_attempt_at FROM outbox WHERE submission_id = ?1 ORDER BY id",
    )?;
    let rows = stmt.query_map([id], |r| {
        Ok(Delivery {
            channel: r.get(0)?,
            state: r.get(1)?,
            attempts: r.get(2)?,
            last_error: r.get(3)?,
            delivered_at: r.get(4)?,
            next_attempt_at: r.get(5)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

#[cfg(test)]
mod tests;
