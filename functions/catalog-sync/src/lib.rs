//! `catalog-sync`: keeps the store's catalog and pushes it, by diff, to Meta and TikTok Shop.
//!
//! - SQS (`CatalogQueue`): Shopify `products/create|update|delete` webhooks (as the processor routes
//!   them) update the catalog; `{"sync": "<channel>"}` continues a run that stopped at its deadline.
//! - SQS (`CatalogImportQueue`): S3 notifications of files dropped under `imports/` in the import
//!   bucket — JSON lines (`.jsonl`, `.ndjson`) of canonical products, or CSV (`.csv`, one row per
//!   variant) — are read and merged into the catalog.
//! - EventBridge schedule `{"action": "pull_shopify"}` (daily) or SQS `{"pull": "shopify"}`: the
//!   whole catalog read from the store's Admin API (`SHOPIFY_ADMIN_URL`).
//! - EventBridge schedule: a sync run per channel that has a connected account (Meta also needs
//!   `META_CATALOG_ID`). A run that reaches its deadline records where it is and queues its own
//!   continuation.

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use reelcart_catalog::{CatalogSync, SyncConfig, SyncError, TokioSleeper};
use reelcart_connections::Refresher;
use reelcart_domain::Clock;
use reelcart_domain::catalog::import::{self, StoreSettings};
use reelcart_domain::catalog::tiktok::Rules;
use reelcart_domain::catalog::{Channel, Product};
use reelcart_domain::connection::OAuthPlatform;
use reelcart_domain::event::{DomainEvent, EventKind};
use reelcart_domain::webhook::Platform;
use reelcart_lambda::events::S3Notification;
use reelcart_lambda::sqs::{MissingMessageId, process_batch};
use reelcart_platforms::HttpTokenClient;
use reelcart_platforms::catalog::{MetaCatalog, RefresherTokens, TiktokShopCatalog};
use reelcart_ports::{
    BlobStore, CatalogStore, ConnectionStore, EventBus, KeyService, MessageQueue, PortError,
    SyncRun,
};
use secrecy::ExposeSecret;
use serde::Deserialize;
use serde_json::Value;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[cfg(test)]
mod tests;

#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error("record is not a catalog message: {0}")]
    Unrecognized(String),
    #[error("import {key}: {reason}")]
    Import { key: String, reason: String },
    #[error(transparent)]
    Store(#[from] PortError),
    #[error(transparent)]
    Sync(#[from] SyncError),
}

/// Products per catalog write during an import.
const IMPORT_CHUNK: usize = 500;

/// Listing TikTok Shop's authorized shops is retried up to 5 times, 0.5–1 s doubling to at most
/// 60 s, never sooner than the platform's `Retry-After`.
const SHOPS_RETRY: reelcart_domain::retry::Backoff =
    reelcart_domain::retry::Backoff::new(Duration::from_secs(1), Duration::from_secs(60));

pub struct Handler<S, B, Q, CS, K, E> {
    pub store: S,
    /// The import bucket.
    pub imports: B,
    pub import_bucket: String,
    /// Where a run queues its continuation (`CatalogQueue`).
    pub queue: Q,
    pub connections: Arc<Refresher<CS, K, HttpTokenClient, E>>,
    pub settings: StoreSettings,
    /// `META_CATALOG_ID`: the Meta catalog the store syncs to.
    pub meta_catalog_id: Option<String>,
    /// `TIKTOK_SHOP_WAREHOUSE_ID`: the warehouse stock is reported for.
    pub warehouse_id: String,
    pub sync: SyncConfig,
    /// The longest a run goes on before handing over to its continuation.
    pub max_run: Duration,
    /// The store's Admin API, for a full pull (`SHOPIFY_ADMIN_URL` and the secrets document's
    /// `shopify_admin_token`); `None`: not configured.
    pub shopify: Option<reelcart_platforms::shopify::ShopifyAdmin>,
    pub clock: Arc<dyn Clock>,
}

impl<S, B, Q, CS, K, E> std::fmt::Debug for Handler<S, B, Q, CS, K, E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Handler")
            .field("import_bucket", &self.import_bucket)
            .field("meta_catalog_id", &self.meta_catalog_id)
            .finish_non_exhaustive()
    }
}

