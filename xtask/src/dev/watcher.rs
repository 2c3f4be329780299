//! What the writers' loop watches, and what a change rebuilds: content, the
//! SPA's assets, or code compiled into this program.

use super::*;

/// What a changed file asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Change {
    /// An article or site.toml: compile it, render the pages it touches.
    Content,
    /// assets/, the bundles' shells (index.html…), Trunk.toml: trunk, then the pages (the shells may differ).
    Spa,
    /// The SPA's code: this program, trunk, then a restart in place.
    Code,
}

/// Which kind of change `path` is, or None for files no build reads
/// (editors' swap and backup files, hidden files).
pub(super) fn classify(root: &Path, content: &Path, path: &Path) -> Option<Change> {
    let name = path.file_name()?.to_str()?;
    if name.starts_with('.')
        || name.ends_with('~')
        || name.ends_with(".swp")
        || name.ends_with(".swx")
        || name == "4913"
    {
        return None;
    }
    if path.starts_with(content) {
        return Some(Change::Content);
    }
    if path.starts_with(root.join("src")) || path.starts_with(root.join("crates/model")) {
        return Some(Change::Code);
    }
    if path.starts_with(root.join("assets"))
        || release::Bundle::trunk_files()
            .iter()
            .any(|f| path == root.join(f))
    {
        return Some(Change::Spa);
    }
    None
}

/// Watch the sources; each debounced burst of changes becomes the strongest
/// `Change` in it.
pub(super) fn watch_sources(ctx: &Builder, tx: mpsc::Sender<Change>) -> anyhow::Result<Debouncer> {
    let (root, content) = (ctx.root.clone(), ctx.layout.content.clone());
    let mut debouncer = notify_debouncer_full::new_debouncer(
        DEBOUNCE,
        None,
        move |result: notify_debouncer_full::DebounceEventResult| {
            let Ok(events) = result else { return };
            let mut changed: Vec<(&Path, Change)> = events
                .iter()
                // Reading a file is no change (the build itself reads them all).
                .filter(|e| !matches!(e.kind, EventKind::Access(_)))
                .flat_map(|e| e.paths.iter())
                .filter_map(|p| Some((p.as_path(), classify(&root, &content, p)?)))
                .collect();
            changed.sort();
            changed.dedup();
            let Some(change) = changed.iter().map(|(_, c)| *c).max() else {
                return;
            };
            let names: Vec<String> = changed
                .iter()
                .take(3)
                .map(|(p, _)| p.strip_prefix(&root).unwrap_or(p).display().to_string())
                .collect();
            let more = if changed.len() > 3 {
                format!(" and {} more", changed.len() - 3)
            } else {
                String::new()
            };
            eprintln!("\nchanged: {}{more}", names.join(", "));
            let _ = tx.send(change);
        },
    )?;
    debouncer.watch(&ctx.layout.content, RecursiveMode::Recursive)?;
    for dir in ["src", "assets", "crates/model"] {
        debouncer.watch(ctx.root.join(dir), RecursiveMode::Recursive)?;
    }
    for file in release::Bundle::trunk_files() {
        debouncer.watch(ctx.root.join(file), RecursiveMode::NonRecursive)?;
    }
    Ok(debouncer)
}
