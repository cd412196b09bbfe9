//! The store conformance suite: every store operation, the same assertions on every backend.

use crate::backend_tests;
use crate::support::{eventually, Backend, TestDb};
use chrono::{Duration, Utc};
use roster::domain::clock::Clock;
use roster::domain::event::{EventCursor, NewEvent, Note};
use roster::domain::idempotency::{IdempotencyClaim, StoredResponse};
use roster::domain::permission::{Scope, Scopes};
use roster::domain::room::{MemberRole, RoomKind};
use roster::domain::session::Session;
use roster::domain::user::{Profile, Roles, UserFilter, UserRef};
use roster::domain::Status;
use roster::store::{EventOrigin, KeyRecord, Store, StoreError, UniqueValues, UserRecord};
use uuid::Uuid;

/// The time at the stores' precision, as roster's clock reads it.
fn now() -> chrono::DateTime<Utc> {
    Clock::system().now()
}

backend_tests!(
    tenants_and_keys,
    users_insert_find_update,
    unique_keys_conflict,
    sessions_live_and_revoked,
    events_append_and_page,
    events_are_append_only,
    groups_and_rooms,
    idempotency_claims,
    rollback_leaves_nothing,
    cancelled_begins_leave_the_writer_usable,
    old_email_keys_are_rekeyed_by_migration_0004,
    webhook_deliveries_are_enqueued_with_events_and_claimed_once_in_order,
);

async fn store(b: Backend) -> (TestDb, Store) {
    let db = TestDb::new(b).await;
    let store = db.store().await;
    (db, store)
}

async fn tenant(store: &Store, slug: &str) -> Uuid {
    let mut tx = store.write().await.unwrap();
    let t = tx
        .insert_tenant(Uuid::now_v7(), slug, slug, now())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    t.id
}

fn record(tenant: Uuid, email: &str) -> UserRecord {
    UserRecord {
        id: Uuid::now_v7(),
        tenant_id: tenant,
        profile: Profile {
            email: Some(email.to_owned()),
            username: None,
            external_id: None,
            first_name: Some("Ada".into()),
            last_name: None,
            phone_number: None,
            roles: Roles::default(),
            sessions_limit: Some(3),
        },
        password_hash: Some("$argon2id$stub".into()),
        status: Status::Invited,
        referral_code: Uuid::new_v4().simple().to_string()[..10].to_owned(),
        parent_id: None,
        referred_by: None,
        at: now(),
    }
}

async fn tenants_and_keys(b: Backend) {
    let (_db, store) = store(b).await;
    let id = tenant(&store, "t-one").await;
    let mut tx = store.write().await.unwrap();
    let t = tx.tenant_by_id(id).await.unwrap().unwrap();
    assert_eq!(t.slug, "t-one");
    assert!(t.number >= 1000);
    assert_eq!(tx.tenant_by_slug("t-one").await.unwrap().unwrap().id, id);
    assert!(tx.tenant_by_slug("nope").await.unwrap().is_none());
    let key = Uuid::now_v7();
    tx.insert_api_key(&KeyRecord {
        id: key,
        tenant_id: id,
        name: "ci",
        scopes: &Scopes::new([Scope::Read]),
        prefix: "rst_abc",
        secret_hash: b"hash-1",
        at: now(),
    })
    .await
    .unwrap();
    let owner = tx.key_owner(b"hash-1", now()).await.unwrap().unwrap();
    assert_eq!(
        (owner.key_name.as_str(), &owner.scopes),
        ("ci", &Scopes::new([Scope::Read]))
    );
    // A rotated key works until its end, then is unknown.
    let end = now() + Duration::hours(1);
    tx.expire_api_key(id, key, now(), end)
        .await
        .unwrap()
        .unwrap();
    assert!(tx.key_owner(b"hash-1", now()).await.unwrap().is_some());
    assert!(tx
        .key_owner(b"hash-1", end + Duration::seconds(1))
        .await
        .unwrap()
        .is_none());
    // Another tenant cannot revoke it.
    assert!(tx
        .revoke_api_key(Some(Uuid::now_v7()), key, now())
        .await
        .unwrap()
        .is_none());
    assert_eq!(
        (owner.key_id, owner.tenant_id, owner.tenant_slug.as_str()),
        (key, id, "t-one")
    );
    let revoked = tx.revoke_api_key(None, key, now()).await.unwrap().unwrap();
    assert!(revoked.revoked_at.is_some());
    assert!(tx.key_owner(b"hash-1", now()).await.unwrap().is_none());
    assert!(tx
        .revoke_api_key(None, Uuid::now_v7(), now())
        .await
        .unwrap()
        .is_none());
    assert_eq!(tx.tenants().await.unwrap().len(), 1);
    tx.commit().await.unwrap();
}

