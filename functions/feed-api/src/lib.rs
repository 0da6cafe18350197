//! `feed-api`: the storefront's shoppable video feed (function URL, public, CDN-cacheable).
//!
//! `GET /v1/feed?placement=pdp&sku=…` | `placement=collection&collection=…` | `placement=home`,
//! `&limit=` (1-20, default 10) `&cursor=`: items that may be shown on the site now — published,
//! with rights valid for the site at this moment, transcoded — mapped to that placement, pinned
//! first, then by measured conversion (with a prior) and recency. Each item carries its media
//! (master playlist, poster, preview, aspect ratio, duration) and its products (title, price,
//! image, link) from the catalog.
//!
//! Answers carry `Cache-Control: public, max-age, s-maxage, stale-while-revalidate`, a strong
//! `ETag` (`304` on `If-None-Match`), and CORS for the configured storefront origins. What the feed
//! is built from is read at most every `FEED_SNAPSHOT_SECS` per warm instance; rights are checked
//! again at every answer.

use lambda_http::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use lambda_http::{Body, Response};
use reelcart_domain::Clock;
use reelcart_domain::attribution::Counters;
use reelcart_domain::content::{Channel, ProductMapping, Rights, Status, UgcItem, showable};
use reelcart_domain::feed::{Placement, Position, page, score, token_ok};
use reelcart_domain::video::{MediaManifest, MediaStatus};
use reelcart_lambda::http::{ApiError, Cors};
use reelcart_lambda::router::{HttpApi, Query, Router, Routes, State};
use reelcart_ports::{
    AnalyticsStore, CatalogStore, ItemStore, MappingStore, MediaRecords, PortError, RightsStore,
};
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub const DEFAULT_LIMIT: usize = 10;
pub const MAX_LIMIT: usize = 20;
/// Products shown with one item ("shop the look").
pub const MAX_PRODUCTS: usize = 4;

/// Settings.
#[derive(Debug, Clone)]
pub struct Config {
    /// `ALLOWED_ORIGINS`.
    pub cors: Cors,
    /// `FEED_SNAPSHOT_SECS` (default 30).
    pub snapshot_ttl: Duration,
    /// How old a snapshot may be served when reading a new one fails: `FEED_STALE_SECS`
    /// (default 900).
    pub stale_for: Duration,
    /// `Cache-Control` for browsers and the CDN.
    pub max_age: u32,
    pub s_maxage: u32,
    pub stale_while_revalidate: u32,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            cors: Cors::default(),
            snapshot_ttl: Duration::from_secs(30),
            stale_for: Duration::from_secs(900),
            max_age: 30,
            s_maxage: 60,
            stale_while_revalidate: 300,
        }
    }
}

/// One showable-candidate item, with what the answer needs.
#[derive(Debug, Clone)]
struct Entry {
    item: UgcItem,
    rights: Vec<Rights>,
    mappings: Vec<ProductMapping>,
    manifest: MediaManifest,
    totals: Counters,
}

#[derive(Debug, Default)]
struct Snapshot {
    entries: Vec<Entry>,
    /// SKU → its product and the variant's price.
    products: HashMap<String, ProductCard>,
    /// Product id → its variants' SKUs (a product page's siblings), sorted.
    skus_of: HashMap<String, Vec<String>>,
}

pub struct FeedApi<S, M, C, A> {
    pub content: S,
    pub media: M,
    pub catalog: C,
    pub analytics: A,
    pub config: Config,
    pub clock: Arc<dyn Clock>,
    snapshot: tokio::sync::Mutex<Option<Held>>,
}

/// The snapshot held by a warm instance: when it was read, and when reading was last tried.
struct Held {
    snapshot: Arc<Snapshot>,
    loaded: Instant,
    tried: Instant,
}