/// What the catalog queue carries; each body is exactly one of these.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum CatalogMessage {
    /// `{"pull": "shopify"}`: read the store's catalog.
    Pull { pull: PullSource },
    /// `{"sync": "meta"}`: go on with a channel's run (a continuation).
    Continue { sync: String },
    /// S3's notification of import files.
    Imports(S3Notification),
    /// S3's test event, sent when the notification is configured.
    S3Test {
        #[serde(rename = "Event")]
        event: String,
    },
    /// A store event (normalized by the webhook processor).
    Event(Box<DomainEvent>),
}

/// Where a pull reads from.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PullSource {
    Shopify,
}

impl CatalogMessage {
    /// A message body, or why it is none of them (a store event's reason, values redacted).
    pub fn parse(body: &str) -> Result<Self, RecordError> {
        let unrecognized = |e: serde_json::Error| {
            RecordError::Unrecognized(reelcart_domain::webhook::redacted_json_error(&e))
        };
        // None fits: say why it is not the most common kind, a store event.
        serde_json::from_str(body).map_err(|_| {
            serde_json::from_str::<DomainEvent>(body).map_or_else(unrecognized, |_| {
                RecordError::Unrecognized("an unknown message".into())
            })
        })
    }
}

impl<S, B, Q, CS, K, E> Handler<S, B, Q, CS, K, E>
where
    S: CatalogStore + Clone,
    B: BlobStore,
    Q: MessageQueue,
    CS: ConnectionStore,
    K: KeyService,
    E: EventBus,
{
    /// An SQS batch (catalog events, import notifications, continuations), partial failures
    /// reported. `deadline` is the invocation's: a continuation stops (and queues the next)
    /// before it, not `max_run` after it started.
    pub async fn handle_sqs(
        &self,
        event: SqsEvent,
        deadline: Option<Instant>,
    ) -> Result<SqsBatchResponse, MissingMessageId> {
        process_batch(event, 1, |m| self.process(m, deadline)).await
    }

    async fn process(&self, msg: SqsMessage, deadline: Option<Instant>) -> Result<(), RecordError> {
        match CatalogMessage::parse(msg.body.as_deref().unwrap_or_default())? {
            CatalogMessage::Pull { .. } => self.pull_shopify().await.map(|_| ()),
            CatalogMessage::Continue { sync } => {
                let channel = Channel::parse(&sync)
                    .ok_or_else(|| RecordError::Unrecognized(format!("channel `{sync}`")))?;
                self.run_channel(channel, deadline).await.map(|_| ())
            }
            CatalogMessage::Imports(notification) => self.import(&notification).await,
            CatalogMessage::S3Test { event } if event == "s3:TestEvent" => {
                tracing::info!("S3's test notification: nothing to import");
                Ok(())
            }
            CatalogMessage::S3Test { event } => Err(RecordError::Unrecognized(format!(
                "an `Event` of `{}` (only s3:TestEvent is known)",
                event.chars().take(40).collect::<String>()
            ))),
            CatalogMessage::Event(event) => self.apply(*event).await,
        }
    }

    /// A catalog event of the store.
    async fn apply(&self, event: DomainEvent) -> Result<(), RecordError> {
        match (event.platform, event.kind) {
            (Platform::Shopify, EventKind::ProductChanged) => {
                let product = import::from_shopify(&event.data.to_string(), &self.settings)
                    .map_err(|e| RecordError::Unrecognized(e.to_string()))?;
                tracing::info!(product = %product.id, event_id = %event.id, "product updated from the store");
                self.store.put_products(&[product]).await?;
            }
            (Platform::Shopify, EventKind::ProductDeleted) => {
                let id = event
                    .subject
                    .ok_or_else(|| RecordError::Unrecognized("delete without id".into()))?;
                tracing::info!(product = %id, event_id = %event.id, "product deleted in the store");
                self.store.delete_products(&[id]).await?;
            }
            _ => {
                tracing::info!(event_id = %event.id, kind = %event.kind, platform = %event.platform, "not a store catalog change; ignored");
            }
        }
        Ok(())
    }

    /// An S3 notification: read each new import file into the catalog.
    async fn import(&self, notification: &S3Notification) -> Result<(), RecordError> {
        for r in &notification.records {
            let bucket = r.s3.bucket.name.as_str();
            let key = r.s3.object.decoded_key().map_err(|e| RecordError::Import {
                key: r.s3.object.key.clone(),
                reason: format!("the key is not UTF-8: {e}"),
            })?;
            // Only the import bucket notifies this queue: anything else is misrouted, kept in
            // the dead-letter queue to be looked at rather than dropped.
            if bucket != self.import_bucket {
                return Err(RecordError::Unrecognized(format!(
                    "a notification for bucket {bucket}, not the import bucket"
                )));
            }
            let fail = |reason: String| RecordError::Import {
                key: key.clone(),
                reason,
            };
            let Some(bytes) = self.imports.get(&key).await? else {
                tracing::warn!(key, "import file is gone; nothing to import");
                continue;
            };
            let text = std::str::from_utf8(&bytes).map_err(|_| fail("not UTF-8".into()))?;
            let lower = key.to_ascii_lowercase();
            let products: Vec<Product> = if lower.ends_with(".csv") {
                import::from_csv(text).map_err(|e| fail(e.to_string()))?
            } else if lower.ends_with(".jsonl") || lower.ends_with(".ndjson") {
                import::from_json_lines(text).map_err(|e| fail(e.to_string()))?
            } else {
                return Err(fail("unknown format (use .jsonl, .ndjson or .csv)".into()));
            };
            for chunk in products.chunks(IMPORT_CHUNK) {
                self.store.put_products(chunk).await?;
            }
            tracing::info!(key, products = products.len(), "catalog import merged");
        }
        Ok(())
    }

    /// A scheduled invocation: `{"action": "pull_shopify"}` pulls the store's catalog; anything
    /// else (EventBridge's scheduled event) syncs.
    pub async fn handle_schedule_event(
        &self,
        event: &Value,
        deadline: Option<Instant>,
    ) -> Result<Value, RecordError> {
        match event.get("action").and_then(Value::as_str) {
            Some("pull_shopify") => {
                let n = self.pull_shopify().await?;
                Ok(serde_json::json!({ "pulled": n }))
            }
            Some("sync") | None => self.handle_schedule(deadline).await,
            Some(other) => Err(RecordError::Unrecognized(format!("action `{other}`"))),
        }
    }

    /// Read every product from the store's Admin API into the catalog (products the store no
    /// longer has leave the catalog through its `products/delete` webhooks).
    pub async fn pull_shopify(&self) -> Result<usize, RecordError> {
        let Some(admin) = &self.shopify else {
            tracing::info!("SHOPIFY_ADMIN_URL or shopify_admin_token is not set: nothing to pull");
            return Ok(0);
        };
        let mut skipped = 0usize;
        // One bulk operation (GraphQL Admin API) instead of a request per 250 products; unit
        // costs come with it.
        let total = admin
            .bulk_products(reelcart_platforms::shopify_graphql::BulkPolling::default(), |page| {
                let mut products = Vec::with_capacity(page.len());
                for p in page {
                    match import::from_shopify(&p.to_string(), &self.settings) {
                        Ok(product) => products.push(product),
                        Err(e) => {
                            skipped += 1;
                            tracing::warn!(error = %e, "a Shopify product could not be read; skipped");
                        }
                    }
                }
                let store = self.store.clone();
                async move { store.put_products(&products).await }
            })
            .await
            .map_err(|e| RecordError::Import {
                key: "shopify".into(),
                reason: e.to_string(),
            })?;
        tracing::info!(
            products = total,
            skipped,
            "catalog pulled from the store's Admin API (bulk operation)"
        );
        Ok(total - skipped)
    }

    /// The scheduled sync: every channel with a connected account, until `deadline`.
    pub async fn handle_schedule(&self, deadline: Option<Instant>) -> Result<Value, RecordError> {
        let mut out = serde_json::Map::new();
        let mut first_error = None;
        for channel in Channel::ALL {
            match self.run_channel(channel, deadline).await {
                Ok(Some(run)) => {
                    out.insert(
                        channel.to_string(),
                        serde_json::to_value(&run).unwrap_or(Value::Null),
                    );
                }
                Ok(None) => {}
                Err(e) => {
                    tracing::error!(%channel, error = %e, "catalog sync failed");
                    out.insert(channel.to_string(), Value::String(e.to_string()));
                    first_error.get_or_insert(e);
                }
            }
        }
        match first_error {
            Some(e) => Err(e),
            None => Ok(Value::Object(out)),
        }
    }

    /// The active connection of `platform` (the first, by id, when several are connected).
    async fn connection(&self, platform: OAuthPlatform) -> Result<Option<String>, RecordError> {
        Ok(self
            .connections
            .active_connections(platform)
            .await?
            .into_iter()
            .next())
    }

    /// When a run that starts `now` stops: at `max_run`, or earlier at the invocation's own
    /// deadline.
    pub fn run_deadline(&self, invocation: Option<Instant>, now: Instant) -> Instant {
        let own = now + self.max_run;
        invocation.map_or(own, |d| d.min(own))
    }

    /// One channel's run (`None`: the channel is not connected or not configured).
    pub async fn run_channel(
        &self,
        channel: Channel,
        deadline: Option<Instant>,
    ) -> Result<Option<SyncRun>, RecordError> {
        let deadline = Some(self.run_deadline(deadline, Instant::now()));
        let cfg = self.connections.client.config();
        let platform = match channel {
            Channel::Meta => OAuthPlatform::Meta,
            Channel::TiktokShop => OAuthPlatform::TiktokShop,
        };
        let t = Instant::now();
        let Some(connection_id) = self.connection(platform).await? else {
            tracing::info!(%channel, "no connected account: channel not synced");
            return Ok(None);
        };
        let tokens = RefresherTokens::new(self.connections.clone(), connection_id.clone());
        let http_error = |e: reqwest::Error| {
            RecordError::Sync(SyncError::Push {
                channel,
                error: reelcart_catalog::PushError::Fatal(e.without_url().to_string()),
            })
        };
        let run = match channel {
            Channel::Meta => {
                let Some(catalog_id) = &self.meta_catalog_id else {
                    tracing::info!(%channel, "META_CATALOG_ID is not set: channel not synced");
                    return Ok(None);
                };
                let client =
                    MetaCatalog::new(cfg, catalog_id.clone(), tokens).map_err(http_error)?;
                self.sync_with(client).run(deadline).await?
            }
            Channel::TiktokShop => {
                let token = self
                    .connections
                    .fresh_access_token(&connection_id)
                    .await
                    .map_err(|e| {
                        RecordError::Sync(SyncError::Push {
                            channel,
                            error: reelcart_catalog::PushError::Auth(e.to_string()),
                        })
                    })?;
                let shops = self.authorized_shops(&token).await?;
                let account = connection_id.split_once('#').map_or("", |(_, a)| a);
                let Some(shop) = shops
                    .iter()
                    .find(|s| s.id == account)
                    .or(shops.first())
                    .cloned()
                else {
                    tracing::warn!(%channel, "the connection authorizes no shop");
                    return Ok(None);
                };
                tracing::info!(%channel, ms = t.elapsed().as_millis() as u64, "shop resolved");
                let rules = Rules {
                    region: shop.region.clone(),
                    warehouse_id: self.warehouse_id.clone(),
                };
                let client =
                    TiktokShopCatalog::new(cfg, shop.cipher, rules, tokens).map_err(http_error)?;
                self.sync_with(client).run(deadline).await?
            }
        };
        // A run's items are counted once, when it ends (continuations carry its count on).
        if run.status != "incomplete" && run.status != "running" {
            reelcart_lambda::metrics::emit(
                &[
                    ("Channel", channel.as_str()),
                    ("Status", run.status.as_str()),
                ],
                &[
                    ("SyncRuns", reelcart_lambda::metrics::Unit::Count, 1.0),
                    (
                        "SyncItems",
                        reelcart_lambda::metrics::Unit::Count,
                        run.done as f64,
                    ),
                ],
            );
        }
        if run.status == "incomplete" {
            let body = serde_json::json!({ "sync": channel }).to_string();
            self.queue.send(&body).await?;
            tracing::info!(%channel, run = %run.run_id, "continuation queued");
        }
        Ok(Some(run))
    }

    /// The shops a TikTok Shop token may act for, waiting out throttling and transient failures.
    async fn authorized_shops(
        &self,
        token: &secrecy::SecretString,
    ) -> Result<Vec<reelcart_platforms::AuthorizedShop>, RecordError> {
        use reelcart_domain::connection::ErrorClass;
        let mut attempt = 0u32;
        loop {
            match self
                .connections
                .client
                .tiktok_shop_authorized_shops(token, self.clock.now_unix())
                .await
            {
                Ok(shops) => return Ok(shops),
                Err(e)
                    if attempt < 5
                        && matches!(e.class, ErrorClass::Throttled | ErrorClass::Transient) =>
                {
                    attempt += 1;
                    let wait = SHOPS_RETRY
                        .delay_at_least(
                            attempt,
                            rand::random(),
                            e.retry_after_secs
                                .map(|s| Duration::from_secs(s.max(0).unsigned_abs())),
                        )
                        .min(Duration::from_secs(60));
                    tracing::info!(code = %e.code, wait_ms = wait.as_millis() as u64, "authorized shops: retrying");
                    tokio::time::sleep(wait).await;
                }
                Err(e) => {
                    return Err(RecordError::Sync(SyncError::Push {
                        channel: Channel::TiktokShop,
                        error: reelcart_catalog::PushError::Transient(format!(
                            "authorized shops: {} {}",
                            e.code, e.message
                        )),
                    }));
                }
            }
        }
    }

    fn sync_with<C: reelcart_catalog::ChannelClient>(
        &self,
        client: C,
    ) -> CatalogSync<S, C, TokioSleeper> {
        CatalogSync {
            store: self.store.clone(),
            client,
            sleeper: TokioSleeper,
            clock: self.clock.clone(),
            config: self.sync.clone(),
        }
    }
}

