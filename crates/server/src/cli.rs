//! The operator's CLI: `keel-server submissions …` reads and manages the
//! contact submissions in the database a running server writes to.
//!
//! Each command writes to `out`, so tests run them against a real store and
//! read what an operator would see.

use std::io::Write;

use anyhow::bail;
use clap::{Subcommand, ValueEnum};
use keel_server::store::{DeliveryState, ListFilter, Store, Submission};

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
    /// Erase a submission (privacy requests). Cannot be undone.
    Delete { id: String },
}

#[derive(Clone, Copy, ValueEnum)]
pub enum Format {
    Json,
    Csv,
}

pub fn run(store: &Store, action: Action, out: &mut impl Write) -> anyhow::Result<()> {
    match action {
        Action::List { spam, all } => {
            let list = store.list(ListFilter { include_spam: spam, include_handled: all })?;
            if list.is_empty() {
                writeln!(out, "No submissions.")?;
            }
            for s in list {
                let state = delivery_summary(&s);
                writeln!(
                    out,
                    "{}  {}  {} <{}>  {}{}",
                    s.id,
                    date(s.created_at),
                    s.name,
                    s.email,
                    state,
                    if s.handled_at.is_some() { "  handled" } else { "" }
                )?;
            }
        }
        Action::Show { id } => {
            let Some(s) = store.get(&id)? else { bail!("no submission {id}") };
            writeln!(out, "{}", serde_json::to_string_pretty(&s)?)?;
        }
        Action::Export { format, spam } => {
            let list = store.list(ListFilter { include_spam: spam, include_handled: true })?;
            match format {
                Format::Json => writeln!(out, "{}", serde_json::to_string_pretty(&list)?)?,
                Format::Csv => write_csv(out, &list)?,
            }
        }
        Action::Handle { id } => {
            if !store.mark_handled(&id, keel_server::now_ms())? {
                bail!("no submission {id}");
            }
            writeln!(out, "Marked {id} handled.")?;
        }
        Action::Delete { id } => {
            if !store.delete(&id)? {
                bail!("no submission {id}");
            }
            writeln!(out, "Deleted {id} and its delivery records.")?;
        }
    }
    Ok(())
}

fn delivery_summary(s: &Submission) -> String {
    if s.spam {
        return "spam".into();
    }
    if s.deliveries.is_empty() {
        return "no notification configured".into();
    }
    s.deliveries
        .iter()
        .map(|d| match d.state {
            DeliveryState::Delivered => format!("{}:delivered", d.channel),
            DeliveryState::Pending => format!("{}:pending({} tries)", d.channel, d.attempts),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn date(ms: i64) -> String {
    let t = std::time::UNIX_EPOCH + std::time::Duration::from_millis(ms.max(0) as u64);
    httpdate::fmt_http_date(t)
}

/// RFC 4180 CSV; cells that a spreadsheet would run as a formula get a leading
/// apostrophe (CSV injection).
fn write_csv(out: &mut impl Write, list: &[Submission]) -> anyhow::Result<()> {
    writeln!(out, "id,created_at,name,email,company,budget,message,consent,spam,handled_at")?;
    for s in list {
        let cells = [
            s.id.clone(),
            s.created_at.to_string(),
            s.name.clone(),
            s.email.clone(),
            s.company.clone().unwrap_or_default(),
            s.budget.clone().unwrap_or_default(),
            s.message.clone(),
            s.consent.to_string(),
            s.spam.to_string(),
            s.handled_at.map(|h| h.to_string()).unwrap_or_default(),
        ];
        let row: Vec<String> = cells.iter().map(|c| csv_cell(c)).collect();
        writeln!(out, "{}", row.join(","))?;
    }
    Ok(())
}

fn csv_cell(c: &str) -> String {
    let c = if c.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{c}") } else { c.to_string() };
    if c.contains([',', '"', '\n', '\r']) { format!("\"{}\"", c.replace('"', "\"\"")) } else { c }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        for lead in ['=', '+', '-', '@', '\t'] {
            let cell = format!("{lead}1+1");
            assert_eq!(csv_cell(&cell), format!("'{cell}"), "{cell:?}");
        }
        assert_eq!(csv_cell("\rx"), "\"'\rx\"", "neutralised, then quoted for the CR");
        assert_eq!(csv_cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_cell("1+1="), "1+1=", "only a leading sign starts a formula");
    }
}
