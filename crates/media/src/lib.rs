//! The build's images, made on the host (xtask calls it; nothing here runs
//! in the browser or the server):
//! - an article's picture in each width and format `keel_content::images::plan`
//!   names (`encode`), with `keel_content::images::ENCODING`'s settings;
//! - each page's social card (`card`).
//!
//! Pure functions of bytes: the caller reads the sources and caches the
//! results by their names (which hash the source and the settings).

pub mod card;

use std::fmt;

use image::imageops::FilterType;
use image::{DynamicImage, ImageEncoder, RgbaImage};
use keel_content::images::ENCODING;
use keel_model::doc::ImageFormat;

/// Why an image could not be made.
#[derive(Debug)]
pub struct Error(String);

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

fn error(what: &str, e: impl fmt::Display) -> Error {
    Error(format!("{what}: {e}"))
}

/// A decoded raster source, ready to be written at any width.
pub struct Source(RgbaImage);

impl Source {
    /// Decodes `bytes` (PNG, JPEG or WebP, as its name said).
    pub fn decode(bytes: &[u8], format: ImageFormat) -> Result<Source, Error> {
        let f = match format {
            ImageFormat::Png => image::ImageFormat::Png,
            ImageFormat::Jpeg => image::ImageFormat::Jpeg,
            ImageFormat::Webp => image::ImageFormat::WebP,
            other => return Err(Error(format!("{other:?} is not a raster source"))),
        };
        let img =
            image::load_from_memory_with_format(bytes, f).map_err(|e| error("decoding", e))?;
        Ok(Source(img.into_rgba8()))
    }

    pub fn width(&self) -> u32 {
        self.0.width()
    }

    pub fn height(&self) -> u32 {
        self.0.height()
    }

    /// The image at `width` (its height in proportion, as `plan` computed
    /// it), in `format`.
    pub fn encode(&self, width: u32, height: u32, format: ImageFormat) -> Result<Vec<u8>, Error> {
        let scaled;
        let img = if width == self.0.width() && height == self.0.height() {
            &self.0
        } else {
            // Lanczos: the sharpest of image's filters, for text in diagrams.
            scaled = image::imageops::resize(&self.0, width, height, FilterType::Lanczos3);
            &scaled
        };
        encode(img, format)
    }
}

fn encode(img: &RgbaImage, format: ImageFormat) -> Result<Vec<u8>, Error> {
    let (w, h) = img.dimensions();
    match format {
        ImageFormat::Avif => {
            let pixels: Vec<ravif::RGBA8> = img
                .pixels()
                .map(|p| ravif::RGBA8::new(p[0], p[1], p[2], p[3]))
                .collect();
            let encoded = ravif::Encoder::new()
                .with_quality(ENCODING.avif_quality)
                .with_alpha_quality(ENCODING.avif_quality)
                .with_speed(ENCODING.avif_speed)
                .encode_rgba(ravif::Img::new(&pixels[..], w as usize, h as usize))
                .map_err(|e| error("AVIF", e))?;
            Ok(encoded.avif_file)
        }
        ImageFormat::Webp => {
            let memory = webp::Encoder::from_rgba(img.as_raw(), w, h).encode(ENCODING.webp_quality);
            Ok(memory.to_vec())
        }
        ImageFormat::Png => {
            let mut out = Vec::new();
            // Without alpha when it is all opaque: a quarter smaller.
            let opaque = img.pixels().all(|p| p[3] == 255);
            let encoder = image::codecs::png::PngEncoder::new_with_quality(
                &mut out,
                image::codecs::png::CompressionType::Best,
                image::codecs::png::FilterType::Adaptive,
            );
            if opaque {
                let rgb = DynamicImage::ImageRgba8(img.clone()).into_rgb8();
                encoder.write_image(rgb.as_raw(), w, h, image::ExtendedColorType::Rgb8)
            } else {
                encoder.write_image(img.as_raw(), w, h, image::ExtendedColorType::Rgba8)
            }
            .map_err(|e| error("PNG", e))?;
            Ok(out)
        }
        ImageFormat::Jpeg => {
            let mut out = Vec::new();
            let rgb = DynamicImage::ImageRgba8(img.clone()).into_rgb8();
            image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, ENCODING.jpeg_quality)
                .write_image(rgb.as_raw(), w, h, image::ExtendedColorType::Rgb8)
                .map_err(|e| error("JPEG", e))?;
            Ok(out)
        }
        ImageFormat::Svg => Err(Error("an SVG is served as it is".into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 640×360 test picture: a gradient with a dark bar (edges and flats,
    /// like a diagram on a photo).
    fn picture() -> Vec<u8> {
        let img = RgbaImage::from_fn(640, 360, |x, y| {
            if (100..140).contains(&y) {
                image::Rgba([20, 23, 28, 255])
            } else {
                image::Rgba([(x / 3) as u8, (y / 2) as u8, 160, 255])
            }
        });
        let mut png = Vec::new();
        image::codecs::png::PngEncoder::new(&mut png)
            .write_image(img.as_raw(), 640, 360, image::ExtendedColorType::Rgba8)
            .unwrap();
        png
    }

    #[test]
    fn each_format_decodes_back_at_the_width_asked() {
        let src = Source::decode(&picture(), ImageFormat::Png).unwrap();
        for format in [
            ImageFormat::Avif,
            ImageFormat::Webp,
            ImageFormat::Png,
            ImageFormat::Jpeg,
        ] {
            let bytes = src.encode(480, 270, format).unwrap();
            let kind = match format {
                ImageFormat::Avif => None,
                ImageFormat::Webp => Some(image::ImageFormat::WebP),
                ImageFormat::Png => Some(image::ImageFormat::Png),
                _ => Some(image::ImageFormat::Jpeg),
            };
            match kind {
                Some(kind) => {
                    let back = image::load_from_memory_with_format(&bytes, kind).unwrap();
                    assert_eq!((back.width(), back.height()), (480, 270), "{format:?}");
                    // The bar is still dark where it was (scaled by 3/4).
                    let p = back.to_rgba8().get_pixel(200, 90).0;
                    assert!(p[0] < 60 && p[2] < 70, "{format:?}: {p:?}");
                }
                // No AVIF decoder here: its container says what it holds.
                None => {
                    assert_eq!(&bytes[4..12], b"ftypavif");
                    let size = imagesize::blob_size(&bytes).unwrap();
                    assert_eq!((size.width, size.height), (480, 270));
                }
            }
        }
        assert!(Source::decode(b"not a png", ImageFormat::Png).is_err());
    }
}
