//! The compiled API validates against the contract in docs/openapi.json, file
//! by file. A change to a model type that the contract does not describe (a
//! new field, a renamed variant, a type change) fails here.

use keel_content::Options;
use serde_json::{Value, json};

fn contract() -> Value {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/openapi.json"
    ))
    .unwrap();
    serde_json::from_str(&text).expect("docs/openapi.json is JSON")
}

/// A validator for one schema of the contract: the whole document as the
/// root (so `#/components/...` references resolve), pointing at `schema`.
fn validator(doc: &Value, schema: Value) -> jsonschema::Validator {
    let mut root = doc.clone();
    root["$schema"] = json!("https://json-schema.org/draft/2020-12/schema");
    let obj = root.as_object_mut().unwrap();
    for (k, v) in schema.as_object().unwrap() {
        obj.insert(k.clone(), v.clone());
    }
    jsonschema::validator_for(&root).expect("the contract is a valid schema")
}

fn schema_for(path: &str) -> Value {
    let r = |name: &str| json!({ "$ref": format!("#/components/schemas/{name}") });
    match path {
        "/api/v1/site.json" => r("Site"),
        "/api/v1/search/meta.json" => r("SearchMeta"),
        p if p.starts_with("/api/v1/search/shard/") => r("SearchShard"),
        p if p.starts_with("/api/v1/search/doc/") => r("ArticleSummary"),
        "/api/v1/tags.json" => {
            json!({ "type": "array", "items": { "$ref": "#/components/schemas/TagCount" } })
        }
        p if p.starts_with("/api/v1/articles/page/") || p.starts_with("/api/v1/tags/") => {
            r("ArticlePage")
        }
        p if p.starts_with("/api/v1/articles/") => r("Article"),
        other => panic!("{other} is not described in docs/openapi.json"),
    }
}

fn bundled() -> keel_content::Output {
    keel_content::fs::compile_bundled(&Options::default()).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn every_api_file_validates_against_the_contract() {
    let doc = contract();
    let out = bundled();
    let mut checked = 0;
    for (path, bytes) in &out.files {
        if !path.starts_with("/api/") {
            continue;
        }
        let value: Value = serde_json::from_slice(bytes).unwrap();
        let v = validator(&doc, schema_for(path));
        let errors: Vec<String> = v
            .iter_errors(&value)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(
            errors.is_empty(),
            "{path} does not match the contract:\n{}",
            errors.join("\n")
        );
        checked += 1;
    }
    assert!(checked >= 10, "only {checked} files checked");
}

#[test]
fn the_contract_rejects_what_the_model_never_produces() {
    let doc = contract();
    let article: Value = serde_json::from_slice(
        &bundled().files["/api/v1/articles/why-code-quality-suffers-when-theres-no-tech-lead.json"],
    )
    .unwrap();
    let v = validator(&doc, schema_for("/api/v1/articles/x.json"));
    assert!(v.is_valid(&article));
    let mut extra = article.clone();
    extra["html"] = json!("<p>raw</p>");
    assert!(
        !v.is_valid(&extra),
        "an unknown field (raw HTML!) must not validate"
    );
    let mut bad_link = article.clone();
    bad_link["body"] = json!([{ "t": "paragraph", "content": [{ "t": "link", "href": "javascript:alert(1)", "title": null, "content": [] }] }]);
    assert!(
        !v.is_valid(&bad_link),
        "a javascript: link must not validate"
    );
    let mut elsewhere = article.clone();
    elsewhere["body"] = json!([{ "t": "figure", "caption": null, "image": { "alt": "x", "src": "//evil.test/x-1.png", "width": 1, "height": 1 } }]);
    assert!(
        !v.is_valid(&elsewhere),
        "an image's files are ours, under /media/"
    );
    let mut raw = article;
    raw["body"] = json!([{ "t": "html", "html": "<script>" }]);
    assert!(!v.is_valid(&raw), "there is no raw HTML block");
}