async fn users_insert_find_update(b: Backend) {
    let (_db, store) = store(b).await;
    let t = tenant(&store, "users").await;
    let other = tenant(&store, "others").await;
    let mut tx = store.write().await.unwrap();
    let mut r = record(t, "Ada@Example.com");
    r.profile.external_id = Some("x-1".into());
    r.profile.username = Some("Ada.L".into());
    let u = tx.insert_user(&r).await.unwrap();
    assert_eq!(
        (u.email.as_deref(), u.status, u.version, u.has_password),
        (Some("Ada@Example.com"), Status::Invited, 1, true)
    );
    assert_eq!(u.created_at, r.at, "timestamps round-trip exactly");
    assert_eq!(tx.user(t, u.id, true).await.unwrap().unwrap(), u);
    assert_eq!(
        tx.user_by_email(t, "ada@example.com", false)
            .await
            .unwrap()
            .unwrap()
            .id,
        u.id
    );
    assert_eq!(
        tx.user_by_number(t, u.number, false)
            .await
            .unwrap()
            .unwrap()
            .id,
        u.id
    );
    assert_eq!(
        tx.user_by_external_id(t, "x-1", false)
            .await
            .unwrap()
            .unwrap()
            .id,
        u.id
    );
    assert!(
        tx.user(other, u.id, false).await.unwrap().is_none(),
        "scoped by tenant"
    );
    assert!(tx
        .user_by_email(other, "ada@example.com", false)
        .await
        .unwrap()
        .is_none());
    assert_eq!(u.username.as_deref(), Some("Ada.L"));
    assert_eq!(
        tx.user_by_username(t, "ada.l").await.unwrap().unwrap().id,
        u.id
    );
    assert!(tx.user_by_username(other, "ada.l").await.unwrap().is_none());
    let all = UniqueValues {
        email_key: Some("ada@example.com"),
        external_id: Some("x-1"),
        username_key: Some("ada.l"),
    };
    assert_eq!(
        tx.taken_by_other(t, None, &all).await.unwrap(),
        ["email", "external_id", "username"]
    );
    assert!(tx
        .taken_by_other(t, Some(u.id), &all)
        .await
        .unwrap()
        .is_empty());
    assert!(tx
        .taken_by_other(other, None, &all)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        tx.user_with_password_hash(t, Some("ada@example.com"), None)
            .await
            .unwrap()
            .map(|(found, hash)| (found.id, hash)),
        Some((u.id, Some("$argon2id$stub".to_owned())))
    );
    assert_eq!(
        tx.user_with_password_hash(t, None, Some("ada.l"))
            .await
            .unwrap()
            .map(|(found, _)| found.id),
        Some(u.id)
    );
    // A name that is one user's username and another's email finds the email's user.
    let mut squatter = record(t, "squatter@example.com");
    squatter.profile.username = Some("grace@example.com".into());
    let squatter = tx.insert_user(&squatter).await.unwrap();
    let grace = tx
        .insert_user(&record(t, "grace@example.com"))
        .await
        .unwrap();
    let by_both = tx
        .user_with_password_hash(t, Some("grace@example.com"), Some("grace@example.com"))
        .await
        .unwrap();
    assert_eq!(by_both.map(|(found, _)| found.id), Some(grace.id));
    assert_eq!(
        tx.user_with_password_hash(t, Some("nobody@example.com"), Some("grace@example.com"))
            .await
            .unwrap()
            .map(|(found, _)| found.id),
        Some(squatter.id)
    );
    let username_filter = UserFilter {
        username_key: Some("grace@example.com".into()),
        ..Default::default()
    };
    assert_eq!(
        tx.users(t, &username_filter, None, 10).await.unwrap()[0]
            .0
            .id,
        squatter.id
    );

    let mut profile = Profile::of(&u);
    profile.last_name = Some("Lovelace".into());
    profile.email = Some("ada@lovelace.org".into());
    let updated = tx
        .update_profile(t, u.id, &profile, Some("$argon2id$new"), now())
        .await
        .unwrap();
    assert_eq!(
        (updated.last_name.as_deref(), updated.version),
        (Some("Lovelace"), 2)
    );
    assert!(tx
        .user_by_email(t, "ada@lovelace.org", false)
        .await
        .unwrap()
        .is_some());
    assert_eq!(
        tx.user_with_password_hash(t, Some("ada@lovelace.org"), None)
            .await
            .unwrap()
            .and_then(|(_, hash)| hash),
        Some("$argon2id$new".to_owned())
    );
    let banned = tx.set_status(t, u.id, Status::Banned, now()).await.unwrap();
    assert_eq!((banned.status, banned.version), (Status::Banned, 3));

    for i in 0..4 {
        tx.insert_user(&record(t, &format!("u{i}@example.com")))
            .await
            .unwrap();
    }
    let page = tx.users(t, &UserFilter::default(), None, 3).await.unwrap();
    assert_eq!(page.len(), 3);
    let rest = tx
        .users(t, &UserFilter::default(), Some(page[2].0.number), 3)
        .await
        .unwrap();
    assert_eq!(rest.len(), 3);
    let banned_only = UserFilter {
        status: Some(Status::Banned),
        ..Default::default()
    };
    assert_eq!(tx.users(t, &banned_only, None, 10).await.unwrap().len(), 1);
    let text = UserFilter {
        text: Some("LOVELACE".into()),
        ..Default::default()
    };
    assert_eq!(tx.users(t, &text, None, 10).await.unwrap().len(), 1);
    assert!(tx
        .users(other, &UserFilter::default(), None, 10)
        .await
        .unwrap()
        .is_empty());
    tx.commit().await.unwrap();
}

