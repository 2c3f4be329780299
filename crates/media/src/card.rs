//! A page's social card: the 1200×630 PNG that LinkedIn, Slack, Mastodon and
//! the rest show when the page is shared (`og:image`). Drawn as an SVG in the
//! site's design (ink on white, the accent as one bar, our font) and
//! rasterised by resvg: no browser.
//!
//! The title wraps to the card's measure at the largest size that fits its
//! lines; a word wider than the measure is broken, and a title too long for
//! the smallest size ends in an ellipsis. Nothing is ever drawn past the
//! margins.

use std::sync::{Arc, OnceLock};

use skrifa::MetadataProvider;
use skrifa::instance::{LocationRef, Size};

use crate::{Error, error};

pub const WIDTH: u32 = 1200;
pub const HEIGHT: u32 = 630;
/// The card's margins; the text's measure is what is between them.
const MARGIN: f32 = 80.0;
const MEASURE: f32 = WIDTH as f32 - 2.0 * MARGIN;

/// The title's sizes, largest first, each with the lines it may take (the
/// title's box is about 300 px high).
const TITLE_SIZES: [(f32, usize); 3] = [(68.0, 3), (58.0, 4), (48.0, 5)];
const LINE_HEIGHT: f32 = 1.12;

/// Inter (SIL Open Font License 1.1, `fonts/OFL.txt`): the title's display
/// cut, and the text's.
static DISPLAY_BOLD: &[u8] = include_bytes!("../fonts/InterDisplay-Bold.otf");
static REGULAR: &[u8] = include_bytes!("../fonts/Inter-Regular.otf");

/// What a card says. Its PNG depends on nothing else (and this module's
/// code and fonts): the build caches it by these and [`REVISION`].
#[derive(Clone, Debug, PartialEq)]
pub struct Card {
    /// The article's title, or the page's heading.
    pub title: String,
    /// Under the title: the author and role, or the page's lead.
    pub byline: String,
    /// Smaller, under that: the reading time (empty for a page).
    pub detail: String,
    /// The site's name, above the title.
    pub site: String,
    /// Where the site is (`keel.example`), in the corner.
    pub host: String,
}

/// Bump when the drawing changes, so cached cards are drawn again.
pub const REVISION: &str = "card-v1";

/// The title as laid out: its size and lines.
#[derive(Debug, PartialEq)]
pub struct Layout {
    pub size: f32,
    pub lines: Vec<String>,
}

struct Font {
    data: &'static [u8],
}

impl Font {
    /// The advance of `text` at `size` px (kerning aside: a little wide,
    /// which only errs to the safe side).
    fn width(&self, text: &str, size: f32) -> f32 {
        let font = skrifa::FontRef::new(self.data).expect("the bundled font parses");
        let charmap = font.charmap();
        let metrics = font.glyph_metrics(Size::new(size), LocationRef::default());
        text.chars()
            .map(|c| {
                charmap
                    .map(c)
                    .and_then(|g| metrics.advance_width(g))
                    .unwrap_or(size * 0.6)
            })
            .sum()
    }
}

const TITLE_FONT: Font = Font { data: DISPLAY_BOLD };
const TEXT_FONT: Font = Font { data: REGULAR };

/// The title's lines at the largest size they fit.
pub fn layout(title: &str) -> Layout {
    let words: Vec<&str> = title.split_whitespace().collect();
    for (size, max_lines) in TITLE_SIZES {
        let lines = wrap(&words, size);
        if lines.len() <= max_lines {
            return Layout { size, lines };
        }
    }
    let (size, max_lines) = TITLE_SIZES[TITLE_SIZES.len() - 1];
    let mut lines = wrap(&words, size);
    lines.truncate(max_lines);
    let last = lines.pop().unwrap_or_default();
    lines.push(cut_with_ellipsis(&TITLE_FONT, &last, size));
    Layout { size, lines }
}

