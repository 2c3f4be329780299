//! PostgreSQL over TLS, the matrix of `sslmode` against a real cluster: one
//! started with `ssl = on` and a certificate from a CA this test makes (for
//! `localhost` only), and one without TLS.

use std::path::Path;

use keel_pg_cluster::{Cluster, Durability};
use keel_store::Store;
use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair, KeyUsagePurpose};

struct Ca {
    cert: rcgen::Certificate,
    key: KeyPair,
}

fn ca() -> Ca {
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    Ca {
        cert: params.self_signed(&key).unwrap(),
        key,
    }
}

/// A server certificate for `host`, signed by `ca`: (chain PEM, key PEM).
fn server_cert(ca: &Ca, host: &str) -> (String, String) {
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec![host.to_string()])
        .unwrap()
        .signed_by(&key, &ca.cert, &ca.key)
        .unwrap();
    (cert.pem(), key.serialize_pem())
}

async fn open(url: &str) -> Result<Store, String> {
    Store::open(Path::new(url), 2)
        .await
        .map_err(|e| format!("{e:#}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_sslmode_connects_or_refuses_as_libpq_would() {
    let ours = ca();
    let (cert, key) = server_cert(&ours, "localhost");
    let tls = Cluster::start_tls(Durability::Tests, &cert, &key).unwrap();
    let plain = Cluster::start(Durability::Tests).unwrap();
    let files = tempfile::tempdir().unwrap();
    let ca_file = files.path().join("ca.pem");
    std::fs::write(&ca_file, ours.cert.pem()).unwrap();
    let other_ca_file = files.path().join("other-ca.pem");
    std::fs::write(&other_ca_file, ca().cert.pem()).unwrap();
    let root = |f: &Path| format!("sslrootcert={}", f.display());

    let mut matrix = Vec::new();
    let mut case = |what: &str, ok: bool, says: &str, got: Result<Store, String>| {
        match (&got, ok) {
            (Ok(_), true) => {}
            (Err(e), false) => assert!(e.contains(says), "{what}: {e}"),
            (Ok(_), false) => panic!("{what}: connected, and should not have"),
            (Err(e), true) => panic!("{what}: {e}"),
        }
        matrix.push(format!(
            "{what}: {}",
            match got {
                Ok(_) => "connects".to_string(),
                Err(e) => format!("refused ({})", e.lines().next().unwrap_or_default()),
            }
        ));
    };

    tls.create_db("keel").unwrap();
    let url = format!(
        "{}?sslmode=verify-full&{}",
        tls.url_at("localhost", "keel"),
        root(&ca_file)
    );
    case(
        "verify-full, our CA, the certificate's host",
        true,
        "",
        open(&url).await,
    );
    let url = format!(
        "{}?sslmode=verify-full&{}",
        tls.url_at("127.0.0.1", "keel"),
        root(&ca_file)
    );
    case(
        "verify-full, our CA, another host name",
        false,
        "certificate",
        open(&url).await,
    );
    let url = format!(
        "{}?sslmode=verify-full&{}",
        tls.url_at("localhost", "keel"),
        root(&other_ca_file)
    );
    case(
        "verify-full, an unknown CA",
        false,
        "certificate",
        open(&url).await,
    );
    let url = format!("{}?sslmode=verify-full", tls.url_at("localhost", "keel"));
    case(
        "verify-full, the public CAs only",
        false,
        "certificate",
        open(&url).await,
    );
    let url = format!(
        "{}?sslmode=verify-ca&{}",
        tls.url_at("127.0.0.1", "keel"),
        root(&ca_file)
    );
    case(
        "verify-ca, our CA, another host name",
        true,
        "",
        open(&url).await,
    );
    let url = format!(
        "{}?sslmode=verify-ca&{}",
        tls.url_at("127.0.0.1", "keel"),
        root(&other_ca_file)
    );
    case(
        "verify-ca, an unknown CA",
        false,
        "certificate",
        open(&url).await,
    );
    let url = format!("{}?sslmode=require", tls.url_at("127.0.0.1", "keel"));
    case("require, TLS offered", true, "", open(&url).await);

    plain.create_db("keel").unwrap();
    let url = format!("{}?sslmode=require", plain.url("keel"));
    case("require, no TLS offered", false, "TLS", open(&url).await);
    let url = format!(
        "{}?sslmode=verify-full&{}",
        plain.url_at("localhost", "keel"),
        root(&ca_file)
    );
    case(
        "verify-full, no TLS offered",
        false,
        "TLS",
        open(&url).await,
    );
    let url = format!("{}?sslmode=prefer", plain.url("keel"));
    case("prefer, no TLS offered", true, "", open(&url).await);
    let url = format!(
        "{}?sslmode=verify-full&sslrootcert=/no/such/ca.pem",
        tls.url_at("localhost", "keel")
    );
    case(
        "a CA file that is not there",
        false,
        "/no/such/ca.pem",
        open(&url).await,
    );
    eprintln!("TLS to PostgreSQL, as tested:\n  {}", matrix.join("\n  "));
}
