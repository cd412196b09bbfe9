//! SCIM 2.0: discovery, Users (CRUD, PATCH, ETags, errors), filters, provisioning sessions as
//! Okta and Entra ID run them, and tenant isolation.

use crate::backend_tests;
use crate::support::{Backend, Reply, TestApp, TestDb};
use reqwest::Method;
use roster::store::{Census, TxKind};
use serde_json::{json, Value};

backend_tests!(
    discovery_describes_what_is_supported,
    okta_provisioning_session,
    entra_provisioning_session,
    etags_make_writes_conditional,
    errors_are_scim_errors,
    filters_sort_page_and_select,
    delete_deactivates_and_the_user_leaves_scim,
    tenants_are_isolated,
    changes_are_audited_as_made_through_scim,
    groups_and_their_members,
    bulk_runs_operations_in_order_with_references,
    a_refused_deactivation_changes_nothing,
    a_filter_is_one_query,
    a_key_does_what_its_scopes_allow,
    remove_follows_what_roster_keeps,
    an_inactive_creation_is_one_transaction,
    delete_erases_when_the_tenant_says_so,
);

const BASE: &str = "/t/acme/scim/v2";

async fn scim(app: &TestApp, method: Method, path: &str, body: Option<Value>) -> Reply {
    app.call(method, &format!("{BASE}{path}"), body).await
}

/// A PATCH of these operations, as a PatchOp.
async fn patch(app: &TestApp, path: &str, operations: Value) -> Reply {
    let body = json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": operations,
    });
    scim(app, Method::PATCH, path, Some(body)).await
}

/// A user created through SCIM, answered as the resource.
async fn provision(app: &TestApp, body: Value) -> Value {
    let r = scim(app, Method::POST, "/Users", Some(body)).await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    r.body
}

/// Gives the user a password through the native API and logs them in: the session token.
async fn session_of(app: &TestApp, id: &str, email: &str) -> String {
    let r = app
        .call(
            Method::PATCH,
            &format!("/v1/users/{id}"),
            Some(json!({"password": "correct horse battery"})),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let r = app
        .post(
            "/v1/sessions",
            json!({"email": email, "password": "correct horse battery"}),
        )
        .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    r.body["token"].as_str().unwrap().to_owned()
}

async fn session_alive(app: &TestApp, token: &str) -> bool {
    let r = app
        .call_as(Some(token), Method::GET, "/v1/sessions/current", None)
        .await;
    r.status == 200
}

async fn discovery_describes_what_is_supported(b: Backend) {
    let app = TestApp::spawn(b).await;
    let r = scim(&app, Method::GET, "/ServiceProviderConfig", None).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/scim+json"));
    assert_eq!(r.body["patch"]["supported"], true);
    assert_eq!(r.body["etag"]["supported"], true);
    assert_eq!(r.body["filter"]["maxResults"], 200);
    let r = scim(&app, Method::GET, "/ResourceTypes", None).await;
    assert_eq!(r.body["totalResults"], 2);
    let r = scim(&app, Method::GET, "/ResourceTypes/User", None).await;
    assert_eq!(r.body["endpoint"], "/Users");
    let r = scim(&app, Method::GET, "/Schemas", None).await;
    assert_eq!(
        r.body["Resources"][0]["id"],
        "urn:ietf:params:scim:schemas:core:2.0:User"
    );
    let r = scim(
        &app,
        Method::GET,
        "/Schemas/urn:ietf:params:scim:schemas:core:2.0:User",
        None,
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["attributes"][0]["name"], "userName");
    let r = scim(&app, Method::GET, "/Schemas/urn:nope", None).await;
    assert_eq!(r.status, 404);
    assert_eq!(
        r.body["schemas"][0],
        "urn:ietf:params:scim:api:messages:2.0:Error"
    );
    assert_eq!(r.body["status"], "404");
    // Served at the root too.
    let r = app.get("/scim/v2/ResourceTypes").await;
    assert_eq!(r.status, 200);
}

async fn okta_provisioning_session(b: Backend) {
    let app = TestApp::spawn(b).await;
    // Okta first looks the user up by userName, then creates them.
    let r = scim(
        &app,
        Method::GET,
        "/Users?filter=userName%20eq%20%22isaac.brock@example.com%22&startIndex=1&count=100",
        None,
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["totalResults"], 0);
    assert_eq!(r.body["Resources"], json!([]));
    let created = provision(
        &app,
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": "isaac.brock@example.com",
            "name": {"givenName": "Isaac", "familyName": "Brock"},
            "emails": [{"primary": true, "value": "isaac.brock@example.com", "type": "work"}],
            "displayName": "Isaac Brock",
            "locale": "en-US",
            "externalId": "00ujl29u0le5T6Aj10h7",
            "groups": [],
            "password": "1mz050nq",
            "active": true
        }),
    )
    .await;
    let id = created["id"].as_str().unwrap();
    assert_eq!(created["userName"], "isaac.brock@example.com");
    assert_eq!(created["active"], true);
    assert_eq!(created["externalId"], "00ujl29u0le5T6Aj10h7");
    assert_eq!(created["meta"]["version"], "W/\"1\"");
    // Read back by the filter Okta sends, in another case.
    let r = scim(
        &app,
        Method::GET,
        "/Users?filter=userName%20eq%20%22Isaac.Brock@example.com%22",
        None,
    )
    .await;
    assert_eq!(r.body["totalResults"], 1, "{:?}", r.body);
    assert_eq!(r.body["Resources"][0]["id"], id);
    let token = session_of(&app, id, "isaac.brock@example.com").await;
    // Okta's PUT of the whole user.
    let r = scim(
        &app,
        Method::PUT,
        &format!("/Users/{id}"),
        Some(json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "id": id,
            "userName": "isaac.brock@example.com",
            "name": {"givenName": "Isaac", "familyName": "Brock-Smith"},
            "emails": [{"primary": true, "value": "isaac.brock@example.com", "type": "work"}],
            "active": true,
            "meta": {"resourceType": "User"}
        })),
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["name"]["familyName"], "Brock-Smith");
    assert!(
        r.body.get("externalId").is_none(),
        "a PUT replaces the whole user"
    );
    assert!(session_alive(&app, &token).await);
    // Deactivation: PATCH replace with an object value, answered 200 with the user.
    let r = patch(
        &app,
        &format!("/Users/{id}"),
        json!([{"op": "replace", "value": {"active": false}}]),
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["active"], false);
    assert!(
        !session_alive(&app, &token).await,
        "deactivation revokes sessions"
    );
    let native = app.get(&format!("/v1/users/{id}")).await;
    assert_eq!(native.body["status"], "deactivated");
    // Reactivation.
    let r = patch(
        &app,
        &format!("/Users/{id}"),
        json!([{"op": "replace", "value": {"active": true}}]),
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["active"], true);
    let native = app.get(&format!("/v1/users/{id}")).await;
    assert_eq!(native.body["status"], "active");
}

