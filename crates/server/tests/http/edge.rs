//! The server's edges, tried as a hostile or unlucky client would: held and
//! half-sent connections, huge declared bodies, forged forwarding headers,
//! every method on every API path, and caches revalidating compressed bodies.
//! A real listener on a loopback port (`listen::serve`), a real SQLite file.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use keel_server::{AppState, Config, app, listen};
use keel_store::Store;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

struct Server {
    addr: SocketAddr,
    _dir: tempfile::TempDir,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn start(config: Config, max_connections: Option<usize>) -> Server {
    start_with(config, max_connections, crate::support::site()).await
}

async fn start_with(
    config: Config,
    max_connections: Option<usize>,
    site: keel_server::files::SiteFiles,
) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("keel.db"), 1).await.unwrap();
    let limits = listen::Limits {
        max_connections,
        ..listen::Limits::new(Duration::from_secs(10))
    };
    let state = AppState::new(config, site, store);
    let (addr, task) = crate::support::listener::serve(state, limits).await;
    Server {
        addr,
        _dir: dir,
        task,
    }
}

/// One HTTP/1.1 exchange on a fresh connection: status, headers (lowercased names), body.
async fn exchange(addr: SocketAddr, raw: &str) -> (u16, HashMap<String, String>, Vec<u8>) {
    exchange_from(None, addr, raw).await
}

/// `exchange` from the loopback address `from` (another client than the
/// tests' usual 127.0.0.1), within 5 s.
async fn exchange_from(
    from: Option<std::net::Ipv4Addr>,
    addr: SocketAddr,
    raw: &str,
) -> (u16, HashMap<String, String>, Vec<u8>) {
    let mut buf = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), async {
        let mut s = match from {
            None => TcpStream::connect(addr).await.unwrap(),
            Some(ip) => {
                let socket = tokio::net::TcpSocket::new_v4().unwrap();
                socket.bind(SocketAddr::from((ip, 0))).unwrap();
                socket.connect(addr).await.unwrap()
            }
        };
        s.write_all(raw.as_bytes()).await.unwrap();
        s.read_to_end(&mut buf).await.unwrap();
    })
    .await
    .expect("an answer within 5 s");
    let split = buf
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a response head");
    let head = String::from_utf8_lossy(&buf[..split]).to_string();
    let mut lines = head.lines();
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    (status, headers, buf[split + 4..].to_vec())
}

fn request(method: &str, path: &str, extra: &str) -> String {
    format!("{method} {path} HTTP/1.1\r\nHost: keel.test\r\nConnection: close\r\n{extra}\r\n")
}

const VALID: &str = r#"{"name":"Ada","email":"ada@example.com","company":null,"budget":"not_sure","message":"We need help with our API.","consent":true}"#;

fn post_contact(body: &str, extra: &str) -> String {
    format!(
        "POST /api/v1/contact HTTP/1.1\r\nHost: keel.test\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n{extra}\r\n{body}",
        body.len()
    )
}

// ---- item 1: held connections ----------------------------------------------

/// Another client than the attacker's 127.0.0.1.
const VISITOR: std::net::Ipv4Addr = std::net::Ipv4Addr::new(127, 0, 0, 2);

/// A visitor from another address loads the page and sends the form while
/// `what` goes on; the page's time, printed.
async fn a_visitor_gets_through(server: &Server, what: &str) {
    let t0 = Instant::now();
    let (status, _, body) =
        exchange_from(Some(VISITOR), server.addr, &request("GET", "/", "")).await;
    let page_ms = t0.elapsed().as_millis();
    assert_eq!(status, 200, "GET / while {what}");
    assert!(String::from_utf8_lossy(&body).contains("data-rendered=\"/\""));
    let t0 = Instant::now();
    let (status, _, body) =
        exchange_from(Some(VISITOR), server.addr, &post_contact(VALID, "")).await;
    let post_ms = t0.elapsed().as_millis();
    assert_eq!(
        status,
        201,
        "the contact POST while {what}: {}",
        String::from_utf8_lossy(&body)
    );
    eprintln!(
        "while {what}: GET / from another address in {page_ms} ms, its contact POST in {post_ms} ms"
    );
}

