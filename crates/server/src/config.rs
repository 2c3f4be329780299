//! Configuration: defaults, then a TOML file, then `KEEL_*` environment
//! variables. Every setting has a safe default, so the server runs with none.
//! Documented setting by setting in docs/configuration.md.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::Deserialize;

use crate::store::Channel;

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Where to listen. Loopback by default: put a proxy or CDN in front.
    pub listen: SocketAddr,
    /// The built site (`cargo xtask build` writes it).
    pub dist: PathBuf,
    /// The SQLite database file; created if missing.
    pub database: PathBuf,
    /// Origins allowed to POST the contact form cross-origin (partner sites).
    /// Empty: same-origin only. The admin endpoint is never cross-origin.
    pub allowed_origins: Vec<String>,
    /// Contact submissions per client: a burst of `burst`, refilled at one per
    /// `refill_seconds`.
    pub rate_limit: RateLimit,
    /// Bearer token for `GET /api/v1/admin/submissions`. Unset: endpoint off (404).
    pub admin_token: Option<String>,
    /// Use the last `X-Forwarded-For` address as the client (only behind a proxy you run).
    pub trust_forwarded_for: bool,
    pub smtp: Option<Smtp>,
    pub webhook: Option<Webhook>,
    /// First notification retry after this many milliseconds, doubling up to an hour.
    pub retry_base_ms: u64,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct RateLimit {
    pub burst: u32,
    pub refill_seconds: u64,
}

impl Default for RateLimit {
    fn default() -> Self {
        // A person sends one or two; five in a burst allows for typos and retries.
        RateLimit { burst: 5, refill_seconds: 60 }
    }
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Smtp {
    pub host: String,
    #[serde(default = "default_smtp_port")]
    pub port: u16,
    /// `none` (a local relay), `starttls` or `tls`.
    #[serde(default)]
    pub tls: Tls,
    pub username: Option<String>,
    pub password: Option<String>,
    pub from: String,
    pub to: String,
}

fn default_smtp_port() -> u16 {
    25
}
/// How the SMTP connection is secured.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Tls {
    /// Plain SMTP: only for a relay on the same machine or network.
    #[default]
    None,
    /// Plain connection upgraded with STARTTLS (usually port 587).
    Starttls,
    /// TLS from the first byte (usually port 465).
    Tls,
}

impl std::str::FromStr for Tls {
    type Err = anyhow::Error;
    fn from_str(s: &str) -> anyhow::Result<Tls> {
        match s {
            "none" => Ok(Tls::None),
            "starttls" => Ok(Tls::Starttls),
            "tls" => Ok(Tls::Tls),
            other => anyhow::bail!("smtp.tls must be none, starttls or tls, not {other:?}"),
        }
    }
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Webhook {
    pub url: String,
    /// Sent as `Authorization: Bearer …` when set.
    pub secret: Option<String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            dist: PathBuf::from("dist"),
            database: PathBuf::from("keel.db"),
            allowed_origins: Vec::new(),
            rate_limit: RateLimit::default(),
            admin_token: None,
            trust_forwarded_for: false,
            smtp: None,
            webhook: None,
            retry_base_ms: 5_000,
        }
    }
}

impl Config {
    pub fn parse(text: &str) -> anyhow::Result<Config> {
        Ok(toml::from_str(text)?)
    }

