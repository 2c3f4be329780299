//! The build's images: each picture the content shows, in the widths and
//! formats `keel_content::images::plan` named, made by `keel-media` and kept
//! in the build cache under the file's name (which hashes the source and the
//! encoder's settings): a rebuild encodes only new or changed images.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::Context;
use keel_content::images::scaled_height;
use keel_model::doc::{Image, ImageFormat};
use rayon::prelude::*;

use crate::cache::{self, Cache};

/// What a build made and reused of its images.
#[derive(Default, Debug)]
pub struct MediaStats {
    pub files: usize,
    pub encoded: usize,
    /// CPU time per format encoded (resizing included), and files made.
    pub spent: BTreeMap<ImageFormat, (Duration, usize)>,
}

impl MediaStats {
    pub fn summary(&self) -> String {
        let mut s = format!("{} image files, {} encoded", self.files, self.encoded);
        for (format, (spent, n)) in &self.spent {
            s.push_str(&format!(
                "; {} {n} in {:.1} s CPU ({:.0} ms each)",
                format.extension(),
                spent.as_secs_f64(),
                spent.as_secs_f64() * 1000.0 / *n as f64
            ));
        }
        s
    }
}

/// Writes each image's files into `stage` (raster files linked from the
/// cache); returns the SVGs, which are text, for the writer to compress
/// like any other file.
pub fn write(
    root: &Path,
    content_dir: &Path,
    images: &BTreeMap<String, Image>,
    stage: &Path,
    cache: &Cache,
) -> anyhow::Result<(Vec<(String, Vec<u8>)>, MediaStats)> {
    let reader = keel_content::fs::Images::new(root, content_dir);
    let stats = Mutex::new(MediaStats::default());
    std::fs::create_dir_all(stage.join("media"))?;
    let svgs = images
        .par_iter()
        .map(
            |(source, files)| -> anyhow::Result<Option<(String, Vec<u8>)>> {
                let read = || {
                    let file = reader
                        .file(source)
                        .map_err(|e| anyhow::anyhow!("{source}: {e:?}"))?;
                    std::fs::read(&file).with_context(|| format!("reading {}", file.display()))
                };
                if files.format() == Some(ImageFormat::Svg) {
                    stats.lock().expect("no panics").files += 1;
                    let name = files.src.clone();
                    return Ok(Some((name.trim_start_matches('/').to_string(), read()?)));
                }
                // Decoded once, when the first of its files is not in the cache.
                let mut decoded = None;
                let source_format = files.format().expect("plan names a format");
                let formats = files.formats();
                let wanted: Vec<(u32, ImageFormat)> = files
                    .widths()
                    .into_iter()
                    .flat_map(|w| formats.iter().map(move |&f| (w, f)))
                    .collect();
                for (width, format) in wanted {
                    let name = files.file(width, format);
                    let key = cache::key(&[b"media-v1", name.as_bytes()]);
                    let dest = stage.join(name.trim_start_matches('/'));
                    stats.lock().expect("no panics").files += 1;
                    if cache.link(&key, "", &dest)? {
                        continue;
                    }
                    let t = Instant::now();
                    if decoded.is_none() {
                        decoded = Some(keel_media::Source::decode(&read()?, source_format)?);
                    }
                    let src = decoded.as_ref().expect("decoded above");
                    let bytes = src
                        .encode(
                            width,
                            scaled_height((src.width(), src.height()), width),
                            format,
                        )
                        .with_context(|| {
                            format!("encoding {source} at {width} px as {format:?}")
                        })?;
                    cache.put(&key, "", &bytes)?;
                    cache.link(&key, "", &dest)?;
                    let mut s = stats.lock().expect("no panics");
                    s.encoded += 1;
                    let entry = s.spent.entry(format).or_default();
                    entry.0 += t.elapsed();
                    entry.1 += 1;
                }
                Ok(None)
            },
        )
        .collect::<anyhow::Result<Vec<_>>>()?
        .into_iter()
        .flatten()
        .collect();
    Ok((svgs, stats.into_inner().expect("no panics")))
}

