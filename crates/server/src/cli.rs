//! The operator's CLI: `keel-server submissions …` reads and manages the
//! contact submissions in the database a running server writes to.
//!
//! Each command writes to `out`, so tests run them against a real store and
//! read what an operator would see. Stored text is printed safely whatever it
//! holds (it may predate today's validation): control and text-direction
//! characters are written out as `\u{…}` (`escape_controls`), in JSON as
//! `\uXXXX`, and CSV cells never start a formula.

use std::io::Write;

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::{Subcommand, ValueEnum};
use keel_model::contact::{escape_controls, is_bidi_control};
use keel_store::{Channel, DeliveryState, ListFilter, Store, Submission, Verdict};

#[derive(Subcommand)]
pub enum Action {
    /// List submissions, newest first.
    List {
        #[arg(long)]
        spam: bool,
        /// Include submissions already marked handled.
        #[arg(long)]
        all: bool,
    },
    /// Show one submission with its delivery state.
    Show { id: String },
    /// Export submissions to stdout.
    Export {
        #[arg(long, value_enum, default_value = "json")]
        format: Format,
        #[arg(long)]
        spam: bool,
    },
    /// Mark a submission handled.
    Handle { id: String },
    /// Erase a submission (privacy requests), also from the database files. Cannot be undone.
    Delete { id: String },
    /// Send a submission's failed notifications again, after fixing what made them fail.
    Retry { id: String },
    /// Mark a request as spam: it stays stored and listed (`list --spam`),
    /// and a notification not yet sent never will be.
    Spam { id: String },
    /// Mark a request as not spam: it is listed with the others, and staff
    /// are notified of it now if they were not.
    NotSpam { id: String },
    /// Erase every request sent from this email address (a person's request
    /// to be forgotten), with its notifications, also from the database
    /// files. Prints how many. Cannot be undone.
    Forget { email: String },
    /// Copy a SQLite store into a new file while servers keep using it: every
    /// request stored before the copy began, in a store a server starts on
    /// (docs/configuration.md, "Backups"). PostgreSQL: use pg_dump.
    Backup { file: PathBuf },
    /// Copy every submission, with its delivery states, from one database to
    /// another (e.g. a SQLite file into PostgreSQL). Stop the servers writing
    /// to --from first. Submissions already in --to are skipped, so it can be
    /// run again.
    Migrate {
        /// The database to read: a SQLite file or a postgres:// URL.
        #[arg(long)]
        from: PathBuf,
        /// The database to add to: a postgres:// URL or a SQLite file.
        #[arg(long)]
        to: PathBuf,
    },
}

#[derive(Clone, Copy, ValueEnum)]
pub enum Format {
    Json,
    Csv,
}

/// `migrate`: between two databases, neither of them `database`.
pub async fn migrate(
    from: &Path,
    to: &Path,
    pool_size: usize,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    if from == to {
        bail!("--from and --to name the same database");
    }
    // Opening a SQLite path creates the file: a mistyped --from must not.
    if !from.to_string_lossy().contains("://") && !from.exists() {
        bail!("--from {}: no such database file", from.display());
    }
    let source = Store::open(from, pool_size).await.context("--from")?;
    let target = Store::open(to, pool_size).await.context("--to")?;
    let records = source.export().await?;
    let total = records.len();
    let added = target.import(records).await?;
    writeln!(
        out,
        "Copied {added} of {total} submissions from {} to {}{}.",
        source.describe(),
        target.describe(),
        if added < total {
            format!(" ({} were already there)", total - added)
        } else {
            String::new()
        }
    )?;
    Ok(())
}