async fn unique_keys_conflict(b: Backend) {
    let (_db, store) = store(b).await;
    let t = tenant(&store, "uniq").await;
    let mut tx = store.write().await.unwrap();
    tx.insert_user(&record(t, "same@example.com"))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let mut tx = store.write().await.unwrap();
    let err = tx
        .insert_user(&record(t, "SAME@example.com"))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict { .. }), "{err:?}");
    if b == Backend::Postgres {
        assert!(
            matches!(err, StoreError::Conflict { constraint: Some(ref c) } if c == "users_email_key")
        );
    }
    drop(tx);
    let mut tx = store.write().await.unwrap();
    let mut first = record(t, "first@example.com");
    first.profile.username = Some("Dup".into());
    tx.insert_user(&first).await.unwrap();
    let mut second = record(t, "second@example.com");
    second.profile.username = Some("dUP".into());
    let err = tx.insert_user(&second).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict { .. }), "{err:?}");
    if b == Backend::Postgres {
        assert!(
            matches!(err, StoreError::Conflict { constraint: Some(ref c) } if c == "users_username_key")
        );
    }
    drop(tx);
    // Users without a username never collide on it.
    let mut tx = store.write().await.unwrap();
    tx.insert_user(&record(t, "a@example.com")).await.unwrap();
    tx.insert_user(&record(t, "b@example.com")).await.unwrap();
    drop(tx);
    let mut tx = store.write().await.unwrap();
    let err = tx
        .insert_tenant(Uuid::now_v7(), "uniq", "again", now())
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict { .. }), "{err:?}");
}

async fn sessions_live_and_revoked(b: Backend) {
    let (_db, store) = store(b).await;
    let t = tenant(&store, "sess").await;
    let mut tx = store.write().await.unwrap();
    let mut r = record(t, "s@example.com");
    r.status = Status::Active;
    let u = tx.insert_user(&r).await.unwrap();
    let base = now();
    for i in 0..3 {
        let s = Session {
            id: Uuid::now_v7(),
            tenant_id: t,
            user_id: u.id,
            created_at: base + Duration::seconds(i),
            expires_at: base + Duration::days(1),
            revoked_at: None,
            impersonator: None,
        };
        tx.insert_session(&s, format!("token-{i}").as_bytes())
            .await
            .unwrap();
    }
    let expired = Session {
        id: Uuid::now_v7(),
        tenant_id: t,
        user_id: u.id,
        created_at: base,
        expires_at: base - Duration::seconds(1),
        revoked_at: None,
        impersonator: None,
    };
    tx.insert_session(&expired, b"token-old").await.unwrap();
    assert_eq!(
        tx.live_session_by_token(b"token-0", base)
            .await
            .unwrap()
            .unwrap()
            .user_id,
        u.id
    );
    assert!(
        tx.live_session_by_token(b"token-old", base)
            .await
            .unwrap()
            .is_none(),
        "expired"
    );
    assert_eq!(tx.live_sessions(t, u.id, base).await.unwrap().len(), 3);
    assert_eq!(
        tx.revoke_sessions_beyond(t, u.id, 2, base).await.unwrap(),
        2,
        "the oldest live one and the expired one"
    );
    assert!(tx
        .live_session_by_token(b"token-0", base)
        .await
        .unwrap()
        .is_none());
    assert!(tx
        .live_session_by_token(b"token-2", base)
        .await
        .unwrap()
        .is_some());
    assert!(tx
        .revoke_session_by_token(t, b"token-2", base)
        .await
        .unwrap());
    assert!(!tx
        .revoke_session_by_token(t, b"token-2", base)
        .await
        .unwrap());
    assert_eq!(tx.revoke_sessions(t, u.id, base).await.unwrap(), 1);
    assert!(tx.live_sessions(t, u.id, base).await.unwrap().is_empty());
    // A session of a user who may not log in is not live.
    let s = Session {
        id: Uuid::now_v7(),
        tenant_id: t,
        user_id: u.id,
        created_at: base,
        expires_at: base + Duration::days(1),
        revoked_at: None,
        impersonator: None,
    };
    tx.insert_session(&s, b"token-new").await.unwrap();
    tx.set_status(t, u.id, Status::Deactivated, base)
        .await
        .unwrap();
    assert!(tx
        .live_session_by_token(b"token-new", base)
        .await
        .unwrap()
        .is_none());
    tx.commit().await.unwrap();
}

