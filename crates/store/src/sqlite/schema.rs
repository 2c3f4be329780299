//! The SQLite file and its schema: the tables, the migrations that bring an
//! older file up to date, and the file's permissions.

use std::path::Path;

use anyhow::Context;
use rusqlite::{Connection, TransactionBehavior};

pub(super) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS submissions (
    id              TEXT PRIMARY KEY,
    created_at      INTEGER NOT NULL,           -- unix milliseconds
    name            TEXT NOT NULL,
    email           TEXT NOT NULL,
    company         TEXT,
    budget          TEXT,
    message         TEXT NOT NULL,
    consent         INTEGER NOT NULL,
    spam            INTEGER NOT NULL DEFAULT 0,
    handled_at      INTEGER,
    idempotency_key TEXT UNIQUE,
    request_hash    TEXT
);
CREATE TABLE IF NOT EXISTS outbox (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    submission_id   TEXT NOT NULL REFERENCES submissions(id) ON DELETE CASCADE,
    channel         TEXT NOT NULL,              -- 'email' | 'webhook'
    state           TEXT NOT NULL DEFAULT 'pending', -- 'pending' | 'delivered' | 'failed'
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_error      TEXT,
    delivered_at    INTEGER
);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox(state, next_attempt_at);
CREATE INDEX IF NOT EXISTS submissions_hash ON submissions(request_hash, created_at);
";

/// Changes to `SCHEMA` for databases made before them, in order: the n-th is
/// applied once, when `PRAGMA user_version` is below n (then set to n).
pub(super) const MIGRATIONS: &[&str] = &[
    // 1: the partner site a submission came from (issue 8, partner embeds).
    "ALTER TABLE submissions ADD COLUMN partner_origin TEXT",
    // 2: the source a partner's page named (issue 26, `data-keel-source`).
    "ALTER TABLE submissions ADD COLUMN source TEXT",
    // 3: the spam verdict, its reasons, and the message's fingerprint for the
    // repeated-message rule (issue 27).
    "ALTER TABLE submissions ADD COLUMN verdict TEXT NOT NULL DEFAULT 'clean';
     ALTER TABLE submissions ADD COLUMN reasons TEXT;
     ALTER TABLE submissions ADD COLUMN message_hash TEXT;
     UPDATE submissions SET verdict = 'spam' WHERE spam;
     CREATE INDEX submissions_message ON submissions(message_hash, created_at);",
    // 4: proof-of-work challenges already used, and the server's own
    // settings (the challenges' key) (issue 27).
    "CREATE TABLE used_challenges (challenge TEXT PRIMARY KEY, expires_at INTEGER NOT NULL);
     CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);",
];

/// Apply the `MIGRATIONS` this file has not seen, in one transaction taken
/// for writing first, so a server and the CLI opening it together take turns.
pub(super) fn migrate(conn: &mut Connection) -> anyhow::Result<()> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let current: usize = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if current > MIGRATIONS.len() {
        anyhow::bail!(
            "the database schema is at version {current}, newer than this server knows ({}): run the newer server, or restore a matching backup",
            MIGRATIONS.len()
        );
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(current) {
        tx.execute_batch(sql)
            .with_context(|| format!("migration {}", i + 1))?;
        tx.pragma_update(None, "user_version", i + 1)?;
        tracing::info!(version = i + 1, "applied a database migration");
    }
    tx.commit()?;
    Ok(())
}

/// Create the database file, readable and writable by its owner only, unless
/// it exists. SQLite gives the `-wal` and `-shm` files the database file's
/// permissions.
pub(super) fn create_private(path: &Path) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

/// The file's permission bits when users other than its owner may access
/// it (a database created before files were made 0600).
pub(super) fn readable_by_others(path: &Path) -> Option<u32> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path).ok()?.permissions().mode() & 0o777;
        (mode & 0o077 != 0).then_some(mode)
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}
