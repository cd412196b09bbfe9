use crate::backend_tests;
use crate::support::{Backend, TestApp};
use reqwest::Method;
use serde_json::json;

backend_tests!(
    create_then_read,
    email_and_external_id_are_unique_per_tenant,
    list_filters_and_pages,
    patch_is_a_merge_patch,
    patch_honours_if_match,
    password_change_ends_sessions,
    unknown_users_are_404,
    usernames_are_unique_settable_and_searchable,
);

async fn create_then_read(b: Backend) {
    let app = TestApp::spawn(b).await;
    let r = app
        .post(
            "/v1/users",
            json!({"email": "Ada@Example.com", "first_name": "Ada", "last_name": "Lovelace",
                   "phone_number": "+1 555 555 5555", "external_id": "ext-1", "roles": ["admin"]}),
        )
        .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    let u = &r.body;
    assert_eq!(u["email"], "Ada@Example.com");
    assert_eq!(u["status"], "invited", "the default status");
    assert_eq!(u["phone_number"], "+15555555555");
    assert_eq!(u["roles"], json!(["admin"]));
    assert_eq!(u["version"], 1);
    assert_eq!(u["referral_code"].as_str().unwrap().len(), 10);
    assert!(u["number"].as_i64().unwrap() > 0);
    assert_eq!(r.header("etag"), Some("\"v1\""));
    assert!(r.header("x-request-id").is_some());

    let got = app
        .get(&format!("/v1/users/{}", u["id"].as_str().unwrap()))
        .await;
    assert_eq!(got.status, 200);
    assert_eq!(&got.body, u);
}

async fn email_and_external_id_are_unique_per_tenant(b: Backend) {
    let app = TestApp::spawn(b).await;
    app.create_user(json!({"email": "a@example.com", "external_id": "x1"}))
        .await;
    let again = app
        .post("/v1/users", json!({"email": "A@EXAMPLE.com"}))
        .await;
    assert_eq!(again.status, 409);
    assert_eq!(again.body["errors"][0]["field"], "email");
    let ext = app
        .post(
            "/v1/users",
            json!({"email": "b@example.com", "external_id": "x1"}),
        )
        .await;
    assert_eq!(ext.status, 409);
    assert_eq!(ext.body["errors"][0]["field"], "external_id");
    // Another tenant may use both.
    let (_, other) = app.other_tenant("other").await;
    let r = app
        .call_as(
            Some(&other),
            Method::POST,
            "/v1/users",
            Some(json!({"email": "a@example.com", "external_id": "x1"})),
        )
        .await;
    assert_eq!(r.status, 201);
}

