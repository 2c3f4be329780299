//! The one fixture of the HTTP tests: the site as the build writes it, and
//! the ways to speak to the server (through `tower`'s `oneshot`, or on a real
//! loopback listener, `listener`).

pub mod listener;

use std::collections::HashMap;

use axum::body::{Body, Bytes};
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use keel_server::files::SiteFiles;
use keel_server::{AppState, Config, app};
use keel_store::Store;
use tower::ServiceExt;

/// The site as the build writes it for the bundled content: its API, every
/// page of the route table rendered by the prerenderer into the repository's
/// own shells (`index.html`, `playground.html`, `embed.html`), and a wasm file. Rendered once,
/// on a thread of its own (the renderer runs its own runtime).
pub fn site() -> SiteFiles {
    SiteFiles::from_map(files().clone())
}

/// `site()` with more files (path, bytes).
pub fn site_with(extra: impl IntoIterator<Item = (String, Vec<u8>)>) -> SiteFiles {
    let mut map = files().clone();
    map.extend(extra);
    SiteFiles::from_map(map)
}

fn files() -> &'static HashMap<String, Vec<u8>> {
    static FILES: std::sync::OnceLock<HashMap<String, Vec<u8>>> = std::sync::OnceLock::new();
    FILES.get_or_init(|| std::thread::spawn(rendered_site).join().unwrap())
}

fn rendered_site() -> HashMap<String, Vec<u8>> {
    let out =
        keel_content::fs::compile_bundled(&Default::default()).unwrap_or_else(|e| panic!("{e}"));
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let shell = |f: &str| std::fs::read_to_string(root.join(f)).unwrap();
    let shells = keel_prerender::Shells {
        site: shell("index.html"),
        playground: shell("playground.html"),
        embed: shell("embed.html"),
    };
    let pages = keel_prerender::render_site(&shells, &out.files).unwrap_or_else(|e| panic!("{e}"));
    let mut map: HashMap<String, Vec<u8>> = out.files.into_iter().collect();
    map.extend(
        pages
            .into_iter()
            .map(|p| (format!("/{}", p.file), p.html.into_bytes())),
    );
    // What trunk and the build add, as stand-ins: the wasm and its glue,
    // the partner loader, an asset.
    map.insert(WASM.into(), vec![0, 97, 115, 109]);
    map.insert(GLUE.into(), b"export default 1;".to_vec());
    map.insert("/embed/v1.js".into(), b"(()=>{})();".to_vec());
    map.insert("/assets/favicon.svg".into(), b"<svg/>".to_vec());
    map
}

/// The stand-in wasm and its glue in `site()`.
pub const WASM: &str = "/keel-0123456789abcdef_bg.wasm";
pub const GLUE: &str = "/keel-0123456789abcdef.js";

/// The slug of an article `site()` has (the bundled content's first).
pub fn an_article() -> String {
    let mut slugs: Vec<String> = files()
        .keys()
        .filter_map(|p| keel_model::paths::article_slug(p).map(str::to_string))
        .collect();
    slugs.sort();
    slugs
        .into_iter()
        .next()
        .expect("the bundled content has articles")
}

pub struct Harness {
    pub state: AppState,
    _dir: tempfile::TempDir,
}

pub async fn harness(config: Config) -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("keel.db"), 1).await.unwrap();
    Harness {
        state: AppState::new(config, site(), store),
        _dir: dir,
    }
}

impl Harness {
    /// The stored submission a 201 answer names.
    pub async fn stored(&self, answer: &serde_json::Value) -> keel_store::Submission {
        let id = answer["id"]
            .as_str()
            .unwrap_or_else(|| panic!("no id in {answer}"));
        self.state
            .store
            .get(id)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("{id} is not stored"))
    }

    pub async fn send(&self, req: Request<Body>) -> (StatusCode, axum::http::HeaderMap, Bytes) {
        let res = app(self.state.clone()).oneshot(req).await.unwrap();
        let (parts, body) = res.into_parts();
        (
            parts.status,
            parts.headers,
            body.collect().await.unwrap().to_bytes(),
        )
    }

    pub async fn get(&self, path: &str) -> (StatusCode, axum::http::HeaderMap, Bytes) {
        self.send(Request::get(path).body(Body::empty()).unwrap())
            .await
    }

    pub async fn post_json(
        &self,
        body: &str,
        key: Option<&str>,
    ) -> (StatusCode, axum::http::HeaderMap, serde_json::Value) {
        let mut req =
            Request::post("/api/v1/contact").header(header::CONTENT_TYPE, "application/json");
        if let Some(k) = key {
            req = req.header("idempotency-key", k);
        }
        let (s, h, b) = self
            .send(req.body(Body::from(body.to_string())).unwrap())
            .await;
        (
            s,
            h,
            serde_json::from_slice(&b).unwrap_or(serde_json::Value::Null),
        )
    }
}

pub fn json(b: &Bytes) -> serde_json::Value {
    serde_json::from_slice(b)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(b)))
}

pub const VALID: &str = r#"{"name":"Åsa Nørgaard","email":"asa@example.dk","company":null,"budget":"not_sure","message":"We need help scaling our Postgres cluster.","consent":true}"#;
