//! The SPA's part of the build: trunk's three bundles (our site's, the
//! partner playground's and the embed views'), their shells moved under a
//! base path, and the partner scripts with the facts they share with the app
//! written in.

use super::*;

/// The SPA's three wasm bundles (`keel::route::Bundle`), each built by trunk
/// from its own shell: our site's, the partner playground's and the embed
/// views' (so that none downloads another's pages).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Bundle {
    Site,
    Playground,
    Embed,
}

impl Bundle {
    pub const ALL: [Bundle; 3] = [Bundle::Site, Bundle::Playground, Bundle::Embed];

    /// The cargo binary (Cargo.toml), which names trunk's hashed files:
    /// `{bin}-{hash}.js` and `{bin}-{hash}_bg.wasm`.
    pub fn bin(self) -> &'static str {
        match self {
            Bundle::Site => "keel",
            Bundle::Playground => "keel-playground",
            Bundle::Embed => "keel-embed",
        }
    }

    /// The shell trunk builds it from (in the repository's root), and where
    /// the built shell is kept in the SPA's folder, for the prerenderer: not
    /// a file of the site (every page is prerendered into it).
    pub(super) fn shell(self) -> (&'static str, &'static str) {
        match self {
            Bundle::Site => ("index.html", "index.html"),
            Bundle::Playground => ("playground.html", "playground-shell.html"),
            Bundle::Embed => ("embed.html", "embed-shell.html"),
        }
    }

    /// The files of the repository's root that trunk reads: each bundle's
    /// shell, and its settings.
    pub fn trunk_files() -> [&'static str; 4] {
        let [site, playground, embed] = Bundle::ALL.map(|b| b.shell().0);
        [site, playground, embed, "Trunk.toml"]
    }

    /// The bundle's JS glue and wasm, as trunk named them in `dir` (the
    /// SPA's folder, or a built `dist/`).
    pub fn files(self, dir: &Path) -> anyhow::Result<[String; 2]> {
        let names: Vec<String> = std::fs::read_dir(dir)
            .with_context(|| format!("reading {}", dir.display()))?
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .collect();
        // The hash has no '-', so `keel-…` never matches `keel-embed-…`.
        let prefix = format!("{}-", self.bin());
        let find = |suffix: &str| -> anyhow::Result<String> {
            names
                .iter()
                .find(|n| {
                    n.strip_prefix(&prefix)
                        .and_then(|rest| rest.strip_suffix(suffix))
                        .is_some_and(|hash| !hash.contains('-'))
                })
                .cloned()
                .ok_or_else(|| {
                    anyhow::anyhow!(
                        "{} has no {prefix}*{suffix} (trunk's output)",
                        dir.display()
                    )
                })
        };
        Ok([find(".js")?, find("_bg.wasm")?])
    }
}

/// Trunk's output for the SPA's current sources, every bundle: reused when
/// nothing trunk reads has changed (its wasm compile and wasm-opt take
/// minutes), built otherwise. Returns the folder and whether trunk ran.
pub fn spa(layout: &Layout) -> anyhow::Result<(PathBuf, bool)> {
    let root = &layout.root;
    let mut inputs: Vec<PathBuf> = Bundle::trunk_files()
        .iter()
        .chain(&["Cargo.toml", "Cargo.lock"])
        .map(|f| root.join(f))
        .collect();
    for dir in ["src", "assets", "crates/model"] {
        inputs.extend(crate::fs::walk(&root.join(dir))?);
    }
    let toolchain = [
        crate::setup::PINNED_TOOLCHAIN,
        crate::WASM_BUILD_STD,
        crate::WASM_RUSTFLAGS,
    ]
    .join(" ");
    let mut parts: Vec<Vec<u8>> = vec![b"spa-v2".to_vec(), toolchain.into_bytes()];
    for path in &inputs {
        parts.push(
            path.strip_prefix(root)
                .unwrap_or(path)
                .to_string_lossy()
                .as_bytes()
                .to_vec(),
        );
        parts.push(std::fs::read(path).with_context(|| format!("reading {}", path.display()))?);
    }
    let key = cache::key(&parts.iter().map(Vec::as_slice).collect::<Vec<_>>());
    let dir = layout.spa.join(&key[..16]);
    if dir.join("index.html").exists() {
        return Ok((dir, false));
    }
    let partial = layout.spa.join("partial");
    let _ = std::fs::remove_dir_all(&partial);
    sh(crate::trunk(root)?
        .args(["build", "--release", "--dist"])
        .arg(&partial))?;
    // Trunk empties its dist folder first, and always writes `index.html`:
    // the other bundles are built beside it, then moved in.
    for bundle in Bundle::ALL.into_iter().filter(|&b| b != Bundle::Site) {
        let (source, kept) = bundle.shell();
        let other = layout.spa.join(format!("partial-{}", bundle.bin()));
        let _ = std::fs::remove_dir_all(&other);
        sh(crate::trunk(root)?
            .args(["build", source, "--release", "--dist"])
            .arg(&other))?;
        std::fs::rename(other.join("index.html"), partial.join(kept))?;
        for name in bundle.files(&other)? {
            std::fs::rename(other.join(&name), partial.join(&name))?;
        }
        std::fs::remove_dir_all(&other)?;
    }
    let _ = std::fs::remove_file(partial.join(".trunk-lock"));
    // Keep only this build's output.
    for old in std::fs::read_dir(&layout.spa)? {
        let old = old?.path();
        if old != partial {
            let _ = std::fs::remove_dir_all(old);
        }
    }
    std::fs::rename(&partial, &dir)?;
    Ok((dir, true))
}

