//! Files, as the build and the benchmark read them.

use std::path::{Path, PathBuf};

/// Every file under `dir`, folders followed, in sorted order: what a build
/// reads and writes is listed the same way on every machine.
pub fn walk(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            out.extend(walk(&path)?);
        } else {
            out.push(path);
        }
    }
    out.sort();
    Ok(out)
}
