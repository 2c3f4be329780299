//! The store's behaviour, one suite run against every backend (`sqlite`
//! here; `postgres` in its module against a real server).

use keel_model::contact::ContactRequest;

use crate::*;
use keel_pg_cluster::{Cluster, Durability};

pub(crate) fn req() -> ContactRequest {
    ContactRequest {
        name: "Ada".into(),
        email: "ada@example.com".into(),
        message: "Hello there, we need help.".into(),
        consent: true,
        ..Default::default()
    }
}

/// `request`, clean, without a key or a partner, sent at `now_ms`: the
/// submission the checks start from (and change what they are about).
fn submission<'a>(
    request: &'a ContactRequest,
    hash: &'a str,
    channels: &'a [Channel],
    now_ms: i64,
) -> NewSubmission<'a> {
    NewSubmission {
        request,
        judgement: Judgement::CLEAN,
        idempotency_key: None,
        request_hash: hash,
        channels,
        now_ms,
        duplicate_since_ms: now_ms,
        partner_origin: None,
    }
}

/// The id `new` is stored under (it must be new).
async fn stored(s: &Store, new: NewSubmission<'_>) -> String {
    match s.insert(new).await.unwrap() {
        Inserted::New(id) => id,
        other => panic!("{other:?}"),
    }
}

async fn insert(
    s: &Store,
    spam: bool,
    key: Option<&str>,
    hash: &str,
    channels: &[Channel],
    now_ms: i64,
) -> Inserted {
    s.insert(NewSubmission {
        judgement: if spam {
            Judgement::SPAM
        } else {
            Judgement::CLEAN
        },
        idempotency_key: key,
        ..submission(&req(), hash, channels, now_ms)
    })
    .await
    .unwrap()
}

async fn new_id(s: &Store, hash: &str, channels: &[Channel], now_ms: i64) -> String {
    stored(s, submission(&req(), hash, channels, now_ms)).await
}

/// `req()` from another address, with another message when given.
fn from(email: &str, message: Option<&str>) -> ContactRequest {
    ContactRequest {
        email: email.into(),
        message: message.map_or_else(|| req().message, str::to_string),
        ..req()
    }
}

/// Every check, each on a fresh store from `fresh`.
pub(crate) async fn run<F: std::future::Future<Output = Store>>(fresh: impl Fn() -> F) {
    insert_list_handle_delete(fresh().await).await;
    idempotency_key_replays_and_detects_reuse(fresh().await).await;
    a_double_submit_without_key_stores_one_row(fresh().await).await;
    spam_gets_no_outbox_rows(fresh().await).await;
    failed_delivery_backs_off(fresh().await).await;
    a_permanent_failure_is_not_retried_until_requeued(fresh().await).await;
    a_claimed_row_is_not_claimed_again_until_its_lease_ends(fresh().await).await;
    the_partner_and_source_are_stored_listed_and_exported(fresh().await, fresh().await).await;
    forget_and_retention_erase_what_they_name(fresh().await).await;
    verdicts_are_stored_and_staff_can_move_them(fresh().await).await;
    a_challenge_is_used_once_and_a_setting_is_set_once(fresh().await).await;
}

async fn a_challenge_is_used_once_and_a_setting_is_set_once(s: Store) {
    assert!(s.use_challenge("c1", 100, 10).await.unwrap());
    assert!(!s.use_challenge("c1", 100, 20).await.unwrap(), "once only");
    assert!(s.use_challenge("c2", 100, 20).await.unwrap());
    // Past its expiry it is forgotten (a solution then fails on its expiry).
    assert!(s.use_challenge("c1", 300, 200).await.unwrap());
    assert_eq!(s.setting("key", "first").await.unwrap(), "first");
    assert_eq!(
        s.setting("key", "second").await.unwrap(),
        "first",
        "the first stays"
    );
}

