//! The schema is ready to be distributed by tenant (README "Scaling"): on Postgres, every
//! tenant-owned table has `tenant_id`, and its primary key, unique indexes and foreign keys to
//! other tenant-owned tables all lead with it. A distributed Postgres (Citus) enforces only
//! keys that contain the distribution column, and routes a request to one node only when its
//! rows are keyed by it. Checked on the catalog of a freshly migrated database, so a new
//! table or index that breaks the rule fails here.

use crate::support::{postgres_url, Backend, TestDb};
use sqlx::Connection;

/// Tables that are not tenant-owned, and why (the README's scaling section says the same).
const NOT_TENANT_OWNED: &[(&str, &str)] = &[
    ("_sqlx_migrations", "the migrator's own"),
    ("tenants", "the tenants themselves: a reference table"),
    (
        "api_keys",
        "looked up by secret before the tenant is known: a reference table",
    ),
    (
        "idempotency_keys",
        "keyed by the calling credential, never joined",
    ),
    (
        "rate_limit_windows",
        "keyed by the calling credential, never joined",
    ),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_tenant_owned_key_leads_with_tenant_id() {
    if postgres_url().is_none() {
        return;
    }
    let db = TestDb::new(Backend::Postgres).await;
    db.store().await;
    let mut conn = sqlx::PgConnection::connect(&db.url).await.expect("connect");

    let tables: Vec<(String, bool)> = sqlx::query_as(
        "SELECT t.table_name::text, EXISTS (SELECT 1 FROM information_schema.columns c \
           WHERE c.table_schema = 'public' AND c.table_name = t.table_name \
             AND c.column_name = 'tenant_id') \
         FROM information_schema.tables t \
         WHERE t.table_schema = 'public' AND t.table_type = 'BASE TABLE' ORDER BY 1",
    )
    .fetch_all(&mut conn)
    .await
    .expect("tables");
    let exempt = |t: &str| NOT_TENANT_OWNED.iter().any(|(name, _)| *name == t);
    let mut broken = Vec::new();
    for (table, has_tenant) in &tables {
        if !exempt(table) && !has_tenant {
            broken.push(format!("{table}: no tenant_id column"));
        }
    }

    // Every primary key and unique index, with its first column.
    let keys: Vec<(String, String, bool, String)> = sqlx::query_as(
        "SELECT c.relname::text, i.relname::text, ix.indisprimary, a.attname::text \
         FROM pg_index ix \
         JOIN pg_class c ON c.oid = ix.indrelid \
         JOIN pg_class i ON i.oid = ix.indexrelid \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = ix.indkey[0] \
         WHERE n.nspname = 'public' AND ix.indisunique ORDER BY 1, 2",
    )
    .fetch_all(&mut conn)
    .await
    .expect("indexes");
    for (table, index, _, first) in &keys {
        if !exempt(table) && first != "tenant_id" {
            broken.push(format!("{table}: unique index {index} starts with {first}"));
        }
    }
    for (table, _) in tables.iter().filter(|(t, _)| !exempt(t)) {
        if !keys.iter().any(|(t, _, primary, _)| t == table && *primary) {
            broken.push(format!("{table}: no primary key"));
        }
    }

    // Foreign keys between tenant-owned tables: tenant_id first on both sides.
    let fks: Vec<(String, String, String, String, String)> = sqlx::query_as(
        "SELECT c.conrelid::regclass::text, c.conname::text, c.confrelid::regclass::text, \
                a.attname::text, fa.attname::text \
         FROM pg_constraint c \
         JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1] \
         JOIN pg_attribute fa ON fa.attrelid = c.confrelid AND fa.attnum = c.confkey[1] \
         WHERE c.contype = 'f' AND c.connamespace = 'public'::regnamespace ORDER BY 1, 2",
    )
    .fetch_all(&mut conn)
    .await
    .expect("foreign keys");
    for (table, name, target, column, target_column) in &fks {
        if exempt(table) || exempt(target) {
            continue;
        }
        if column != "tenant_id" || target_column != "tenant_id" {
            broken.push(format!(
                "{table}: foreign key {name} to {target} starts with {column}"
            ));
        }
    }
    assert!(
        broken.is_empty(),
        "not ready to distribute by tenant_id:\n{}",
        broken.join("\n")
    );
    // The rule is checked on something: every tenant-owned table was seen.
    assert!(tables.iter().filter(|(t, _)| !exempt(t)).count() >= 20);
}
