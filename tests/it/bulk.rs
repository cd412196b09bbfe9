//! Users in bulk: import, export and erasure.

use crate::backend_tests;
use crate::support::{Backend, TestApp, TestDb};
use reqwest::Method;
use serde_json::{json, Value};

backend_tests!(
    importing_twice_reports_unchanged,
    bad_lines_are_refused_by_number_and_the_rest_imported,
    a_dry_run_changes_nothing,
    an_import_updates_by_email_or_external_id,
    a_bcrypt_user_logs_in_and_gets_argon2id,
    export_then_import_into_a_new_tenant_gives_the_same_users,
    csv_export_has_a_header_and_one_row_per_user,
    erasure_leaves_no_personal_datum_in_any_column,
    the_last_admin_cannot_be_erased,
    bulk_is_tenant_scoped,
);

/// Posts an NDJSON body to the import and answers its NDJSON lines.
async fn import_as(app: &TestApp, key: &str, query: &str, lines: &[Value]) -> Vec<Value> {
    let body: String = lines.iter().map(|l| format!("{l}\n")).collect();
    import_raw(app, key, query, body).await
}

async fn import_raw(app: &TestApp, key: &str, query: &str, body: String) -> Vec<Value> {
    let res = app
        .http
        .post(app.url(&format!("/v1/users/import{query}")))
        .bearer_auth(key)
        .header("content-type", "application/x-ndjson")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/x-ndjson");
    res.text()
        .await
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

async fn import(app: &TestApp, lines: &[Value]) -> Vec<Value> {
    import_as(app, &app.key, "", lines).await
}

/// The per-line results, in line order.
fn results(answer: &[Value]) -> Vec<(u64, String)> {
    answer
        .iter()
        .filter(|l| l["line"].is_u64())
        .map(|l| {
            (
                l["line"].as_u64().unwrap(),
                l["result"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn summary(answer: &[Value]) -> &Value {
    &answer.last().unwrap()["summary"]
}

async fn export_as(app: &TestApp, key: &str, query: &str) -> String {
    let res = app
        .http
        .get(app.url(&format!("/v1/users/export{query}")))
        .bearer_auth(key)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    res.text().await.unwrap()
}

async fn group(app: &TestApp, key: &str, group: &str) {
    let r = app
        .call_as(
            Some(key),
            Method::POST,
            "/v1/groups",
            Some(json!({ "key": group })),
        )
        .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
}

fn people() -> Vec<Value> {
    vec![
        json!({"email": "ada@example.com", "first_name": "Ada", "last_name": "Lovelace",
               "phone_number": "+14155550142", "external_id": "crm-1", "status": "active",
               "roles": ["admin"], "groups": ["eng"], "username": "ada"}),
        json!({"email": "bob@example.com", "first_name": "Bob", "groups": ["eng", "ops"]}),
        json!({"external_id": "crm-3", "email": "cy@example.com", "status": "deactivated"}),
    ]
}

async fn importing_twice_reports_unchanged(b: Backend) {
    let app = TestApp::spawn(b).await;
    group(&app, &app.key, "eng").await;
    group(&app, &app.key, "ops").await;
    let first = import(&app, &people()).await;
    assert_eq!(
        results(&first),
        [
            (1, "created".into()),
            (2, "created".into()),
            (3, "created".into())
        ]
    );
    assert_eq!(summary(&first)["created"], 3);
    assert!(first.iter().any(|l| l["progress"]["lines"] == 3));
    let second = import(&app, &people()).await;
    assert_eq!(
        results(&second),
        [
            (1, "unchanged".into()),
            (2, "unchanged".into()),
            (3, "unchanged".into())
        ]
    );
    assert_eq!(summary(&second)["unchanged"], 3);
    // The users are as the lines say.
    let ada = app.get("/v1/users?email=ada@example.com").await.body["data"][0].clone();
    assert_eq!(ada["status"], "active");
    assert_eq!(ada["roles"], json!(["admin"]));
    assert_eq!(ada["groups"], json!(["eng"]));
    assert_eq!(ada["phone_number"], "+14155550142");
    // One audit event per created user, none for the unchanged ones, no invite email.
    let id = ada["id"].as_str().unwrap();
    let events = app.get(&format!("/v1/users/{id}/events")).await.body["data"].clone();
    let actions: Vec<&str> = events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["created"]);
    assert_eq!(events[0]["details"]["import"]["line"], 1);
    let emails = app.get(&format!("/v1/users/{id}/emails")).await;
    assert!(
        emails.body["data"].as_array().is_none_or(|d| d.is_empty()),
        "{:?}",
        emails.body
    );
}

async fn bad_lines_are_refused_by_number_and_the_rest_imported(b: Backend) {
    let app = TestApp::spawn(b).await;
    group(&app, &app.key, "eng").await;
    let body = [
        r#"{"email": "one@example.com"}"#,
        r#"{"email": "not an email", "phone_number": "12"}"#,
        "this is not json",
        "",
        r#"{"email": "four@example.com", "groups": ["nope"]}"#,
        r#"{"email": "five@example.com", "colour": "blue"}"#,
        r#"{"first_name": "Nobody"}"#,
        r#"{"email": "seven@example.com", "password_hash": "plaintext"}"#,
        r#"{"email": "eight@example.com", "groups": ["eng"]}"#,
        r#"{"email": "one@example.com", "first_name": "One"}"#,
    ]
    .join("\n");
    let answer = import_raw(&app, &app.key, "", body).await;
    let got = results(&answer);
    let want = [
        (1, "created"),
        (2, "refused"),
        (3, "refused"),
        (5, "refused"),
        (6, "refused"),
        (7, "refused"),
        (8, "refused"),
        (9, "created"),
        (10, "updated"),
    ];
    assert_eq!(
        got,
        want.iter()
            .map(|(n, r)| (*n, r.to_string()))
            .collect::<Vec<_>>()
    );
    let refused = |n: u64| {
        answer.iter().find(|l| l["line"] == n).unwrap()["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(refused(2), ["email", "phone_number"]);
    assert_eq!(refused(3), ["line"]);
    assert_eq!(refused(5), ["groups"]);
    assert_eq!(refused(6), ["line"]);
    assert_eq!(refused(7), ["email"]);
    assert_eq!(refused(8), ["password_hash"]);
    assert_eq!(summary(&answer)["refused"], 6);
    assert_eq!(
        app.get("/v1/users").await.body["data"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let one = app.get("/v1/users?email=one@example.com").await.body["data"][0].clone();
    assert_eq!(one["first_name"], "One");
}

async fn a_dry_run_changes_nothing(b: Backend) {
    let app = TestApp::spawn(b).await;
    group(&app, &app.key, "eng").await;
    group(&app, &app.key, "ops").await;
    let answer = import_as(&app, &app.key, "?dry_run=true&chunk_size=2", &people()).await;
    assert_eq!(summary(&answer)["created"], 3);
    assert_eq!(answer.last().unwrap()["dry_run"], true);
    assert_eq!(summary(&answer)["chunks"], 2);
    assert!(app.get("/v1/users").await.body["data"]
        .as_array()
        .unwrap()
        .is_empty());
}

async fn an_import_updates_by_email_or_external_id(b: Backend) {
    let app = TestApp::spawn(b).await;
    group(&app, &app.key, "eng").await;
    group(&app, &app.key, "ops").await;
    import(&app, &people()).await;
    let answer = import(
        &app,
        &[
            // Matched by external id: a new email, name and groups.
            json!({"external_id": "crm-3", "email": "cyril@example.com", "first_name": "Cyril",
                   "groups": ["ops"]}),
            // Matched by email, groups emptied.
            json!({"email": "BOB@example.com", "groups": []}),
            // The email and the external id name two users.
            json!({"email": "ada@example.com", "external_id": "crm-3"}),
            // A status change is the lifecycle's.
            json!({"email": "ada@example.com", "status": "banned"}),
            // A username another user holds.
            json!({"email": "bob@example.com", "username": "ADA"}),
            // Taking admin from the only active admin.
            json!({"email": "ada@example.com", "roles": []}),
        ],
    )
    .await;
    let got: Vec<String> = results(&answer).into_iter().map(|(_, r)| r).collect();
    assert_eq!(
        got,
        ["updated", "updated", "refused", "refused", "refused", "refused"],
        "{answer:?}"
    );
    let cyril = app.get("/v1/users?external_id=crm-3").await.body["data"][0].clone();
    assert_eq!(cyril["email"], "cyril@example.com");
    assert_eq!(cyril["groups"], json!(["ops"]));
    assert_eq!(cyril["status"], "deactivated");
    let bob = app.get("/v1/users?email=bob@example.com").await.body["data"][0].clone();
    assert_eq!(bob["groups"], json!([]));
    assert_eq!(bob["email"], "BOB@example.com");
    let id = cyril["id"].as_str().unwrap();
    let events = app.get(&format!("/v1/users/{id}/events")).await.body["data"].clone();
    let update = &events[1];
    assert_eq!(update["action"], "profile_updated");
    assert_eq!(update["details"]["email"]["after"], "cyril@example.com");
    assert_eq!(update["details"]["groups"]["joined"], json!(["ops"]));
}

async fn a_bcrypt_user_logs_in_and_gets_argon2id(b: Backend) {
    let db = TestDb::new(b).await;
    let url = db.url.clone();
    let app = TestApp::spawn_on(db).await;
    let hash = bcrypt::hash("old pw", 4).unwrap();
    let answer = import(
        &app,
        &[json!({"email": "old@example.com", "status": "active", "password_hash": hash})],
    )
    .await;
    assert_eq!(results(&answer), [(1, "created".to_owned())]);
    assert_eq!(stored_hash(b, &url, "old@example.com").await, hash);
    let wrong = app
        .post(
            "/v1/sessions",
            json!({"email": "old@example.com", "password": "old px"}),
        )
        .await;
    assert_eq!(wrong.status, 401);
    let login = app
        .post(
            "/v1/sessions",
            json!({"email": "old@example.com", "password": "old pw"}),
        )
        .await;
    assert_eq!(login.status, 201, "{:?}", login.body);
    let now = stored_hash(b, &url, "old@example.com").await;
    assert!(now.starts_with("$argon2id$"), "{now}");
    let again = app
        .post(
            "/v1/sessions",
            json!({"email": "old@example.com", "password": "old pw"}),
        )
        .await;
    assert_eq!(again.status, 201);
    let id = login.body["user"]["id"].as_str().unwrap();
    let events = app.get(&format!("/v1/users/{id}/events")).await.body["data"].clone();
    let rehashed: Vec<&Value> = events
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "password_rehashed")
        .collect();
    assert_eq!(rehashed.len(), 1);
    assert_eq!(rehashed[0]["details"]["from"], "bcrypt");
    // Importing the same hash again puts the old scheme back: the line brings another hash.
    let answer = import(
        &app,
        &[json!({"email": "old@example.com", "password_hash": hash})],
    )
    .await;
    assert_eq!(results(&answer), [(1, "updated".to_owned())]);
}

async fn stored_hash(b: Backend, url: &str, email: &str) -> String {
    let rows = query_strings(
        b,
        url,
        &format!("SELECT password_hash FROM users WHERE email = '{email}'"),
    )
    .await;
    rows.into_iter().next().expect("a user with this email")
}

/// One text column of every row a query answers, on either backend.
async fn query_strings(b: Backend, url: &str, sql: &str) -> Vec<String> {
    use sqlx::Connection;
    match b {
        Backend::Sqlite => {
            let mut c = sqlx::SqliteConnection::connect(url).await.unwrap();
            sqlx::query_scalar(sql).fetch_all(&mut c).await.unwrap()
        }
        Backend::Postgres => {
            let mut c = sqlx::PgConnection::connect(url).await.unwrap();
            sqlx::query_scalar(sql).fetch_all(&mut c).await.unwrap()
        }
    }
}

async fn export_then_import_into_a_new_tenant_gives_the_same_users(b: Backend) {
    let app = TestApp::spawn(b).await;
    for g in ["eng", "ops"] {
        group(&app, &app.key, g).await;
    }
    import(&app, &people()).await;
    app.create_user(
        json!({"email": "made@example.com", "first_name": "Made", "last_name": "Here",
                           "groups": ["ops"], "status": "active"}),
    )
    .await;
    let exported = export_as(&app, &app.key, "").await;
    assert_eq!(exported.lines().count(), 4);
    let (_, other) = app.other_tenant("globex").await;
    for g in ["eng", "ops"] {
        group(&app, &other, g).await;
    }
    let lines: Vec<Value> = exported
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let answer = import_as(&app, &other, "", &lines).await;
    assert_eq!(summary(&answer)["created"], 4, "{answer:?}");
    assert_eq!(export_as(&app, &other, "").await, exported);
    // A filter exports only its users.
    let active = export_as(&app, &app.key, "?status=active").await;
    assert_eq!(active.lines().count(), 2);
    let ops = export_as(&app, &app.key, "?group=ops").await;
    assert_eq!(ops.lines().count(), 2);
}

async fn csv_export_has_a_header_and_one_row_per_user(b: Backend) {
    let app = TestApp::spawn(b).await;
    for g in ["eng", "ops"] {
        group(&app, &app.key, g).await;
    }
    import(&app, &people()).await;
    let csv = export_as(&app, &app.key, "?format=csv").await;
    let mut rows = csv.lines();
    assert_eq!(
        rows.next().unwrap(),
        "email,external_id,username,first_name,last_name,phone_number,status,roles,groups,password_hash"
    );
    assert_eq!(
        rows.next().unwrap(),
        "ada@example.com,crm-1,ada,Ada,Lovelace,+14155550142,active,admin,eng,"
    );
    assert_eq!(
        rows.next().unwrap(),
        "bob@example.com,,,Bob,,,invited,,eng ops,"
    );
    assert_eq!(rows.count(), 1);
    let bad = app.get("/v1/users/export?format=xml").await;
    assert_eq!(bad.status, 400);
}

/// Every text of every row of every table that holds `needle` (case-insensitively), as
/// `table.column`. The tables and columns come from the database's own catalogue.
async fn columns_holding(b: Backend, url: &str, needle: &str) -> Vec<String> {
    use sqlx::Connection;
    let exact = needle.replace('\'', "''");
    let needle = exact.to_lowercase();
    let mut found = Vec::new();
    match b {
        Backend::Sqlite => {
            let mut c = sqlx::SqliteConnection::connect(url).await.unwrap();
            let tables: Vec<String> = sqlx::query_scalar(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
            )
            .fetch_all(&mut c)
            .await
            .unwrap();
            assert!(tables.len() > 20, "{tables:?}");
            for t in tables {
                let columns: Vec<(i64, String, String, i64, Option<String>, i64)> =
                    sqlx::query_as(&format!("PRAGMA table_info(\"{t}\")"))
                        .fetch_all(&mut c)
                        .await
                        .unwrap();
                for (_, col, _, _, _, _) in columns {
                    // Every column, whatever its declared type: a BLOB cast to TEXT is its bytes.
                    let sql = format!(
                        "SELECT COUNT(*) FROM \"{t}\" WHERE instr(lower(CAST(\"{col}\" AS TEXT)), '{needle}') > 0"
                    );
                    let n: i64 = sqlx::query_scalar(&sql).fetch_one(&mut c).await.unwrap();
                    if n > 0 {
                        found.push(format!("{t}.{col}"));
                    }
                }
            }
        }
        Backend::Postgres => {
            let mut c = sqlx::PgConnection::connect(url).await.unwrap();
            let columns: Vec<(String, String, String)> = sqlx::query_as(
                "SELECT table_name::text, column_name::text, data_type::text FROM information_schema.columns \
                 WHERE table_schema = 'public' ORDER BY table_name, ordinal_position",
            )
            .fetch_all(&mut c)
            .await
            .unwrap();
            assert!(columns.len() > 100);
            for (t, col, ty) in columns {
                let test = match ty.as_str() {
                    "text" | "character varying" | "json" | "jsonb" | "character" => {
                        format!("position('{needle}' in lower(\"{col}\"::text)) > 0")
                    }
                    "bytea" => format!(
                        "(position(convert_to('{needle}', 'UTF8') in \"{col}\") > 0 \
                         OR position(convert_to('{exact}', 'UTF8') in \"{col}\") > 0)"
                    ),
                    _ => continue,
                };
                let sql = format!("SELECT COUNT(*) FROM \"{t}\" WHERE {test}");
                let n: i64 = sqlx::query_scalar(&sql).fetch_one(&mut c).await.unwrap();
                if n > 0 {
                    found.push(format!("{t}.{col}"));
                }
            }
        }
    }
    found
}

async fn erasure_leaves_no_personal_datum_in_any_column(b: Backend) {
    let db = TestDb::new(b).await;
    let url = db.url.clone();
    let app = TestApp::spawn_on(db).await;
    group(&app, &app.key, "eng").await;
    // A user with everything: groups, an invite email, a session, secondary traces in events.
    let created = app
        .http
        .post(app.url("/v1/users"))
        .bearer_auth(&app.key)
        .header("Idempotency-Key", "erase-me-1")
        .json(
            &json!({"email": "Zelda.Quist@example.com", "first_name": "Zelinda",
                      "last_name": "Quistorff", "phone_number": "+14155550199",
                      "external_id": "crm-zq-77", "username": "zquistorff",
                      "groups": ["eng"], "send_invite": true, "password": "zelda's secret",
                      "metadata": {"note": "Zelinda from the Quistorff account"}}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let user: Value = created.json().await.unwrap();
    let id = user["id"].as_str().unwrap().to_owned();
    let r = app
        .call(
            Method::PATCH,
            &format!("/v1/users/{id}"),
            Some(json!({"first_name": "Zelindaa"})),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let r = app
        .post(&format!("/v1/users/{id}/activate"), json!({}))
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let r = app
        .post(
            "/v1/sessions",
            json!({"email": "zelda.quist@example.com", "password": "zelda's secret"}),
        )
        .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    let personal = [
        "Zelda.Quist@example.com",
        "Zelinda",
        "Quistorff",
        "+14155550199",
        "crm-zq-77",
    ];
    for p in personal {
        assert!(
            !columns_holding(b, &url, p).await.is_empty(),
            "{p} is stored somewhere first"
        );
    }

    // The confirmation must name the user.
    let path = format!("/v1/users/{id}/erasure");
    let r = app
        .post(&path, json!({"confirm": "yes", "reason": "asked"}))
        .await;
    assert_eq!(r.status, 422);
    assert_eq!(r.body["errors"][0]["field"], "confirm");
    let r = app.post(&path, json!({"confirm": id, "reason": ""})).await;
    assert_eq!(r.status, 422);
    let r = app
        .post(
            &path,
            json!({"confirm": id, "reason": "erasure request #4411"}),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["status"], "revoked");
    assert!(r.body["events_scrubbed"].as_u64().unwrap() >= 2);

    for p in personal {
        assert_eq!(
            columns_holding(b, &url, p).await,
            Vec::<String>::new(),
            "{p}"
        );
    }
    // The id and the audit trail stay; one `erased` event says who and why.
    let events = app.get(&format!("/v1/users/{id}/events")).await.body["data"].clone();
    let actions: Vec<&str> = events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions.first(), Some(&"created"));
    assert!(actions.contains(&"profile_updated"));
    let erased = events.as_array().unwrap().last().unwrap();
    assert_eq!(erased["action"], "erased");
    assert_eq!(erased["details"]["reason"], "erasure request #4411");
    assert!(erased["details"]["requested_by"]
        .as_str()
        .unwrap()
        .starts_with("api_key:"));
    let profile = events
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "profile_updated")
        .unwrap();
    assert_eq!(profile["details"]["first_name"]["before"], "[erased]");
    let gone = app.get(&format!("/v1/users/{id}")).await;
    assert_eq!(gone.status, 200);
    assert_eq!(gone.body["email"], Value::Null);
    assert_eq!(gone.body["status"], "revoked");
    // The login is gone; the email is free again.
    let r = app
        .post(
            "/v1/sessions",
            json!({"email": "zelda.quist@example.com", "password": "zelda's secret"}),
        )
        .await;
    assert_eq!(r.status, 401);
    let again = app
        .create_user(json!({"email": "zelda.quist@example.com"}))
        .await;
    assert_ne!(again["id"], user["id"]);
    // Erasing twice is harmless; an unknown id is 404.
    let r = app
        .post(&path, json!({"confirm": id, "reason": "again"}))
        .await;
    assert_eq!(r.status, 200);
    let unknown = uuid::Uuid::new_v4();
    let r = app
        .post(
            &format!("/v1/users/{unknown}/erasure"),
            json!({"confirm": unknown, "reason": "x"}),
        )
        .await;
    assert_eq!(r.status, 404);
}

async fn the_last_admin_cannot_be_erased(b: Backend) {
    let app = TestApp::spawn(b).await;
    let admin = app
        .create_user(json!({"email": "boss@example.com", "status": "active", "roles": ["admin"]}))
        .await;
    let id = admin["id"].as_str().unwrap();
    let path = format!("/v1/users/{id}/erasure");
    let r = app
        .post(&path, json!({"confirm": id, "reason": "leaving"}))
        .await;
    assert_eq!(r.status, 409, "{:?}", r.body);
    assert_eq!(r.body["type"], "urn:roster:problem:last-admin");
    assert_eq!(
        app.get(&format!("/v1/users/{id}")).await.body["email"],
        "boss@example.com"
    );
    app.create_user(json!({"email": "boss2@example.com", "status": "active", "roles": ["admin"]}))
        .await;
    let r = app
        .post(&path, json!({"confirm": id, "reason": "leaving"}))
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
}

async fn bulk_is_tenant_scoped(b: Backend) {
    let app = TestApp::spawn(b).await;
    let (_, other) = app.other_tenant("globex").await;
    let mine = app
        .create_user(json!({"email": "mine@example.com", "first_name": "Mine"}))
        .await;
    let id = mine["id"].as_str().unwrap();
    // The other tenant's export does not hold my users.
    assert_eq!(export_as(&app, &other, "").await, "");
    // Its import of my user's email creates its own user; mine is untouched.
    let answer = import_as(
        &app,
        &other,
        "",
        &[json!({"email": "mine@example.com", "first_name": "Theirs"})],
    )
    .await;
    assert_eq!(results(&answer), [(1, "created".to_owned())]);
    assert_eq!(
        app.get(&format!("/v1/users/{id}")).await.body["first_name"],
        "Mine"
    );
    // It cannot erase my user.
    let r = app
        .call_as(
            Some(&other),
            Method::POST,
            &format!("/v1/users/{id}/erasure"),
            Some(json!({"confirm": id, "reason": "x"})),
        )
        .await;
    assert_eq!(r.status, 404);
    assert_eq!(
        app.get(&format!("/v1/users/{id}")).await.body["email"],
        "mine@example.com"
    );
    let mine = export_as(&app, &app.key, "").await;
    assert_eq!(mine.lines().count(), 1);
    assert!(mine.contains("\"first_name\":\"Mine\""));
}