async fn entra_provisioning_session(b: Backend) {
    let app = TestApp::spawn(b).await;
    // Entra's probe: a filter on a random attribute value.
    let r = scim(
        &app,
        Method::GET,
        "/Users?filter=userName+eq+%227f6f1bd9-2c59-4ad3-b8d8-d6a2d7c4e0d1%22",
        None,
    )
    .await;
    assert_eq!(r.body["totalResults"], 0, "{:?}", r.body);
    let created = provision(
        &app,
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User",
                        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
            "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
            "userName": "Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1@contoso.com",
            "active": "True",
            "emails": [{"primary": true, "type": "work", "value": "Test_User_fd0ea19b@contoso.com"}],
            "meta": {"resourceType": "User"},
            "name": {"formatted": "givenName familyName", "familyName": "familyName", "givenName": "givenName"},
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "Sales"}
        }),
    )
    .await;
    let id = created["id"].as_str().unwrap();
    assert_eq!(
        created["emails"][0]["value"],
        "Test_User_fd0ea19b@contoso.com"
    );
    let token = session_of(&app, id, "Test_User_fd0ea19b@contoso.com").await;
    // Entra's update: capitalised ops, a value path, string booleans.
    let r = patch(&app, &format!("/Users/{id}"), json!([
                {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "updated@contoso.com"},
                {"op": "Replace", "path": "name.familyName", "value": "updatedFamilyName"},
                {"op": "Add", "path": "phoneNumbers[type eq \"work\"].value", "value": "+1 425 555 0100"}
            ])).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["emails"][0]["value"], "updated@contoso.com");
    assert_eq!(r.body["name"]["familyName"], "updatedFamilyName");
    assert!(
        r.body["phoneNumbers"][0]["value"].is_string(),
        "{:?}",
        r.body
    );
    // The email changed; the session is the user's, not the address's.
    assert!(session_alive(&app, &token).await);
    let r = patch(
        &app,
        &format!("/Users/{id}"),
        json!([{"op": "Replace", "path": "active", "value": "False"}]),
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["active"], false);
    assert!(
        !session_alive(&app, &token).await,
        "deactivation revokes sessions"
    );
    let r = scim(
        &app,
        Method::GET,
        "/Users?filter=externalId+eq+%220a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef%22",
        None,
    )
    .await;
    assert_eq!(r.body["totalResults"], 1);
    assert_eq!(r.body["Resources"][0]["active"], false);
    let r = patch(
        &app,
        &format!("/Users/{id}"),
        json!([{"op": "Replace", "path": "active", "value": "True"}]),
    )
    .await;
    assert_eq!(r.body["active"], true, "{:?}", r.body);
}

