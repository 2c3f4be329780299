//! `cargo xtask sizes`, and the size budgets that `cargo xtask test` checks:
//! one per wasm bundle, and the embed loader's.
//!
//! Sizes are deterministic for one toolchain and lockfile, so unlike timings
//! a budget on them can fail the tests. Brotli at quality 11, as `dist/`
//! serves it.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

use crate::release::{self, Bundle};
use crate::sh;

/// Our site's release wasm, brotli, at most: what it measured (174,511 B) with
/// yew-router routing it and serde reading its data, and 1% to spare. Raise
/// it only on purpose, in its own commit that says what the bytes buy;
/// `cargo xtask sizes` shows where they went against the bare reference app.
/// The raises this far: from 167,500 B, the partner playground (`/embed/`,
/// about 7.8 KB) and the contact form's prefill and source (0.9 KB); then
/// the contact form's proof of work (SHA-256 and its solver, 4.5 KB). Then
/// down from 181,700 B: the playground moved to a wasm of its own (6.9 KB).
pub const WASM_BUDGET_BROTLI: u64 = 176_300;

/// The partner playground's wasm (`/embed/`, a page for partners, not our
/// readers: our chrome and that page), brotli, at most: measured 141,194 B,
/// and 1% to spare.
pub const PLAYGROUND_WASM_BUDGET_BROTLI: u64 = 142_700;

/// The embed views' wasm (what a partner's visitor downloads), brotli, at
/// most. The raises this far: from 146,800 B, the contact form's prefill and
/// source (1.9 KB), then its proof of work (4.7 KB), to 154,000 B (1% over the
/// 152,488 B it measured); then 400 B for no code at all. The images' block
/// had left 25 B, and the same embed code measured 154,189 B instead of
/// 153,975 once a change elsewhere in the library had LTO order its functions
/// otherwise (680 bytes of indices differ; the size is the same). It
/// measures 154,189 B: 211 B to spare.
pub const EMBED_WASM_BUDGET_BROTLI: u64 = 154_400;

/// The size goal: our site's wasm at most this many times the bare
/// reference's (brotli), the reference using each of the design card's
/// packages as the app does. Printed by `cargo xtask sizes`, not enforced:
/// the budgets above are.
const TARGET_RATIO: f64 = 1.5;

/// Peers built with the same pipeline (this toolchain, build-std, opt-level z,
/// LTO, wasm-opt -Oz), brotli, as measured for the size goal: their sources
/// cannot be fetched here, so they are figures, not builds.
const PEERS: [(&str, u64); 2] = [
    ("yew 0.23.0 examples/router", 141_200),
    ("leptos 0.8.20 examples/router", 138_200),
];

/// The partner embed's loader (`/embed/v1.js`, on every partner page), brotli,
/// at most: 3 KB, as docs/embedding.md promises.
pub const LOADER_BUDGET_BROTLI: u64 = 3 * 1024;

/// `bundle`'s wasm budget, brotli.
fn budget(bundle: Bundle) -> u64 {
    match bundle {
        Bundle::Site => WASM_BUDGET_BROTLI,
        Bundle::Playground => PLAYGROUND_WASM_BUDGET_BROTLI,
        Bundle::Embed => EMBED_WASM_BUDGET_BROTLI,
    }
}

/// What `cargo xtask sizes` calls `bundle`.
fn name(bundle: Bundle) -> &'static str {
    match bundle {
        Bundle::Site => "Keel",
        Bundle::Playground => "Keel's partner playground",
        Bundle::Embed => "Keel's embed views",
    }
}

/// What `cargo xtask sizes` calls `bundle`'s wasm.
fn wasm_name(bundle: Bundle) -> &'static str {
    match bundle {
        Bundle::Site => "Keel's wasm",
        Bundle::Playground => "The partner playground's wasm",
        Bundle::Embed => "The embed views' wasm",
    }
}

