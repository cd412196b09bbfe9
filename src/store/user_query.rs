//! A [`UserQuery`] as one parametrised SQL query. Only the whitelisted columns of
//! [`UserField`] are ever named; every value is a bound parameter. Case-insensitive attributes
//! compare their stored keys (`username_key`, `email_key`, both indexed) or `lower()`.

use super::users::{like_pattern, UserRow, USER_COLUMNS};
use super::{with_conn, Result, StoreError, Tx};
use crate::domain::extension::Extension;
use crate::domain::fields::email_key;
use crate::domain::query::{Compare, Operand, UserField, UserOrder, UserQuery};
use crate::domain::user::User;
use crate::domain::username::username_key;
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use uuid::Uuid;

/// A bound parameter.
#[derive(Debug, Clone, PartialEq)]
enum Arg {
    Text(String),
    Time(DateTime<Utc>),
    Id(Uuid),
}

/// A WHERE clause and its parameters, numbered from `$first`.
struct Clause {
    sql: String,
    args: Vec<Arg>,
    first: usize,
}

impl Clause {
    fn arg(&mut self, a: Arg) -> String {
        self.args.push(a);
        format!("${}", self.first + self.args.len() - 1)
    }
}

fn column(f: UserField) -> &'static str {
    match f {
        UserField::Id => "id",
        UserField::Username => "username_key",
        UserField::Email => "email_key",
        UserField::ExternalId => "external_id",
        UserField::FirstName => "lower(first_name)",
        UserField::LastName => "lower(last_name)",
        UserField::Phone => "phone_number",
        UserField::Active => "status",
        UserField::Created => "created_at",
        UserField::Modified => "updated_at",
    }
}

/// The value as the column holds it (keys for case-insensitive attributes).
fn stored_text(f: UserField, text: &str) -> String {
    match f {
        UserField::Username => username_key(text),
        UserField::Email => email_key(text),
        UserField::FirstName | UserField::LastName => text.to_lowercase(),
        _ => text.to_owned(),
    }
}

fn write(q: &UserQuery, c: &mut Clause) {
    match q {
        UserQuery::All => c.sql.push_str("1 = 1"),
        UserQuery::Nothing => c.sql.push_str("1 = 0"),
        UserQuery::Deprovisioned => c.sql.push_str(
            "EXISTS (SELECT 1 FROM deprovisioned_users d \
             WHERE d.tenant_id = users.tenant_id AND d.user_id = users.id)",
        ),
        UserQuery::Present(f) => {
            let col = column(*f);
            match f {
                UserField::Active | UserField::Created | UserField::Modified | UserField::Id => {
                    c.sql.push_str("1 = 1")
                }
                _ => c
                    .sql
                    .push_str(&format!("({col} IS NOT NULL AND {col} <> '')")),
            }
        }
        UserQuery::And(a, b) | UserQuery::Or(a, b) => {
            let joint = if matches!(q, UserQuery::And(..)) {
                " AND "
            } else {
                " OR "
            };
            c.sql.push('(');
            write(a, c);
            c.sql.push_str(joint);
            write(b, c);
            c.sql.push(')');
        }
        UserQuery::Not(inner) => {
            // A comparison with a missing value is unknown (NULL); "not" of it is true.
            c.sql.push_str("NOT COALESCE((");
            write(inner, c);
            c.sql.push_str("), FALSE)");
        }
        UserQuery::Match(f, op, value) => compare(*f, *op, value, c),
    }
}

fn compare(f: UserField, op: Compare, value: &Operand, c: &mut Clause) {
    let col = column(f);
    let symbol = match op {
        Compare::Eq => "=",
        Compare::Ne => "<>",
        Compare::Gt => ">",
        Compare::Ge => ">=",
        Compare::Lt => "<",
        Compare::Le => "<=",
        Compare::Co | Compare::Sw | Compare::Ew => "LIKE",
    };
    let sql = match (f, value) {
        (UserField::Active, Operand::Bool(b)) => {
            let active = match op {
                Compare::Eq => *b,
                Compare::Ne => !*b,
                _ => return c.sql.push_str("1 = 0"),
            };
            if active {
                "status = 'active'".to_owned()
            } else {
                "status <> 'active'".to_owned()
            }
        }
        (UserField::Id, Operand::Text(t)) => match (Uuid::parse_str(t), op) {
            (Ok(id), Compare::Eq | Compare::Ne) => {
                let p = c.arg(Arg::Id(id));
                format!("id {symbol} {p}")
            }
            (Err(_), Compare::Ne) => "1 = 1".to_owned(),
            _ => "1 = 0".to_owned(),
        },
        (UserField::Created | UserField::Modified, Operand::Time(t)) => match op {
            Compare::Co | Compare::Sw | Compare::Ew => "1 = 0".to_owned(),
            _ => {
                let p = c.arg(Arg::Time(*t));
                format!("{col} {symbol} {p}")
            }
        },
        (_, Operand::Text(t)) => {
            let text = stored_text(f, t);
            let pattern = |p: String| -> String {
                // like_pattern lowercases and wraps in `%`; keep the ends an operator anchors.
                let inner = &p[1..p.len() - 1];
                match op {
                    Compare::Sw => format!("{inner}%"),
                    Compare::Ew => format!("%{inner}"),
                    _ => p,
                }
            };
            match op {
                Compare::Co | Compare::Sw | Compare::Ew => {
                    let p = c.arg(Arg::Text(pattern(like_pattern(&text))));
                    format!("{col} LIKE {p} ESCAPE '\\'")
                }
                Compare::Ne => {
                    let p = c.arg(Arg::Text(text));
                    format!("({col} IS NULL OR {col} <> {p})")
                }
                _ => {
                    let p = c.arg(Arg::Text(text));
                    format!("{col} {symbol} {p}")
                }
            }
        }
        // A value of the wrong type matches nothing (`ne` everything).
        _ if op == Compare::Ne => "1 = 1".to_owned(),
        _ => "1 = 0".to_owned(),
    };
    c.sql.push_str(&sql);
}