async fn etags_make_writes_conditional(b: Backend) {
    let app = TestApp::spawn(b).await;
    let u = provision(&app, json!({"userName": "etag.user"})).await;
    let id = u["id"].as_str().unwrap();
    let path = format!("{BASE}/Users/{id}");
    let r = app.get(&path).await;
    let tag = r.header("etag").unwrap().to_owned();
    assert_eq!(tag, "W/\"1\"");
    let r = app
        .http
        .get(app.url(&path))
        .bearer_auth(&app.key)
        .header("if-none-match", &tag)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 304);
    let put = |tag: &'static str| {
        app.http
            .put(app.url(&path))
            .bearer_auth(&app.key)
            .header("if-match", tag)
            .header("content-type", "application/scim+json")
            .body(json!({"userName": "etag.user", "name": {"givenName": "E"}}).to_string())
            .send()
    };
    let r = put("W/\"7\"").await.unwrap();
    assert_eq!(r.status(), 412);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["status"], "412");
    let r = put("W/\"1\"").await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["etag"], "W/\"2\"");
    let r = app
        .http
        .patch(app.url(&path))
        .bearer_auth(&app.key)
        .header("if-match", "W/\"1\"")
        .json(&json!({"Operations": [{"op": "add", "path": "name.familyName", "value": "X"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 412);
    let r = app
        .http
        .delete(app.url(&path))
        .bearer_auth(&app.key)
        .header("if-match", "W/\"1\"")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 412);
    let r = app.get(&path).await;
    assert_eq!(
        r.body["active"], true,
        "nothing was changed by a stale write"
    );
    assert_eq!(r.body["meta"]["version"], "W/\"2\"");
}

async fn errors_are_scim_errors(b: Backend) {
    let app = TestApp::spawn(b).await;
    provision(&app, json!({"userName": "taken"})).await;
    let r = scim(
        &app,
        Method::POST,
        "/Users",
        Some(json!({"userName": "TAKEN"})),
    )
    .await;
    assert_eq!(r.status, 409);
    assert_eq!(r.body["scimType"], "uniqueness");
    assert_eq!(r.header("content-type"), Some("application/scim+json"));
    let r = scim(
        &app,
        Method::POST,
        "/Users",
        Some(json!({"name": {"givenName": "A"}})),
    )
    .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.body["scimType"], "invalidValue");
    assert!(r.body["detail"].as_str().unwrap().contains("userName"));
    let r = scim(
        &app,
        Method::POST,
        "/Users",
        Some(json!({"userName": "-bad name"})),
    )
    .await;
    assert_eq!(r.body["scimType"], "invalidValue");
    let r = scim(&app, Method::GET, "/Users?filter=userName%20eq", None).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.body["scimType"], "invalidFilter");
    let r = scim(
        &app,
        Method::GET,
        "/Users?filter=title%20eq%20%22x%22",
        None,
    )
    .await;
    assert_eq!(r.body["scimType"], "invalidFilter");
    let r = scim(&app, Method::GET, "/Users/not-a-uuid", None).await;
    assert_eq!(r.status, 404);
    let r = scim(
        &app,
        Method::GET,
        "/Users/0190f5d5-7a29-7b5c-8d5a-1c2b3c4d5e6f",
        None,
    )
    .await;
    assert_eq!(r.status, 404);
    let r = app
        .call_as(None, Method::GET, &format!("{BASE}/Users"), None)
        .await;
    assert_eq!(r.status, 401);
    assert_eq!(r.body["status"], "401");
    let r = app
        .http
        .post(app.url(&format!("{BASE}/Users")))
        .bearer_auth(&app.key)
        .header("content-type", "application/scim+json")
        .body("{\"userName\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["scimType"], "invalidSyntax");
    let u = provision(&app, json!({"userName": "patchy"})).await;
    let path = format!("/Users/{}", u["id"].as_str().unwrap());
    for (ops, kind) in [
        (
            json!([{"op": "jump", "path": "userName", "value": "x"}]),
            "invalidSyntax",
        ),
        (
            json!([{"op": "replace", "path": "emails[type", "value": "x"}]),
            "invalidPath",
        ),
        (json!([{"op": "remove"}]), "noTarget"),
        (
            json!([{"op": "replace", "path": "id", "value": "x"}]),
            "mutability",
        ),
        (
            json!([{"op": "replace", "path": "userName", "value": "taken"}]),
            "uniqueness",
        ),
    ] {
        let r = scim(&app, Method::PATCH, &path, Some(json!({"Operations": ops}))).await;
        assert_eq!(r.body["scimType"], kind, "{ops}: {:?}", r.body);
    }
    let r = scim(&app, Method::GET, "/Nope", None).await;
    assert_eq!(r.status, 404);
    assert_eq!(r.body["status"], "404");
}

async fn filters_sort_page_and_select(b: Backend) {
    let app = TestApp::spawn(b).await;
    for (user, given, family, ext) in [
        ("ada@example.com", "Ada", "Lovelace", "x-1"),
        ("grace", "Grace", "Hopper", "x-2"),
        ("alan@example.org", "Alan", "Turing", "x-3"),
        ("edsger", "Edsger", "Dijkstra", "X-4"),
    ] {
        provision(
            &app,
            json!({"userName": user, "externalId": ext,
                   "name": {"givenName": given, "familyName": family}}),
        )
        .await;
    }
    let names = |r: &Reply| -> Vec<String> {
        r.body["Resources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["userName"].as_str().unwrap().to_owned())
            .collect()
    };
    let list = |q: &str| {
        let q = q.to_owned();
        let app = &app;
        async move {
            let r = app
                .http
                .get(app.url(&format!("{BASE}/Users")))
                .query(&[("filter", q.as_str()), ("sortBy", "userName")])
                .bearer_auth(&app.key)
                .send()
                .await
                .unwrap();
            let r = crate::support::read(r).await;
            assert_eq!(r.status, 200, "{q}: {:?}", r.body);
            names(&r)
        }
    };
    assert_eq!(list("userName eq \"GRACE\"").await, ["grace"]);
    assert_eq!(
        list("userName ne \"grace\"").await,
        ["ada@example.com", "alan@example.org", "edsger"]
    );
    assert_eq!(
        list("userName co \"example\"").await,
        ["ada@example.com", "alan@example.org"]
    );
    assert_eq!(
        list("userName sw \"A\"").await,
        ["ada@example.com", "alan@example.org"]
    );
    assert_eq!(list("userName ew \".org\"").await, ["alan@example.org"]);
    assert_eq!(list("userName gt \"edsger\"").await, ["grace"]);
    assert_eq!(list("userName ge \"edsger\"").await, ["edsger", "grace"]);
    assert_eq!(list("userName lt \"alan\"").await, ["ada@example.com"]);
    assert_eq!(
        list("userName le \"alan@example.org\"").await,
        ["ada@example.com", "alan@example.org"]
    );
    assert_eq!(
        list("emails pr").await,
        ["ada@example.com", "alan@example.org"]
    );
    assert_eq!(
        list("emails[value ew \"example.com\"]").await,
        ["ada@example.com"]
    );
    assert_eq!(
        list("emails[type eq \"work\"]").await,
        ["ada@example.com", "alan@example.org"]
    );
    assert_eq!(
        list("externalId eq \"x-4\"").await,
        Vec::<String>::new(),
        "externalId is caseExact"
    );
    assert_eq!(list("externalId eq \"X-4\"").await, ["edsger"]);
    assert_eq!(list("name.familyName eq \"hopper\"").await, ["grace"]);
    // and binds tighter than or; not and parentheses.
    assert_eq!(
        list("userName eq \"grace\" or userName sw \"a\" and name.givenName eq \"Alan\"").await,
        ["alan@example.org", "grace"]
    );
    assert_eq!(
        list("(userName eq \"grace\" or userName sw \"a\") and name.givenName eq \"Alan\"").await,
        ["alan@example.org"]
    );
    assert_eq!(
        list("not (emails pr) and active eq true").await,
        ["edsger", "grace"]
    );
    assert_eq!(
        list("meta.created gt \"2000-01-01T00:00:00Z\"").await.len(),
        4
    );
    // Paging, order, attributes.
    let r = scim(&app, Method::GET, "/Users?sortBy=name.familyName&sortOrder=descending&startIndex=2&count=2&attributes=userName", None).await;
    assert_eq!(r.body["totalResults"], 4);
    assert_eq!(r.body["startIndex"], 2);
    assert_eq!(r.body["itemsPerPage"], 2);
    assert_eq!(names(&r), ["ada@example.com", "grace"]);
    let first = &r.body["Resources"][0];
    assert!(
        first.get("name").is_none() && first["id"].is_string(),
        "{first}"
    );
    let r = scim(&app, Method::GET, "/Users?startIndex=9", None).await;
    assert_eq!(r.body["totalResults"], 4);
    assert_eq!(r.body["Resources"], json!([]));
    let r = scim(
        &app,
        Method::GET,
        "/Users?excludedAttributes=name,emails&count=1",
        None,
    )
    .await;
    assert!(r.body["Resources"][0].get("name").is_none());
    assert!(r.body["Resources"][0]["userName"].is_string());
    let r = scim(
        &app,
        Method::POST,
        "/Users/.search",
        Some(
            json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
                    "filter": "name.givenName sw \"e\"", "count": 10}),
        ),
    )
    .await;
    assert_eq!(names(&r), ["edsger"]);
}