impl<S, M, C, A> std::fmt::Debug for FeedApi<S, M, C, A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FeedApi")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl<S, M, C, A> FeedApi<S, M, C, A>
where
    S: ItemStore + RightsStore + MappingStore + 'static,
    M: MediaRecords + 'static,
    C: CatalogStore + 'static,
    A: AnalyticsStore + 'static,
{
    pub fn new(
        content: S,
        media: M,
        catalog: C,
        analytics: A,
        config: Config,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            content,
            media,
            catalog,
            analytics,
            config,
            clock,
            snapshot: tokio::sync::Mutex::new(None),
        }
    }

    /// Forget the snapshot (tests, after a change they want to see at once).
    pub async fn refresh(&self) {
        *self.snapshot.lock().await = None;
    }

    async fn load(&self) -> Result<Snapshot, PortError> {
        use futures::StreamExt;
        let now = self.clock.now_unix();
        let published = reelcart_ports::all_by_status(&self.content, Status::Published).await?;
        let loaded: Vec<Result<Option<Entry>, PortError>> = futures::stream::iter(published)
            .map(|item| async move {
                let rights = self.content.rights(&item.id).await?;
                // Not showable on the site now: not even read further.
                if !showable(item.status, &rights, Channel::Site, now) {
                    return Ok(None);
                }
                let Some(manifest) = self
                    .media
                    .get(&item.id)
                    .await?
                    .filter(|r| r.status == MediaStatus::Transcoded)
                    .and_then(|r| r.manifest)
                else {
                    return Ok(None);
                };
                let mappings = self.content.mappings(&item.id).await?;
                Ok(Some(Entry {
                    item,
                    rights,
                    mappings,
                    manifest,
                    totals: Counters::default(),
                }))
            })
            .buffer_unordered(16)
            .collect()
            .await;
        let mut entries = Vec::new();
        for r in loaded {
            if let Some(e) = r? {
                entries.push(e);
            }
        }
        let ids: Vec<String> = entries.iter().map(|e| e.item.id.clone()).collect();
        let totals = self.analytics.totals(&ids).await?;
        for e in &mut entries {
            e.totals = totals.get(&e.item.id).copied().unwrap_or_default();
        }
        let products: HashMap<String, ProductCard> = self
            .catalog
            .products()
            .await?
            .iter()
            .flat_map(card)
            .map(|c| (c.sku.clone(), c))
            .collect();
        let mut skus_of: HashMap<String, Vec<String>> = HashMap::new();
        for c in products.values() {
            skus_of
                .entry(c.product_id.clone())
                .or_default()
                .push(c.sku.clone());
        }
        for skus in skus_of.values_mut() {
            skus.sort_unstable();
        }
        Ok(Snapshot {
            entries,
            products,
            skus_of,
        })
    }

    /// The snapshot, read again when it is older than `snapshot_ttl`. When that read fails the
    /// last good one is served (rights are still checked at every answer) for up to
    /// `stale_for`, and the read is tried again a `snapshot_ttl` later: a storefront keeps its
    /// feed through a throttled or unavailable table instead of answering 500.
    async fn snapshot(&self) -> Result<Arc<Snapshot>, PortError> {
        let mut guard = self.snapshot.lock().await;
        if let Some(s) = guard.as_ref()
            && s.tried.elapsed() < self.config.snapshot_ttl
        {
            return Ok(s.snapshot.clone());
        }
        match self.load().await {
            Ok(snap) => {
                let snap = Arc::new(snap);
                let now = Instant::now();
                *guard = Some(Held {
                    snapshot: snap.clone(),
                    loaded: now,
                    tried: now,
                });
                Ok(snap)
            }
            Err(e) => match guard.as_mut() {
                Some(held) if held.loaded.elapsed() < self.config.stale_for => {
                    tracing::warn!(error = %e, age_secs = held.loaded.elapsed().as_secs(), "feed: reading failed; serving the last good snapshot");
                    held.tried = Instant::now();
                    Ok(held.snapshot.clone())
                }
                _ => Err(e),
            },
        }
    }

    /// One page of a placement's feed.
    pub async fn feed(
        &self,
        placement: &Placement,
        cursor: Option<&Position>,
        limit: usize,
    ) -> Result<FeedPage, PortError> {
        let snap = self.snapshot().await?;
        let now = self.clock.now_unix();
        // A product page shows what any variant of its product was mapped to: the page's SKU
        // and its siblings (the same product in the catalog).
        let pages: Vec<Placement> = match placement {
            Placement::Pdp { sku } => {
                let siblings = snap
                    .products
                    .get(sku)
                    .and_then(|c| snap.skus_of.get(&c.product_id))
                    .into_iter()
                    .flatten()
                    .filter(|s| *s != sku);
                std::iter::once(sku)
                    .chain(siblings)
                    .map(|s| Placement::Pdp { sku: s.clone() })
                    .collect()
            }
            other => vec![other.clone()],
        };
        let candidates: Vec<(Position, &Entry)> = snap
            .entries
            .iter()
            // Rights again, at this moment: an expiry inside the snapshot's life still counts.
            .filter(|e| showable(e.item.status, &e.rights, Channel::Site, now))
            .filter_map(|e| {
                let here: Vec<&ProductMapping> = pages
                    .iter()
                    .filter_map(|p| p.matching(&e.mappings))
                    .flatten()
                    .collect();
                if here.is_empty() {
                    return None;
                }
                let pinned = here.iter().any(|m| m.pinned);
                let position = Position {
                    pinned,
                    score: score(
                        e.totals.views,
                        e.totals.orders_milli,
                        e.item.updated_at,
                        now,
                    ),
                    id: e.item.id.clone(),
                };
                Some((position, e))
            })
            .collect();
        let (items, cursor) = page(candidates, cursor, limit);
        let items = items
            .into_iter()
            .map(|(pos, e)| {
                // The page's own product first (the variants of it this video was mapped to),
                // then the rest of the look.
                let mut skus: Vec<&str> = Vec::new();
                for p in &pages {
                    if let Placement::Pdp { sku } = p
                        && p.matching(&e.mappings).is_some()
                    {
                        skus.push(sku);
                    }
                }
                for m in &e.mappings {
                    if !skus.contains(&m.sku.as_str()) {
                        skus.push(&m.sku);
                    }
                }
                let products = skus
                    .into_iter()
                    .filter_map(|s| snap.products.get(s).cloned())
                    .take(MAX_PRODUCTS)
                    .collect();
                let m = &e.manifest;
                let low = m.renditions.last().map(|r| {
                    if r.playlist.starts_with("http") {
                        r.playlist.clone()
                    } else {
                        let base = m.master.rsplit_once('/').map_or("", |(b, _)| b);
                        format!("{base}/{}", r.playlist)
                    }
                });
                FeedItem {
                    id: e.item.id.clone(),
                    source: e.item.source,
                    caption: e.item.caption.chars().take(300).collect(),
                    author: e.item.author.handle.as_ref().map(|h| format!("@{h}")),
                    pinned: pos.pinned,
                    media: FeedMedia {
                        master: m.master.clone(),
                        poster: m.poster.clone(),
                        preview: m.preview.clone(),
                        aspect_ratio: m.aspect_ratio.clone(),
                        duration: (m.duration_secs * 10.0).round() / 10.0,
                        width: m.width,
                        height: m.height,
                        low,
                    },
                    products,
                }
            })
            .collect();
        Ok(FeedPage {
            placement: placement.name(),
            items,
            cursor,
        })
    }

    async fn get(&self, q: FeedQuery, headers: &HeaderMap) -> Result<Response<Body>, ApiError> {
        let bad = |m: String| ApiError::client(StatusCode::BAD_REQUEST, "invalid_query", m);
        // What the schema cannot say (the parameter a placement needs, a cursor this feed did
        // not make) is refused on its meaning: 422.
        let refused =
            |m: String| ApiError::client(StatusCode::UNPROCESSABLE_ENTITY, "invalid_query", m);
        for (name, value) in [("sku", &q.sku), ("collection", &q.collection)] {
            if value.as_deref().is_some_and(|v| !token_ok(v)) {
                return Err(bad(format!("{name} is 1-64 of [A-Za-z0-9_.-]")));
            }
        }
        let placement = Placement::parse(
            q.placement.as_deref(),
            q.sku.as_deref(),
            q.collection.as_deref(),
        )
        .map_err(|m| match (q.placement.as_deref(), &q.sku, &q.collection) {
            (Some("pdp"), None, _) | (Some("collection"), _, None) => refused(m),
            _ => bad(m),
        })?;
        let limit = match q.limit {
            None => DEFAULT_LIMIT,
            Some(l) => l
                .parse::<usize>()
                .ok()
                .filter(|l| (1..=MAX_LIMIT).contains(l))
                .ok_or_else(|| bad(format!("limit is 1-{MAX_LIMIT}")))?,
        };
        let cursor = match q.cursor {
            None => None,
            Some(c) => Some(
                Position::from_cursor(&c)
                    .ok_or_else(|| refused("cursor is not one this feed made".into()))?,
            ),
        };
        let page = self.feed(&placement, cursor.as_ref(), limit).await?;
        let body = serde_json::to_vec(&page).map_err(ApiError::internal)?;
        let etag = strong_etag(&body);
        let cache = format!(
            "public, max-age={}, s-maxage={}, stale-while-revalidate={}",
            self.config.max_age, self.config.s_maxage, self.config.stale_while_revalidate
        );
        let matched = headers
            .get(header::IF_NONE_MATCH)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|h| none_match(h, &etag));
        let mut resp = if matched {
            let mut r = Response::new(Body::Empty);
            *r.status_mut() = StatusCode::NOT_MODIFIED;
            r
        } else {
            let mut r = Response::new(Body::Binary(body));
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            r
        };
        for (name, value) in [(header::ETAG, etag), (header::CACHE_CONTROL, cache)] {
            if let Ok(v) = HeaderValue::from_str(&value) {
                resp.headers_mut().insert(name, v);
            }
        }
        Ok(resp)
    }
}

