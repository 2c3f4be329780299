//! The SQLite backend's own cases (the shared suite is `suite.rs`).

use keel_model::contact::ContactRequest;

use super::schema::MIGRATIONS;
use super::*;
use crate::Judgement;
use crate::suite::req;

#[test]
fn a_database_from_before_partner_origins_is_migrated_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    {
        // The file as the server before migrations left it: SCHEMA only.
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch(SCHEMA).unwrap();
        conn.execute(
            "INSERT INTO submissions (id, created_at, name, email, message, consent) VALUES ('old', 1, 'n', 'e@x', 'm', 1)",
            [],
        )
        .unwrap();
    }
    for _ in 0..2 {
        let s = SqliteStore::open(&path).unwrap();
        let old = s.get("old").unwrap().unwrap();
        assert_eq!(old.partner_origin, None, "kept, with no partner");
        let version: usize = s
            .conn()
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(version, MIGRATIONS.len());
    }
    Connection::open(&path)
        .unwrap()
        .pragma_update(None, "user_version", 99)
        .unwrap();
    let err = SqliteStore::open(&path).err().unwrap();
    assert!(
        format!("{err:#}").contains("schema is at version 99"),
        "{err:#}"
    );
}

fn insert(
    s: &SqliteStore,
    req: &ContactRequest,
    key: Option<&str>,
    hash: &str,
    now_ms: i64,
) -> Inserted {
    s.insert(&NewSubmission {
        request: req,
        judgement: Judgement::CLEAN,
        idempotency_key: key,
        request_hash: hash,
        channels: &[Channel::Email],
        now_ms,
        duplicate_since_ms: now_ms,
        partner_origin: None,
    })
    .unwrap()
}

#[cfg(unix)]
#[test]
fn database_files_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keel.db");
    let s = SqliteStore::open(&path).unwrap();
    insert(&s, &req(), None, "h", 1);
    for name in ["keel.db", "keel.db-wal", "keel.db-shm"] {
        let mode = std::fs::metadata(dir.path().join(name))
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o600, "{name} is {mode:o}");
    }
    assert_eq!(readable_by_others(&path), None);
    drop(s);
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
    assert_eq!(
        readable_by_others(&path),
        Some(0o640),
        "an older database is noticed"
    );
    SqliteStore::open(&path).unwrap();
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o640, "and left as the operator set it");
}

#[test]
fn a_deleted_submission_is_gone_from_the_files() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keel.db");
    let s = SqliteStore::open(&path).unwrap();
    let secret = |n: &str| ContactRequest {
        message: format!("Our secret plan {n} is in this message."),
        ..req()
    };
    let Inserted::New(gone) = insert(&s, &secret("ZEBRA-4711"), None, "h1", 1) else {
        panic!()
    };
    insert(&s, &secret("OTTER-0815"), None, "h2", 2);
    s.mark_handled(&gone, 3).unwrap();
    assert!(s.delete(&gone).unwrap());
    let mut bytes = Vec::new();
    for name in ["keel.db", "keel.db-wal"] {
        bytes.extend(std::fs::read(dir.path().join(name)).unwrap_or_default());
    }
    let found = |needle: &str| bytes.windows(needle.len()).any(|w| w == needle.as_bytes());
    assert!(
        found("OTTER-0815"),
        "the search works: the kept submission is in the files"
    );
    assert!(
        !found("ZEBRA-4711"),
        "the deleted text is still in the database or its WAL"
    );
    assert!(
        !found(&gone),
        "the deleted id is still in the database or its WAL"
    );
}

#[test]
fn insert_waits_for_another_writer_instead_of_failing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keel.db");
    let s = SqliteStore::open(&path).unwrap();
    // Another process (the CLI, a second server) holds the write lock a while.
    let (locked_tx, locked) = std::sync::mpsc::channel();
    let other = std::thread::spawn({
        let path = path.clone();
        move || {
            let c = Connection::open(&path).unwrap();
            c.execute_batch(
                "BEGIN IMMEDIATE; INSERT INTO submissions (id, created_at, name, email, message, consent) VALUES ('x', 0, 'n', 'e', 'm', 1);",
            )
            .unwrap();
            locked_tx.send(()).unwrap();
            std::thread::sleep(std::time::Duration::from_millis(300));
            c.execute_batch("COMMIT").unwrap();
        }
    });
    locked.recv().unwrap();
    // With a key the transaction reads before it writes: a DEFERRED one
    // would hold a stale snapshot and fail with SQLITE_BUSY at once.
    let inserted = s.insert(&NewSubmission {
        request: &req(),
        judgement: Judgement::CLEAN,
        idempotency_key: Some("k"),
        request_hash: "h",
        channels: &[],
        now_ms: 1,
        duplicate_since_ms: 0,
        partner_origin: None,
    });
    other.join().unwrap();
    assert!(
        matches!(inserted, Ok(Inserted::New(_))),
        "{:?}",
        inserted.err()
    );
    assert_eq!(s.count().unwrap(), 2);
}