/// Run `action` on `store`; `channels` are where the server notifies (for
/// `not-spam`, which notifies then).
pub async fn run(
    store: &Store,
    action: Action,
    channels: &[Channel],
    out: &mut impl Write,
) -> anyhow::Result<()> {
    match action {
        Action::Migrate { .. } => bail!("migrate opens its own databases (--from, --to)"),
        Action::List { spam, all } => {
            let list = store
                .list(ListFilter {
                    include_spam: spam,
                    include_handled: all,
                })
                .await?;
            if list.is_empty() {
                writeln!(out, "No submissions.")?;
            }
            for s in list {
                let state = delivery_summary(&s);
                writeln!(
                    out,
                    "{}  {}  {} <{}>  {}{}{}{}",
                    s.id,
                    date(s.created_at),
                    escape_controls(&s.name, false),
                    escape_controls(&s.email, false),
                    state,
                    match &s.partner_origin {
                        Some(o) => format!("  via {}", escape_controls(o, false)),
                        None => String::new(),
                    },
                    match &s.source {
                        Some(o) => format!("  source {}", escape_controls(o, false)),
                        None => String::new(),
                    },
                    if s.handled_at.is_some() {
                        "  handled"
                    } else {
                        ""
                    }
                )?;
            }
        }
        Action::Show { id } => {
            let Some(s) = store.get(&id).await? else {
                bail!("no submission {id}")
            };
            writeln!(
                out,
                "{}",
                json_for_terminal(serde_json::to_string_pretty(&s)?)
            )?;
        }
        Action::Export { format, spam } => {
            let list = store
                .list(ListFilter {
                    include_spam: spam,
                    include_handled: true,
                })
                .await?;
            match format {
                Format::Json => writeln!(
                    out,
                    "{}",
                    json_for_terminal(serde_json::to_string_pretty(&list)?)
                )?,
                Format::Csv => write_csv(out, &list)?,
            }
        }
        Action::Handle { id } => {
            if !store.mark_handled(&id, keel_server::now_ms()).await? {
                bail!("no submission {id}");
            }
            writeln!(out, "Marked {id} handled.")?;
        }
        Action::Delete { id } => {
            if !store.delete(&id).await? {
                bail!("no submission {id}");
            }
            writeln!(out, "Deleted {id} and its delivery records.")?;
        }
        Action::Spam { id } => match store
            .set_verdict(&id, Verdict::Spam, channels, keel_server::now_ms())
            .await?
        {
            None => bail!("no submission {id}"),
            Some(_) => writeln!(out, "Marked {id} as spam: it notifies no one.")?,
        },
        Action::NotSpam { id } => match store
            .set_verdict(&id, Verdict::Clean, channels, keel_server::now_ms())
            .await?
        {
            None => bail!("no submission {id}"),
            Some(0) => writeln!(out, "Marked {id} as not spam.")?,
            Some(n) => writeln!(
                out,
                "Marked {id} as not spam; {n} notification(s) queued, which a running server sends within seconds."
            )?,
        },
        Action::Forget { email } => {
            let erased = store.forget(&email).await?;
            // The log says how many, never whose.
            tracing::info!(
                erased,
                "erased the requests of one address (submissions forget)"
            );
            match erased {
                0 => writeln!(out, "No requests from {}.", escape_controls(&email, false))?,
                n => writeln!(
                    out,
                    "Erased {n} request(s) from {} and their notifications.",
                    escape_controls(&email, false)
                )?,
            }
        }
        Action::Backup { file } => {
            let started = std::time::Instant::now();
            let done = store.backup(&file).await?;
            writeln!(
                out,
                "Backed up {} request(s) into {} ({} bytes) in {} ms.",
                done.submissions,
                file.display(),
                done.bytes,
                started.elapsed().as_millis()
            )?;
        }
        Action::Retry { id } => match store.requeue_failed(&id, keel_server::now_ms()).await? {
            None => bail!("no submission {id}"),
            Some(0) => writeln!(out, "{id} has no failed notifications.")?,
            Some(n) => writeln!(
                out,
                "Requeued {n} failed notification(s) of {id}; a running server sends them within seconds."
            )?,
        },
    }
    Ok(())
}

fn delivery_summary(s: &Submission) -> String {
    if s.spam {
        return format!("spam ({})", s.reasons.as_deref().unwrap_or("marked"));
    }
    let review = match s.verdict {
        Verdict::Review => format!("REVIEW ({})  ", s.reasons.as_deref().unwrap_or_default()),
        _ => String::new(),
    };
    if s.deliveries.is_empty() {
        return format!("{review}no notification configured");
    }
    review
        + &s.deliveries
            .iter()
            .map(|d| match d.state {
                DeliveryState::Delivered => format!("{}:delivered", d.channel),
                DeliveryState::Pending => format!("{}:pending({} tries)", d.channel, d.attempts),
                DeliveryState::Failed => {
                    format!("{}:FAILED({} tries, see show)", d.channel, d.attempts)
                }
            })
            .collect::<Vec<_>>()
            .join(" ")
}