/// Greedy wrapping to the measure; a word wider than the measure is cut
/// where it must be.
fn wrap(words: &[&str], size: f32) -> Vec<String> {
    let fits = |s: &str| TITLE_FONT.width(s, size) <= MEASURE;
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in words {
        let candidate = if line.is_empty() {
            word.to_string()
        } else {
            format!("{line} {word}")
        };
        if fits(&candidate) {
            line = candidate;
            continue;
        }
        if !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        // The word alone, cut into pieces that fit.
        for c in word.chars() {
            line.push(c);
            if !fits(&line) {
                line.pop();
                lines.push(std::mem::take(&mut line));
                line.push(c);
            }
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// `text` cut to the measure with an ellipsis, if it is wider.
fn ellipsized(font: &Font, text: &str, size: f32) -> String {
    if font.width(text, size) <= MEASURE {
        text.to_string()
    } else {
        cut_with_ellipsis(font, text, size)
    }
}

/// `text` ending in an ellipsis (it goes on), as much of it as fits.
fn cut_with_ellipsis(font: &Font, text: &str, size: f32) -> String {
    let mut cut = text.trim_end().to_string();
    while !cut.is_empty() && font.width(&format!("{cut}…"), size) > MEASURE {
        cut.pop();
    }
    format!("{}…", cut.trim_end())
}

/// `s` as SVG text: escaped as the feeds are (`keel_content::escape_xml`),
/// and without tabs or line breaks either (a card's lines are laid out here).
fn esc(s: &str) -> String {
    keel_content::escape_xml(&s.replace(char::is_control, ""))
}

/// The card as SVG (what is rasterised).
pub fn svg(card: &Card) -> String {
    let Layout { size, lines } = layout(&card.title);
    let step = size * LINE_HEIGHT;
    // The title's block is centred in the space between the site's name and
    // the byline.
    let (top, bottom) = (150.0, 470.0);
    let block = step * (lines.len() as f32 - 1.0) + size;
    let first = top + ((bottom - top) - block) / 2.0 + size * 0.8;
    let mut title = String::new();
    for (i, line) in lines.iter().enumerate() {
        title.push_str(&format!(
            "<text x=\"{MARGIN}\" y=\"{:.1}\" font-family=\"Inter Display\" font-weight=\"700\" font-size=\"{size}\" letter-spacing=\"{:.2}\" fill=\"#14171c\">{}</text>",
            first + step * i as f32,
            -0.02 * size,
            esc(line)
        ));
    }
    let byline = ellipsized(&TEXT_FONT, &card.byline, 30.0);
    let host_width = TEXT_FONT.width(&card.host, 26.0);
    let detail = {
        let room = MEASURE - host_width - 40.0;
        let mut d = card.detail.clone();
        while !d.is_empty() && TEXT_FONT.width(&d, 26.0) > room {
            d.pop();
        }
        d
    };
    format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}">
<rect width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>
<rect width="{WIDTH}" height="12" fill="#0b57a4"/>
<text x="{MARGIN}" y="108" font-family="Inter Display" font-weight="700" font-size="40" letter-spacing="-0.8" fill="#14171c">{site}</text>
{title}
<rect x="{MARGIN}" y="496" width="64" height="4" fill="#0b57a4"/>
<text x="{MARGIN}" y="548" font-family="Inter" font-size="30" fill="#14171c">{byline}</text>
<text x="{MARGIN}" y="590" font-family="Inter" font-size="26" fill="#4b5563">{detail}</text>
<text x="{right}" y="590" text-anchor="end" font-family="Inter" font-size="26" fill="#4b5563">{host}</text>
</svg>"##,
        site = esc(&card.site),
        byline = esc(&byline),
        detail = esc(&detail),
        host = esc(&card.host),
        right = WIDTH as f32 - MARGIN,
    )
}

fn options() -> &'static usvg::Options<'static> {
    static OPTIONS: OnceLock<usvg::Options<'static>> = OnceLock::new();
    OPTIONS.get_or_init(|| {
        let mut db = usvg::fontdb::Database::new();
        db.load_font_data(DISPLAY_BOLD.to_vec());
        db.load_font_data(REGULAR.to_vec());
        usvg::Options {
            fontdb: Arc::new(db),
            font_family: "Inter".into(),
            ..Default::default()
        }
    })
}

/// The card as a PNG.
pub fn png(card: &Card) -> Result<Vec<u8>, Error> {
    let tree = usvg::Tree::from_str(&svg(card), options()).map_err(|e| error("card SVG", e))?;
    let mut pixmap = tiny_skia::Pixmap::new(WIDTH, HEIGHT).expect("a non-empty size");
    resvg::render(&tree, tiny_skia::Transform::default(), &mut pixmap.as_mut());
    // Opaque, so its premultiplied pixels are plain RGBA.
    let img = image::RgbaImage::from_raw(WIDTH, HEIGHT, pixmap.take()).expect("the pixmap's size");
    crate::encode(&img, keel_model::doc::ImageFormat::Png)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn card(title: &str) -> Card {
        Card {
            title: title.into(),
            byline: "Arif Ikhsanudin, Backend Developer".into(),
            detail: "7 min read".into(),
            site: "Keel".into(),
            host: "keel.example".into(),
        }
    }

    /// The card's pixels; `ink(x, y)`: not the white background.
    fn pixels(png: &[u8]) -> image::RgbaImage {
        image::load_from_memory_with_format(png, image::ImageFormat::Png)
            .unwrap()
            .to_rgba8()
    }

    #[test]
    fn a_short_title_is_large_and_a_long_one_smaller_within_its_lines() {
        let short = layout("REST Is Not Just Using HTTP");
        assert_eq!((short.size, short.lines.len()), (68.0, 1));
        let long = layout(
            "OAuth Is Confusing Until You Understand What Problem It Actually Solves, and Then It Is Not",
        );
        assert!(long.size < 68.0 && long.lines.len() > 2, "{long:?}");
    }

    #[test]
    fn no_title_ever_runs_past_the_margins() {
        let two_hundred = "Why backend developers often carry the most responsibility in a team, and what engineering managers, product owners and the rest of the organisation can do to share that weight fairly before it breaks";
        assert_eq!(two_hundred.chars().count(), 200);
        let unbroken = "Supercalifragilisticexpialidociousnessofdistributedtransactionsacrossmicroservices meets idempotencykeysforeverybodyandeverything";
        let torrent = "W".repeat(400);
        // Drawn where a person can look at them (`screenshots/` in the note).
        let out = std::env::temp_dir().join("keel-cards");
        std::fs::create_dir_all(&out).unwrap();
        for (i, title) in [two_hundred, unbroken, &torrent].into_iter().enumerate() {
            let l = layout(title);
            let (_, max_lines) = TITLE_SIZES.iter().find(|(s, _)| *s == l.size).unwrap();
            assert!(l.lines.len() <= *max_lines, "{title}: {l:?}");
            for line in &l.lines {
                assert!(
                    TITLE_FONT.width(line, l.size) <= MEASURE,
                    "{line:?} is wider than the measure"
                );
            }
            let drawn = png(&card(title)).unwrap();
            std::fs::write(out.join(format!("long-title-{i}.png")), &drawn).unwrap();
            let img = pixels(&drawn);
            assert_eq!(img.dimensions(), (WIDTH, HEIGHT));
            // Nothing drawn in the right margin, nor below the last line.
            for y in 20..HEIGHT {
                for x in (WIDTH - MARGIN as u32 + 4)..WIDTH {
                    assert_eq!(
                        img.get_pixel(x, y).0,
                        [255, 255, 255, 255],
                        "{title}: ink at ({x}, {y})"
                    );
                }
            }
        }
        // Every word of the 200 characters is on the card, none cut off.
        let l = layout(two_hundred);
        assert_eq!(l.lines.join(" "), two_hundred, "{l:?}");
        // The unbroken word is cut, and all of it is there.
        let l = layout(unbroken);
        assert_eq!(
            l.lines.concat().replace(' ', ""),
            unbroken.replace(' ', ""),
            "{l:?}"
        );
        // Too long for any size: it ends in an ellipsis.
        assert!(layout(&torrent).lines.last().unwrap().ends_with('…'));
    }

    #[test]
    fn the_card_shows_its_text_in_the_site_s_colours() {
        let img = pixels(&png(&card("REST Is Not Just Using HTTP")).unwrap());
        // The accent bar along the top; the title's ink on the first line.
        assert_eq!(img.get_pixel(600, 5).0, [0x0b, 0x57, 0xa4, 255]);
        let inked = (150..470)
            .flat_map(|y| (80..1120).map(move |x| (x, y)))
            .filter(|&(x, y)| img.get_pixel(x, y).0[0] < 60)
            .count();
        assert!(inked > 5_000, "the title is drawn ({inked} dark pixels)");
        // Markup in a title is text: the SVG carries it escaped.
        let s = svg(&card("<script>&\"x\"</script>"));
        assert!(
            s.contains("&lt;script&gt;&amp;&quot;x&quot;&lt;/script&gt;"),
            "{s}"
        );
    }
}
