//! An article's images: where a Markdown image's file is, the checks it must
//! pass (a format we read, a sane size, an SVG with nothing active in it),
//! and what the build writes of it (the widths and formats a page offers).
//!
//! Pure, like the rest of the compiler: the caller reads the files behind
//! [`ImageReader`] (`fs::Images` on disk), and encodes what [`plan`] names
//! (`keel-media`).

use keel_model::doc::{IMAGE_WIDTHS, Image, ImageFormat, MEDIA_HASH_LEN};
use sha2::{Digest, Sha256};

use crate::error::{Diagnostic, line_of};

/// How the build encodes: quality and effort of each format. The files'
/// names hash these with the original's bytes, so a change of settings is
/// a change of URL (the files are served as immutable).
#[derive(Debug)]
pub struct Encoding {
    /// ravif's quality (1–100) and speed (1 slowest – 10 fastest). At 8 the
    /// covers come out a quarter to a third smaller than WebP; at 9 and 10
    /// (two and three times faster) larger than WebP, which would make AVIF
    /// pointless.
    pub avif_quality: f32,
    pub avif_speed: u8,
    /// libwebp's lossy quality (0–100).
    pub webp_quality: f32,
    /// The JPEG fallback's quality, and PNG's compression is image's best.
    pub jpeg_quality: u8,
}

pub const ENCODING: Encoding = Encoding {
    avif_quality: 62.0,
    avif_speed: 8,
    webp_quality: 80.0,
    jpeg_quality: 82,
};

/// The largest image accepted, in pixels on a side, and in bytes: far beyond
/// a figure's needs, and a bound on what the build decodes.
pub const MAX_SIDE: u32 = 8_000;
pub const MAX_BYTES: usize = 25 * 1024 * 1024;

/// An image file as the compiler knows it.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SourceImage {
    /// The content hash (with [`ENCODING`]) that names what is written of it.
    pub hash: String,
    pub format: ImageFormat,
    pub width: u32,
    pub height: u32,
}

/// Why an image could not be read.
#[derive(Debug)]
pub enum ImageError {
    /// No file at that path.
    Missing,
    /// The file is outside the content folder, or the read failed (the text says why).
    Unreadable(String),
    /// The file is there and is not an image we accept: the diagnostic names
    /// the image file (and its line, for an SVG).
    Invalid(Diagnostic),
}

/// Reads an image's file for the compiler (the IO is the caller's).
pub trait ImageReader: Sync {
    /// The image at `path` (relative to the root, like a `Source`'s path).
    fn read(&self, path: &str) -> Result<SourceImage, ImageError>;
}

/// A reader for content without images: every image is missing.
pub struct NoImages;

impl ImageReader for NoImages {
    fn read(&self, _: &str) -> Result<SourceImage, ImageError> {
        Err(ImageError::Missing)
    }
}

/// The image in `bytes` (the file `path`), checked.
pub fn inspect(path: &str, bytes: &[u8]) -> Result<SourceImage, Diagnostic> {
    let bad = |line: usize, message: String| Diagnostic::new(path, line, message);
    if bytes.len() > MAX_BYTES {
        return Err(bad(
            0,
            format!(
                "this image is {} MB, over the {} MB a figure may be: export it smaller",
                bytes.len() / (1024 * 1024),
                MAX_BYTES / (1024 * 1024)
            ),
        ));
    }
    let extension = path.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    let (format, width, height) = match extension.as_deref() {
        Some("svg") => {
            let text = std::str::from_utf8(bytes)
                .map_err(|_| bad(0, "this SVG is not UTF-8 text".into()))?;
            let (w, h) = check_svg(text).map_err(|(offset, m)| bad(line_of(text, offset), m))?;
            (ImageFormat::Svg, w, h)
        }
        Some(ext @ ("png" | "jpg" | "jpeg" | "webp")) => {
            let expected = match ext {
                "png" => (imagesize::ImageType::Png, ImageFormat::Png),
                "webp" => (imagesize::ImageType::Webp, ImageFormat::Webp),
                _ => (imagesize::ImageType::Jpeg, ImageFormat::Jpeg),
            };
            let kind = imagesize::image_type(bytes).ok();
            if kind != Some(expected.0) {
                return Err(bad(
                    0,
                    format!(
                        "this file is not a {} image (its name says it is)",
                        ext.to_uppercase()
                    ),
                ));
            }
            let size = imagesize::blob_size(bytes)
                .map_err(|e| bad(0, format!("could not read this image's size: {e}")))?;
            (expected.1, size.width as u32, size.height as u32)
        }
        _ => {
            return Err(bad(
                0,
                "images are PNG, JPEG, WebP or SVG files (.png, .jpg, .jpeg, .webp, .svg)".into(),
            ));
        }
    };
    if width == 0 || height == 0 || width > MAX_SIDE || height > MAX_SIDE {
        return Err(bad(
            0,
            format!("this image is {width}×{height} px: each side must be 1 to {MAX_SIDE} px"),
        ));
    }
    let mut hasher = Sha256::new();
    hasher.update(format!("{ENCODING:?}{IMAGE_WIDTHS:?}"));
    hasher.update(bytes);
    let hash: String = hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<String>()[..MEDIA_HASH_LEN]
        .to_string();
    Ok(SourceImage {
        hash,
        format,
        width,
        height,
    })
}