/// One address opens a thousand connections, each a contact POST that
/// declares 30,000 bytes and trickles one byte every 4 s, as many as the cap.
/// It holds its share (`max_connections_per_address`); everyone else gets in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_address_trickling_bodies_on_a_thousand_sockets_does_not_take_the_site_down() {
    // The cap a 1,024-file limit gives.
    let server = start(Config::default(), Some(960)).await;
    let head = "POST /api/v1/contact HTTP/1.1\r\nHost: keel.test\r\nContent-Type: application/json\r\nContent-Length: 30000\r\n\r\n{";
    let mut held = Vec::new();
    for _ in 0..10 {
        let addr = server.addr;
        let batch = (0..100).map(|_| async move {
            let mut s = TcpStream::connect(addr).await.ok()?;
            s.write_all(head.as_bytes()).await.ok()?;
            Some(s)
        });
        let mut batch: tokio::task::JoinSet<_> = batch.collect();
        while let Some(s) = batch.join_next().await {
            held.extend(s.unwrap());
        }
    }
    let trickle = tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_secs(4)).await;
            for s in held.iter_mut() {
                let _ = s.write_all(b" ").await;
            }
        }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    a_visitor_gets_through(&server, "one address trickles bodies on 1,000 sockets").await;
    trickle.abort();
}

/// One address connects 5,000 times a second for two seconds, holding each
/// connection a moment and sending nothing; a visitor from another address
/// gets in meanwhile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_bare_connects_from_one_address_does_not_lock_out_a_visitor() {
    let server = start(Config::default(), Some(960)).await;
    let addr = server.addr;
    let flood = tokio::spawn(async move {
        let made = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
        let mut tick = tokio::time::interval(Duration::from_millis(10));
        let t0 = Instant::now();
        // 50 every 10 ms: 5,000 a second, bounded to two seconds.
        while t0.elapsed() < Duration::from_secs(2) {
            tick.tick().await;
            for _ in 0..50 {
                let made = made.clone();
                tokio::spawn(async move {
                    if let Ok(s) = TcpStream::connect(addr).await {
                        made.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        tokio::time::sleep(Duration::from_millis(200)).await;
                        drop(s);
                    }
                });
            }
        }
        (
            made.load(std::sync::atomic::Ordering::Relaxed),
            t0.elapsed(),
        )
    });
    tokio::time::sleep(Duration::from_millis(700)).await;
    a_visitor_gets_through(&server, "one address connects 5,000 times a second").await;
    let (made, took) = flood.await.unwrap();
    eprintln!(
        "the flood made {made} connections in {:.1} s ({:.0} a second)",
        took.as_secs_f64(),
        made as f64 / took.as_secs_f64()
    );
}

