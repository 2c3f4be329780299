//! Configuration: defaults, then a TOML file, then `KEEL_*` environment
//! variables. Every setting has a safe default, so the server runs with none.
//! Documented setting by setting in docs/configuration.md.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::Deserialize;

use keel_store::Channel;

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Where to listen. Loopback by default: put a proxy or CDN in front.
    pub listen: SocketAddr,
    /// The built site (`cargo xtask build` writes it).
    pub dist: PathBuf,
    /// Where submissions are stored: a SQLite file (created if missing), or
    /// a `postgres://user@host:5432/db` URL for PostgreSQL.
    pub database: PathBuf,
    /// PostgreSQL only: the most connections this instance opens.
    pub database_pool_size: usize,
    /// How long a worker holds the notifications it claimed before another
    /// may send them (a worker that died mid-send).
    pub outbox_lease_seconds: u64,
    /// The site's own origin as browsers see it (`https://keel.example`), for
    /// the same-origin check of contact posts. Unset: the request's `Host`
    /// stands in for it. Normalised when loaded (lower case, no default port,
    /// no trailing slash).
    pub public_origin: Option<String>,
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
    /// Proxies you run (addresses or networks): requests from them are taken
    /// to come from the address they saw (`X-Forwarded-For`, walked from the right).
    pub trusted_proxies: Vec<String>,
    /// Time limits and the connection cap (`listen.rs`).
    pub limits: Limits,
    pub smtp: Option<Smtp>,
    pub webhook: Option<Webhook>,
    /// First notification retry after this many milliseconds, doubling up to an hour.
    pub retry_base_ms: u64,
    /// The key the contact form's proof-of-work challenges are signed with
    /// (`challenge.rs`). Unset: one is made at first start and kept in the
    /// store, shared by every instance. Never logged.
    pub challenge_secret: Option<String>,
    /// Erase requests older than this many days, every day (`retention.rs`).
    /// Unset: keep them until deleted.
    pub retention_days: Option<u32>,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct RateLimit {
    /// Submissions one client may send in a burst…
    pub burst: u32,
    /// …and one more per this many seconds.
    pub refill_seconds: u64,
    /// Posts of the contact form one client may make in a minute, valid or
    /// not, counted before the body is read or the store asked: what one
    /// address can make the server do.
    pub attempts_per_minute: u32,
    /// New submissions this instance stores in a minute, from everyone: a
    /// flood from many addresses does not become a flood of emails.
    pub instance_per_minute: u32,
}

impl Default for RateLimit {
    fn default() -> Self {
        // A person sends one or two; five in a burst allows for typos and
        // retries, thirty posts a minute for a form fixed field by field.
        // Sixty new requests a minute is far beyond a consultancy's day.
        RateLimit {
            burst: 5,
            refill_seconds: 60,
            attempts_per_minute: 30,
            instance_per_minute: 60,
        }
    }
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// A connection must send a complete request head within this many seconds
    /// of connecting or of its previous response, or it is closed.
    pub header_timeout_seconds: u64,
    /// A request body must arrive, and a handler answer, within this many seconds.
    pub request_timeout_seconds: u64,
    /// Open connections at most. Unset: the open-file limit less a reserve.
    pub max_connections: Option<usize>,
    /// Open connections one address (an IPv4 address, an IPv6 /64) may hold;
    /// the proxies in `trusted_proxies` are exempt (`listen`).
    pub max_connections_per_address: usize,
    /// A contact request's whole body must arrive within this many seconds
    /// (a trickled body holds its connection no longer): else 408.
    pub body_timeout_seconds: u64,
}