impl<S, M, C, A> HttpApi for FeedApi<S, M, C, A>
where
    S: ItemStore + RightsStore + MappingStore + 'static,
    M: MediaRecords + 'static,
    C: CatalogStore + 'static,
    A: AnalyticsStore + 'static,
{
    /// The router, built once per process by `main.rs`: CORS headers on every answer, errors
    /// included.
    fn router(self: Arc<Self>) -> Router {
        let cors = self.config.cors.clone();
        Self::routes().build(self).layer(axum::middleware::from_fn(
            move |req: axum::extract::Request, next: axum::middleware::Next| {
                let cors = cors.clone();
                async move {
                    let origin = req
                        .headers()
                        .get(header::ORIGIN)
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_string);
                    let mut resp = next.run(req).await;
                    cors.apply(origin.as_deref(), "GET, OPTIONS", &mut resp);
                    resp
                }
            },
        ))
    }

    /// The one route: the feed (`GET`, and `HEAD` with it), and its CORS preflight.
    fn routes() -> Routes<Arc<Self>> {
        type App<T> = State<Arc<T>>;
        Routes::default()
            .get(
                "/v1/feed",
                |State(a): App<Self>, Query(q): Query<FeedQuery>, headers: HeaderMap| async move {
                    a.get(q, &headers).await
                },
            )
            .options("/v1/feed", || async {
                let mut r = Response::new(Body::Empty);
                *r.status_mut() = StatusCode::NO_CONTENT;
                r
            })
    }
}

