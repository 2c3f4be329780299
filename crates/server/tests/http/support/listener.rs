//! The whole server on a real loopback listener, as `keel-server serve` runs
//! it (`listen::serve` around `app`), for tests that need real sockets.

use std::net::SocketAddr;

use keel_server::{AppState, app, listen};

/// Serve `state` on a free loopback port with `limits`; the task runs until
/// it is aborted or the test ends.
pub async fn serve(
    state: AppState,
    limits: listen::Limits,
) -> (SocketAddr, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        listen::serve(
            listener,
            app(state),
            limits,
            std::future::pending(),
            std::time::Duration::ZERO,
        )
        .await
        .unwrap();
    });
    (addr, task)
}
