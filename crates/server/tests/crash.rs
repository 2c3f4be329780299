//! Two server processes on one PostgreSQL, SIGKILLed in turn under
//! concurrent load, then checked: every acknowledged submission is stored,
//! no idempotency key got two ids, and every notification reached the
//! webhook sink (duplicates counted: a worker killed between sending and
//! recording sends again after its lease).
//!
//! Everything runs on loopback and is stopped at the end, also on failure:
//! the database (`keel_pg_cluster::Cluster`), the servers (`kill_on_drop`), the sink (a task).
//! The figures are printed (`cargo test -p keel-server --test crash -- --nocapture`).

use keel_pg_cluster as pg;

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Json;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

const ROUNDS: usize = 10;
const CLIENTS: usize = 6;

struct Instance {
    child: Child,
}

async fn start(port: u16, db: &str, sink: &str, dist: &std::path::Path) -> Instance {
    let mut child = Command::new(env!("CARGO_BIN_EXE_keel-server"))
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .arg("--dist")
        .arg(dist)
        .env("KEEL_DATABASE", db)
        .env("KEEL_WEBHOOK_URL", sink)
        .env("KEEL_OUTBOX_LEASE_SECONDS", "2")
        .env("KEEL_RETRY_BASE_MS", "200")
        .env("KEEL_RATE_LIMIT_BURST", "1000000")
        .env("KEEL_RATE_LIMIT_ATTEMPTS_PER_MINUTE", "1000000")
        .env("KEEL_RATE_LIMIT_INSTANCE_PER_MINUTE", "1000000")
        .env("KEEL_DATABASE_POOL_SIZE", "4")
        .env_remove("KEEL_CONFIG")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let line = tokio::time::timeout(Duration::from_secs(20), lines.next_line())
        .await
        .expect("the server did not start within 20 s")
        .unwrap()
        .expect("the server exited before listening");
    assert!(line.starts_with("Keel is running at"), "{line}");
    Instance { child }
}

/// What the load saw, per idempotency key: every id an instance answered.
#[derive(Default)]
struct Seen {
    sent: usize,
    acked: HashMap<String, HashSet<String>>,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_killed_in_turn_lose_nothing() {
    let pg = pg::Cluster::start(pg::Durability::Tests).unwrap();
    let db = pg.create_db("crash").unwrap();
    let dist = tempfile::tempdir().unwrap();
    std::fs::write(
        dist.path().join("index.html"),
        "<!doctype html><title>Keel</title>",
    )
    .unwrap();

    // The webhook sink: counts deliveries per submission id.
    let delivered: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
    let sink = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let sink_url = format!("http://{}/hook", sink.local_addr().unwrap());
    let sink_task = tokio::spawn({
        let delivered = delivered.clone();
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post(move |Json(body): Json<serde_json::Value>| {
                let delivered = delivered.clone();
                async move {
                    let id = body["submission"]["id"].as_str().unwrap_or("?").to_string();
                    *delivered.lock().unwrap().entry(id).or_default() += 1;
                    "ok"
                }
            }),
        );
        async move { axum::serve(sink, app).await.unwrap() }
    });

    let ports = [pg::free_port().unwrap(), pg::free_port().unwrap()];
    let mut instances = Vec::new();
    for port in ports {
        instances.push(start(port, &db, &sink_url, dist.path()).await);
    }

