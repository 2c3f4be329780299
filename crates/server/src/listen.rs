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
//!   it is reached, a new connection takes the place of the oldest one that is
//!   not inside a handler (a half-open or idle socket), so held sockets cannot
//!   lock out a visitor who sends a real request;
//! - request bodies and handlers have their own limits (`app`'s layers).

use std::collections::BTreeMap;
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

/// Open files the process keeps for itself (the database and its journal,
/// outgoing notification sockets, the runtime, logs) below the limit.
const RESERVED_FILES: u64 = 64;

#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Time allowed for a complete request head (line and headers).
    pub header_timeout: Duration,
    /// Open connections at most; `None` derives it from the open-file limit.
    pub max_connections: Option<usize>,
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
    /// Requests inside the app right now; 0 means the socket is waiting for
    /// (part of) a request head, idle between requests, or writing a body out.
    busy: Arc<AtomicUsize>,
    shed: Arc<Notify>,
}

#[derive(Default)]
struct Slots {
    next: AtomicU64,
    open: Mutex<BTreeMap<u64, Slot>>,
}

impl Slots {
    /// Register a new connection; at the cap, shed the oldest one that is not
    /// in a handler. `None`: every slot is busy with a request, refuse this one.
    fn admit(&self, cap: usize) -> Option<(u64, Arc<AtomicUsize>, Arc<Notify>)> {
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        if open.len() >= cap {
            // Ids grow with time, so the first idle one is the oldest.
            let victim = open
                .iter()
                .find(|(_, s)| s.busy.load(Ordering::Acquire) == 0)
                .map(|(id, _)| *id)?;
            if let Some(slot) = open.remove(&victim) {
                slot.shed.notify_one();
            }
        }
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let slot = Slot {
            busy: Arc::new(AtomicUsize::new(0)),
            shed: Arc::new(Notify::new()),
        };
        let handles = (id, slot.busy.clone(), slot.shed.clone());
        open.insert(id, slot);
        Some(handles)
    }

    fn release(&self, id: u64) {
        self.open
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&id);
    }

    fn len(&self) -> usize {
        self.open.lock().unwrap_or_else(|p| p.into_inner()).len()
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
        let Some((id, busy, shed)) = slots.admit(cap) else {
            tracing::warn!(%peer, max_connections = cap, "every connection is inside a request; refusing one");
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let (app, http, slots, mut stop) =
            (app.clone(), http.clone(), slots.clone(), stop_rx.clone());
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
                req.extensions_mut().insert(ConnectInfo(peer));
                let busy = Busy::enter(&busy);
                let response = app.clone().oneshot(req.map(Body::new));
                async move {
                    let response = response.await;
                    drop(busy);
                    Ok::<_, Infallible>(response.unwrap_or_else(|never| match never {}))
                }
            });
            let conn = http.serve_connection(TokioIo::new(stream), service);
            tokio::pin!(conn);
            tokio::select! {
                _ = conn.as_mut() => {}
                () = shed.notified() => tracing::debug!(%peer, "shed an idle connection at the cap"),
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
        let (a, busy_a, _) = slots.admit(2).unwrap();
        let (b, _, shed_b) = slots.admit(2).unwrap();
        busy_a.fetch_add(1, Ordering::AcqRel); // a is inside a handler
        let (c, _, _) = slots.admit(2).expect("b is idle, so c gets its place");
        let open: Vec<u64> = slots.open.lock().unwrap().keys().copied().collect();
        assert_eq!(open, vec![a, c], "b was shed, a kept");
        // b's task is told to drop its connection.
        assert!(futures_ready(shed_b.notified()));
        let _ = b;
    }

    #[test]
    fn when_every_connection_is_busy_the_new_one_is_refused() {
        let slots = Slots::default();
        let (_, busy, _) = slots.admit(1).unwrap();
        busy.fetch_add(1, Ordering::AcqRel);
        assert!(slots.admit(1).is_none());
        busy.fetch_sub(1, Ordering::AcqRel);
        assert!(slots.admit(1).is_some());
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