/// A verdict and its reasons read back; spam is queued to no one until staff
/// say it is not spam; a message sent by several senders is counted.
async fn verdicts_are_stored_and_staff_can_move_them(s: Store) {
    let both = &[Channel::Webhook, Channel::Email];
    let add = |email: &'static str, message: &'static str, judgement: Judgement, at: i64| {
        let s = s.clone();
        async move {
            let hash = format!("{email}{at}");
            let request = from(email, Some(message));
            let new = submission(&request, &hash, both, at);
            stored(&s, NewSubmission { judgement, ..new }).await
        }
    };
    let review = Judgement {
        verdict: Verdict::Review,
        reasons: "sent without the page's script".into(),
    };
    let spam = Judgement {
        verdict: Verdict::Spam,
        reasons: "the hidden field was filled in".into(),
    };
    let r = add("a@example.com", "Buy cheap pills now", review, 10).await;
    let x = add("b@example.com", "buy  CHEAP pills now", spam, 20).await;
    add(
        "c@example.com",
        "Something else entirely",
        Judgement::CLEAN,
        30,
    )
    .await;
    // (verdict, spam, notifications) of a submission.
    let state = |id: String| {
        let s = s.clone();
        async move {
            let got = s.get(&id).await.unwrap().unwrap();
            (got.verdict, got.spam, got.deliveries.len())
        }
    };
    let got = s.get(&r).await.unwrap().unwrap();
    assert_eq!(
        got.reasons.as_deref(),
        Some("sent without the page's script")
    );
    assert_eq!(
        state(r.clone()).await,
        (Verdict::Review, false, 2),
        "review is notified"
    );
    assert_eq!(state(x.clone()).await, (Verdict::Spam, true, 0));
    // The same message, whatever its case and spacing, from two others.
    let elsewhere = |message: &'static str, email: &'static str, since: i64| {
        let s = s.clone();
        async move {
            s.same_message_elsewhere(message, email, since)
                .await
                .unwrap()
        }
    };
    assert_eq!(
        elsewhere("BUY cheap pills now ", "d@example.com", 0).await,
        2
    );
    assert_eq!(
        elsewhere("Buy cheap pills now", "A@example.com", 0).await,
        1,
        "not counting the sender"
    );
    assert_eq!(
        elsewhere("Buy cheap pills now", "d@example.com", 15).await,
        1,
        "only since"
    );
    // Staff: not spam queues its notifications (once), spam drops pending ones.
    let set = |id: String, verdict: Verdict, channels: &'static [Channel]| {
        let s = s.clone();
        async move { s.set_verdict(&id, verdict, channels, 40).await.unwrap() }
    };
    assert_eq!(
        set(x.clone(), Verdict::Clean, &[Channel::Webhook]).await,
        Some(1)
    );
    assert_eq!(
        set(x.clone(), Verdict::Clean, &[Channel::Webhook]).await,
        Some(0)
    );
    assert_eq!(state(x.clone()).await, (Verdict::Clean, false, 1));
    assert_eq!(set(r.clone(), Verdict::Spam, &[]).await, Some(0));
    assert_eq!(state(r.clone()).await, (Verdict::Spam, true, 0));
    assert_eq!(set("nope".into(), Verdict::Spam, &[]).await, None);
    // An export carries the verdict and reasons (and an import, the
    // partner test above shows, takes a record whole).
    let records = s.export().await.unwrap();
    let exported = &records
        .iter()
        .find(|e| e.submission.id == r)
        .unwrap()
        .submission;
    assert_eq!(
        (exported.verdict, exported.reasons.as_deref()),
        (Verdict::Spam, Some("set by staff"))
    );
}

/// `forget` erases every request of one address (any case, any spaces),
/// `erase_before` every request older than its cutoff; each with its
/// notifications, and nothing else.
async fn forget_and_retention_erase_what_they_name(s: Store) {
    let add = |email: &'static str, hash: &'static str, at: i64| {
        let s = s.clone();
        async move {
            stored(
                &s,
                submission(&from(email, None), hash, &[Channel::Webhook], at),
            )
            .await
        }
    };
    add("ada@example.com", "a1", 10).await;
    add(" ADA@Example.com", "a2", 20).await;
    let bob = add("bob@example.com", "b", 30).await;
    let carl = add("carl@example.com", "c", 40).await;
    assert_eq!(s.forget("Ada@example.COM ").await.unwrap(), 2);
    assert_eq!(s.forget("ada@example.com").await.unwrap(), 0, "once");
    let left = || {
        let s = s.clone();
        async move {
            let all = s.export().await.unwrap();
            all.into_iter().map(|r| r.submission.id).collect::<Vec<_>>()
        }
    };
    assert_eq!(left().await, [bob.clone(), carl.clone()]);
    let due: Vec<String> = s
        .claim_due(100, 10, CLAIM_LEASE_MS)
        .await
        .unwrap()
        .into_iter()
        .map(|o| o.submission.id)
        .collect();
    assert_eq!(
        due.len(),
        2,
        "the erased requests' notifications went with them: {due:?}"
    );
    assert_eq!(s.erase_before(40).await.unwrap(), 1, "bob's, older than 40");
    assert_eq!(left().await, [carl]);
}

