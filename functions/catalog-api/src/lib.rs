//! `catalog-api`: what catalog sync holds back and how its runs went (JWT, role `admin` or
//! `moderator`).
//!
//! - `GET /v1/catalog/quarantine[?channel=meta|tiktok-shop]`: every quarantined item with its
//!   reasons per field (our validation, or the platform's refusal), by channel.
//! - `GET /v1/catalog/sync`: each channel's current or last run record.
//! - `GET /v1/catalog/products?q=&limit=20`: products whose title or a SKU contains `q` (any
//!   case), for the console's SKU mapping; active products first, then by title.

use lambda_http::http::{Method, StatusCode};
use reelcart_domain::catalog::Channel;
use reelcart_lambda::config::{ConfigError, Vars};
use reelcart_lambda::http::{ApiError, json};
use reelcart_lambda::router::{Caller, HttpApi, Query, Reply, Routes, Staff, State};
use reelcart_ports::CatalogStore;
use serde::Deserialize;
use serde_json::{Map, Value};
use std::sync::Arc;

#[derive(Debug)]
pub struct Api<S> {
    pub store: S,
}

/// `?channel=` (one channel; default: every channel).
#[derive(Debug, Deserialize)]
struct ChannelQuery {
    channel: Option<String>,
}

/// `?q=&limit=` of the product search.
#[derive(Debug, Deserialize)]
struct SearchQuery {
    q: Option<String>,
    limit: Option<String>,
}

/// Every route the API serves: method and path, as the OpenAPI document writes them.
pub fn routes() -> Vec<(Method, &'static str)> {
    Api::<reelcart_aws::DynamoCatalog>::routes().list()
}

impl<S: CatalogStore + 'static> Api<S> {
    /// `GET /v1/catalog/quarantine`: what each channel holds back, by key.
    async fn quarantine(&self, q: ChannelQuery) -> Reply {
        let mut out = Map::new();
        for c in channels(q)? {
            let mut items = self.store.quarantined(c).await?;
            items.sort_by(|a, b| a.key.cmp(&b.key));
            out.insert(
                c.to_string(),
                serde_json::to_value(items).map_err(ApiError::internal)?,
            );
        }
        Ok(json(
            StatusCode::OK,
            &serde_json::json!({ "quarantine": out }),
        ))
    }

    /// `GET /v1/catalog/sync`: each channel's current or last run.
    async fn runs(&self, q: ChannelQuery) -> Reply {
        let mut out = Map::new();
        for c in channels(q)? {
            let run = self.store.run(c).await?;
            out.insert(
                c.to_string(),
                serde_json::to_value(run).map_err(ApiError::internal)?,
            );
        }
        Ok(json(StatusCode::OK, &serde_json::json!({ "runs": out })))
    }

    async fn search(&self, query: SearchQuery) -> Reply {
        let q = query.q.unwrap_or_default().trim().to_lowercase();
        if q.chars().count() > 100 {
            return Err(ApiError::client(
                StatusCode::BAD_REQUEST,
                "bad_query",
                "q is at most 100 characters",
            ));
        }
        let limit = match query.limit {
            None => 20,
            Some(l) => l
                .parse::<usize>()
                .ok()
                .filter(|l| (1..=100).contains(l))
                .ok_or_else(|| {
                    ApiError::client(StatusCode::BAD_REQUEST, "bad_limit", "limit is 1-100")
                })?,
        };
        let mut found: Vec<_> = self
            .store
            .products()
            .await?
            .into_iter()
            .filter(|p| {
                q.is_empty()
                    || p.title.to_lowercase().contains(&q)
                    || p.variants.iter().any(|v| v.sku.to_lowercase().contains(&q))
            })
            .collect();
        found.sort_by(|a, b| {
            let active = |p: &reelcart_domain::catalog::Product| {
                p.status != reelcart_domain::catalog::ProductStatus::Active
            };
            (active(a), &a.title, &a.id).cmp(&(active(b), &b.title, &b.id))
        });
        let products: Vec<Value> = found
            .iter()
            .take(limit)
            .map(|p| {
                serde_json::json!({
                    "product_id": p.id,
                    "title": p.title,
                    "status": p.status,
                    "link": p.link,
                    "image": p.images.first().map(|i| &i.url),
                    "variants": p.variants.iter().map(|v| serde_json::json!({
                        "sku": v.sku,
                        "title": v.options.iter().map(|o| o.value.as_str()).collect::<Vec<_>>().join(" / "),
                        "price": v.price.amount.to_string(),
                        "currency": v.price.currency,
                    })).collect::<Vec<_>>(),
                })
            })
            .collect();
        Ok(json(
            StatusCode::OK,
            &serde_json::json!({ "products": products, "total": found.len() }),
        ))
    }
}

