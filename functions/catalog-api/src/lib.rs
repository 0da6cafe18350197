//! `catalog-api`: what catalog sync holds back and how its runs went (JWT, role `admin` or
//! `moderator`).
//!
//! - `GET /v1/catalog/quarantine[?channel=meta|tiktok-shop]`: every quarantined item with its
//!   reasons per field (our validation, or the platform's refusal), by channel.
//! - `GET /v1/catalog/sync`: each channel's current or last run record.

use lambda_http::http::{Method, StatusCode};
use lambda_http::{Body, Request, Response};
use reelcart_domain::catalog::Channel;
use reelcart_lambda::auth::Principal;
use reelcart_lambda::config::{ConfigError, Vars};
use reelcart_lambda::http::{ApiError, json};
use reelcart_ports::CatalogStore;
use serde_json::{Map, Value};

/// Who may read the reports.
pub const ROLES: [&str; 2] = ["admin", "moderator"];

#[derive(Debug)]
pub struct Api<S> {
    pub store: S,
}

impl<S: CatalogStore> Api<S> {
    pub async fn handle(&self, req: Request) -> Response<Body> {
        self.dispatch(&req)
            .await
            .unwrap_or_else(|e| e.into_response())
    }

    async fn dispatch(&self, req: &Request) -> Result<Response<Body>, ApiError> {
        let path = req.uri().path().trim_end_matches('/');
        let route = match (req.method(), path) {
            (&Method::GET, "/v1/catalog/quarantine") => Route::Quarantine,
            (&Method::GET, "/v1/catalog/sync") => Route::Runs,
            _ => {
                return Err(ApiError::client(
                    StatusCode::NOT_FOUND,
                    "not_found",
                    "no such route",
                ));
            }
        };
        Principal::require(req, &ROLES)?;
        let channels = channels(req)?;
        let mut out = Map::new();
        for c in channels {
            let value = match route {
                Route::Quarantine => {
                    let mut items = self
                        .store
                        .quarantined(c)
                        .await
                        .map_err(ApiError::internal)?;
                    items.sort_by(|a, b| a.key.cmp(&b.key));
                    serde_json::to_value(items).map_err(ApiError::internal)?
                }
                Route::Runs => {
                    serde_json::to_value(self.store.run(c).await.map_err(ApiError::internal)?)
                        .map_err(ApiError::internal)?
                }
            };
            out.insert(c.to_string(), value);
        }
        let key = match route {
            Route::Quarantine => "quarantine",
            Route::Runs => "runs",
        };
        Ok(json(
            StatusCode::OK,
            &serde_json::json!({ key: Value::Object(out) }),
        ))
    }
}

enum Route {
    Quarantine,
    Runs,
}

/// `?channel=` (one), or every channel.
fn channels(req: &Request) -> Result<Vec<Channel>, ApiError> {
    let query = req.uri().query().unwrap_or_default();
    match form_urlencoded::parse(query.as_bytes()).find(|(k, _)| k == "channel") {
        None => Ok(Channel::ALL.to_vec()),
        Some((_, v)) => Channel::parse(&v).map(|c| vec![c]).ok_or_else(|| {
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
    use lambda_http::RequestExt;
    use lambda_http::aws_lambda_events::apigw::ApiGatewayV2httpRequestContext;
    use lambda_http::request::RequestContext;
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
        let api = Api { store };
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