/// Draws each page's social card (`keel_prerender::cards`) into `stage`,
/// kept in the cache by what it says and the drawing's revision; returns how
/// many were drawn (not reused).
pub fn write_cards(
    api: &BTreeMap<String, Vec<u8>>,
    stage: &Path,
    cache: &Cache,
) -> anyhow::Result<(usize, usize, Duration)> {
    let cards = keel_prerender::cards(api)?;
    let drawn = Mutex::new((0, Duration::ZERO));
    cards
        .par_iter()
        .try_for_each(|(path, card)| -> anyhow::Result<()> {
            let key = cache::key(&[
                b"card",
                keel_media::card::REVISION.as_bytes(),
                card.title.as_bytes(),
                card.byline.as_bytes(),
                card.detail.as_bytes(),
                card.site.as_bytes(),
                card.host.as_bytes(),
            ]);
            let dest = stage.join(path.trim_start_matches('/'));
            std::fs::create_dir_all(dest.parent().expect("under the stage"))?;
            if cache.link(&key, ".png", &dest)? {
                return Ok(());
            }
            let t = Instant::now();
            let png = keel_media::card::png(card).with_context(|| format!("drawing {path}"))?;
            cache.put(&key, ".png", &png)?;
            cache.link(&key, ".png", &dest)?;
            let mut d = drawn.lock().expect("no panics");
            d.0 += 1;
            d.1 += t.elapsed();
            Ok(())
        })?;
    let (n, spent) = drawn.into_inner().expect("no panics");
    Ok((cards.len(), n, spent))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A PNG of `width` × `height`, its pixels from `seed`.
    fn png(width: u32, height: u32, seed: u8) -> Vec<u8> {
        use image::ImageEncoder;
        let img = image::RgbImage::from_fn(width, height, |x, y| {
            image::Rgb([(x as u8).wrapping_add(seed), y as u8, 120])
        });
        let mut out = Vec::new();
        image::codecs::png::PngEncoder::new(&mut out)
            .write_image(img.as_raw(), width, height, image::ExtendedColorType::Rgb8)
            .unwrap();
        out
    }

    #[test]
    fn an_image_is_encoded_once_and_again_only_when_its_bytes_change() {
        let root = tempfile::tempdir().unwrap();
        let content = root.path().join("content");
        std::fs::create_dir_all(content.join("articles/images")).unwrap();
        let source = "content/articles/images/a.png";
        let plan = |bytes: &[u8]| {
            std::fs::write(root.path().join(source), bytes).unwrap();
            let img = keel_content::images::inspect(source, bytes).unwrap();
            BTreeMap::from([(
                source.to_string(),
                keel_content::images::plan(&img, String::new()),
            )])
        };
        let cache = Cache::open(&root.path().join("cache")).unwrap();
        let build = |images: &BTreeMap<String, Image>| {
            let stage = tempfile::tempdir().unwrap();
            let (svgs, stats) = write(root.path(), &content, images, stage.path(), &cache).unwrap();
            assert!(svgs.is_empty());
            let mut files: Vec<String> = std::fs::read_dir(stage.path().join("media"))
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            files.sort();
            (stats, files)
        };

        let first = plan(&png(600, 300, 0));
        let (stats, files) = build(&first);
        let image = &first[source];
        // 480 and its own 600 px, each in AVIF, WebP and PNG.
        assert_eq!((stats.files, stats.encoded), (6, 6), "{stats:?}");
        let stem = image
            .src
            .trim_start_matches("/media/")
            .trim_end_matches("-600.png");
        let expected: Vec<String> = [
            "480.avif", "480.png", "480.webp", "600.avif", "600.png", "600.webp",
        ]
        .iter()
        .map(|f| format!("{stem}-{f}"))
        .collect();
        assert_eq!(files, expected);

        // A rebuild (the text of an article changed, say): nothing encoded.
        let (stats, again) = build(&first);
        assert_eq!((stats.files, stats.encoded), (6, 0), "{stats:?}");
        assert_eq!(again, files);

        // The image itself changed: a new name, encoded anew.
        let second = plan(&png(600, 300, 7));
        assert_ne!(second[source].src, image.src);
        let (stats, _) = build(&second);
        assert_eq!(stats.encoded, 6, "{stats:?}");
    }
}