impl<S: CatalogStore + 'static> HttpApi for Api<S> {
    /// Every route: the brand's staff (admins and moderators) may read each.
    fn routes() -> Routes<Arc<Self>> {
        type App<T> = State<Arc<T>>;
        Routes::default()
            .get(
                "/v1/catalog/quarantine",
                |State(a): App<Self>, _: Caller<Staff>, Query(q): Query<ChannelQuery>| async move {
                    a.quarantine(q).await
                },
            )
            .get(
                "/v1/catalog/sync",
                |State(a): App<Self>, _: Caller<Staff>, Query(q): Query<ChannelQuery>| async move {
                    a.runs(q).await
                },
            )
            .get(
                "/v1/catalog/products",
                |State(a): App<Self>, _: Caller<Staff>, Query(q): Query<SearchQuery>| async move {
                    a.search(q).await
                },
            )
    }
}

/// `?channel=` (one), or every channel.
fn channels(q: ChannelQuery) -> Result<Vec<Channel>, ApiError> {
    match q.channel {
        None => Ok(Channel::ALL.to_vec()),
        Some(v) => Channel::parse(&v).map(|c| vec![c]).ok_or_else(|| {
            ApiError::client(
                StatusCode::BAD_REQUEST,
                "unknown_channel",
                "channel must be meta or tiktok-shop",
            )
        }),
    }
}

