//! The contact intake: what is stored, refused, limited, replayed or marked
//! as spam, as JSON and as a plain HTML form post.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use keel_server::Config;

use crate::support::*;

/// What the answer says is stored, as sent. That nothing is answered 201
/// before it is stored is observed where the store can fail: a database
/// outage answers 503 (`postgres.rs`), and no acknowledged request is lost
/// when instances are killed (`crash.rs`).
#[tokio::test]
async fn a_valid_submission_is_answered_201_with_the_id_it_is_stored_under() {
    let h = harness(Config::default()).await;
    let (status, headers, body) = h.post_json(VALID, None).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(headers[header::CACHE_CONTROL], "no-store");
    let stored = h.stored(&body).await;
    assert_eq!(stored.name, "Åsa Nørgaard");
    assert_eq!(stored.budget.as_deref(), Some("not_sure"));
    assert!(!stored.spam);
}

#[tokio::test]
async fn invalid_fields_get_422_with_per_field_errors() {
    let h = harness(Config::default()).await;
    let (status, _, body) = h
        .post_json(
            r#"{"name":"","email":"nope","message":"hi","consent":false}"#,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"], "validation");
    let fields: Vec<&str> = body["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["name", "email", "message", "consent"]);
    let (status, _, body) = h.post_json("{}", None).await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "missing fields are field errors too"
    );
    assert_eq!(body["fields"].as_array().unwrap().len(), 4);
    assert_eq!(h.state.store.count().await.unwrap(), 0);
}

#[tokio::test]
async fn malformed_wrong_type_and_oversized_bodies() {
    let h = harness(Config::default()).await;
    let (status, _, body) = h.post_json("{\"name\": ", None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "bad_request");
    let (status, _, _) = h.post_json(r#"{"name":"a","is_admin":true}"#, None).await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "unknown fields are refused"
    );

    let (status, _, body) = h
        .send(
            Request::post("/api/v1/contact")
                .header(header::CONTENT_TYPE, "text/plain")
                .body(Body::from(VALID))
                .unwrap(),
        )
        .await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(json(&body)["status"], 415);
    let (status, ..) = h
        .send(
            Request::post("/api/v1/contact")
                .body(Body::from(VALID))
                .unwrap(),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "no content type"
    );

    let huge = format!(
        r#"{{"name":"a","email":"a@b","message":"{}","consent":true}}"#,
        "x".repeat(40_000)
    );
    let (status, _, body) = h.post_json(&huge, None).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(body["status"], 413);
    assert_eq!(h.state.store.count().await.unwrap(), 0);
}

#[tokio::test]
async fn rate_limit_answers_429_with_retry_after() {
    let mut config = Config::default();
    config.rate_limit.burst = 2;
    config.rate_limit.refill_seconds = 30;
    let h = harness(config).await;
    let other = |n: &str| VALID.replace("Postgres", n);
    assert_eq!(h.post_json(&other("A"), None).await.0, StatusCode::CREATED);
    assert_eq!(h.post_json(&other("B"), None).await.0, StatusCode::CREATED);
    let (status, headers, body) = h.post_json(&other("C"), None).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(headers[header::RETRY_AFTER], "30");
    assert_eq!(body["error"], "rate_limited");
    assert_eq!(h.state.store.count().await.unwrap(), 2);
}

/// One address's posts are counted before any work: past
/// `attempts_per_minute`, even a malformed body gets 429, unread.
#[tokio::test]
async fn attempts_are_limited_per_address_before_the_body_is_read() {
    let mut config = Config::default();
    config.rate_limit.attempts_per_minute = 3;
    let h = harness(config).await;
    for _ in 0..3 {
        assert_eq!(
            h.post_json("{not json", None).await.0,
            StatusCode::BAD_REQUEST
        );
    }
    let (status, headers, body) = h.post_json("{not json", None).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "unread: not a 400");
    assert!(headers.contains_key(header::RETRY_AFTER));
    assert_eq!(body["error"], "rate_limited");
    assert_eq!(
        h.post_json(VALID, None).await.0,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(h.state.store.count().await.unwrap(), 0);
}

/// The instance stores at most `instance_per_minute` new submissions, from
/// everyone; a replay of a stored one still gets its answer.
#[tokio::test]
async fn new_submissions_are_limited_per_instance() {
    let mut config = Config::default();
    config.rate_limit.burst = 100;
    config.rate_limit.instance_per_minute = 2;
    let h = harness(config).await;
    let other = |n: &str| VALID.replace("Postgres", n);
    let (first, _, answer) = h.post_json(&other("A"), Some("key-a")).await;
    assert_eq!(first, StatusCode::CREATED);
    assert_eq!(h.post_json(&other("B"), None).await.0, StatusCode::CREATED);
    let (status, headers, body) = h.post_json(&other("C"), None).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = headers[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    assert_eq!(body["error"], "rate_limited");
    let (again, _, replayed) = h.post_json(&other("A"), Some("key-a")).await;
    assert_eq!(
        (again, &replayed["id"]),
        (StatusCode::CREATED, &answer["id"])
    );
    assert_eq!(h.state.store.count().await.unwrap(), 2);
}

#[tokio::test]
async fn idempotency_key_replays_the_first_answer() {
    let mut config = Config::default();
    config.rate_limit.burst = 1;
    let h = harness(config).await;
    let (s1, _, b1) = h.post_json(VALID, Some("k-1")).await;
    let (s2, _, b2) = h.post_json(VALID, Some("k-1")).await;
    assert_eq!(
        (s1, s2),
        (StatusCode::CREATED, StatusCode::CREATED),
        "a replay is never rate-limited"
    );
    assert_eq!(b1["id"], b2["id"]);
    assert_eq!(h.state.store.count().await.unwrap(), 1);
    let other = VALID.replace("Postgres", "MySQL");
    let (s3, _, b3) = h.post_json(&other, Some("k-1")).await;
    assert_eq!(s3, StatusCode::CONFLICT, "{b3}");
}

#[tokio::test]
async fn the_honeypot_stores_spam_without_notifying() {
    let mut config = Config::default();
    config.webhook = Some(keel_server::config::Webhook {
        url: "http://127.0.0.1:9/".into(),
        secret: None,
        format: Default::default(),
    });
    let h = harness(config).await;
    let spam = VALID.replace(
        "\"consent\":true",
        "\"consent\":true,\"website\":\"http://spam.example\"",
    );
    let (status, _, body) = h.post_json(&spam, None).await;
    assert_eq!(status, StatusCode::CREATED, "bots are not told");
    let s = h.stored(&body).await;
    assert!(s.spam);
    assert!(s.deliveries.is_empty());
    let (_, _, body) = h.post_json(VALID, None).await;
    let s = h.stored(&body).await;
    assert_eq!(
        s.deliveries.len(),
        1,
        "a real one gets its outbox row in the same transaction"
    );
}

#[tokio::test]
async fn a_plain_html_form_post_works_without_javascript() {
    let h = harness(Config::default()).await;
    let form = |body: &str| {
        Request::post("/api/v1/contact")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body.to_string()))
            .unwrap()
    };
    let ok = "name=%C3%85sa+N%C3%B8rgaard&email=asa%40example.dk&company=&budget=over_150k&message=We+need+help+with+our+queues.&consent=on&website=";
    let (status, headers, body) = h.send(form(ok)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let page = String::from_utf8_lossy(&body);
    assert!(
        page.contains("Thank you, your message has arrived"),
        "{page}"
    );
    let stored = h.state.store.list(Default::default()).await.unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].name, "Åsa Nørgaard");
    assert_eq!(stored[0].budget.as_deref(), Some("over_150k"));
    assert!(page.contains(&stored[0].id));

    let (status, _, body) = h.send(form("name=&email=x&message=short")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let page = String::from_utf8_lossy(&body);
    assert!(
        page.contains("Please tell us your name.") && page.contains("Back button"),
        "{page}"
    );

    // Markup in a form post is stored as the visitor typed it (decoded, not
    // escaped or dropped), and the answer page shows only the reference.
    let hostile = ok
        .replace("name=%C3%85sa+N%C3%B8rgaard", "name=%3Cb%3EAda%3C%2Fb%3E")
        .replace(
            "message=We",
            "message=%3Cscript%3Ealert(1)%3C%2Fscript%3E+We",
        );
    let (status, _, body) = h.send(form(&hostile)).await;
    assert_eq!(status, StatusCode::OK);
    let page = String::from_utf8_lossy(&body);
    let all = h.state.store.list(Default::default()).await.unwrap();
    let stored = all
        .iter()
        .find(|s| s.name == "<b>Ada</b>")
        .unwrap_or_else(|| panic!("stored as typed: {all:?}"));
    assert_eq!(
        stored.message,
        "<script>alert(1)</script> We need help with our queues."
    );
    assert!(page.contains(&stored.id), "{page}");
    assert!(
        !page.contains("Ada") && !page.contains("alert("),
        "the page echoes no input: {page}"
    );
    let (status, ..) = h.send(form(&ok.replace("over_150k", "a_million"))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn the_same_body_twice_without_a_key_is_stored_once() {
    let h = harness(Config::default()).await;
    let (s1, _, b1) = h.post_json(VALID, None).await;
    let (s2, _, b2) = h.post_json(VALID, None).await;
    assert_eq!((s1, s2), (StatusCode::CREATED, StatusCode::CREATED));
    assert_eq!(b1["id"], b2["id"], "a double submit gets the first answer");
    assert_eq!(h.state.store.count().await.unwrap(), 1);
    let (_, _, b3) = h.post_json(&VALID.replace("Postgres", "MySQL"), None).await;
    assert_ne!(b1["id"], b3["id"], "another message is another submission");
    assert_eq!(h.state.store.count().await.unwrap(), 2);
}

#[tokio::test]
async fn control_and_bidi_characters_are_refused_per_field() {
    let h = harness(Config::default()).await;
    let body = serde_json::json!({
        "name": "Ada\u{202E}ecalovoL",
        "email": "ada@example.com",
        "company": "Acme\u{1b}[2J",
        "message": "We need help\u{7}\u{8}\u{8} with our queues.",
        "consent": true,
    });
    let (status, _, body) = h.post_json(&body.to_string(), None).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let fields: Vec<(&str, &str)> = body["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["field"].as_str().unwrap(), f["message"].as_str().unwrap()))
        .collect();
    assert_eq!(
        fields.iter().map(|f| f.0).collect::<Vec<_>>(),
        ["name", "company", "message"],
        "{body}"
    );
    assert!(
        fields[0].1.contains("U+202E")
            && fields[1].1.contains("U+001B")
            && fields[2].1.contains("U+0007"),
        "{body}"
    );
    assert_eq!(h.state.store.count().await.unwrap(), 0, "nothing stored");

    // Line breaks and tabs in the message are fine.
    let ok = VALID.replace(
        "scaling our Postgres cluster.",
        "scaling:\\r\\n\\t- Postgres\\n\\t- queues",
    );
    let (status, _, body) = h.post_json(&ok, None).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let stored = h.stored(&body).await;
    assert_eq!(
        stored.message,
        "We need help scaling:\r\n\t- Postgres\n\t- queues"
    );
}

#[tokio::test]
async fn a_resend_without_a_key_after_the_quota_is_used_gets_the_first_id() {
    let mut config = Config::default();
    config.rate_limit.burst = 1;
    config.rate_limit.refill_seconds = 3600;
    let h = harness(config).await;
    let (s1, _, b1) = h.post_json(VALID, None).await;
    assert_eq!(s1, StatusCode::CREATED, "{b1}");
    let (s2, _, b2) = h.post_json(VALID, None).await;
    assert_eq!(
        s2,
        StatusCode::CREATED,
        "the double submit is recognised before the rate limit: {b2}"
    );
    assert_eq!(b1["id"], b2["id"]);
    let (s3, ..) = h.post_json(&VALID.replace("Postgres", "MySQL"), None).await;
    assert_eq!(
        s3,
        StatusCode::TOO_MANY_REQUESTS,
        "a new submission is still limited"
    );
    assert_eq!(h.state.store.count().await.unwrap(), 1);
}

fn form_post(body: String) -> Request<Body> {
    Request::post("/api/v1/contact")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body))
        .unwrap()
}

#[tokio::test]
async fn a_form_post_is_limited_by_its_decoded_size() {
    use keel_model::contact::BODY_LIMIT_BYTES;
    let h = harness(Config::default()).await;
    let form = |message: &str| {
        serde_urlencoded::to_string([
            ("name", "Åsa"),
            ("email", "asa@example.dk"),
            ("message", message),
            ("consent", "on"),
        ])
        .unwrap()
    };
    // 4,000 three-byte characters: 12 kB of text, 36 kB percent-encoded.
    let long = "€".repeat(4_000);
    let body = form(&long);
    assert!(
        body.len() > BODY_LIMIT_BYTES,
        "{} bytes encoded",
        body.len()
    );
    let (status, _, page) = h.send(form_post(body)).await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&page));
    assert_eq!(
        h.state.store.list(Default::default()).await.unwrap()[0].message,
        long
    );

    // Over the limit once decoded (and not much encoding to hide behind): 413.
    let (status, _, page) = h
        .send(form_post(form(&"a".repeat(BODY_LIMIT_BYTES + 1))))
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(String::from_utf8_lossy(&page).contains("larger than"));
    // The raw body has a cap too: three times the limit.
    let (status, ..) = h
        .send(form_post(form(&"€".repeat(BODY_LIMIT_BYTES / 2))))
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(h.state.store.count().await.unwrap(), 1);
}

