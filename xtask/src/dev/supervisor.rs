//! The `keel-server` children: one per good build, the new one started
//! before the old one is retired, every one stopped (SIGTERM, then killed)
//! when the loop ends.

use super::*;

/// The keel-server serving the current build, if any.
#[derive(Default)]
pub(super) struct ServerSlot {
    pub(super) current: Mutex<Slot>,
}

#[derive(Default)]
pub(super) enum Slot {
    #[default]
    Empty,
    /// Held for its `Drop`, which stops the process.
    #[expect(dead_code, reason = "held, not read")]
    Running(Server),
    /// The command is stopping: no server starts any more.
    Stopped,
}

pub(super) struct Server {
    pub(super) child: Child,
    pub(super) addr: SocketAddr,
}

impl ServerSlot {
    /// Start a server on `dist` and make it the current one; `publish`
    /// sends requests to it, and then the previous one stops.
    pub(super) fn replace(
        &self,
        root: &Path,
        dist: &Path,
        publish: impl FnOnce(SocketAddr),
    ) -> anyhow::Result<()> {
        let new = Server::start(root, dist)?;
        let addr = new.addr;
        let mut current = self.current.lock().unwrap_or_else(|p| p.into_inner());
        if matches!(*current, Slot::Stopped) {
            drop(current);
            drop(new);
            bail!("stopping");
        }
        let old = std::mem::replace(&mut *current, Slot::Running(new));
        drop(current);
        publish(addr);
        drop(old);
        Ok(())
    }

    /// Stop the current server, and any started from now on.
    pub(super) fn stop_for_good(&self) {
        let old = std::mem::replace(
            &mut *self.current.lock().unwrap_or_else(|p| p.into_inner()),
            Slot::Stopped,
        );
        drop(old);
    }
}

pub(super) struct StopOnDrop(pub(super) Arc<ServerSlot>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.stop_for_good();
    }
}

impl Server {
    pub(super) fn start(root: &Path, dist: &Path) -> anyhow::Result<Server> {
        let bin = root.join("target/server/keel-server");
        let mut child = Command::new(&bin)
            .args(["serve", "--listen", "127.0.0.1:0", "--dist"])
            .arg(dist)
            // Its warnings and errors, not a line per start.
            .env(
                "RUST_LOG",
                std::env::var("RUST_LOG").unwrap_or_else(|_| "keel_server=warn".into()),
            )
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .with_context(|| format!("starting {}", bin.display()))?;
        let mut lines = BufReader::new(child.stdout.take().expect("piped")).lines();
        let addr = loop {
            let Some(Ok(line)) = lines.next() else {
                let status = child.wait()?;
                bail!("keel-server exited ({status}) before it listened");
            };
            // "Keel is running at http://127.0.0.1:PORT/  (Ctrl-C to stop)"
            if let Some(rest) = line.split("running at http://").nth(1)
                && let Some(addr) = rest.split('/').next().and_then(|a| a.parse().ok())
            {
                break addr;
            }
        };
        // The rest of its standard output is "Keel stopped." when a newer
        // build replaces it: not news for the writer. Its log is on stderr.
        std::thread::spawn(move || lines.map_while(Result::ok).for_each(drop));
        Ok(Server { child, addr })
    }
}

impl Drop for Server {
    /// SIGTERM (the server finishes its requests and closes the store), and
    /// SIGKILL if it has not exited within five seconds.
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(Some(_))) {
            return;
        }
        let pid = rustix::process::Pid::from_child(&self.child);
        let _ = rustix::process::kill_process(pid, rustix::process::Signal::TERM);
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ---------------------------------------------------------------- the dev server
