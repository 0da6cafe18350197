//! The handler over a fake of TikTok Shop's API and an in-memory orders queue.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::*;
use reelcart_domain::FixedClock;
use reelcart_ports::memory::{MemoryContent, MemoryCreators, MemoryQueue};
use std::sync::Mutex;

#[derive(Default)]
struct Fake {
    asked: Mutex<Vec<(String, String)>>,
    /// `None`: no such order; `Some(Err)`: throttled.
    throttled: bool,
}

impl ShopOrderApi for &Fake {
    async fn fetch(
        &self,
        shop_id: &str,
        order_id: &str,
    ) -> Result<Option<(Value, Vec<Value>)>, OrdersError> {
        self.asked
            .lock()
            .unwrap()
            .push((shop_id.to_string(), order_id.to_string()));
        if self.throttled {
            return Err(OrdersError::Retry("429".into()));
        }
        if order_id == "missing" {
            return Ok(None);
        }
        Ok(Some((
            json!({"id": order_id, "create_time": 1_764_115_100, "status": "AWAITING_SHIPMENT",
                "payment": {"currency": "USD"}, "line_items": []}),
            vec![json!({"product_id": "p1", "quantity": 1, "creator_username": "maya"})],
        )))
    }
}

fn sample() -> SqsEvent {
    serde_json::from_str(include_str!("../../../events/shop-orders/sqs-batch.json")).unwrap()
}

#[tokio::test]
async fn a_status_webhook_becomes_the_orders_detail_for_the_collector() {
    let fake = Fake::default();
    let h = Handler {
        api: &fake,
        orders: MemoryQueue::default(),
        creators: MemoryCreators::default(),
        content: MemoryContent::default(),
        clock: Arc::new(FixedClock::at(1_764_115_260)),
    };
    let out = h.handle(sample()).await.unwrap();
    assert!(out.batch_item_failures.is_empty());
    assert_eq!(
        fake.asked.lock().unwrap()[0],
        ("7494049642642441621".into(), "576461413038785752".into())
    );
    let sent: DomainEvent = serde_json::from_str(&h.orders.messages()[0]).unwrap();
    // Nobody in Reelcart has that handle yet: the SKU stays unresolved.
    assert!(
        sent.data["affiliate_skus"][0]
            .get("reelcart_creator_id")
            .is_none()
    );
    assert_eq!(sent.topic.as_deref(), Some(ORDER_DETAIL_TOPIC));
    assert_eq!(sent.id, "wh#tiktok-shop#7327112393057371001#detail");
    assert_eq!(sent.data["order"]["id"], "576461413038785752");
    assert_eq!(sent.data["affiliate_skus"][0]["creator_username"], "maya");
}

#[tokio::test]
async fn throttling_is_retried_and_other_events_are_dead_lettered() {
    let fake = Fake {
        throttled: true,
        ..Fake::default()
    };
    let h = Handler {
        api: &fake,
        orders: MemoryQueue::default(),
        creators: MemoryCreators::default(),
        content: MemoryContent::default(),
        clock: Arc::new(FixedClock::at(1_764_115_260)),
    };
    assert_eq!(
        h.handle(sample()).await.unwrap().batch_item_failures.len(),
        1
    );
    let mut other = sample();
    other.records[0].body = Some(
        json!({"id": "x", "kind": "order_created", "platform": "shopify", "topic": "orders/create",
            "received_at": 0, "data": {}})
        .to_string(),
    );
    assert_eq!(h.handle(other).await.unwrap().batch_item_failures.len(), 1);
    assert!(h.orders.messages().is_empty());
}

#[tokio::test]
async fn the_creator_with_the_tiktok_handle_and_the_ingested_video_are_named() {
    use reelcart_domain::content::{MediaType, Source, Status, UgcItem};
    use reelcart_domain::creator::Creator;
    use reelcart_ports::{CreatorStore, ItemStore};
    let fake = Fake::default();
    let h = Handler {
        api: &fake,
        orders: MemoryQueue::default(),
        creators: MemoryCreators::default(),
        content: MemoryContent::default(),
        clock: Arc::new(FixedClock::at(1_764_115_260)),
    };
    let mut maya = Creator {
        id: "cr_maya".into(),
        display_name: "Maya".into(),
        handles: Default::default(),
        commission_rate: "0.1".parse().unwrap(),
        commission_basis: Default::default(),
        campaign_commissions: Default::default(),
        terms: None,
        payout: Default::default(),
        created_at: 0,
        updated_at: 0,
    };
    maya.handles.insert("tiktok".into(), "@Maya".into());
    h.creators.put_creator(&maya).await.unwrap();
    let mut video = UgcItem::new(Source::Tiktok, "v1", MediaType::Video, "", 0);
    video.status = Status::Published;
    h.content.create_item(&video).await.unwrap();
    let mut skus = vec![
        json!({"creator_username": "maya", "content_id": "v1"}),
        json!({"creator_username": "other", "content_id": "v2"}),
    ];
    h.resolve(&mut skus).await.unwrap();
    assert_eq!(
        (
            skus[0]["reelcart_creator_id"].as_str(),
            skus[0]["reelcart_ugc_id"].as_str()
        ),
        (Some("cr_maya"), Some(video.id.as_str()))
    );
    assert!(
        skus[1].get("reelcart_creator_id").is_none() && skus[1].get("reelcart_ugc_id").is_none()
    );
}