/// A partner's source (`data-keel-source`) is stored as sent, in JSON and in
/// a plain form post; one that breaks its rule is refused beside its field,
/// and nothing is stored.
#[tokio::test]
async fn a_source_is_stored_and_a_bad_one_refused() {
    let h = harness(Config::default()).await;
    let with = |source: &str| {
        VALID.replace(
            "\"consent\":true",
            &format!("\"consent\":true,\"source\":{source}"),
        )
    };
    let (status, _, body) = h.post_json(&with("\"spring-2027:newsletter\""), None).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(
        h.stored(&body).await.source.as_deref(),
        Some("spring-2027:newsletter")
    );
    for bad in [
        "\"spring 2027\"",
        "\"-x\"",
        "\"<b>x</b>\"",
        &format!("\"{}\"", "s".repeat(65)),
    ] {
        let (status, _, body) = h.post_json(&with(bad), None).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {body}");
        assert_eq!(body["fields"][0]["field"], "source", "{body}");
    }
    let (status, _, body) = h
        .send(form_post(
            "name=Ada&email=ada%40example.com&message=We+need+help+with+our+queues.&consent=on&source=plain-form"
                .into(),
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
    let all = h.state.store.list(Default::default()).await.unwrap();
    assert_eq!(all.len(), 2, "the refused ones stored nothing");
    assert!(
        all.iter()
            .any(|s| s.source.as_deref() == Some("plain-form"))
    );
}

/// A challenge from the server, solved as a browser solves it: the value of
/// the `Keel-Challenge` header.
async fn solved(h: &Harness) -> String {
    use base64::Engine;
    let (status, _, body) = h
        .send(
            Request::get("/api/v1/contact/challenge")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let c: keel_model::challenge::Challenge = serde_json::from_slice(&body).unwrap();
    let number = (0..=c.maxnumber)
        .find(|n| keel_server::challenge::hash(&c.salt, *n) == c.challenge)
        .expect("the challenge has a solution");
    let solution = keel_model::challenge::Solution::of(&c, number, 1);
    base64::engine::general_purpose::STANDARD.encode(serde_json::to_vec(&solution).unwrap())
}

/// The spam verdict from what the server sees: the proof of work, the page's
/// timing header, the links, the same message from other senders
/// (verdict.rs has every rule); a solution counts once.
#[tokio::test]
async fn each_request_gets_a_verdict_from_its_signals() {
    let mut config = Config::default();
    config.rate_limit.burst = 100;
    let h = harness(config).await;
    let post = |body: String, filled: Option<&'static str>, proof: Option<String>| {
        let mut req =
            Request::post("/api/v1/contact").header(header::CONTENT_TYPE, "application/json");
        if let Some(ms) = filled {
            req = req.header("keel-filled-ms", ms);
        }
        if let Some(p) = proof {
            req = req.header("keel-challenge", p);
        }
        req.body(Body::from(body)).unwrap()
    };
    let body = |email: &str, message: &str| {
        serde_json::json!({ "name": "Ada", "email": email, "message": message, "consent": true })
            .to_string()
    };
    let verdict = |answer: &axum::body::Bytes| {
        let answer: serde_json::Value = serde_json::from_slice(answer).unwrap();
        let id = answer["id"].as_str().unwrap().to_string();
        let h = &h;
        async move {
            let s = h.state.store.get(&id).await.unwrap().unwrap();
            (
                s.verdict.as_str().to_string(),
                s.reasons.unwrap_or_default(),
            )
        }
    };
    let reused = solved(&h).await;
    let cases = [
        (
            body("a@example.com", "We need help with our queues."),
            Some("45000"),
            Some(reused.clone()),
            "clean",
            "",
        ),
        (
            body("a2@example.com", "We need help with our queues, too."),
            Some("45000"),
            Some(reused),
            "review",
            "already used",
        ),
        (
            body("b@example.com", "We need help with our queues, again."),
            None,
            None,
            "review",
            "no proof of work",
        ),
        (
            body("b2@example.com", "We need help with our queues, still."),
            Some("45000"),
            Some("forged".into()),
            "review",
            "not base64",
        ),
        (
            body("c@example.com", "We need help with our billing."),
            Some("900"),
            Some(solved(&h).await),
            "review",
            "filled in 0.9 s",
        ),
        (
            body(
                "d@example.com",
                "See http://a.example http://b.example www.c.example",
            ),
            Some("45000"),
            Some(solved(&h).await),
            "spam",
            "3 links",
        ),
        (
            body("e@example.com", "Best prices on everything, write now"),
            Some("45000"),
            Some(solved(&h).await),
            "clean",
            "",
        ),
        (
            body("f@example.com", "best prices ON everything,  write now"),
            Some("45000"),
            Some(solved(&h).await),
            "clean",
            "",
        ),
        (
            body("g@example.com", "Best prices on everything, write now"),
            Some("45000"),
            Some(solved(&h).await),
            "spam",
            "2 other senders",
        ),
    ];
    for (body, filled, proof, want, reason) in cases {
        let (status, _, answer) = h.send(post(body.clone(), filled, proof)).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let (got, reasons) = verdict(&answer).await;
        assert_eq!(got, want, "{body}: {reasons}");
        assert!(
            reasons.contains(reason),
            "{body}: {reasons:?} lacks {reason:?}"
        );
    }
}

/// The challenge is fresh every time, never cached, and readable by a
/// partner's page (an inline widget solves it there).
#[tokio::test]
async fn a_challenge_is_fresh_and_never_cached() {
    let h = harness(Config::default()).await;
    let get = || {
        Request::get("/api/v1/contact/challenge")
            .body(Body::empty())
            .unwrap()
    };
    let (status, headers, first) = h.send(get()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CACHE_CONTROL], "no-store");
    let (_, _, second) = h.send(get()).await;
    assert_ne!(first, second);
    let c: keel_model::challenge::Challenge = serde_json::from_slice(&first).unwrap();
    assert_eq!(
        (c.algorithm.as_str(), c.maxnumber),
        ("SHA-256", keel_server::challenge::MAX_NUMBER)
    );
}

/// A request a limit turns away (429) uses up no proof of work: sent again
/// once the limit allows, with the same proof, it is clean.
#[tokio::test]
async fn a_limited_request_keeps_its_proof_of_work() {
    let mut config = Config::default();
    config.rate_limit.burst = 1;
    config.rate_limit.refill_seconds = 1;
    let h = harness(config).await;
    let post = |email: &str, proof: &str| {
        let body = serde_json::json!({ "name": "Ada", "email": email, "message": "We need help with our queues.", "consent": true });
        Request::post("/api/v1/contact")
            .header(header::CONTENT_TYPE, "application/json")
            .header("keel-filled-ms", "45000")
            .header("keel-challenge", proof)
            .body(Body::from(body.to_string()))
            .unwrap()
    };
    let (first, second) = (solved(&h).await, solved(&h).await);
    assert_eq!(
        h.send(post("a@example.com", &first)).await.0,
        StatusCode::CREATED
    );
    assert_eq!(
        h.send(post("b@example.com", &second)).await.0,
        StatusCode::TOO_MANY_REQUESTS
    );
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let (status, _, answer) = h.send(post("b@example.com", &second)).await;
    assert_eq!(status, StatusCode::CREATED);
    let id = serde_json::from_slice::<serde_json::Value>(&answer).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let stored = h.state.store.get(&id).await.unwrap().unwrap();
    assert_eq!(stored.verdict.as_str(), "clean", "{:?}", stored.reasons);
}