fn date(ms: i64) -> String {
    let t = std::time::UNIX_EPOCH + std::time::Duration::from_millis(ms.max(0) as u64);
    httpdate::fmt_http_date(t)
}

/// serde_json escapes C0 controls in strings but writes DEL, C1 controls,
/// bidi controls and the line separators as they are. Written as `\uXXXX`
/// instead, the JSON means the same and prints safely. (Outside strings,
/// pretty JSON is ASCII with line feeds, so every other such character is
/// inside a string.)
fn json_for_terminal(json: String) -> String {
    let unsafe_char = |c: char| {
        (c.is_control() && c != '\n') || is_bidi_control(c) || matches!(c, '\u{2028}' | '\u{2029}')
    };
    if !json.contains(unsafe_char) {
        return json;
    }
    json.chars()
        .fold(String::with_capacity(json.len() + 16), |mut out, c| {
            if unsafe_char(c) {
                out.push_str(&format!("\\u{:04x}", c as u32));
            } else {
                out.push(c);
            }
            out
        })
}

/// RFC 4180 CSV; cells that a spreadsheet would run as a formula get a leading
/// apostrophe (CSV injection), and hidden characters are written out.
fn write_csv(out: &mut impl Write, list: &[Submission]) -> anyhow::Result<()> {
    writeln!(
        out,
        "id,created_at,name,email,company,budget,message,consent,spam,handled_at,partner_origin,source,verdict,reasons"
    )?;
    for s in list {
        let line = |t: &str| escape_controls(t, false).into_owned();
        let cells = [
            line(&s.id),
            s.created_at.to_string(),
            line(&s.name),
            line(&s.email),
            line(s.company.as_deref().unwrap_or_default()),
            line(s.budget.as_deref().unwrap_or_default()),
            escape_controls(&s.message, true).into_owned(),
            s.consent.to_string(),
            s.spam.to_string(),
            s.handled_at.map(|h| h.to_string()).unwrap_or_default(),
            line(s.partner_origin.as_deref().unwrap_or_default()),
            line(s.source.as_deref().unwrap_or_default()),
            s.verdict.to_string(),
            line(s.reasons.as_deref().unwrap_or_default()),
        ];
        let row: Vec<String> = cells.iter().map(|c| csv_cell(c)).collect();
        writeln!(out, "{}", row.join(","))?;
    }
    Ok(())
}

/// What starts a formula in some spreadsheet: the signs, their full-width
/// forms (U+FF1D, U+FF0B, U+FF0D, U+FF20, read as formulas in East Asian
/// locales), and a tab or carriage return before one.
const FORMULA_STARTS: [char; 10] = [
    '=', '+', '-', '@', '\t', '\r', '\u{FF1D}', '\u{FF0B}', '\u{FF0D}', '\u{FF20}',
];

fn csv_cell(c: &str) -> String {
    let c = if c.starts_with(FORMULA_STARTS) {
        format!("'{c}")
    } else {
        c.to_string()
    };
    if c.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", c.replace('"', "\"\""))
    } else {
        c
    }
}

#[cfg(test)]
mod tests {
    use keel_model::contact::ContactRequest;
    use keel_store::{Channel, Inserted, Judgement, NewSubmission};

    use super::*;

    /// A store holding what today's validation refuses (stored before it, or
    /// by a bug): terminal escapes, a bell, backspaces, a right-to-left override.
    async fn hostile_store() -> (Store, String) {
        let store = Store::open_sqlite_in_memory().unwrap();
        let req = ContactRequest {
            name: "Ada\u{202E}ecalovoL\u{8}\u{8}".into(),
            email: "ada@example.com\u{1b}[2J".into(),
            company: Some("Acme\u{1b}]0;pwned\u{7}\u{9b}31m".into()),
            message: "Hello\r\nfake line\rover it\u{7f}\n\tbye\u{2066}".into(),
            consent: true,
            ..Default::default()
        };
        let keel_store::Inserted::New(id) = store
            .insert(NewSubmission {
                request: &req,
                judgement: Judgement::CLEAN,
                idempotency_key: None,
                request_hash: "h",
                channels: &[Channel::Email],
                now_ms: 1,
                duplicate_since_ms: 1,
                partner_origin: None,
            })
            .await
            .unwrap()
        else {
            panic!()
        };
        (store, id)
    }