async fn delete_deactivates_and_the_user_leaves_scim(b: Backend) {
    let app = TestApp::spawn(b).await;
    let u = provision(&app, json!({"userName": "leaver@example.com"})).await;
    let id = u["id"].as_str().unwrap();
    let token = session_of(&app, id, "leaver@example.com").await;
    let r = scim(&app, Method::DELETE, &format!("/Users/{id}"), None).await;
    assert_eq!(r.status, 204);
    assert!(!session_alive(&app, &token).await);
    // Gone from SCIM (RFC 7644 3.6)...
    let r = scim(&app, Method::GET, &format!("/Users/{id}"), None).await;
    assert_eq!(r.status, 404);
    let r = scim(
        &app,
        Method::GET,
        "/Users?filter=userName%20eq%20%22leaver@example.com%22",
        None,
    )
    .await;
    assert_eq!(r.body["totalResults"], 0);
    let r = scim(&app, Method::DELETE, &format!("/Users/{id}"), None).await;
    assert_eq!(r.status, 404);
    // ...and deactivated in roster, with its audit trail.
    let native = app.get(&format!("/v1/users/{id}")).await;
    assert_eq!(native.body["status"], "deactivated");
    // A user deactivated with active: false stays readable.
    let kept = provision(&app, json!({"userName": "kept", "active": false})).await;
    let r = scim(
        &app,
        Method::GET,
        &format!("/Users/{}", kept["id"].as_str().unwrap()),
        None,
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["active"], false);
    let r = scim(&app, Method::GET, "/Users?filter=active%20eq%20false", None).await;
    assert_eq!(r.body["totalResults"], 1);
}

