//! The partner origins (`allowed_origins`): one list, in the server's
//! configuration file (or `KEEL_ALLOWED_ORIGINS`), read by the server and by
//! the build (`cargo xtask build --config keel.toml`), so the static hosts'
//! `frame-ancestors` name the same partners the server does.

use serde::Deserialize;

/// `origin` as a browser sends it in `Origin`: lower case, no default port,
/// no trailing slash. An error, saying what is wrong, for anything that is
/// not an http(s) origin (a path, a query, credentials).
pub fn normalize_origin(origin: &str) -> Result<String, String> {
    let url = url::Url::parse(origin.trim())
        .map_err(|_| format!("{origin:?} is not an origin like https://keel.example"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(format!(
            "{origin:?} is not an origin like https://keel.example (http or https, and a host)"
        ));
    }
    if url.path() != "/"
        || url.query().is_some()
        || url.fragment().is_some()
        || !url.username().is_empty()
        || url.password().is_some()
    {
        return Err(format!(
            "{origin:?} is not an origin: give scheme, host and port only, like https://keel.example"
        ));
    }
    Ok(url.origin().ascii_serialization())
}

/// Each origin normalised (`normalize_origin`), duplicates dropped, in order.
pub fn normalize_all(origins: &[String]) -> Result<Vec<String>, String> {
    let mut out: Vec<String> = Vec::new();
    for o in origins {
        let o = normalize_origin(o)?;
        if !out.contains(&o) {
            out.push(o);
        }
    }
    Ok(out)
}

/// `KEEL_ALLOWED_ORIGINS`' form: comma-separated, blanks ignored.
pub fn split_list(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

/// The partner origins as the server would load them: `allowed_origins` from
/// the configuration file's text (other settings are the server's business
/// and are not checked here), replaced by `KEEL_ALLOWED_ORIGINS` when that is
/// set and not empty; normalised.
pub fn from_config(config_text: Option<&str>, env: Option<&str>) -> Result<Vec<String>, String> {
    #[derive(Deserialize, Default)]
    struct Partial {
        #[serde(default)]
        allowed_origins: Vec<String>,
    }
    let mut list = match config_text {
        Some(text) => {
            toml::from_str::<Partial>(text)
                .map_err(|e| format!("allowed_origins: {e}"))?
                .allowed_origins
        }
        None => Vec::new(),
    };
    if let Some(v) = env.filter(|v| !v.is_empty()) {
        list = split_list(v);
    }
    normalize_all(&list).map_err(|e| format!("allowed_origins (KEEL_ALLOWED_ORIGINS): {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_normalised_like_a_browser_sends_them() {
        assert_eq!(
            normalize_origin("HTTPS://Partner.Example:443/").unwrap(),
            "https://partner.example"
        );
        assert_eq!(
            normalize_origin("http://localhost:3000").unwrap(),
            "http://localhost:3000"
        );
        for bad in [
            "partner.example",
            "https://p.example/path",
            "ftp://p.example",
            "https://u@p.example",
            "https://p.example?q",
        ] {
            assert!(normalize_origin(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_list_comes_from_the_file_and_the_environment_overrides_it() {
        let text = "listen = \"127.0.0.1:1\"\nallowed_origins = [\"https://A.example/\", \"https://a.example\"]\n[smtp]\nhost = \"x\"\n";
        assert_eq!(
            from_config(Some(text), None).unwrap(),
            ["https://a.example"]
        );
        assert_eq!(
            from_config(Some(text), Some("https://b.example, http://c.example:8080")).unwrap(),
            ["https://b.example", "http://c.example:8080"]
        );
        assert_eq!(
            from_config(Some(text), Some("")).unwrap(),
            ["https://a.example"]
        );
        assert!(from_config(None, None).unwrap().is_empty());
        let e = from_config(Some("allowed_origins = [\"https://p.example/x\"]"), None).unwrap_err();
        assert!(
            e.contains("allowed_origins") && e.contains("scheme, host and port only"),
            "{e}"
        );
    }
}