#[test]
fn states_and_channels_read_back_as_written() {
    let s = SqliteStore::open_in_memory().unwrap();
    let conn = s.conn();
    for c in Channel::ALL {
        let back: Channel = conn.query_row("SELECT ?1", [c], |r| r.get(0)).unwrap();
        assert_eq!(back, *c);
        assert_eq!(serde_json::to_value(c).unwrap(), c.as_str());
    }
    for d in DeliveryState::ALL {
        let back: DeliveryState = conn.query_row("SELECT ?1", [d], |r| r.get(0)).unwrap();
        assert_eq!(back, *d);
        assert_eq!(serde_json::to_value(d).unwrap(), d.as_str());
    }
    let err = conn
        .query_row("SELECT 'carrier-pigeon'", [], |r| r.get::<_, Channel>(0))
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("unknown Channel \"carrier-pigeon\""),
        "{err}"
    );
}

/// The bytes of the database and its write-ahead log.
fn file_bytes(dir: &Path) -> Vec<u8> {
    let mut bytes = Vec::new();
    for name in ["keel.db", "keel.db-wal"] {
        bytes.extend(std::fs::read(dir.join(name)).unwrap_or_default());
    }
    bytes
}

fn contains(bytes: &[u8], needle: &str) -> bool {
    bytes.windows(needle.len()).any(|w| w == needle.as_bytes())
}

#[test]
fn a_forgotten_address_leaves_no_text_in_the_files() {
    let dir = tempfile::tempdir().unwrap();
    let s = SqliteStore::open(&dir.path().join("keel.db")).unwrap();
    let from = |email: &str, name: &str, word: &str| ContactRequest {
        email: email.into(),
        name: name.into(),
        company: Some(format!("{word} Holdings")),
        message: format!("Our secret plan {word} is in this message."),
        ..req()
    };
    insert(
        &s,
        &from("grace@hopper.example", "Grace Forgotten", "ZEBRA-4711"),
        None,
        "g1",
        1,
    );
    insert(
        &s,
        &from("GRACE@hopper.example", "Grace Forgotten", "LYNX-2024"),
        None,
        "g2",
        2,
    );
    insert(
        &s,
        &from("other@example.com", "Kept Person", "OTTER-0815"),
        None,
        "o",
        3,
    );
    assert_eq!(s.forget("grace@hopper.example").unwrap(), 2);
    let bytes = file_bytes(dir.path());
    assert!(
        contains(&bytes, "OTTER-0815"),
        "the search works: the kept request is in the files"
    );
    for gone in [
        "ZEBRA-4711",
        "LYNX-2024",
        "Grace Forgotten",
        "hopper.example",
    ] {
        assert!(
            !contains(&bytes, gone),
            "{gone} is still in the database or its WAL"
        );
    }
}

#[test]
fn a_backup_is_a_private_store_with_every_request_and_never_overwrites() {
    let dir = tempfile::tempdir().unwrap();
    let s = SqliteStore::open(&dir.path().join("keel.db")).unwrap();
    for i in 0..3 {
        insert(&s, &req(), None, &format!("h{i}"), i);
    }
    let to = dir.path().join("backup.db");
    let done = s.backup(&to).unwrap();
    assert_eq!(done.submissions, 3);
    assert_eq!(done.bytes, std::fs::metadata(&to).unwrap().len());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&to).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    let copy = SqliteStore::open(&to).unwrap();
    assert_eq!(copy.export().unwrap().len(), 3);
    drop(copy);
    let err = s.backup(&to).unwrap_err();
    assert!(
        format!("{err:#}").contains("exists: back up into a new file"),
        "{err:#}"
    );
}