async fn tenants_are_isolated(b: Backend) {
    let app = TestApp::spawn(b).await;
    let mine = provision(&app, json!({"userName": "mine"})).await;
    let id = mine["id"].as_str().unwrap();
    let (_, other) = app.other_tenant("globex").await;
    let as_other = |m: Method, p: String, body: Option<Value>| {
        let other = other.clone();
        let app = &app;
        async move { app.call_as(Some(&other), m, &p, body).await }
    };
    let r = as_other(Method::GET, "/t/globex/scim/v2/Users".into(), None).await;
    assert_eq!(r.body["totalResults"], 0);
    let r = as_other(Method::GET, format!("/t/globex/scim/v2/Users/{id}"), None).await;
    assert_eq!(r.status, 404);
    let r = as_other(
        Method::PATCH,
        format!("/t/globex/scim/v2/Users/{id}"),
        Some(json!({"Operations": [{"op": "replace", "value": {"active": false}}]})),
    )
    .await;
    assert_eq!(r.status, 404);
    let r = as_other(
        Method::DELETE,
        format!("/t/globex/scim/v2/Users/{id}"),
        None,
    )
    .await;
    assert_eq!(r.status, 404);
    let r = as_other(
        Method::GET,
        "/t/globex/scim/v2/Users?filter=userName%20eq%20%22mine%22".into(),
        None,
    )
    .await;
    assert_eq!(r.body["totalResults"], 0);
    // Another tenant's base URL with this key is not found.
    let r = as_other(Method::GET, "/t/acme/scim/v2/Users".into(), None).await;
    assert_eq!(r.status, 404);
    // The same userName is free in another tenant.
    let r = as_other(
        Method::POST,
        "/t/globex/scim/v2/Users".into(),
        Some(json!({"userName": "mine"})),
    )
    .await;
    assert_eq!(r.status, 201);
    let r = scim(&app, Method::GET, &format!("/Users/{id}"), None).await;
    assert_eq!(r.body["active"], true);
}

async fn changes_are_audited_as_made_through_scim(b: Backend) {
    let app = TestApp::spawn(b).await;
    let u = provision(&app, json!({"userName": "audited", "active": false})).await;
    assert_eq!(u["active"], false);
    let id = u["id"].as_str().unwrap();
    let r = app.get(&format!("/v1/users/{id}/events")).await;
    let events = r.body["data"].as_array().unwrap();
    let actions: Vec<&str> = events
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["created", "deactivated"], "{events:?}");
    for e in events {
        assert_eq!(e["channel"], "scim", "{e}");
        assert!(e["actor"].as_str().unwrap().starts_with("api_key:"), "{e}");
    }
}