async fn events_append_and_page(b: Backend) {
    let (_db, store) = store(b).await;
    let t = tenant(&store, "ev").await;
    let other = tenant(&store, "ev-other").await;
    let user = Uuid::now_v7();
    let note = Note {
        reason: Some("why".into()),
        reference_id: Some("ref".into()),
        occurred_at: Some(Utc::now() - Duration::days(1)),
    };
    for (tenant_id, n) in [(t, 5), (other, 2)] {
        let mut tx = store.write().await.unwrap();
        let origin = EventOrigin {
            tenant: tenant_id,
            actor: "system",
            actor_name: None,
            channel: "scheduler",
            request_id: Some("req-1"),
            note: &note,
            recorded_at: now(),
            impersonator: None,
        };
        for _ in 0..n {
            tx.append_event(
                &origin,
                &NewEvent::about(user, "banned")
                    .status(Some(Status::Active), Status::Banned)
                    .details(serde_json::json!({"k": 1})),
            )
            .await
            .unwrap();
        }
        tx.commit().await.unwrap();
    }
    let mut tx = store.read().await.unwrap();
    let timeline = tx.user_events(t, user, 0, 3, None).await.unwrap();
    assert_eq!(timeline.len(), 3);
    assert_eq!(timeline[0].description.as_deref(), Some("why"));
    assert_eq!(
        timeline[0].occurred_at.timestamp_micros(),
        note.occurred_at.unwrap().timestamp_micros()
    );
    assert_eq!(timeline[0].details, Some(serde_json::json!({"k": 1})));
    assert_eq!(
        tx.user_events(t, user, timeline[2].seq, 10, None)
            .await
            .unwrap()
            .len(),
        2
    );
    drop(tx);
    let first = eventually(|| async {
        let mut tx = store.read().await.unwrap();
        let page = tx.feed(t, EventCursor::default(), 4, None).await.unwrap();
        (page.len() == 4).then_some(page)
    })
    .await;
    let mut tx = store.read().await.unwrap();
    let last = first.last().unwrap();
    let rest = tx
        .feed(
            t,
            EventCursor {
                tx_order: last.tx_order,
                seq: last.seq,
            },
            10,
            None,
        )
        .await
        .unwrap();
    assert_eq!(rest.len(), 1);
    assert_eq!(
        tx.feed(other, EventCursor::default(), 10, None)
            .await
            .unwrap()
            .len(),
        2
    );
}

async fn events_are_append_only(b: Backend) {
    let (db, store) = store(b).await;
    let t = tenant(&store, "ao").await;
    let mut tx = store.write().await.unwrap();
    let note = Note::default();
    let origin = EventOrigin {
        tenant: t,
        actor: "system",
        actor_name: None,
        channel: "scheduler",
        request_id: None,
        note: &note,
        recorded_at: now(),
        impersonator: None,
    };
    tx.append_event(&origin, &NewEvent::about(Uuid::now_v7(), "created"))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    store.close().await;
    // Straight SQL, past roster's code: the database itself refuses.
    use sqlx::Connection;
    match b {
        Backend::Sqlite => {
            let mut c = sqlx::SqliteConnection::connect(&db.url).await.unwrap();
            assert!(sqlx::query("UPDATE events SET action = 'x'")
                .execute(&mut c)
                .await
                .is_err());
            assert!(sqlx::query("DELETE FROM events")
                .execute(&mut c)
                .await
                .is_err());
        }
        Backend::Postgres => {
            let mut c = sqlx::PgConnection::connect(&db.url).await.unwrap();
            assert!(sqlx::query("UPDATE events SET action = 'x'")
                .execute(&mut c)
                .await
                .is_err());
            assert!(sqlx::query("DELETE FROM events")
                .execute(&mut c)
                .await
                .is_err());
        }
    }
}