async fn list_filters_and_pages(b: Backend) {
    let app = TestApp::spawn(b).await;
    app.post("/v1/groups", json!({"key": "vip", "name": "VIP"}))
        .await;
    for i in 0..5 {
        let groups = if i % 2 == 0 {
            json!(["vip"])
        } else {
            json!([])
        };
        let status = if i < 3 { "active" } else { "invited" };
        app.create_user(json!({"email": format!("user{i}@example.com"), "first_name": format!("Name{}", ["a","b","c","d","e"][i]), "status": status, "groups": groups}))
            .await;
    }
    let mut seen = Vec::new();
    let mut path = "/v1/users?limit=2".to_owned();
    loop {
        let r = app.get(&path).await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        for u in r.body["data"].as_array().unwrap() {
            seen.push(u["email"].as_str().unwrap().to_owned());
        }
        match r.body["next_cursor"].as_str() {
            Some(c) => path = format!("/v1/users?limit=2&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(
        seen,
        (0..5)
            .map(|i| format!("user{i}@example.com"))
            .collect::<Vec<_>>()
    );

    let count = |r: &crate::support::Reply| r.body["data"].as_array().unwrap().len();
    assert_eq!(count(&app.get("/v1/users?status=active").await), 3);
    assert_eq!(count(&app.get("/v1/users?group=vip").await), 3);
    assert_eq!(
        count(&app.get("/v1/users?group=vip&status=invited").await),
        1
    );
    assert_eq!(
        count(&app.get("/v1/users?email=USER3@example.com").await),
        1
    );
    assert_eq!(count(&app.get("/v1/users?q=nameb").await), 1);
    assert_eq!(count(&app.get("/v1/users?q=100%25").await), 0);
    assert_eq!(app.get("/v1/users?status=gone").await.status, 422);
    assert_eq!(app.get("/v1/users?cursor=nonsense").await.status, 400);
    assert_eq!(app.get("/v1/users?colour=red").await.status, 400);
    let bad_limit = app.get("/v1/users?limit=abc").await;
    assert_eq!(bad_limit.status, 400);
    assert_eq!(bad_limit.body["errors"][0]["field"], "limit");
    // Search folds case in every script, on every backend.
    app.create_user(json!({"email": "emile@example.com", "first_name": "Émile"}))
        .await;
    assert_eq!(count(&app.get("/v1/users?q=%C3%A9mile").await), 1);
    assert_eq!(count(&app.get("/v1/users?q=%C3%89MILE").await), 1);
}

async fn patch_is_a_merge_patch(b: Backend) {
    let app = TestApp::spawn(b).await;
    let u = app
        .create_user(
            json!({"email": "p@example.com", "first_name": "Zoë", "phone_number": "+15555555555"}),
        )
        .await;
    let path = format!("/v1/users/{}", u["id"].as_str().unwrap());
    let r = app
        .call(
            Method::PATCH,
            &path,
            Some(json!({"last_name": "O'Brien", "phone_number": null, "first_name": "Zoë"})),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["last_name"], "O'Brien");
    assert_eq!(r.body["phone_number"], serde_json::Value::Null);
    assert_eq!(r.body["first_name"], "Zoë");
    assert_eq!(r.body["version"], 2);

    // The same patch again changes nothing: no new version, no new event.
    let again = app
        .call(Method::PATCH, &path, Some(json!({"last_name": "O'Brien"})))
        .await;
    assert_eq!(again.body["version"], 2);

    let events = app.get(&format!("{path}/events")).await;
    let actions: Vec<_> = events.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(actions, ["created", "profile_updated"]);
    let details = &events.body["data"][1]["details"];
    assert_eq!(
        details["last_name"],
        json!({"before": null, "after": "O'Brien"})
    );
    assert_eq!(
        details["phone_number"],
        json!({"before": "+15555555555", "after": null})
    );
    assert!(
        details.get("first_name").is_none(),
        "unchanged fields are not listed"
    );

    let bad = app
        .call(
            Method::PATCH,
            &path,
            Some(json!({"first_name": "R2D2", "phone_number": "555"})),
        )
        .await;
    assert_eq!(bad.status, 422);
    let fields: Vec<_> = bad.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["first_name", "phone_number"]);
    assert_eq!(
        app.call(Method::PATCH, &path, Some(json!({"status": "banned"})))
            .await
            .status,
        400
    );
    assert_eq!(
        app.call(Method::PATCH, &path, Some(json!({}))).await.status,
        422
    );
    assert_eq!(
        app.get(&path).await.body["version"],
        2,
        "refused patches write nothing"
    );
}

async fn patch_honours_if_match(b: Backend) {
    let app = TestApp::spawn(b).await;
    let u = app.create_user(json!({"email": "m@example.com"})).await;
    let path = format!("/v1/users/{}", u["id"].as_str().unwrap());
    let etag = app.get(&path).await.header("etag").unwrap().to_owned();
    let send = |tag: &str| {
        app.http
            .patch(app.url(&path))
            .bearer_auth(&app.key)
            .header("if-match", tag)
            .json(&json!({"first_name": "Mary"}))
            .send()
    };
    let ok = crate::support::read(send(&etag).await.unwrap()).await;
    assert_eq!(ok.status, 200);
    assert_eq!(ok.header("etag"), Some("\"v2\""));
    let stale = crate::support::read(send(&etag).await.unwrap()).await;
    assert_eq!(stale.status, 412);
    assert_eq!(stale.body["current_version"], 2);
    assert_eq!(
        crate::support::read(send("garbage").await.unwrap())
            .await
            .status,
        412
    );
}

async fn password_change_ends_sessions(b: Backend) {
    let app = TestApp::spawn(b).await;
    let u = app
        .create_user(
            json!({"email": "pw@example.com", "password": "first password", "status": "active"}),
        )
        .await;
    let login = app
        .post(
            "/v1/sessions",
            json!({"email": "pw@example.com", "password": "first password"}),
        )
        .await;
    let token = login.body["token"].as_str().unwrap().to_owned();
    assert_eq!(
        app.call_as(Some(&token), Method::GET, "/v1/sessions/current", None)
            .await
            .status,
        200
    );
    let path = format!("/v1/users/{}", u["id"].as_str().unwrap());
    let r = app
        .call(
            Method::PATCH,
            &path,
            Some(json!({"password": "second password"})),
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(
        app.call_as(Some(&token), Method::GET, "/v1/sessions/current", None)
            .await
            .status,
        401
    );
    assert_eq!(
        app.post(
            "/v1/sessions",
            json!({"email": "pw@example.com", "password": "first password"})
        )
        .await
        .status,
        401
    );
    assert_eq!(
        app.post(
            "/v1/sessions",
            json!({"email": "pw@example.com", "password": "second password"})
        )
        .await
        .status,
        201
    );
    let events = app.get(&format!("{path}/events")).await;
    assert_eq!(events.body["data"][1]["details"]["password"], "changed");
    assert!(!events.body.to_string().contains("second password"));
}

async fn unknown_users_are_404(b: Backend) {
    let app = TestApp::spawn(b).await;
    for path in [
        "/v1/users/00000000-0000-0000-0000-000000000000",
        "/v1/users/not-a-uuid",
    ] {
        let r = app.get(path).await;
        assert_eq!(r.status, 404);
        assert_eq!(r.header("content-type"), Some("application/problem+json"));
    }
    let r = app
        .post(
            "/v1/users/00000000-0000-0000-0000-000000000000/ban",
            json!({}),
        )
        .await;
    assert_eq!(r.status, 404);
    assert_eq!(
        app.post(
            "/v1/users/00000000-0000-0000-0000-000000000000/explode",
            json!({})
        )
        .await
        .status,
        404
    );
}

async fn usernames_are_unique_settable_and_searchable(b: Backend) {
    let app = TestApp::spawn(b).await;
    let ada = app
        .create_user(
            json!({"email": "ada@example.com", "username": " Ada.Lovelace ",
                            "status": "active", "password": "a long password"}),
        )
        .await;
    assert_eq!(ada["username"], "Ada.Lovelace", "kept as written, trimmed");
    let id = ada["id"].as_str().unwrap();
    let plain = app.create_user(json!({"email": "bob@example.com"})).await;
    assert_eq!(plain["username"], serde_json::Value::Null);

    // Unique in the tenant whatever the case; the 409 names the field.
    let taken = app
        .post(
            "/v1/users",
            json!({"email": "other@example.com", "username": "ADA.LOVELACE"}),
        )
        .await;
    assert_eq!(taken.status, 409, "{:?}", taken.body);
    assert_eq!(taken.body["type"], "urn:roster:problem:taken");
    assert_eq!(taken.body["errors"][0]["field"], "username");
    // The rule is named in a 422.
    for bad in ["has space", "@ada", "zoë", ""] {
        let r = app
            .post(
                "/v1/users",
                json!({"email": "bad@example.com", "username": bad}),
            )
            .await;
        assert_eq!(r.status, 422, "{bad:?}: {:?}", r.body);
        assert_eq!(r.body["errors"][0]["field"], "username");
    }
    // Another tenant may hold the same name.
    let (_, other) = app.other_tenant("other").await;
    let r = app
        .call_as(
            Some(&other),
            Method::POST,
            "/v1/users",
            Some(json!({"email": "ada@example.com", "username": "ada.lovelace"})),
        )
        .await;
    assert_eq!(r.status, 201, "{:?}", r.body);

    // Filter and search.
    let found = app.get("/v1/users?username=ADA.lovelace").await;
    assert_eq!(found.body["data"].as_array().unwrap().len(), 1);
    assert_eq!(found.body["data"][0]["id"], id);
    let bad_filter = app.get("/v1/users?username=has%20space").await;
    assert_eq!(bad_filter.status, 422);
    assert_eq!(bad_filter.body["errors"][0]["field"], "username");
    let searched = app.get("/v1/users?q=lovelace").await;
    assert_eq!(searched.body["data"].as_array().unwrap().len(), 1);

    // Log in by username (natively too); one of email and username, not both.
    let by_name = app
        .post(
            "/v1/sessions",
            json!({"username": "ada.LOVELACE", "password": "a long password"}),
        )
        .await;
    assert_eq!(by_name.status, 201, "{:?}", by_name.body);
    assert_eq!(by_name.body["user"]["id"], id);
    let both = app
        .post(
            "/v1/sessions",
            json!({"email": "ada@example.com", "username": "ada.lovelace", "password": "a long password"}),
        )
        .await;
    assert_eq!(both.status, 422, "{:?}", both.body);

    // PATCH sets, changes case, takes, and clears (merge-patch null).
    let bob = plain["id"].as_str().unwrap();
    let patch = |id: &str, body: serde_json::Value| {
        let path = format!("/v1/users/{id}");
        let app = &app;
        async move { app.call(Method::PATCH, &path, Some(body)).await }
    };
    let r = patch(bob, json!({"username": "ada.lovelace"})).await;
    assert_eq!(r.status, 409);
    assert_eq!(r.body["errors"][0]["field"], "username");
    let r = patch(id, json!({"username": "ADA.Lovelace"})).await;
    assert_eq!(
        (r.status, r.body["username"].as_str()),
        (200, Some("ADA.Lovelace"))
    );
    let r = patch(id, json!({"username": null})).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["username"], serde_json::Value::Null);
    let r = patch(bob, json!({"username": "ada.lovelace"})).await;
    assert_eq!(
        (r.status, r.body["username"].as_str()),
        (200, Some("ada.lovelace"))
    );
    let events = app.get(&format!("/v1/users/{bob}/events")).await;
    let last = events.body["data"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(
        last["details"]["username"],
        json!({"before": null, "after": "ada.lovelace"})
    );
    let r = patch(bob, json!({"username": "no spaces allowed"})).await;
    assert_eq!(r.status, 422);
}
