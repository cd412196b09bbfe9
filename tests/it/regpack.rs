//! The Regpack dialect: `POST /reg/api2/users/` (every action) and `POST /reg/api2/statuses/`.

use crate::backend_tests;
use crate::snapshot::Transcript;
use crate::support::{Backend, Reply, TestApp, TestDb};
use futures::future::join_all;
use reqwest::Method;
use serde_json::{json, Value};

backend_tests!(
    one_person_in_two_groups_keeps_one_clogin_id,
    a_child_is_linked_to_its_parent,
    create_child_takes_the_acting_clogin_id,
    login_answers_a_session_token,
    update_edits_the_profile_and_refuses_other_fields,
    secondary_emails_are_unique_across_the_organization,
    a_changed_primary_email_frees_the_old_address,
    a_primary_create_and_a_secondary_add_of_one_address_never_both_win,
    products_add_up_to_the_total_order,
    set_status_changes_one_membership_only,
    another_organizations_key_is_refused_for_this_group,
    stale_timestamps_and_bad_headers_are_refused,
    bad_input_is_named_and_nothing_is_written,
    disable_email_sending_queues_no_email,
    audit_events_name_the_api_user,
    actions_are_the_snapshot,
    refused_actions_are_the_snapshot,
    statuses_are_the_snapshot,
    refused_callers_are_the_snapshot,
    unavailable_answers_are_the_snapshot,
);

const ADMIN: &str = "admin@acme.test";

/// Who calls: an API key and the account number it claims.
struct Creds {
    key: String,
    api_id: i64,
}