async fn groups_and_rooms(b: Backend) {
    let (_db, store) = store(b).await;
    let t = tenant(&store, "gr").await;
    let other = tenant(&store, "gr-other").await;
    let mut tx = store.write().await.unwrap();
    let u = tx.insert_user(&record(t, "g@example.com")).await.unwrap();
    let v = tx.insert_user(&record(t, "h@example.com")).await.unwrap();
    let g = tx.insert_group(t, "vip", "VIP", now()).await.unwrap();
    tx.insert_group(other, "vip", "Other VIP", now())
        .await
        .unwrap();
    assert!(matches!(
        tx.insert_group(t, "vip", "again", now()).await,
        Err(StoreError::Conflict { .. })
    ));
    drop(tx);
    let mut tx = store.write().await.unwrap();
    assert_eq!(
        tx.groups(t).await.unwrap().len(),
        0,
        "the rolled-back transaction left nothing"
    );
    let g = tx
        .insert_group(t, g.key.as_str(), "VIP", now())
        .await
        .unwrap();
    let u = tx
        .insert_user(&record(t, u.email.as_deref().unwrap()))
        .await
        .unwrap();
    let v = tx
        .insert_user(&record(t, v.email.as_deref().unwrap()))
        .await
        .unwrap();
    assert_eq!(tx.group(t, g.id).await.unwrap().unwrap().key, "vip");
    assert!(tx.group(other, g.id).await.unwrap().is_none());
    assert_eq!(
        tx.groups_by_keys(t, &["vip".into(), "nope".into()])
            .await
            .unwrap()
            .len(),
        1
    );
    assert!(tx.add_group_member(t, g.id, u.id, now()).await.unwrap());
    assert!(!tx.add_group_member(t, g.id, u.id, now()).await.unwrap());
    assert_eq!(tx.group_members(t, g.id).await.unwrap().len(), 1);
    assert_eq!(
        tx.group_keys_of(t, &[u.id, v.id]).await.unwrap(),
        vec![(u.id, "vip".to_owned())]
    );
    let early = tx.insert_group(t, "alpha", "Alpha", now()).await.unwrap();
    assert!(tx.add_group_member(t, early.id, u.id, now()).await.unwrap());
    for for_update in [false, true] {
        let (found, keys) = tx
            .user_with_group_keys(t, u.id.into(), for_update)
            .await
            .unwrap()
            .unwrap();
        assert_eq!((found.id, keys), (u.id, vec!["alpha".into(), "vip".into()]));
        let (_, none) = tx
            .user_with_group_keys(t, v.id.into(), for_update)
            .await
            .unwrap()
            .unwrap();
        assert!(none.is_empty());
        assert!(tx
            .user_with_group_keys(other, u.id.into(), for_update)
            .await
            .unwrap()
            .is_none());
        // Every way a client names a user finds the same row, in the tenant only.
        let email = found.email.clone().unwrap().to_uppercase();
        for who in [UserRef::Email(&email), UserRef::Number(found.number)] {
            let (by_ref, _) = tx
                .user_with_group_keys(t, who, for_update)
                .await
                .unwrap()
                .unwrap();
            assert_eq!(by_ref.id, u.id, "{who:?}");
            assert_eq!(
                tx.user_by_ref(t, who, for_update)
                    .await
                    .unwrap()
                    .unwrap()
                    .id,
                u.id
            );
            assert!(tx
                .user_by_ref(other, who, for_update)
                .await
                .unwrap()
                .is_none());
        }
    }
    assert!(tx.remove_group_member(t, early.id, u.id).await.unwrap());
    assert!(tx.remove_group_member(t, g.id, u.id).await.unwrap());
    assert!(!tx.remove_group_member(t, g.id, u.id).await.unwrap());

    let room = tx
        .insert_room(t, Uuid::now_v7(), "general", RoomKind::Channel, now())
        .await
        .unwrap();
    assert!(tx.room(other, room.id, false).await.unwrap().is_none());
    tx.put_room_member(t, room.id, u.id, MemberRole::Owner, now())
        .await
        .unwrap();
    tx.put_room_member(t, room.id, v.id, MemberRole::Member, now())
        .await
        .unwrap();
    tx.put_room_member(t, room.id, v.id, MemberRole::Owner, now())
        .await
        .unwrap();
    let members = tx.room_members(t, room.id).await.unwrap();
    assert_eq!(
        members
            .iter()
            .map(|m| (m.user_id, m.role))
            .collect::<Vec<_>>(),
        vec![(u.id, MemberRole::Owner), (v.id, MemberRole::Owner)]
    );
    assert!(tx.remove_room_member(t, room.id, u.id).await.unwrap());
    assert_eq!(tx.rooms(t).await.unwrap().len(), 1);
    tx.commit().await.unwrap();
}

