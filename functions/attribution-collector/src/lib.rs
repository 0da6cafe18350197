//! `attribution-collector`: the storefront's beacons in, orders credited, the funnel out.
//!
//! - `POST /v1/sessions` (function URL, public): a new session token signed by Reelcart
//!   (`rc1.{id}.{signature}`, the link-signing keys): the widget's session id and the cart token.
//!   Only a signed session records touches and so credits orders; `/r/{code}` signs its own.
//! - `POST /v1/events` (function URL, public): a batch of up to 50 beacons (`navigator.sendBeacon`
//!   from the widget), checked against the schema and size limits, then queued as one message —
//!   `202`. No purchase can be reported this way.
//! - The beacon queue (SQS, batches of up to 100 messages): the raw events are kept in S3 (JSONL, so
//!   every aggregate can be recomputed); each event's content must be published, and its creator
//!   and platform are the content item's, whatever the beacon claims (`resolve`); each session's event ids are marked seen atomically (a
//!   duplicate counts once); the new events are summed into one delta per (day, content,
//!   placement, campaign) and added with atomic counters — writes scale with distinct keys, not
//!   events.
//! - The orders queue (SQS): verified Shopify order webhooks. An order is credited from the touches
//!   of the session named by its cart token within the window (last touch, or linear), else to a
//!   creator whose discount code it used; the ledger and its counters are written in one
//!   transaction. `refunds/create` and `orders/cancelled` reverse in proportion.
//! - `GET /v1/analytics/funnel?from&to&by=content|creator|platform|placement|campaign|day[&format=csv]`
//!   (JWT, `admin`): impressions → views → product clicks → adds to cart → orders, with the rates
//!   between steps, revenue and conversion rate.

use lambda_http::http::{Method, StatusCode, header};
use lambda_http::{Body, Request, RequestExt, Response};
use reelcart_domain::Clock;
pub use reelcart_domain::attribution::report::{By, FunnelRow, funnel, funnel_csv};
use reelcart_domain::attribution::{
    AggDelta, AggKey, BeaconKind, Event, Model, Touch, Windows, aggregate, day_of, day_range,
    dedupe, parse_batch,
};
use reelcart_lambda::auth::Principal;
use reelcart_lambda::http::{ApiError, Cors, json, method_not_allowed};
use reelcart_ports::{AnalyticsStore, BlobStore, CreatorStore, MessageQueue, PortError};
pub use resolve::ContentReads;
use serde::{Deserialize, Serialize};
use serde_json::json as j;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("malformed message: {0}")]
    Malformed(String),
    #[error(transparent)]
    Store(#[from] PortError),
    #[error("the order's ledger changed meanwhile; retried")]
    Conflict,
}

/// Settings.
#[derive(Debug, Clone)]
pub struct Config {
    /// `ALLOWED_ORIGINS`: storefront origins (comma-separated, or `*`).
    pub cors: Cors,
    /// `ATTRIBUTION_CLICK_WINDOW_HOURS` (168) and `ATTRIBUTION_VIEW_WINDOW_HOURS` (24): how long
    /// after a click, and after a view, an order is credited to it.
    pub windows: Windows,
    /// `ATTRIBUTION_MODEL`: `last_touch` (default) or `linear`.
    pub model: Model,
    /// The keys creators' short codes are signed with (`LINK_SECRET_ID`), current first, read
    /// again every few minutes (a rotation reaches warm instances).
    pub link_keys: Arc<reelcart_lambda::keyring::KeyRing>,
}

/// What the beacon queue carries: one request's checked events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BeaconMessage {
    pub received_at: i64,
    pub events: Vec<Event>,
}

/// What counting a batch did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CountReport {
    pub events: usize,
    pub counted: usize,
    pub duplicates: usize,
    /// Events of content that is not published (or not known): neither counted nor credited.
    pub unpublished: usize,
    pub sessions: usize,
    /// Aggregate rows written (one per distinct key) and per-content totals.
    pub aggregate_writes: usize,
    pub total_writes: usize,
}