fn order_by(order: UserOrder) -> String {
    let dir = if order.descending { "DESC" } else { "ASC" };
    match order.by {
        // Users without the attribute sort last either way (RFC 7644 3.4.2.3).
        Some(f) => {
            let col = column(f);
            format!("({col} IS NULL), {col} {dir}, number {dir}")
        }
        None => format!("number {dir}"),
    }
}

macro_rules! bind_args {
    ($q:expr, $args:expr) => {{
        let mut q = $q;
        for a in $args {
            q = match a {
                Arg::Text(t) => q.bind(t.clone()),
                Arg::Time(t) => q.bind(*t),
                Arg::Id(id) => q.bind(*id),
            };
        }
        q
    }};
}

#[derive(sqlx::FromRow)]
struct CountedRow {
    #[sqlx(flatten)]
    user: UserRow,
    total: i64,
}

impl Tx {
    /// Stores a user's attributes of one extension; empty attributes remove them.
    pub async fn set_extension(&mut self, tenant: Uuid, user: Uuid, ext: &Extension) -> Result<()> {
        if ext.attributes.is_empty() {
            with_conn!(self, |c| sqlx::query(
                "DELETE FROM user_extensions WHERE tenant_id = $1 AND user_id = $2 AND schema = $3"
            )
            .bind(tenant)
            .bind(user)
            .bind(&ext.schema)
            .execute(c)
            .await?
            .rows_affected());
            return Ok(());
        }
        let text = Value::Object(ext.attributes.clone()).to_string();
        with_conn!(self, |c| sqlx::query(
            "INSERT INTO user_extensions (tenant_id, user_id, schema, attributes) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (tenant_id, user_id, schema) \
             DO UPDATE SET attributes = excluded.attributes"
        )
        .bind(tenant)
        .bind(user)
        .bind(&ext.schema)
        .bind(text)
        .execute(c)
        .await?
        .rows_affected());
        Ok(())
    }