async fn groups_and_their_members(b: Backend) {
    let app = TestApp::spawn(b).await;
    let a = provision(&app, json!({"userName": "member.a"})).await;
    let b_ = provision(&app, json!({"userName": "member.b"})).await;
    let (a, b_) = (a["id"].as_str().unwrap(), b_["id"].as_str().unwrap());
    let r = scim(
        &app,
        Method::POST,
        "/Groups",
        Some(
            json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                    "displayName": "Sales Team", "members": [{"value": a}]}),
        ),
    )
    .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    let gid = r.body["id"].as_str().unwrap().to_owned();
    assert_eq!(r.body["members"][0]["value"], a);
    let path = format!("/Groups/{gid}");
    // Okta: add a member without sending the list.
    let r = patch(
        &app,
        &path,
        json!([{"op": "add", "path": "members", "value": [{"value": b_}]}]),
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["members"].as_array().unwrap().len(), 2);
    // The native API sees the membership.
    let native = app.get(&format!("/v1/users/{b_}")).await;
    assert_eq!(
        native.body["groups"],
        json!(["sales-team"]),
        "{:?}",
        native.body
    );
    // Remove by a value filter; Entra removes by value.
    let r = scim(
        &app,
        Method::PATCH,
        &path,
        Some(
            json!({"Operations": [{"op": "remove", "path": format!("members[value eq \"{a}\"]")}]}),
        ),
    )
    .await;
    assert_eq!(
        r.body["members"],
        json!([{"value": b_, "$ref": r.body["members"][0]["$ref"]}])
    );
    let r = patch(
        &app,
        &path,
        json!([
            {"op": "Remove", "path": "members", "value": [{"value": b_}]},
            {"op": "Replace", "path": "displayName", "value": "Sales"}
        ]),
    )
    .await;
    assert_eq!(r.body["members"], json!([]), "{:?}", r.body);
    assert_eq!(r.body["displayName"], "Sales");
    let r = patch(&app, &path, json!([{"op": "add", "path": "members", "value": [{"value": "0190f5d5-7a29-7b5c-8d5a-1c2b3c4d5e6f"}]}])).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.body["scimType"], "invalidValue");
    let r = scim(
        &app,
        Method::GET,
        "/Groups?filter=displayName%20eq%20%22sales%22",
        None,
    )
    .await;
    assert_eq!(r.body["totalResults"], 1, "{:?}", r.body);
    let r = scim(
        &app,
        Method::POST,
        "/Groups",
        Some(json!({"displayName": "sales team"})),
    )
    .await;
    assert_eq!(r.status, 409);
    assert_eq!(r.body["scimType"], "uniqueness");
    // Another tenant sees none of it.
    let (_, other) = app.other_tenant("globex").await;
    let r = app
        .call_as(
            Some(&other),
            Method::GET,
            &format!("/t/globex/scim/v2/Groups/{gid}"),
            None,
        )
        .await;
    assert_eq!(r.status, 404);
    let r = app
        .call_as(Some(&other), Method::GET, "/t/globex/scim/v2/Groups", None)
        .await;
    assert_eq!(r.body["totalResults"], 0);
    let r = app
        .call_as(
            Some(&other),
            Method::DELETE,
            &format!("/t/globex/scim/v2/Groups/{gid}"),
            None,
        )
        .await;
    assert_eq!(r.status, 404);
    let r = scim(&app, Method::DELETE, &path, None).await;
    assert_eq!(r.status, 204);
    let r = scim(&app, Method::GET, &path, None).await;
    assert_eq!(r.status, 404);
}

