//! `creator-api`: the creator portal's API (JWT, role `creator`; the token's subject is the
//! creator, and every route is `/v1/creators/me/…`, so a creator can only ever reach their own
//! data — there is no route that takes another creator's id).
//!
//! - `GET /v1/creators/me` — the profile (payout details are never returned: only which fields are
//!   set), and the current terms with whether they were accepted. `404 not_onboarded` before
//!   `PUT`.
//! - `PUT /v1/creators/me` `{"display_name", "handles": {platform: handle}, "payout": {field: value}}`
//!   — onboarding and profile. The commission rate is the brand's, not the creator's.
//! - `POST /v1/creators/me/terms` `{"version"}` — accept the current content terms (the consent
//!   record of every upload).
//! - `POST /v1/creators/me/links` `{"sku", "campaign"?}` — a trackable link to a catalog product:
//!   a signed short code and its URL (`{LINK_BASE_URL}/r/{code}`); `GET` lists them.
//! - `POST /v1/creators/me/uploads` `{"content_type", "caption"?}` — a presigned S3 POST (type,
//!   size range and the accepted terms fixed by the policy); `403 terms_required` until the terms
//!   are accepted.
//! - `GET /v1/creators/me/dashboard?days=30` — impressions, views, clicks, adds to cart, orders,
//!   revenue and conversion: in total, by content, by campaign, per day, and an SVG chart.
//! - `GET /v1/creators/me/payouts?from&to[&format=csv]` — attributed revenue × commission rate.

use lambda_http::RequestExt;
use lambda_http::http::{Method, StatusCode};
use lambda_http::{Body, Request, Response};
use reelcart_aws::presign::{PostPolicy, PostUpload};
use reelcart_domain::Clock;
use reelcart_domain::attribution::report::{By, chart_svg, daily, funnel};
use reelcart_domain::attribution::{day_of, day_range};
use reelcart_domain::catalog::ProductStatus;
use reelcart_domain::creator::{
    AcceptedTerms, Creator, Link, PayoutDetails, new_link_id, sign_code,
};
use reelcart_lambda::auth::Principal;
use reelcart_lambda::http::{ApiError, json, json_body};
use reelcart_ports::{AggRow, AnalyticsStore, CatalogStore, CreatorStore, PortResult};
use secrecy::SecretString;
use serde::Deserialize;
use serde_json::{Value, json as j};
use std::collections::BTreeMap;
use std::sync::Arc;

const MAX_BODY: usize = 16 * 1024;

/// Signs upload policies (with the function's own credentials in AWS).
pub trait Presigner: Send + Sync {
    fn presign(
        &self,
        policy: &PostPolicy,
        now: i64,
    ) -> impl Future<Output = PortResult<PostUpload>> + Send;
}

/// The SDK configuration's credentials, region and endpoint.
#[derive(Debug, Clone)]
pub struct SdkPresigner(pub reelcart_aws::SdkConfig);

impl Presigner for SdkPresigner {
    async fn presign(&self, policy: &PostPolicy, now: i64) -> PortResult<PostUpload> {
        reelcart_aws::presign::presign_post(&self.0, policy, now).await
    }
}

/// Settings.
#[derive(Debug, Clone)]
pub struct Config {
    /// `CREATOR_TERMS_VERSION`, `CREATOR_TERMS_URL`.
    pub terms_version: String,
    pub terms_url: String,
    /// `DEFAULT_COMMISSION` (0.10).
    pub default_commission: f64,
    /// The link-signing keys (current first), from `LINK_SECRET_ID`.
    pub link_keys: Vec<SecretString>,
    /// `LINK_BASE_URL`: where `/r/{code}` is served.
    pub link_base: String,
    /// `RAW_MEDIA_BUCKET` and `MAX_VIDEO_MB`.
    pub raw_bucket: String,
    pub max_upload_bytes: u64,
}

pub struct CreatorApi<S, C, P, A> {
    pub creators: S,
    pub catalog: C,
    /// The daily aggregates (dashboard, payouts).
    pub analytics: A,
    pub presigner: P,
    pub config: Config,
    pub clock: Arc<dyn Clock>,
}

