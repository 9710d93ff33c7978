//! The backend suite: the same checks against SQLite and PostgreSQL. The PostgreSQL run needs
//! `LATCHKEY_TEST_POSTGRES_URL` (a server URL whose user may create databases); CI sets it.

use latchkey_store::*;
use serde_json::json;

fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    format!("{prefix}{}_{nanos}", std::process::id())
}

#[tokio::test]
async fn sqlite_backend() {
    let path = std::env::temp_dir().join(unique("latchkey-store-") + ".db");
    let store = Store::open(&format!("sqlite://{}", path.display())).await.unwrap();
    suite(&store).await;
    store.close().await;
    let _ = std::fs::remove_file(&path);
}

#[tokio::test]
async fn postgres_backend() {
    let Ok(server) = std::env::var("LATCHKEY_TEST_POSTGRES_URL") else {
        eprintln!("LATCHKEY_TEST_POSTGRES_URL is not set: PostgreSQL backend not tested here");
        return;
    };
    let name = unique("lk_store_");
    let admin = Store::open_admin(&server).await.unwrap();
    admin.execute_admin(&format!("CREATE DATABASE {name}")).await.unwrap();
    let url = format!("{}/{name}", server.rsplit_once('/').unwrap().0);
    let store = Store::open(&url).await.unwrap();
    suite(&store).await;
    store.close().await;
    admin.execute_admin(&format!("DROP DATABASE {name}")).await.unwrap();
}

async fn suite(store: &Store) {
    projects_and_keys(store).await;
    users_and_tenants(store).await;
    bulk_insert_skips_taken_login_ids(store).await;
    sessions_rotate_once(store).await;
    codes_are_single_use(store).await;
    rate_limits_count_per_window(store).await;
    outbox_and_audit(store).await;
}

fn project(id: &str) -> ProjectRow {
    ProjectRow { id: id.into(), name: "Test".into(), settings: "{}".into(), created_at: 100 }
}