    // Concurrent clients: each submission has its own key and body; a failed
    // attempt (connection refused or reset, a 503) is retried, same key and
    // body, on the other instance, as a client behind a balancer would.
    let stop = Arc::new(AtomicBool::new(false));
    let seen = Arc::new(Mutex::new(Seen::default()));
    let counter = Arc::new(AtomicUsize::new(0));
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let mut clients = Vec::new();
    for c in 0..CLIENTS {
        let (stop, seen, counter, http) =
            (stop.clone(), seen.clone(), counter.clone(), http.clone());
        clients.push(tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                let n = counter.fetch_add(1, Ordering::Relaxed);
                let key = format!("client{c}-{n}");
                let body = serde_json::json!({
                    "name": "Åsa Nørgaard",
                    "email": "asa@example.dk",
                    "message": format!("We need help scaling our cluster, request {n}."),
                    "consent": true,
                });
                seen.lock().unwrap().sent += 1;
                // Now and then a second answer for the same key, from the
                // other instance: it must name the same id.
                let wanted = if n % 7 == 0 { 2 } else { 1 };
                let mut answers = 0;
                for attempt in 0..200 {
                    let port = ports[(n + attempt) % 2];
                    let res = http
                        .post(format!("http://127.0.0.1:{port}/api/v1/contact"))
                        .header("idempotency-key", &key)
                        .json(&body)
                        .send()
                        .await;
                    match res {
                        Ok(r) if r.status() == reqwest::StatusCode::CREATED => {
                            let v: serde_json::Value = r.json().await.unwrap();
                            let id = v["id"].as_str().unwrap().to_string();
                            seen.lock()
                                .unwrap()
                                .acked
                                .entry(key.clone())
                                .or_default()
                                .insert(id);
                            answers += 1;
                            if answers == wanted {
                                break;
                            }
                        }
                        Ok(r) => {
                            let status = r.status();
                            assert!(
                                status == reqwest::StatusCode::SERVICE_UNAVAILABLE,
                                "unexpected {status}: {}",
                                r.text().await.unwrap_or_default()
                            );
                        }
                        Err(_) => {} // the instance is down: try the other
                    }
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            }
        }));
    }

    let started = Instant::now();
    for round in 0..ROUNDS {
        tokio::time::sleep(Duration::from_millis(400)).await;
        let which = round % 2;
        // SIGKILL: no shutdown, no flush, a send possibly in flight.
        instances[which].child.start_kill().unwrap();
        instances[which].child.wait().await.unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
        instances[which] = start(ports[which], &db, &sink_url, dist.path()).await;
    }
    stop.store(true, Ordering::Relaxed);
    for c in clients {
        c.await.unwrap();
    }
    let load_time = started.elapsed();

    let (sent, acked) = {
        let seen = seen.lock().unwrap();
        (seen.sent, seen.acked.clone())
    };
    for (key, ids) in &acked {
        assert_eq!(
            ids.len(),
            1,
            "idempotency key {key} was answered with two ids: {ids:?}"
        );
    }
    let acked_ids: HashSet<String> = acked.values().flatten().cloned().collect();

    // Stored: straight from the database.
    let (client, conn) = tokio_postgres::connect(&db, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(conn);
    let stored: HashSet<String> = client
        .query("SELECT id FROM submissions", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    let found = acked_ids.iter().filter(|id| stored.contains(*id)).count();
    let keys_with_two_rows: i64 = client
        .query_one(
            "SELECT count(*) FROM (SELECT idempotency_key FROM submissions GROUP BY idempotency_key HAVING count(*) > 1) t",
            &[],
        )
        .await
        .unwrap()
        .get(0);

    // Delivered: wait for every stored submission's notification (a killed
    // worker's claims come back after the 2-second lease).
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let missing = stored
            .iter()
            .filter(|id| !delivered.lock().unwrap().contains_key(*id))
            .count();
        if missing == 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{missing} of {} stored submissions never reached the webhook",
            stored.len()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let delivered = delivered.lock().unwrap().clone();
    let duplicates: usize = delivered.values().map(|n| n - 1).sum();
    let strays = delivered.keys().filter(|id| !stored.contains(*id)).count();
    drop(instances);
    sink_task.abort();

    println!(
        "crash test: rounds {ROUNDS}, sent {sent}, acknowledged {}, found {found}, stored {}, notifications {}, duplicates {duplicates}, load {:.1} s",
        acked_ids.len(),
        stored.len(),
        delivered.len(),
        load_time.as_secs_f64()
    );
    assert!(
        acked_ids.len() >= ROUNDS * 5,
        "too little load to mean anything: {}",
        acked_ids.len()
    );
    assert_eq!(
        found,
        acked_ids.len(),
        "acknowledged submissions missing from the database"
    );
    assert_eq!(keys_with_two_rows, 0, "an idempotency key stored twice");
    assert_eq!(
        strays, 0,
        "a notification for a submission that is not stored"
    );
}