async fn bulk_runs_operations_in_order_with_references(b: Backend) {
    let app = TestApp::spawn(b).await;
    let r = scim(
        &app,
        Method::POST,
        "/Bulk",
        Some(json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
            "Operations": [
                {"method": "POST", "path": "/Users", "bulkId": "u1", "data": {"userName": "bulk.one"}},
                {"method": "POST", "path": "/Groups", "bulkId": "g1",
                 "data": {"displayName": "Bulk", "members": [{"value": "bulkId:u1"}]}},
                {"method": "PATCH", "path": "/Users/bulkId:u1",
                 "data": {"Operations": [{"op": "replace", "path": "name.givenName", "value": "Bea"}]}},
                {"method": "POST", "path": "/Users", "data": {"userName": "bulk.one"}},
                {"method": "POST", "path": "/Users", "data": {"userName": "bulk.two"}}
            ]
        })),
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(
        r.body["schemas"][0],
        "urn:ietf:params:scim:api:messages:2.0:BulkResponse"
    );
    let ops = r.body["Operations"].as_array().unwrap();
    let statuses: Vec<&str> = ops.iter().map(|o| o["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["201", "201", "200", "409", "201"], "{ops:?}");
    assert_eq!(ops[0]["bulkId"], "u1");
    assert!(ops[0]["location"].as_str().unwrap().contains("/Users/"));
    assert_eq!(ops[2]["version"], "W/\"2\"");
    assert_eq!(ops[3]["response"]["scimType"], "uniqueness");
    let group = app
        .get(
            ops[1]["location"]
                .as_str()
                .unwrap()
                .split_once(&app.addr.to_string())
                .unwrap()
                .1,
        )
        .await;
    assert_eq!(
        group.body["members"].as_array().unwrap().len(),
        1,
        "{:?}",
        group.body
    );
    // failOnErrors stops the run.
    let r = scim(
        &app,
        Method::POST,
        "/Bulk",
        Some(json!({
            "failOnErrors": 1,
            "Operations": [
                {"method": "POST", "path": "/Users", "data": {"userName": "bulk.two"}},
                {"method": "POST", "path": "/Users", "data": {"userName": "bulk.three"}},
                {"method": "DELETE", "path": "/Users/bulkId:nope"}
            ]
        })),
    )
    .await;
    assert_eq!(
        r.body["Operations"].as_array().unwrap().len(),
        1,
        "{:?}",
        r.body
    );
    let r = scim(
        &app,
        Method::GET,
        "/Users?filter=userName%20eq%20%22bulk.three%22",
        None,
    )
    .await;
    assert_eq!(r.body["totalResults"], 0);
    let many: Vec<Value> = (0..101)
        .map(|_| json!({"method": "DELETE", "path": "/Users/x"}))
        .collect();
    let r = scim(
        &app,
        Method::POST,
        "/Bulk",
        Some(json!({"Operations": many})),
    )
    .await;
    assert_eq!(r.status, 413);
    assert_eq!(r.body["scimType"], "tooMany");
}

async fn a_refused_deactivation_changes_nothing(b: Backend) {
    let app = TestApp::spawn(b).await;
    let admin = app
        .create_user(
            json!({"email": "boss@example.com", "status": "active", "roles": ["admin"],
                            "first_name": "Boss"}),
        )
        .await;
    let id = admin["id"].as_str().unwrap();
    // The tenant's last active admin: the deactivation is refused, and the name with it.
    let r = scim(
        &app,
        Method::PUT,
        &format!("/Users/{id}"),
        Some(json!({"userName": "boss@example.com", "name": {"givenName": "Former"}, "active": false})),
    )
    .await;
    assert_eq!(r.status, 409, "{:?}", r.body);
    let native = app.get(&format!("/v1/users/{id}")).await;
    assert_eq!(native.body["first_name"], "Boss");
    assert_eq!(native.body["status"], "active");
    // Without the deactivation the edit goes through.
    let r = scim(
        &app,
        Method::PATCH,
        &format!("/Users/{id}"),
        Some(
            json!({"Operations": [{"op": "replace", "path": "name.givenName", "value": "Chief"}]}),
        ),
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["name"]["givenName"], "Chief");
}

/// A filter is translated to SQL: the page and its count are one statement, then the page's
/// extension attributes and groups, in one read transaction, however many users match.
async fn a_filter_is_one_query(b: Backend) {
    let db = TestDb::new(b).await;
    let census = Census::default();
    let store = db.store().await.with_census(census.clone());
    let app = TestApp::spawn_with(db, store).await;
    for name in ["one", "two", "three"] {
        provision(&app, json!({"userName": name})).await;
    }
    census.take();
    let r = scim(
        &app,
        Method::GET,
        "/Users?filter=userName%20eq%20%22TWO%22%20or%20(name.givenName%20pr%20and%20not%20(active%20eq%20false))",
        None,
    )
    .await;
    assert_eq!(r.body["totalResults"], 1, "{:?}", r.body);
    let txs = census.take();
    let reads: Vec<_> = txs.iter().filter(|t| t.kind == TxKind::Read).collect();
    assert_eq!(reads.len(), 1, "{txs:#?}");
    assert_eq!(reads[0].statements, 3, "{txs:#?}");
}

/// A key with the `scim` scope provisions; a read-only key reads and is refused a change.
async fn a_key_does_what_its_scopes_allow(b: Backend) {
    let app = TestApp::spawn(b).await;
    let key = |scopes: Value| {
        let app = &app;
        async move {
            let r = app
                .post("/v1/keys", json!({"name": "idp", "scopes": scopes}))
                .await;
            assert_eq!(r.status, 201, "{:?}", r.body);
            r.body["api_key"].as_str().unwrap().to_owned()
        }
    };
    let (scim_key, read_key) = (key(json!(["scim"])).await, key(json!(["read"])).await);
    let users = format!("{BASE}/Users");
    let r = app
        .call_as(
            Some(&scim_key),
            Method::POST,
            &users,
            Some(json!({"userName": "scoped"})),
        )
        .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    let path = format!("{users}/{}", r.body["id"].as_str().unwrap());
    let deactivate = json!({"Operations": [{"op": "replace", "value": {"active": false}}]});
    let r = app
        .call_as(
            Some(&read_key),
            Method::PATCH,
            &path,
            Some(deactivate.clone()),
        )
        .await;
    assert_eq!(r.status, 403, "{:?}", r.body);
    assert_eq!(r.body["status"], "403");
    let r = app
        .call_as(
            Some(&read_key),
            Method::POST,
            &users,
            Some(json!({"userName": "nope"})),
        )
        .await;
    assert_eq!(r.status, 403);
    let r = app.call_as(Some(&read_key), Method::GET, &path, None).await;
    assert_eq!(r.body["active"], true, "the refused change changed nothing");
    let r = app
        .call_as(Some(&scim_key), Method::PATCH, &path, Some(deactivate))
        .await;
    assert_eq!(r.body["active"], false, "{:?}", r.body);
    let r = app
        .call_as(
            Some(&scim_key),
            Method::POST,
            &format!("{BASE}/Groups"),
            Some(json!({"displayName": "Scoped"})),
        )
        .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
}

/// PATCH remove: a user with a userName can lose their email; `active` cannot be removed
/// (every roster user is active or not); a user is never left with neither email nor username.
async fn remove_follows_what_roster_keeps(b: Backend) {
    let app = TestApp::spawn(b).await;
    let u = provision(
        &app,
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": "grace.h",
            "emails": [{"value": "grace@example.com", "primary": true}],
            "name": {"givenName": "Grace", "familyName": "Hopper"},
        }),
    )
    .await;
    let path = format!("/Users/{}", u["id"].as_str().unwrap());
    assert!(u["name"].get("formatted").is_none(), "{u}");

    let r = patch(&app, &path, json!([{"op": "remove", "path": "active"}])).await;
    assert_eq!(r.status, 400, "{:?}", r.body);
    assert_eq!(r.body["scimType"], "mutability");

    let r = patch(&app, &path, json!([{"op": "remove", "path": "emails"}])).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert!(r.body.get("emails").is_none(), "{:?}", r.body);
    let r = scim(&app, Method::GET, &path, None).await;
    assert!(r.body.get("emails").is_none(), "{:?}", r.body);
    assert_eq!(r.body["userName"], "grace.h");

    // The email is free again for someone else.
    let other = provision(
        &app,
        json!({"userName": "grace.other", "emails": [{"value": "grace@example.com"}]}),
    )
    .await;
    assert_eq!(other["emails"][0]["value"], "grace@example.com");

    // Through the native API, the last identifier cannot go.
    let r = app
        .call(
            Method::PATCH,
            &format!("/v1/users/{}", u["id"].as_str().unwrap()),
            Some(json!({"username": null})),
        )
        .await;
    assert_eq!(r.status, 422, "{:?}", r.body);
    assert_eq!(r.body["errors"][0]["field"], "username", "{:?}", r.body);
}