    /// These users' attributes of one extension (users without any are absent).
    pub async fn extensions_of(
        &mut self,
        tenant: Uuid,
        users: &[Uuid],
        schema: &str,
    ) -> Result<Vec<(Uuid, Map<String, Value>)>> {
        if users.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT user_id, attributes FROM user_extensions \
             WHERE tenant_id = $1 AND schema = $2 AND user_id IN ({})",
            super::groups::placeholders(3, users.len())
        );
        let rows: Vec<(Uuid, String)> = with_conn!(self, |c| {
            let mut q = sqlx::query_as(&sql).bind(tenant).bind(schema);
            for u in users {
                q = q.bind(*u);
            }
            q.fetch_all(c).await?
        });
        rows.into_iter()
            .map(|(id, text)| match serde_json::from_str(&text) {
                Ok(Value::Object(map)) => Ok((id, map)),
                _ => Err(StoreError::Corrupt(format!(
                    "extension {schema} of user {id}"
                ))),
            })
            .collect()
    }

    /// A new version of the user, changed beyond their own columns (an extension).
    pub async fn touch_user(&mut self, tenant: Uuid, id: Uuid, at: DateTime<Utc>) -> Result<User> {
        let sql = format!(
            "UPDATE users SET updated_at = $3, version = version + 1 \
             WHERE tenant_id = $1 AND id = $2 RETURNING {USER_COLUMNS}"
        );
        let row: UserRow = with_conn!(self, |c| sqlx::query_as(&sql)
            .bind(tenant)
            .bind(id)
            .bind(at)
            .fetch_one(c)
            .await?);
        row.into_user()
    }

    /// Records that the user's identity provider deleted them.
    pub async fn mark_deprovisioned(
        &mut self,
        tenant: Uuid,
        user: Uuid,
        at: DateTime<Utc>,
    ) -> Result<()> {
        with_conn!(self, |c| sqlx::query(
            "INSERT INTO deprovisioned_users (tenant_id, user_id, at) VALUES ($1, $2, $3) \
             ON CONFLICT (tenant_id, user_id) DO NOTHING"
        )
        .bind(tenant)
        .bind(user)
        .bind(at)
        .execute(c)
        .await?
        .rows_affected());
        Ok(())
    }

    pub async fn is_deprovisioned(&mut self, tenant: Uuid, user: Uuid) -> Result<bool> {
        Ok(with_conn!(self, |c| {
            sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM deprovisioned_users WHERE tenant_id = $1 AND user_id = $2)"
        )
        .bind(tenant)
        .bind(user)
        .fetch_one(c)
        .await?
        }))
    }

    /// The users matching `query`, `offset` skipped and at most `limit`, with how many match
    /// in all: one query (a second counts only when the page is past the end).
    pub async fn users_matching(
        &mut self,
        tenant: Uuid,
        query: &UserQuery,
        order: UserOrder,
        offset: u64,
        limit: u32,
    ) -> Result<(Vec<User>, i64)> {
        let mut clause = Clause {
            sql: String::new(),
            args: Vec::new(),
            first: 2,
        };
        write(query, &mut clause);
        let Clause {
            sql: cond, args, ..
        } = clause;
        let order = order_by(order);
        let sql = format!(
            "SELECT {USER_COLUMNS}, COUNT(*) OVER () AS total FROM users \
             WHERE tenant_id = $1 AND {cond} ORDER BY {order} LIMIT {limit} OFFSET {offset}"
        );
        let rows: Vec<CountedRow> = if limit == 0 {
            Vec::new()
        } else {
            with_conn!(self, |c| {
                let q = sqlx::query_as(&sql).bind(tenant);
                bind_args!(q, &args).fetch_all(c).await?
            })
        };
        let total = match rows.first() {
            Some(r) => r.total,
            None if offset == 0 && limit > 0 => 0,
            None => {
                let sql = format!("SELECT COUNT(*) FROM users WHERE tenant_id = $1 AND {cond}");
                with_conn!(self, |c| {
                    let q = sqlx::query_scalar(&sql).bind(tenant);
                    bind_args!(q, &args).fetch_one(c).await?
                })
            }
        };
        let users = rows
            .into_iter()
            .map(|r| r.user.into_user())
            .collect::<Result<Vec<_>>>()?;
        Ok((users, total))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sql(q: &UserQuery) -> (String, Vec<Arg>) {
        let mut c = Clause {
            sql: String::new(),
            args: Vec::new(),
            first: 2,
        };
        write(q, &mut c);
        (c.sql, c.args)
    }

    fn text(f: UserField, op: Compare, t: &str) -> UserQuery {
        UserQuery::Match(f, op, Operand::Text(t.into()))
    }

    #[test]
    fn equality_on_a_username_compares_its_indexed_key() {
        let (s, a) = sql(&text(UserField::Username, Compare::Eq, "Ada.L"));
        assert_eq!(s, "username_key = $2");
        assert_eq!(a, vec![Arg::Text("ada.l".into())]);
    }

    #[test]
    fn operators_anchor_their_patterns() {
        for (op, want) in [
            (Compare::Co, "%a\\_b%"),
            (Compare::Sw, "a\\_b%"),
            (Compare::Ew, "%a\\_b"),
        ] {
            let (s, a) = sql(&text(UserField::Email, op, "A_B"));
            assert_eq!(s, "email_key LIKE $2 ESCAPE '\\'");
            assert_eq!(a, vec![Arg::Text(want.into())]);
        }
    }

    #[test]
    fn combinations_keep_their_shape_and_number_parameters_in_order() {
        let q = text(UserField::Username, Compare::Eq, "a").or(text(
            UserField::ExternalId,
            Compare::Ne,
            "x",
        )
        .and(UserQuery::Present(UserField::Phone).not()));
        let (s, a) = sql(&q);
        assert_eq!(
            s,
            "(username_key = $2 OR ((external_id IS NULL OR external_id <> $3) AND \
             NOT COALESCE(((phone_number IS NOT NULL AND phone_number <> '')), FALSE)))"
        );
        assert_eq!(a.len(), 2);
    }

    #[test]
    fn active_and_ids_are_typed() {
        let q = UserQuery::Match(UserField::Active, Compare::Eq, Operand::Bool(false));
        assert_eq!(sql(&q).0, "status <> 'active'");
        assert_eq!(sql(&text(UserField::Id, Compare::Eq, "nope")).0, "1 = 0");
        assert_eq!(sql(&text(UserField::Id, Compare::Gt, "nope")).0, "1 = 0");
    }
}