/// Fails when a built wasm, or the embed loader, is over its budget.
pub fn check_budget(dist: &Path) -> anyhow::Result<()> {
    for bundle in Bundle::ALL {
        let budget = budget(bundle);
        let [_, wasm] = bundle.files(dist)?;
        let wasm = dist.join(wasm);
        let br = brotli_len(&std::fs::read(&wasm)?)?;
        if br > budget {
            bail!(
                "{} is {br} B brotli, over its budget of {budget} B (xtask/src/sizes.rs). \
                 See what grew with `cargo xtask sizes` (and a profiler such as twiggy).",
                wasm.display()
            );
        }
        eprintln!(
            "wasm size budget ({}): {br} of {budget} B brotli",
            bundle.bin()
        );
    }
    let loader = dist.join("embed/v1.js");
    let br = brotli_len(
        &std::fs::read(&loader).with_context(|| format!("reading {}", loader.display()))?,
    )?;
    if br > LOADER_BUDGET_BROTLI {
        bail!(
            "{} is {br} B brotli, over its budget of {LOADER_BUDGET_BROTLI} B (xtask/src/sizes.rs)",
            loader.display()
        );
    }
    eprintln!("embed loader size budget: {br} of {LOADER_BUDGET_BROTLI} B brotli");
    Ok(())
}

/// Keel's bundles beside the bare reference app (crates/bare), built now with
/// the same profile and wasm-opt level, and their ratio.
pub fn report(root: &Path) -> anyhow::Result<()> {
    let dist = root.join("dist");
    if !dist.join("index.html").exists() {
        release::site(root, &release::Options::default())?;
    }
    let bare = root.join("target/bare-dist");
    // The same toolchain, profile and settings as the site's (`crate::trunk`).
    sh(crate::trunk(root)?
        .args([
            "build",
            "crates/bare/index.html",
            "--release",
            "true",
            "--dist",
        ])
        .arg(&bare))?;
    let mut bundles = Vec::new();
    for bundle in Bundle::ALL {
        let [js, wasm] = bundle.files(&dist)?;
        bundles.push((bundle, Sizes::of((dist.join(wasm), dist.join(js)))?));
    }
    let keel = &bundles[0].1;
    let reference = Sizes::of((find(&bare, "_bg.wasm")?, find_glue(&bare)?))?;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "\n{:<34} {:>10} {:>10} {:>10}",
        "", "raw", "gzip", "brotli"
    )?;
    let rows = bundles
        .iter()
        .map(|(bundle, sizes)| (name(*bundle), sizes))
        .chain([("bare reference (crates/bare)", &reference)]);
    for (name, b) in rows {
        writeln!(
            out,
            "{:<34} {:>10} {:>10} {:>10}",
            format!("{name}: wasm"),
            b.wasm.0,
            b.wasm.1,
            b.wasm.2
        )?;
        writeln!(
            out,
            "{:<34} {:>10} {:>10} {:>10}",
            format!("{name}: JS glue"),
            b.js.0,
            b.js.1,
            b.js.2
        )?;
    }
    for (bundle, b) in &bundles {
        let ratio = b.wasm.2 as f64 / reference.wasm.2 as f64;
        writeln!(
            out,
            "\n{} is {ratio:.2} times the bare reference's (brotli); budget {} B, {} B used",
            wasm_name(*bundle),
            budget(*bundle),
            b.wasm.2
        )?;
    }
    let line = (reference.wasm.2 as f64 * TARGET_RATIO) as u64;
    let verdict = |ok: bool| if ok { "met" } else { "MISSED" };
    writeln!(
        out,
        "\nTarget: Keel's wasm at most {TARGET_RATIO} times the reference ({line} B): {} by {} B",
        verdict(keel.wasm.2 <= line),
        keel.wasm.2.abs_diff(line)
    )?;
    for (peer, bytes) in PEERS {
        writeln!(
            out,
            "Target: smaller than {peer} ({bytes} B, measured elsewhere): {} by {} B",
            verdict(keel.wasm.2 < bytes),
            keel.wasm.2.abs_diff(bytes)
        )?;
    }
    writeln!(out, "\nEvery page of dist/ (raw, gzip, brotli as served):")?;
    drop(out);
    release::print_sizes(&dist)
}

/// A bundle's sizes: raw, gzip, brotli.
struct Sizes {
    wasm: (u64, u64, u64),
    js: (u64, u64, u64),
}

