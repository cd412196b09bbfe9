//! The Postman collection (format v2.1), generated from the OpenAPI document so that the two
//! cannot disagree: one folder per API (tag), one request per operation, with the document's
//! example bodies and variables for the base URL, the tenant and the credentials.
//!
//! Dialect requests go through the tenant base URL `{{baseUrl}}/t/{{tenant}}`, the way a
//! vendor's client is pointed at roster; native requests through `{{baseUrl}}`.

use super::{scheme, tag};
use serde_json::{json, Map, Value};
use utoipa::openapi::OpenApi;

const SCHEMA: &str = "https://schema.getpostman.com/json/collection/v2.1.0/collection.json";

/// A fixed id: the collection is regenerated, not re-created, so Postman updates it in place
/// on a re-import.
const COLLECTION_ID: &str = "6f1c2a7e-4b0d-4f7e-9a52-0c3f5e1d2b80";

/// The collection's variables: (name, initial value, what it is).
const VARIABLES: &[(&str, &str, &str)] = &[
    ("baseUrl", "http://127.0.0.1:8080", "Where roster listens"),
    (
        "tenant",
        "default",
        "The tenant's slug, id or account number, for the dialects' base URL",
    ),
    (
        "apiKey",
        "",
        "A tenant API key (rst_...), shown once when created",
    ),
    (
        "operatorToken",
        "",
        "ROSTER_OPERATOR_TOKEN, for tenants and keys",
    ),
    (
        "sessionToken",
        "",
        "A session token (rss_...) from a native login",
    ),
    ("rcUserId", "", "userId from a Rocket.Chat login"),
    ("rcAuthToken", "", "authToken from a Rocket.Chat login"),
    (
        "regpackAccount",
        "1",
        "The tenant's account number, Regpack's Api-Id",
    ),
    (
        "regpackUser",
        "admin@example.com",
        "The acting admin's email, Regpack's Api-User",
    ),
];

/// How a security scheme is sent: a bearer token, or a header, each from a variable.
enum Credential {
    Bearer(&'static str),
    Header(&'static str, &'static str),
}

fn credential(scheme_name: &str) -> Option<Credential> {
    use Credential::*;
    Some(match scheme_name {
        scheme::API_KEY => Bearer("{{apiKey}}"),
        scheme::OPERATOR => Bearer("{{operatorToken}}"),
        scheme::SESSION => Bearer("{{sessionToken}}"),
        scheme::PUBLICA => Header("X-User-Token", "{{apiKey}}"),
        scheme::RC_USER => Header("X-User-Id", "{{rcUserId}}"),
        scheme::RC_TOKEN => Header("X-Auth-Token", "{{rcAuthToken}}"),
        scheme::REGPACK_TOKEN => Header("Api-Token", "{{apiKey}}"),
        scheme::REGPACK_ID => Header("Api-Id", "{{regpackAccount}}"),
        scheme::REGPACK_USER => Header("Api-User", "{{regpackUser}}"),
        // Postman's dynamic variable: the current Unix time in seconds, as Regpack wants.
        scheme::REGPACK_TIMESTAMP => Header("Timestamp", "{{$timestamp}}"),
        _ => return None,
    })
}

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

/// The collection for this document.
pub fn collection(spec: &OpenApi) -> Value {
    let doc = serde_json::to_value(spec).unwrap_or_default();
    let tags: Vec<(String, String)> = doc["tags"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|t| {
            let text = |k: &str| t[k].as_str().unwrap_or_default().to_owned();
            (text("name"), text("description"))
        })
        .collect();
    let mut folders: Vec<(String, String, Vec<Value>)> =
        tags.into_iter().map(|(n, d)| (n, d, Vec::new())).collect();
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        for method in METHODS {
            let Some(op) = item.get(method) else { continue };
            let op_tag = op["tags"][0].as_str().unwrap_or(tag::NATIVE);
            let request = request_item(&doc, path, method, op, op_tag != tag::NATIVE);
            match folders.iter_mut().find(|(name, _, _)| name == op_tag) {
                Some((_, _, items)) => items.push(request),
                None => folders.push((op_tag.to_owned(), String::new(), vec![request])),
            }
        }
    }
    json!({
        "info": {
            "_postman_id": COLLECTION_ID,
            "name": doc["info"]["title"],
            "description": doc["info"]["description"],
            "schema": SCHEMA,
        },
        "item": folders
            .into_iter()
            .map(|(name, description, item)| json!({"name": name, "description": description, "item": item}))
            .collect::<Vec<_>>(),
        "variable": VARIABLES
            .iter()
            .map(|(key, value, description)| json!({
                "key": key, "value": value, "type": "string", "description": description,
            }))
            .collect::<Vec<_>>(),
    })
}

