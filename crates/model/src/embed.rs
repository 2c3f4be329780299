//! What a partner's placeholder may ask of an embed view: the rules the
//! loader (`embed/v1.js`) and our framed pages (`embed/frame.js`) check, and
//! the views obey. The build writes them into the scripts
//! (`keel::embed::script_facts`), so they are written here only.

/// The most articles a list view shows (`data-keel-count`, 1 to this).
pub const LIST_MAX: usize = 10;

/// An accent colour (`data-keel-accent`): `#rgb` or `#rrggbb`, either case,
/// as a JavaScript regular expression (with the `i` flag).
pub const COLOUR_PATTERN: &str = "^#([0-9a-f]{3}|[0-9a-f]{6})$";

/// `data-keel-count`'s values, 1 to `LIST_MAX` in decimal without a leading
/// zero, as a JavaScript regular expression.
pub fn count_pattern() -> String {
    let counts: Vec<String> = (1..=LIST_MAX).map(|n| n.to_string()).collect();
    format!("^({})$", counts.join("|"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_count_pattern_takes_one_to_the_most_and_nothing_else() {
        let pattern = fancy_regex::Regex::new(&count_pattern()).unwrap();
        for n in 0..=LIST_MAX + 5 {
            let ok = (1..=LIST_MAX).contains(&n);
            assert_eq!(pattern.is_match(&n.to_string()).unwrap(), ok, "{n}");
        }
        for bad in ["", "01", " 1", "1 ", "+1", "1.0", "1e1", "-1"] {
            assert!(!pattern.is_match(bad).unwrap(), "{bad:?}");
        }
    }

    #[test]
    fn the_colour_pattern_takes_short_and_long_hex() {
        let pattern = fancy_regex::Regex::new(&format!("(?i){COLOUR_PATTERN}")).unwrap();
        for ok in ["#fff", "#0B57A4", "#0b57a4"] {
            assert!(pattern.is_match(ok).unwrap(), "{ok}");
        }
        for bad in ["fff", "#ffff", "#ggg", "#0b57a4 ", "red", "#0b57a4;x"] {
            assert!(!pattern.is_match(bad).unwrap(), "{bad}");
        }
    }
}
