//! The tenant's product catalogue.

use super::{with_conn, Result, Tx};
use crate::domain::membership::{Price, Product};
use chrono::{DateTime, Utc};
use uuid::Uuid;

type ProductRow = (i64, String, i64, DateTime<Utc>);

fn product((id, name, cents, created_at): ProductRow) -> Product {
    Product {
        id,
        name,
        price: Price::from_cents(cents),
        created_at,
    }
}

impl Tx {
    pub async fn insert_product(
        &mut self,
        tenant: Uuid,
        name: &str,
        price: Price,
        at: DateTime<Utc>,
    ) -> Result<Product> {
        let row: ProductRow = with_conn!(self, |c| sqlx::query_as(
            "INSERT INTO products (tenant_id, name, price_cents, created_at) \
             VALUES ($1, $2, $3, $4) RETURNING id, name, price_cents, created_at"
        )
        .bind(tenant)
        .bind(name)
        .bind(price.cents())
        .bind(at)
        .fetch_one(c)
        .await?);
        Ok(product(row))
    }

    pub async fn products(&mut self, tenant: Uuid) -> Result<Vec<Product>> {
        let rows: Vec<ProductRow> = with_conn!(self, |c| {
            sqlx::query_as(
            "SELECT id, name, price_cents, created_at FROM products WHERE tenant_id = $1 ORDER BY id"
        )
        .bind(tenant)
        .fetch_all(c)
        .await?
        });
        Ok(rows.into_iter().map(product).collect())
    }

    pub async fn product(&mut self, tenant: Uuid, id: i64) -> Result<Option<Product>> {
        let row: Option<ProductRow> = with_conn!(self, |c| {
            sqlx::query_as(
            "SELECT id, name, price_cents, created_at FROM products WHERE tenant_id = $1 AND id = $2"
        )
        .bind(tenant)
        .bind(id)
        .fetch_optional(c)
        .await?
        });
        Ok(row.map(product))
    }
}