fn request_item(doc: &Value, path: &str, method: &str, op: &Value, dialect: bool) -> Value {
    let params: Vec<&Value> = op["parameters"].as_array().into_iter().flatten().collect();
    let of_kind = |kind: &'static str| params.iter().copied().filter(move |p| p["in"] == kind);

    let mut segments: Vec<String> = if dialect {
        vec!["t".into(), "{{tenant}}".into()]
    } else {
        Vec::new()
    };
    // OpenAPI's `{id}` is Postman's `:id`.
    segments.extend(path.trim_start_matches('/').split('/').map(|s| {
        match s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            Some(name) => format!(":{name}"),
            None => s.to_owned(),
        }
    }));
    // A parameter as Postman lists it: an optional one is there to switch on, not sent.
    let variable = |p: &Value| {
        json!({
            "key": p["name"],
            "value": example_text(doc, p),
            "description": p["description"].as_str().unwrap_or_default(),
            "disabled": p["required"] != true,
        })
    };
    let query: Vec<Value> = of_kind("query").map(variable).collect();
    let path_variables: Vec<Value> = of_kind("path").map(variable).collect();
    let query_text = query
        .iter()
        .filter(|q| q["disabled"] == false)
        .map(|q| {
            format!(
                "{}={}",
                q["key"].as_str().unwrap_or(""),
                q["value"].as_str().unwrap_or("")
            )
        })
        .collect::<Vec<_>>();
    let mut raw = format!("{{{{baseUrl}}}}/{}", segments.join("/"));
    if !query_text.is_empty() {
        raw = format!("{raw}?{}", query_text.join("&"));
    }

    let mut headers: Vec<Value> = of_kind("header").map(variable).collect();
    let mut auth = json!({"type": "noauth"});
    let requirements = op["security"].as_array().into_iter().flatten();
    // The first requirement is the one a client would use.
    if let Some(Value::Object(first)) = requirements.into_iter().next() {
        for name in first.keys() {
            match credential(name) {
                Some(Credential::Bearer(value)) => {
                    auth = json!({"type": "bearer", "bearer": [{"key": "token", "value": value, "type": "string"}]});
                }
                Some(Credential::Header(key, value)) => {
                    headers.push(json!({"key": key, "value": value}));
                }
                None => {}
            }
        }
    }

    let mut request = Map::new();
    request.insert("method".into(), json!(method.to_uppercase()));
    request.insert("auth".into(), auth);
    if let Some(body) = body_example(doc, op) {
        headers.push(json!({"key": "Content-Type", "value": "application/json"}));
        request.insert(
            "body".into(),
            json!({
                "mode": "raw",
                "raw": serde_json::to_string_pretty(&body).unwrap_or_default(),
                "options": {"raw": {"language": "json"}},
            }),
        );
    }
    request.insert("header".into(), json!(headers));
    request.insert(
        "url".into(),
        json!({
            "raw": raw,
            "host": ["{{baseUrl}}"],
            "path": segments,
            "query": query,
            "variable": path_variables,
        }),
    );
    if let Some(d) = op["description"].as_str() {
        request.insert("description".into(), json!(d));
    }
    let name = op["summary"]
        .as_str()
        .or(op["operationId"].as_str())
        .unwrap_or(path);
    json!({"name": name, "request": request})
}

/// The example body of an operation: the media type's own example, or its schema's.
fn body_example(doc: &Value, op: &Value) -> Option<Value> {
    let content = op["requestBody"]["content"].as_object()?;
    let media = content
        .get("application/json")
        .or_else(|| content.values().next())?;
    if let Some(e) = media.get("example") {
        return Some(e.clone());
    }
    schema_example(doc, &media["schema"]).or(Some(json!({})))
}

/// A schema's example, following one `$ref` to the components.
fn schema_example(doc: &Value, schema: &Value) -> Option<Value> {
    if let Some(e) = schema.get("example") {
        return Some(e.clone());
    }
    if let Some(e) = schema["examples"].as_array().and_then(|e| e.first()) {
        return Some(e.clone());
    }
    let name = schema["$ref"]
        .as_str()?
        .strip_prefix("#/components/schemas/")?;
    let target = &doc["components"]["schemas"][name];
    target
        .get("example")
        .or_else(|| target["examples"].as_array().and_then(|e| e.first()))
        .cloned()
}

/// A parameter's example as text, for a URL or header.
fn example_text(doc: &Value, param: &Value) -> String {
    let value = param
        .get("example")
        .cloned()
        .or_else(|| schema_example(doc, &param["schema"]));
    match value {
        Some(Value::String(s)) => s,
        Some(Value::Null) | None => String::new(),
        Some(v) => v.to_string(),
    }
}