#[tokio::test]
async fn held_half_open_connections_do_not_lock_out_a_visitor() {
    // 64 slots stand in for a low open-file limit; 300 sockets each send half
    // a request line and hold it.
    let server = start(Config::default(), Some(64)).await;
    let mut held = Vec::new();
    for _ in 0..300 {
        let mut s = TcpStream::connect(server.addr).await.unwrap();
        s.write_all(b"GET / HTTP/1.1\r\nHost: ke").await.unwrap();
        held.push(s);
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let t0 = Instant::now();
    let (status, _, body) = exchange(server.addr, &request("GET", "/", "")).await;
    let page_ms = t0.elapsed().as_millis();
    assert_eq!(status, 200);
    assert!(
        String::from_utf8_lossy(&body).contains("data-rendered=\"/\""),
        "the home page"
    );
    let (status, _, _) = exchange(server.addr, &post_contact(VALID, "")).await;
    assert_eq!(status, 201, "the contact form still works");
    eprintln!("GET / answered in {page_ms} ms with 300 half-open connections held");
    drop(held);
}

#[tokio::test]
async fn a_silent_connection_is_closed_after_the_header_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let state = AppState::new(
        Config::default(),
        crate::support::site(),
        Store::open(&dir.path().join("k.db"), 1).await.unwrap(),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let limits = listen::Limits::new(Duration::from_millis(300));
    let task = tokio::spawn(listen::serve(
        listener,
        app(state),
        limits,
        std::future::pending(),
        Duration::ZERO,
    ));
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(b"GET / HTTP/1.1\r\n").await.unwrap();
    let mut buf = Vec::new();
    // The server hangs up (possibly with a 408) instead of waiting forever.
    tokio::time::timeout(Duration::from_secs(3), s.read_to_end(&mut buf))
        .await
        .expect("closed by the server")
        .ok();
    task.abort();
}

#[tokio::test]
async fn a_huge_declared_body_is_refused_at_once_with_json() {
    let server = start(Config::default(), None).await;
    let raw = "POST /api/v1/contact HTTP/1.1\r\nHost: keel.test\r\nContent-Type: application/json\r\nContent-Length: 99999999999\r\nConnection: close\r\n\r\n{";
    let t0 = Instant::now();
    let (status, headers, body) = exchange(server.addr, raw).await;
    assert_eq!(status, 413);
    assert!(
        t0.elapsed() < Duration::from_secs(2),
        "answered without waiting for the body"
    );
    assert_eq!(headers["content-type"], "application/json");
    let err: keel_model::ApiError = serde_json::from_slice(&body).unwrap();
    assert_eq!((err.status, err.error.as_str()), (413, "payload_too_large"));
}

/// A slow phone downloading a large file (4 MiB, uncompressed, through a
/// small receive buffer) gets all of it while new connections arrive at the
/// cap and idle ones are shed around it: an answer being written is busy.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_download_is_never_cut_by_shedding_at_the_cap() {
    const SIZE: usize = 4 << 20;
    let big: Vec<u8> = (0..SIZE)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let path = "/big-0123456789abcdef_bg.wasm";
    let site = crate::support::site_with([
        (path.to_string(), big.clone()),
        // Stand-ins for the build's siblings, so nothing is compressed at load.
        (format!("{path}.br"), vec![0]),
        (format!("{path}.gz"), vec![0]),
    ]);
    let server = start_with(Config::default(), Some(4), site).await;
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let mut phone = socket.connect(server.addr).await.unwrap();
    phone
        .write_all(request("GET", path, "Accept-Encoding: identity\r\n").as_bytes())
        .await
        .unwrap();
    // Others arrive and sit idle, past the cap, while the phone reads
    // slowly: from the phone's own address, so that the phone's connection,
    // the oldest there, would be the first to go if it counted as idle.
    let addr = server.addr;
    let crowd = tokio::spawn(async move {
        let mut held = Vec::new();
        for _ in 0..40 {
            if let Ok(s) = TcpStream::connect(addr).await {
                held.push(s);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        held.len()
    });
    let mut got = Vec::with_capacity(SIZE + 4096);
    let mut chunk = vec![0u8; 64 << 10];
    let t0 = Instant::now();
    loop {
        let n = tokio::time::timeout(Duration::from_secs(10), phone.read(&mut chunk))
            .await
            .expect("the download goes on")
            .unwrap_or(0);
        if n == 0 {
            break;
        }
        got.extend_from_slice(&chunk[..n]);
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let arrived = crowd.await.unwrap();
    let head_end = got
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a head")
        + 4;
    assert!(got.starts_with(b"HTTP/1.1 200"));
    assert_eq!(got.len() - head_end, SIZE, "the whole file, not a cut one");
    assert!(got[head_end..] == big[..], "the file's own bytes");
    eprintln!(
        "a 4 MiB download read slowly in {:.1} s, whole, while {arrived} connections arrived at a cap of 4",
        t0.elapsed().as_secs_f64()
    );
}

/// A body trickled in, byte by byte, each byte well within the per-read
/// timeout, is cut at the whole-body deadline with a JSON 408 (not a 413:
/// it was not too large), and its connection is free again.
#[tokio::test]
async fn a_trickled_body_gets_a_json_408_at_its_deadline() {
    let mut config = Config::default();
    config.limits.body_timeout_seconds = 1;
    let server = start(config, None).await;
    let mut s = TcpStream::connect(server.addr).await.unwrap();
    s.write_all(b"POST /api/v1/contact HTTP/1.1\r\nHost: keel.test\r\nContent-Type: application/json\r\nContent-Length: 200\r\nConnection: close\r\n\r\n{")
        .await
        .unwrap();
    let t0 = Instant::now();
    let (mut read, mut write) = s.into_split();
    // One byte every 100 ms for up to 4 s, while the answer is awaited.
    let trickle = tokio::spawn(async move {
        for _ in 0..40 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            if write.write_all(b" ").await.is_err() {
                break;
            }
        }
    });
    let mut buf = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), read.read_to_end(&mut buf))
        .await
        .expect("an answer")
        .unwrap();
    let answered = t0.elapsed();
    trickle.abort();
    let text = String::from_utf8_lossy(&buf);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    let body = &text[text.find("\r\n\r\n").unwrap() + 4..];
    let err: keel_model::ApiError = serde_json::from_str(body).unwrap();
    assert_eq!((err.status, err.error.as_str()), (408, "request_timeout"));
    assert!(
        answered < Duration::from_secs(3),
        "cut at the 1 s deadline, not at the end of the 4 s trickle ({answered:?})"
    );
}

// ---- item 2: the rate limit cannot be talked around --------------------------

#[tokio::test]
async fn a_forged_forwarded_for_line_does_not_buy_more_submissions() {
    let config = Config {
        trusted_proxies: vec!["127.0.0.1".into()],
        rate_limit: keel_server::config::RateLimit {
            burst: 2,
            refill_seconds: 60,
            ..Default::default()
        },
        ..Config::default()
    };
    let server = start(config, None).await;
    let mut statuses = Vec::new();
    for i in 0..6 {
        // The client writes its own line first; the proxy (127.0.0.1, trusted)
        // appends the address it saw.
        let body = VALID.replace("Ada", &format!("Ada {i}"));
        let extra = format!("X-Forwarded-For: 10.9.8.{i}\r\nX-Forwarded-For: 203.0.113.9\r\n");
        statuses.push(exchange(server.addr, &post_contact(&body, &extra)).await.0);
    }
    assert_eq!(statuses, [201, 201, 429, 429, 429, 429]);
    // Another real client behind the same proxy has its own bucket.
    let extra = "X-Forwarded-For: 203.0.113.10\r\n";
    assert_eq!(
        exchange(
            server.addr,
            &post_contact(&VALID.replace("Ada", "Grace"), extra)
        )
        .await
        .0,
        201
    );
}

