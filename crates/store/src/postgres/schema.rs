//! The PostgreSQL schema: one step per version, applied once by whichever
//! instance starts first.

use anyhow::Context;

/// The schema, one step per version. A step is never edited once released:
/// a change is a new step.
const MIGRATIONS: &[(i32, &str)] = &[
    (
        1,
        "
CREATE TABLE submissions (
    id              TEXT PRIMARY KEY,
    created_at      BIGINT NOT NULL,            -- unix milliseconds
    name            TEXT NOT NULL,
    email           TEXT NOT NULL,
    company         TEXT,
    budget          TEXT,
    message         TEXT NOT NULL,
    consent         BOOLEAN NOT NULL,
    spam            BOOLEAN NOT NULL DEFAULT FALSE,
    handled_at      BIGINT,
    idempotency_key TEXT UNIQUE,
    request_hash    TEXT
);
CREATE TABLE outbox (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    submission_id   TEXT NOT NULL REFERENCES submissions(id) ON DELETE CASCADE,
    channel         TEXT NOT NULL,              -- 'email' | 'webhook'
    state           TEXT NOT NULL DEFAULT 'pending', -- 'pending' | 'delivered' | 'failed'
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    last_error      TEXT,
    delivered_at    BIGINT
);
CREATE INDEX outbox_due ON outbox(state, next_attempt_at);
CREATE INDEX outbox_submission ON outbox(submission_id);
CREATE INDEX submissions_hash ON submissions(request_hash, created_at);
",
    ),
    (
        2,
        // The partner site a submission came from (issue 8, partner embeds).
        "ALTER TABLE submissions ADD COLUMN partner_origin TEXT",
    ),
    (
        3,
        // The source a partner's page named (issue 26, `data-keel-source`).
        "ALTER TABLE submissions ADD COLUMN source TEXT",
    ),
    (
        4,
        // The spam verdict, its reasons, and the message's fingerprint for
        // the repeated-message rule (issue 27).
        "
ALTER TABLE submissions ADD COLUMN verdict TEXT NOT NULL DEFAULT 'clean';
ALTER TABLE submissions ADD COLUMN reasons TEXT;
ALTER TABLE submissions ADD COLUMN message_hash TEXT;
UPDATE submissions SET verdict = 'spam' WHERE spam;
CREATE INDEX submissions_message ON submissions(message_hash, created_at);
",
    ),
    (
        5,
        // Proof-of-work challenges already used, and the server's own
        // settings (the challenges' key) (issue 27).
        "
CREATE TABLE used_challenges (challenge TEXT PRIMARY KEY, expires_at BIGINT NOT NULL);
CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
",
    ),
];

/// The version the last step brings a database to.
pub(crate) const LATEST: i32 = MIGRATIONS[MIGRATIONS.len() - 1].0;

/// The advisory lock key migrations run under ("keel" in ASCII).
const MIGRATION_LOCK: i64 = 0x6b65_656c;

/// Apply the migrations this database has not seen, in one transaction,
/// under an advisory lock so that instances starting together take turns.
pub(super) async fn migrate(client: &mut deadpool_postgres::Object) -> anyhow::Result<()> {
    let tx = client.transaction().await?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .await?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS keel_migrations (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())",
    )
    .await?;
    let current: i32 = tx
        .query_one("SELECT coalesce(max(version), 0) FROM keel_migrations", &[])
        .await?
        .try_get(0)?;
    let latest = LATEST;
    if current > latest {
        anyhow::bail!(
            "the database schema is at version {current}, newer than this server knows ({latest}): run the newer server, or restore a matching backup"
        );
    }
    for (version, sql) in MIGRATIONS.iter().filter(|m| m.0 > current) {
        tx.batch_execute(sql)
            .await
            .with_context(|| format!("migration {version}"))?;
        tx.execute(
            "INSERT INTO keel_migrations (version) VALUES ($1)",
            &[version],
        )
        .await?;
        tracing::info!(version, "applied a database migration");
    }
    tx.commit().await?;
    Ok(())
}