/// Okta and Entra may create a person as `active: false`: created and deactivated in one write,
/// with both steps in the history; the Enterprise User extension sent with it is kept.
async fn an_inactive_creation_is_one_transaction(b: Backend) {
    let db = TestDb::new(b).await;
    let census = Census::default();
    let store = db.store().await.with_census(census.clone());
    let app = TestApp::spawn_with(db, store).await;
    census.take();
    let enterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
    let u = provision(
        &app,
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", enterprise],
            "userName": "later",
            "active": false,
            enterprise: {"employeeNumber": "701"},
        }),
    )
    .await;
    assert_eq!(u["active"], false, "{u}");
    assert_eq!(u[enterprise]["employeeNumber"], "701", "{u}");
    let writes: Vec<_> = census
        .take()
        .into_iter()
        // The API key's last-used stamp is a write of its own.
        .filter(|t| t.kind == TxKind::Write && t.statements > 1)
        .collect();
    assert_eq!(writes.len(), 1, "{writes:#?}");
    let id = u["id"].as_str().unwrap();
    let r = app.get(&format!("/v1/users/{id}/events")).await;
    let actions: Vec<_> = r.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect();
    assert!(actions.contains(&"created".to_owned()), "{actions:?}");
    assert!(actions.contains(&"deactivated".to_owned()), "{actions:?}");
}

/// With the tenant's `scim_delete` set to `erase`, a SCIM DELETE erases the user: gone from SCIM,
/// no personal datum left in roster, the audit trail kept, the address free again.
async fn delete_erases_when_the_tenant_says_so(b: Backend) {
    let app = TestApp::spawn(b).await;
    let r = app
        .call(
            Method::PATCH,
            "/v1/settings",
            Some(json!({"scim_delete": "erase"})),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let u = provision(
        &app,
        json!({"userName": "gone@example.com", "name": {"givenName": "Gina", "familyName": "Gone"}}),
    )
    .await;
    let id = u["id"].as_str().unwrap();
    let token = session_of(&app, id, "gone@example.com").await;
    let r = scim(&app, Method::DELETE, &format!("/Users/{id}"), None).await;
    assert_eq!(r.status, 204, "{:?}", r.body);
    assert!(!session_alive(&app, &token).await);
    assert_eq!(
        scim(&app, Method::GET, &format!("/Users/{id}"), None)
            .await
            .status,
        404
    );
    let native = app.get(&format!("/v1/users/{id}")).await;
    assert_eq!(native.status, 200, "the id stays: {:?}", native.body);
    for field in ["email", "username", "first_name", "last_name"] {
        assert!(native.body[field].is_null(), "{field}: {:?}", native.body);
    }
    let events = app.get(&format!("/v1/users/{id}/events")).await.body["data"].clone();
    let actions: Vec<&str> = events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert!(
        actions.contains(&"created") && actions.contains(&"erased"),
        "{actions:?}"
    );
    assert!(!events.to_string().contains("Gina"), "{events}");
    // The address is free for a new person.
    provision(&app, json!({"userName": "gone@example.com"})).await;
}