// ---- item 5: every error body is JSON ----------------------------------------

#[tokio::test]
async fn every_method_on_every_api_path_gets_a_json_error() {
    let config = Config {
        admin_token: Some("a-long-enough-admin-token".into()),
        ..Config::default()
    };
    let server = start(config, None).await;
    let paths = [
        "/api/v1/contact",
        "/api/v1/contact/challenge",
        "/api/v1/admin/submissions",
        "/api/v1/admin/submissions?include_spam=maybe",
        "/api/v1/site.json",
        "/api/v1/articles/no-such-article.json",
        "/api/v2/anything",
        "/missing-asset.js",
        "/healthz",
    ];
    let methods = [
        "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "PROPFIND",
    ];
    let mut checked = 0;
    for path in paths {
        for method in methods {
            let (status, headers, body) =
                exchange(server.addr, &request(method, path, "Content-Length: 0\r\n")).await;
            if status < 400 {
                continue;
            }
            checked += 1;
            assert_eq!(
                headers.get("content-type").map(String::as_str),
                Some("application/json"),
                "{method} {path} -> {status}"
            );
            if method == "HEAD" {
                continue; // no body, by definition
            }
            let err: keel_model::ApiError = serde_json::from_slice(&body).unwrap_or_else(|e| {
                panic!(
                    "{method} {path} -> {status}: not an ApiError ({e}): {}",
                    String::from_utf8_lossy(&body)
                )
            });
            assert_eq!(err.status, status, "{method} {path}");
            assert!(!err.message.is_empty());
        }
    }
    assert!(checked > 40, "only {checked} error answers checked");
    // A wrong method says which ones are right.
    let (status, headers, _) = exchange(server.addr, &request("GET", "/api/v1/contact", "")).await;
    assert_eq!(status, 405);
    assert!(
        headers["allow"].contains("POST"),
        "{:?}",
        headers.get("allow")
    );
}

#[tokio::test]
async fn a_browser_navigating_to_a_missing_page_still_gets_the_html_404_page() {
    let server = start(Config::default(), None).await;
    let (status, headers, body) = exchange(server.addr, &request("GET", "/no-such-page", "")).await;
    assert_eq!(status, 404);
    assert!(headers["content-type"].starts_with("text/html"));
    assert!(
        String::from_utf8_lossy(&body).contains("<title>Page not found"),
        "the 404 page"
    );
}

// ---- item 8: one validator per encoding --------------------------------------

#[tokio::test]
async fn each_encoding_has_its_own_etag_and_revalidates_only_itself() {
    let server = start(Config::default(), None).await;
    let mut tags = HashMap::new();
    for enc in ["br", "gzip", "identity"] {
        let (status, headers, _) = exchange(
            server.addr,
            &request(
                "GET",
                "/api/v1/site.json",
                &format!("Accept-Encoding: {enc}\r\n"),
            ),
        )
        .await;
        assert_eq!(status, 200);
        assert_eq!(
            headers.get("content-encoding").map(String::as_str),
            (enc != "identity").then_some(enc)
        );
        tags.insert(enc, headers["etag"].clone());
    }
    assert_ne!(tags["br"], tags["gzip"]);
    assert_ne!(tags["br"], tags["identity"]);
    assert_ne!(tags["gzip"], tags["identity"]);
    for tag in tags.values() {
        assert!(
            tag.starts_with('"') && tag.ends_with('"') && tag.len() > 2,
            "a quoted strong tag: {tag}"
        );
    }
    // The br tag revalidates a br request...
    let h = format!("Accept-Encoding: br\r\nIf-None-Match: {}\r\n", tags["br"]);
    assert_eq!(
        exchange(server.addr, &request("GET", "/api/v1/site.json", &h))
            .await
            .0,
        304
    );
    // ...but a cache holding the br body cannot get a 304 for a gzip request.
    let h = format!("Accept-Encoding: gzip\r\nIf-None-Match: {}\r\n", tags["br"]);
    let (status, headers, _) =
        exchange(server.addr, &request("GET", "/api/v1/site.json", &h)).await;
    assert_eq!(status, 200);
    assert_eq!(headers["etag"], tags["gzip"]);
}