impl<S, C, P, A> std::fmt::Debug for CreatorApi<S, C, P, A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreatorApi").finish_non_exhaustive()
    }
}

fn client(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
    ApiError::client(status, code, message)
}

fn invalid(message: impl Into<String>) -> ApiError {
    client(StatusCode::UNPROCESSABLE_ENTITY, "invalid", message)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProfileBody {
    display_name: String,
    #[serde(default)]
    handles: BTreeMap<String, String>,
    #[serde(default)]
    payout: Option<BTreeMap<String, String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TermsBody {
    version: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LinkBody {
    sku: String,
    campaign: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UploadBody {
    content_type: String,
    #[serde(default)]
    caption: String,
}

fn word(s: &str, max: usize) -> bool {
    !s.is_empty()
        && s.len() <= max
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.')
}

impl<S: CreatorStore, C: CatalogStore, P: Presigner, A: AnalyticsStore> CreatorApi<S, C, P, A> {
    pub async fn handle(&self, req: Request) -> Response<Body> {
        self.dispatch(&req)
            .await
            .unwrap_or_else(ApiError::into_response)
    }

    async fn dispatch(&self, req: &Request) -> Result<Response<Body>, ApiError> {
        let path = req.uri().path().trim_end_matches('/').to_string();
        let route = path.strip_prefix("/v1/creators/me").map(str::to_string);
        let known = matches!(
            (req.method(), route.as_deref()),
            (&Method::GET | &Method::PUT, Some(""))
                | (&Method::POST, Some("/terms"))
                | (&Method::GET | &Method::POST, Some("/links"))
                | (&Method::POST, Some("/uploads"))
                | (&Method::GET, Some("/dashboard"))
                | (&Method::GET, Some("/payouts"))
        );
        if !known {
            return Err(client(StatusCode::NOT_FOUND, "not_found", "no such route"));
        }
        let who = Principal::require(req, &["creator"])?;
        let me = who.subject;
        match (req.method(), route.as_deref().unwrap_or_default()) {
            (&Method::GET, "") => self.profile(&me).await,
            (&Method::PUT, "") => self.put_profile(&me, json_body(req, MAX_BODY)?).await,
            (&Method::POST, "/terms") => self.accept_terms(&me, json_body(req, MAX_BODY)?).await,
            (&Method::POST, "/links") => self.create_link(&me, json_body(req, MAX_BODY)?).await,
            (&Method::GET, "/links") => self.list_links(&me).await,
            (&Method::POST, "/uploads") => self.upload(&me, json_body(req, MAX_BODY)?).await,
            (&Method::GET, "/dashboard") => self.dashboard(&me, req).await,
            (&Method::GET, "/payouts") => self.payouts(&me, req).await,
            _ => Err(client(StatusCode::NOT_FOUND, "not_found", "no such route")),
        }
    }

    async fn me(&self, id: &str) -> Result<Creator, ApiError> {
        self.creators
            .creator(id)
            .await
            .map_err(ApiError::internal)?
            .ok_or_else(|| {
                client(
                    StatusCode::NOT_FOUND,
                    "not_onboarded",
                    "no profile yet: PUT /v1/creators/me first",
                )
            })
    }

    /// The profile as the creator sees it: payout fields named, never their values.
    fn view(&self, c: &Creator) -> Value {
        j!({
            "creator": {
                "id": c.id,
                "display_name": c.display_name,
                "handles": c.handles,
                "commission_rate": c.commission_rate,
                "payout_fields": c.payout.0.keys().collect::<Vec<_>>(),
                "created_at": c.created_at,
            },
            "terms": {
                "version": self.config.terms_version,
                "url": self.config.terms_url,
                "accepted": c.terms.as_ref().is_some_and(|t| t.version == self.config.terms_version),
                "accepted_version": c.terms.as_ref().map(|t| &t.version),
            }
        })
    }

    async fn profile(&self, id: &str) -> Result<Response<Body>, ApiError> {
        let c = self.me(id).await?;
        Ok(json(StatusCode::OK, &self.view(&c)))
    }

    async fn put_profile(&self, id: &str, body: ProfileBody) -> Result<Response<Body>, ApiError> {
        let name = body.display_name.trim();
        if name.is_empty() || name.chars().count() > 80 {
            return Err(invalid("display_name is 1-80 characters"));
        }
        if body.handles.len() > 8
            || body
                .handles
                .iter()
                .any(|(p, h)| !word(p, 32) || !word(h.trim_start_matches('@'), 64))
        {
            return Err(invalid(
                "handles: up to 8 of platform → handle ([A-Za-z0-9_.-])",
            ));
        }
        if let Some(p) = &body.payout
            && (p.len() > 10 || p.iter().any(|(k, v)| !word(k, 32) || v.len() > 200))
        {
            return Err(invalid(
                "payout: up to 10 fields, values up to 200 characters",
            ));
        }
        let now = self.clock.now_unix();
        let existing = self
            .creators
            .creator(id)
            .await
            .map_err(ApiError::internal)?;
        let created = existing.is_none();
        let mut c = existing.unwrap_or_else(|| Creator {
            id: id.to_string(),
            display_name: String::new(),
            handles: BTreeMap::new(),
            commission_rate: self.config.default_commission,
            terms: None,
            payout: PayoutDetails::default(),
            created_at: now,
            updated_at: now,
        });
        c.display_name = name.to_string();
        c.handles = body
            .handles
            .into_iter()
            .map(|(p, h)| (p.to_lowercase(), h.trim_start_matches('@').to_string()))
            .collect();
        if let Some(p) = body.payout {
            c.payout = PayoutDetails(p);
        }
        c.updated_at = now;
        self.creators
            .put_creator(&c)
            .await
            .map_err(ApiError::internal)?;
        tracing::info!(creator = %c.id, created, "creator profile saved");
        let status = if created {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        };
        Ok(json(status, &self.view(&c)))
    }

    async fn accept_terms(&self, id: &str, body: TermsBody) -> Result<Response<Body>, ApiError> {
        let mut c = self.me(id).await?;
        if body.version != self.config.terms_version {
            return Err(client(
                StatusCode::CONFLICT,
                "terms_changed",
                format!(
                    "the current terms are version {}",
                    self.config.terms_version
                ),
            ));
        }
        c.terms = Some(AcceptedTerms {
            version: body.version,
            accepted_at: self.clock.now_unix(),
        });
        self.creators
            .put_creator(&c)
            .await
            .map_err(ApiError::internal)?;
        tracing::info!(creator = %c.id, version = %self.config.terms_version, "terms accepted");
        Ok(json(StatusCode::OK, &self.view(&c)))
    }

    fn link_view(&self, l: &Link) -> Result<Value, ApiError> {
        let key = self
            .config
            .link_keys
            .first()
            .ok_or_else(|| ApiError::internal("no link-signing key"))?;
        let code = sign_code(key, &l.id).ok_or_else(|| ApiError::internal("signing failed"))?;
        Ok(j!({
            "link": l,
            "code": code,
            "url": format!("{}/r/{code}", self.config.link_base.trim_end_matches('/')),
        }))
    }

    async fn create_link(&self, id: &str, body: LinkBody) -> Result<Response<Body>, ApiError> {
        self.me(id).await?;
        if !word(&body.sku, 64) {
            return Err(invalid("sku is 1-64 of [A-Za-z0-9_.-]"));
        }
        if body.campaign.as_deref().is_some_and(|c| !word(c, 64)) {
            return Err(invalid("campaign is 1-64 of [A-Za-z0-9_.-]"));
        }
        let product = self
            .catalog
            .products()
            .await
            .map_err(ApiError::internal)?
            .into_iter()
            .find(|p| {
                p.status == ProductStatus::Active && p.variants.iter().any(|v| v.sku == body.sku)
            })
            .ok_or_else(|| {
                client(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "unknown_sku",
                    "no active product in the catalog has this SKU",
                )
            })?;
        let link = Link {
            id: new_link_id(),
            creator_id: id.to_string(),
            sku: body.sku,
            target: product.link,
            campaign: body.campaign,
            created_at: self.clock.now_unix(),
        };
        self.creators
            .put_link(&link)
            .await
            .map_err(ApiError::internal)?;
        Ok(json(StatusCode::CREATED, &self.link_view(&link)?))
    }

    async fn list_links(&self, id: &str) -> Result<Response<Body>, ApiError> {
        let links = self.creators.links(id).await.map_err(ApiError::internal)?;
        let views = links
            .iter()
            .map(|l| self.link_view(l))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(json(StatusCode::OK, &j!({ "links": views })))
    }

    /// The creator's aggregates over `days` (their rows only).
    async fn mine(&self, id: &str, days: &[String]) -> Result<Vec<AggRow>, ApiError> {
        Ok(self
            .analytics
            .aggregates(days)
            .await
            .map_err(ApiError::internal)?
            .into_iter()
            .filter(|r| r.creator_id.as_deref() == Some(id))
            .collect())
    }

    /// `GET /v1/creators/me/dashboard?days=30`: totals, by content and by campaign, every day,
    /// and a chart of the period.
    async fn dashboard(&self, id: &str, req: &Request) -> Result<Response<Body>, ApiError> {
        self.me(id).await?;
        let n: i64 = match req.query_string_parameters().first("days") {
            None => 30,
            Some(d) => d
                .parse()
                .ok()
                .filter(|d| (1..=92).contains(d))
                .ok_or_else(|| invalid("days is 1-92"))?,
        };
        let now = self.clock.now_unix();
        let days = day_range(&day_of(now - (n - 1) * 86_400), &day_of(now), 92).map_err(invalid)?;
        let rows = self.mine(id, &days).await?;
        let series = daily(&rows, &days);
        Ok(json(
            StatusCode::OK,
            &j!({
                "from": days.first(),
                "to": days.last(),
                "totals": funnel(&rows, By::Creator).into_iter().next(),
                "by_content": funnel(&rows, By::Content),
                "by_campaign": funnel(&rows, By::Campaign),
                "daily": series,
                "chart_svg": chart_svg(&series),
            }),
        ))
    }

    /// `GET /v1/creators/me/payouts?from&to[&format=csv]`: attributed revenue × commission for a
    /// period (payouts themselves are made outside Reelcart).
    async fn payouts(&self, id: &str, req: &Request) -> Result<Response<Body>, ApiError> {
        let c = self.me(id).await?;
        let q = req.query_string_parameters();
        let today = day_of(self.clock.now_unix());
        let to = q.first("to").unwrap_or(&today).to_string();
        let from = q.first("from").unwrap_or(&to).to_string();
        let days = day_range(&from, &to, 366).map_err(invalid)?;
        let rows = self.mine(id, &days).await?;
        let revenue: i64 = rows.iter().map(|r| r.counters.revenue_cents).sum();
        let orders: i64 = rows.iter().map(|r| r.counters.orders_milli).sum();
        let payout = (revenue as f64 * c.commission_rate).round() as i64;
        let money = |cents: i64| format!("{}.{:02}", cents / 100, (cents % 100).abs());
        if q.first("format") == Some("csv") {
            let body = format!(
                "creator_id,from,to,orders,attributed_revenue,commission_rate,payout\r\n{},{from},{to},{},{},{},{}\r\n",
                c.id,
                orders as f64 / 1000.0,
                money(revenue),
                c.commission_rate,
                money(payout)
            );
            let mut r = reelcart_lambda::http::text(StatusCode::OK, body);
            r.headers_mut().insert(
                lambda_http::http::header::CONTENT_TYPE,
                lambda_http::http::HeaderValue::from_static("text/csv; charset=utf-8"),
            );
            return Ok(r);
        }
        Ok(json(
            StatusCode::OK,
            &j!({
                "from": from, "to": to, "orders": orders as f64 / 1000.0,
                "attributed_revenue": money(revenue), "commission_rate": c.commission_rate,
                "payout": money(payout),
            }),
        ))
    }

    async fn upload(&self, id: &str, body: UploadBody) -> Result<Response<Body>, ApiError> {
        let c = self.me(id).await?;
        let Some(terms) = c
            .terms
            .as_ref()
            .filter(|t| t.version == self.config.terms_version)
        else {
            return Err(client(
                StatusCode::FORBIDDEN,
                "terms_required",
                "accept the current content terms before uploading",
            ));
        };
        if body.caption.chars().count() > 500 {
            return Err(invalid("caption is at most 500 characters"));
        }
        let upload_id = format!("up{}", &uuid::Uuid::new_v4().simple().to_string()[..20]);
        let policy = reelcart_aws::presign::upload_policy(
            &self.config.raw_bucket,
            id,
            &upload_id,
            &body.content_type,
            &terms.version,
            terms.accepted_at,
            &body.caption,
            self.config.max_upload_bytes,
        )
        .map_err(invalid)?;
        let form = self
            .presigner
            .presign(&policy, self.clock.now_unix())
            .await
            .map_err(ApiError::internal)?;
        Ok(json(
            StatusCode::CREATED,
            &j!({ "upload_id": upload_id, "key": policy.key, "form": form }),
        ))
    }
}

/// The deployed API.
pub type AwsCreatorApi = CreatorApi<
    reelcart_aws::DynamoCreators,
    reelcart_aws::DynamoCatalog,
    SdkPresigner,
    reelcart_aws::DynamoAnalytics,
>;

pub use reelcart_domain::creator::link_keys;

/// Build from settings: `CREATORS_TABLE`, `CATALOG_TABLE`, `RAW_MEDIA_BUCKET`, `LINK_SECRET_ID`,
/// `LINK_BASE_URL`, `CREATOR_TERMS_VERSION`, `CREATOR_TERMS_URL`, `DEFAULT_COMMISSION`,
/// `MAX_VIDEO_MB`.
pub async fn from_aws<F: Fn(&str) -> Option<String>>(
    v: &reelcart_lambda::config::Vars<F>,
    sdk: &reelcart_aws::SdkConfig,
    clock: Arc<dyn Clock>,
) -> Result<AwsCreatorApi, String> {
    use reelcart_ports::SecretSource;
    use secrecy::ExposeSecret;
    let secrets = reelcart_aws::SecretsManager::new(aws_sdk_secretsmanager::Client::new(sdk));
    let secret_id = v.required("LINK_SECRET_ID").map_err(|e| e.to_string())?;
    let secret = secrets
        .secret(&secret_id)
        .await
        .map_err(|e| format!("reading the link-signing secret: {e}"))?;
    let link_keys =
        link_keys(secret.expose_secret()).map_err(|e| format!("LINK_SECRET_ID: {e}"))?;
    let dynamo = aws_sdk_dynamodb::Client::new(sdk);
    let commission: f64 = v
        .parse_or("DEFAULT_COMMISSION", 0.10)
        .map_err(|e| e.to_string())?;
    if !(0.0..=1.0).contains(&commission) {
        return Err("DEFAULT_COMMISSION is between 0 and 1".into());
    }
    let req = |n: &'static str| v.required(n).map_err(|e| e.to_string());
    Ok(CreatorApi {
        creators: reelcart_aws::DynamoCreators::new(dynamo.clone(), req("CREATORS_TABLE")?),
        catalog: reelcart_aws::DynamoCatalog::new(dynamo.clone(), req("CATALOG_TABLE")?),
        analytics: reelcart_aws::DynamoAnalytics::new(dynamo, req("ANALYTICS_TABLE")?),
        presigner: SdkPresigner(sdk.clone()),
        config: Config {
            terms_version: req("CREATOR_TERMS_VERSION")?,
            terms_url: req("CREATOR_TERMS_URL")?,
            default_commission: commission,
            link_keys,
            link_base: req("LINK_BASE_URL")?,
            raw_bucket: req("RAW_MEDIA_BUCKET")?,
            max_upload_bytes: v
                .parse_or("MAX_VIDEO_MB", 300u64)
                .map_err(|e| e.to_string())?
                * 1024
                * 1024,
        },
        clock,
    })
}

#[cfg(test)]
mod tests;