    async fn output(store: &Store, action: Action) -> String {
        let mut out = Vec::new();
        run(store, action, &[Channel::Webhook], &mut out)
            .await
            .unwrap();
        String::from_utf8(out).unwrap()
    }

    fn assert_printable(text: &str) {
        for c in text.chars() {
            assert!(
                (!c.is_control() || matches!(c, '\n' | '\r' | '\t')) && !is_bidi_control(c),
                "raw U+{:04X} in output:\n{text}",
                c as u32
            );
        }
    }

    #[tokio::test]
    async fn list_prints_hidden_characters_as_code_points() {
        let (store, id) = hostile_store().await;
        let out = output(
            &store,
            Action::List {
                spam: false,
                all: false,
            },
        )
        .await;
        assert_printable(&out);
        assert_eq!(out.lines().count(), 1, "{out}");
        assert!(out.starts_with(&id));
        assert!(
            out.contains("Ada\\u{202e}ecalovoL\\u{8}\\u{8} <ada@example.com\\u{1b}[2J>"),
            "{out}"
        );
        assert!(out.contains("email:pending(0 tries)"), "{out}");
    }

    #[tokio::test]
    async fn a_failed_notification_shows_in_the_list_and_can_be_retried() {
        let (store, id) = hostile_store().await;
        let outbox = store.claim_due(i64::MAX, 1, 1000).await.unwrap()[0].id;
        store
            .mark_failed(outbox, "smtp: permanent error (550)")
            .await
            .unwrap();
        assert!(
            output(
                &store,
                Action::List {
                    spam: false,
                    all: false
                }
            )
            .await
            .contains("email:FAILED(1 tries, see show)")
        );
        assert!(store.claim_due(i64::MAX, 1, 1000).await.unwrap().is_empty());
        assert!(
            output(&store, Action::Retry { id: id.clone() })
                .await
                .starts_with("Requeued 1 failed notification(s)")
        );
        assert_eq!(
            store.claim_due(i64::MAX, 1, 1000).await.unwrap()[0].id,
            outbox
        );
        assert!(
            output(&store, Action::Retry { id: id.clone() })
                .await
                .contains("has no failed notifications")
        );
        let mut out = Vec::new();
        assert!(
            run(&store, Action::Retry { id: "nope".into() }, &[], &mut out)
                .await
                .unwrap_err()
                .to_string()
                .contains("no submission nope")
        );
    }