/// `?placement=&sku=&collection=&limit=&cursor=` (first value of each).
#[derive(Debug, Deserialize)]
struct FeedQuery {
    placement: Option<String>,
    sku: Option<String>,
    collection: Option<String>,
    limit: Option<String>,
    cursor: Option<String>,
}

/// Every route the function serves: method and path, as the OpenAPI document writes them.
pub fn routes() -> Vec<(Method, &'static str)> {
    <AwsFeed as HttpApi>::routes().list()
}

/// The deployed feed.
pub type AwsFeed = FeedApi<
    reelcart_aws::DynamoContent,
    reelcart_aws::DynamoMediaRecords,
    reelcart_aws::DynamoCatalog,
    reelcart_aws::DynamoAnalytics,
>;

/// Build from settings: `CONTENT_TABLE`, `CATALOG_TABLE`, `ANALYTICS_TABLE`, `ALLOWED_ORIGINS`,
/// `FEED_SNAPSHOT_SECS` (30), `FEED_MAX_AGE` (30), `FEED_S_MAXAGE` (60), `FEED_SWR` (300).
pub fn from_aws<F: Fn(&str) -> Option<String>>(
    v: &reelcart_lambda::config::Vars<F>,
    sdk: &reelcart_aws::SdkConfig,
    clock: Arc<dyn Clock>,
) -> Result<AwsFeed, reelcart_lambda::config::ConfigError> {
    let dynamo = aws_sdk_dynamodb::Client::new(sdk);
    let content_table = v.required("CONTENT_TABLE")?;
    Ok(FeedApi::new(
        reelcart_aws::DynamoContent::new(dynamo.clone(), content_table.clone()),
        reelcart_aws::DynamoMediaRecords::new(dynamo.clone(), content_table),
        reelcart_aws::DynamoCatalog::new(dynamo.clone(), v.required("CATALOG_TABLE")?),
        reelcart_aws::DynamoAnalytics::new(dynamo, v.required("ANALYTICS_TABLE")?),
        Config {
            cors: Cors::parse(&v.optional("ALLOWED_ORIGINS").unwrap_or_default()),
            snapshot_ttl: Duration::from_secs(v.parse_or("FEED_SNAPSHOT_SECS", 30u64)?),
            stale_for: Duration::from_secs(v.parse_or("FEED_STALE_SECS", 900u64)?),
            max_age: v.parse_or("FEED_MAX_AGE", 30u32)?,
            s_maxage: v.parse_or("FEED_S_MAXAGE", 60u32)?,
            stale_while_revalidate: v.parse_or("FEED_SWR", 300u32)?,
        },
        clock,
    ))
}

mod wire;
use wire::card;
pub use wire::{FeedItem, FeedMedia, FeedPage, ProductCard, none_match, strong_etag};

#[cfg(test)]
mod tests;
