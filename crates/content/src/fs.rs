//! Reading a content folder from disk: the one loader the build and the tests
//! share (`features = ["fs"]`).
//!
//! The compiler does no IO (the crate's invariant): this module only reads the
//! files, and hands them to [`crate::compile`] as [`Source`]s.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use crate::images::{ImageError, ImageReader, SourceImage, inspect};
use crate::{Diagnostic, NoCache, Options, Output, Source};

/// The repository's checkout, which holds the bundled `content/`.
const REPO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");

/// `site.toml` and the `articles/*.md` of `content_dir`, articles in file-name
/// order. Each source's path, which diagnostics name, is relative to `root`
/// when the file is under it (`content/articles/rest.md`).
pub fn read_sources(root: &Path, content_dir: &Path) -> io::Result<(Source, Vec<Source>)> {
    let site = read(root, &content_dir.join("site.toml"))?;
    let dir = content_dir.join("articles");
    let mut paths = std::fs::read_dir(&dir)
        .map_err(|e| named(e, &dir))?
        .map(|e| e.map(|e| e.path()))
        .collect::<io::Result<Vec<PathBuf>>>()
        .map_err(|e| named(e, &dir))?;
    paths.retain(|p| p.extension().is_some_and(|e| e == "md"));
    paths.sort();
    let articles = paths
        .iter()
        .map(|p| read(root, p))
        .collect::<io::Result<_>>()?;
    Ok((site, articles))
}

/// The repository's own `content/` folder.
pub fn bundled_dir() -> PathBuf {
    Path::new(REPO).join("content")
}

/// The repository's own content, compiled: the site the tests render and serve.
pub fn compile_bundled(options: &Options) -> Result<Output, LoadError> {
    let root = Path::new(REPO);
    let (site, articles) = read_sources(root, &bundled_dir()).map_err(LoadError::Read)?;
    let images = Images::new(root, &bundled_dir());
    crate::compile_with(&site, &articles, options, &NoCache, &images).map_err(LoadError::Content)
}

/// Reads the images of a content folder: a path relative to `root`, which
/// must be inside `content_dir` (no `../` out of it, nor a link that leads
/// out).
pub struct Images {
    root: PathBuf,
    content_dir: PathBuf,
    /// `content_dir` resolved (links followed), once for every image.
    real_dir: Result<PathBuf, String>,
}

impl Images {
    pub fn new(root: &Path, content_dir: &Path) -> Self {
        Images {
            root: root.to_path_buf(),
            content_dir: content_dir.to_path_buf(),
            real_dir: content_dir.canonicalize().map_err(|e| e.to_string()),
        }
    }

    /// The file of `path`, when it is in the content folder.
    pub fn file(&self, path: &str) -> Result<PathBuf, ImageError> {
        let file = self.root.join(path);
        let real = match file.canonicalize() {
            Ok(real) => real,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(ImageError::Missing),
            Err(e) => return Err(ImageError::Unreadable(e.to_string())),
        };
        let dir = self
            .real_dir
            .as_ref()
            .map_err(|e| ImageError::Unreadable(e.clone()))?;
        if !real.starts_with(dir) || !real.is_file() {
            return Err(ImageError::Unreadable(format!(
                "images must be files in the content folder ({})",
                self.content_dir.display()
            )));
        }
        Ok(real)
    }
}

impl ImageReader for Images {
    fn read(&self, path: &str) -> Result<SourceImage, ImageError> {
        let bytes =
            std::fs::read(self.file(path)?).map_err(|e| ImageError::Unreadable(e.to_string()))?;
        inspect(path, &bytes).map_err(ImageError::Invalid)
    }
}

/// Why a content folder gave no output.
#[derive(Debug)]
pub enum LoadError {
    /// A file could not be read (the error names it).
    Read(io::Error),
    /// The files were read and have authoring errors.
    Content(Vec<Diagnostic>),
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadError::Read(e) => write!(f, "{e}"),
            LoadError::Content(diagnostics) => {
                for d in diagnostics {
                    writeln!(f, "{d}")?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for LoadError {}

fn read(root: &Path, path: &Path) -> io::Result<Source> {
    let text = std::fs::read_to_string(path).map_err(|e| named(e, path))?;
    Ok(Source {
        path: path
            .strip_prefix(root)
            .unwrap_or(path)
            .display()
            .to_string(),
        text,
    })
}

/// `e`, saying which file it is about.
fn named(e: io::Error, path: &Path) -> io::Error {
    let hint = if e.kind() == io::ErrorKind::InvalidData {
        " (is it UTF-8?)"
    } else {
        ""
    };
    io::Error::new(e.kind(), format!("reading {}{hint}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_are_the_site_and_the_markdown_articles_in_name_order() {
        let root = std::env::temp_dir().join(format!("keel-content-fs-{}", std::process::id()));
        let articles = root.join("content/articles");
        std::fs::create_dir_all(&articles).unwrap();
        std::fs::write(root.join("content/site.toml"), "name = 'S'").unwrap();
        for (name, text) in [
            ("b.md", "B"),
            ("a.md", "A"),
            ("notes.txt", "not an article"),
        ] {
            std::fs::write(articles.join(name), text).unwrap();
        }
        let (site, sources) = read_sources(&root, &root.join("content")).unwrap();
        assert_eq!(
            (site.path.as_str(), site.text.as_str()),
            ("content/site.toml", "name = 'S'")
        );
        let got: Vec<_> = sources
            .iter()
            .map(|s| (s.path.as_str(), s.text.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("content/articles/a.md", "A"),
                ("content/articles/b.md", "B")
            ]
        );

        std::fs::write(articles.join("c.md"), b"\xff").unwrap();
        let err = read_sources(&root, &root.join("content"))
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("c.md (is it UTF-8?)"), "{err}");
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    #[cfg(unix)]
    fn an_image_is_read_only_from_inside_the_content_folder() {
        let root = std::env::temp_dir().join(format!("keel-content-img-{}", std::process::id()));
        let images = root.join("content/articles/images");
        std::fs::create_dir_all(&images).unwrap();
        std::fs::write(images.join("in.png"), b"png").unwrap();
        std::fs::write(root.join("outside.png"), b"png").unwrap();
        std::os::unix::fs::symlink(root.join("outside.png"), images.join("out.png")).unwrap();
        let reader = Images::new(&root, &root.join("content"));
        assert!(reader.file("content/articles/images/in.png").is_ok());
        assert!(matches!(
            reader.file("content/articles/images/none.png"),
            Err(ImageError::Missing)
        ));
        for outside in ["outside.png", "content/articles/images/out.png"] {
            match reader.file(outside) {
                Err(ImageError::Unreadable(why)) => {
                    assert!(why.contains("in the content folder"), "{outside}: {why}")
                }
                other => panic!("{outside}: {other:?}"),
            }
        }
        std::fs::remove_dir_all(&root).unwrap();
    }
}