/// The partner's origin and the source its page named, on every way out.
async fn the_partner_and_source_are_stored_listed_and_exported(s: Store, other: Store) {
    let partner = Some("https://partner.example");
    let source = Some("spring-2027:newsletter");
    let request = ContactRequest {
        source: source.map(str::to_string),
        ..req()
    };
    let new = submission(&request, "p", &[Channel::Webhook], 1);
    let from_partner = stored(
        &s,
        NewSubmission {
            partner_origin: partner,
            ..new
        },
    )
    .await;
    let own = new_id(&s, "o", &[], 2).await;
    let got = s.get(&from_partner).await.unwrap().unwrap();
    let both = |x: &Submission| (x.partner_origin.clone(), x.source.clone());
    let expected = (partner.map(str::to_string), source.map(str::to_string));
    assert_eq!(both(&got), expected);
    assert_eq!(both(&s.get(&own).await.unwrap().unwrap()), (None, None));
    let listed = s.list(ListFilter::default()).await.unwrap();
    assert_eq!(listed.iter().find(|x| x.id == from_partner).unwrap(), &got);
    let claimed = s.claim_due(10, 10, CLAIM_LEASE_MS).await.unwrap();
    assert_eq!(
        both(&claimed[0].submission),
        expected,
        "the notification worker sees them"
    );
    let records = s.export().await.unwrap();
    assert_eq!(both(&records[0].submission), expected);
    assert_eq!(other.import(records).await.unwrap(), 2);
    let imported = other.get(&from_partner).await.unwrap().unwrap();
    assert_eq!(both(&imported), expected, "an import keeps them");
}