async fn idempotency_claims(b: Backend) {
    let (_db, store) = store(b).await;
    let at = now();
    let mut tx = store.write().await.unwrap();
    assert_eq!(
        tx.claim_idempotency_key(b"scope", "k", b"h1", at, at - Duration::seconds(60))
            .await
            .unwrap(),
        IdempotencyClaim::Claimed
    );
    assert_eq!(
        tx.claim_idempotency_key(b"scope", "k", b"h1", at, at - Duration::seconds(60))
            .await
            .unwrap(),
        IdempotencyClaim::InProgress
    );
    assert_eq!(
        tx.claim_idempotency_key(b"scope", "k", b"h2", at, at - Duration::seconds(60))
            .await
            .unwrap(),
        IdempotencyClaim::Mismatch
    );
    // A claim older than the staleness limit is taken over.
    let later = at + Duration::seconds(120);
    assert_eq!(
        tx.claim_idempotency_key(b"scope", "k", b"h1", later, later - Duration::seconds(60))
            .await
            .unwrap(),
        IdempotencyClaim::Claimed
    );
    let answer = StoredResponse {
        status: 201,
        headers: vec![("etag".into(), "\"v1\"".into())],
        body: b"{}".to_vec(),
    };
    tx.complete_idempotency_key(b"scope", "k", &answer)
        .await
        .unwrap();
    assert_eq!(
        tx.claim_idempotency_key(b"scope", "k", b"h1", at, at)
            .await
            .unwrap(),
        IdempotencyClaim::Done(answer)
    );
    assert_eq!(
        tx.claim_idempotency_key(b"other", "k", b"h1", at, at)
            .await
            .unwrap(),
        IdempotencyClaim::Claimed
    );
    tx.release_idempotency_key(b"other", "k").await.unwrap();
    assert_eq!(
        tx.claim_idempotency_key(b"other", "k", b"h9", at, at)
            .await
            .unwrap(),
        IdempotencyClaim::Claimed
    );
    assert_eq!(
        tx.expire_idempotency_keys(later + Duration::seconds(1))
            .await
            .unwrap(),
        2
    );
    tx.commit().await.unwrap();
}

async fn rollback_leaves_nothing(b: Backend) {
    let (_db, store) = store(b).await;
    let t = tenant(&store, "rb").await;
    {
        let mut tx = store.write().await.unwrap();
        tx.insert_user(&record(t, "gone@example.com"))
            .await
            .unwrap();
        // Dropped without commit.
    }
    let mut tx = store.read().await.unwrap();
    assert!(tx
        .user_by_email(t, "gone@example.com", false)
        .await
        .unwrap()
        .is_none());
}

