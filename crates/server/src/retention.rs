//! The retention sweep (`retention_days`): once at start and then every day,
//! each instance erases the requests older than the setting, with their
//! notifications (`Store::erase_before`, which on SQLite also clears them
//! from the files). Several instances sweeping at once erase each row once.
//! The log says how many, never whose.

use std::time::Duration;

use keel_store::Store;

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// Erase what is older than `days` at `now_ms`; how many were erased.
pub async fn sweep(store: &Store, days: u32, now_ms: i64) -> anyhow::Result<usize> {
    let erased = store
        .erase_before(now_ms - i64::from(days) * DAY_MS)
        .await?;
    if erased > 0 {
        tracing::info!(erased, days, "erased requests past the retention period");
    }
    Ok(erased)
}

/// Sweep now and every day after, until the process ends. A failed sweep
/// (the database away) is logged and tried again an hour later.
pub async fn run(store: Store, days: u32) {
    loop {
        let wait = match sweep(&store, days, crate::now_ms()).await {
            Ok(_) => Duration::from_millis(DAY_MS as u64),
            Err(e) => {
                tracing::error!(error = %format!("{e:#}"), "the retention sweep failed; trying again in an hour");
                Duration::from_secs(3600)
            }
        };
        tokio::time::sleep(wait).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use keel_model::contact::ContactRequest;
    use keel_store::{Inserted, Judgement, NewSubmission};

    #[tokio::test]
    async fn a_sweep_erases_what_is_older_than_the_setting_and_no_more() {
        let store = Store::open_sqlite_in_memory().unwrap();
        let now = 1_000 * DAY_MS;
        let mut ids = Vec::new();
        for (i, age_days) in [400, 31, 29, 0].into_iter().enumerate() {
            let request = ContactRequest {
                name: format!("Visitor {i}"),
                ..ContactRequest::default()
            };
            let at = now - age_days * DAY_MS;
            let Inserted::New(id) = store
                .insert(NewSubmission {
                    request: &request,
                    judgement: Judgement::CLEAN,
                    idempotency_key: None,
                    request_hash: &i.to_string(),
                    channels: &[],
                    now_ms: at,
                    duplicate_since_ms: at,
                    partner_origin: None,
                })
                .await
                .unwrap()
            else {
                panic!()
            };
            ids.push(id);
        }
        assert_eq!(sweep(&store, 30, now).await.unwrap(), 2);
        assert_eq!(sweep(&store, 30, now).await.unwrap(), 0, "once");
        let left: Vec<String> = store
            .export()
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.submission.id)
            .collect();
        assert_eq!(left, ids[2..]);
    }
}
