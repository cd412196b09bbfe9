//! `/v1/products`: the tenant's product catalogue (Regpack's `add_product` records one on a
//! group membership). Prices are decimal strings with two decimals, never JSON numbers.

use super::wire::List;
use crate::domain::fields::DisplayName;
use crate::domain::membership::{Price, Product};
use crate::domain::FieldErrors;
use crate::http::auth::Caller;
use crate::http::json::ApiJson;
use crate::http::problem::ApiResult;
use crate::http::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub fn router() -> Router<AppState> {
    Router::new().route("/v1/products", post(create).get(list))
}

#[derive(Serialize)]
struct ProductBody {
    id: i64,
    name: String,
    price: String,
    created_at: DateTime<Utc>,
}

impl From<Product> for ProductBody {
    fn from(p: Product) -> Self {
        Self {
            id: p.id,
            name: p.name,
            price: p.price.to_string(),
            created_at: p.created_at,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateProduct {
    name: String,
    /// A decimal string such as "12.50".
    price: String,
}

async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<CreateProduct>,
) -> ApiResult<(StatusCode, Json<ProductBody>)> {
    let mut errors = FieldErrors::new();
    let name = errors.take(DisplayName::parse("name", &body.name));
    let price = errors.take(Price::parse("price", &body.price));
    errors.finish()?;
    let (Some(name), Some(price)) = (name, price) else {
        unreachable!("finish() refused missing values")
    };
    let product = state
        .services
        .create_product(&caller.ctx, name, price)
        .await?;
    Ok((StatusCode::CREATED, Json(product.into())))
}

async fn list(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<List<ProductBody>>> {
    let products = state.services.products(&caller.ctx).await?;
    Ok(Json(List::all(
        products.into_iter().map(ProductBody::from).collect(),
    )))
}