/// A request cancelled while its write transaction begins (the client hung up) must leave the
/// writer usable: on SQLite the one write connection once stayed inside a transaction.
async fn cancelled_begins_leave_the_writer_usable(b: Backend) {
    let (_db, store) = store(b).await;
    for i in 0..3000u64 {
        let _ =
            tokio::time::timeout(std::time::Duration::from_micros(i % 400), store.write()).await;
    }
    let t = tenant(&store, "after-cancel").await;
    let mut tx = store.write().await.expect("the writer still begins");
    tx.insert_user(&record(t, "after@example.com"))
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

/// Applies roster's migrations up to `version` to the empty database at `url`.
/// Migrates the database with every migration but `skipped`, as a database that a later
/// roster migrates with `skipped` looks (its other changes do not matter to the test).
async fn migrate_all_but(b: Backend, url: &str, skipped: i64) {
    let dir = match b {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    let scratch = tempfile::tempdir().unwrap();
    let all = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(dir);
    for entry in std::fs::read_dir(all).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        if name[..4].parse::<i64>().unwrap() != skipped {
            std::fs::copy(&path, scratch.path().join(name)).unwrap();
        }
    }
    let migrator = sqlx::migrate::Migrator::new(scratch.path()).await.unwrap();
    match b {
        Backend::Sqlite => {
            let options = url
                .parse::<sqlx::sqlite::SqliteConnectOptions>()
                .unwrap()
                .create_if_missing(true);
            let pool = sqlx::SqlitePool::connect_with(options).await.unwrap();
            migrator.run(&pool).await.unwrap();
            pool.close().await;
        }
        Backend::Postgres => {
            let pool = sqlx::PgPool::connect(url).await.unwrap();
            migrator.run(&pool).await.unwrap();
            pool.close().await;
        }
    }
}

/// Sets a user's email key past roster's code, as the rule before migration 0004 wrote it.
async fn set_old_email_key(b: Backend, url: &str, user: Uuid, key: &str) {
    use sqlx::Connection;
    let sql = "UPDATE users SET email_key = $1 WHERE id = $2";
    match b {
        Backend::Sqlite => {
            let mut c = sqlx::SqliteConnection::connect(url).await.unwrap();
            sqlx::query(sql)
                .bind(key)
                .bind(user)
                .execute(&mut c)
                .await
                .unwrap();
        }
        Backend::Postgres => {
            let mut c = sqlx::PgConnection::connect(url).await.unwrap();
            sqlx::query(sql)
                .bind(key)
                .bind(user)
                .execute(&mut c)
                .await
                .unwrap();
        }
    }
}

/// Before 0004 an email key was the lowercased address, so an IDN domain kept its Unicode
/// form; 0004 lists those keys and roster re-keys them to the A-label form on migrating.
async fn old_email_keys_are_rekeyed_by_migration_0004(b: Backend) {
    let db = TestDb::new(b).await;
    migrate_all_but(b, &db.url, 4).await;
    let options = roster::store::PoolOptions {
        max_connections: 4,
        acquire_timeout: std::time::Duration::from_secs(10),
    };
    let store = Store::connect(&db.url, &options).await.unwrap();
    let t = tenant(&store, "rekey").await;
    let mut tx = store.write().await.unwrap();
    let ada = tx.insert_user(&record(t, "Ada@Bücher.de")).await.unwrap();
    let twice = tx.insert_user(&record(t, "bob@bücher.de")).await.unwrap();
    let ascii = tx
        .insert_user(&record(t, "Carl@Example.com"))
        .await
        .unwrap();
    tx.insert_secondary_email(t, ada.id, "Ada.Two@BÜCHER.de", "ada.two@bücher.de", now())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    set_old_email_key(b, &db.url, ada.id, "ada@bücher.de").await;
    set_old_email_key(b, &db.url, twice.id, "bob@bücher.de").await;
    // The same mailbox again, in its ASCII spelling: a second user under the old rule.
    let mut tx = store.write().await.unwrap();
    let bob = tx
        .insert_user(&record(t, "bob@xn--bcher-kva.de"))
        .await
        .unwrap();
    tx.commit().await.unwrap();

    store.migrate().await.unwrap();
    store.migrate().await.unwrap();

    let mut tx = store.read().await.unwrap();
    let found = |u: Option<roster::domain::user::User>| u.map(|u| u.id);
    for (key, who) in [
        ("ada@xn--bcher-kva.de", ada.id),
        ("bob@xn--bcher-kva.de", bob.id),
        ("bob@bücher.de", twice.id),
        ("carl@example.com", ascii.id),
    ] {
        assert_eq!(
            found(tx.user_by_email(t, key, false).await.unwrap()),
            Some(who),
            "{key}"
        );
    }
    assert_eq!(
        tx.email_key_holder(t, "ada.two@xn--bcher-kva.de")
            .await
            .unwrap(),
        Some(ada.id),
        "secondary emails are re-keyed too"
    );
    assert_eq!(
        tx.email_key_holder(t, "ada.two@bücher.de").await.unwrap(),
        None
    );
    assert_eq!(
        tx.user_by_email(t, "ada@bücher.de", false).await.unwrap(),
        None
    );
}

async fn webhook_deliveries_are_enqueued_with_events_and_claimed_once_in_order(b: Backend) {
    use roster::domain::webhook::EventTypes;
    let (_db, store) = store(b).await;
    let t = tenant(&store, "hooks").await;
    let other = tenant(&store, "hooks-other").await;
    let at = now();
    let all = Uuid::now_v7();
    let bans = Uuid::now_v7();
    let mut tx = store.write().await.unwrap();
    tx.insert_webhook(
        t,
        all,
        "https://a.example/h",
        "whsec_AAAA",
        &EventTypes::All,
        None,
        at,
    )
    .await
    .unwrap();
    let only = EventTypes::Only(vec!["unbanned".into()]);
    tx.insert_webhook(
        t,
        bans,
        "https://b.example/h",
        "whsec_AAAA",
        &only,
        None,
        at,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let (u1, u2) = (Uuid::now_v7(), Uuid::now_v7());
    let note = Note::default();
    let append = |tenant: Uuid, events: Vec<NewEvent>, commit: bool| {
        let store = store.clone();
        let note = note.clone();
        async move {
            let mut tx = store.write().await.unwrap();
            let origin = EventOrigin {
                tenant,
                actor: "system",
                actor_name: None,
                channel: "scheduler",
                request_id: None,
                note: &note,
                recorded_at: at,
                impersonator: None,
            };
            tx.append_events(&origin, &events).await.unwrap();
            if commit {
                tx.commit().await.unwrap();
            } else {
                tx.rollback().await.unwrap();
            }
        }
    };
    append(
        t,
        vec![NewEvent::about(u1, "banned"), NewEvent::about(u2, "banned")],
        true,
    )
    .await;
    append(t, vec![NewEvent::about(u1, "unbanned")], true).await;
    // Another tenant's events, and a rolled-back event, make no delivery.
    append(other, vec![NewEvent::about(u1, "banned")], true).await;
    append(t, vec![NewEvent::about(u2, "unbanned")], false).await;

    let claim = |now: chrono::DateTime<Utc>| {
        let store = store.clone();
        async move {
            let mut tx = store.write().await.unwrap();
            let c = tx
                .claim_webhook_deliveries(now, now + Duration::seconds(60), 10)
                .await
                .unwrap();
            tx.commit().await.unwrap();
            c
        }
    };
    // The first of each user's per endpoint: u1's ban and u2's ban to `all`, u1's unban to `bans`.
    let first = claim(at).await;
    let seen: Vec<(Uuid, Option<Uuid>, &str)> = first
        .iter()
        .map(|d| (d.endpoint_id, d.event.user_id, d.event.action.as_str()))
        .collect();
    assert_eq!(seen.len(), 3, "{seen:?}");
    assert!(seen.contains(&(all, Some(u1), "banned")));
    assert!(seen.contains(&(all, Some(u2), "banned")));
    assert!(seen.contains(&(bans, Some(u1), "unbanned")));
    assert!(first.iter().all(|d| d.attempts == 1 && d.tenant_id == t));
    // Leased: nobody else takes them; u1's unban to `all` waits for u1's ban.
    assert!(claim(at + Duration::seconds(1)).await.is_empty());
    // A lease that ran out (its worker died) lets them be taken again, as a new attempt.
    let again = claim(at + Duration::seconds(61)).await;
    assert_eq!(again.len(), 3);
    assert!(again.iter().all(|d| d.attempts == 2));
    let u1_ban = again
        .iter()
        .find(|d| d.endpoint_id == all && d.event.user_id == Some(u1))
        .unwrap();
    let mut tx = store.write().await.unwrap();
    tx.settle_webhook_delivery(u1_ban.id, u1_ban.claim, Some(200), None, None, at)
        .await
        .unwrap();
    // A retry is due later; pausing an endpoint holds its deliveries.
    let u2_ban = again
        .iter()
        .find(|d| d.endpoint_id == all && d.event.user_id == Some(u2))
        .unwrap();
    tx.settle_webhook_delivery(
        u2_ban.id,
        u2_ban.claim,
        Some(500),
        Some("HTTP 500"),
        Some(at + Duration::seconds(300)),
        at,
    )
    .await
    .unwrap();
    let b_del = again.iter().find(|d| d.endpoint_id == bans).unwrap();
    tx.settle_webhook_delivery(
        b_del.id,
        b_del.claim,
        Some(500),
        Some("HTTP 500"),
        Some(at),
        at,
    )
    .await
    .unwrap();
    tx.set_webhook_paused(t, bans, Some(("test", at)), at)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let next = claim(at + Duration::seconds(62)).await;
    assert_eq!(next.len(), 1, "only u1's unban to `all`");
    assert_eq!(next[0].event.action, "unbanned");
    assert_eq!(next[0].endpoint_id, all);
}
