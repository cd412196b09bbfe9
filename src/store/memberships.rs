//! What a group membership carries: an organisation-defined status and ordered products.

use super::{with_conn, Result, Tx};
use crate::domain::membership::{MemberProduct, MemberStatus, Membership, Price};
use chrono::{DateTime, Utc};
use uuid::Uuid;

type StatusRow = (i64, String, String, bool);

fn member_status((id, name, color, is_excluded): StatusRow) -> MemberStatus {
    MemberStatus {
        id,
        name,
        color,
        is_excluded,
    }
}

impl Tx {
    /// The membership of `user` in `group`, or None when they are not a member.
    pub async fn membership(
        &mut self,
        tenant: Uuid,
        group: i64,
        user: Uuid,
    ) -> Result<Option<Membership>> {
        type Row = (
            Option<i64>,
            Option<String>,
            Option<String>,
            Option<bool>,
            i64,
        );
        let row: Option<Row> = with_conn!(self, |c| sqlx::query_as(
            "SELECT gm.status_id, s.name, s.color, s.is_excluded, \
               CAST((SELECT COALESCE(SUM(mp.price_cents), 0) FROM member_products mp \
                     WHERE mp.tenant_id = gm.tenant_id AND mp.group_id = gm.group_id \
                       AND mp.user_id = gm.user_id) AS BIGINT) \
             FROM group_members gm \
             LEFT JOIN member_statuses s ON s.tenant_id = gm.tenant_id AND s.id = gm.status_id \
             WHERE gm.tenant_id = $1 AND gm.group_id = $2 AND gm.user_id = $3"
        )
        .bind(tenant)
        .bind(group)
        .bind(user)
        .fetch_optional(c)
        .await?);
        Ok(row.map(|(id, name, color, excluded, total)| Membership {
            status: match (id, name, color, excluded) {
                (Some(id), Some(name), Some(color), Some(excluded)) => {
                    Some(member_status((id, name, color, excluded)))
                }
                _ => None,
            },
            total: Price::from_cents(total),
        }))
    }

    /// Sets (or, with None, clears) a membership's status; answers false when there is no
    /// such membership.
    pub async fn set_membership_status(
        &mut self,
        tenant: Uuid,
        group: i64,
        user: Uuid,
        status: Option<i64>,
    ) -> Result<bool> {
        Ok(with_conn!(self, |c| sqlx::query(
            "UPDATE group_members SET status_id = $4 \
             WHERE tenant_id = $1 AND group_id = $2 AND user_id = $3"
        )
        .bind(tenant)
        .bind(group)
        .bind(user)
        .bind(status)
        .execute(c)
        .await?
        .rows_affected()
            > 0))
    }

    pub async fn insert_member_status(
        &mut self,
        tenant: Uuid,
        name: &str,
        color: &str,
        is_excluded: bool,
        at: DateTime<Utc>,
    ) -> Result<MemberStatus> {
        let row: StatusRow = with_conn!(self, |c| sqlx::query_as(
            "INSERT INTO member_statuses (tenant_id, name, color, is_excluded, created_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id, name, color, is_excluded"
        )
        .bind(tenant)
        .bind(name)
        .bind(color)
        .bind(is_excluded)
        .bind(at)
        .fetch_one(c)
        .await?);
        Ok(member_status(row))
    }

    /// The organisation's status with this id.
    pub async fn member_status(&mut self, tenant: Uuid, id: i64) -> Result<Option<MemberStatus>> {
        let row: Option<StatusRow> = with_conn!(self, |c| sqlx::query_as(
            "SELECT id, name, color, is_excluded FROM member_statuses \
             WHERE tenant_id = $1 AND id = $2"
        )
        .bind(tenant)
        .bind(id)
        .fetch_optional(c)
        .await?);
        Ok(row.map(member_status))
    }

    /// Adds one product line to a membership, at `price`.
    pub async fn add_member_product(
        &mut self,
        tenant: Uuid,
        group: i64,
        user: Uuid,
        product: i64,
        price: Price,
        at: DateTime<Utc>,
    ) -> Result<()> {
        with_conn!(self, |c| {
            sqlx::query(
            "INSERT INTO member_products (tenant_id, group_id, user_id, product_id, price_cents, added_at) \
             VALUES ($1, $2, $3, $4, $5, $6)"
        )
        .bind(tenant)
        .bind(group)
        .bind(user)
        .bind(product)
        .bind(price.cents())
        .bind(at)
        .execute(c)
        .await?
        .rows_affected()
        });
        Ok(())
    }

    /// The product lines of a membership, oldest first.
    pub async fn member_products(
        &mut self,
        tenant: Uuid,
        group: i64,
        user: Uuid,
    ) -> Result<Vec<MemberProduct>> {
        let rows: Vec<(i64, String, i64)> = with_conn!(self, |c| sqlx::query_as(
            "SELECT mp.product_id, p.name, mp.price_cents FROM member_products mp \
             JOIN products p ON p.id = mp.product_id AND p.tenant_id = mp.tenant_id \
             WHERE mp.tenant_id = $1 AND mp.group_id = $2 AND mp.user_id = $3 ORDER BY mp.id"
        )
        .bind(tenant)
        .bind(group)
        .bind(user)
        .fetch_all(c)
        .await?);
        Ok(rows
            .into_iter()
            .map(|(product_id, name, price_cents)| MemberProduct {
                product_id,
                name,
                price_cents,
            })
            .collect())
    }
}
