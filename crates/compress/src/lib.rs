//! What Keel compresses, and how. The build writes `.br`/`.gz` siblings with
//! these rules and the server compresses, with the same rules, whatever it finds
//! without them, so a CDN and the server send the same bytes.
//!
//! Architecture invariant: no IO; bytes in, bytes out.

use std::io::Write;

/// Below this size compression costs more than it saves (headers, a round of
/// decoding) and often makes the file bigger.
pub const MIN_SIZE: usize = 256;

/// How hard to try. Brotli's quality 11 costs 3 to 40 ms a file where quality 6
/// costs a tenth of a millisecond to 4 ms, for 8 to 14% fewer bytes: worth it
/// for the static assets every visitor downloads once and caches for a year
/// (the wasm, the script), not for the thousands of pages and documents a
/// site of a thousand articles has, each read by few (at 1,000 articles
/// quality 11 on them was 23 of the build's 27 s of compression).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Effort {
    /// Brotli 11, gzip 9.
    Best,
    /// Brotli 6, gzip 6: within a few percent of `Best` on HTML and JSON, many times faster.
    Fast,
}

/// The file types worth compressing, by URL path: text and wasm. Images and
/// fonts are compressed already.
pub fn is_compressible(path: &str) -> bool {
    matches!(
        extension(path),
        Some(
            "html"
                | "js"
                | "mjs"
                | "css"
                | "json"
                | "wasm"
                | "xml"
                | "svg"
                | "txt"
                | "map"
                | "webmanifest"
        )
    )
}

/// Whether `path` with `len` bytes gets `.br`/`.gz` forms, and with which effort.
pub fn plan(path: &str, len: usize) -> Option<Effort> {
    if !is_compressible(path) || len < MIN_SIZE {
        return None;
    }
    let document = matches!(extension(path), Some("html" | "json" | "xml" | "txt"));
    Some(if document { Effort::Fast } else { Effort::Best })
}

fn extension(path: &str) -> Option<&str> {
    let name = path.rsplit('/').next().unwrap_or(path);
    name.rsplit_once('.').map(|(_, e)| e)
}

pub fn brotli(bytes: &[u8], effort: Effort) -> Vec<u8> {
    let params = brotli::enc::BrotliEncoderParams {
        quality: match effort {
            Effort::Best => 11,
            Effort::Fast => 6,
        },
        // The size hint lets brotli pick hash tables to match the input.
        // Without it (or with a window cut to the input's size) it sets up
        // tables for megabytes on every call: 3 ms for a 3 KB file at
        // quality 6, twenty times the compression itself.
        lgwin: 22,
        size_hint: bytes.len(),
        ..Default::default()
    };
    let mut out = Vec::with_capacity(bytes.len() / 4);
    brotli::BrotliCompress(&mut &bytes[..], &mut out, &params)
        .expect("reading a slice and writing a Vec cannot fail");
    out
}

pub fn gzip(bytes: &[u8], effort: Effort) -> Vec<u8> {
    let level = match effort {
        Effort::Best => flate2::Compression::best(),
        Effort::Fast => flate2::Compression::default(),
    };
    let mut w = flate2::write::GzEncoder::new(Vec::with_capacity(bytes.len() / 3), level);
    w.write_all(bytes).expect("writing to a Vec cannot fail");
    w.finish().expect("writing to a Vec cannot fail")
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    #[test]
    fn what_is_compressed() {
        let big = 100 * 1024;
        assert_eq!(
            plan("/keel-0123456789abcdef_bg.wasm", big),
            Some(Effort::Best),
            "assets always at best"
        );
        assert_eq!(plan("/keel-0123456789abcdef.js", 300), Some(Effort::Best));
        assert_eq!(plan("/assets/favicon.svg", 300), Some(Effort::Best));
        assert_eq!(
            plan("/articles/a/index.html", big),
            Some(Effort::Fast),
            "documents fast"
        );
        assert_eq!(plan("/api/v1/articles/a.json", 2000), Some(Effort::Fast));
        assert_eq!(plan("/feed.xml", big), Some(Effort::Fast));
        assert_eq!(plan("/robots.txt", 100), None, "too small to gain");
        assert_eq!(plan("/assets/photo.png", big), None, "already compressed");
        assert_eq!(plan("/a.html.br", big), None, "never twice");
        assert_eq!(
            plan("/dir.json/file", big),
            None,
            "the name's extension, not a folder's"
        );
    }

    #[test]
    fn round_trips_and_shrinks() {
        let text = "<p>Backend teams carry the pager.</p>\n".repeat(2000);
        for effort in [Effort::Best, Effort::Fast] {
            let br = brotli(text.as_bytes(), effort);
            let mut back = String::new();
            brotli::Decompressor::new(&br[..], 4096)
                .read_to_string(&mut back)
                .unwrap();
            assert_eq!(back, text);
            assert!(
                br.len() * 20 < text.len(),
                "{effort:?}: {} of {}",
                br.len(),
                text.len()
            );
            let gz = gzip(text.as_bytes(), effort);
            let mut back = String::new();
            flate2::read::GzDecoder::new(&gz[..])
                .read_to_string(&mut back)
                .unwrap();
            assert_eq!(back, text);
        }
    }
}