    /// Defaults, the file if given, then the environment.
    pub fn load(file: Option<&Path>, env: impl Fn(&str) -> Option<String>) -> anyhow::Result<Config> {
        let mut config = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
                Config::parse(&text).with_context(|| format!("in {}", path.display()))?
            }
            None => Config::default(),
        };
        config.apply_env(env)?;
        Ok(config)
    }

    fn apply_env(&mut self, env: impl Fn(&str) -> Option<String>) -> anyhow::Result<()> {
        let var = |k: &str| env(k).filter(|v| !v.is_empty());
        if let Some(v) = var("KEEL_LISTEN") {
            self.listen = v.parse().with_context(|| format!("KEEL_LISTEN={v} is not an address like 127.0.0.1:8080"))?;
        }
        if let Some(v) = var("KEEL_DIST") {
            self.dist = v.into();
        }
        if let Some(v) = var("KEEL_DATABASE") {
            self.database = v.into();
        }
        if let Some(v) = var("KEEL_ALLOWED_ORIGINS") {
            self.allowed_origins = v.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect();
        }
        if let Some(v) = var("KEEL_RATE_LIMIT_BURST") {
            self.rate_limit.burst = v.parse().context("KEEL_RATE_LIMIT_BURST must be a whole number")?;
        }
        if let Some(v) = var("KEEL_RATE_LIMIT_REFILL_SECONDS") {
            self.rate_limit.refill_seconds = v.parse().context("KEEL_RATE_LIMIT_REFILL_SECONDS must be a whole number")?;
        }
        if let Some(v) = var("KEEL_ADMIN_TOKEN") {
            self.admin_token = Some(v);
        }
        if let Some(v) = var("KEEL_TRUST_FORWARDED_FOR") {
            self.trust_forwarded_for = matches!(v.as_str(), "1" | "true" | "yes");
        }
        if let Some(v) = var("KEEL_RETRY_BASE_MS") {
            self.retry_base_ms = v.parse().context("KEEL_RETRY_BASE_MS must be a whole number of milliseconds")?;
        }
        if let Some(url) = var("KEEL_WEBHOOK_URL") {
            self.webhook = Some(Webhook { url, secret: var("KEEL_WEBHOOK_SECRET") });
        }
        if let Some(host) = var("KEEL_SMTP_HOST") {
            self.smtp = Some(Smtp {
                host,
                port: var("KEEL_SMTP_PORT").map(|p| p.parse()).transpose().context("KEEL_SMTP_PORT must be a port number")?.unwrap_or(25),
                tls: var("KEEL_SMTP_TLS").map(|t| t.parse()).transpose().context("KEEL_SMTP_TLS")?.unwrap_or_default(),
                username: var("KEEL_SMTP_USERNAME"),
                password: var("KEEL_SMTP_PASSWORD"),
                from: var("KEEL_SMTP_FROM").context("KEEL_SMTP_FROM is required with KEEL_SMTP_HOST")?,
                to: var("KEEL_SMTP_TO").context("KEEL_SMTP_TO is required with KEEL_SMTP_HOST")?,
            });
        }
        self.validate()
    }

    fn validate(&self) -> anyhow::Result<()> {
        if let Some(t) = &self.admin_token
            && t.len() < 16
        {
            anyhow::bail!("admin_token must be at least 16 characters (use a long random string)");
        }
        if self.rate_limit.burst == 0 {
            anyhow::bail!("rate_limit.burst must be at least 1");
        }
        Ok(())
    }

    /// The notification channels a new submission gets outbox rows for.
    pub fn channels(&self) -> Vec<Channel> {
        let mut c = Vec::new();
        if self.smtp.is_some() {
            c.push(Channel::Email);
        }
        if self.webhook.is_some() {
            c.push(Channel::Webhook);
        }
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_safe() {
        let c = Config::load(None, |_| None).unwrap();
        assert_eq!(c.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(c.admin_token, None);
        assert!(c.allowed_origins.is_empty());
        assert!(c.channels().is_empty());
    }

    #[test]
    fn env_overrides_file() {
        let c = Config::parse("listen = \"127.0.0.1:9000\"\n[rate_limit]\nburst = 2\n").unwrap();
        assert_eq!(c.rate_limit, RateLimit { burst: 2, refill_seconds: 60 });
        let mut c = c;
        c.apply_env(|k| (k == "KEEL_LISTEN").then(|| "127.0.0.1:9001".to_string())).unwrap();
        assert_eq!(c.listen.port(), 9001);
    }

    #[test]
    fn smtp_tls_is_one_of_three() {
        let smtp = |tls: &str| format!("[smtp]\nhost = \"h\"\nfrom = \"a@b\"\nto = \"c@d\"\n{tls}");
        assert_eq!(Config::parse(&smtp("")).unwrap().smtp.unwrap().tls, Tls::None);
        assert_eq!(Config::parse(&smtp("tls = \"starttls\"")).unwrap().smtp.unwrap().tls, Tls::Starttls);
        assert!(Config::parse(&smtp("tls = \"ssl\"")).is_err());
        let env = |k: &str| match k {
            "KEEL_SMTP_HOST" => Some("h".into()),
            "KEEL_SMTP_FROM" => Some("a@b".into()),
            "KEEL_SMTP_TO" => Some("c@d".into()),
            "KEEL_SMTP_TLS" => Some("ssl".into()),
            _ => None,
        };
        let err = format!("{:#}", Config::load(None, env).unwrap_err());
        assert!(err.contains("KEEL_SMTP_TLS") && err.contains("none, starttls or tls"), "{err}");
        let c = Config::load(None, |k| env(k).filter(|_| k != "KEEL_SMTP_TLS")).unwrap();
        assert_eq!(c.channels(), [Channel::Email]);
    }

    #[test]
    fn typos_and_weak_tokens_are_errors() {
        assert!(Config::parse("lisen = \"x\"").is_err());
        let err = Config::load(None, |k| (k == "KEEL_ADMIN_TOKEN").then(|| "short".into())).unwrap_err();
        assert!(err.to_string().contains("16 characters"));
    }
}