impl Default for Limits {
    fn default() -> Self {
        // Ten seconds is plenty for a request head on a slow phone; a contact
        // post is a few kilobytes.
        Limits {
            header_timeout_seconds: 10,
            request_timeout_seconds: 30,
            max_connections: None,
            // Browsers open six per site; an office behind one address gets
            // room for many visitors, one client not the whole site.
            max_connections_per_address: 64,
            // A 32 KiB body on a 2G phone (about 6 KB/s) takes about 6 s.
            body_timeout_seconds: 10,
        }
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

impl Smtp {
    fn check(&self) -> anyhow::Result<()> {
        if self.host.trim().is_empty() {
            anyhow::bail!("smtp.host is empty");
        }
        if self.port == 0 {
            anyhow::bail!("smtp.port must be a port number (25, 465, 587, …), not 0");
        }
        for (key, value) in [("smtp.from", &self.from), ("smtp.to", &self.to)] {
            value.parse::<lettre::message::Mailbox>().map_err(|e| {
                anyhow::anyhow!("{key} = {value:?} is not an email address like \"Keel <web@keel.example>\" ({e})")
            })?;
        }
        match (&self.username, &self.password) {
            (Some(_), None) | (None, Some(_)) => {
                anyhow::bail!(
                    "smtp.username and smtp.password go together: set both, or neither for a relay without login"
                )
            }
            (Some(_), Some(_)) if self.tls == Tls::None => anyhow::bail!(
                "smtp.tls = \"none\" would send the username and password unencrypted: use tls = \"starttls\" (usually port 587) or \"tls\" (usually port 465)"
            ),
            _ => Ok(()),
        }
    }
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Webhook {
    /// Never logged or stored in full (its path often is the secret): see `redact_url`.
    pub url: String,
    /// Sent as `Authorization: Bearer …` when set.
    pub secret: Option<String>,
    /// The body's shape: our JSON, or a chat service's message (`chat.rs`).
    #[serde(default)]
    pub format: crate::chat::Format,
}

impl Webhook {
    fn check(&self) -> anyhow::Result<()> {
        // The parser's message names the problem, never the URL.
        let url = reqwest::Url::parse(&self.url)
            .map_err(|e| anyhow::anyhow!("webhook.url is not a URL ({e})"))?;
        if !matches!(url.scheme(), "http" | "https") {
            anyhow::bail!(
                "webhook.url must start with https:// (or http://), not {}:",
                url.scheme()
            );
        }
        let Some(host) = url.host_str() else {
            anyhow::bail!("webhook.url has no host")
        };
        let loopback = host.eq_ignore_ascii_case("localhost")
            || host
                .trim_matches(['[', ']'])
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback());
        if self.secret.is_some() && url.scheme() == "http" && !loopback {
            anyhow::bail!(
                "webhook.secret would be sent unencrypted to {}: use an https:// URL (plain http only to a loopback address)",
                redact_url(&self.url)
            );
        }
        Ok(())
    }
}

/// A URL as logs and stored errors may show it: scheme, host and port. The
/// path and query (often a secret, as in `/hooks/T0/B0/XXXX`) and any user
/// information are left out.
pub fn redact_url(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(u) if u.host_str().is_some() => {
            let port = u.port().map(|p| format!(":{p}")).unwrap_or_default();
            format!(
                "{}://{}{port}",
                u.scheme(),
                u.host_str().unwrap_or_default()
            )
        }
        _ => "(a malformed URL)".into(),
    }
}

/// `https://Keel.Example:443/` → `https://keel.example`: the form a browser
/// sends in `Origin`.
fn normalize_origin(origin: &str) -> anyhow::Result<String> {
    keel_site_rules::partners::normalize_origin(origin).map_err(anyhow::Error::msg)
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            dist: PathBuf::from("dist"),
            database: PathBuf::from("keel.db"),
            database_pool_size: 8,
            outbox_lease_seconds: keel_store::CLAIM_LEASE_MS as u64 / 1000,
            public_origin: None,
            allowed_origins: Vec::new(),
            rate_limit: RateLimit::default(),
            admin_token: None,
            trust_forwarded_for: false,
            trusted_proxies: Vec::new(),
            limits: Limits::default(),
            smtp: None,
            webhook: None,
            retry_base_ms: 5_000,
            retention_days: None,
            challenge_secret: None,
        }
    }
}

impl Config {
    pub fn parse(text: &str) -> anyhow::Result<Config> {
        Ok(toml::from_str(text)?)
    }

