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
//! - `POST /v1/creators/me/codes` `{"campaign"?}` — a discount code, created in the store (Shopify
//!   Admin API) and matched on orders; `GET` lists them. `503 codes_unavailable` without a store.
//! - `GET /v1/creators/me/submissions` — each of the creator's items with its moderation status
//!   and transcoding state.
//! - `GET /v1/creators/me/calendar?month=YYYY-MM` — scheduled and published items by day.
//! - `POST /v1/creators/me/product-requests` `{"sku", "note"?}` — ask for a product to make content
//!   with; `GET` lists them.
//!
//! The brand's side (role `admin`):
//! - `GET /v1/creators` — every creator (no payout details).
//! - `GET /v1/creators/payouts?from&to[&format=csv]` — the payout report of every creator.
//! - `GET /v1/creators/product-requests[?status]` and
//!   `POST /v1/creators/product-requests/{creator_id}/{request_id}` `{"status", "note"?}` —
//!   approve, decline, mark shipped.

use lambda_http::RequestExt;
use lambda_http::http::{Method, StatusCode};
use lambda_http::{Body, Request, Response};
use reelcart_aws::presign::{PostPolicy, PostUpload};
use reelcart_domain::Clock;
use reelcart_domain::attribution::CreatorCode;
use reelcart_domain::attribution::report::{By, chart_svg, csv_field, daily, funnel, money};
use reelcart_domain::attribution::{day_of, day_range};
use reelcart_domain::catalog::ProductStatus;
use reelcart_domain::content::{Status, UgcItem};
use reelcart_domain::creator::{
    AcceptedTerms, Creator, Link, PayoutDetails, ProductRequest, RequestStatus, new_discount_code,
    new_link_id, new_request_id, sign_code,
};
use reelcart_lambda::auth::Principal;
use reelcart_lambda::http::{ApiError, json, json_body};
use reelcart_ports::{
    AggRow, AnalyticsStore, CatalogStore, ContentStore, CreatorStore, MediaRecords, PortResult,
};
use secrecy::SecretString;
use serde::Deserialize;
use serde_json::{Value, json as j};
use std::collections::BTreeMap;
use std::sync::Arc;

const MAX_BODY: usize = 16 * 1024;
/// Discount codes per creator.
const MAX_CODES: usize = 20;
/// Product requests a creator may have waiting at once.
const MAX_OPEN_REQUESTS: usize = 5;
/// Submissions listed (newest first).
const MAX_SUBMISSIONS: usize = 100;

/// Why the store did not create a discount code.
#[derive(Debug)]
pub enum DiscountError {
    /// No store is configured.
    Unavailable,
    /// The code exists in the store already.
    Taken,
    Failed(String),
}

/// Creates discount codes in the store.
pub trait StoreDiscounts: Send + Sync {
    /// A `percent` % code; the store's id of it.
    fn create_code(
        &self,
        code: &str,
        percent: u32,
        title: &str,
        now: i64,
    ) -> impl Future<Output = Result<String, DiscountError>> + Send;
}

/// The Shopify store's Admin API. Its token is read from the platform secrets on the first code a
/// warm instance makes (codes are rare; every other route starts without that read).
#[derive(Debug)]
pub struct ShopifyDiscounts {
    /// `SHOPIFY_ADMIN_URL`, `PLATFORM_SECRETS_ID`, and where to read that secret; `None`: not
    /// configured.
    source: Option<(String, String, reelcart_aws::SecretsManager)>,
    admin: tokio::sync::OnceCell<Option<reelcart_platforms::shopify::ShopifyAdmin>>,
}