async fn insert_list_handle_delete(s: Store) {
    let id = new_id(&s, "h", &[Channel::Email], 1).await;
    let all = s.list(ListFilter::default()).await.unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].name, "Ada");
    assert_eq!(all[0].deliveries[0].state, DeliveryState::Pending);
    assert_eq!(all[0].deliveries[0].channel, Channel::Email);
    assert_eq!(s.get(&id).await.unwrap().unwrap(), all[0]);
    assert!(s.mark_handled(&id, 2).await.unwrap());
    assert!(!s.mark_handled("nope", 2).await.unwrap());
    assert!(s.list(ListFilter::default()).await.unwrap().is_empty());
    let handled = s
        .list(ListFilter {
            include_handled: true,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(handled[0].handled_at, Some(2));
    assert!(s.delete(&id).await.unwrap());
    assert!(!s.delete(&id).await.unwrap());
    assert_eq!(s.count().await.unwrap(), 0);
    assert!(
        s.claim_due(10, 10, CLAIM_LEASE_MS)
            .await
            .unwrap()
            .is_empty(),
        "outbox rows go with their submission"
    );
}

async fn idempotency_key_replays_and_detects_reuse(s: Store) {
    let Inserted::New(id) = insert(&s, false, Some("k"), "h1", &[], 1).await else {
        panic!()
    };
    let Inserted::Replayed(again) = insert(&s, false, Some("k"), "h1", &[], 2).await else {
        panic!()
    };
    assert_eq!(id, again);
    assert!(matches!(
        s.replay("k", "h1").await.unwrap(),
        Some(Inserted::Replayed(i)) if i == id
    ));
    assert!(matches!(
        insert(&s, false, Some("k"), "h2", &[], 3).await,
        Inserted::KeyReused
    ));
    assert!(matches!(
        s.replay("k", "h2").await.unwrap(),
        Some(Inserted::KeyReused)
    ));
    assert!(s.replay("other", "h1").await.unwrap().is_none());
    assert_eq!(s.count().await.unwrap(), 1);
}

async fn a_double_submit_without_key_stores_one_row(s: Store) {
    let first = new_id(&s, "h", &[], 100).await;
    assert_eq!(
        s.recent_duplicate("h", 50).await.unwrap(),
        Some(first.clone())
    );
    assert_eq!(
        s.recent_duplicate("h", 101).await.unwrap(),
        None,
        "outside the window"
    );
    // Inside the window: the insert itself answers with the first id.
    let again = s
        .insert(NewSubmission {
            request: &req(),
            judgement: Judgement::CLEAN,
            idempotency_key: None,
            request_hash: "h",
            channels: &[],
            now_ms: 200,
            duplicate_since_ms: 100,
            partner_origin: None,
        })
        .await
        .unwrap();
    assert!(
        matches!(again, Inserted::Replayed(ref i) if *i == first),
        "{again:?}"
    );
    // Outside it, a deliberate resend is stored.
    new_id(&s, "h", &[], 300).await;
    assert_eq!(s.count().await.unwrap(), 2);
}

async fn spam_gets_no_outbox_rows(s: Store) {
    insert(&s, true, None, "h", &[Channel::Email, Channel::Webhook], 1).await;
    assert!(
        s.claim_due(10, 10, CLAIM_LEASE_MS)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(s.list(ListFilter::default()).await.unwrap().is_empty());
    let spam = s
        .list(ListFilter {
            include_spam: true,
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(spam[0].spam && spam[0].deliveries.is_empty());
}

async fn failed_delivery_backs_off(s: Store) {
    new_id(&s, "h", &[Channel::Webhook], 1).await;
    let item = &s.claim_due(1, 10, CLAIM_LEASE_MS).await.unwrap()[0];
    assert_eq!(item.submission.name, "Ada");
    s.mark_for_retry(item.id, "connection refused", 100)
        .await
        .unwrap();
    assert!(
        s.claim_due(50, 10, CLAIM_LEASE_MS)
            .await
            .unwrap()
            .is_empty()
    );
    let again = &s.claim_due(100, 10, CLAIM_LEASE_MS).await.unwrap()[0];
    assert_eq!(again.attempts, 1);
    s.mark_delivered(again.id, 101).await.unwrap();
    assert!(
        s.claim_due(i64::MAX, 10, CLAIM_LEASE_MS)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(s.next_due().await.unwrap(), None);
    let d = &s.list(ListFilter::default()).await.unwrap()[0].deliveries[0];
    assert_eq!(
        (d.state, d.attempts, d.delivered_at, d.last_error.as_deref()),
        (DeliveryState::Delivered, 2, Some(101), None)
    );
}

async fn a_permanent_failure_is_not_retried_until_requeued(s: Store) {
    let id = new_id(&s, "h", &[Channel::Email, Channel::Webhook], 1).await;
    let due = s.claim_due(1, 10, CLAIM_LEASE_MS).await.unwrap();
    s.mark_failed(due[0].id, "smtp: permanent error (550): no such user")
        .await
        .unwrap();
    s.mark_for_retry(due[1].id, "webhook: connection refused", 5)
        .await
        .unwrap();
    assert_eq!(s.next_due().await.unwrap(), Some(5));
    let d = &s.get(&id).await.unwrap().unwrap().deliveries;
    assert_eq!((d[0].state, d[0].attempts), (DeliveryState::Failed, 1));
    assert_eq!(
        d[0].last_error.as_deref(),
        Some("smtp: permanent error (550): no such user")
    );
    assert_eq!(d[1].state, DeliveryState::Pending);

    assert_eq!(s.requeue_failed(&id, 7).await.unwrap(), Some(1));
    let due = s.claim_due(7, 10, CLAIM_LEASE_MS).await.unwrap();
    assert_eq!(
        due.iter().map(|o| o.channel).collect::<Vec<_>>(),
        [Channel::Webhook, Channel::Email],
        "due again, oldest due first"
    );
    assert_eq!(
        s.requeue_failed(&id, 8).await.unwrap(),
        Some(0),
        "nothing failed any more"
    );
    assert_eq!(s.requeue_failed("nope", 8).await.unwrap(), None);
}

async fn a_claimed_row_is_not_claimed_again_until_its_lease_ends(s: Store) {
    for n in 0..3 {
        new_id(&s, &format!("h{n}"), &[Channel::Webhook], 1).await;
    }
    let first = s.claim_due(10, 2, CLAIM_LEASE_MS).await.unwrap();
    assert_eq!(first.len(), 2, "the limit is kept");
    let second = s.claim_due(10, 10, CLAIM_LEASE_MS).await.unwrap();
    assert_eq!(second.len(), 1, "only the unclaimed row is left");
    assert!(first.iter().all(|a| a.id != second[0].id));
    assert!(
        s.claim_due(10 + CLAIM_LEASE_MS - 1, 10, CLAIM_LEASE_MS)
            .await
            .unwrap()
            .is_empty()
    );
    // A worker that died mid-send never settled its claim: it expires.
    let retried = s
        .claim_due(10 + CLAIM_LEASE_MS, 10, CLAIM_LEASE_MS)
        .await
        .unwrap();
    assert_eq!(retried.len(), 3);
    assert_eq!(s.next_due().await.unwrap(), Some(10 + 2 * CLAIM_LEASE_MS));
}

#[tokio::test]
async fn sqlite_in_memory() {
    run(|| async { Store::open_sqlite_in_memory().unwrap() }).await;
}

#[tokio::test]
async fn sqlite_file() {
    let dir = tempfile::tempdir().unwrap();
    let n = std::sync::atomic::AtomicUsize::new(0);
    let (dir, n) = (&dir, &n);
    run(move || async move {
        let i = n.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Store::open(&dir.path().join(format!("{i}.db")), 1)
            .await
            .unwrap()
    })
    .await;
}

/// The suite, then what only several instances can get wrong, against a
/// real PostgreSQL this test starts and stops.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres() {
    let pg = Cluster::start(Durability::Tests).unwrap();
    let n = std::sync::atomic::AtomicUsize::new(0);
    let (pg, n) = (&pg, &n);
    let fresh_url = move || async move {
        let i = n.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        pg.create_db(&format!("suite{i}")).unwrap()
    };
    run(move || async move { Store::open(Path::new(&fresh_url().await), 4).await.unwrap() }).await;

    let url = fresh_url().await;
    let a = Store::open(Path::new(&url), 8).await.unwrap();
    let b = Store::open(Path::new(&url), 8).await.unwrap();
    assert!(
        matches!(a, Store::Postgres(_)),
        "a postgres:// URL opens PostgreSQL"
    );
    two_instances_share_idempotency_keys(&a, &b).await;
    two_instances_share_the_double_submit_window(&a, &b).await;
    two_workers_never_claim_one_row(&a, &b).await;
    a_claim_passes_over_rows_another_worker_is_claiming(&url, &a).await;
    migrations_are_applied_once(&url).await;
}

async fn two_instances_share_idempotency_keys(a: &Store, b: &Store) {
    let body = req();
    for round in 0..20 {
        let key = format!("key-{round}");
        let new = NewSubmission {
            request: &body,
            judgement: Judgement::CLEAN,
            idempotency_key: Some(&key),
            request_hash: "same",
            channels: &[Channel::Webhook],
            now_ms: 1,
            duplicate_since_ms: 0,
            partner_origin: None,
        };
        let (x, y) = tokio::join!(a.insert(new.clone()), b.insert(new));
        let ids: Vec<String> = [x.unwrap(), y.unwrap()]
            .into_iter()
            .map(|i| match i {
                Inserted::New(id) | Inserted::Replayed(id) => id,
                Inserted::KeyReused => panic!("same body, same key"),
            })
            .collect();
        assert_eq!(ids[0], ids[1], "both instances answer with one id");
    }
    assert_eq!(a.count().await.unwrap(), 20);
    assert!(matches!(
        b.replay("key-3", "other").await.unwrap(),
        Some(Inserted::KeyReused)
    ));
}

async fn two_instances_share_the_double_submit_window(a: &Store, b: &Store) {
    let before = a.count().await.unwrap();
    for round in 0..20 {
        let hash = format!("body-{round}");
        let new = NewSubmission {
            request: &req(),
            judgement: Judgement::CLEAN,
            idempotency_key: None,
            request_hash: &hash,
            channels: &[],
            now_ms: 1000,
            duplicate_since_ms: 0,
            partner_origin: None,
        };
        let (x, y) = tokio::join!(a.insert(new.clone()), b.insert(new.clone()));
        let kinds = [x.unwrap(), y.unwrap()];
        assert_eq!(
            kinds
                .iter()
                .filter(|i| matches!(i, Inserted::New(_)))
                .count(),
            1,
            "one copy stored, the other answered with its id: {kinds:?}"
        );
    }
    assert_eq!(a.count().await.unwrap(), before + 20);
}

async fn two_workers_never_claim_one_row(a: &Store, b: &Store) {
    // 20 webhook rows from the idempotency test are due; claim in small batches.
    let mut seen = std::collections::HashSet::new();
    loop {
        let (x, y) = tokio::join!(
            a.claim_due(5, 3, CLAIM_LEASE_MS),
            b.claim_due(5, 3, CLAIM_LEASE_MS)
        );
        let (x, y) = (x.unwrap(), y.unwrap());
        if x.is_empty() && y.is_empty() {
            break;
        }
        for item in x.iter().chain(&y) {
            assert!(seen.insert(item.id), "outbox row {} claimed twice", item.id);
        }
    }
    assert_eq!(seen.len(), 20, "every due row was claimed once");
}

/// Deterministic where the race above is not: another worker's claim
/// holds a row lock; a claim must neither wait for it nor take that row.
async fn a_claim_passes_over_rows_another_worker_is_claiming(url: &str, a: &Store) {
    for n in 0..3 {
        new_id(a, &format!("lock-{n}"), &[Channel::Email], 100).await;
    }
    let (mut client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(conn);
    let other = client.transaction().await.unwrap();
    let locked: i64 = other
        .query_one(
            "SELECT id FROM outbox WHERE next_attempt_at = 100 ORDER BY id LIMIT 1 FOR UPDATE",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    let claimed = tokio::time::timeout(
        std::time::Duration::from_secs(5),
        a.claim_due(100, 10, CLAIM_LEASE_MS),
    )
    .await
    .expect("the claim waited for another worker's lock")
    .unwrap();
    assert_eq!(claimed.len(), 2, "the two unlocked rows");
    assert!(
        claimed.iter().all(|c| c.id != locked),
        "the locked row was taken"
    );
    other.rollback().await.unwrap();
    assert_eq!(
        a.claim_due(100, 10, CLAIM_LEASE_MS).await.unwrap()[0].id,
        locked
    );
}

async fn migrations_are_applied_once(url: &str) {
    let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(conn);
    let versions: i64 = client
        .query_one("SELECT count(*) FROM keel_migrations", &[])
        .await
        .unwrap()
        .get(0);
    let latest = crate::postgres::schema::LATEST;
    assert_eq!(
        versions,
        i64::from(latest),
        "three opens, each migration applied once"
    );
    client
        .execute("INSERT INTO keel_migrations (version) VALUES (99)", &[])
        .await
        .unwrap();
    let err = Store::open(Path::new(url), 1).await.err().unwrap();
    assert!(
        format!("{err:#}").contains(&format!(
            "schema is at version 99, newer than this server knows ({latest})"
        )),
        "{err:#}"
    );
}

#[tokio::test]
async fn a_bad_database_setting_is_named() {
    let err = |url: &'static str| async move {
        format!("{:#}", Store::open(Path::new(url), 1).await.err().unwrap())
    };
    let refused = err("postgres://keel:sekret@127.0.0.1:1/keel").await;
    assert!(
        refused.contains("cannot connect to PostgreSQL at postgres://keel@127.0.0.1:1/keel"),
        "{refused}"
    );
    assert!(
        !refused.contains("sekret"),
        "the password is never shown: {refused}"
    );
    let malformed = err("postgres://keel:sekret@127.0.0.1:port/keel").await;
    assert!(
        malformed.contains("not a valid PostgreSQL URL"),
        "{malformed}"
    );
    assert!(!malformed.contains("sekret"), "{malformed}");
    let other = err("mysql://keel@db/keel").await;
    assert!(other.contains("\"mysql://…\" is not supported"), "{other}");
}
