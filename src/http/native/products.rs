//! `/v1/products`: the tenant's product catalogue (Regpack's `add_product` records one on a
//! group membership). Prices are decimal strings with two decimals, never JSON numbers.

use super::wire::List;
use crate::domain::error::both;
use crate::domain::fields::DisplayName;
use crate::domain::membership::{Price, Product};
use crate::http::auth::Caller;
use crate::http::json::ApiJson;
use crate::http::openapi::tag;
use crate::http::problem::{ApiResult, CreateRefusals};
use crate::http::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa_axum::routes;

pub fn router() -> super::Routes {
    super::Routes::new().routes(routes!(create, list))
}

/// A product of the catalogue.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = Product, example = json!({
    "id": 12,
    "name": "Summer camp, week 1",
    "price": "450.00",
    "created_at": "2026-11-02T09:00:00Z"
}))]
struct ProductBody {
    id: i64,
    name: String,
    /// A decimal string with two decimals, such as "12.50".
    #[schema(example = "450.00")]
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

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = CreateProductRequest, example = json!({"name": "Summer camp, week 1", "price": "450.00"}))]
struct CreateProduct {
    #[schema(min_length = 1, max_length = 200)]
    name: String,
    /// A decimal string such as "12.50".
    #[schema(pattern = r"^[0-9]+(\.[0-9]{1,2})?$")]
    price: String,
}

#[utoipa::path(
    post,
    path = "/v1/products",
    tag = tag::NATIVE,
    operation_id = "createProduct",
    summary = "Create a product",
    description = "Adds a product to the catalogue; names are unique in the tenant. Honours \
`Idempotency-Key`.",
    request_body = CreateProduct,
    responses(
        (status = 201, description = "Created", body = ProductBody),
        CreateRefusals,
    ),
    security(("api_key" = [])),
)]
async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<CreateProduct>,
) -> ApiResult<(StatusCode, Json<ProductBody>)> {
    let (name, price) = both(
        DisplayName::parse("name", &body.name),
        Price::parse("price", &body.price),
    )?;
    let product = state
        .services
        .create_product(&caller.ctx, name, price)
        .await?;
    Ok((StatusCode::CREATED, Json(product.into())))
}

#[utoipa::path(
    get,
    path = "/v1/products",
    tag = tag::NATIVE,
    operation_id = "listProducts",
    summary = "List products",
    description = "The tenant's catalogue. Not paged: `next_cursor` is null.",
    responses((status = 200, description = "The products", body = List<ProductBody>)),
    security(("api_key" = [])),
)]
async fn list(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<List<ProductBody>>> {
    let products = state.services.products(&caller.ctx).await?;
    Ok(Json(List::all(
        products.into_iter().map(ProductBody::from).collect(),
    )))
}