/// What the build writes of an image (`Image::widths`, `Image::formats`):
/// an SVG as it is (it scales); a raster at most as wide as the last of
/// [`IMAGE_WIDTHS`], and at those below, in AVIF, WebP and its own format.
/// Its `alt` is `alt`.
pub fn plan(img: &SourceImage, alt: String) -> Image {
    let width = match img.format {
        ImageFormat::Svg => img.width,
        _ => img.width.min(IMAGE_WIDTHS[IMAGE_WIDTHS.len() - 1]),
    };
    Image {
        src: Image::src_of(&img.hash, width, img.format),
        width,
        height: scaled_height((img.width, img.height), width),
        alt,
    }
}

/// The height of an image of `(w, h)` pixels scaled to `width`, rounded, at
/// least 1.
pub fn scaled_height((w, h): (u32, u32), width: u32) -> u32 {
    ((u64::from(h) * u64::from(width) + u64::from(w) / 2) / u64::from(w)).max(1) as u32
}

/// The elements an SVG figure may use: shapes, text, and what styles them.
/// Nothing that runs (`script`, `animate`, `set`), loads (`image`,
/// `foreignObject`) or navigates (`a`).
const SVG_ELEMENTS: &[&str] = &[
    "svg",
    "g",
    "defs",
    "title",
    "desc",
    "metadata",
    "path",
    "rect",
    "circle",
    "ellipse",
    "line",
    "polyline",
    "polygon",
    "text",
    "tspan",
    "marker",
    "linearGradient",
    "radialGradient",
    "stop",
    "clipPath",
    "mask",
    "pattern",
    "symbol",
    "use",
    "style",
];

const SVG_NS: &str = "http://www.w3.org/2000/svg";

