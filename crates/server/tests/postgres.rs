//! The contact intake on PostgreSQL through the real router: two instances
//! (two `AppState`s, two pools) on one database this test starts, and what a
//! client sees when the database goes away and comes back.

use keel_pg_cluster as pg;

use std::collections::HashMap;
use std::path::Path;

use axum::body::{Body, Bytes};
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use keel_server::files::SiteFiles;
use keel_server::{AppState, Config, app};
use keel_store::Store;
use tower::ServiceExt;

const VALID: &str = r#"{"name":"Åsa Nørgaard","email":"asa@example.dk","company":null,"budget":"not_sure","message":"We need help scaling our Postgres cluster.","consent":true}"#;
const TOKEN: &str = "an-admin-token-long-enough";
const PARTNER: &str = "https://partner.example";

async fn instance(url: &str) -> AppState {
    let config = Config {
        admin_token: Some(TOKEN.into()),
        allowed_origins: vec![PARTNER.into()],
        ..Config::default()
    };
    let store = Store::open(Path::new(url), 4).await.unwrap();
    let files = SiteFiles::from_map(HashMap::from([(
        "/index.html".to_string(),
        b"<!doctype html><title>Keel</title>".to_vec(),
    )]));
    AppState::new(config, files, store)
}

async fn send(state: &AppState, req: Request<Body>) -> (StatusCode, serde_json::Value) {
    let res = app(state.clone()).oneshot(req).await.unwrap();
    let status = res.status();
    let body: Bytes = res.into_body().collect().await.unwrap().to_bytes();
    let json = serde_json::from_slice(&body).unwrap_or_else(|e| {
        panic!(
            "{status}: not JSON ({e}): {}",
            String::from_utf8_lossy(&body)
        )
    });
    (status, json)
}

async fn post(state: &AppState, body: &str, key: Option<&str>) -> (StatusCode, serde_json::Value) {
    let mut req = Request::post("/api/v1/contact").header(header::CONTENT_TYPE, "application/json");
    if let Some(k) = key {
        req = req.header("idempotency-key", k);
    }
    send(state, req.body(Body::from(body.to_string())).unwrap()).await
}

/// A POST from `origin`'s page: status, `Access-Control-Allow-Origin`, body.
async fn post_from(
    state: &AppState,
    origin: &str,
    body: &str,
) -> (StatusCode, Option<String>, serde_json::Value) {
    let req = Request::post("/api/v1/contact")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::ORIGIN, origin)
        .body(Body::from(body.to_string()))
        .unwrap();
    let res = app(state.clone()).oneshot(req).await.unwrap();
    let status = res.status();
    let allow = res
        .headers()
        .get(header::ACCESS_CONTROL_ALLOW_ORIGIN)
        .map(|v| v.to_str().unwrap().to_string());
    let body: Bytes = res.into_body().collect().await.unwrap().to_bytes();
    (status, allow, serde_json::from_slice(&body).unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_on_one_database_and_an_outage() {
    let pg = pg::Cluster::start(pg::Durability::Tests).unwrap();
    let url = pg.create_db("intake").unwrap();
    let (a, b) = (instance(&url).await, instance(&url).await);

    // An Idempotency-Key replayed to the other instance gets the first answer.
    let (s1, first) = post(&a, VALID, Some("k-1")).await;
    assert_eq!(s1, StatusCode::CREATED, "{first}");
    let (s2, again) = post(&b, VALID, Some("k-1")).await;
    assert_eq!((s2, &again["id"]), (StatusCode::CREATED, &first["id"]));
    let other = VALID.replace("Postgres cluster", "Kafka cluster");
    let (s3, reused) = post(&b, &other, Some("k-1")).await;
    assert_eq!(s3, StatusCode::CONFLICT, "{reused}");

    // Without a key, the same body posted to the other instance is a double submit.
    let (_, x) = post(&a, &other, None).await;
    let (_, y) = post(&b, &other, None).await;
    assert_eq!(x["id"], y["id"]);
    assert_eq!(a.store.count().await.unwrap(), 2);

    // The admin endpoint reads PostgreSQL.
    let (status, list) = send(
        &b,
        Request::get("/api/v1/admin/submissions")
            .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list.as_array().unwrap().len(), 2);
    assert_eq!(list[1]["name"], "Åsa Nørgaard");
    assert_eq!(list[1]["partner_origin"], serde_json::Value::Null);

    // A partner's page posts: PostgreSQL records where it came from; another
    // origin is refused and stores nothing.
    let partner_body = VALID.replace("Postgres cluster", "partner's cluster");
    let (status, allow, created) = post_from(&a, PARTNER, &partner_body).await;
    assert_eq!(
        (status, allow.as_deref()),
        (StatusCode::CREATED, Some(PARTNER)),
        "{created}"
    );
    let stored = b
        .store
        .get(created["id"].as_str().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.partner_origin.as_deref(), Some(PARTNER));
    let (status, _, _) = post_from(
        &b,
        "https://evil.example",
        &VALID.replace("Postgres", "evil"),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        a.store.count().await.unwrap(),
        3,
        "the foreign post stored nothing"
    );

    // The database goes away: a JSON 503, never a 201, and nothing hangs.
    pg.stop().unwrap();
    let third = VALID.replace("Postgres cluster", "search cluster");
    let (status, err) = post(&a, &third, Some("k-2")).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{err}");
    assert_eq!(err["error"], "unavailable", "{err}");
    assert!(
        err["message"].as_str().unwrap().contains("try again"),
        "{err}"
    );
    // A partner's page can read that 503 too.
    let (status, allow, _) = post_from(&a, PARTNER, &VALID.replace("Postgres", "outage")).await;
    assert_eq!(
        (status, allow.as_deref()),
        (StatusCode::SERVICE_UNAVAILABLE, Some(PARTNER))
    );

    // It comes back: the pool reconnects, the retry is stored.
    pg.start_again().unwrap();
    let (status, stored) = post(&a, &third, Some("k-2")).await;
    assert_eq!(status, StatusCode::CREATED, "{stored}");
    assert_eq!(b.store.count().await.unwrap(), 4);
}
