//! The PostgreSQL backup docs/configuration.md gives ("Backups"), run as
//! written against a throwaway cluster: `pg_dump` of a store in use, then
//! `pg_restore` into a new database, which a server opens as it was.

use std::path::Path;
use std::process::Command;

use keel_model::contact::ContactRequest;
use keel_pg_cluster::{Cluster, Durability};
use keel_store::{Channel, Judgement, NewSubmission, Store};

#[tokio::test]
async fn pg_dump_and_pg_restore_bring_back_every_request() {
    let cluster = Cluster::start(Durability::Tests).unwrap();
    let from = cluster.create_db("keel").unwrap();
    let store = Store::open(Path::new(&from), 2).await.unwrap();
    for i in 0..25 {
        let request = ContactRequest {
            name: format!("Visitor {i}"),
            email: format!("v{i}@example.com"),
            message: "We need help with our queues.".into(),
            consent: true,
            source: (i % 2 == 0).then(|| "spring-2027".into()),
            ..ContactRequest::default()
        };
        store
            .insert(NewSubmission {
                request: &request,
                judgement: Judgement::CLEAN,
                idempotency_key: None,
                request_hash: &i.to_string(),
                channels: &[Channel::Email],
                now_ms: i,
                duplicate_since_ms: i,
                partner_origin: (i % 3 == 0).then_some("https://partner.example"),
            })
            .await
            .unwrap();
    }
    let dir = tempfile::tempdir().unwrap();
    let dump = dir.path().join("keel.dump");
    // The documented commands, with the cluster's own tools.
    let started = std::time::Instant::now();
    let status = Command::new(cluster.tool("pg_dump"))
        .args(["--format=custom", "--file"])
        .arg(&dump)
        .arg(&from)
        .status()
        .unwrap();
    assert!(status.success(), "pg_dump: {status}");
    let to = cluster.create_db("keel_restored").unwrap();
    let status = Command::new(cluster.tool("pg_restore"))
        .args(["--no-owner", "--exit-on-error", "--dbname"])
        .arg(&to)
        .arg(&dump)
        .status()
        .unwrap();
    assert!(status.success(), "pg_restore: {status}");
    let bytes = std::fs::metadata(&dump).unwrap().len();
    println!(
        "pg_dump and pg_restore of 25 requests: {bytes} bytes, {} ms",
        started.elapsed().as_millis()
    );
    let restored = Store::open(Path::new(&to), 2).await.unwrap();
    let (a, b) = (
        store.export().await.unwrap(),
        restored.export().await.unwrap(),
    );
    assert_eq!(a.len(), 25);
    assert_eq!(a, b, "the restored database holds every request as it was");
    // Its notifications are there to send, and it takes new requests.
    assert_eq!(restored.next_due().await.unwrap(), Some(0));
    assert_eq!(restored.count().await.unwrap(), 25);
}
