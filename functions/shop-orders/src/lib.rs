//! `shop-orders`: the facts of TikTok Shop orders, for attribution. A TikTok Shop order webhook
//! (type 1) carries a status and no amounts; the collector hands it here (`ShopOrdersQueue`), and
//! this function — the one that may use the shop's token, which the public collector never
//! holds — reads the order (Get Order Detail) and what TikTok says of its affiliate sales (Search
//! Seller Affiliate Orders: the creator and the video of each SKU), and sends both back to the
//! orders queue as an `order_detail` event, which the collector credits.
//!
//! The Affiliate API is off until TikTok approves the app: its refusal leaves the order without
//! affiliate SKUs (credited to nobody, still reported), not failed.

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use reelcart_domain::Clock;
use reelcart_domain::attribution::tiktok_shop::{RESOLVED_CONTENT, RESOLVED_CREATOR};
use reelcart_domain::content::{Source, UgcItem};
use reelcart_domain::event::{DomainEvent, EventKind};
use reelcart_domain::webhook::Platform;
use reelcart_lambda::sqs::{MissingMessageId, process_batch};
use reelcart_platforms::shop_orders::OrdersError;
use reelcart_ports::{CreatorStore, ItemStore, MessageQueue, PortError};
use serde_json::{Value, json};
use std::future::Future;
use std::sync::Arc;

mod aws;
pub use aws::{AwsShopOrders, from_aws};

/// The topic of the event this function sends back.
pub const ORDER_DETAIL_TOPIC: &str = "order_detail";

/// A shop's orders as TikTok Shop's API reports them.
pub trait ShopOrderApi: Send + Sync {
    /// Order `order_id` of shop `shop_id` and its affiliate SKUs (`None`: no such order).
    fn fetch(
        &self,
        shop_id: &str,
        order_id: &str,
    ) -> impl Future<Output = Result<Option<(Value, Vec<Value>)>, OrdersError>> + Send;
}

#[derive(Debug, thiserror::Error)]
pub enum ShopOrdersError {
    #[error("record is not a TikTok Shop order event: {0}")]
    Malformed(String),
    #[error(transparent)]
    Api(#[from] OrdersError),
    #[error(transparent)]
    Queue(#[from] PortError),
}

pub struct Handler<A, Q, C, K> {
    pub api: A,
    /// The orders queue (the collector's).
    pub orders: Q,
    /// Creators (by TikTok handle) and content (by TikTok video): who and what a sale credits.
    pub creators: C,
    pub content: K,
    pub clock: Arc<dyn Clock>,
}

impl<A, Q, C, K> std::fmt::Debug for Handler<A, Q, C, K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Handler").finish_non_exhaustive()
    }
}

impl<A: ShopOrderApi, Q: MessageQueue, C: CreatorStore, K: ItemStore> Handler<A, Q, C, K> {
    pub async fn handle(&self, event: SqsEvent) -> Result<SqsBatchResponse, MissingMessageId> {
        process_batch(event, 4, |m| self.process(m)).await
    }

    async fn process(&self, msg: SqsMessage) -> Result<(), ShopOrdersError> {
        let malformed = |what: &str| ShopOrdersError::Malformed(what.to_string());
        let event: DomainEvent = serde_json::from_str(msg.body.as_deref().unwrap_or_default())
            .map_err(|e| {
                ShopOrdersError::Malformed(reelcart_domain::webhook::redacted_json_error(&e))
            })?;
        if event.platform != Platform::TiktokShop || event.topic.as_deref() != Some("1") {
            return Err(malformed("not a TikTok Shop order status event"));
        }
        let shop = event
            .account
            .clone()
            .ok_or_else(|| malformed("no shop_id"))?;
        let order_id = event
            .subject
            .clone()
            .or_else(|| event.data["data"]["order_id"].as_str().map(str::to_string))
            .ok_or_else(|| malformed("no order_id"))?;
        let Some((order, mut skus)) = self.api.fetch(&shop, &order_id).await? else {
            tracing::warn!(shop = %shop, order = %order_id, "TikTok Shop has no such order: nothing to attribute");
            return Ok(());
        };
        self.resolve(&mut skus).await?;
        let detail = DomainEvent {
            // One detail per status change: a later status is a new fact (a cancellation).
            id: format!("{}#detail", event.id),
            kind: EventKind::OrderUpdated,
            platform: Platform::TiktokShop,
            topic: Some(ORDER_DETAIL_TOPIC.into()),
            account: Some(shop),
            subject: Some(order_id.clone()),
            received_at: self.clock.now_unix(),
            data: json!({ "order": order, "affiliate_skus": skus }),
        };
        let body = serde_json::to_string(&detail).map_err(|e| malformed(&e.to_string()))?;
        self.orders.send(&body).await?;
        tracing::info!(order = %order_id, affiliate_skus = detail.data["affiliate_skus"].as_array().map_or(0, Vec::len), "TikTok Shop order detail sent for attribution");
        Ok(())
    }
}

impl<A, Q, C: CreatorStore, K: ItemStore> Handler<A, Q, C, K> {
    /// Add to each affiliate SKU the Reelcart creator whose TikTok handle it names and
    /// Reelcart's item of its video, where there are such.
    async fn resolve(&self, skus: &mut [Value]) -> Result<(), ShopOrdersError> {
        if skus.is_empty() {
            return Ok(());
        }
        let creators = self.creators.creators().await?;
        for sku in skus.iter_mut() {
            let username = sku["creator_username"]
                .as_str()
                .unwrap_or_default()
                .trim_start_matches('@')
                .to_string();
            if let Some(c) = creators.iter().find(|c| {
                !username.is_empty()
                    && c.handles
                        .get("tiktok")
                        .is_some_and(|h| h.trim_start_matches('@').eq_ignore_ascii_case(&username))
            }) {
                sku[RESOLVED_CREATOR] = json!(c.id);
            }
            if let Some(video) = sku["content_id"].as_str().filter(|v| !v.is_empty()) {
                let id = UgcItem::id_for(Source::Tiktok, video);
                if self.content.item(&id).await?.is_some() {
                    sku[RESOLVED_CONTENT] = json!(id);
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