async fn acme(app: &TestApp) -> Creds {
    Creds {
        key: app.key.clone(),
        api_id: app.tenant_number().await,
    }
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

async fn send(app: &TestApp, path: &str, headers: &[(&str, String)], body: Value) -> Reply {
    let mut req = app.http.request(Method::POST, app.url(path)).json(&body);
    for (name, value) in headers {
        req = req.header(*name, value);
    }
    crate::support::read(req.send().await.expect("request sent")).await
}

fn headers(c: &Creds) -> Vec<(&'static str, String)> {
    vec![
        ("Api-token", c.key.clone()),
        ("Api-id", c.api_id.to_string()),
        ("Api-user", ADMIN.to_owned()),
        ("Timestamp", now().to_string()),
    ]
}

async fn users(app: &TestApp, c: &Creds, body: Value) -> Reply {
    send(app, "/reg/api2/users/", &headers(c), body).await
}

async fn group(app: &TestApp, key: &str) -> i64 {
    let r = app.post("/v1/groups", json!({"key": key})).await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    r.body["id"].as_i64().unwrap()
}

/// Creates a person in a group and answers their clogin_id.
async fn create(app: &TestApp, c: &Creds, group: i64, doc: Value) -> String {
    let r = users(
        app,
        c,
        json!({"action": "create", "group_id": group, "doc": doc}),
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    r.body["user_info"]["clogin_id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn info(app: &TestApp, c: &Creds, group: i64, clogin: &str) -> Reply {
    users(
        app,
        c,
        json!({"action": "get_info", "group_id": group, "clogin_id": clogin}),
    )
    .await
}

fn assert_error(r: &Reply, status: u16, needle: &str) {
    assert_eq!(r.status, status, "{:?}", r.body);
    assert_eq!(r.body["success"], false, "{:?}", r.body);
    assert_eq!(r.body["msg_type"], "error");
    let msg = r.body["msg"].as_str().unwrap();
    assert!(msg.contains(needle), "{msg:?} should mention {needle:?}");
}

async fn user_count(app: &TestApp) -> usize {
    app.get("/v1/users").await.body["data"]
        .as_array()
        .unwrap()
        .len()
}

async fn one_person_in_two_groups_keeps_one_clogin_id(b: Backend) {
    let app = TestApp::spawn(b).await;
    let c = acme(&app).await;
    let (g1, g2) = (group(&app, "summer").await, group(&app, "winter").await);
    let r = users(
        &app,
        &c,
        json!({"action": "create", "group_id": g1, "submit_forms": false,
               "doc": {"email": "miles@example.com", "first_name": "Miles", "last_name": "Davis",
                       "phone": "+15555550100"}}),
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["success"], true);
    assert_eq!(r.body["msg_type"], "success");
    assert_eq!(r.body["effected_users"], 1);
    let clogin = r.body["user_info"]["clogin_id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(r.body["users"], json!([clogin.parse::<i64>().unwrap()]));
    assert_eq!(
        r.body["user_info"],
        json!({"clogin_id": clogin, "group_id": g1.to_string(), "connected_to": clogin})
    );
    assert_eq!(r.body["meta_info"]["u_name"], "Miles Davis");
    assert_eq!(r.body["meta_info"]["status_id"], "0");
    assert_eq!(r.body["meta_info"]["status_name"], Value::Null);
    assert_eq!(r.body["meta_info"]["total_order"], "0.00");

    // The same person (any case of the email) joins a second group under the tenant base URL,
    // without the trailing slash: one user, one clogin_id.
    let again = send(
        &app,
        "/t/acme/reg/api2/users",
        &headers(&c),
        json!({"action": "create", "group_id": g2.to_string(), "doc": {"email": "MILES@example.com"}}),
    )
    .await;
    assert_eq!(again.status, 200, "{:?}", again.body);
    assert_eq!(again.body["user_info"]["clogin_id"], clogin.as_str());
    assert_eq!(again.body["user_info"]["group_id"], g2.to_string());
    assert_eq!(user_count(&app).await, 1);
    let user = &app.get("/v1/users").await.body["data"][0];
    assert_eq!(user["groups"], json!(["summer", "winter"]));

    // Already in the group: refused, nothing changes.
    let twice = create_raw(&app, &c, g1, json!({"email": "miles@example.com"})).await;
    assert_error(&twice, 409, &format!("already in group_id {g1}"));
    assert_eq!(user_count(&app).await, 1);
}

async fn create_raw(app: &TestApp, c: &Creds, group: i64, doc: Value) -> Reply {
    users(
        app,
        c,
        json!({"action": "create", "group_id": group, "doc": doc}),
    )
    .await
}

async fn a_child_is_linked_to_its_parent(b: Backend) {
    let app = TestApp::spawn(b).await;
    let c = acme(&app).await;
    let g = group(&app, "camp").await;
    let parent = create(&app, &c, g, json!({"email": "parent@example.com"})).await;
    let r = users(
        &app,
        &c,
        json!({"action": "create_child", "group_id": g, "connected_to": parent.parse::<i64>().unwrap(),
               "doc": {"first_name": "Kid", "last_name": "Davis"}}),
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let child = r.body["user_info"]["clogin_id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(child, parent);
    assert_eq!(r.body["user_info"]["connected_to"], parent.as_str());
    assert_eq!(
        r.body["profile"]["email"],
        Value::Null,
        "a child may have no email"
    );
    let p = info(&app, &c, g, &parent).await;
    assert_eq!(p.body["user_info"]["connected_to"], parent.as_str());
    let k = info(&app, &c, g, &child).await;
    assert_eq!(k.body["user_info"]["connected_to"], parent.as_str());

    // The parent must be a user of this organization; a missing connected_to is named.
    let before = user_count(&app).await;
    let r = users(
        &app,
        &c,
        json!({"action": "create_child", "group_id": g, "connected_to": 1, "doc": {}}),
    )
    .await;
    assert_error(&r, 400, "connected_to");
    let r = users(
        &app,
        &c,
        json!({"action": "create_child", "group_id": g, "doc": {}}),
    )
    .await;
    assert_error(&r, 400, "clogin_id: is required by create_child");
    // The acting clogin_id that Regpack's page requires names the parent just as well...
    let unknown = users(
        &app,
        &c,
        json!({"action": "create_child", "group_id": g, "clogin_id": 1, "doc": {}}),
    )
    .await;
    assert_error(&unknown, 400, "clogin_id: no user of this organization");
    // ...but it may not contradict connected_to.
    let r = users(
        &app,
        &c,
        json!({"action": "create_child", "group_id": g, "clogin_id": parent, "connected_to": 1,
               "doc": {"first_name": "Kid"}}),
    )
    .await;
    assert_error(
        &r,
        400,
        &format!(
            "connected_to: must be the clogin_id of the parent the child is created for ({parent})"
        ),
    );
    let other = app.other_tenant("other").await;
    let oc = Creds {
        key: other.1,
        api_id: other_number(&app, "other").await,
    };
    let og = other_group(&app, &oc.key, "their-camp").await;
    let r = users(
        &app,
        &oc,
        json!({"action": "create_child", "group_id": og, "connected_to": parent, "doc": {}}),
    )
    .await;
    assert_error(&r, 400, "connected_to");
    assert_eq!(user_count(&app).await, before);
}

/// A client following Regpack's page sends the parent's clogin_id on create_child, with or
/// without connected_to naming the same parent.
async fn create_child_takes_the_acting_clogin_id(b: Backend) {
    let app = TestApp::spawn(b).await;
    let c = acme(&app).await;
    let g = group(&app, "camp").await;
    let parent = create(&app, &c, g, json!({"email": "parent@example.com"})).await;
    for (i, body) in [
        json!({"action": "create_child", "group_id": g, "clogin_id": parent,
               "doc": {"first_name": "Ann"}}),
        json!({"action": "create_child", "group_id": g, "clogin_id": parent,
               "connected_to": parent, "doc": {"first_name": "Bea"}}),
    ]
    .into_iter()
    .enumerate()
    {
        let r = users(&app, &c, body).await;
        assert_eq!(r.status, 200, "child {i}: {:?}", r.body);
        assert_eq!(r.body["user_info"]["connected_to"], parent.as_str());
        assert_ne!(r.body["user_info"]["clogin_id"], parent.as_str());
    }
}

async fn other_number(app: &TestApp, slug: &str) -> i64 {
    let r = app
        .call_as(
            Some(crate::support::OPERATOR_TOKEN),
            Method::GET,
            "/v1/tenants",
            None,
        )
        .await;
    r.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["slug"] == slug)
        .unwrap()["number"]
        .as_i64()
        .unwrap()
}

async fn other_group(app: &TestApp, key: &str, name: &str) -> i64 {
    let r = app
        .call_as(
            Some(key),
            Method::POST,
            "/v1/groups",
            Some(json!({"key": name})),
        )
        .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    r.body["id"].as_i64().unwrap()
}

async fn login_answers_a_session_token(b: Backend) {
    let app = TestApp::spawn(b).await;
    let c = acme(&app).await;
    let g = group(&app, "course").await;
    let other = group(&app, "other-course").await;
    let clogin = create(
        &app,
        &c,
        g,
        json!({"email": "login@example.com", "password": "correct horse battery"}),
    )
    .await;
    let r = users(
        &app,
        &c,
        json!({"action": "login", "group_id": g, "clogin_id": clogin,
               "doc": {"email": "Login@example.com", "password": "correct horse battery"}}),
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["user_info"]["clogin_id"], clogin.as_str());
    assert_eq!(r.body["effected_users"], 0);
    let token = r.body["token"].as_str().unwrap();
    let me = app
        .call_as(Some(token), Method::GET, "/v1/sessions/current", None)
        .await;
    assert_eq!(
        me.status, 200,
        "the token is a roster session: {:?}",
        me.body
    );

    let wrong = users(
        &app,
        &c,
        json!({"action": "login", "group_id": g, "clogin_id": clogin,
               "doc": {"email": "login@example.com", "password": "wrong password!"}}),
    )
    .await;
    assert_error(&wrong, 401, "wrong email or password");
    let someone_else = users(
        &app,
        &c,
        json!({"action": "login", "group_id": g, "clogin_id": 1,
               "doc": {"email": "login@example.com", "password": "correct horse battery"}}),
    )
    .await;
    assert_error(&someone_else, 401, "wrong email or password");
    let not_member = users(
        &app,
        &c,
        json!({"action": "login", "group_id": other, "clogin_id": clogin,
               "doc": {"email": "login@example.com", "password": "correct horse battery"}}),
    )
    .await;
    assert_error(&not_member, 404, &format!("not in group_id {other}"));
    let missing = users(
        &app,
        &c,
        json!({"action": "login", "group_id": g, "doc": {"email": "login@example.com"}}),
    )
    .await;
    assert_error(&missing, 400, "doc.password: is required");
    assert_error(&missing, 400, "clogin_id: is required by login");
    let no_clogin = users(
        &app,
        &c,
        json!({"action": "login", "group_id": g,
               "doc": {"email": "login@example.com", "password": "correct horse battery"}}),
    )
    .await;
    assert_error(&no_clogin, 400, "clogin_id: is required by login");
}

async fn update_edits_the_profile_and_refuses_other_fields(b: Backend) {
    let app = TestApp::spawn(b).await;
    let c = acme(&app).await;
    let g = group(&app, "team").await;
    let clogin = create(
        &app,
        &c,
        g,
        json!({"email": "up@example.com", "first_name": "Old"}),
    )
    .await;
    let r = users(
        &app,
        &c,
        json!({"action": "update", "group_id": g, "clogin_id": clogin,
               "doc": {"first_name": "New", "last_name": "Name", "phone": "+15555550123"}}),
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["meta_info"]["u_name"], "New Name");
    assert_eq!(r.body["profile"]["phone"], "+15555550123");

    let refused = users(
        &app,
        &c,
        json!({"action": "update", "group_id": g, "clogin_id": clogin,
               "doc": {"first_name": "Sneaky", "email": "x@example.com", "connected_to": 5, "shoe_size": "9"}}),
    )
    .await;
    assert_error(&refused, 400, "doc.email");
    let fields: Vec<&str> = refused.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["doc.connected_to", "doc.email", "doc.shoe_size"]);
    let now = info(&app, &c, g, &clogin).await;
    assert_eq!(
        now.body["meta_info"]["u_name"], "New Name",
        "nothing was written"
    );
    let r = users(
        &app,
        &c,
        json!({"action": "update", "group_id": g, "doc": {"first_name": "X"}}),
    )
    .await;
    assert_error(&r, 400, "clogin_id: is required by update");
}

async fn secondary_emails_are_unique_across_the_organization(b: Backend) {
    let app = TestApp::spawn(b).await;
    let c = acme(&app).await;
    let g = group(&app, "g").await;
    let a = create(&app, &c, g, json!({"email": "a@example.com"})).await;
    let other = create(&app, &c, g, json!({"email": "b@example.com"})).await;
    let add = |clogin: String, email: &'static str| {
        let (app, c) = (&app, &c);
        async move {
            users(
                app,
                c,
                json!({"action": "add_email", "group_id": g, "clogin_id": clogin, "doc": {"email": email}}),
            )
            .await
        }
    };
    let r = add(a.clone(), "a.work@example.com").await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(
        r.body["profile"]["secondary_emails"],
        json!(["a.work@example.com"])
    );
    assert_error(
        &add(other.clone(), "A.Work@example.com").await,
        409,
        "doc.email",
    );
    assert_error(&add(other.clone(), "a@example.com").await, 409, "doc.email");
    assert_error(&add(a.clone(), "a@example.com").await, 409, "doc.email");
    // A primary email may not take a secondary one's address either.
    let native = app
        .post("/v1/users", json!({"email": "a.work@example.com"}))
        .await;
    assert_eq!(native.status, 409, "{:?}", native.body);
    // A create with a secondary email finds its person.
    let g2 = group(&app, "g2").await;
    assert_eq!(
        create(&app, &c, g2, json!({"email": "a.work@example.com"})).await,
        a
    );
    let bad = add(a.clone(), "not an email").await;
    assert_error(&bad, 400, "doc.email");
}

async fn a_changed_primary_email_frees_the_old_address(b: Backend) {
    let app = TestApp::spawn(b).await;
    let c = acme(&app).await;
    let g = group(&app, "g").await;
    let a = create(&app, &c, g, json!({"email": "old@example.com"})).await;
    let b_ = create(&app, &c, g, json!({"email": "b@example.com"})).await;
    let add = |clogin: &str, email: &str| {
        users(
            &app,
            &c,
            json!({"action": "add_email", "group_id": g, "clogin_id": clogin, "doc": {"email": email}}),
        )
    };
    assert_eq!(add(&a, "spare@example.com").await.status, 200);
    let id = app.get("/v1/users?email=old@example.com").await.body["data"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // The native API changes the primary email; the index of email keys follows it.
    let r = app
        .call(
            Method::PATCH,
            &format!("/v1/users/{id}"),
            Some(json!({"email": "new@example.com"})),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(
        add(&b_, "old@example.com").await.status,
        200,
        "the old address is free"
    );
    assert_error(&add(&b_, "new@example.com").await, 409, "doc.email");
    // A secondary email may become the same person's primary one, and is then held once.
    let r = app
        .call(
            Method::PATCH,
            &format!("/v1/users/{id}"),
            Some(json!({"email": "spare@example.com"})),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let me = info(&app, &c, g, &a).await;
    assert_eq!(me.body["profile"]["email"], "spare@example.com");
    assert_eq!(me.body["profile"]["secondary_emails"], json!([]));
    assert_error(&add(&b_, "spare@example.com").await, 409, "doc.email");
}

async fn a_primary_create_and_a_secondary_add_of_one_address_never_both_win(b: Backend) {
    let app = TestApp::spawn(b).await;
    let c = acme(&app).await;
    let g = group(&app, "race").await;
    let holder = create(&app, &c, g, json!({"email": "holder@example.com"})).await;
    for i in 0..8 {
        let email = format!("contested{i}@example.com");
        let secondary = users(
            &app,
            &c,
            json!({"action": "add_email", "group_id": g, "clogin_id": holder, "doc": {"email": email}}),
        );
        let primary = app.post("/v1/users", json!({"email": email}));
        let (s, p) = futures::join!(secondary, primary);
        let wins = u8::from(s.status == 200) + u8::from(p.status == 201);
        assert_eq!(wins, 1, "exactly one wins: {:?} / {:?}", s.body, p.body);
        assert!(s.status == 200 || s.status == 409, "{:?}", s.body);
        assert!(p.status == 201 || p.status == 409, "{:?}", p.body);
    }
    // Concurrent creates of one new person in one group: one user, one membership.
    let creates = (0..4).map(|_| create_raw(&app, &c, g, json!({"email": "once@example.com"})));
    let replies = join_all(creates).await;
    assert_eq!(replies.iter().filter(|r| r.status == 200).count(), 1);
    assert!(replies.iter().all(|r| r.status == 200 || r.status == 409));
}

async fn products_add_up_to_the_total_order(b: Backend) {
    let app = TestApp::spawn(b).await;
    let c = acme(&app).await;
    let g = group(&app, "shop").await;
    let tent = app
        .post("/v1/products", json!({"name": "Tent", "price": "12.5"}))
        .await;
    assert_eq!(tent.status, 201, "{:?}", tent.body);
    assert_eq!(tent.body["price"], "12.50");
    let cap = app
        .post("/v1/products", json!({"name": "Cap", "price": "0.75"}))
        .await;
    for (body, field) in [
        (json!({"name": "Bad", "price": "1.234"}), "price"),
        (json!({"name": "Bad", "price": 3.5}), "price"),
        (json!({"name": "Tent", "price": "1"}), "name"),
    ] {
        let r = app.post("/v1/products", body).await;
        assert!(
            r.status == 400 || r.status == 409 || r.status == 422,
            "{:?}",
            r.body
        );
        assert!(r.body.to_string().contains(field), "{:?}", r.body);
    }
    let list = app.get("/v1/products").await;
    assert_eq!(list.body["data"].as_array().unwrap().len(), 2);

    let clogin = create(&app, &c, g, json!({"email": "buyer@example.com"})).await;
    let add = |product: Value| {
        users(
            &app,
            &c,
            json!({"action": "add_product", "group_id": g, "clogin_id": clogin, "doc": {"product_id": product}}),
        )
    };
    let r = add(tent.body["id"].clone()).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let r = add(json!(cap.body["id"].as_i64().unwrap().to_string())).await;
    assert_eq!(r.body["meta_info"]["total_order"], "13.25");
    let r = add(tent.body["id"].clone()).await;
    assert_eq!(r.body["meta_info"]["total_order"], "25.75");
    assert_eq!(r.body["meta_info"]["products"].as_array().unwrap().len(), 3);
    assert_error(&add(json!(999_999)).await, 400, "doc.product_id");
    assert_eq!(
        info(&app, &c, g, &clogin).await.body["meta_info"]["total_order"],
        "25.75"
    );
    // Another organization's product is unknown here.
    let theirs = other_product(&app).await;
    assert_error(&add(json!(theirs)).await, 400, "doc.product_id");
}

/// A product of another organization, `other`.
async fn other_product(app: &TestApp) -> i64 {
    let (_, other_key) = app.other_tenant("other").await;
    let theirs = app
        .call_as(
            Some(&other_key),
            Method::POST,
            "/v1/products",
            Some(json!({"name": "Theirs", "price": "1.00"})),
        )
        .await;
    assert_eq!(theirs.status, 201, "{:?}", theirs.body);
    theirs.body["id"].as_i64().unwrap()
}

async fn status(app: &TestApp, c: &Creds, doc: Value) -> Reply {
    send(
        app,
        "/reg/api2/statuses/",
        &headers(c),
        json!({"action": "create", "doc": doc}),
    )
    .await
}

async fn set_status_changes_one_membership_only(b: Backend) {
    let app = TestApp::spawn(b).await;
    let c = acme(&app).await;
    let (g1, g2) = (group(&app, "one").await, group(&app, "two").await);
    let r = status(
        &app,
        &c,
        json!({"status_name": "Paid", "color": "#00AA00", "is_excluded": false}),
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["msg"], "Status created successfully.");
    assert_eq!(r.body["msg_type"], "info");
    assert_eq!(r.body["success"], true);
    let paid = r.body["status_id"].as_i64().unwrap();
    assert_error(
        &status(&app, &c, json!({"status_name": "Paid", "color": "#000"})).await,
        409,
        "doc.status_name",
    );
    assert_error(
        &status(&app, &c, json!({"status_name": "Odd", "color": "blue"})).await,
        400,
        "doc.color",
    );
    let clogin = create(&app, &c, g1, json!({"email": "s@example.com"})).await;
    create(&app, &c, g2, json!({"email": "s@example.com"})).await;
    let set = |group: i64, status: i64| {
        users(
            &app,
            &c,
            json!({"action": "set_status", "group_id": group, "clogin_id": clogin, "doc": {}, "status_id": status}),
        )
    };
    let r = set(g1, paid).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["msg"], "User status updated successfully.");
    assert_eq!(r.body["meta_info"]["status_id"], paid.to_string());
    assert_eq!(r.body["meta_info"]["status_name"], "Paid");
    let two = info(&app, &c, g2, &clogin).await;
    assert_eq!(
        two.body["meta_info"]["status_id"], "0",
        "the other group keeps its own"
    );
    assert_error(&set(g2, 999_999).await, 400, "status_id");
    assert_error(&set(g2, -1).await, 400, "status_id");
    let cleared = set(g1, 0).await;
    assert_eq!(cleared.body["meta_info"]["status_id"], "0");
    assert_eq!(cleared.body["meta_info"]["status_name"], Value::Null);
    // Another organization's status is not one of this organization's.
    let (_, key) = app.other_tenant("other").await;
    let oc = Creds {
        key,
        api_id: other_number(&app, "other").await,
    };
    let theirs = status(&app, &oc, json!({"status_name": "Theirs", "color": "#123"})).await;
    assert_error(
        &set(g1, theirs.body["status_id"].as_i64().unwrap()).await,
        400,
        "status_id",
    );
}

async fn another_organizations_key_is_refused_for_this_group(b: Backend) {
    let app = TestApp::spawn(b).await;
    let c = acme(&app).await;
    let g = group(&app, "ours").await;
    let clogin = create(&app, &c, g, json!({"email": "ours@example.com"})).await;
    let (_, key) = app.other_tenant("other").await;
    let oc = Creds {
        key,
        api_id: other_number(&app, "other").await,
    };
    let r = info(&app, &oc, g, &clogin).await;
    assert_error(
        &r,
        404,
        &format!("group_id {g} is not a group of this organization"),
    );
    let nothing = info(&app, &oc, 987_654, &clogin).await;
    assert_eq!(
        r.body["msg"].as_str().unwrap().replace(&g.to_string(), "N"),
        nothing.body["msg"].as_str().unwrap().replace("987654", "N"),
        "another organization's group reads like no group at all"
    );
    let r = create_raw(&app, &oc, g, json!({"email": "intruder@example.com"})).await;
    assert_error(&r, 404, "is not a group of this organization");
    assert_eq!(user_count(&app).await, 1);
    // Their group with our clogin_id: no such user for them.
    let og = other_group(&app, &oc.key, "theirs").await;
    let r = info(&app, &oc, og, &clogin).await;
    assert_error(&r, 404, "is not a user of this organization");
}

async fn stale_timestamps_and_bad_headers_are_refused(b: Backend) {
    let app = TestApp::spawn(b).await;
    let c = acme(&app).await;
    let g = group(&app, "g").await;
    let body = json!({"action": "create", "group_id": g, "doc": {"email": "h@example.com"}});
    let with = |name: &str, value: Option<String>| {
        let mut h = headers(&c);
        h.retain(|(n, _)| *n != name);
        if let Some(v) = value {
            h.push((
                ["Api-token", "Api-id", "Api-user", "Timestamp"]
                    .into_iter()
                    .find(|n| *n == name)
                    .unwrap(),
                v,
            ));
        }
        h
    };
    let cases = [
        (
            with("Timestamp", Some((now() - 301).to_string())),
            401,
            "5 minutes",
        ),
        (
            with("Timestamp", Some((now() + 400).to_string())),
            401,
            "5 minutes",
        ),
        (
            with("Timestamp", Some("yesterday".into())),
            401,
            "Timestamp",
        ),
        (with("Timestamp", None), 401, "Timestamp"),
        (with("Api-user", None), 401, "Api-user"),
        (
            with("Api-user", Some("not-an-email".into())),
            401,
            "Api-user",
        ),
        (with("Api-token", None), 401, "Api-token"),
        (with("Api-token", Some("rst_nope".into())), 401, "Api-token"),
        (with("Api-id", None), 401, "Api-id"),
        (with("Api-id", Some("acme".into())), 401, "Api-id"),
        (
            with("Api-id", Some((c.api_id + 1).to_string())),
            404,
            "Api-id",
        ),
    ];
    for (h, code, needle) in cases {
        let r = send(&app, "/reg/api2/users/", &h, body.clone()).await;
        assert_error(&r, code, needle);
    }
    // A base URL of another tenant is refused too.
    app.other_tenant("other").await;
    let r = send(&app, "/t/other/reg/api2/users/", &headers(&c), body.clone()).await;
    assert_error(&r, 404, "organization not found");
    assert_eq!(user_count(&app).await, 0, "nothing was written");
    // A Timestamp just inside the window is fine.
    let ok = send(
        &app,
        "/reg/api2/users/",
        &with("Timestamp", Some((now() - 290).to_string())),
        body,
    )
    .await;
    assert_eq!(ok.status, 200, "{:?}", ok.body);
}

async fn bad_input_is_named_and_nothing_is_written(b: Backend) {
    let app = TestApp::spawn(b).await;
    let c = acme(&app).await;
    let g = group(&app, "g").await;
    let r = users(&app, &c, json!({"action": "delete", "group_id": g})).await;
    assert_error(&r, 400, "valid actions: create, create_child, login, update, add_email, add_product, get_info, set_status");
    let r = users(
        &app,
        &c,
        json!({"action": "create", "clogin_id": 5, "status_id": 1,
               "doc": {"email": "nope", "phone": "call me", "age": "9"}}),
    )
    .await;
    assert_eq!(r.status, 400, "{:?}", r.body);
    let mut fields: Vec<&str> = r.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    fields.sort();
    assert_eq!(
        fields,
        [
            "clogin_id",
            "doc.age",
            "doc.email",
            "doc.phone",
            "group_id",
            "status_id"
        ]
    );
    let r = users(
        &app,
        &c,
        json!({"action": "create", "group_id": "abc", "doc": {}}),
    )
    .await;
    assert_error(&r, 400, "group_id");
    let r = users(
        &app,
        &c,
        json!({"action": "create", "group_id": g, "extra": 1}),
    )
    .await;
    assert_error(&r, 400, "extra");
    let r = users(&app, &c, json!({"action": "create", "group_id": g, "submit_forms": "yes", "doc": {"email": "x@example.com"}})).await;
    assert_error(&r, 400, "submit_forms");
    let r = users(
        &app,
        &c,
        json!({"action": "get_info", "group_id": g, "clogin_id": 1, "doc": {"x": 1}}),
    )
    .await;
    assert_error(&r, 400, "doc.x");
    let raw = app
        .http
        .post(app.url("/reg/api2/users/"))
        .headers({
            let mut h = reqwest::header::HeaderMap::new();
            for (n, v) in headers(&c) {
                h.insert(n, v.parse().unwrap());
            }
            h.insert("content-type", "application/json".parse().unwrap());
            h
        })
        .body("{not json")
        .send()
        .await
        .unwrap();
    let r = crate::support::read(raw).await;
    assert_error(&r, 400, "not valid JSON");
    assert_eq!(user_count(&app).await, 0);
    let events = app.get("/v1/events").await;
    assert!(
        events.body["data"].as_array().unwrap().is_empty(),
        "no event either: {:?}",
        events.body
    );
}

async fn disable_email_sending_queues_no_email(b: Backend) {
    let app = TestApp::spawn(b).await;
    let c = acme(&app).await;
    let g = group(&app, "g").await;
    create(&app, &c, g, json!({"email": "mail@example.com"})).await;
    let quiet = users(
        &app,
        &c,
        json!({"action": "create", "group_id": g, "disable_email_sending": true, "submit_forms": true,
               "doc": {"email": "quiet@example.com"}}),
    )
    .await;
    assert_eq!(quiet.status, 200, "{:?}", quiet.body);
    let created = |email: &'static str| {
        let app = &app;
        async move {
            let u = app.get(&format!("/v1/users?email={email}")).await;
            let id = u.body["data"][0]["id"].as_str().unwrap().to_owned();
            let events = app.get(&format!("/v1/users/{id}/events")).await;
            events.body["data"][0].clone()
        }
    };
    assert!(created("mail@example.com").await["details"]["invite_email"].is_string());
    assert!(created("quiet@example.com").await["details"]
        .get("invite_email")
        .is_none());
}

async fn audit_events_name_the_api_user(b: Backend) {
    let app = TestApp::spawn(b).await;
    let c = acme(&app).await;
    let g = group(&app, "g").await;
    create(&app, &c, g, json!({"email": "audited@example.com"})).await;
    let u = app.get("/v1/users?email=audited@example.com").await;
    let id = u.body["data"][0]["id"].as_str().unwrap().to_owned();
    let events = app.get(&format!("/v1/users/{id}/events")).await;
    let actor = events.body["data"][0]["actor"].as_str().unwrap();
    assert!(actor.starts_with("api_key:"), "{actor}");
    assert!(actor.ends_with(&format!(" for {ADMIN}")), "{actor}");
    // Changes to the organization's settings are audited too, with no user.
    let r = status(&app, &c, json!({"status_name": "Late", "color": "#f00"})).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let event = crate::support::eventually(|| async {
        let feed = app.get("/v1/events").await;
        feed.body["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["action"] == "member_status_created")
            .cloned()
    })
    .await;
    assert_eq!(event["user_id"], Value::Null);
    assert_eq!(event["details"]["name"], "Late");
    assert!(event["actor"].as_str().unwrap().ends_with(ADMIN));
}

const USERS: &str = "/reg/api2/users/";
const STATUSES: &str = "/reg/api2/statuses/";

/// A call to `path` with these headers, as the transcript records it.
fn call(app: &TestApp, path: &str, headers: &[(&str, String)]) -> reqwest::RequestBuilder {
    let mut req = app.http.post(app.url(path));
    for (name, value) in headers {
        req = req.header(*name, value);
    }
    req
}

/// The bodies no endpoint can read: malformed, empty, not JSON, too large, not an object.
fn unreadable_bodies() -> [(&'static str, String); 5] {
    [
        ("application/json", "{not json".to_owned()),
        ("application/json", String::new()),
        ("text/plain", "action=create".to_owned()),
        (
            "application/json",
            format!("{{\"action\": \"{}\"}}", "a".repeat(70_000)),
        ),
        ("application/json", "[1]".to_owned()),
    ]
}

/// A transcript that writes the organization's generated numbers by name.
struct Numbers {
    t: Transcript,
}

impl Numbers {
    fn new(app: &TestApp) -> Self {
        Self {
            t: Transcript::new(app.addr),
        }
    }

    fn name(&mut self, value: impl ToString, name: &str) {
        self.t.alias(value, &format!("{{{name}}}"));
    }

    /// Names the number the last answer generated at `member` (the first, in a list), if it
    /// has one, and answers it.
    fn name_new(&mut self, member: &str, name: &str) -> Option<i64> {
        let answer = self.t.last_answer();
        let number = match &answer[member] {
            Value::Array(items) => items.first().and_then(Value::as_i64),
            other => other.as_i64(),
        }?;
        self.name(number, name);
        Some(number)
    }

    async fn send(&mut self, app: &TestApp, path: &str, h: &[(&str, String)], body: Value) {
        self.t.send(&app.http, call(app, path, h).json(&body)).await;
    }

    /// Every body no endpoint can read, to `path`.
    async fn send_unreadable(&mut self, app: &TestApp, path: &str, h: &[(&str, String)]) {
        for (content_type, body) in unreadable_bodies() {
            let req = call(app, path, h)
                .header("content-type", content_type)
                .body(body);
            self.t.send(&app.http, req).await;
        }
    }
}

async fn actions_are_the_snapshot(b: Backend) {
    let app = TestApp::spawn(b).await;
    let c = acme(&app).await;
    let (camp, school) = (group(&app, "camp").await, group(&app, "school").await);
    let tent = app
        .post("/v1/products", json!({"name": "Tent", "price": "120"}))
        .await;
    assert_eq!(tent.status, 201, "{:?}", tent.body);
    let tent = tent.body["id"].as_i64().unwrap();
    let paid = status(
        &app,
        &c,
        json!({"status_name": "Paid in full", "color": "#2e7d32"}),
    )
    .await;
    assert_eq!(paid.status, 200, "{:?}", paid.body);
    let paid = paid.body["status_id"].as_i64().unwrap();
    let mut n = Numbers::new(&app);
    n.name(camp, "camp");
    n.name(school, "school");
    n.name(tent, "tent");
    n.name(paid, "paid");
    let h = headers(&c);
    n.send(
        &app,
        USERS,
        &h,
        json!({"action": "create", "group_id": camp, "submit_forms": false,
        "disable_email_sending": true,
        "doc": {"email": "Miles@example.com", "first_name": "Miles", "last_name": "Davis",
                "phone": "+1 555 555 5555"}}),
    )
    .await;
    let m = n.name_new("users", "miles").unwrap();
    let miles = m.to_string();
    n.send(
        &app,
        USERS,
        &h,
        json!({"action": "create", "group_id": school.to_string(),
        "doc": {"email": "MILES@example.com"}}),
    )
    .await;
    n.send(&app, USERS, &h, json!({"action": "create", "group_id": camp,
        "doc": {"email": "ella@example.com", "first_name": "Ella", "password": "a-tisket-a-tasket"}})).await;
    let ella = n.name_new("users", "ella").unwrap().to_string();
    n.send(
        &app,
        USERS,
        &h,
        json!({"action": "create_child", "group_id": camp, "clogin_id": m,
        "connected_to": m, "doc": {"first_name": "Erin", "last_name": "Davis"}}),
    )
    .await;
    n.name_new("users", "erin");
    n.send(
        &app,
        USERS,
        &h,
        json!({"action": "create_child", "group_id": camp,
        "connected_to": miles, "doc": {"first_name": "Fred", "email": "fred@example.com",
        "phone": null}}),
    )
    .await;
    n.name_new("users", "fred");
    for body in [
        json!({"action": "login", "group_id": camp, "clogin_id": ella,
               "doc": {"email": "ELLA@example.com", "password": "a-tisket-a-tasket"}}),
        json!({"action": "update", "group_id": camp, "clogin_id": m,
               "doc": {"phone": "+15555550123", "last_name": "Davis Jr."}}),
        json!({"action": "update", "group_id": camp, "clogin_id": m,
               "doc": {"first_name": null, "password": "kind-of-blue-1959"}}),
        json!({"action": "add_email", "group_id": camp, "clogin_id": m,
               "doc": {"email": "miles.davis@example.org"}}),
        json!({"action": "add_product", "group_id": camp, "clogin_id": m,
               "doc": {"product_id": tent}}),
        json!({"action": "add_product", "group_id": camp, "clogin_id": miles,
               "doc": {"product_id": tent.to_string()}}),
        json!({"action": "get_info", "group_id": camp, "clogin_id": m}),
        json!({"action": "get_info", "group_id": school, "clogin_id": m, "doc": {}}),
        json!({"action": "set_status", "group_id": camp, "clogin_id": m,
               "status_id": paid, "doc": {}}),
        json!({"action": "set_status", "group_id": camp, "clogin_id": m,
               "status_id": "0"}),
    ] {
        n.send(&app, USERS, &h, body).await;
    }
    // Without the trailing slash, and under the tenant base URL.
    for path in ["/reg/api2/users", "/t/acme/reg/api2/users/"] {
        let body = json!({"action": "get_info", "group_id": camp, "clogin_id": ella});
        n.send(&app, path, &h, body).await;
    }
    insta::assert_json_snapshot!("actions", n.t.take());
}

async fn refused_actions_are_the_snapshot(b: Backend) {
    let app = TestApp::spawn(b).await;
    let c = acme(&app).await;
    let camp = group(&app, "camp").await;
    let school = group(&app, "school").await;
    let miles = create(
        &app,
        &c,
        camp,
        json!({"email": "miles@example.com",
        "password": "kind-of-blue-1959"}),
    )
    .await;
    let ella = create(&app, &c, school, json!({"email": "ella@example.com"})).await;
    let theirs = other_product(&app).await;
    let mut n = Numbers::new(&app);
    n.name(camp, "camp");
    n.name(school, "school");
    n.name(&miles, "miles");
    n.name(&ella, "ella");
    n.name(theirs, "theirs");
    let h = headers(&c);
    let (m, e) = (miles.parse::<i64>().unwrap(), ella.parse::<i64>().unwrap());
    let calls = [
        json!({"action": "delete", "group_id": camp}),
        json!({"group_id": camp}),
        json!({"action": 5, "group_id": camp}),
        json!({"action": "create", "clogin_id": 5, "status_id": 1, "connected_to": 2,
               "doc": {"email": "nope", "phone": "call me", "age": "9", "first_name": 7}}),
        json!({"action": "create", "group_id": "abc", "doc": {}}),
        json!({"action": "create", "group_id": camp, "extra": 1}),
        json!({"action": "create", "group_id": camp, "submit_forms": "yes",
               "doc": {"email": "x@example.com"}}),
        json!({"action": "create", "group_id": camp, "doc": "miles@example.com"}),
        json!({"action": "create", "group_id": camp}),
        json!({"action": "create", "group_id": camp, "doc": {"email": "miles@example.com"}}),
        json!({"action": "create", "group_id": 999999, "doc": {"email": "new@example.com"}}),
        json!({"action": "create", "group_id": camp, "doc": {"email": "new@example.com",
               "first_name": "R2D2", "password": "short"}}),
        json!({"action": "create_child", "group_id": camp, "doc": {}}),
        json!({"action": "create_child", "group_id": camp, "connected_to": 1, "doc": {}}),
        json!({"action": "create_child", "group_id": camp, "clogin_id": m, "connected_to": e,
               "doc": {"first_name": "Kid"}}),
        json!({"action": "create_child", "group_id": camp, "clogin_id": m,
               "doc": {"email": 5, "shoe": "9"}}),
        json!({"action": "login", "group_id": camp, "clogin_id": m,
               "doc": {"email": "miles@example.com", "password": "the wrong one"}}),
        json!({"action": "login", "group_id": camp, "clogin_id": m,
               "doc": {"email": "ella@example.com", "password": "kind-of-blue-1959"}}),
        json!({"action": "login", "group_id": school, "clogin_id": m,
               "doc": {"email": "miles@example.com", "password": "kind-of-blue-1959"}}),
        json!({"action": "login", "group_id": camp, "doc": {"remember": true}}),
        json!({"action": "update", "group_id": camp, "clogin_id": m, "doc": {}}),
        json!({"action": "update", "group_id": camp, "clogin_id": m}),
        json!({"action": "update", "group_id": camp, "clogin_id": m,
               "doc": {"email": "x@example.com", "clogin_id": 1, "shoe": "9", "first_name": 5,
                       "password": null, "phone": "call me"}}),
        json!({"action": "update", "group_id": camp, "clogin_id": m, "connected_to": m,
               "status_id": 0, "doc": {"first_name": "Al"}}),
        json!({"action": "update", "group_id": camp, "clogin_id": 1, "doc": {"first_name": "Al"}}),
        json!({"action": "update", "group_id": camp, "clogin_id": e, "doc": {"first_name": "Al"}}),
        json!({"action": "add_email", "group_id": camp, "clogin_id": m,
               "doc": {"email": "ella@example.com"}}),
        json!({"action": "add_email", "group_id": camp, "clogin_id": m, "doc": {}}),
        json!({"action": "add_product", "group_id": camp, "clogin_id": m,
               "doc": {"product_id": theirs}}),
        json!({"action": "add_product", "group_id": camp, "clogin_id": m,
               "doc": {"product_id": "abc", "qty": 1}}),
        json!({"action": "add_product", "group_id": camp, "clogin_id": m}),
        json!({"action": "get_info", "group_id": camp, "clogin_id": m, "doc": {"x": 1}}),
        json!({"action": "get_info", "group_id": camp}),
        json!({"action": "set_status", "group_id": camp, "clogin_id": m}),
        json!({"action": "set_status", "group_id": camp, "clogin_id": m, "status_id": 424242}),
        json!({"action": "set_status", "group_id": camp, "clogin_id": m, "status_id": -1}),
    ];
    for body in calls {
        n.send(&app, USERS, &h, body).await;
    }
    n.send_unreadable(&app, USERS, &h).await;
    insta::assert_json_snapshot!("refused_actions", n.t.take());
}

async fn statuses_are_the_snapshot(b: Backend) {
    let app = TestApp::spawn(b).await;
    let c = acme(&app).await;
    let camp = group(&app, "camp").await;
    let mut n = Numbers::new(&app);
    n.name(camp, "camp");
    let h = headers(&c);
    let calls = [
        json!({"action": "create", "doc": {"status_name": "Paid in full", "color": "#2e7d32"}}),
        json!({"action": "create", "group_id": camp,
               "doc": {"status_name": "Waiting", "color": "#abc", "is_excluded": true}}),
        json!({"action": "create", "doc": {"status_name": "Paid in full", "color": "#000000"}}),
        json!({"action": "create", "group_id": 999999,
               "doc": {"status_name": "Lost", "color": "#000000"}}),
        json!({"action": "delete", "doc": {"status_name": "Lost", "color": "#000000"}}),
        json!({"action": "create"}),
        json!({"doc": {"status_name": "Lost", "color": "#000000"}}),
        json!({"action": "create", "doc": {"status_name": "", "color": "green"}}),
        json!({"action": "create", "doc": {"status_name": "Lost"}}),
        json!({"action": "create", "doc": {"status_name": "Lost", "color": "#000",
               "is_excluded": "yes"}}),
        json!({"action": "create", "doc": {"status_name": "Lost", "color": "#000", "rank": 1}}),
        json!({"action": "create", "extra": 1,
               "doc": {"status_name": "Lost", "color": "#000"}}),
    ];
    for (i, body) in calls.into_iter().enumerate() {
        n.send(&app, STATUSES, &h, body).await;
        n.name_new("status_id", &format!("status of call {i}"));
    }
    let body = json!({"action": "create", "doc": {"status_name": "Slashless", "color": "#fff"}});
    n.send(&app, "/reg/api2/statuses", &h, body).await;
    n.name_new("status_id", "slashless");
    n.send_unreadable(&app, STATUSES, &h).await;
    insta::assert_json_snapshot!("statuses", n.t.take());
}

async fn refused_callers_are_the_snapshot(b: Backend) {
    let app = TestApp::spawn(b).await;
    let c = acme(&app).await;
    let camp = group(&app, "camp").await;
    let other = app.other_tenant("other").await;
    let oc = Creds {
        key: other.1,
        api_id: other_number(&app, "other").await,
    };
    let theirs = other_group(&app, &oc.key, "their-camp").await;
    let mut n = Numbers::new(&app);
    n.name(camp, "camp");
    n.name(theirs, "theirs");
    let with = |name: &str, value: Option<&str>| {
        let mut h = headers(&c);
        h.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        if let Some(v) = value {
            let name = ["Api-token", "Api-id", "Api-user", "Timestamp"]
                .into_iter()
                .find(|n| n.eq_ignore_ascii_case(name))
                .unwrap();
            h.push((name, v.to_owned()));
        }
        h
    };
    let stale = (now() - 301).to_string();
    let ahead = (now() + 400).to_string();
    let other_org = (c.api_id + 1).to_string();
    let cases = [
        with("Timestamp", Some(&stale)),
        with("Timestamp", Some(&ahead)),
        with("Timestamp", Some("yesterday")),
        with("Timestamp", None),
        with("Api-user", None),
        with("Api-user", Some("not-an-email")),
        with("Api-token", None),
        with("Api-token", Some("rst_nope")),
        with("Api-id", None),
        with("Api-id", Some("acme")),
        with("Api-id", Some(&other_org)),
        with("Api-id", Some("999999")),
    ];
    let body = json!({"action": "get_info", "group_id": camp, "clogin_id": 1});
    for h in cases {
        n.send(&app, USERS, &h, body.clone()).await;
    }
    let h = headers(&c);
    for path in ["/t/other/reg/api2/users/", "/t/nowhere/reg/api2/statuses/"] {
        n.send(&app, path, &h, body.clone()).await;
    }
    let body = json!({"action": "get_info", "group_id": theirs, "clogin_id": 1});
    n.send(&app, USERS, &h, body).await;
    let body = json!({"action": "create", "group_id": theirs,
                      "doc": {"status_name": "Lost", "color": "#000"}});
    n.send(&app, STATUSES, &h, body).await;
    insta::assert_json_snapshot!("refused_callers", n.t.take());
}

/// The database down: 503 with Retry-After, in Regpack's envelope.
async fn unavailable_answers_are_the_snapshot(b: Backend) {
    let db = TestDb::new(b).await;
    let store = db.store().await;
    let app = TestApp::spawn_with(db, store.clone()).await;
    let c = acme(&app).await;
    store.close().await;
    let mut t = Transcript::new(app.addr);
    let h = headers(&c);
    let body = json!({"action": "get_info", "group_id": 100, "clogin_id": 100000});
    t.send(&app.http, call(&app, USERS, &h).json(&body)).await;
    let body = json!({"action": "create", "doc": {"status_name": "Lost", "color": "#000"}});
    t.send(&app.http, call(&app, STATUSES, &h).json(&body))
        .await;
    insta::assert_json_snapshot!("unavailable", t.take());
}
