//! Users in bulk: an import's chunk read and written with a few multi-row statements, and
//! an export's pages.

use super::groups::placeholders;
use super::users::{bind_record, UserRecord, UserRow, GROUP_KEYS, USER_COLUMNS};
use super::{with_conn, Result, StoreError, Tx};
use crate::domain::user::{search_text, User};
use crate::domain::username::username_key;
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// A user an import line matched: the user, their stored hash and their group keys.
pub type Matched = (User, Option<String>, Vec<String>);

#[derive(sqlx::FromRow)]
struct MatchedRow {
    #[sqlx(flatten)]
    user: UserRow,
    password_hash: Option<String>,
    /// A JSON array of strings.
    group_keys: String,
}

/// The columns one inserted user binds.
const INSERT_COLUMNS: usize = 19;

impl Tx {
    /// The users holding any of these email keys or external ids, with their hashes and
    /// group keys, in one query; their rows are locked for the transaction.
    pub async fn users_for_import(
        &mut self,
        tenant: Uuid,
        email_keys: &[String],
        external_ids: &[String],
    ) -> Result<Vec<Matched>> {
        if email_keys.is_empty() && external_ids.is_empty() {
            return Ok(Vec::new());
        }
        // `IN ()` is not SQL: an empty list is one NULL, which matches nothing.
        let list = |first: usize, n: usize| {
            if n == 0 {
                "NULL".to_owned()
            } else {
                placeholders(first, n)
            }
        };
        let emails = list(2, email_keys.len());
        let externals = list(2 + email_keys.len(), external_ids.len());
        let [pg, lite] = GROUP_KEYS.map(|keys| {
            format!(
                "SELECT {USER_COLUMNS}, password_hash, {keys} AS group_keys FROM users \
                 WHERE tenant_id = $1 AND (email_key IN ({emails}) OR external_id IN ({externals}))"
            )
        });
        // SQLite's write transaction already holds the whole database.
        let pg = pg + " FOR UPDATE OF users";
        let rows: Vec<MatchedRow> = with_conn!(self, sql = (&pg, &lite), |c| {
            let mut q = sqlx::query_as(sql).bind(tenant);
            for v in email_keys.iter().chain(external_ids) {
                q = q.bind(v);
            }
            q.fetch_all(c).await?
        });
        rows.into_iter()
            .map(|r| {
                let keys = serde_json::from_str(&r.group_keys).map_err(|e| {
                    StoreError::Corrupt(format!("group keys of user {}: {e}", r.user.user_id()))
                })?;
                Ok((r.user.into_user()?, r.password_hash, keys))
            })
            .collect()
    }

    /// Which of these values users of the tenant hold: (value, holder) for emails (primary
    /// or secondary), external ids and usernames (keys).
    pub async fn holders(
        &mut self,
        tenant: Uuid,
        email_keys: &[String],
        external_ids: &[String],
        username_keys: &[String],
    ) -> Result<Vec<(String, String, Uuid)>> {
        let mut found = Vec::new();
        for (kind, values, sql) in [
            (
                "email",
                email_keys,
                "SELECT email_key, user_id FROM email_keys WHERE tenant_id = $1 AND email_key IN",
            ),
            (
                "external_id",
                external_ids,
                "SELECT external_id, id FROM users WHERE tenant_id = $1 AND external_id IN",
            ),
            (
                "username",
                username_keys,
                "SELECT username_key, id FROM users WHERE tenant_id = $1 AND username_key IN",
            ),
        ] {
            if values.is_empty() {
                continue;
            }
            let sql = format!("{sql} ({})", placeholders(2, values.len()));
            let rows: Vec<(String, Uuid)> = with_conn!(self, |c| {
                let mut q = sqlx::query_as(&sql).bind(tenant);
                for v in values {
                    q = q.bind(v);
                }
                q.fetch_all(c).await?
            });
            found.extend(rows.into_iter().map(|(v, id)| (kind.to_owned(), v, id)));
        }
        Ok(found)
    }

    /// Inserts users with one statement per 500 rows (their hashes as given).
    pub async fn insert_users(&mut self, records: &[UserRecord]) -> Result<()> {
        for chunk in records.chunks(500) {
            let rows = (0..chunk.len())
                .map(|i| {
                    let n = i * INSERT_COLUMNS;
                    let p = |k: usize| format!("${}", n + k);
                    // created_at, updated_at and status_changed_at are one value; version 1.
                    format!(
                        "({}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, 1, {}, {}, {}, {})",
                        p(1), p(2), p(3), p(4), p(5), p(6), p(7), p(8), p(9), p(10), p(11), p(12),
                        p(13), p(14), p(15), p(15), p(15), p(16), p(17), p(18), p(19)
                    )
                })
                .collect::<Vec<_>>()
                .join(", ");
            let sql = format!(
                "INSERT INTO users (id, tenant_id, email, email_key, external_id, first_name, \
                 last_name, phone_number, password_hash, status, roles, referral_code, parent_id, \
                 sessions_limit, created_at, updated_at, status_changed_at, version, search_text, \
                 referred_by, username, username_key) VALUES {rows}"
            );
            with_conn!(self, |c| {
                let mut q = sqlx::query(&sql);
                for u in chunk {
                    q = bind_record!(q, u);
                }
                q.execute(c).await?.rows_affected()
            });
        }
        Ok(())
    }

    /// Adds memberships (group id, user id) with one statement per 1,000; existing ones stay.
    pub async fn add_group_members(
        &mut self,
        tenant: Uuid,
        members: &[(i64, Uuid)],
        at: DateTime<Utc>,
    ) -> Result<()> {
        for chunk in members.chunks(1000) {
            let rows = (0..chunk.len())
                .map(|i| format!("($1, ${}, ${}, $2)", 3 + 2 * i, 4 + 2 * i))
                .collect::<Vec<_>>()
                .join(", ");
            let sql = format!(
                "INSERT INTO group_members (tenant_id, group_id, user_id, joined_at) VALUES {rows} \
                 ON CONFLICT (tenant_id, group_id, user_id) DO NOTHING"
            );
            with_conn!(self, |c| {
                let mut q = sqlx::query(&sql).bind(tenant).bind(at);
                for (group, user) in chunk {
                    q = q.bind(*group).bind(*user);
                }
                q.execute(c).await?.rows_affected()
            });
        }
        Ok(())
    }

    /// The stored password hashes of these users (those who have one).
    pub async fn password_hashes_of(
        &mut self,
        tenant: Uuid,
        users: &[Uuid],
    ) -> Result<Vec<(Uuid, String)>> {
        if users.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT id, password_hash FROM users WHERE tenant_id = $1 AND password_hash IS NOT NULL \
             AND id IN ({})",
            placeholders(2, users.len())
        );
        Ok(with_conn!(self, |c| {
            let mut q = sqlx::query_as(&sql).bind(tenant);
            for u in users {
                q = q.bind(*u);
            }
            q.fetch_all(c).await?
        }))
    }
}