async fn projects_and_keys(store: &Store) {
    store.insert_project(&project("P1")).await.unwrap();
    assert!(matches!(store.insert_project(&project("P1")).await, Err(StoreError::Conflict(_))));
    assert_eq!(store.default_project().await.unwrap().unwrap().id, "P1");
    store.update_project_settings("P1", r#"{"refreshRotation":true}"#).await.unwrap();
    assert_eq!(store.project("P1").await.unwrap().unwrap().settings, r#"{"refreshRotation":true}"#);

    let key = |kid: &str, at| SigningKeyRow {
        kid: kid.into(),
        project_id: "P1".into(),
        alg: "RS256".into(),
        sealed_key: "x".into(),
        created_at: at,
        retired_at: None,
    };
    store.add_signing_key(&key("k1", 100)).await.unwrap();
    store.add_signing_key(&key("k2", 200)).await.unwrap();
    let keys = store.signing_keys("P1", 0).await.unwrap();
    assert_eq!(
        keys.iter().map(|k| (k.kid.as_str(), k.retired_at)).collect::<Vec<_>>(),
        [("k2", None), ("k1", Some(200))]
    );
    // Keys retired before the cutoff are no longer published.
    assert_eq!(store.signing_keys("P1", 300).await.unwrap().len(), 1);

    let mk = ManagementKeyRow {
        id: "m1".into(),
        project_id: "P1".into(),
        kind: "management".into(),
        key_hash: "h1".into(),
        created_at: 1,
    };
    store.insert_management_key(&mk).await.unwrap();
    assert!(store.management_key_by_hash("P1", "h1").await.unwrap().is_some());
    assert!(store.management_key_by_hash("P2", "h1").await.unwrap().is_none());
}

fn user(id: &str, login: &str) -> UserRow {
    UserRow {
        id: id.into(),
        project_id: "P1".into(),
        login_ids: vec![login.into()],
        email: Some(login.into()),
        status: "enabled".into(),
        attributes: json!({"team": "blue"}),
        roles: vec!["admin".into()],
        ..UserRow::default()
    }
}

async fn users_and_tenants(store: &Store) {
    let tenant = TenantRow {
        project_id: "P1".into(),
        id: "T1".into(),
        name: "Acme".into(),
        attributes: json!({}),
        ..TenantRow::default()
    };
    store.insert_tenant(&tenant).await.unwrap();
    assert!(matches!(store.insert_tenant(&tenant).await, Err(StoreError::Conflict("tenant"))));
    let renamed = TenantRow { name: "Acme 2".into(), settings: json!({"enabled": true}), ..tenant.clone() };
    assert!(store.update_tenant(&renamed).await.unwrap());
    let loaded = store.tenant("P1", "T1").await.unwrap().unwrap();
    assert_eq!((loaded.name.as_str(), loaded.settings.clone()), ("Acme 2", json!({"enabled": true})));

    let mut alice = user("U1", "Alice@Example.com");
    alice.tenants = vec![UserTenantRow { tenant_id: "T1".into(), roles: vec!["viewer".into()] }];
    store.insert_user(&alice).await.unwrap();
    // Login ids are unique per project, whatever their case; a failed insert leaves nothing behind.
    assert!(matches!(store.insert_user(&user("U2", "alice@example.COM")).await, Err(StoreError::Conflict(_))));
    assert!(store.user("P1", "U2").await.unwrap().is_none());

    let loaded = store.user_by_login_id("P1", "ALICE@example.com").await.unwrap().unwrap();
    assert_eq!(
        (loaded.id.as_str(), loaded.login_ids.clone(), loaded.roles.clone()),
        ("U1", vec!["Alice@Example.com".to_string()], vec!["admin".to_string()])
    );
    assert_eq!(loaded.tenants, alice.tenants);
    assert_eq!(loaded.attributes, json!({"team": "blue"}));

    let mut changed = loaded.clone();
    changed.verified_email = true;
    changed.login_ids.push("+15550100".into());
    changed.status = "disabled".into();
    store.update_user(&changed).await.unwrap();
    let reloaded = store.user_by_login_id("P1", "+15550100").await.unwrap().unwrap();
    assert!(reloaded.verified_email);
    assert_eq!(reloaded.status, "disabled");

    let mut bob = user("U3", "bob@example.com");
    bob.test = true;
    bob.tenants = vec![UserTenantRow { tenant_id: "T1".into(), roles: vec![] }];
    store.insert_user(&bob).await.unwrap();
    assert_eq!(store.test_user_ids("P1").await.unwrap(), ["U3"]);
    // Cascade deletes the users who belonged only to the tenant.
    assert!(store.delete_tenant("P1", "T1", true).await.unwrap());
    assert!(store.user("P1", "U1").await.unwrap().is_none());
    assert!(store.tenant("P1", "T1").await.unwrap().is_none());
    assert!(!store.delete_tenant("P1", "T1", false).await.unwrap());

    store.insert_user(&user("U4", "carol@example.com")).await.unwrap();
    assert!(store.delete_user("P1", "U4").await.unwrap());
    assert!(store.user_by_login_id("P1", "carol@example.com").await.unwrap().is_none());
}

async fn bulk_insert_skips_taken_login_ids(store: &Store) {
    store.insert_user(&user("B0", "taken@example.com")).await.unwrap();
    let batch = [
        user("B1", "new@example.com"),
        user("B2", "TAKEN@example.com"),
        user("B3", "other@example.com"),
        user("B4", "New@Example.com"),
    ];
    // Taken by an existing user (B2) or an earlier user of the same batch (B4): skipped, nothing left behind.
    assert_eq!(store.insert_users_unless_taken(&batch).await.unwrap(), [true, false, true, false]);
    for (id, present) in [("B1", true), ("B2", false), ("B3", true), ("B4", false)] {
        assert_eq!(store.user("P1", id).await.unwrap().is_some(), present, "{id}");
    }
    assert_eq!(store.user_by_login_id("P1", "taken@example.com").await.unwrap().unwrap().id, "B0");
    assert_eq!(store.user_by_login_id("P1", "new@example.com").await.unwrap().unwrap().id, "B1");
}

async fn sessions_rotate_once(store: &Store) {
    let session = SessionRow {
        id: "S1".into(),
        project_id: "P1".into(),
        user_id: "U9".into(),
        refresh_jti: "j1".into(),
        tenant_id: None,
        amr: "[]".into(),
        created_at: 1,
        refreshed_at: 1,
        expires_at: 1000,
        revoked_at: None,
        client_id: None,
        grant_data: None,
        parent_id: None,
    };
    store.insert_session(&session).await.unwrap();
    store.insert_session(&SessionRow { id: "S2".into(), ..session.clone() }).await.unwrap();
    // Two refreshes race with the same jti: exactly one wins.
    let (a, b) = tokio::join!(store.rotate_session("S1", "j1", "j2", 5), store.rotate_session("S1", "j1", "j3", 5));
    assert!(a.unwrap() ^ b.unwrap());
    store.set_session_tenant("S1", Some("T9")).await.unwrap();
    assert_eq!(store.session("P1", "S1").await.unwrap().unwrap().tenant_id.as_deref(), Some("T9"));
    assert_eq!(store.revoke_user_sessions("P1", "U9", 7).await.unwrap(), 2);
    assert!(!store.rotate_session("S2", "j1", "j4", 8).await.unwrap(), "a revoked session never rotates");
}

async fn codes_are_single_use(store: &Store) {
    let code = CodeRow {
        id: "C1".into(),
        project_id: "P1".into(),
        kind: "otp".into(),
        login_key: "a@b.c".into(),
        secret_hash: "s1".into(),
        pending_hash: Some("p1".into()),
        payload: "{}".into(),
        attempts: 0,
        max_attempts: 5,
        created_at: 1,
        expires_at: 100,
        verified_at: None,
        used_at: None,
    };
    store.insert_code(&code).await.unwrap();
    store
        .insert_code(&CodeRow {
            id: "C2".into(),
            secret_hash: "s2".into(),
            pending_hash: None,
            created_at: 2,
            ..code.clone()
        })
        .await
        .unwrap();
    assert_eq!(store.latest_code("P1", "otp", "a@b.c").await.unwrap().unwrap().id, "C2");
    assert_eq!(store.record_code_failure("C2").await.unwrap(), Some(1));
    assert_eq!(store.record_code_failure("C2").await.unwrap(), Some(2));
    let (a, b) = tokio::join!(store.consume_code("C2", 3), store.consume_code("C2", 3));
    assert!(a.unwrap() ^ b.unwrap(), "a code is consumed exactly once");
    assert_eq!(store.record_code_failure("C2").await.unwrap(), None);
    assert_eq!(store.latest_code("P1", "otp", "a@b.c").await.unwrap().unwrap().id, "C1");
    assert_eq!(store.code_by_secret("P1", "otp", "s1").await.unwrap().unwrap().id, "C1");
    assert_eq!(store.code_by_pending_ref("P1", "p1").await.unwrap().unwrap().id, "C1");
    assert!(store.mark_code_verified("C1", 4).await.unwrap());
    assert!(!store.mark_code_verified("C1", 4).await.unwrap());
}

async fn rate_limits_count_per_window(store: &Store) {
    for expected in 1..=3 {
        assert_eq!(store.hit_rate_limit("b", 1000, 60).await.unwrap(), (expected, 1000));
    }
    assert_eq!(store.hit_rate_limit("b", 1059, 60).await.unwrap(), (4, 1000));
    assert_eq!(store.hit_rate_limit("b", 1060, 60).await.unwrap(), (1, 1060), "a new window starts from one");
    let hits = futures_join_all(store, 8).await;
    assert_eq!(hits, 8, "concurrent hits are all counted");
}

async fn futures_join_all(store: &Store, n: i64) -> i64 {
    let mut tasks = Vec::new();
    for _ in 0..n {
        let store = store.clone();
        tasks.push(tokio::spawn(async move { store.hit_rate_limit("concurrent", 5000, 60).await.unwrap().0 }));
    }
    let mut max = 0;
    for task in tasks {
        max = max.max(task.await.unwrap());
    }
    max
}

async fn outbox_and_audit(store: &Store) {
    for (id, to) in [("0001", "first@x.io"), ("0002", "second@x.io")] {
        let message = MessageRow {
            id: id.into(),
            project_id: "P1".into(),
            created_at: 1,
            recipient: to.into(),
            channel: "email".into(),
            subject: "s".into(),
            body: "b".into(),
            code: Some("123456".into()),
            link: None,
        };
        store.insert_message(&message).await.unwrap();
    }
    let recipients: Vec<String> = store.messages(10).await.unwrap().into_iter().map(|m| m.recipient).collect();
    assert_eq!(recipients, ["second@x.io", "first@x.io"]);

    let event = |id: &str| AuditRow {
        id: id.into(),
        project_id: "P1".into(),
        occurred_at: 1,
        action: "LoginSucceed".into(),
        actor_id: None,
        user_id: Some("U1".into()),
        tenant_id: Some("T1".into()),
        ip: Some("127.0.0.1".into()),
        user_agent: None,
        success: 1,
        data: "{}".into(),
    };
    store.append_audit(&event("a1")).await.unwrap();
    store.append_audit(&event("a2")).await.unwrap();
    let ids: Vec<String> =
        store.user_audit("P1", "U1", "LoginSucceed", 10).await.unwrap().into_iter().map(|e| e.id).collect();
    assert_eq!(ids, ["a2", "a1"]);
    let window = store.audit_events("P1", 0, 10, 10).await.unwrap();
    assert_eq!(window.iter().map(|e| e.tenant_id.as_deref()).collect::<Vec<_>>(), [Some("T1"), Some("T1")]);
    assert!(store.audit_events("P1", 2, 10, 10).await.unwrap().is_empty());
}
