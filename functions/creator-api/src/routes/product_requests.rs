//! Product requests: the creator's `GET`/`POST /v1/creators/me/product-requests`, and the
//! brand's `GET /v1/creators/product-requests[?status]` and
//! `POST /v1/creators/product-requests/{creator_id}/{request_id}` (approve, decline, ship).

use super::{client, invalid, word};
use crate::CreatorApi;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Response};
use reelcart_domain::catalog::{Product, ProductStatus};
use reelcart_domain::creator::{ProductRequest, RequestStatus, new_request_id};
use reelcart_lambda::http::{ApiError, json};
use reelcart_ports::{CatalogStore, CreatorStore};
use serde::Deserialize;
use serde_json::json as j;

/// Product requests a creator may have waiting at once.
const MAX_OPEN_REQUESTS: usize = 5;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ProductRequestBody {
    sku: String,
    #[serde(default)]
    note: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DecisionBody {
    status: String,
    note: Option<String>,
}

/// `?status=` (default: any).
#[derive(Debug, Deserialize)]
pub(crate) struct StatusQuery {
    pub(crate) status: Option<String>,
}

impl<S: CreatorStore, C: CatalogStore, P, A, K, M, D> CreatorApi<S, C, P, A, K, M, D> {
    /// The active catalog product selling `sku`.
    pub(crate) async fn active_product(&self, sku: &str) -> Result<Product, ApiError> {
        if !word(sku, 64) {
            return Err(invalid("sku is 1-64 of [A-Za-z0-9_.-]"));
        }
        self.catalog
            .products()
            .await?
            .into_iter()
            .find(|p| p.status == ProductStatus::Active && p.variants.iter().any(|v| v.sku == sku))
            .ok_or_else(|| {
                client(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "unknown_sku",
                    "no active product in the catalog has this SKU",
                )
            })
    }

    pub(crate) async fn request_product(
        &self,
        id: &str,
        body: ProductRequestBody,
    ) -> Result<Response<Body>, ApiError> {
        self.me(id).await?;
        if body.note.chars().count() > 500 {
            return Err(invalid("note is at most 500 characters"));
        }
        let product = self.active_product(&body.sku).await?;
        let open = self
            .creators
            .product_requests(Some(id))
            .await?
            .iter()
            .filter(|r| r.status == RequestStatus::Requested)
            .count();
        if open >= MAX_OPEN_REQUESTS {
            return Err(client(
                StatusCode::CONFLICT,
                "too_many_requests",
                format!("at most {MAX_OPEN_REQUESTS} requests can wait for the brand at once"),
            ));
        }
        let now = self.clock.now_unix();
        let r = ProductRequest {
            id: new_request_id(now),
            creator_id: id.to_string(),
            sku: body.sku,
            product_title: product.title,
            note: body.note,
            status: RequestStatus::Requested,
            decision_note: None,
            created_at: now,
            updated_at: now,
        };
        if !self.creators.put_product_request(&r, None).await? {
            return Err(ApiError::internal("product request id clash"));
        }
        Ok(json(StatusCode::CREATED, &j!({ "request": r })))
    }

    /// `GET /v1/creators/me/product-requests`: the creator's requests.
    pub(crate) async fn my_requests(&self, id: &str) -> Result<Response<Body>, ApiError> {
        self.listing(Some(id), None).await
    }

    /// `GET /v1/creators/product-requests[?status]`: every creator's requests.
    pub(crate) async fn requests(&self, query: StatusQuery) -> Result<Response<Body>, ApiError> {
        let status = match query.status {
            None => None,
            Some(s) => Some(
                RequestStatus::parse(&s)
                    .ok_or_else(|| invalid("status is requested, approved, declined or shipped"))?,
            ),
        };
        self.listing(None, status).await
    }

    /// The requests of one creator or of all, of one status or any.
    async fn listing(
        &self,
        creator: Option<&str>,
        status: Option<RequestStatus>,
    ) -> Result<Response<Body>, ApiError> {
        let requests: Vec<ProductRequest> = self
            .creators
            .product_requests(creator)
            .await?
            .into_iter()
            .filter(|r| status.is_none_or(|s| r.status == s))
            .collect();
        Ok(json(StatusCode::OK, &j!({ "requests": requests })))
    }

    /// Moves `creator`'s request `id` to the decided status (`actor`: the brand's admin).
    pub(crate) async fn decide(
        &self,
        creator: &str,
        id: &str,
        actor: &str,
        body: DecisionBody,
    ) -> Result<Response<Body>, ApiError> {
        let to = RequestStatus::parse(&body.status)
            .filter(|s| *s != RequestStatus::Requested)
            .ok_or_else(|| invalid("status is approved, declined or shipped"))?;
        if body
            .note
            .as_deref()
            .is_some_and(|n| n.chars().count() > 500)
        {
            return Err(invalid("note is at most 500 characters"));
        }
        let mut r = self
            .creators
            .product_request(creator, id)
            .await?
            .ok_or_else(|| client(StatusCode::NOT_FOUND, "not_found", "no such request"))?;
        let from = r.status;
        if !from.can_become(to) {
            return Err(client(
                StatusCode::CONFLICT,
                "illegal_transition",
                format!("a {} request cannot become {}", from.as_str(), to.as_str()),
            ));
        }
        r.status = to;
        r.decision_note = body.note.or(r.decision_note);
        r.updated_at = self.clock.now_unix();
        if !self.creators.put_product_request(&r, Some(from)).await? {
            return Err(client(
                StatusCode::CONFLICT,
                "conflict",
                "the request changed meanwhile; reload it",
            ));
        }
        tracing::info!(creator = %creator, request = %id, to = to.as_str(), actor = %actor, "product request decided");
        Ok(json(StatusCode::OK, &j!({ "request": r })))
    }
}
