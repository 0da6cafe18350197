//! The orders queue: verified order events credited line by line, refunds reversing exactly
//! their lines, cancellations everything. Each write of an order's ledger (with its creators'
//! entries and its counters) is one transaction, conditional on the ledger's version.

use crate::{Collector, ContentReads, Error};
use reelcart_domain::attribution::conversions::{
    AdPlatform, ConversionMessage, Purchase, shopify_purchase,
};
use reelcart_domain::attribution::orders::{shopify_order, shopify_refund};
use reelcart_domain::attribution::tiktok_shop::{
    affiliate_credits, affiliate_skus, is_cancelled, is_paid, tiktok_shop_order,
};
use reelcart_domain::attribution::{Ledger, Order, Refunded, attribute};
use reelcart_domain::catalog::Product;
use reelcart_domain::event::{DomainEvent, EventKind};
use reelcart_domain::webhook::Platform;
use reelcart_ports::{AnalyticsStore, BlobStore, CatalogStore, CreatorStore, MessageQueue};
use serde_json::{Value, json as j};
use std::collections::{BTreeSet, HashMap};

impl<
    A: AnalyticsStore,
    Q: MessageQueue,
    B: BlobStore,
    L: CreatorStore,
    K: ContentReads,
    C: CatalogStore,
> Collector<A, Q, B, L, K, C>
{
    /// One routed order event.
    pub async fn on_order_event(&self, event: &DomainEvent) -> Result<Value, Error> {
        if event.platform != Platform::Shopify {
            return self.on_other_order_event(event).await;
        }
        let topic = event.topic.as_deref().unwrap_or_default();
        let malformed =
            |e: reelcart_domain::attribution::orders::OrderError| Error::Malformed(e.to_string());
        match (event.kind, topic) {
            (_, "refunds/create") => {
                let (order, refund, what) = shopify_refund(&event.data).map_err(malformed)?;
                self.refund(&order, &refund, &what).await
            }
            (_, "orders/cancelled") => {
                let order = shopify_order(&event.data).map_err(malformed)?;
                self.refund(&order.id, "cancel", &Refunded::Everything)
                    .await
            }
            (EventKind::OrderCreated, _) | (_, "orders/paid") | (_, "orders/updated") => {
                let order = shopify_order(&event.data).map_err(malformed)?;
                let purchase = shopify_purchase(&event.data, &order);
                self.credit(order, purchase).await
            }
            _ => Ok(j!({"attributed": false, "topic": topic})),
        }
    }

    /// Each line's product from the catalog: the SKUs of its other variants (content showing one
    /// colour is about the product) and its unit cost, where the catalog has it in the order's
    /// currency. One read per distinct product.
    pub(crate) async fn with_products(&self, mut order: Order) -> Result<Order, Error> {
        let ids: BTreeSet<String> = order
            .lines
            .iter()
            .filter_map(|l| l.product_id.clone())
            .collect();
        let mut products: HashMap<String, Product> = HashMap::with_capacity(ids.len());
        for id in ids {
            if let Some(p) = self.catalog.product(&id).await? {
                products.insert(id, p);
            }
        }
        for line in &mut order.lines {
            let Some(p) = line.product_id.as_ref().and_then(|id| products.get(id)) else {
                continue;
            };
            line.product_skus = p
                .variants
                .iter()
                .map(|v| v.sku.clone())
                .filter(|s| !s.is_empty())
                .collect();
            let variant = p.variants.iter().find(|v| {
                line.variant_id.as_deref() == Some(v.id.as_str())
                    || (!v.sku.is_empty() && line.sku.as_deref() == Some(v.sku.as_str()))
            });
            line.cost_cents = variant
                .and_then(|v| v.unit_cost.as_ref())
                .filter(|c| c.currency.eq_ignore_ascii_case(&order.currency))
                .map(|c| c.hundredths_times(line.quantity));
        }
        Ok(order)
    }

    /// Credit `order` (once), and report its `purchase` to the ad platforms (if the shopper gave
    /// the consent signal).
    pub(crate) async fn credit(
        &self,
        order: Order,
        purchase: Option<Purchase>,
    ) -> Result<Value, Error> {
        if self.analytics.ledger(&order.id).await?.is_some() {
            return Ok(j!({"order": order.id, "credited": "before"}));
        }
        // Queued before the ledger is written: a failure after it retries the whole order, and
        // a purchase queued twice is one event to the platforms (the same event id).
        if let (Some(p), Some(queue)) = (purchase, &self.conversions) {
            for platform in [AdPlatform::Meta, AdPlatform::Tiktok] {
                let m = ConversionMessage {
                    platform,
                    purchase: p.clone(),
                };
                let body =
                    serde_json::to_string(&m).map_err(|e| Error::Malformed(e.to_string()))?;
                queue.send(&body).await?;
            }
        }
        let order = self.with_products(order).await?;
        let now = self.clock.now_unix();
        // Touches only of a session Reelcart signed: a made-up or forged cart token credits
        // nobody (a creator's code still can).
        let touches = match &order.token {
            Some(t) if self.signed(t) => {
                self.analytics.touches(t, now.max(order.placed_at)).await?
            }
            Some(_) => {
                tracing::info!(order = %order.id, "the cart token is not one Reelcart signed: no touches credited");
                Vec::new()
            }
            None => Vec::new(),
        };
        // Only codes the store has (a requested or declined code credits no order, even if
        // someone made the same code in the store by hand).
        let codes: Vec<_> = self
            .analytics
            .creator_codes()
            .await?
            .into_iter()
            .filter(|c| c.status == reelcart_domain::attribution::CodeStatus::Active)
            .collect();
        let credits = attribute(
            &order,
            &touches,
            &codes,
            self.config.windows,
            self.config.model,
        );
        let ledger = Ledger::new(order, credits);
        let written = self
            .analytics
            .apply_order(&ledger, 0, &ledger.credits)
            .await?;
        tracing::info!(order = %ledger.order.id, lines = ledger.order.lines.len(), credits = ledger.credits.len(), written, "order attributed");
        Ok(j!({"order": ledger.order.id, "credits": ledger.credits}))
    }

    pub(crate) async fn refund(
        &self,
        order_id: &str,
        refund_id: &str,
        what: &Refunded,
    ) -> Result<Value, Error> {
        let Some((mut ledger, version)) = self.analytics.ledger(order_id).await? else {
            tracing::warn!(order = %order_id, refund = %refund_id, "refund of an order never credited: nothing to reverse");
            return Ok(j!({"order": order_id, "reversed": []}));
        };
        let reversed = ledger.refund(refund_id, what);
        if reversed.is_empty() {
            return Ok(j!({"order": order_id, "reversed": []}));
        }
        if !self
            .analytics
            .apply_order(&ledger, version, &reversed)
            .await?
        {
            return Err(Error::Conflict);
        }
        tracing::info!(order = %order_id, refund = %refund_id, reversed = reversed.len(), "credit reversed");
        Ok(j!({"order": order_id, "reversed": reversed}))
    }

    /// TikTok Shop: a status webhook is handed to `shop-orders` (which may read the order with the
    /// shop's token); the order detail it sends back is credited to the affiliates TikTok names.
    async fn on_other_order_event(&self, event: &DomainEvent) -> Result<Value, Error> {
        match (event.platform, event.topic.as_deref()) {
            (Platform::TiktokShop, Some("1")) => match &self.shop_orders {
                Some(queue) => {
                    let body = serde_json::to_string(event)
                        .map_err(|e| Error::Malformed(e.to_string()))?;
                    queue.send(&body).await?;
                    Ok(j!({"forwarded": "shop-orders"}))
                }
                None => {
                    tracing::info!(event_id = %event.id, "SHOP_ORDERS_QUEUE_URL is not set: TikTok Shop order not attributed");
                    Ok(j!({"attributed": false}))
                }
            },
            (Platform::TiktokShop, Some("order_detail")) => self.tiktok_shop_detail(event).await,
            _ => {
                tracing::info!(platform = %event.platform, event_id = %event.id, "order event not attributed");
                Ok(j!({"attributed": false}))
            }
        }
    }

    /// A TikTok Shop order as Get Order Detail reports it, with its affiliate SKUs: credited once
    /// paid (each SKU's lines to the creator whose TikTok handle TikTok names, and to Reelcart's
    /// item of the video); cancelled, everything taken back.
    async fn tiktok_shop_detail(&self, event: &DomainEvent) -> Result<Value, Error> {
        let malformed =
            |e: reelcart_domain::attribution::orders::OrderError| Error::Malformed(e.to_string());
        let order = tiktok_shop_order(&event.data["order"]).map_err(malformed)?;
        // `shop-orders` always sends the order's status and its affiliate SKUs (empty when
        // none): a detail without them is not one, and is dead-lettered rather than credited
        // to nobody for good.
        let status = event.data["order"]["status"]
            .as_str()
            .ok_or_else(|| Error::Malformed("order_detail without order.status".into()))?;
        if is_cancelled(status) {
            return self
                .refund(&order.id, "cancel", &Refunded::Everything)
                .await;
        }
        if !is_paid(status) {
            return Ok(j!({"order": order.id, "credited": false, "status": status}));
        }
        let skus = event.data["affiliate_skus"]
            .as_array()
            .cloned()
            .ok_or_else(|| Error::Malformed("order_detail without affiliate_skus".into()))?;
        // Creators and videos as `shop-orders` resolved them.
        let affiliates = affiliate_skus(&skus);
        if self.analytics.ledger(&order.id).await?.is_some() {
            return Ok(j!({"order": order.id, "credited": "before"}));
        }
        let credits = affiliate_credits(&order, &affiliates);
        let ledger = Ledger::new(order, credits);
        let written = self
            .analytics
            .apply_order(&ledger, 0, &ledger.credits)
            .await?;
        tracing::info!(order = %ledger.order.id, affiliates = affiliates.len(), credits = ledger.credits.len(), written, "TikTok Shop order attributed");
        Ok(j!({"order": ledger.order.id, "credits": ledger.credits}))
    }
}
