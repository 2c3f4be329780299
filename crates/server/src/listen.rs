//! The accept loop: HTTP/1.1 connections with time limits, and a cap on open
//! connections that sheds the slowest instead of refusing everyone.
//!
//! `axum::serve` has no timer, so a client that sends half a request line and
//! then nothing holds its socket forever; enough of them exhaust the open-file
//! limit and the site stops answering. Here:
//! - hyper's header read timer closes a connection that has not sent a complete
//!   request head within `header_timeout` of connecting, or of its previous
//!   response (an idle keep-alive connection counts as not sending one);
//! - the number of open connections stays below the open-file limit, and when
//!   it is reached, a new connection takes the place of an idle one (a
//!   half-open or keep-alive socket), taken from the address that holds the
//!   most, oldest first; a connection is busy, never shed, while a request is
//!   in the app or its answer is still being written out (a slow phone's
//!   download is not cut);
//! - one address (an IPv4 address, an IPv6 /64) holds at most
//!   `per_address` connections: past that, its own oldest idle one makes room,
//!   or, when all of its connections are busy, the new one is refused. So one
//!   client trickling request bodies on a thousand sockets holds its share,
//!   not the site. Proxies you run (`trusted_proxies`) are exempt: every
//!   visitor arrives through them;
//! - request bodies and handlers have their own limits (`app`'s layers, and
//!   the contact body's deadline).

use std::collections::{BTreeMap, HashMap};
use std::convert::Infallible;
use std::future::Future;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::{Notify, watch};
use tower::ServiceExt;

use crate::client::Proxies;
use crate::ratelimit::ClientKey;

/// Open files the process keeps for itself (the database and its journal,
/// outgoing notification sockets, the runtime, logs) below the limit.
const RESERVED_FILES: u64 = 64;

#[derive(Clone, Debug)]
pub struct Limits {
    /// Time allowed for a complete request head (line and headers).
    pub header_timeout: Duration,
    /// Open connections at most; `None` derives it from the open-file limit.
    pub max_connections: Option<usize>,
    /// Open connections one address may hold (see the module's doc).
    pub per_address: usize,
    /// Peers exempt from `per_address`: the proxies you run.
    pub proxies: Proxies,
}

impl Limits {
    /// The limits for a test or a tool: `header_timeout`, the cap derived from
    /// the open-file limit, the default per-address cap, no proxies.
    pub fn new(header_timeout: Duration) -> Limits {
        Limits {
            header_timeout,
            max_connections: None,
            per_address: crate::config::Limits::default().max_connections_per_address,
            proxies: Proxies::default(),
        }
    }
}

/// Raise the soft open-file limit to the hard one (a common default is 1024
/// soft with a much higher hard limit), then derive the connection cap.
pub fn connection_cap(configured: Option<usize>) -> usize {
    let files = rlimit::increase_nofile_limit(u64::MAX)
        .or_else(|_| rlimit::Resource::NOFILE.get().map(|(soft, _)| soft))
        .unwrap_or(1024);
    cap_for(files, configured)
}

/// The connection cap under an open-file limit of `files`: what the files
/// the server needs besides connections leave (`RESERVED_FILES`), at least 8,
/// and no more than `configured`.
fn cap_for(files: u64, configured: Option<usize>) -> usize {
    let from_files = usize::try_from(files.saturating_sub(RESERVED_FILES))
        .unwrap_or(usize::MAX)
        .max(8);
    configured.map_or(from_files, |c| c.min(from_files)).max(1)
}

/// One open connection, as the cap sees it.
struct Slot {
    /// Requests inside the app, or whose answer is being written, right now;
    /// 0 means the socket is waiting for (part of) a request head, or idle
    /// between requests.
    busy: Arc<AtomicUsize>,
    shed: Arc<Notify>,
    /// Whose it is; `None` for a trusted proxy (no per-address cap).
    key: Option<ClientKey>,
}

impl Slot {
    fn idle(&self) -> bool {
        self.busy.load(Ordering::Acquire) == 0
    }
}

#[derive(Default)]
struct Open {
    /// By id; ids grow with time, so iteration is oldest first.
    slots: BTreeMap<u64, Slot>,
    /// How many connections each address holds.
    held: HashMap<ClientKey, usize>,
}