impl ShopifyDiscounts {
    /// The store's Admin API, or `None` when the secrets hold no token.
    async fn load(&self) -> Result<Option<reelcart_platforms::shopify::ShopifyAdmin>, String> {
        use reelcart_ports::SecretSource;
        use secrecy::ExposeSecret;
        let Some((url, id, secrets)) = &self.source else {
            return Ok(None);
        };
        let doc = secrets
            .secret(id)
            .await
            .map_err(|e| format!("reading the platform secrets: {e}"))?;
        let apps = reelcart_platforms::AppCredentials::from_json(doc.expose_secret())
            .map_err(|e| e.to_string())?;
        if apps.shopify_admin_token.expose_secret().is_empty() {
            tracing::warn!("the platform secrets have no shopify_admin_token: no discount codes");
            return Ok(None);
        }
        reelcart_platforms::shopify::ShopifyAdmin::new(url, apps.shopify_admin_token)
            .map(Some)
            .map_err(|e| e.without_url().to_string())
    }
}

impl StoreDiscounts for ShopifyDiscounts {
    async fn create_code(
        &self,
        code: &str,
        percent: u32,
        title: &str,
        now: i64,
    ) -> Result<String, DiscountError> {
        use reelcart_platforms::shopify::PullError;
        // A failed read is not kept: the next request tries again.
        let admin = self
            .admin
            .get_or_try_init(|| self.load())
            .await
            .map_err(DiscountError::Failed)?;
        let Some(admin) = admin else {
            return Err(DiscountError::Unavailable);
        };
        let starts_at = format!("{}T00:00:00Z", day_of(now));
        match admin
            .create_discount_code(code, percent, title, &starts_at)
            .await
        {
            Ok(d) => Ok(d.price_rule_id.to_string()),
            Err(PullError::Refused(e)) if e.contains("unique") => Err(DiscountError::Taken),
            Err(e) => Err(DiscountError::Failed(e.to_string())),
        }
    }
}

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
    /// `CREATOR_DISCOUNT_PERCENT` (10): what a creator's code takes off.
    pub discount_percent: u32,
}

pub struct CreatorApi<S, C, P, A, K, M, D> {
    pub creators: S,
    pub catalog: C,
    /// The daily aggregates (dashboard, payouts) and the discount codes orders are matched on.
    pub analytics: A,
    pub presigner: P,
    /// Items and their transcoding (submissions, calendar).
    pub content: K,
    pub media: M,
    pub discounts: D,
    pub config: Config,
    pub clock: Arc<dyn Clock>,
}