    #[tokio::test]
    async fn show_and_json_export_escape_in_json_and_keep_the_value() {
        let (store, id) = hostile_store().await;
        let stored = store.get(&id).await.unwrap().unwrap();
        let show = output(&store, Action::Show { id: id.clone() }).await;
        assert_printable(&show.replace('\n', ""));
        let back: serde_json::Value = serde_json::from_str(&show).unwrap();
        assert_eq!(
            back["name"],
            stored.name.as_str(),
            "the same value, written safely"
        );
        assert_eq!(back["company"], stored.company.as_deref().unwrap());
        assert!(show.contains(r#""Ada\u202eecalovoL\b\b""#), "{show}");
        let export = output(
            &store,
            Action::Export {
                format: Format::Json,
                spam: false,
            },
        )
        .await;
        assert_printable(&export.replace('\n', ""));
        let back: serde_json::Value = serde_json::from_str(&export).unwrap();
        assert_eq!(back[0]["message"], stored.message.as_str());
    }

    #[tokio::test]
    async fn csv_export_escapes_hidden_characters_and_keeps_line_breaks() {
        let (store, _) = hostile_store().await;
        let csv = output(
            &store,
            Action::Export {
                format: Format::Csv,
                spam: false,
            },
        )
        .await;
        assert_printable(&csv);
        assert!(csv.contains(",Ada\\u{202e}ecalovoL\\u{8}\\u{8},ada@example.com\\u{1b}[2J,Acme\\u{1b}]0;pwned\\u{7}\\u{9b}31m,"), "{csv}");
        assert!(
            csv.contains("\"Hello\r\nfake line\\u{d}over it\\u{7f}\n\tbye\\u{2066}\""),
            "{csv}"
        );
    }

    #[tokio::test]
    async fn the_partner_and_source_show_in_list_show_and_both_exports() {
        let store = Store::open_sqlite_in_memory().unwrap();
        for (hash, partner) in [("a", Some("https://partner.example")), ("b", None)] {
            let req = ContactRequest {
                name: "Ada".into(),
                email: "ada@example.com".into(),
                message: "Hello there, we need help.".into(),
                consent: true,
                source: partner.map(|_| "spring-2027".into()),
                ..Default::default()
            };
            store
                .insert(NewSubmission {
                    request: &req,
                    judgement: Judgement::CLEAN,
                    idempotency_key: None,
                    request_hash: hash,
                    channels: &[],
                    now_ms: 1,
                    duplicate_since_ms: 1,
                    partner_origin: partner,
                })
                .await
                .unwrap();
        }
        let list = output(
            &store,
            Action::List {
                spam: false,
                all: false,
            },
        )
        .await;
        assert_eq!(
            list.matches("  via https://partner.example  source spring-2027")
                .count(),
            1,
            "{list}"
        );
        let csv = output(
            &store,
            Action::Export {
                format: Format::Csv,
                spam: false,
            },
        )
        .await;
        let mut lines = csv.lines();
        assert!(
            lines
                .next()
                .unwrap()
                .ends_with(",handled_at,partner_origin,source,verdict,reasons"),
            "{csv}"
        );
        let cells: Vec<Vec<&str>> = lines
            .map(|l| l.rsplit(',').skip(2).take(2).collect())
            .collect();
        assert_eq!(cells.len(), 2, "{csv}");
        assert!(
            cells.contains(&vec!["spring-2027", "https://partner.example"])
                && cells.contains(&vec!["", ""]),
            "{csv}"
        );
        let json = output(
            &store,
            Action::Export {
                format: Format::Json,
                spam: false,
            },
        )
        .await;
        let json: serde_json::Value = serde_json::from_str(&json).unwrap();
        let partners: Vec<&serde_json::Value> = json
            .as_array()
            .unwrap()
            .iter()
            .map(|s| &s["partner_origin"])
            .collect();
        assert!(
            partners.contains(&&serde_json::json!("https://partner.example")),
            "{json}"
        );
        assert!(partners.contains(&&serde_json::Value::Null), "{json}");
        let id = json
            .as_array()
            .unwrap()
            .iter()
            .find(|s| !s["partner_origin"].is_null())
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string();
        let show = output(&store, Action::Show { id }).await;
        assert!(
            show.contains(r#""partner_origin": "https://partner.example""#)
                && show.contains(r#""source": "spring-2027""#),
            "{show}"
        );
        assert!(
            json.as_array()
                .unwrap()
                .iter()
                .any(|s| s["source"] == "spring-2027"),
            "{json}"
        );
    }

    #[test]
    fn csv_cells_are_quoted_when_they_must_be() {
        assert_eq!(csv_cell("plain"), "plain");
        assert_eq!(csv_cell(""), "");
        assert_eq!(csv_cell("a,b"), "\"a,b\"");
        assert_eq!(csv_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_cell("two\nlines"), "\"two\nlines\"");
        assert_eq!(csv_cell("cr\rhere"), "\"cr\rhere\"");
    }

    #[test]
    fn csv_cells_never_start_a_formula() {
        for lead in ['=', '+', '-', '@', '\t', '＝', '＋', '－', '＠'] {
            let cell = format!("{lead}1+1");
            assert_eq!(csv_cell(&cell), format!("'{cell}"), "{cell:?}");
        }
        assert_eq!(
            csv_cell("\rx"),
            "\"'\rx\"",
            "neutralised, then quoted for the CR"
        );
        assert_eq!(csv_cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(
            csv_cell("1+1="),
            "1+1=",
            "only a leading sign starts a formula"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn migrate_copies_a_sqlite_database_into_postgres_once() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("keel.db");
        let sqlite = Store::open(&file, 1).await.unwrap();
        let req = ContactRequest {
            name: "Åsa".into(),
            email: "asa@example.dk".into(),
            company: Some("Nørd ApS".into()),
            message: "Moving house, with the furniture.".into(),
            consent: true,
            ..Default::default()
        };
        let mut ids = Vec::new();
        for (n, (spam, key)) in [(false, Some("k")), (false, None), (true, None)]
            .into_iter()
            .enumerate()
        {
            let hash = format!("h{n}");
            let Inserted::New(id) = sqlite
                .insert(NewSubmission {
                    request: &req,
                    judgement: if spam {
                        Judgement::SPAM
                    } else {
                        Judgement::CLEAN
                    },
                    idempotency_key: key,
                    request_hash: &hash,
                    channels: &[Channel::Email, Channel::Webhook],
                    now_ms: 1000 + n as i64,
                    duplicate_since_ms: 1000 + n as i64,
                    partner_origin: None,
                })
                .await
                .unwrap()
            else {
                panic!()
            };
            ids.push(id);
        }
        let due = sqlite.claim_due(2000, 10, 1000).await.unwrap();
        sqlite.mark_failed(due[0].id, "smtp: 550").await.unwrap();
        sqlite.mark_delivered(due[1].id, 2001).await.unwrap();
        sqlite.mark_handled(&ids[1], 3000).await.unwrap();

        let pg = keel_pg_cluster::Cluster::start(keel_pg_cluster::Durability::Tests).unwrap();
        let url = pg.create_db("moved").unwrap();
        let to = Path::new(&url);
        let mut out = Vec::new();
        migrate(&file, to, 2, &mut out).await.unwrap();
        let said = String::from_utf8(out).unwrap();
        assert!(
            said.starts_with("Copied 3 of 3 submissions from SQLite"),
            "{said}"
        );
        assert!(
            said.contains("to PostgreSQL postgres://keel@127.0.0.1:"),
            "{said}"
        );

        let target = Store::open(to, 2).await.unwrap();
        let moved = target.export().await.unwrap();
        assert_eq!(
            moved,
            sqlite.export().await.unwrap(),
            "every field and delivery state"
        );
        assert_eq!(moved.len(), 3);
        assert!(moved[2].submission.spam && moved[1].submission.handled_at == Some(3000));
        assert!(
            matches!(target.replay("k", "h0").await.unwrap(), Some(Inserted::Replayed(id)) if id == ids[0]),
            "an idempotency key keeps its answer"
        );
        assert_eq!(target.count().await.unwrap(), 3);
        // The operator's commands work on PostgreSQL as on SQLite.
        let list = output(
            &target,
            Action::List {
                spam: true,
                all: true,
            },
        )
        .await;
        assert_eq!(list.lines().count(), 3, "{list}");
        assert!(list.contains("email:FAILED(1 tries, see show)"), "{list}");
        assert!(list.lines().nth(1).unwrap().ends_with("handled"), "{list}");
        output(&target, Action::Retry { id: ids[0].clone() }).await;
        output(&target, Action::Delete { id: ids[2].clone() }).await;
        assert_eq!(target.count().await.unwrap(), 2);
        assert!(target.get(&ids[2]).await.unwrap().is_none());

        let mut again = Vec::new();
        migrate(&file, to, 2, &mut again).await.unwrap();
        let said = String::from_utf8(again).unwrap();
        assert!(
            said.starts_with("Copied 1 of 3") && said.contains("(2 were already there)"),
            "{said}"
        );
        assert_eq!(
            target.count().await.unwrap(),
            3,
            "only the deleted one again, nothing twice"
        );

        let missing = dir.path().join("nope.db");
        let err = migrate(&missing, to, 2, &mut Vec::new()).await.unwrap_err();
        assert!(err.to_string().contains("no such database file"), "{err}");
        assert!(!missing.exists(), "a mistyped --from is not created");
    }
}