impl Open {
    fn shed(&mut self, id: u64) {
        if let Some(slot) = self.remove(id) {
            slot.shed.notify_one();
        }
    }

    fn remove(&mut self, id: u64) -> Option<Slot> {
        let slot = self.slots.remove(&id)?;
        if let Some(key) = slot.key
            && let Some(n) = self.held.get_mut(&key)
        {
            *n -= 1;
            if *n == 0 {
                self.held.remove(&key);
            }
        }
        Some(slot)
    }

    fn held_by(&self, key: Option<ClientKey>) -> usize {
        key.and_then(|k| self.held.get(&k).copied()).unwrap_or(0)
    }
}

#[derive(Default)]
struct Slots {
    next: AtomicU64,
    open: Mutex<Open>,
}

impl Slots {
    /// Register a new connection from `key` (`None`: a trusted proxy). Past
    /// `per_address`, shed that address's oldest idle connection; at `cap`,
    /// an idle one of the address holding the most. `None`: no connection
    /// may make room (all of this address's, or all, are busy): refuse it.
    fn admit(
        &self,
        cap: usize,
        per_address: usize,
        key: Option<ClientKey>,
    ) -> Option<(u64, Arc<AtomicUsize>, Arc<Notify>)> {
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        if key.is_some() && open.held_by(key) >= per_address.max(1) {
            let victim = open
                .slots
                .iter()
                .find(|(_, s)| s.key == key && s.idle())
                .map(|(id, _)| *id)?;
            open.shed(victim);
        }
        if open.slots.len() >= cap {
            // The idle connection of the address holding the most (a proxy
            // counts as holding none), the oldest of its.
            let victim = open
                .slots
                .iter()
                .filter(|(_, s)| s.idle())
                .max_by_key(|(id, s)| (open.held_by(s.key), std::cmp::Reverse(**id)))
                .map(|(id, _)| *id)?;
            open.shed(victim);
        }
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let slot = Slot {
            busy: Arc::new(AtomicUsize::new(0)),
            shed: Arc::new(Notify::new()),
            key,
        };
        let handles = (id, slot.busy.clone(), slot.shed.clone());
        open.slots.insert(id, slot);
        if let Some(k) = key {
            *open.held.entry(k).or_default() += 1;
        }
        Some(handles)
    }

    fn release(&self, id: u64) {
        self.open
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(id);
    }

    fn len(&self) -> usize {
        self.open
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .slots
            .len()
    }
}

/// Counts a request as inside the app until its response is ready (or the
/// connection is dropped under it).
struct Busy(Arc<AtomicUsize>);