/// The partner embed's scripts (`embed/`, see docs/embedding.md), for
/// `dist/embed/`, and the stylesheet the inline mode adopts: the loader
/// learns the embed bundle's hashed file names here, the scripts the facts
/// they share with the app (`keel_prerender::script_facts`), and both lose
/// their comments (the loader is downloaded by every partner page).
pub(super) fn embed_files(
    root: &Path,
    spa: &Path,
    deploy: &keel_prerender::Deploy,
) -> anyhow::Result<Vec<(String, Vec<u8>)>> {
    let [glue, wasm] = Bundle::Embed
        .files(spa)?
        .map(|n| format!("{}/{n}", deploy.base));
    let css = keel_prerender::stylesheet()?;
    let css_file = format!("embed/keel-{}.css", &cache::key(&[css.as_bytes()])[..16]);
    let css_url = format!("{}/{css_file}", deploy.base);
    let mut out = vec![(css_file, css.into_bytes())];
    for name in ["v1.js", "frame.js"] {
        let path = root.join("embed").join(name);
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        let mut marks = keel_prerender::script_facts();
        marks.extend([
            ("__KEEL_GLUE__", glue.clone()),
            ("__KEEL_WASM__", wasm.clone()),
            ("__KEEL_API__", deploy.api.clone().unwrap_or_default()),
            ("__KEEL_CSS__", css_url.clone()),
        ]);
        let text = fill_marks(&text, &marks)
            .and_then(|t| minify_script(&t))
            .with_context(|| format!("in {}", path.display()))?;
        out.push((format!("embed/{name}"), text.into_bytes()));
    }
    Ok(out)
}

/// A partner script with its comments dropped and each `__KEEL_…__` mark
/// replaced by its value; an error naming a mark that is left (a fact the
/// script wants and the app does not give).
pub(super) fn fill_marks(script: &str, marks: &[(&str, String)]) -> anyhow::Result<String> {
    let mut text: String = script
        .lines()
        .filter(|l| !l.trim_start().starts_with("// ") && l.trim() != "//")
        .map(|l| format!("{}\n", l.trim_start()))
        .collect();
    for (mark, value) in marks {
        text = text.replace(mark, value);
    }
    if let Some(at) = text.find("__KEEL_") {
        let mark: String = text[at..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        bail!("{mark} is not a fact the build knows (keel::embed::script_facts)");
    }
    Ok(text)
}

/// A partner script as shipped: minified by oxc (names shortened, dead code
/// dropped) for browsers from ES2020 on (the loader needs shadow roots and
/// constructed stylesheets, which are younger), behind its `/*! … */` first
/// line. A syntax error fails the build, naming the line.
pub(super) fn minify_script(script: &str) -> anyhow::Result<String> {
    use oxc_minifier::{CompressOptions, MangleOptions, Minifier, MinifierOptions};
    let alloc = oxc_allocator::Allocator::default();
    let parsed = oxc_parser::Parser::new(&alloc, script, oxc_span::SourceType::cjs()).parse();
    if let Some(d) = parsed.diagnostics.first() {
        let line = d
            .labels
            .as_ref()
            .first()
            .and_then(|l| script.get(..l.offset() as usize))
            .map(|before| before.matches('\n').count() + 1);
        bail!("line {}: {d}", line.unwrap_or(1));
    }
    let mut program = parsed.program;
    let compress = CompressOptions {
        target: oxc_compat::EngineTargets::from_target("es2020").map_err(anyhow::Error::msg)?,
        ..CompressOptions::smallest()
    };
    let options = MinifierOptions {
        mangle: Some(MangleOptions::default()),
        compress: Some(compress),
        ..MinifierOptions::default()
    };
    let scoping = Minifier::new(options).minify(&alloc, &mut program).scoping;
    let code = oxc_codegen::Codegen::new()
        .with_options(oxc_codegen::CodegenOptions::minify())
        .with_scoping(scoping)
        .build(&program)
        .code;
    let banner = script.lines().next().filter(|l| l.starts_with("/*!"));
    Ok(match banner {
        Some(b) => format!("{b}\n{code}\n"),
        None => format!("{code}\n"),
    })
}

/// `bundle`'s shell, as trunk built it, for a site under `base`: its loader
/// fetches the app from there. (Trunk's own `--public-url` would do it too,
/// at the price of a second wasm build per base path; the bytes are the same.)
pub(super) fn shell_for(spa: &Path, bundle: Bundle, base: &str) -> anyhow::Result<String> {
    let file = spa.join(bundle.shell().1);
    let mut shell = std::fs::read_to_string(&file)
        .with_context(|| format!("reading trunk's {}", file.display()))?;
    if base.is_empty() {
        return Ok(shell);
    }
    for name in bundle.files(spa)? {
        let before = shell.clone();
        // Quoted as the minifier left it: "…", '…' or `…`.
        for q in ['"', '\'', '`'] {
            shell = shell.replace(&format!("{q}/{name}{q}"), &format!("{q}{base}/{name}{q}"));
        }
        if shell == before {
            bail!(
                "trunk's {} does not load /{name} in quotes: cannot move it under {base}",
                file.display()
            );
        }
    }
    Ok(shell)
}
