//! Users.

use super::{parse_stored, with_conn, Result, StoreError, Tx};
use crate::domain::permission::BuiltinRole;
use crate::domain::user::{search_text, Profile, Roles, User, UserFilter, UserRef};
use crate::domain::username::{lookup_key, username_key};
use crate::domain::Status;
use chrono::{DateTime, Utc};
use uuid::Uuid;

pub(super) const USER_COLUMNS: &str = "id, number, tenant_id, email, username, external_id, first_name, last_name, \
    phone_number, status, roles, referral_code, parent_id, referred_by, sessions_limit, \
    (password_hash IS NOT NULL) AS has_password, created_at, updated_at, status_changed_at, version";

#[derive(sqlx::FromRow)]
pub(super) struct UserRow {
    id: Uuid,
    number: i64,
    tenant_id: Uuid,
    email: Option<String>,
    username: Option<String>,
    external_id: Option<String>,
    first_name: Option<String>,
    last_name: Option<String>,
    phone_number: Option<String>,
    status: String,
    roles: String,
    referral_code: String,
    parent_id: Option<Uuid>,
    referred_by: Option<Uuid>,
    sessions_limit: Option<i64>,
    has_password: bool,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    status_changed_at: DateTime<Utc>,
    version: i64,
}

impl UserRow {
    pub(super) fn user_id(&self) -> Uuid {
        self.id
    }

    pub(super) fn into_user(self) -> Result<User> {
        Ok(User {
            id: self.id,
            number: self.number,
            tenant_id: self.tenant_id,
            email: self.email,
            username: self.username,
            external_id: self.external_id,
            first_name: self.first_name,
            last_name: self.last_name,
            phone_number: self.phone_number,
            status: parse_stored::<Status>("users.status", &self.status)?,
            roles: Roles::from_stored(&self.roles),
            referral_code: self.referral_code,
            parent_id: self.parent_id,
            referred_by: self.referred_by,
            sessions_limit: self.sessions_limit.map(|n| n as i32),
            has_password: self.has_password,
            created_at: self.created_at,
            updated_at: self.updated_at,
            status_changed_at: self.status_changed_at,
            version: self.version,
        })
    }
}

#[derive(sqlx::FromRow)]
struct UserWithKeysRow {
    #[sqlx(flatten)]
    user: UserRow,
    /// A JSON array of strings.
    group_keys: String,
}

impl UserWithKeysRow {
    fn into_parts(self) -> Result<(User, Vec<String>)> {
        let keys = serde_json::from_str(&self.group_keys).map_err(|e| {
            StoreError::Corrupt(format!("group keys of user {}: {e}", self.user.id))
        })?;
        Ok((self.user.into_user()?, keys))
    }
}

/// A user row's group keys as a JSON array, in key order, selected beside the row so a user
/// and their groups are one statement: Postgres's form, then SQLite's.
pub(super) const GROUP_KEYS: [&str; 2] = [
    "(SELECT COALESCE(json_agg(g.key ORDER BY g.key), '[]')::text \
     FROM group_members gm JOIN groups g ON g.tenant_id = gm.tenant_id AND g.id = gm.group_id \
     WHERE gm.tenant_id = users.tenant_id AND gm.user_id = users.id)",
    "(SELECT json_group_array(g.key ORDER BY g.key) \
     FROM group_members gm JOIN groups g ON g.tenant_id = gm.tenant_id AND g.id = gm.group_id \
     WHERE gm.tenant_id = users.tenant_id AND gm.user_id = users.id)",
];

#[derive(sqlx::FromRow)]
struct UserWithHashRow {
    #[sqlx(flatten)]
    user: UserRow,
    password_hash: Option<String>,
}

fn users(rows: Vec<UserRow>) -> Result<Vec<User>> {
    rows.into_iter().map(UserRow::into_user).collect()
}

/// The columns of a user about to be inserted: their profile and what only a creation sets.
#[derive(Debug, Clone)]
pub struct UserRecord {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub profile: Profile,
    pub password_hash: Option<String>,
    pub status: Status,
    pub referral_code: String,
    pub parent_id: Option<Uuid>,
    pub referred_by: Option<Uuid>,
    pub at: DateTime<Utc>,
}

