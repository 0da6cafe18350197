//! TikTok Shop orders: the status webhook handed to `shop-orders`, the detail it sends back
//! credited to the affiliate creator TikTok names (and their video), a cancellation reversed.

use super::*;

fn detail(status: &str) -> String {
    json!({"id": "wh#tiktok-shop#n1#detail", "kind": "order_updated", "platform": "tiktok-shop",
        "topic": "order_detail", "account": "7494", "subject": "5760001", "received_at": NOW,
        "data": {"order": {"id": "5760001", "status": status, "create_time": NOW - 60,
            "payment": {"currency": "USD"},
            "line_items": [
                {"id": "li1", "product_id": "tp1", "sku_id": "ts1", "seller_sku": "TEE-M", "sale_price": "20.00"},
                {"id": "li2", "product_id": "tp2", "sku_id": "ts2", "seller_sku": "MUG", "sale_price": "9.50"}]},
        // As shop-orders resolved them: the creator with that handle, Reelcart's item of the video.
        "affiliate_skus": [{"product_id": "tp1", "quantity": 1, "creator_username": "Maya.Makes",
            "content_type": "VIDEO", "content_id": "7300000000000000001",
            "reelcart_creator_id": "cr_maya", "reelcart_ugc_id": UgcItem::id_for(Source::Tiktok, "7300000000000000001")},
            {"product_id": "tp2", "quantity": 1, "creator_username": "stranger"}]}})
    .to_string()
}

#[tokio::test]
async fn a_tiktok_shop_affiliate_sale_credits_the_creator_and_their_video_apart_from_web_orders() {
    let c = collector(Model::LastTouch);
    let video_id = UgcItem::id_for(Source::Tiktok, "7300000000000000001");
    // The status webhook goes to shop-orders, untouched.
    let status = json!({"id": "wh#tiktok-shop#n1", "kind": "order_updated", "platform": "tiktok-shop",
        "topic": "1", "account": "7494", "subject": "5760001", "received_at": NOW,
        "data": {"type": 1, "shop_id": "7494", "data": {"order_id": "5760001", "order_status": "AWAITING_SHIPMENT"}}});
    let out = c.handle_sqs(sqs(vec![status.to_string()])).await.unwrap();
    assert!(out.batch_item_failures.is_empty());
    let forwarded = c.shop_orders.as_ref().unwrap().messages();
    assert_eq!(
        serde_json::from_str::<Value>(&forwarded[0]).unwrap(),
        status
    );

    // Not yet paid: nothing. Paid: Maya's line, on her video, in its own placement.
    c.handle_sqs(sqs(vec![detail("UNPAID")])).await.unwrap();
    assert!(
        c.analytics
            .ledger("tiktok_shop:5760001")
            .await
            .unwrap()
            .is_none()
    );
    c.handle_sqs(sqs(vec![detail("AWAITING_SHIPMENT")]))
        .await
        .unwrap();
    let (ledger, _) = c
        .analytics
        .ledger("tiktok_shop:5760001")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ledger.credits.len(), 1);
    let credit = &ledger.credits[0];
    assert_eq!(
        (
            credit.creator_id.as_deref(),
            credit.ugc_id.as_deref(),
            credit.line_id.as_str(),
            credit.revenue_cents,
            credit.placement.as_str()
        ),
        (
            Some("cr_maya"),
            Some(video_id.as_str()),
            "li1",
            2000,
            "tiktok_shop"
        )
    );
    let rows = funnel(&rows_of(&c, "2026-11-26").await, By::Placement);
    let tts = rows.iter().find(|r| r.key == "tiktok_shop").unwrap();
    assert_eq!(tts.revenue.as_deref(), Some("20.00"));
    // Cancelled: everything back.
    c.handle_sqs(sqs(vec![detail("CANCELLED")])).await.unwrap();
    let rows = funnel(&rows_of(&c, "2026-11-26").await, By::Placement);
    let tts = rows.iter().find(|r| r.key == "tiktok_shop").unwrap();
    assert_eq!((tts.revenue.as_deref(), tts.orders), (Some("0.00"), 0.0));
}

/// A detail without its status or its affiliate SKUs is not one `shop-orders` sends: it goes to
/// the dead-letter queue instead of being read as "unpaid" or "credited to nobody" for good.
#[tokio::test]
async fn an_order_detail_missing_its_status_or_skus_is_dead_lettered() {
    let c = collector(Model::LastTouch);
    for drop in ["status", "affiliate_skus"] {
        let mut d: Value = serde_json::from_str(&detail("AWAITING_SHIPMENT")).unwrap();
        match drop {
            "status" => d["data"]["order"].as_object_mut().unwrap().remove("status"),
            _ => d["data"].as_object_mut().unwrap().remove("affiliate_skus"),
        };
        let out = c.handle_sqs(sqs(vec![d.to_string()])).await.unwrap();
        assert_eq!(out.batch_item_failures.len(), 1, "{drop}");
        assert!(
            c.analytics
                .ledger("tiktok_shop:5760001")
                .await
                .unwrap()
                .is_none()
        );
    }
}
