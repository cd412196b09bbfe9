use crate::backend_tests;
use crate::support::{Backend, TestApp};
use reqwest::Method;
use serde_json::json;

backend_tests!(
    groups_and_memberships,
    unknown_group_keys_create_nothing,
    rooms_and_members
);

async fn groups_and_memberships(b: Backend) {
    let app = TestApp::spawn(b).await;
    let g = app
        .post("/v1/groups", json!({"key": "beta", "name": "Beta testers"}))
        .await;
    assert_eq!(g.status, 201);
    assert!(g.body["id"].is_i64());
    assert_eq!(
        app.post("/v1/groups", json!({"key": "beta"})).await.status,
        409
    );
    assert_eq!(
        app.post("/v1/groups", json!({"key": "has space"}))
            .await
            .status,
        422
    );
    let gid = g.body["id"].as_i64().unwrap();
    let u = app.create_user(json!({"email": "g@example.com"})).await;
    let uid = u["id"].as_str().unwrap();
    let add = app
        .post(
            &format!("/v1/groups/{gid}/members"),
            json!({"user_id": uid}),
        )
        .await;
    assert_eq!(add.status, 201);
    assert_eq!(
        app.post(
            &format!("/v1/groups/{gid}/members"),
            json!({"user_id": uid})
        )
        .await
        .status,
        200
    );
    assert_eq!(
        app.get(&format!("/v1/users/{uid}")).await.body["groups"],
        json!(["beta"])
    );
    let group = app.get(&format!("/v1/groups/{gid}")).await;
    assert_eq!(group.body["members"][0]["user_id"], uid);
    assert_eq!(
        app.get("/v1/groups").await.body["data"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let rm = app
        .call(
            Method::DELETE,
            &format!("/v1/groups/{gid}/members/{uid}"),
            None,
        )
        .await;
    assert_eq!(rm.status, 204);
    assert_eq!(
        app.call(
            Method::DELETE,
            &format!("/v1/groups/{gid}/members/{uid}"),
            None
        )
        .await
        .status,
        404
    );
    let events = app.get(&format!("/v1/users/{uid}/events")).await;
    let actions: Vec<_> = events.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(actions, ["created", "group_joined", "group_left"]);
    assert_eq!(app.get("/v1/groups/999999").await.status, 404);
}

async fn unknown_group_keys_create_nothing(b: Backend) {
    let app = TestApp::spawn(b).await;
    app.post("/v1/groups", json!({"key": "known"})).await;
    let r = app
        .post(
            "/v1/users",
            json!({"email": "n@example.com", "groups": ["known", "nope", "nada"]}),
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body["detail"].as_str().unwrap().contains("nope, nada"));
    assert_eq!(
        app.get("/v1/users").await.body["data"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    assert_eq!(
        app.get("/v1/events").await.body["data"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    let ok = app
        .post(
            "/v1/users",
            json!({"email": "n@example.com", "groups": ["known"]}),
        )
        .await;
    assert_eq!(ok.status, 201);
    assert_eq!(ok.body["groups"], json!(["known"]));
}

async fn rooms_and_members(b: Backend) {
    let app = TestApp::spawn(b).await;
    let room = app
        .post("/v1/rooms", json!({"name": "general", "type": "channel"}))
        .await;
    assert_eq!(room.status, 201, "{:?}", room.body);
    assert_eq!(room.body["type"], "channel");
    assert_eq!(
        app.post("/v1/rooms", json!({"name": "general"}))
            .await
            .status,
        409
    );
    assert_eq!(
        app.post("/v1/rooms", json!({"name": "x", "type": "voice"}))
            .await
            .status,
        422
    );
    let rid = room.body["id"].as_str().unwrap();
    let a = app
        .create_user(json!({"email": "owner@example.com", "status": "active"}))
        .await;
    let b2 = app
        .create_user(json!({"email": "member@example.com", "status": "active"}))
        .await;
    let (aid, bid) = (a["id"].as_str().unwrap(), b2["id"].as_str().unwrap());
    let r = app
        .post(
            &format!("/v1/rooms/{rid}/members"),
            json!({"user_id": aid, "role": "owner"}),
        )
        .await;
    assert_eq!(r.status, 201);
    app.post(&format!("/v1/rooms/{rid}/members"), json!({"user_id": bid}))
        .await;
    let twice = app
        .post(
            &format!("/v1/rooms/{rid}/members"),
            json!({"user_id": bid, "role": "owner"}),
        )
        .await;
    assert_eq!(
        twice.status, 409,
        "adding a member twice is refused; PUT changes a role"
    );
    let stranger = app
        .create_user(json!({"email": "stranger@example.com"}))
        .await;
    let put = app
        .call(
            Method::PUT,
            &format!(
                "/v1/rooms/{rid}/members/{}",
                stranger["id"].as_str().unwrap()
            ),
            Some(json!({"role": "owner"})),
        )
        .await;
    assert_eq!(put.status, 404);
    let r = app.get(&format!("/v1/rooms/{rid}")).await;
    let members = r.body["members"].as_array().unwrap();
    assert_eq!(members.len(), 2);
    assert_eq!(members[0]["role"], "owner");
    assert_eq!(members[1]["role"], "member");
    let promoted = app
        .call(
            Method::PUT,
            &format!("/v1/rooms/{rid}/members/{bid}"),
            Some(json!({"role": "owner"})),
        )
        .await;
    assert_eq!(promoted.status, 200);
    assert_eq!(promoted.body["members"][1]["role"], "owner");
    assert_eq!(
        app.call(
            Method::PUT,
            &format!("/v1/rooms/{rid}/members/{bid}"),
            Some(json!({"role": "king"}))
        )
        .await
        .status,
        422
    );
    assert_eq!(
        app.call(
            Method::DELETE,
            &format!("/v1/rooms/{rid}/members/{aid}"),
            None
        )
        .await
        .status,
        204
    );
    assert_eq!(
        app.get(&format!("/v1/rooms/{rid}")).await.body["members"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        app.get("/v1/rooms").await.body["data"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}