/// The unique values of a user a write is about to give them; None is not checked.
#[derive(Debug, Clone, Copy, Default)]
pub struct UniqueValues<'a> {
    pub email_key: Option<&'a str>,
    pub external_id: Option<&'a str>,
    pub username_key: Option<&'a str>,
}

/// Escapes LIKE's wildcards so a search for `50%` finds the text `50%`.
pub(super) fn like_pattern(text: &str) -> String {
    let mut p = String::with_capacity(text.len() + 2);
    p.push('%');
    for c in text.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

/// Which user a lookup is for.
enum Key<'a> {
    Id(Uuid),
    /// An email key ([`crate::domain::fields::email_key`]), not the address as typed.
    Email(&'a str),
    Username(&'a str),
    Number(i64),
    ExternalId(&'a str),
    ReferralCode(&'a str),
}

impl Key<'_> {
    fn column(&self) -> &'static str {
        match self {
            Key::Id(_) => "id",
            Key::Email(_) => "email_key",
            Key::Username(_) => "username_key",
            Key::Number(_) => "number",
            Key::ExternalId(_) => "external_id",
            Key::ReferralCode(_) => "referral_code",
        }
    }
}

/// Binds a [`Key`]'s value as the next parameter of a query.
macro_rules! bind_key {
    ($q:expr, $key:expr) => {
        match $key {
            Key::Id(id) => $q.bind(id),
            Key::Email(k) | Key::Username(k) => $q.bind(k),
            Key::Number(n) => $q.bind(n),
            Key::ExternalId(x) | Key::ReferralCode(x) => $q.bind(x),
        }
    };
}

/// The text an email or username reference is looked up by (its key); other references
/// need none. None for a username no user could have.
fn normalized(who: UserRef<'_>) -> Option<String> {
    match who {
        UserRef::Email(raw) => Some(crate::domain::fields::email_key(raw)),
        UserRef::Username(raw) => lookup_key(raw),
        UserRef::Id(_)
        | UserRef::Number(_)
        | UserRef::ExternalId(_)
        | UserRef::NumberElseExternalId(_) => None,
    }
}

/// The lookup key of a client's reference to a user, borrowing its [`normalized`] text; None
/// when no user can match.
fn key_of<'a>(who: UserRef<'a>, normalized: &'a Option<String>) -> Option<Key<'a>> {
    match who {
        UserRef::Id(id) => Some(Key::Id(id)),
        UserRef::Number(n) => Some(Key::Number(n)),
        UserRef::ExternalId(x) => Some(Key::ExternalId(x)),
        UserRef::Email(_) => normalized.as_deref().map(Key::Email),
        UserRef::Username(_) => normalized.as_deref().map(Key::Username),
        // Resolved through its candidates, never looked up as itself.
        UserRef::NumberElseExternalId(_) => None,
    }
}

impl Tx {
    pub async fn insert_user(&mut self, u: &UserRecord) -> Result<User> {
        let sql = format!(
            "INSERT INTO users (id, tenant_id, email, email_key, external_id, first_name, \
             last_name, phone_number, password_hash, status, roles, referral_code, parent_id, \
             sessions_limit, created_at, updated_at, status_changed_at, version, search_text, referred_by, \
             username, username_key) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15, $15, 1, $16, $17, \
             $18, $19) \
             RETURNING {USER_COLUMNS}"
        );
        let row: UserRow = with_conn!(self, |c| bind_record!(sqlx::query_as(&sql), u)
            .fetch_one(c)
            .await?);
        row.into_user()
    }

    async fn user_by(
        &mut self,
        tenant: Uuid,
        key: Key<'_>,
        for_update: bool,
    ) -> Result<Option<User>> {
        let column = key.column();
        let select =
            format!("SELECT {USER_COLUMNS} FROM users WHERE tenant_id = $1 AND {column} = $2");
        // Postgres locks the row until the transaction ends; SQLite's write transaction
        // already holds the whole database.
        let locked = if for_update {
            format!("{select} FOR UPDATE")
        } else {
            select.clone()
        };
        let row: Option<UserRow> = with_conn!(self, sql = (&locked, &select), |c| {
            let q = sqlx::query_as(sql).bind(tenant);
            bind_key!(q, key).fetch_optional(c).await?
        });
        row.map(UserRow::into_user).transpose()
    }

    /// The user with this id in the tenant. `for_update` locks the row for this transaction.
    pub async fn user(&mut self, tenant: Uuid, id: Uuid, for_update: bool) -> Result<Option<User>> {
        self.user_by(tenant, Key::Id(id), for_update).await
    }

    /// The user a client named, however they named them. `for_update` locks the row.
    pub async fn user_by_ref(
        &mut self,
        tenant: Uuid,
        who: UserRef<'_>,
        for_update: bool,
    ) -> Result<Option<User>> {
        for who in who.candidates().into_iter().flatten() {
            let text = normalized(who);
            if let Some(key) = key_of(who, &text) {
                if let Some(user) = self.user_by(tenant, key, for_update).await? {
                    return Ok(Some(user));
                }
            }
        }
        Ok(None)
    }

    /// The user a client named and the keys of their groups (in key order), in one query,
    /// so a use case that answers the user after changing them needs no second read.
    /// `for_update` locks the user's row (not the group rows).
    pub async fn user_with_group_keys(
        &mut self,
        tenant: Uuid,
        who: UserRef<'_>,
        for_update: bool,
    ) -> Result<Option<(User, Vec<String>)>> {
        for who in who.candidates().into_iter().flatten() {
            let text = normalized(who);
            if let Some(key) = key_of(who, &text) {
                if let Some(found) = self.with_group_keys(tenant, key, for_update).await? {
                    return Ok(Some(found));
                }
            }
        }
        Ok(None)
    }

    async fn with_group_keys(
        &mut self,
        tenant: Uuid,
        key: Key<'_>,
        for_update: bool,
    ) -> Result<Option<(User, Vec<String>)>> {
        let column = key.column();
        let lock = if for_update {
            " FOR UPDATE OF users"
        } else {
            ""
        };
        let [pg, lite] = GROUP_KEYS.map(|keys| {
            format!(
                "SELECT {USER_COLUMNS}, {keys} AS group_keys FROM users \
                 WHERE tenant_id = $1 AND {column} = $2"
            )
        });
        // SQLite's write transaction already holds the whole database.
        let pg = pg + lock;
        let row: Option<UserWithKeysRow> = with_conn!(self, sql = (&pg, &lite), |c| {
            let q = sqlx::query_as(sql).bind(tenant);
            bind_key!(q, key).fetch_optional(c).await?
        });
        row.map(UserWithKeysRow::into_parts).transpose()
    }

    pub async fn user_by_email(
        &mut self,
        tenant: Uuid,
        email_key: &str,
        for_update: bool,
    ) -> Result<Option<User>> {
        self.user_by(tenant, Key::Email(email_key), for_update)
            .await
    }

    /// The user with this username key (see [`crate::domain::username::Username::key`]).
    pub async fn user_by_username(
        &mut self,
        tenant: Uuid,
        username_key: &str,
    ) -> Result<Option<User>> {
        self.user_by(tenant, Key::Username(username_key), false)
            .await
    }

    pub async fn user_by_number(
        &mut self,
        tenant: Uuid,
        number: i64,
        for_update: bool,
    ) -> Result<Option<User>> {
        self.user_by(tenant, Key::Number(number), for_update).await
    }

    pub async fn user_by_external_id(
        &mut self,
        tenant: Uuid,
        external_id: &str,
        for_update: bool,
    ) -> Result<Option<User>> {
        self.user_by(tenant, Key::ExternalId(external_id), for_update)
            .await
    }

    /// The user whose referral code this is.
    pub async fn user_by_referral_code(
        &mut self,
        tenant: Uuid,
        code: &str,
    ) -> Result<Option<User>> {
        self.user_by(tenant, Key::ReferralCode(code), false).await
    }

    /// Locks the tenant's active admins in id order; answers their ids. A change that must
    /// leave at least one active admin takes this before any other lock, so two such changes
    /// run one after the other and cannot deadlock.
    pub async fn lock_active_admins(&mut self, tenant: Uuid) -> Result<Vec<Uuid>> {
        let select = "SELECT id FROM users WHERE tenant_id = $1 AND status = 'active' \
             AND (',' || roles || ',') LIKE '%,admin,%' ORDER BY id";
        let locked = format!("{select} FOR UPDATE");
        let rows: Vec<(Uuid,)> =
            with_conn!(self, sql = (locked.as_str(), select), |c| sqlx::query_as(
                sql
            )
            .bind(tenant)
            .fetch_all(c)
            .await?);
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }

    /// Which of these unique values another user of the tenant already holds (an email as
    /// a primary or a secondary one).
    pub async fn taken_by_other(
        &mut self,
        tenant: Uuid,
        except: Option<Uuid>,
        values: &UniqueValues<'_>,
    ) -> Result<Vec<&'static str>> {
        let (email_taken, external_taken, username_taken): (bool, bool, bool) = with_conn!(
            self,
            |c| {
                sqlx::query_as(
            "SELECT \
               EXISTS (SELECT 1 FROM email_keys WHERE tenant_id = $1 AND email_key = $2 AND ($4 IS NULL OR user_id <> $4)), \
               EXISTS (SELECT 1 FROM users WHERE tenant_id = $1 AND external_id = $3 AND ($4 IS NULL OR id <> $4)), \
               EXISTS (SELECT 1 FROM users WHERE tenant_id = $1 AND username_key = $5 AND ($4 IS NULL OR id <> $4))"
        )
        .bind(tenant)
        .bind(values.email_key)
        .bind(values.external_id)
        .bind(except)
        .bind(values.username_key)
        .fetch_one(c)
        .await?
            }
        );
        Ok([
            (email_taken, "email"),
            (external_taken, "external_id"),
            (username_taken, "username"),
        ]
        .into_iter()
        .filter_map(|(taken, field)| taken.then_some(field))
        .collect())
    }

    /// The user with this email key or, when none has it, this username key, and their
    /// stored password hash, in one query: what a login checks the password against.
    pub async fn user_with_password_hash(
        &mut self,
        tenant: Uuid,
        email_key: Option<&str>,
        username_key: Option<&str>,
    ) -> Result<Option<(User, Option<String>)>> {
        let sql = format!(
            "SELECT {USER_COLUMNS}, password_hash FROM users \
             WHERE tenant_id = $1 AND (email_key = $2 OR username_key = $3) \
             ORDER BY CASE WHEN email_key = $2 THEN 0 ELSE 1 END LIMIT 1"
        );
        let row: Option<UserWithHashRow> = with_conn!(self, |c| sqlx::query_as(&sql)
            .bind(tenant)
            .bind(email_key)
            .bind(username_key)
            .fetch_optional(c)
            .await?);
        row.map(|r| Ok((r.user.into_user()?, r.password_hash)))
            .transpose()
    }

    /// Replaces the password hash `old` with `new`; false when the user's hash is no longer
    /// `old`. Not a profile change: the version stays.
    pub async fn replace_password_hash(
        &mut self,
        tenant: Uuid,
        id: Uuid,
        old: &str,
        new: &str,
    ) -> Result<bool> {
        Ok(with_conn!(self, |c| sqlx::query(
            "UPDATE users SET password_hash = $4 \
             WHERE tenant_id = $1 AND id = $2 AND password_hash = $3"
        )
        .bind(tenant)
        .bind(id)
        .bind(old)
        .bind(new)
        .execute(c)
        .await?
        .rows_affected()
            > 0))
    }

    /// The user with this id and their password hash (None when they have none).
    pub async fn user_password_hash(
        &mut self,
        tenant: Uuid,
        id: Uuid,
    ) -> Result<Option<(User, Option<String>)>> {
        let sql = format!(
            "SELECT {USER_COLUMNS}, password_hash FROM users WHERE tenant_id = $1 AND id = $2"
        );
        let row: Option<UserWithHashRow> = with_conn!(self, |c| sqlx::query_as(&sql)
            .bind(tenant)
            .bind(id)
            .fetch_optional(c)
            .await?);
        row.map(|r| Ok((r.user.into_user()?, r.password_hash)))
            .transpose()
    }

    /// Writes a profile (and, when given, a new password hash); bumps the version.
    pub async fn update_profile(
        &mut self,
        tenant: Uuid,
        id: Uuid,
        p: &Profile,
        password_hash: Option<&str>,
        at: DateTime<Utc>,
    ) -> Result<User> {
        let sql = format!(
            "UPDATE users SET email = $3, email_key = $4, external_id = $5, first_name = $6, \
             last_name = $7, phone_number = $8, roles = $9, sessions_limit = $10, \
             password_hash = COALESCE($11, password_hash), updated_at = $12, search_text = $13, \
             username = $14, username_key = $15, version = version + 1 \
             WHERE tenant_id = $1 AND id = $2 RETURNING {USER_COLUMNS}"
        );
        let email_key = p.email.as_deref().map(crate::domain::fields::email_key);
        let username_key = p.username.as_deref().map(username_key);
        let row: UserRow = with_conn!(self, |c| sqlx::query_as(&sql)
            .bind(tenant)
            .bind(id)
            .bind(&p.email)
            .bind(&email_key)
            .bind(&p.external_id)
            .bind(&p.first_name)
            .bind(&p.last_name)
            .bind(&p.phone_number)
            .bind(p.roles.to_stored())
            .bind(p.sessions_limit.map(i64::from))
            .bind(password_hash)
            .bind(at)
            .bind(search_text(
                p.email.as_deref(),
                p.username.as_deref(),
                p.first_name.as_deref(),
                p.last_name.as_deref()
            ))
            .bind(&p.username)
            .bind(&username_key)
            .fetch_one(c)
            .await?);
        row.into_user()
    }

    pub async fn set_status(
        &mut self,
        tenant: Uuid,
        id: Uuid,
        status: Status,
        at: DateTime<Utc>,
    ) -> Result<User> {
        let sql = format!(
            "UPDATE users SET status = $3, status_changed_at = $4, updated_at = $4, version = version + 1 \
             WHERE tenant_id = $1 AND id = $2 RETURNING {USER_COLUMNS}"
        );
        let row: UserRow = with_conn!(self, |c| sqlx::query_as(&sql)
            .bind(tenant)
            .bind(id)
            .bind(status.as_str())
            .bind(at)
            .fetch_one(c)
            .await?);
        row.into_user()
    }

    /// One page of users in `number` order, after the user numbered `after`.
    /// One page of users in `number` order after `after`, each with their group keys: one
    /// statement.
    pub async fn users(
        &mut self,
        tenant: Uuid,
        f: &UserFilter,
        after: Option<i64>,
        limit: u32,
    ) -> Result<Vec<(User, Vec<String>)>> {
        let [pg, lite] = GROUP_KEYS.map(|keys| {
            format!(
                "SELECT {USER_COLUMNS}, {keys} AS group_keys FROM users \
                 WHERE tenant_id = $1 AND number > $2{} ORDER BY number LIMIT {limit}",
                filter_clauses(f, 3)
            )
        });
        let rows: Vec<UserWithKeysRow> = with_conn!(self, sql = (&pg, &lite), |c| {
            let q = sqlx::query_as(sql).bind(tenant).bind(after.unwrap_or(0));
            bind_filter!(q, f).fetch_all(c).await?
        });
        rows.into_iter().map(UserWithKeysRow::into_parts).collect()
    }

    /// One page of users in `number` order, skipping the first `offset` (numbered pages).
    pub async fn users_at_offset(
        &mut self,
        tenant: Uuid,
        f: &UserFilter,
        offset: u64,
        limit: u32,
    ) -> Result<Vec<User>> {
        let sql = format!(
            "SELECT {USER_COLUMNS} FROM users WHERE tenant_id = $1{} \
             ORDER BY number LIMIT {limit} OFFSET {offset}",
            filter_clauses(f, 2)
        );
        let rows: Vec<UserRow> = with_conn!(self, |c| {
            let q = sqlx::query_as(&sql).bind(tenant);
            bind_filter!(q, f).fetch_all(c).await?
        });
        users(rows)
    }

    /// How many users of the tenant match the filter.
    pub async fn count_users(&mut self, tenant: Uuid, f: &UserFilter) -> Result<i64> {
        let sql = format!(
            "SELECT COUNT(*) FROM users WHERE tenant_id = $1{}",
            filter_clauses(f, 2)
        );
        Ok(with_conn!(self, |c| {
            let q = sqlx::query_scalar(&sql).bind(tenant);
            bind_filter!(q, f).fetch_one(c).await?
        }))
    }
}

/// The `AND ...` clauses of the filters present, numbering placeholders from `$first` in the
/// order [`bind_filter!`] binds them.
fn filter_clauses(f: &UserFilter, first: usize) -> String {
    let mut sql = String::new();
    let mut n = first;
    let mut arg = |clause: &str| {
        sql.push_str(&clause.replace("$?", &format!("${n}")));
        n += 1;
    };
    if f.status.is_some() {
        arg(" AND status = $?");
    }
    if f.email_key.is_some() {
        arg(" AND email_key = $?");
    }
    if f.username_key.is_some() {
        arg(" AND username_key = $?");
    }
    if f.external_id.is_some() {
        arg(" AND external_id = $?");
    }
    if f.group_key.is_some() {
        arg(
            " AND EXISTS (SELECT 1 FROM group_members gm JOIN groups g ON g.tenant_id = gm.tenant_id AND g.id = gm.group_id \
             WHERE gm.tenant_id = $1 AND gm.user_id = users.id AND g.key = $?)",
        );
    }
    if f.text.is_some() {
        arg(" AND search_text LIKE $? ESCAPE '\\'");
    }
    if f.role.is_some() {
        arg(" AND (',' || roles || ',') LIKE $? ESCAPE '\\'");
    }
    sql
}

/// Binds a new user's columns, in the order of the `INSERT INTO users` column list that
/// `insert_user` and the import's multi-row insert share.
macro_rules! bind_record {
    ($q:expr, $u:expr) => {{
        let u: &UserRecord = $u;
        let p = &u.profile;
        $q.bind(u.id)
            .bind(u.tenant_id)
            .bind(p.email.clone())
            .bind(p.email.as_deref().map(crate::domain::fields::email_key))
            .bind(p.external_id.clone())
            .bind(p.first_name.clone())
            .bind(p.last_name.clone())
            .bind(p.phone_number.clone())
            .bind(u.password_hash.clone())
            .bind(u.status.as_str())
            .bind(p.roles.to_stored())
            .bind(u.referral_code.clone())
            .bind(u.parent_id)
            .bind(p.sessions_limit.map(i64::from))
            .bind(u.at)
            .bind(search_text(
                p.email.as_deref(),
                p.username.as_deref(),
                p.first_name.as_deref(),
                p.last_name.as_deref(),
            ))
            .bind(u.referred_by)
            .bind(p.username.clone())
            .bind(p.username.as_deref().map(username_key))
    }};
}
pub(super) use bind_record;

/// Binds the values of the filters present, in [`filter_clauses`]'s order.
macro_rules! bind_filter {
    ($q:expr, $f:expr) => {{
        let f: &UserFilter = $f;
        let mut q = $q;
        if let Some(s) = f.status {
            q = q.bind(s.as_str());
        }
        if let Some(e) = &f.email_key {
            q = q.bind(e.clone());
        }
        if let Some(u) = &f.username_key {
            q = q.bind(u.clone());
        }
        if let Some(x) = &f.external_id {
            q = q.bind(x.clone());
        }
        if let Some(g) = &f.group_key {
            q = q.bind(g.clone());
        }
        if let Some(t) = &f.text {
            q = q.bind(like_pattern(t));
        }
        if let Some(r) = f.role {
            q = q.bind(role_pattern(r));
        }
        q
    }};
}
use bind_filter;

/// Matches one role name in the comma-separated `roles` column.
fn role_pattern(role: BuiltinRole) -> String {
    format!("%,{},%", role.as_str().replace('_', "\\_"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn like_patterns_escape_wildcards() {
        assert_eq!(super::like_pattern("50%_Off"), "%50\\%\\_off%");
        assert_eq!(
            super::role_pattern(crate::domain::permission::BuiltinRole::PlanAdmin),
            "%,plan\\_admin,%"
        );
    }
}