/// Build from settings (`CATALOG_TABLE`).
pub fn from_aws<F: Fn(&str) -> Option<String>>(
    v: &Vars<F>,
    sdk: &reelcart_aws::SdkConfig,
) -> Result<Api<reelcart_aws::DynamoCatalog>, ConfigError> {
    Ok(Api {
        store: reelcart_aws::DynamoCatalog::new(
            aws_sdk_dynamodb::Client::new(sdk),
            v.required("CATALOG_TABLE")?,
        ),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use lambda_http::aws_lambda_events::apigw::ApiGatewayV2httpRequestContext;
    use lambda_http::request::RequestContext;
    use lambda_http::{Body, Request, RequestExt, Response};
    use reelcart_domain::catalog::Problem;
    use reelcart_ports::QuarantinedItem;
    use reelcart_ports::memory::MemoryCatalog;

    fn request(uri: &str, groups: Option<&str>) -> Request {
        let mut ctx = serde_json::json!({"http": {"method": "GET"}, "timeEpoch": 0});
        if let Some(g) = groups {
            ctx["authorizer"] = serde_json::json!({"jwt": {"claims": {"sub": "u", "cognito:groups": g}, "scopes": null}});
        }
        let ctx: ApiGatewayV2httpRequestContext = serde_json::from_value(ctx).unwrap();
        lambda_http::http::Request::builder()
            .uri(uri)
            .body(Body::Empty)
            .unwrap()
            .with_request_context(RequestContext::ApiGatewayV2(ctx))
    }

    #[tokio::test]
    async fn reports_by_channel_for_moderators_and_admins_only() {
        let store = MemoryCatalog::default();
        store
            .record_quarantine(
                Channel::Meta,
                &[QuarantinedItem {
                    key: "SKU-1".into(),
                    product_id: "p1".into(),
                    problems: vec![Problem::new("gtin", "gtin_check_digit", "check digit")],
                    source: "validation".into(),
                    since: 1,
                    hash: None,
                }],
                &[],
            )
            .await
            .unwrap();
        let api = Arc::new(Api { store });
        let status = |r: Response<Body>| r.status().as_u16();
        let q = "https://x/v1/catalog/quarantine";
        assert_eq!(status(api.handle(request(q, None)).await), 401);
        assert_eq!(status(api.handle(request(q, Some("[creator]"))).await), 403);
        let r = api.handle(request(q, Some("[moderator]"))).await;
        assert_eq!(r.status(), 200);
        let body: Value = serde_json::from_slice(r.body().as_ref()).unwrap();
        assert_eq!(
            body["quarantine"]["meta"][0]["problems"][0]["code"],
            "gtin_check_digit"
        );
        assert_eq!(body["quarantine"]["tiktok-shop"], serde_json::json!([]));
        let r = api
            .handle(request(
                &format!("{q}?channel=tiktok-shop"),
                Some("[admin]"),
            ))
            .await;
        let body: Value = serde_json::from_slice(r.body().as_ref()).unwrap();
        assert!(body["quarantine"].get("meta").is_none());
        let r = api
            .handle(request(&format!("{q}?channel=ebay"), Some("[admin]")))
            .await;
        assert_eq!(r.status(), 400);
        let r = api
            .handle(request("https://x/v1/catalog/sync", Some("[admin]")))
            .await;
        let body: Value = serde_json::from_slice(r.body().as_ref()).unwrap();
        assert_eq!(body["runs"]["meta"], Value::Null);
    }
}

#[cfg(test)]
mod search_tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use reelcart_domain::catalog::{Money, OptionValue, Product, ProductStatus, Variant};
    use reelcart_lambda::testing::api_request;
    use reelcart_ports::memory::MemoryCatalog;

    fn product(id: &str, title: &str, skus: &[&str], status: ProductStatus) -> Product {
        Product {
            id: id.into(),
            title: title.into(),
            description: String::new(),
            brand: None,
            link: format!("https://shop.example/products/{id}"),
            images: vec![],
            variants: skus
                .iter()
                .map(|sku| Variant {
                    id: format!("v-{sku}"),
                    sku: (*sku).into(),
                    options: vec![OptionValue {
                        name: "Size".into(),
                        value: sku.rsplit('-').next().unwrap_or("").into(),
                    }],
                    price: Money {
                        amount: rust_decimal::Decimal::new(2999, 2),
                        currency: "USD".into(),
                    },
                    unit_cost: None,
                    compare_at_price: None,
                    inventory: 1,
                    continue_selling: false,
                    gtin: None,
                    mpn: None,
                    image: None,
                    weight: None,
                })
                .collect(),
            status,
            tiktok_category_id: None,
            updated_at: 0,
        }
    }

    async fn search(api: &Arc<Api<MemoryCatalog>>, uri: &str, who: &str) -> (u16, Value) {
        let resp = api
            .handle(api_request("GET", uri, Some(("u1", who)), &[], None))
            .await;
        let status = resp.status().as_u16();
        (
            status,
            serde_json::from_slice(resp.body().as_ref()).unwrap_or(Value::Null),
        )
    }

    #[tokio::test]
    async fn products_are_found_by_title_or_sku_active_first() {
        let store = MemoryCatalog::default();
        store
            .put_products(&[
                product(
                    "p1",
                    "Everyday Tee",
                    &["TEE-S", "TEE-M"],
                    ProductStatus::Active,
                ),
                product(
                    "p2",
                    "Archived Tee",
                    &["OLD-TEE-1"],
                    ProductStatus::Archived,
                ),
                product("p3", "Canvas Tote", &["TOTE-1"], ProductStatus::Active),
            ])
            .await
            .unwrap();
        let api = Arc::new(Api { store });
        let (s, out) = search(&api, "/v1/catalog/products?q=tee", "[moderator]").await;
        assert_eq!(s, 200, "{out}");
        let ids: Vec<&str> = out["products"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["product_id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, ["p1", "p2"], "active first");
        assert_eq!(out["products"][0]["variants"][1]["sku"], "TEE-M");
        assert_eq!(out["products"][0]["variants"][1]["title"], "M");
        assert_eq!(out["products"][0]["variants"][1]["price"], "29.99");
        let (_, out) = search(&api, "/v1/catalog/products?q=tote-1", "[admin]").await;
        assert_eq!(out["products"][0]["product_id"], "p3");
        let (_, out) = search(&api, "/v1/catalog/products?limit=1", "[admin]").await;
        assert_eq!(
            (
                out["products"].as_array().unwrap().len(),
                out["total"].as_u64()
            ),
            (1, Some(3))
        );
        assert_eq!(
            search(&api, "/v1/catalog/products?limit=0", "[admin]")
                .await
                .0,
            400
        );
        assert_eq!(
            search(&api, "/v1/catalog/products", "[creator]").await.0,
            403
        );
    }
}