/// An SVG's size, or why it is refused (the byte offset it is about):
/// anything that could run or load something when the file is opened on
/// its own (same origin as our pages) is refused, not cleaned, so what the
/// writer sees in their editor is what is served.
fn check_svg(text: &str) -> Result<(u32, u32), (usize, String)> {
    // roxmltree refuses DTDs (so entities) by default.
    let doc = roxmltree::Document::parse(text).map_err(|e| {
        let pos = e.pos();
        let offset = text
            .split_inclusive('\n')
            .take(pos.row.saturating_sub(1) as usize)
            .map(str::len)
            .sum();
        (offset, format!("this SVG cannot be read: {e}"))
    })?;
    for node in doc.descendants().filter(|n| n.is_element()) {
        let at = node.range().start;
        let name = node.tag_name();
        if name.namespace() != Some(SVG_NS) || !SVG_ELEMENTS.contains(&name.name()) {
            return Err((
                at,
                format!(
                    "`<{}>` is not allowed in an SVG figure (only shapes, text and their styles are)",
                    name.name()
                ),
            ));
        }
        for attr in node.attributes() {
            let (key, value) = (attr.name(), attr.value());
            if key.len() > 2 && key[..2].eq_ignore_ascii_case("on") {
                return Err((
                    at,
                    format!("the event attribute `{key}` is not allowed in an SVG"),
                ));
            }
            if key == "href" && !value.starts_with('#') {
                return Err((
                    at,
                    format!(
                        "`href=\"{value}\"` refers outside this SVG: only `#id` references are allowed"
                    ),
                ));
            }
            if let Some(reason) = external_reference(value) {
                return Err((at, format!("the attribute `{key}` {reason}")));
            }
        }
        if name.name() == "style" {
            let css: String = node.descendants().filter_map(|n| n.text()).collect();
            if let Some(reason) = external_reference(&css) {
                return Err((at, format!("the stylesheet {reason}")));
            }
        }
    }
    let root = doc.root_element();
    if root.tag_name().name() != "svg" {
        return Err((
            root.range().start,
            "the root element must be `<svg>`".into(),
        ));
    }
    let length = |key: &str| {
        root.attribute(key)
            .and_then(|v| v.trim().trim_end_matches("px").parse::<f64>().ok())
    };
    let view_box = root.attribute("viewBox").and_then(|v| {
        let n: Vec<f64> = v
            .split([' ', ','])
            .filter(|s| !s.is_empty())
            .filter_map(|s| s.parse().ok())
            .collect();
        (n.len() == 4).then(|| (n[2], n[3]))
    });
    let (w, h) = match (length("width"), length("height"), view_box) {
        (Some(w), Some(h), _) => (w, h),
        (_, _, Some(size)) => size,
        _ => {
            return Err((
                root.range().start,
                "give the `<svg>` a `viewBox` (or `width` and `height` in px), so the page can reserve its size".into(),
            ));
        }
    };
    Ok((w.round() as u32, h.round() as u32))
}