impl Busy {
    fn enter(counter: &Arc<AtomicUsize>) -> Busy {
        counter.fetch_add(1, Ordering::AcqRel);
        Busy(counter.clone())
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// A response body that keeps its connection busy until it is written out
/// (or dropped), so shedding never cuts a download. hyper takes the next
/// frame only when it has written most of the last, so the body is handed
/// over in frames of `FRAME` bytes: the connection stays busy until the last
/// one is taken, and what is then left to write is at most a frame or two,
/// which a shed connection is given `SHED_GRACE` to finish.
struct HeldBody {
    body: Body,
    /// What is left of the frame taken from `body`.
    pending: axum::body::Bytes,
    _busy: Busy,
}

const FRAME: usize = 16 * 1024;

/// How long a shed connection that has answered requests may take to
/// finish writing its last answer (an idle one closes at once).
const SHED_GRACE: Duration = Duration::from_secs(5);

impl HeldBody {
    fn new(body: Body, busy: Busy) -> HeldBody {
        HeldBody {
            body,
            pending: axum::body::Bytes::new(),
            _busy: busy,
        }
    }
}

impl http_body::Body for HeldBody {
    type Data = axum::body::Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        use std::task::Poll;
        loop {
            if !self.pending.is_empty() {
                let n = self.pending.len().min(FRAME);
                let data = self.pending.split_to(n);
                return Poll::Ready(Some(Ok(http_body::Frame::data(data))));
            }
            match std::pin::Pin::new(&mut self.body).poll_frame(cx) {
                Poll::Ready(Some(Ok(frame))) => match frame.into_data() {
                    Ok(data) => self.pending = data,
                    Err(other) => return Poll::Ready(Some(Ok(other))),
                },
                other => return other,
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.pending.is_empty() && self.body.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        let mut hint = self.body.size_hint();
        let pending = self.pending.len() as u64;
        hint.set_lower(hint.lower() + pending);
        if let Some(upper) = hint.upper() {
            hint.set_upper(upper + pending);
        }
        hint
    }
}

/// Serve `app` on `listener` until `shutdown` resolves, then let open requests
/// finish (at most `drain` long).
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
    drain: Duration,
) -> std::io::Result<()> {
    let cap = connection_cap(limits.max_connections);
    tracing::info!(
        max_connections = cap,
        max_connections_per_address = limits.per_address,
        header_timeout_s = limits.header_timeout.as_secs(),
        "accepting connections"
    );
    let slots = Arc::new(Slots::default());
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .max_buf_size(64 * 1024);
    let http = Arc::new(http);
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    // Out of file descriptors or a connection reset before
                    // accept: wait a moment instead of spinning.
                    tracing::warn!(error = %e, open = slots.len(), "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let key = (!limits.proxies.trusts(peer.ip())).then(|| ClientKey::from(peer.ip()));
        let Some((id, busy, shed)) = slots.admit(cap, limits.per_address, key) else {
            // Debug, not warn: a flood would write a line per connection.
            tracing::debug!(%peer, "no connection could make room (all busy); refusing one");
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let (app, http, slots, mut stop) =
            (app.clone(), http.clone(), slots.clone(), stop_rx.clone());
        // Whether it has answered a request (so may be writing the end of one).
        let answered = Arc::new(std::sync::atomic::AtomicBool::new(false));
        tokio::spawn(async move {
            let seen = answered.clone();
            let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
                req.extensions_mut().insert(ConnectInfo(peer));
                seen.store(true, Ordering::Relaxed);
                let busy = Busy::enter(&busy);
                let response = app.clone().oneshot(req.map(Body::new));
                async move {
                    let response = response.await.unwrap_or_else(|never| match never {});
                    // Busy until the answer is written out, not only made.
                    Ok::<_, Infallible>(response.map(|body| HeldBody::new(body, busy)))
                }
            });
            let conn = http.serve_connection(TokioIo::new(stream), service);
            tokio::pin!(conn);
            tokio::select! {
                _ = conn.as_mut() => {}
                () = shed.notified() => {
                    tracing::debug!(%peer, "shed an idle connection at the cap");
                    // One that never sent a whole request closes at once; one
                    // that may have just handed over the end of an answer
                    // writes it first (an idle keep-alive one closes at once).
                    if answered.load(Ordering::Relaxed) {
                        conn.as_mut().graceful_shutdown();
                        let _ = tokio::time::timeout(SHED_GRACE, conn.as_mut()).await;
                    }
                }
                () = async { let _ = stop.wait_for(|s| *s).await; } => {
                    conn.as_mut().graceful_shutdown();
                    let _ = conn.await;
                }
            }
            slots.release(id);
        });
    }
    drop(listener);
    let _ = stop_tx.send(true);
    let deadline = tokio::time::Instant::now() + drain;
    while slots.len() > 0 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_the_cap_the_oldest_idle_connection_makes_room() {
        let slots = Slots::default();
        let (a, busy_a, _) = slots.admit(2, 64, None).unwrap();
        let (b, _, shed_b) = slots.admit(2, 64, None).unwrap();
        busy_a.fetch_add(1, Ordering::AcqRel); // a is inside a handler
        let (c, _, _) = slots
            .admit(2, 64, None)
            .expect("b is idle, so c gets its place");
        let open: Vec<u64> = slots.open.lock().unwrap().slots.keys().copied().collect();
        assert_eq!(open, vec![a, c], "b was shed, a kept");
        // b's task is told to drop its connection.
        assert!(futures_ready(shed_b.notified()));
        let _ = b;
    }

    #[test]
    fn when_every_connection_is_busy_the_new_one_is_refused() {
        let slots = Slots::default();
        let (_, busy, _) = slots.admit(1, 64, None).unwrap();
        busy.fetch_add(1, Ordering::AcqRel);
        assert!(slots.admit(1, 64, None).is_none());
        busy.fetch_sub(1, Ordering::AcqRel);
        assert!(slots.admit(1, 64, None).is_some());
    }

    fn key(ip: &str) -> Option<ClientKey> {
        Some(ClientKey::from(ip.parse::<std::net::IpAddr>().unwrap()))
    }

    fn open_ids(slots: &Slots) -> Vec<u64> {
        slots.open.lock().unwrap().slots.keys().copied().collect()
    }

    #[test]
    fn one_address_makes_room_from_its_own_and_is_refused_when_all_of_them_are_busy() {
        let slots = Slots::default();
        let (a1, busy_a1, _) = slots.admit(100, 2, key("10.0.0.1")).unwrap();
        let (a2, _, _) = slots.admit(100, 2, key("10.0.0.1")).unwrap();
        let (b, _, _) = slots.admit(100, 2, key("10.0.0.2")).unwrap();
        busy_a1.fetch_add(1, Ordering::AcqRel);
        // A third from 10.0.0.1 takes the place of its idle one (a2), not b's.
        let (a3, busy_a3, _) = slots.admit(100, 2, key("10.0.0.1")).unwrap();
        assert_eq!(open_ids(&slots), vec![a1, b, a3]);
        busy_a3.fetch_add(1, Ordering::AcqRel);
        // Both of its connections busy: the next one from it is refused,
        // while another address (and a trusted proxy, no key) still gets in.
        assert!(slots.admit(100, 2, key("10.0.0.1")).is_none());
        assert!(slots.admit(100, 2, key("10.0.0.3")).is_some());
        assert!(slots.admit(100, 2, None).is_some());
        // An IPv6 client is one address per /64.
        slots.admit(100, 1, key("2001:db8::1")).unwrap();
        let (_, busy6, _) = slots.admit(100, 1, key("2001:db8::2")).unwrap();
        busy6.fetch_add(1, Ordering::AcqRel);
        assert!(slots.admit(100, 1, key("2001:db8::ffff")).is_none());
        let _ = a2;
    }

    #[test]
    fn at_the_cap_the_address_holding_the_most_gives_up_an_idle_connection() {
        let slots = Slots::default();
        let (quiet, _, _) = slots.admit(4, 64, key("10.0.0.9")).unwrap(); // the oldest
        let (a1, _, _) = slots.admit(4, 64, key("10.0.0.1")).unwrap();
        let (a2, _, _) = slots.admit(4, 64, key("10.0.0.1")).unwrap();
        let (a3, _, _) = slots.admit(4, 64, key("10.0.0.1")).unwrap();
        let (new, _, _) = slots.admit(4, 64, key("10.0.0.7")).unwrap();
        assert_eq!(
            open_ids(&slots),
            vec![quiet, a2, a3, new],
            "a1 went, not the older quiet one"
        );
        let _ = a1;
    }

    #[tokio::test]
    async fn an_answer_keeps_its_connection_busy_until_it_is_written() {
        use http_body_util::BodyExt;
        let busy = Arc::new(AtomicUsize::new(0));
        let body = HeldBody::new(Body::from("the page".repeat(10_000)), Busy::enter(&busy));
        assert_eq!(
            busy.load(Ordering::Acquire),
            1,
            "busy while the answer is out"
        );
        let written = body.collect().await.unwrap().to_bytes();
        assert_eq!(&written[..], "the page".repeat(10_000).as_bytes());
        assert_eq!(busy.load(Ordering::Acquire), 0, "idle once it is written");
    }

    #[test]
    fn the_cap_stays_under_the_open_file_limit() {
        // The common default of 1,024 files leaves 960 connections.
        assert_eq!(cap_for(1024, None), 960);
        assert_eq!(
            cap_for(1024, Some(3)),
            3,
            "a configured cap below the limit"
        );
        assert_eq!(
            cap_for(1024, Some(5000)),
            960,
            "never above what the files allow"
        );
        assert_eq!(cap_for(10, None), 8, "a tiny limit still serves a few");
        assert_eq!(cap_for(u64::MAX, None) as u64, u64::MAX - RESERVED_FILES);
        assert_eq!(cap_for(1024, Some(0)), 1);
    }

    /// Whether a `Notified` future is ready now (a permit was stored).
    fn futures_ready(fut: impl Future<Output = ()>) -> bool {
        let waker = std::task::Waker::noop();
        let mut cx = std::task::Context::from_waker(waker);
        let mut fut = std::pin::pin!(fut);
        fut.as_mut().poll(&mut cx).is_ready()
    }
}