    /// Defaults, the file if given, then the environment.
    pub fn load(
        file: Option<&Path>,
        env: impl Fn(&str) -> Option<String>,
    ) -> anyhow::Result<Config> {
        let mut config = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("reading {}", path.display()))?;
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
            self.listen = v.parse().with_context(|| {
                format!("KEEL_LISTEN={v} is not an address like 127.0.0.1:8080")
            })?;
        }
        if let Some(v) = var("KEEL_DIST") {
            self.dist = v.into();
        }
        if let Some(v) = var("KEEL_DATABASE") {
            self.database = v.into();
        }
        if let Some(v) = var("KEEL_DATABASE_POOL_SIZE") {
            self.database_pool_size = v
                .parse()
                .context("KEEL_DATABASE_POOL_SIZE must be a whole number of connections")?;
        }
        if let Some(v) = var("KEEL_OUTBOX_LEASE_SECONDS") {
            self.outbox_lease_seconds = v
                .parse()
                .context("KEEL_OUTBOX_LEASE_SECONDS must be a whole number of seconds")?;
        }
        if let Some(v) = var("KEEL_PUBLIC_ORIGIN") {
            self.public_origin = Some(v);
        }
        if let Some(v) = var("KEEL_ALLOWED_ORIGINS") {
            self.allowed_origins = keel_site_rules::partners::split_list(&v);
        }
        if let Some(v) = var("KEEL_RATE_LIMIT_BURST") {
            self.rate_limit.burst = v
                .parse()
                .context("KEEL_RATE_LIMIT_BURST must be a whole number")?;
        }
        if let Some(v) = var("KEEL_RATE_LIMIT_REFILL_SECONDS") {
            self.rate_limit.refill_seconds = v
                .parse()
                .context("KEEL_RATE_LIMIT_REFILL_SECONDS must be a whole number")?;
        }
        if let Some(v) = var("KEEL_RATE_LIMIT_ATTEMPTS_PER_MINUTE") {
            self.rate_limit.attempts_per_minute = v
                .parse()
                .context("KEEL_RATE_LIMIT_ATTEMPTS_PER_MINUTE must be a whole number")?;
        }
        if let Some(v) = var("KEEL_RATE_LIMIT_INSTANCE_PER_MINUTE") {
            self.rate_limit.instance_per_minute = v
                .parse()
                .context("KEEL_RATE_LIMIT_INSTANCE_PER_MINUTE must be a whole number")?;
        }
        if let Some(v) = var("KEEL_ADMIN_TOKEN") {
            self.admin_token = Some(v);
        }
        if let Some(v) = var("KEEL_TRUST_FORWARDED_FOR") {
            self.trust_forwarded_for = matches!(v.as_str(), "1" | "true" | "yes");
        }
        if let Some(v) = var("KEEL_TRUSTED_PROXIES") {
            self.trusted_proxies = v
                .split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect();
        }
        if let Some(v) = var("KEEL_MAX_CONNECTIONS") {
            self.limits.max_connections = Some(
                v.parse()
                    .context("KEEL_MAX_CONNECTIONS must be a whole number")?,
            );
        }
        if let Some(v) = var("KEEL_RETRY_BASE_MS") {
            self.retry_base_ms = v
                .parse()
                .context("KEEL_RETRY_BASE_MS must be a whole number of milliseconds")?;
        }
        if let Some(v) = var("KEEL_CHALLENGE_SECRET") {
            self.challenge_secret = Some(v);
        }
        if let Some(v) = var("KEEL_RETENTION_DAYS") {
            self.retention_days = Some(
                v.parse()
                    .context("KEEL_RETENTION_DAYS must be a whole number of days")?,
            );
        }
        if let Some(url) = var("KEEL_WEBHOOK_URL") {
            let format = match var("KEEL_WEBHOOK_FORMAT") {
                None => crate::chat::Format::default(),
                Some(f) => crate::chat::Format::parse(&f).with_context(|| {
                    format!("KEEL_WEBHOOK_FORMAT must be json, slack, teams or discord, not {f:?}")
                })?,
            };
            self.webhook = Some(Webhook {
                url,
                secret: var("KEEL_WEBHOOK_SECRET"),
                format,
            });
        }
        if let Some(host) = var("KEEL_SMTP_HOST") {
            self.smtp = Some(Smtp {
                host,
                port: var("KEEL_SMTP_PORT")
                    .map(|p| p.parse())
                    .transpose()
                    .context("KEEL_SMTP_PORT must be a port number")?
                    .unwrap_or(25),
                tls: var("KEEL_SMTP_TLS")
                    .map(|t| t.parse())
                    .transpose()
                    .context("KEEL_SMTP_TLS")?
                    .unwrap_or_default(),
                username: var("KEEL_SMTP_USERNAME"),
                password: var("KEEL_SMTP_PASSWORD"),
                from: var("KEEL_SMTP_FROM")
                    .context("KEEL_SMTP_FROM is required with KEEL_SMTP_HOST")?,
                to: var("KEEL_SMTP_TO").context("KEEL_SMTP_TO is required with KEEL_SMTP_HOST")?,
            });
        }
        self.check()
    }

    /// Every setting checked once, at start, with a message that names it;
    /// `public_origin` normalised. Never echoes a webhook URL's path or query.
    fn check(&mut self) -> anyhow::Result<()> {
        if let Some(o) = self.public_origin.take() {
            self.public_origin =
                Some(normalize_origin(&o).context("public_origin (KEEL_PUBLIC_ORIGIN)")?);
        }
        // As browsers send `Origin`, so that a listed partner is matched
        // exactly, and safe to write into a header (`frame-ancestors`).
        self.allowed_origins = keel_site_rules::partners::normalize_all(&self.allowed_origins)
            .map_err(anyhow::Error::msg)
            .context("allowed_origins (KEEL_ALLOWED_ORIGINS)")?;
        if let Some(s) = &self.smtp {
            s.check()?;
        }
        if let Some(w) = &self.webhook {
            w.check()?;
        }
        if let Some(t) = &self.admin_token
            && t.len() < 16
        {
            anyhow::bail!("admin_token must be at least 16 characters (use a long random string)");
        }
        if self.challenge_secret.as_ref().is_some_and(|s| s.len() < 32) {
            anyhow::bail!(
                "challenge_secret must be at least 32 characters (use a long random string)"
            );
        }
        if self.retention_days == Some(0) {
            anyhow::bail!(
                "retention_days must be at least 1 (leave it out to keep requests until deleted)"
            );
        }
        if self.outbox_lease_seconds == 0 {
            anyhow::bail!("outbox_lease_seconds must be at least 1");
        }
        if self.database_pool_size == 0 {
            anyhow::bail!("database_pool_size must be at least 1");
        }
        if self.rate_limit.burst == 0
            || self.rate_limit.attempts_per_minute == 0
            || self.rate_limit.instance_per_minute == 0
        {
            anyhow::bail!(
                "rate_limit.burst, attempts_per_minute and instance_per_minute must be at least 1"
            );
        }
        crate::client::parse_networks(&self.trusted_proxies)?;
        if self.limits.header_timeout_seconds == 0 || self.limits.request_timeout_seconds == 0 {
            anyhow::bail!(
                "limits.header_timeout_seconds and limits.request_timeout_seconds must be at least 1"
            );
        }
        if self.limits.max_connections_per_address == 0 || self.limits.body_timeout_seconds == 0 {
            anyhow::bail!(
                "limits.max_connections_per_address and limits.body_timeout_seconds must be at least 1"
            );
        }
        if self.limits.max_connections == Some(0) {
            anyhow::bail!(
                "limits.max_connections must be at least 1 (leave it out to derive it from the open-file limit)"
            );
        }
        Ok(())
    }

    /// Which peers may name the client (validated at load).
    pub fn proxies(&self) -> crate::client::Proxies {
        crate::client::Proxies {
            trusted: crate::client::parse_networks(&self.trusted_proxies).unwrap_or_default(),
            trust_peer: self.trust_forwarded_for,
        }
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
        assert_eq!(
            c.rate_limit,
            RateLimit {
                burst: 2,
                ..RateLimit::default()
            }
        );
        let mut c = c;
        c.apply_env(|k| (k == "KEEL_LISTEN").then(|| "127.0.0.1:9001".to_string()))
            .unwrap();
        assert_eq!(c.listen.port(), 9001);
    }

    #[test]
    fn smtp_tls_is_one_of_three() {
        let smtp = |tls: &str| format!("[smtp]\nhost = \"h\"\nfrom = \"a@b\"\nto = \"c@d\"\n{tls}");
        assert_eq!(
            Config::parse(&smtp("")).unwrap().smtp.unwrap().tls,
            Tls::None
        );
        assert_eq!(
            Config::parse(&smtp("tls = \"starttls\""))
                .unwrap()
                .smtp
                .unwrap()
                .tls,
            Tls::Starttls
        );
        assert!(Config::parse(&smtp("tls = \"ssl\"")).is_err());
        let env = |k: &str| match k {
            "KEEL_SMTP_HOST" => Some("h".into()),
            "KEEL_SMTP_FROM" => Some("a@b".into()),
            "KEEL_SMTP_TO" => Some("c@d".into()),
            "KEEL_SMTP_TLS" => Some("ssl".into()),
            _ => None,
        };
        let err = format!("{:#}", Config::load(None, env).unwrap_err());
        assert!(
            err.contains("KEEL_SMTP_TLS") && err.contains("none, starttls or tls"),
            "{err}"
        );
        let c = Config::load(None, |k| env(k).filter(|_| k != "KEEL_SMTP_TLS")).unwrap();
        assert_eq!(c.channels(), [Channel::Email]);
    }

    fn load(text: &str) -> anyhow::Result<Config> {
        let mut c = Config::parse(text)?;
        c.check()?;
        Ok(c)
    }

    fn err(text: &str) -> String {
        format!("{:#}", load(text).unwrap_err())
    }

    const SMTP: &str = "[smtp]\nhost = \"smtp.example.com\"\nport = 587\nfrom = \"Keel <web@keel.example>\"\nto = \"hello@keel.example\"\n";

    #[test]
    fn smtp_settings_are_checked_at_start() {
        load(SMTP).unwrap();
        load(&format!(
            "{SMTP}tls = \"starttls\"\nusername = \"u\"\npassword = \"p\"\n"
        ))
        .unwrap();
        let e = err(&format!("{SMTP}username = \"u\"\npassword = \"p\"\n"));
        assert!(
            e.contains("tls = \"none\" would send the username and password unencrypted"),
            "{e}"
        );
        let e = err(&format!("{SMTP}tls = \"tls\"\nusername = \"u\"\n"));
        assert!(
            e.contains("smtp.username and smtp.password go together"),
            "{e}"
        );
        let e = err(&SMTP.replace("Keel <web@keel.example>", "Keel web at keel.example"));
        assert!(
            e.starts_with("smtp.from = \"Keel web at keel.example\" is not an email address"),
            "{e}"
        );
        let e = err(&SMTP.replace("hello@keel.example", "hello@"));
        assert!(e.starts_with("smtp.to = "), "{e}");
        assert!(err(&SMTP.replace("587", "0")).contains("smtp.port"));
        assert!(err(&SMTP.replace("smtp.example.com", " ")).contains("smtp.host is empty"));
        let env = |k: &str| match k {
            "KEEL_SMTP_HOST" => Some("h".into()),
            "KEEL_SMTP_FROM" => Some("a@b".into()),
            "KEEL_SMTP_TO" => Some("c@d".into()),
            "KEEL_SMTP_USERNAME" => Some("u".into()),
            "KEEL_SMTP_PASSWORD" => Some("p".into()),
            _ => None,
        };
        let e = format!("{:#}", Config::load(None, env).unwrap_err());
        assert!(
            e.contains("unencrypted"),
            "the environment is checked too: {e}"
        );
    }

    #[test]
    fn webhook_settings_are_checked_without_showing_the_url() {
        load("[webhook]\nurl = \"https://hooks.example.com/T0/B0/s3cr3t\"\nsecret = \"x\"\n")
            .unwrap();
        load("[webhook]\nurl = \"http://127.0.0.1:9000/s3cr3t\"\nsecret = \"x\"\n").unwrap();
        load("[webhook]\nurl = \"http://[::1]:9000/s3cr3t\"\nsecret = \"x\"\n").unwrap();
        load("[webhook]\nurl = \"http://hooks.internal/s3cr3t\"\n").unwrap();
        for (url, want) in [
            ("hooks.example.com/s3cr3t", "webhook.url is not a URL"),
            ("ftp://hooks.example.com/s3cr3t", "must start with https://"),
            ("https://exa mple.com/s3cr3t", "webhook.url is not a URL"),
        ] {
            let e = err(&format!("[webhook]\nurl = \"{url}\"\n"));
            assert!(e.contains(want) && !e.contains("s3cr3t"), "{url}: {e}");
        }
        let e = err("[webhook]\nurl = \"http://hooks.example.com/s3cr3t\"\nsecret = \"x\"\n");
        assert!(
            e.contains("sent unencrypted to http://hooks.example.com: use an https:// URL"),
            "{e}"
        );
        assert!(!e.contains("s3cr3t"), "{e}");
    }

    #[test]
    fn redacted_urls_keep_scheme_host_and_port_only() {
        assert_eq!(
            redact_url("https://hooks.slack.com/services/T0/B0/XXXX?token=1"),
            "https://hooks.slack.com"
        );
        assert_eq!(
            redact_url("http://user:pw@127.0.0.1:8080/hook#x"),
            "http://127.0.0.1:8080"
        );
        assert_eq!(redact_url("http://[::1]:9/a"), "http://[::1]:9");
        assert_eq!(redact_url("not a url /secret"), "(a malformed URL)");
    }

    #[test]
    fn public_origin_is_normalised_like_a_browser_origin() {
        for (given, want) in [
            ("https://keel.example", "https://keel.example"),
            ("https://Keel.Example:443/", "https://keel.example"),
            ("http://keel.example:8080", "http://keel.example:8080"),
        ] {
            assert_eq!(
                load(&format!("public_origin = \"{given}\""))
                    .unwrap()
                    .public_origin
                    .as_deref(),
                Some(want),
                "{given}"
            );
        }
        for bad in [
            "keel.example",
            "https://keel.example/contact",
            "ftp://keel.example",
            "https://keel.example?x=1",
        ] {
            let e = err(&format!("public_origin = \"{bad}\""));
            assert!(
                e.contains("public_origin") && e.contains("like https://keel.example"),
                "{bad}: {e}"
            );
        }
        let c = Config::load(None, |k| {
            (k == "KEEL_PUBLIC_ORIGIN").then(|| "HTTPS://KEEL.EXAMPLE/".into())
        })
        .unwrap();
        assert_eq!(c.public_origin.as_deref(), Some("https://keel.example"));
    }

    #[test]
    fn allowed_origins_are_normalised_and_checked() {
        let c =
            load("allowed_origins = [\"HTTPS://Partner.Example:443/\", \"http://localhost:3000\"]")
                .unwrap();
        assert_eq!(
            c.allowed_origins,
            ["https://partner.example", "http://localhost:3000"]
        );
        let e = err("allowed_origins = [\"https://partner.example/embed\"]");
        assert!(
            e.contains("allowed_origins") && e.contains("scheme, host and port only"),
            "{e}"
        );
        let c = Config::load(None, |k| {
            (k == "KEEL_ALLOWED_ORIGINS").then(|| "https://A.example, https://b.example/".into())
        })
        .unwrap();
        assert_eq!(
            c.allowed_origins,
            ["https://a.example", "https://b.example"]
        );
    }

    #[test]
    fn typos_and_weak_tokens_are_errors() {
        assert!(Config::parse("lisen = \"x\"").is_err());
        let err =
            Config::load(None, |k| (k == "KEEL_ADMIN_TOKEN").then(|| "short".into())).unwrap_err();
        assert!(err.to_string().contains("16 characters"));
    }

    #[test]
    fn database_settings_come_from_the_file_or_the_environment() {
        let c = Config::parse(
            "database = \"postgres://keel@db/keel\"\ndatabase_pool_size = 3\noutbox_lease_seconds = 30",
        )
        .unwrap();
        assert_eq!(c.database, PathBuf::from("postgres://keel@db/keel"));
        assert_eq!((c.database_pool_size, c.outbox_lease_seconds), (3, 30));
        let env = |k: &str| match k {
            "KEEL_DATABASE" => Some("postgresql://other/keel".to_string()),
            "KEEL_DATABASE_POOL_SIZE" => Some("12".to_string()),
            "KEEL_OUTBOX_LEASE_SECONDS" => Some("5".to_string()),
            _ => None,
        };
        let c = Config::load(None, env).unwrap();
        assert_eq!(c.database, PathBuf::from("postgresql://other/keel"));
        assert_eq!((c.database_pool_size, c.outbox_lease_seconds), (12, 5));
        for (key, value, says) in [
            (
                "KEEL_DATABASE_POOL_SIZE",
                "0",
                "database_pool_size must be at least 1",
            ),
            (
                "KEEL_DATABASE_POOL_SIZE",
                "many",
                "KEEL_DATABASE_POOL_SIZE must be a whole number",
            ),
            (
                "KEEL_OUTBOX_LEASE_SECONDS",
                "0",
                "outbox_lease_seconds must be at least 1",
            ),
            (
                "KEEL_OUTBOX_LEASE_SECONDS",
                "-1",
                "KEEL_OUTBOX_LEASE_SECONDS must be a whole number",
            ),
        ] {
            let err = Config::load(None, |k| (k == key).then(|| value.to_string())).unwrap_err();
            assert!(format!("{err:#}").contains(says), "{key}={value}: {err:#}");
        }
    }

    #[test]
    fn retention_is_off_unless_set_and_at_least_a_day() {
        assert_eq!(load("").unwrap().retention_days, None);
        assert_eq!(
            load("retention_days = 365\n").unwrap().retention_days,
            Some(365)
        );
        assert!(err("retention_days = 0\n").contains("retention_days must be at least 1"));
        let env =
            Config::load(None, |k| (k == "KEEL_RETENTION_DAYS").then(|| "30".into())).unwrap();
        assert_eq!(env.retention_days, Some(30));
    }
}