pub type AwsHandler = Handler<
    reelcart_aws::DynamoCatalog,
    reelcart_aws::S3Blobs,
    reelcart_aws::SqsQueue,
    reelcart_aws::DynamoConnections,
    reelcart_aws::KmsKeys,
    reelcart_aws::EventBridgeBus,
>;

/// Build from settings: the connection layer's, plus `CATALOG_TABLE`, `IMPORT_BUCKET`,
/// `CATALOG_QUEUE_URL`, `STORE_URL`, `STORE_CURRENCY` (USD), optional `META_CATALOG_ID`,
/// `TIKTOK_SHOP_WAREHOUSE_ID` (`default`), `MAX_RUN_SECS` (780), `SYNC_LEASE_SECS` (900),
/// `SHOPIFY_ADMIN_URL`,
/// `S3_FORCE_PATH_STYLE`.
pub async fn from_aws<F: Fn(&str) -> Option<String>>(
    v: &reelcart_lambda::config::Vars<F>,
    sdk: &reelcart_aws::SdkConfig,
    clock: Arc<dyn Clock>,
) -> Result<AwsHandler, reelcart_platforms::aws::InitError> {
    let refresher =
        reelcart_platforms::aws::aws_refresher(v, sdk, clock.clone(), "catalog-sync").await?;
    let refresher = Arc::new(refresher);
    // The store's token: its Shopify connection in the vault (installed, or client credentials),
    // else a legacy custom app's static token from the platform secrets.
    let config = refresher.client.config();
    let static_token =
        Some(config.apps.shopify_admin_token.clone()).filter(|t| !t.expose_secret().is_empty());
    let shopify = if config.shopify_admin_url.is_empty() {
        None
    } else {
        let tokens = reelcart_platforms::shopify::VaultTokens {
            refresher: refresher.clone(),
            connection_id: reelcart_domain::connection::Connection::id_for(
                reelcart_domain::connection::OAuthPlatform::Shopify,
                &config.shopify_shop,
            ),
            fallback: static_token,
        };
        Some(
            reelcart_platforms::shopify::ShopifyAdmin::with_tokens(
                &config.shopify_admin_url,
                Arc::new(tokens),
            )
            .map_err(|e| reelcart_platforms::aws::InitError::Http(e.without_url().to_string()))?,
        )
    };
    let import_bucket = v.required("IMPORT_BUCKET")?;
    let force_path_style = v.parse_or("S3_FORCE_PATH_STYLE", false)?;
    Ok(Handler {
        store: reelcart_aws::DynamoCatalog::new(
            aws_sdk_dynamodb::Client::new(sdk),
            v.required("CATALOG_TABLE")?,
        ),
        imports: reelcart_aws::S3Blobs::new(
            reelcart_aws::s3_client(sdk, force_path_style),
            import_bucket.clone(),
        ),
        import_bucket,
        queue: reelcart_aws::SqsQueue::new(
            aws_sdk_sqs::Client::new(sdk),
            v.required("CATALOG_QUEUE_URL")?,
        ),
        connections: refresher,
        settings: StoreSettings {
            store_url: v.required("STORE_URL")?,
            currency: v.optional("STORE_CURRENCY").unwrap_or_else(|| "USD".into()),
        },
        meta_catalog_id: v.optional("META_CATALOG_ID").filter(|c| !c.is_empty()),
        warehouse_id: v
            .optional("TIKTOK_SHOP_WAREHOUSE_ID")
            .filter(|w| !w.is_empty())
            .unwrap_or_else(|| "default".into()),
        sync: SyncConfig {
            lease: Duration::from_secs(v.parse_or("SYNC_LEASE_SECS", 900u64)?),
            ..SyncConfig::default()
        },
        max_run: Duration::from_secs(v.parse_or("MAX_RUN_SECS", 780u64)?),
        shopify,
        clock,
    })
}