impl<S, C, P, A, K, M, D> std::fmt::Debug for CreatorApi<S, C, P, A, K, M, D> {
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
struct CodeBody {
    campaign: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProductRequestBody {
    sku: String,
    #[serde(default)]
    note: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DecisionBody {
    status: String,
    note: Option<String>,
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

/// One creator's line of a payout report.
struct PayoutLine {
    orders_milli: i64,
    revenue_cents: i64,
    payout_cents: i64,
}

fn payout_line<'a>(c: &Creator, rows: impl Iterator<Item = &'a AggRow>) -> PayoutLine {
    let (mut orders_milli, mut revenue_cents) = (0, 0);
    for r in rows.filter(|r| r.creator_id.as_deref() == Some(c.id.as_str())) {
        orders_milli += r.counters.orders_milli;
        revenue_cents += r.counters.revenue_cents;
    }
    PayoutLine {
        orders_milli,
        revenue_cents,
        payout_cents: commission_cents(revenue_cents, c.commission_rate),
    }
}

/// `revenue × rate` in whole cents, half away from zero, computed in integers: the rate is taken to
/// a hundredth of a percent (0.145 → 1450), so binary fractions cannot round 14.5 cents down.
fn commission_cents(revenue_cents: i64, rate: f64) -> i64 {
    let basis_points = i128::from((rate * 10_000.0).round() as i64);
    let product = i128::from(revenue_cents) * basis_points;
    let rounded = (product.abs() + 5_000) / 10_000;
    i64::try_from(rounded * product.signum()).unwrap_or(i64::MAX)
}

/// The transcoding state as a submission shows it.
fn media_view(m: Option<&reelcart_domain::video::MediaRecord>) -> (Value, Value, Value) {
    let Some(m) = m else {
        return (Value::Null, Value::Null, Value::Null);
    };
    let status = serde_json::to_value(m.status).unwrap_or(Value::Null);
    let manifest = m.manifest.as_ref();
    (
        status,
        manifest.map_or(Value::Null, |x| Value::from(x.poster.clone())),
        manifest.map_or(Value::Null, |x| Value::from(x.master.clone())),
    )
}

impl<
    S: CreatorStore,
    C: CatalogStore,
    P: Presigner,
    A: AnalyticsStore,
    K: ContentStore,
    M: MediaRecords,
    D: StoreDiscounts,
> CreatorApi<S, C, P, A, K, M, D>
{
    pub async fn handle(&self, req: Request) -> Response<Body> {
        self.dispatch(&req)
            .await
            .unwrap_or_else(ApiError::into_response)
    }

    async fn dispatch(&self, req: &Request) -> Result<Response<Body>, ApiError> {
        let path = req.uri().path().trim_end_matches('/').to_string();
        if let Some(rest) = path.strip_prefix("/v1/creators")
            && !rest.starts_with("/me")
        {
            return self.brand(req, rest).await;
        }
        let route = path.strip_prefix("/v1/creators/me").map(str::to_string);
        let known = matches!(
            (req.method(), route.as_deref()),
            (&Method::GET | &Method::PUT, Some(""))
                | (&Method::POST, Some("/terms"))
                | (&Method::GET | &Method::POST, Some("/links"))
                | (&Method::POST, Some("/uploads"))
                | (&Method::GET, Some("/dashboard"))
                | (&Method::GET, Some("/payouts"))
                | (&Method::GET | &Method::POST, Some("/codes"))
                | (&Method::GET, Some("/submissions"))
                | (&Method::GET, Some("/calendar"))
                | (&Method::GET | &Method::POST, Some("/product-requests"))
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
            (&Method::POST, "/codes") => {
                // The body is optional: no campaign.
                let body = if req.body().is_empty() {
                    CodeBody { campaign: None }
                } else {
                    json_body(req, MAX_BODY)?
                };
                self.create_code(&me, body).await
            }
            (&Method::GET, "/codes") => self.list_codes(&me).await,
            (&Method::GET, "/submissions") => self.submissions(&me).await,
            (&Method::GET, "/calendar") => self.calendar(&me, req).await,
            (&Method::POST, "/product-requests") => {
                self.request_product(&me, json_body(req, MAX_BODY)?).await
            }
            (&Method::GET, "/product-requests") => {
                let requests = self
                    .creators
                    .product_requests(Some(&me))
                    .await
                    .map_err(ApiError::internal)?;
                Ok(json(StatusCode::OK, &j!({ "requests": requests })))
            }
            _ => Err(client(StatusCode::NOT_FOUND, "not_found", "no such route")),
        }
    }

    /// The brand's routes (`/v1/creators…` other than `/me`), role `admin`.
    async fn brand(&self, req: &Request, rest: &str) -> Result<Response<Body>, ApiError> {
        let parts: Vec<&str> = rest.split('/').filter(|p| !p.is_empty()).collect();
        let known = matches!(
            (req.method(), parts.as_slice()),
            (&Method::GET, [])
                | (&Method::GET, ["payouts"])
                | (&Method::GET, ["product-requests"])
                | (&Method::POST, ["product-requests", _, _])
        );
        if !known {
            return Err(client(StatusCode::NOT_FOUND, "not_found", "no such route"));
        }
        let who = Principal::require(req, &["admin"])?;
        match (req.method(), parts.as_slice()) {
            (&Method::GET, []) => {
                let creators = self.creators.creators().await.map_err(ApiError::internal)?;
                let list: Vec<Value> = creators
                    .iter()
                    .map(|c| {
                        j!({
                            "id": c.id, "display_name": c.display_name, "handles": c.handles,
                            "commission_rate": c.commission_rate,
                            "terms_version": c.terms.as_ref().map(|t| &t.version),
                            "created_at": c.created_at,
                        })
                    })
                    .collect();
                Ok(json(StatusCode::OK, &j!({ "creators": list })))
            }
            (&Method::GET, ["payouts"]) => self.payout_report(req).await,
            (&Method::GET, ["product-requests"]) => {
                let status = match req.query_string_parameters().first("status") {
                    None => None,
                    Some(s) => Some(RequestStatus::parse(s).ok_or_else(|| {
                        invalid("status is requested, approved, declined or shipped")
                    })?),
                };
                let requests: Vec<ProductRequest> = self
                    .creators
                    .product_requests(None)
                    .await
                    .map_err(ApiError::internal)?
                    .into_iter()
                    .filter(|r| status.is_none_or(|s| r.status == s))
                    .collect();
                Ok(json(StatusCode::OK, &j!({ "requests": requests })))
            }
            (&Method::POST, ["product-requests", creator, id]) => {
                self.decide(creator, id, &who.subject, json_body(req, MAX_BODY)?)
                    .await
            }
            _ => Err(client(StatusCode::NOT_FOUND, "not_found", "no such route")),
        }
    }

    /// Period `from`..`to` from the query (default: today), at most a year.
    fn period(&self, req: &Request) -> Result<(String, String, Vec<String>), ApiError> {
        let q = req.query_string_parameters();
        let today = day_of(self.clock.now_unix());
        let to = q.first("to").unwrap_or(&today).to_string();
        let from = q.first("from").unwrap_or(&to).to_string();
        let days = day_range(&from, &to, 366).map_err(invalid)?;
        Ok((from, to, days))
    }

    /// `GET /v1/creators/payouts`: every creator's attributed revenue × commission for a period.
    async fn payout_report(&self, req: &Request) -> Result<Response<Body>, ApiError> {
        let (from, to, days) = self.period(req)?;
        let rows = self
            .analytics
            .aggregates(&days)
            .await
            .map_err(ApiError::internal)?;
        let creators = self.creators.creators().await.map_err(ApiError::internal)?;
        let lines: Vec<(&Creator, PayoutLine)> = creators
            .iter()
            .map(|c| (c, payout_line(c, rows.iter())))
            .collect();
        let total_revenue: i64 = lines.iter().map(|(_, l)| l.revenue_cents).sum();
        let total_payout: i64 = lines.iter().map(|(_, l)| l.payout_cents).sum();
        if req.query_string_parameters().first("format") == Some("csv") {
            let mut body = String::from(
                "creator_id,display_name,from,to,orders,attributed_revenue,commission_rate,payout\r\n",
            );
            for (c, l) in &lines {
                body.push_str(&format!(
                    "{},{},{from},{to},{},{},{},{}\r\n",
                    csv_field(&c.id),
                    csv_field(&c.display_name),
                    l.orders_milli as f64 / 1000.0,
                    money(l.revenue_cents),
                    c.commission_rate,
                    money(l.payout_cents)
                ));
            }
            return Ok(reelcart_lambda::http::csv(
                body,
                &format!("payouts-{from}-{to}.csv"),
            ));
        }
        let out: Vec<Value> = lines
            .iter()
            .map(|(c, l)| {
                j!({
                    "creator_id": c.id, "display_name": c.display_name,
                    "orders": l.orders_milli as f64 / 1000.0,
                    "attributed_revenue": money(l.revenue_cents),
                    "commission_rate": c.commission_rate, "payout": money(l.payout_cents),
                })
            })
            .collect();
        Ok(json(
            StatusCode::OK,
            &j!({
                "from": from, "to": to, "rows": out,
                "totals": {"attributed_revenue": money(total_revenue), "payout": money(total_payout)},
            }),
        ))
    }

    async fn decide(
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
            .await
            .map_err(ApiError::internal)?
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
        if !self
            .creators
            .put_product_request(&r, Some(from))
            .await
            .map_err(ApiError::internal)?
        {
            return Err(client(
                StatusCode::CONFLICT,
                "conflict",
                "the request changed meanwhile; reload it",
            ));
        }
        tracing::info!(creator = %creator, request = %id, to = to.as_str(), actor = %actor, "product request decided");
        Ok(json(StatusCode::OK, &j!({ "request": r })))
    }

    async fn create_code(&self, id: &str, body: CodeBody) -> Result<Response<Body>, ApiError> {
        let c = self.me(id).await?;
        if body.campaign.as_deref().is_some_and(|c| !word(c, 64)) {
            return Err(invalid("campaign is 1-64 of [A-Za-z0-9_.-]"));
        }
        let mine = self.codes_of(id).await?;
        if mine.len() >= MAX_CODES {
            return Err(client(
                StatusCode::CONFLICT,
                "too_many_codes",
                format!("at most {MAX_CODES} codes per creator"),
            ));
        }
        let now = self.clock.now_unix();
        let percent = self.config.discount_percent;
        // The code is claimed where orders are matched before the store makes it, so a code that
        // gives a discount always credits its creator; a failure in the store releases it.
        // A random tail makes a clash rare; a clash here or in the store tries another.
        for _ in 0..3 {
            let mut record = CreatorCode {
                code: new_discount_code(&c.display_name, percent),
                creator_id: id.to_string(),
                campaign: body.campaign.clone(),
                percent,
                store_id: None,
                created_at: now,
            };
            if !self
                .analytics
                .insert_creator_code(&record)
                .await
                .map_err(ApiError::internal)?
            {
                continue;
            }
            let title = format!("Creator {} ({})", c.id, record.code);
            let created = self
                .discounts
                .create_code(&record.code, percent, &title, now)
                .await;
            let store_id = match created {
                Ok(store_id) => store_id,
                Err(e) => {
                    self.analytics
                        .delete_creator_code(&record.code)
                        .await
                        .map_err(ApiError::internal)?;
                    match e {
                        DiscountError::Taken => continue,
                        DiscountError::Unavailable => {
                            return Err(client(
                                StatusCode::SERVICE_UNAVAILABLE,
                                "codes_unavailable",
                                "the store's Admin API is not configured: discount codes cannot be created",
                            ));
                        }
                        DiscountError::Failed(e) => {
                            tracing::warn!(creator = %id, error = %e, "the store did not create the code");
                            return Err(client(
                                StatusCode::BAD_GATEWAY,
                                "store_failed",
                                "the store did not create the code; try again",
                            ));
                        }
                    }
                }
            };
            record.store_id = Some(store_id);
            self.analytics
                .put_creator_code(&record)
                .await
                .map_err(ApiError::internal)?;
            tracing::info!(creator = %id, code = %record.code, "discount code created");
            return Ok(json(StatusCode::CREATED, &j!({ "code": record })));
        }
        Err(client(
            StatusCode::CONFLICT,
            "code_taken",
            "every code tried was taken; try again",
        ))
    }

    async fn codes_of(&self, id: &str) -> Result<Vec<CreatorCode>, ApiError> {
        let mut v: Vec<CreatorCode> = self
            .analytics
            .creator_codes()
            .await
            .map_err(ApiError::internal)?
            .into_iter()
            .filter(|c| c.creator_id == id)
            .collect();
        v.sort_by(|a, b| (a.created_at, &a.code).cmp(&(b.created_at, &b.code)));
        Ok(v)
    }

    async fn list_codes(&self, id: &str) -> Result<Response<Body>, ApiError> {
        Ok(json(
            StatusCode::OK,
            &j!({ "codes": self.codes_of(id).await? }),
        ))
    }

    async fn my_items(&self, id: &str) -> Result<Vec<UgcItem>, ApiError> {
        self.content
            .items_by_creator(id, MAX_SUBMISSIONS)
            .await
            .map_err(ApiError::internal)
    }

    /// `GET /v1/creators/me/submissions`: where each item stands in moderation and transcoding.
    async fn submissions(&self, id: &str) -> Result<Response<Body>, ApiError> {
        use futures::{StreamExt, TryStreamExt};
        let items = self.my_items(id).await?;
        // The media records, eight reads at a time, in the items' order.
        // (A loop, not a closure: the futures borrow the items.)
        let mut reads = Vec::with_capacity(items.len());
        for i in &items {
            reads.push(self.media.get(&i.id));
        }
        let records: Vec<_> = futures::stream::iter(reads)
            .buffered(8)
            .try_collect()
            .await
            .map_err(ApiError::internal)?;
        let mut out = Vec::with_capacity(items.len());
        for (i, m) in items.iter().zip(records) {
            let (media, poster, master) = media_view(m.as_ref());
            let failure = m
                .as_ref()
                .and_then(|m| m.failure.as_ref())
                .map(|f| serde_json::to_value(f).unwrap_or(Value::Null));
            out.push(j!({
                "item_id": i.id, "source": i.source, "caption": i.caption,
                "status": i.status, "rejection": i.rejection, "publish_at": i.publish_at,
                "created_at": i.created_at, "updated_at": i.updated_at,
                "media": media, "media_failure": failure, "poster": poster, "master": master,
            }));
        }
        Ok(json(StatusCode::OK, &j!({ "submissions": out })))
    }

    /// `GET /v1/creators/me/calendar?month=YYYY-MM`: approved items scheduled to publish and
    /// published items, by day (UTC).
    async fn calendar(&self, id: &str, req: &Request) -> Result<Response<Body>, ApiError> {
        let month = match req.query_string_parameters().first("month") {
            Some(m) => m.to_string(),
            None => day_of(self.clock.now_unix())[..7].to_string(),
        };
        let first = format!("{month}-01");
        let bad = || invalid("month is YYYY-MM");
        if month.len() != 7 {
            return Err(bad());
        }
        let start = day_range(&first, &first, 1).map_err(|_| bad())?;
        // The month's days: a 31-day range from the 1st, cut at the month's end.
        let to = reelcart_domain::attribution::orders::rfc3339(&format!("{first}T00:00:00Z"))
            .map(|t| day_of(t + 30 * 86_400))
            .ok_or_else(bad)?;
        let days: Vec<String> = day_range(&start[0], &to, 31)
            .map_err(|_| bad())?
            .into_iter()
            .filter(|d| d.starts_with(&month))
            .collect();
        let mut by_day: BTreeMap<String, Vec<Value>> =
            days.iter().map(|d| (d.clone(), Vec::new())).collect();
        for i in self.my_items(id).await? {
            let entry = match (i.status, i.publish_at) {
                (Status::Published, _) => Some(("published", i.updated_at)),
                (Status::Approved, Some(at)) => Some(("scheduled", at)),
                _ => None,
            };
            if let Some((kind, at)) = entry
                && let Some(list) = by_day.get_mut(&day_of(at))
            {
                list.push(j!({"item_id": i.id, "caption": i.caption, "kind": kind, "at": at}));
            }
        }
        let days: Vec<Value> = by_day
            .into_iter()
            .map(|(date, entries)| j!({"date": date, "entries": entries}))
            .collect();
        Ok(json(StatusCode::OK, &j!({ "month": month, "days": days })))
    }

    async fn request_product(
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
            .await
            .map_err(ApiError::internal)?
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
        if !self
            .creators
            .put_product_request(&r, None)
            .await
            .map_err(ApiError::internal)?
        {
            return Err(ApiError::internal("product request id clash"));
        }
        Ok(json(StatusCode::CREATED, &j!({ "request": r })))
    }

    /// The active catalog product selling `sku`.
    async fn active_product(
        &self,
        sku: &str,
    ) -> Result<reelcart_domain::catalog::Product, ApiError> {
        if !word(sku, 64) {
            return Err(invalid("sku is 1-64 of [A-Za-z0-9_.-]"));
        }
        self.catalog
            .products()
            .await
            .map_err(ApiError::internal)?
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
        if body.campaign.as_deref().is_some_and(|c| !word(c, 64)) {
            return Err(invalid("campaign is 1-64 of [A-Za-z0-9_.-]"));
        }
        let product = self.active_product(&body.sku).await?;
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
        let (from, to, days) = self.period(req)?;
        let rows = self.mine(id, &days).await?;
        let l = payout_line(&c, rows.iter());
        if req.query_string_parameters().first("format") == Some("csv") {
            let body = format!(
                "creator_id,from,to,orders,attributed_revenue,commission_rate,payout\r\n{},{from},{to},{},{},{},{}\r\n",
                csv_field(&c.id),
                l.orders_milli as f64 / 1000.0,
                money(l.revenue_cents),
                c.commission_rate,
                money(l.payout_cents)
            );
            return Ok(reelcart_lambda::http::csv(
                body,
                &format!("payout-{from}-{to}.csv"),
            ));
        }
        Ok(json(
            StatusCode::OK,
            &j!({
                "from": from, "to": to, "orders": l.orders_milli as f64 / 1000.0,
                "attributed_revenue": money(l.revenue_cents), "commission_rate": c.commission_rate,
                "payout": money(l.payout_cents),
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
    reelcart_aws::DynamoContent,
    reelcart_aws::DynamoMediaRecords,
    ShopifyDiscounts,
>;

pub use reelcart_domain::creator::link_keys;

/// The store's Admin API for discount codes: `SHOPIFY_ADMIN_URL` and the platform secrets
/// document's `shopify_admin_token` (`PLATFORM_SECRETS_ID`, read on first use); either unset: none.
fn shopify<F: Fn(&str) -> Option<String>>(
    v: &reelcart_lambda::config::Vars<F>,
    secrets: &reelcart_aws::SecretsManager,
) -> ShopifyDiscounts {
    let source = match (
        v.optional("SHOPIFY_ADMIN_URL").filter(|u| !u.is_empty()),
        v.optional("PLATFORM_SECRETS_ID").filter(|u| !u.is_empty()),
    ) {
        (Some(url), Some(id)) => Some((url, id, secrets.clone())),
        _ => {
            tracing::info!(
                "SHOPIFY_ADMIN_URL or PLATFORM_SECRETS_ID is not set: no discount codes"
            );
            None
        }
    };
    ShopifyDiscounts {
        source,
        admin: tokio::sync::OnceCell::new(),
    }
}

/// Build from settings: `CREATORS_TABLE`, `CATALOG_TABLE`, `CONTENT_TABLE`, `ANALYTICS_TABLE`,
/// `RAW_MEDIA_BUCKET`, `LINK_SECRET_ID`, `LINK_BASE_URL`, `CREATOR_TERMS_VERSION`,
/// `CREATOR_TERMS_URL`, `DEFAULT_COMMISSION`, `CREATOR_DISCOUNT_PERCENT`, `MAX_VIDEO_MB`, and for
/// discount codes `SHOPIFY_ADMIN_URL` with `PLATFORM_SECRETS_ID`.
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
    let discounts = shopify(v, &secrets);
    let dynamo = aws_sdk_dynamodb::Client::new(sdk);
    let commission: f64 = v
        .parse_or("DEFAULT_COMMISSION", 0.10)
        .map_err(|e| e.to_string())?;
    if !(0.0..=1.0).contains(&commission) {
        return Err("DEFAULT_COMMISSION is between 0 and 1".into());
    }
    let discount_percent: u32 = v
        .parse_or("CREATOR_DISCOUNT_PERCENT", 10u32)
        .map_err(|e| e.to_string())?;
    if !(1..=100).contains(&discount_percent) {
        return Err("CREATOR_DISCOUNT_PERCENT is between 1 and 100".into());
    }
    let req = |n: &'static str| v.required(n).map_err(|e| e.to_string());
    let content_table = req("CONTENT_TABLE")?;
    Ok(CreatorApi {
        creators: reelcart_aws::DynamoCreators::new(dynamo.clone(), req("CREATORS_TABLE")?),
        catalog: reelcart_aws::DynamoCatalog::new(dynamo.clone(), req("CATALOG_TABLE")?),
        analytics: reelcart_aws::DynamoAnalytics::new(dynamo.clone(), req("ANALYTICS_TABLE")?),
        content: reelcart_aws::DynamoContent::new(dynamo.clone(), content_table.clone()),
        media: reelcart_aws::DynamoMediaRecords::new(dynamo, content_table),
        discounts,
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
            discount_percent,
        },
        clock,
    })
}

#[cfg(test)]
mod tests;