pub struct Collector<A, Q, B, L, K, C> {
    pub analytics: A,
    /// The content items beacons name: their creator and platform are credited, and only
    /// published ones are counted.
    pub content: K,
    /// Creators' links, for `/r/{code}`.
    pub links: L,
    /// The beacon queue.
    pub beacons: Q,
    /// Where credited purchases go to be sent to the ad platforms (`None`: nowhere).
    pub conversions: Option<Q>,
    /// Where TikTok Shop order webhooks go to be read with the shop's token (`shop-orders`).
    pub shop_orders: Option<Q>,
    /// Raw events, kept to recompute from.
    pub raw: B,
    /// The catalog: an order line's product (its other variants) and unit cost.
    pub catalog: C,
    pub config: Config,
    pub clock: Arc<dyn Clock>,
}

impl<A, Q, B, L, K, C> std::fmt::Debug for Collector<A, Q, B, L, K, C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Collector")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

fn bad_request(code: &'static str, message: impl Into<String>) -> ApiError {
    ApiError::client(StatusCode::BAD_REQUEST, code, message)
}

impl<A: AnalyticsStore, Q: MessageQueue, B: BlobStore, L: CreatorStore, K: ContentReads, C>
    Collector<A, Q, B, L, K, C>
{
    // ------------------------------------------------------------ HTTP

    pub async fn handle_http(&self, req: Request) -> Response<Body> {
        self.config.link_keys.refresh(self.clock.now_unix()).await;
        let origin = req
            .headers()
            .get(header::ORIGIN)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let path = req.uri().path().trim_end_matches('/').to_string();
        let mut resp = match (req.method(), path.as_str()) {
            (&Method::OPTIONS, "/v1/events" | "/v1/sessions") => {
                let mut r = Response::new(Body::Empty);
                *r.status_mut() = StatusCode::NO_CONTENT;
                r
            }
            (&Method::POST, "/v1/sessions") => {
                self.session().unwrap_or_else(ApiError::into_response)
            }
            (&Method::POST, "/v1/events") => self
                .collect(&req)
                .await
                .unwrap_or_else(ApiError::into_response),
            (&Method::GET, p) if p.starts_with("/r/") => {
                return self
                    .redirect(&p["/r/".len()..])
                    .await
                    .unwrap_or_else(ApiError::into_response);
            }
            (&Method::GET, "/v1/analytics/funnel") => {
                return self
                    .funnel_http(&req)
                    .await
                    .unwrap_or_else(ApiError::into_response);
            }
            (_, "/v1/events" | "/v1/sessions") => method_not_allowed("POST, OPTIONS"),
            (_, p) if p.starts_with("/r/") => return method_not_allowed("GET"),
            (_, "/v1/analytics/funnel") => return method_not_allowed("GET"),
            _ => ApiError::client(StatusCode::NOT_FOUND, "not_found", "no such route")
                .into_response(),
        };
        // Beacons come from the storefront's pages; the analytics API does not.
        self.config
            .cors
            .apply(origin.as_deref(), "POST, OPTIONS", &mut resp);
        resp
    }

    /// `POST /v1/sessions`: a new session token signed by Reelcart — the widget's session id and
    /// the attribution token the store puts in the cart. Only a signed token records touches or
    /// credits an order.
    fn session(&self) -> Result<Response<Body>, ApiError> {
        let key = self.config.link_keys.keys();
        let key = key
            .first()
            .ok_or_else(|| ApiError::internal("no link-signing key"))?;
        let token = reelcart_domain::creator::new_session_token(key)
            .ok_or_else(|| ApiError::internal("the link-signing key is empty"))?;
        let mut r = json(StatusCode::CREATED, &j!({ "token": token }));
        r.headers_mut().insert(
            header::CACHE_CONTROL,
            header::HeaderValue::from_static("no-store"),
        );
        Ok(r)
    }

    /// Whether `token` is a session token Reelcart signed.
    fn signed(&self, token: &str) -> bool {
        reelcart_domain::creator::verify_session(&self.config.link_keys.keys(), token)
    }

    async fn collect(&self, req: &Request) -> Result<Response<Body>, ApiError> {
        let body: &[u8] = req.body().as_ref();
        let now = self.clock.now_unix();
        let events = parse_batch(body, now).map_err(|e| match e {
            reelcart_domain::attribution::BeaconError::TooLarge => {
                ApiError::client(StatusCode::PAYLOAD_TOO_LARGE, "too_large", e.to_string())
            }
            other => bad_request("invalid_events", other.to_string()),
        })?;
        let n = events.len();
        let message = BeaconMessage {
            received_at: now,
            events,
        };
        let body = serde_json::to_string(&message).map_err(ApiError::internal)?;
        self.beacons.send(&body).await.map_err(ApiError::internal)?;
        Ok(json(StatusCode::ACCEPTED, &j!({ "accepted": n })))
    }

    /// `GET /r/{code}`: a creator's link. The code's signature is checked; the click is a touch
    /// of a new session whose token travels to the store (`rc_token`, adopted by the widget and
    /// put in the cart), and the shopper is sent to the product with UTM parameters.
    async fn redirect(&self, code: &str) -> Result<Response<Body>, ApiError> {
        let not_found = || ApiError::client(StatusCode::NOT_FOUND, "unknown_link", "no such link");
        let id = reelcart_domain::creator::verify_code(&self.config.link_keys.keys(), code)
            .ok_or_else(not_found)?;
        let link = self
            .links
            .link(&id)
            .await
            .map_err(ApiError::internal)?
            .ok_or_else(not_found)?;
        let now = self.clock.now_unix();
        let token = self
            .config
            .link_keys
            .keys()
            .first()
            .and_then(reelcart_domain::creator::new_session_token)
            .ok_or_else(|| ApiError::internal("no link-signing key"))?;
        let event_id = format!("link{}", uuid::Uuid::new_v4().simple());
        let touch = Touch {
            event_id: event_id.clone(),
            at: now,
            kind: reelcart_domain::attribution::BeaconKind::ProductClick,
            ugc_id: String::new(),
            creator_id: Some(link.creator_id.clone()),
            platform: None,
            placement: "link".into(),
            campaign: link.campaign.clone(),
            sku: Some(link.sku.clone()),
            // A link credits the lines of its product.
            skus: Some(vec![link.sku.clone()]),
        };
        self.analytics
            .record_session(
                &token,
                std::slice::from_ref(&event_id),
                std::slice::from_ref(&touch),
                now + self.config.windows.longest() + 86_400,
            )
            .await
            .map_err(ApiError::internal)?;
        let click = AggDelta {
            key: AggKey {
                day: day_of(now),
                ugc_id: String::new(),
                placement: "link".into(),
                campaign: link.campaign.clone().unwrap_or_default(),
                creator: link.creator_id.clone(),
                currency: String::new(),
            },
            creator_id: Some(link.creator_id.clone()),
            platform: None,
            counters: reelcart_domain::attribution::Counters {
                clicks: 1,
                ..Default::default()
            },
        };
        // The click as an event of the raw stream too: recomputing finds it.
        let event = Event {
            beacon: reelcart_domain::attribution::Beacon {
                event_id,
                kind: reelcart_domain::attribution::BeaconKind::ProductClick,
                session_id: token.clone(),
                ugc_id: String::new(),
                creator_id: Some(link.creator_id.clone()),
                platform: None,
                placement: "link".into(),
                campaign: link.campaign.clone(),
                sku: Some(link.sku.clone()),
                ts: None,
            },
            at: now,
        };
        self.keep_raw(std::slice::from_ref(&event), now)
            .await
            .map_err(ApiError::internal)?;
        self.analytics
            .add(&[click])
            .await
            .map_err(ApiError::internal)?;
        let mut r = Response::new(Body::Empty);
        *r.status_mut() = StatusCode::FOUND;
        let location = reelcart_domain::creator::landing_url(&link, &token);
        if let Ok(v) = header::HeaderValue::from_str(&location) {
            r.headers_mut().insert(header::LOCATION, v);
        }
        r.headers_mut().insert(
            header::CACHE_CONTROL,
            header::HeaderValue::from_static("no-store"),
        );
        Ok(r)
    }

    async fn funnel_http(&self, req: &Request) -> Result<Response<Body>, ApiError> {
        Principal::require(req, &["admin"])?;
        let q = req.query_string_parameters();
        let today = day_of(self.clock.now_unix());
        let to = q.first("to").unwrap_or(&today).to_string();
        let from = q.first("from").unwrap_or(&to).to_string();
        // Dates that are not dates break the schema (400); a range the API does not serve is
        // refused on its meaning (422).
        let days = day_range(&from, &to, 92).map_err(|e| {
            if [&from, &to].iter().all(|d| day_range(d, d, 1).is_ok()) {
                ApiError::client(StatusCode::UNPROCESSABLE_ENTITY, "invalid_range", e)
            } else {
                bad_request("invalid_range", e)
            }
        })?;
        let csv = match q.first("format") {
            None | Some("json") => false,
            Some("csv") => true,
            Some(_) => return Err(bad_request("invalid_format", "format is json or csv")),
        };
        let by_name = q.first("by").unwrap_or("content").to_string();
        let by = By::parse(&by_name).ok_or_else(|| {
            bad_request(
                "invalid_group",
                "by is content, creator, platform, placement, campaign or day",
            )
        })?;
        let rows = self
            .analytics
            .aggregates(&days)
            .await
            .map_err(ApiError::internal)?;
        let out = funnel(&rows, by);
        if csv {
            return Ok(reelcart_lambda::http::csv(
                funnel_csv(&by_name, &out),
                &format!("funnel-{by_name}-{from}-{to}.csv"),
            ));
        }
        Ok(json(
            StatusCode::OK,
            &j!({ "from": from, "to": to, "by": by_name, "rows": out }),
        ))
    }

    // ------------------------------------------------------------ beacons

    /// Count a batch of checked events: keep them raw, dedupe per session, add the new ones.
    pub async fn count(&self, events: Vec<Event>) -> Result<CountReport, Error> {
        let now = self.clock.now_unix();
        let mut report = CountReport {
            events: events.len(),
            ..CountReport::default()
        };
        if events.is_empty() {
            return Ok(report);
        }
        let (events, unpublished) = self.resolve(events).await?;
        // The events as counted (resolved, before any is counted): whatever happens next, every
        // aggregate can be recomputed from these (`reelcart-recompute`).
        self.keep_raw(&events, now).await?;
        report.unpublished = unpublished;
        let events = dedupe(events);
        let mut by_session: BTreeMap<String, Vec<&Event>> = BTreeMap::new();
        for e in &events {
            by_session
                .entry(e.beacon.session_id.clone())
                .or_default()
                .push(e);
        }
        report.sessions = by_session.len();
        let expires_at = now + self.config.windows.longest() + 86_400;
        // A session Reelcart did not sign is counted in the funnel but keeps no touches: no
        // order can be credited from it.
        let signed: BTreeSet<&str> = by_session
            .keys()
            .map(String::as_str)
            .filter(|s| self.signed(s))
            .collect();
        // What each touched content shows: a touch credits only the lines of those products.
        let products = self
            .products_of(
                events
                    .iter()
                    .filter(|e| {
                        e.beacon.kind != BeaconKind::Impression
                            && signed.contains(e.beacon.session_id.as_str())
                    })
                    .map(|e| e.beacon.ugc_id.as_str())
                    .collect(),
            )
            .await?;
        let mut fresh: HashMap<String, Vec<String>> = HashMap::new();
        for (session, evs) in &by_session {
            let ids: Vec<String> = evs.iter().map(|e| e.beacon.event_id.clone()).collect();
            let touches: Vec<Touch> = if signed.contains(session.as_str()) {
                evs.iter()
                    .filter_map(|e| Touch::from_event(e))
                    .map(|mut t| {
                        t.skus = Some(products.get(&t.ugc_id).cloned().unwrap_or_default());
                        t
                    })
                    .collect()
            } else {
                Vec::new()
            };
            let new = match self
                .analytics
                .record_session(session, &ids, &touches, expires_at)
                .await
            {
                Ok(new) => new,
                Err(e) => {
                    self.forget(&fresh).await;
                    return Err(e.into());
                }
            };
            fresh.insert(session.clone(), new);
        }
        let counted: Vec<&Event> = events
            .iter()
            .filter(|e| {
                fresh
                    .get(&e.beacon.session_id)
                    .is_some_and(|ids| ids.contains(&e.beacon.event_id))
            })
            .collect();
        report.counted = counted.len();
        report.duplicates = report.events - report.unpublished - report.counted;
        let deltas = aggregate(counted.iter().copied());
        report.aggregate_writes = deltas.len();
        report.total_writes = deltas
            .iter()
            .map(|d| d.key.ugc_id.as_str())
            .collect::<std::collections::HashSet<_>>()
            .len();
        let failed = self.analytics.add_each(&deltas).await;
        if let Some((_, first)) = failed.first() {
            // Each key was added whole or not at all: forget only the events of the keys that
            // were not, so the retry counts those and finds the others already seen.
            let keys: std::collections::HashSet<&reelcart_domain::attribution::AggKey> =
                failed.iter().map(|(k, _)| k).collect();
            let mut unadded: HashMap<String, Vec<String>> = HashMap::new();
            for e in &counted {
                if keys.contains(&reelcart_domain::attribution::agg_key(e)) {
                    unadded
                        .entry(e.beacon.session_id.clone())
                        .or_default()
                        .push(e.beacon.event_id.clone());
                }
            }
            tracing::warn!(
                keys = failed.len(),
                of = deltas.len(),
                error = %first,
                "some aggregates were not added; their events are retried"
            );
            self.forget(&unadded).await;
            return Err(PortError::unavailable(
                "analytics.add",
                format!(
                    "{} of {} aggregates not added: {first}",
                    failed.len(),
                    deltas.len()
                ),
            )
            .into());
        }
        tracing::info!(
            events = report.events,
            counted = report.counted,
            duplicates = report.duplicates,
            unpublished = report.unpublished,
            sessions = report.sessions,
            aggregate_writes = report.aggregate_writes,
            "beacons counted"
        );
        Ok(report)
    }

    /// Keep `events` in the raw events bucket (`events/{day}/{random}.jsonl`).
    async fn keep_raw(&self, events: &[Event], now: i64) -> Result<(), Error> {
        if events.is_empty() {
            return Ok(());
        }
        let mut jsonl = String::new();
        for e in events {
            jsonl.push_str(&serde_json::to_string(e).map_err(|e| Error::Malformed(e.to_string()))?);
            jsonl.push('\n');
        }
        let key = format!(
            "events/{}/{}.jsonl",
            day_of(now),
            uuid::Uuid::new_v4().simple()
        );
        self.raw
            .put(&key, jsonl.into_bytes().into(), "application/x-ndjson")
            .await?;
        Ok(())
    }

    async fn forget(&self, fresh: &HashMap<String, Vec<String>>) {
        for (session, ids) in fresh {
            if let Err(e) = self.analytics.forget_events(session, ids).await {
                tracing::error!(error = %e, session_events = ids.len(), "could not forget events after a failure: they may go uncounted");
            }
        }
    }
}

mod aws;
mod orders;
mod resolve;
mod sqs;
pub use aws::{AwsCollector, from_aws};
pub use sqs::QueueMessage;

#[cfg(test)]
mod tests;
