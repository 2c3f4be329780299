//! The build's content-addressed cache: compressed forms and prerendered pages,
//! stored under the SHA-256 of everything they are made from. A rebuild after
//! one change finds everything else here and only links it into place.
//!
//! Entries a build did not use are removed when it succeeds, so the cache
//! holds about one build's worth and never grows without bound.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::Context;
use sha2::{Digest, Sha256};

pub struct Cache {
    dir: PathBuf,
    used: Mutex<HashSet<PathBuf>>,
}

/// A key: the hex SHA-256 of the parts, each length-prefixed so that
/// ("ab", "c") and ("a", "bc") differ.
pub fn key(parts: &[&[u8]]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update((p.len() as u64).to_le_bytes());
        h.update(p);
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

impl Cache {
    pub fn open(dir: &Path) -> anyhow::Result<Cache> {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        Ok(Cache {
            dir: dir.to_path_buf(),
            used: Mutex::new(HashSet::new()),
        })
    }

    /// Where the entry `key` with `suffix` (e.g. `.br`) lives; marks it used.
    fn path(&self, key: &str, suffix: &str) -> PathBuf {
        let p = self
            .dir
            .join(&key[..2])
            .join(format!("{}{suffix}", &key[2..]));
        self.used
            .lock()
            .expect("no panics while holding the lock")
            .insert(p.clone());
        p
    }

    /// Put the entry at `dest` (a hard link, or a copy across file systems), if there is one.
    pub fn link(&self, key: &str, suffix: &str, dest: &Path) -> anyhow::Result<bool> {
        let p = self.path(key, suffix);
        if !p.exists() {
            return Ok(false);
        }
        let _ = std::fs::remove_file(dest);
        if std::fs::hard_link(&p, dest).is_err() {
            std::fs::copy(&p, dest)
                .with_context(|| format!("copying {} to {}", p.display(), dest.display()))?;
        }
        Ok(true)
    }

    /// The size of an entry, if there is one.
    pub fn len(&self, key: &str, suffix: &str) -> Option<u64> {
        std::fs::metadata(self.path(key, suffix))
            .ok()
            .map(|m| m.len())
    }

    pub fn read(&self, key: &str, suffix: &str) -> Option<Vec<u8>> {
        std::fs::read(self.path(key, suffix)).ok()
    }

    /// Store an entry. Written beside and renamed, so a killed build never
    /// leaves a truncated entry behind.
    pub fn put(&self, key: &str, suffix: &str, bytes: &[u8]) -> anyhow::Result<PathBuf> {
        let p = self.path(key, suffix);
        std::fs::create_dir_all(p.parent().expect("entries sit in a folder"))?;
        let tmp = p.with_extension(format!("tmp{}", std::process::id()));
        std::fs::write(&tmp, bytes).with_context(|| format!("writing {}", tmp.display()))?;
        std::fs::rename(&tmp, &p)?;
        Ok(p)
    }

    /// Remove every entry this build did not use. Returns how many went.
    pub fn prune(&self) -> anyhow::Result<usize> {
        let used = self.used.lock().expect("no panics while holding the lock");
        let mut removed = 0;
        for entry in crate::fs::walk(&self.dir)? {
            if !used.contains(&entry) {
                std::fs::remove_file(&entry)?;
                removed += 1;
            }
        }
        Ok(removed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_separate_their_parts() {
        assert_ne!(key(&[b"ab", b"c"]), key(&[b"a", b"bc"]));
        assert_eq!(key(&[b"x"]), key(&[b"x"]));
        assert_eq!(key(&[b"x"]).len(), 64);
    }

    #[test]
    fn entries_link_and_unused_ones_are_pruned() {
        let dir = std::env::temp_dir().join(format!("keel-cache-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let cache = Cache::open(&dir.join("cache")).unwrap();
        let (a, b) = (key(&[b"a"]), key(&[b"b"]));
        cache.put(&a, ".br", b"A").unwrap();
        cache.put(&b, ".br", b"B").unwrap();
        let dest = dir.join("out.br");
        assert!(cache.link(&a, ".br", &dest).unwrap());
        assert_eq!(std::fs::read(&dest).unwrap(), b"A");
        assert!(!cache.link(&key(&[b"c"]), ".br", &dest).unwrap(), "a miss");
        // The next build uses only `a`: `b` goes.
        let next = Cache::open(&dir.join("cache")).unwrap();
        assert_eq!(next.read(&a, ".br").as_deref(), Some(&b"A"[..]));
        assert_eq!(next.prune().unwrap(), 1);
        assert!(next.read(&b, ".br").is_none());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