impl Sizes {
    fn of((wasm, js): (PathBuf, PathBuf)) -> anyhow::Result<Sizes> {
        let sizes = |p: PathBuf| -> anyhow::Result<(u64, u64, u64)> {
            let bytes = std::fs::read(&p).with_context(|| format!("reading {}", p.display()))?;
            Ok((bytes.len() as u64, gzip_len(&bytes)?, brotli_len(&bytes)?))
        };
        Ok(Sizes {
            wasm: sizes(wasm)?,
            js: sizes(js)?,
        })
    }
}

fn find(dir: &Path, suffix: &str) -> anyhow::Result<PathBuf> {
    std::fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.to_string_lossy().ends_with(suffix))
        .with_context(|| format!("no *{suffix} in {} (build it first)", dir.display()))
}

/// trunk's JS glue: the hashed `.js` beside the wasm.
fn find_glue(dir: &Path) -> anyhow::Result<PathBuf> {
    std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.extension().is_some_and(|x| x == "js"))
        .with_context(|| format!("no JS glue in {}", dir.display()))
}

/// As `dist/` serves the wasm: brotli 11 (the build's rule for static assets).
fn brotli_len(bytes: &[u8]) -> anyhow::Result<u64> {
    Ok(keel_compress::brotli(bytes, keel_compress::Effort::Best).len() as u64)
}

fn gzip_len(bytes: &[u8]) -> anyhow::Result<u64> {
    Ok(keel_compress::gzip(bytes, keel_compress::Effort::Best).len() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_budget_fails_a_wasm_or_an_embed_loader_that_grew() {
        let dir = std::env::temp_dir().join(format!("keel-budget-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        // Random bytes do not compress: brotli is about as large as the input.
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let noise: Vec<u8> = (0..WASM_BUDGET_BROTLI + 1000)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state as u8
            })
            .collect();
        std::fs::create_dir_all(dir.join("embed")).unwrap();
        std::fs::write(dir.join("embed/v1.js"), "/* the loader */").unwrap();
        // Each bundle: its JS glue and its wasm (`release::Bundle::files`).
        std::fs::write(dir.join("keel-0000.js"), "").unwrap();
        for bin in ["keel-embed", "keel-playground"] {
            std::fs::write(dir.join(format!("{bin}-0000.js")), "").unwrap();
            std::fs::write(dir.join(format!("{bin}-0000_bg.wasm")), vec![0u8; 300_000]).unwrap();
        }
        std::fs::write(dir.join("keel-0000_bg.wasm"), &noise).unwrap();
        let err = check_budget(&dir).unwrap_err().to_string();
        assert!(
            err.contains("keel-0000_bg.wasm") && err.contains("over its budget"),
            "{err}"
        );
        std::fs::write(dir.join("keel-0000_bg.wasm"), vec![0u8; 300_000]).unwrap();
        check_budget(&dir).expect("zeros compress far under the budget");
        // The embed views' wasm has a budget of its own.
        std::fs::write(
            dir.join("keel-embed-0000_bg.wasm"),
            &noise[..EMBED_WASM_BUDGET_BROTLI as usize + 500],
        )
        .unwrap();
        let err = check_budget(&dir).unwrap_err().to_string();
        assert!(
            err.contains("keel-embed-0000_bg.wasm") && err.contains("over its budget"),
            "{err}"
        );
        std::fs::write(dir.join("keel-embed-0000_bg.wasm"), vec![0u8; 300_000]).unwrap();
        // So has the playground's.
        std::fs::write(
            dir.join("keel-playground-0000_bg.wasm"),
            &noise[..PLAYGROUND_WASM_BUDGET_BROTLI as usize + 500],
        )
        .unwrap();
        let err = check_budget(&dir).unwrap_err().to_string();
        assert!(
            err.contains("keel-playground-0000_bg.wasm") && err.contains("over its budget"),
            "{err}"
        );
        std::fs::write(dir.join("keel-playground-0000_bg.wasm"), vec![0u8; 300_000]).unwrap();
        // The embed loader has a budget of its own.
        std::fs::write(
            dir.join("embed/v1.js"),
            &noise[..LOADER_BUDGET_BROTLI as usize + 100],
        )
        .unwrap();
        let err = check_budget(&dir).unwrap_err().to_string();
        assert!(
            err.contains("embed/v1.js") && err.contains("over its budget"),
            "{err}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
