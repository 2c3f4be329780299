//! What a build prints: its phases with their timings, CPU and peak memory,
//! and the sizes of what it wrote.

use super::*;

/// Phase timings, printed at the end of every build.
#[derive(Default)]
pub struct Report {
    pub phases: Vec<(&'static str, Duration, String)>,
    pub total: Duration,
    pub peak_memory_mb: Option<u64>,
}

impl Report {
    pub(super) fn phase(&mut self, name: &'static str, since: Instant, note: String) {
        self.phases.push((name, since.elapsed(), note));
    }

    pub fn seconds(&self, name: &str) -> f64 {
        self.phases
            .iter()
            .find(|(n, ..)| *n == name)
            .map(|(_, d, _)| d.as_secs_f64())
            .unwrap_or(0.0)
    }
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "build phases:")?;
        for (name, d, note) in &self.phases {
            writeln!(f, "  {name:<12} {:>7.2} s  {note}", d.as_secs_f64())?;
        }
        let mem = self
            .peak_memory_mb
            .map(|m| format!(", peak memory {m} MB"))
            .unwrap_or_default();
        write!(f, "Built in {:.1} s{mem}", self.total.as_secs_f64())
    }
}

/// CPU time of the calling thread (Linux's schedstat, in nanoseconds): what a
/// step cost, whatever else the machine is running. Wall time elsewhere.
pub fn thread_cpu() -> Option<Duration> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    Some(Duration::from_nanos(
        s.split_whitespace().next()?.parse().ok()?,
    ))
}

/// Time `f` by thread CPU where the system offers it, by the clock otherwise.
pub(super) fn timed<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let (cpu, wall) = (thread_cpu(), Instant::now());
    let out = f();
    let spent = match (cpu, thread_cpu()) {
        (Some(a), Some(b)) => b.saturating_sub(a),
        _ => wall.elapsed(),
    };
    (out, spent)
}

/// The process's peak resident memory (Linux), in MB.
pub fn peak_memory_mb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    Some(line.split_whitespace().nth(1)?.parse::<u64>().ok()? / 1024)
}

/// Reset the peak (Linux), so the next build's figure is its own.
pub fn reset_peak_memory() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

pub fn print_sizes(dist: &Path) -> anyhow::Result<()> {
    let mut any = false;
    for path in crate::fs::walk(dist)? {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if name.ends_with(".wasm")
            || (name.ends_with(".js") && !path.to_string_lossy().contains("/api/"))
            || name == "index.html"
        {
            let raw = std::fs::metadata(&path)?.len();
            let size = |ext: &str| {
                std::fs::metadata(path.with_file_name(format!("{name}.{ext}")))
                    .map(|m| m.len())
                    .unwrap_or(0)
            };
            let shown = path
                .strip_prefix(dist)
                .unwrap_or(&path)
                .display()
                .to_string();
            println!(
                "{shown:<90} raw {raw:>8}  gzip {:>8}  brotli {:>8}",
                size("gz"),
                size("br")
            );
            any = true;
        }
    }
    if !any {
        bail!("no build in {}; run `cargo xtask build`", dist.display());
    }
    Ok(())
}