/// Why a value loads something from outside the file, if it does: a
/// `url(…)` not to `#id`, `@import`, or a `javascript:` URL.
fn external_reference(value: &str) -> Option<&'static str> {
    let lower = value.to_ascii_lowercase();
    let squeezed: String = lower.chars().filter(|c| !c.is_whitespace()).collect();
    if squeezed.contains("@import") {
        return Some("imports a stylesheet: an SVG figure is one self-contained file");
    }
    if squeezed.contains("javascript:") {
        return Some("holds a `javascript:` URL");
    }
    let mut rest = squeezed.as_str();
    while let Some(i) = rest.find("url(") {
        rest = &rest[i + 4..];
        let target = rest.trim_start_matches(['"', '\'']);
        if !target.starts_with('#') {
            return Some("refers outside this SVG (`url(…)`): only `url(#id)` is allowed");
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn svg(inner: &str) -> String {
        format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 720 360\">\n<title>t</title>\n{inner}\n</svg>"
        )
    }

    #[test]
    fn a_plain_svg_gives_its_size() {
        let ok = svg("<defs><marker id=\"a\"><path d=\"M0 0\"/></marker></defs>\
             <style>text { font: 14px system-ui }</style>\
             <line x1=\"0\" y1=\"0\" x2=\"9\" y2=\"9\" marker-end=\"url(#a)\"/>\
             <use href=\"#a\"/><text x=\"1\" y=\"2\">GET /orders/42</text>");
        let img = inspect("content/articles/images/a.svg", ok.as_bytes()).unwrap();
        assert_eq!(
            (img.format, img.width, img.height),
            (ImageFormat::Svg, 720, 360)
        );
        let files = plan(&img, String::new());
        assert_eq!(
            (files.widths(), files.formats()),
            (vec![720], vec![ImageFormat::Svg])
        );
    }

    #[test]
    fn an_svg_that_could_run_or_load_anything_is_refused_at_its_line() {
        for (inner, expected) in [
            ("<script>alert(1)</script>", "`<script>` is not allowed"),
            ("<rect onload=\"alert(1)\"/>", "event attribute `onload`"),
            (
                "<image href=\"https://evil.test/x.png\"/>",
                "`<image>` is not allowed",
            ),
            (
                "<use href=\"https://evil.test/x.svg#a\"/>",
                "refers outside this SVG",
            ),
            (
                "<rect fill=\"url(https://evil.test/p)\"/>",
                "refers outside this SVG",
            ),
            (
                "<rect style=\"fill: URL( 'x.svg#p' )\"/>",
                "refers outside this SVG",
            ),
            (
                "<style>@import 'https://evil.test/a.css';</style>",
                "imports a stylesheet",
            ),
            (
                "<foreignObject><p xmlns=\"http://www.w3.org/1999/xhtml\">x</p></foreignObject>",
                "`<foreignObject>`",
            ),
            (
                "<a href=\"javascript:alert(1)\"><text>x</text></a>",
                "`<a>` is not allowed",
            ),
            (
                "<set attributeName=\"href\" to=\"javascript:alert(1)\"/>",
                "`<set>` is not allowed",
            ),
            (
                "<x:script xmlns:x=\"http://www.w3.org/2000/svg\">1</x:script>",
                "`<script>`",
            ),
            (
                "<h:script xmlns:h=\"http://www.w3.org/1999/xhtml\">1</h:script>",
                "`<script>`",
            ),
        ] {
            let text = svg(inner);
            let d = inspect("content/articles/images/x.svg", text.as_bytes()).unwrap_err();
            assert_eq!(
                (d.file.as_str(), d.line),
                ("content/articles/images/x.svg", 3),
                "{inner}: {d}"
            );
            assert!(d.message.contains(expected), "{inner}: {d}");
        }
        let entity = "<?xml version=\"1.0\"?>\n<!DOCTYPE svg [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>\n<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 1 1\"><text>&x;</text></svg>";
        let d = inspect("e.svg", entity.as_bytes()).unwrap_err();
        assert!(d.message.contains("cannot be read"), "{d}");
        let sizeless = "<svg xmlns=\"http://www.w3.org/2000/svg\"><rect/></svg>";
        assert!(
            inspect("s.svg", sizeless.as_bytes())
                .unwrap_err()
                .message
                .contains("viewBox")
        );
    }

    #[test]
    fn a_raster_is_read_by_its_header_and_must_be_what_its_name_says() {
        // A 1600×900 PNG's signature and header; the compiler reads no more.
        let png = crate::tests::png_header(1600, 900);
        let img = inspect("a/b.png", &png).unwrap();
        assert_eq!(
            (img.format, img.width, img.height),
            (ImageFormat::Png, 1600, 900)
        );
        let files = plan(&img, String::new());
        assert_eq!(files.widths(), [480, 960, 1440]);
        assert_eq!(
            files.formats(),
            [ImageFormat::Avif, ImageFormat::Webp, ImageFormat::Png]
        );
        assert_eq!((files.width, files.height), (1440, 810));
        assert_eq!(
            files.file(960, ImageFormat::Avif),
            format!("/media/{}-960.avif", img.hash)
        );
        assert!(files.is_valid());
        assert_eq!(
            files.srcset("https://keel.test", ImageFormat::Webp),
            format!(
                "https://keel.test/media/{h}-480.webp 480w, https://keel.test/media/{h}-960.webp 960w, https://keel.test/media/{h}-1440.webp 1440w",
                h = img.hash
            )
        );

        // Small: its own width only; another file: another name.
        let mut small = png.clone();
        small[16..20].copy_from_slice(&600u32.to_be_bytes());
        let small = inspect("a/s.png", &small).unwrap();
        assert_eq!(plan(&small, String::new()).widths(), [480, 600]);
        assert_ne!(small.hash, img.hash);

        let err = inspect("a/b.jpg", &png).unwrap_err();
        assert!(err.message.contains("not a JPG image"), "{err}");
        let err = inspect("a/b.gif", &png).unwrap_err();
        assert!(err.message.contains("PNG, JPEG, WebP or SVG"), "{err}");
        let mut huge = png.clone();
        huge[16..20].copy_from_slice(&9_000u32.to_be_bytes());
        assert!(
            inspect("a/h.png", &huge)
                .unwrap_err()
                .message
                .contains("1 to 8000 px")
        );
    }
}
