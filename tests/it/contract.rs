//! The contract: the OpenAPI document, the Postman collection generated from it, and the
//! routes they describe.

use crate::backend_tests;
use crate::support::{Backend, TestApp};
use reqwest::Method;
use roster::http::openapi;
use serde_json::Value;
use std::collections::HashSet;
use std::path::PathBuf;

const OPENAPI_FILE: &str = "docs/openapi.json";
const POSTMAN_FILE: &str = "docs/roster.postman_collection.json";
const TAGS: [&str; 6] = [
    "native",
    "Village",
    "Publica.la",
    "Rocket.Chat",
    "Regpack",
    "SCIM",
];

fn committed(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// Fails when the committed file is not what the code generates now. `ROSTER_BLESS=1`
/// rewrites it instead.
fn assert_current(path: &str, fresh: &str, command: &str) {
    let file = committed(path);
    if std::env::var_os("ROSTER_BLESS").is_some() {
        std::fs::write(&file, fresh).expect("write");
        return;
    }
    let old = std::fs::read_to_string(&file).unwrap_or_default();
    assert!(
        old == fresh,
        "{path} is stale; regenerate it with `{command} > {path}` (or `ROSTER_BLESS=1 cargo test contract`)"
    );
}

#[test]
fn committed_openapi_document_is_current() {
    assert_current(OPENAPI_FILE, &openapi::text(false), "roster openapi");
}

#[test]
fn committed_postman_collection_is_current() {
    assert_current(
        POSTMAN_FILE,
        &openapi::text(true),
        "roster openapi --postman",
    );
}

#[test]
fn postman_collection_imports_as_v2_1() {
    let collection = postman_collection::from_path(committed(POSTMAN_FILE))
        .expect("a v2.1 reader accepts the collection");
    assert!(
        matches!(collection, postman_collection::PostmanCollection::V2_1_0(_)),
        "read as v2.1"
    );
}

fn spec() -> Value {
    serde_json::to_value(openapi::spec()).unwrap()
}

/// Every (path, method, operation) of the document.
fn operations(doc: &Value) -> Vec<(String, String, Value)> {
    let mut ops = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            if ["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                ops.push((path.clone(), method.clone(), op.clone()));
            }
        }
    }
    ops
}

#[test]
fn every_operation_has_one_api_tag_an_id_and_its_errors() {
    let doc = spec();
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    let mut ids = HashSet::new();
    let ops = operations(&doc);
    assert!(!ops.is_empty());
    for (path, method, op) in ops {
        let at = format!("{} {path}", method.to_uppercase());
        let tags = op["tags"].as_array().expect("tags");
        assert_eq!(tags.len(), 1, "{at}: one tag");
        assert!(
            TAGS.contains(&tags[0].as_str().unwrap()),
            "{at}: a known tag"
        );
        let id = op["operationId"].as_str().expect("operationId");
        assert!(
            ids.insert(id.to_owned()),
            "{at}: operationId {id} is unique"
        );
        assert!(op["summary"].is_string(), "{at}: a summary");
        let responses = op["responses"].as_object().unwrap();
        assert!(
            responses.keys().any(|s| s.starts_with('2')),
            "{at}: a success response"
        );
        let authenticated = op["security"].as_array().is_some_and(|s| !s.is_empty());
        if authenticated {
            // Every credential is checked against the database.
            assert!(responses.contains_key("401"), "{at}: documents 401");
            assert!(responses.contains_key("503"), "{at}: documents 503");
        }
        // Every schema a response or body names exists.
        let text = op.to_string();
        for piece in text.split("#/components/schemas/").skip(1) {
            let name = piece.split('"').next().unwrap();
            assert!(schemas.contains_key(name), "{at}: schema {name} exists");
        }
    }
}

#[test]
fn every_api_has_its_tag_and_security_schemes() {
    let doc = spec();
    let tags: Vec<&str> = doc["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(tags, TAGS);
    let schemes = doc["components"]["securitySchemes"].as_object().unwrap();
    for (_, _, op) in operations(&doc) {
        for requirement in op["security"].as_array().into_iter().flatten() {
            for name in requirement.as_object().unwrap().keys() {
                assert!(schemes.contains_key(name), "scheme {name} is defined");
            }
        }
    }
    assert_eq!(doc["openapi"], "3.1.0");
}

/// Fills a documented path's parameters with values that parse.
fn concrete(path: &str) -> String {
    path.split('/')
        .map(|s| {
            if s.starts_with('{') {
                "00000000-0000-4000-8000-000000000000".to_owned()
            } else {
                s.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// What the router answers `method` at a path under the same prefix as `path` that no route
/// serves: each API's own "route not found", in its envelope.
fn unrouted_sibling(path: &str) -> String {
    let prefix = path.split('/').nth(1).unwrap_or_default();
    format!("/{prefix}/no-such-route/at/all/here")
}

/// A path the document names but the router does not serve answers the router's own
/// "route not found" (or 405); every documented operation must reach a handler.
async fn every_documented_operation_is_routed(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let answer = |method: Method, path: String| {
        let app = &app;
        async move {
            let res = app
                .http
                .request(method, app.url(&path))
                .send()
                .await
                .unwrap();
            let status = res.status().as_u16();
            // Some "not found" answers name the path; without it, any two unrouted read alike.
            let body = res.text().await.unwrap_or_default();
            (status, body.replace(path.trim_start_matches('/'), "{path}"))
        }
    };
    for (path, method, _) in operations(&spec()) {
        let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        let routed = answer(method.clone(), concrete(&path)).await;
        let unrouted = answer(method.clone(), unrouted_sibling(&path)).await;
        assert_eq!(unrouted.0, 404, "{method} {}", unrouted_sibling(&path));
        assert_ne!(routed.0, 405, "{method} {path} is routed");
        assert_ne!(routed, unrouted, "{method} {path} is routed");
    }
}

async fn the_document_and_the_docs_page_are_served(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let served: Value = app
        .http
        .get(app.url("/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(served, spec());
    let page = app.http.get(app.url("/docs/")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("swagger-ui"), "Swagger UI's page");
}

backend_tests!(
    every_documented_operation_is_routed,
    the_document_and_the_docs_page_are_served,
);
