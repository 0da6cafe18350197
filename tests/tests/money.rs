//! Money on the local stack, end to end: two creators — one with a link, one with a code, both
//! with content — selling on the same day, each paid exactly the lines their content, link or
//! code sold; a forged beacon (another creator named, dated tomorrow, an unsigned session) moving
//! nothing; a partial refund taking back exactly its line; a commission on margin from the
//! catalog's unit costs; and the purchase as Meta's Conversions API and TikTok's Events API
//! received it (hashes included), only for the shopper who consented.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use reelcart_aws::{DynamoCatalog, DynamoContent};
use reelcart_domain::attribution::conversions::sha256_hex;
use reelcart_domain::attribution::day_of;
use reelcart_domain::catalog::{Money, Product, Variant};
use reelcart_domain::content::{MediaType, ProductMapping, Source, Status, UgcItem};
use reelcart_e2e::*;
use reelcart_local::server::content_sha256;
use reelcart_ports::{CatalogStore, ItemStore, MappingStore};
use serde_json::{Value, json};
use std::time::Duration;

fn usd(amount: &str) -> Money {
    Money {
        amount: amount.parse().unwrap(),
        currency: "USD".into(),
    }
}

fn variant(id: &str, sku: &str, price: &str, cost: Option<&str>) -> Variant {
    Variant {
        id: id.into(),
        sku: sku.into(),
        options: vec![],
        price: usd(price),
        compare_at_price: None,
        unit_cost: cost.map(usd),
        inventory: 50,
        continue_selling: false,
        gtin: None,
        mpn: None,
        image: None,
        weight: None,
    }
}

fn product(id: &str, title: &str, variants: Vec<Variant>) -> Product {
    Product {
        id: id.into(),
        title: title.into(),
        description: String::new(),
        brand: None,
        link: format!("https://shop.example.com/products/{id}"),
        images: vec![],
        variants,
        status: Default::default(),
        tiktok_category_id: None,
        updated_at: 0,
    }
}

/// A Shopify line of `qty` × `price`, `discount` off.
fn line(
    id: u64,
    product: u64,
    variant: u64,
    sku: &str,
    price: &str,
    qty: i64,
    discount: &str,
) -> Value {
    json!({"id": id, "product_id": product, "variant_id": variant, "sku": sku, "price": price,
        "quantity": qty, "discount_allocations": [{"amount": discount, "discount_application_index": 0}]})
}

fn order(id: u64, at: i64, token: Option<&str>, lines: Value, extra: Value) -> Value {
    let mut o = json!({"id": id, "created_at": rfc3339(at), "currency": "USD", "total_price": "999.00",
        "line_items": lines, "note_attributes": [], "discount_codes": []});
    if let Some(t) = token {
        o["note_attributes"] = json!([{"name": "reelcart_token", "value": t}]);
    }
    for (k, v) in extra.as_object().unwrap() {
        o[k] = v.clone();
    }
    o
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_creator_is_paid_exactly_their_lines_and_the_ad_platforms_get_the_purchase() {
    let stack = start_stack().await;
    let http = reqwest::Client::new();
    let base = stack.url();
    let dynamo = aws_sdk_dynamodb::Client::new(&stack.emulator.sdk);
    let content = DynamoContent::new(dynamo.clone(), stack.physical("ContentTable").unwrap());
    // The tee (two sizes) and the mug have unit costs; the socks do not.
    DynamoCatalog::new(dynamo, stack.physical("CatalogTable").unwrap())
        .put_products(&[
            product(
                "9100",
                "Tee",
                vec![
                    variant("91001", "MTEE-M", "25.00", Some("9.00")),
                    variant("91002", "MTEE-L", "25.00", Some("9.00")),
                ],
            ),
            product(
                "9200",
                "Mug",
                vec![variant("92001", "MMUG", "15.00", Some("4.00"))],
            ),
            product(
                "9300",
                "Socks",
                vec![variant("93001", "MSOCKS", "8.00", None)],
            ),
        ])
        .await
        .unwrap();
    // Maya's video shows the medium tee, Jon's the mug.
    for (ugc, creator, sku) in [
        ("ugc_money_maya", "cr_money_maya", "MTEE-M"),
        ("ugc_money_jon", "cr_money_jon", "MMUG"),
    ] {
        let mut item = UgcItem::new(Source::Upload, ugc, MediaType::Video, "", now() - 86_400);
        item.id = ugc.into();
        item.author.creator_id = Some(creator.into());
        item.status = Status::Published;
        assert!(content.create_item(&item).await.unwrap());
        content
            .put_mapping(
                ugc,
                &ProductMapping {
                    sku: sku.into(),
                    placement: "pdp".into(),
                    confidence: 1.0,
                    pinned: true,
                },
            )
            .await
            .unwrap();
    }
    let call = |method: &str, path: &str, token: &str, body: Option<Value>| {
        let mut r = http
            .request(method.parse().unwrap(), format!("{base}{path}"))
            .bearer_auth(token);
        if let Some(b) = body {
            r = r.json(&b);
        }
        async move {
            let resp = r.send().await.unwrap();
            let s = resp.status().as_u16();
            (s, resp.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let maya = stack.token("cr_money_maya", &["creator"]).unwrap();
    let jon = stack.token("cr_money_jon", &["creator"]).unwrap();
    let admin = stack.token("admin", &["admin"]).unwrap();
    for t in [&maya, &jon] {
        let (s, v) = call(
            "PUT",
            "/v1/creators/me",
            t,
            Some(json!({"display_name": "Creator"})),
        )
        .await;
        assert_eq!(s, 201, "{v}");
    }
    // Jon is paid 20 % of the margin; Maya 10 % of revenue (the default).
    let (s, v) = call(
        "PUT",
        "/v1/creators/cr_money_jon/commission",
        &admin,
        Some(json!({"rate": 0.2, "basis": "margin"})),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    // Maya's link to the medium tee; Jon's discount code.
    let (s, link) = call(
        "POST",
        "/v1/creators/me/links",
        &maya,
        Some(json!({"sku": "MTEE-M"})),
    )
    .await;
    assert_eq!(s, 201, "{link}");
    let (s, code) = call("POST", "/v1/creators/me/codes", &jon, Some(json!({}))).await;
    assert_eq!(s, 201, "{code}");
    let code = code["code"]["code"].as_str().unwrap().to_string();
    // The brand approves it: the store makes it, and orders using it credit Jon.
    let (s, decided) = call(
        "POST",
        &format!("/v1/creators/codes/{code}"),
        &admin,
        Some(json!({"decision": "approve"})),
    )
    .await;
    assert_eq!(
        (s, decided["code"]["status"].as_str()),
        (200, Some("active")),
        "{decided}"
    );

    // Shopper 1 follows Maya's link.
    let no_follow = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = no_follow
        .get(link["url"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 302);
    let location = r.headers()["location"].to_str().unwrap().to_string();
    let link_token = location.rsplit_once("rc_token=").unwrap().1.to_string();
    // Shopper 2 gets a session from the collector and clicks both videos' products.
    let session: Value = http
        .post(format!("{base}/v1/sessions"))
        .header("x-amz-content-sha256", content_sha256(b""))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = session["token"].as_str().unwrap().to_string();
    let ms = now() * 1000;
    let beacon = |id: &str, session: &str, ugc: &str, creator: &str, ts: i64| {
        json!({"event_id": id, "type": "product_click", "session_id": session, "ugc_id": ugc,
            "creator_id": creator, "placement": "pdp", "sku": "MTEE-M", "ts": ts})
    };
    // A forger's session (an altered signature) naming Jon on Maya's video, dated tomorrow.
    let last = if token.ends_with('A') { "B" } else { "A" };
    let forged = format!("{}{last}", &token[..token.len() - 1]);
    let events = json!({"events": [
        beacon("money-evt-0001", &token, "ugc_money_maya", "cr_money_maya", ms - 60_000),
        beacon("money-evt-0002", &token, "ugc_money_jon", "cr_money_jon", ms - 30_000),
        beacon("money-evt-0003", &forged, "ugc_money_maya", "cr_money_jon", ms + 86_400_000),
    ]});
    let r = http
        .post(format!("{base}/v1/events"))
        .header("content-type", "text/plain")
        .header(
            "x-amz-content-sha256",
            content_sha256(events.to_string().as_bytes()),
        )
        .body(events.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 202);
    let today = day_of(now());
    let tomorrow = day_of(now() + 86_400);
    eventually(Duration::from_secs(30), "the beacons counted", || {
        let r = http
            .get(format!(
                "{base}/v1/analytics/funnel?from={today}&to={today}&by=content"
            ))
            .bearer_auth(&admin);
        async move {
            let v: Value = r.send().await.unwrap().json().await.unwrap();
            let clicks = |ugc: &str| {
                v["rows"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|r| r["key"] == ugc)
                    .and_then(|r| r["product_clicks"].as_i64())
            };
            (clicks("ugc_money_maya") == Some(2) && clicks("ugc_money_jon") == Some(1))
                .then_some(())
        }
    })
    .await;

    let at = now();
    // Order A (shopper 1, Maya's link): two large tees, 5.00 off, and socks. Maya: 45.00.
    let a = order(
        7_800_001,
        at + 1,
        Some(&link_token),
        json!([
            line(71, 9100, 91002, "MTEE-L", "25.00", 2, "5.00"),
            line(72, 9300, 93001, "MSOCKS", "8.00", 1, "0.00")
        ]),
        json!({}),
    );
    // Order B (shopper 2, who consented): a mug (Jon's video) and a medium tee (Maya's).
    let b = order(
        7_800_002,
        at + 2,
        Some(&token),
        json!([
            line(81, 9200, 92001, "MMUG", "15.00", 1, "0.00"),
            line(82, 9100, 91001, "MTEE-M", "25.00", 1, "0.00")
        ]),
        json!({
        "email": " Shopper.Two@Example.com", "phone": "+1 (415) 555-0100",
        "customer": {"id": 5550100, "first_name": "Sam", "last_name": "Two"},
        "billing_address": {"city": "San Francisco", "province_code": "CA", "zip": "94107", "country_code": "US"},
        "client_details": {"browser_ip": "203.0.113.50", "user_agent": "Mozilla/5.0 (Test)"},
        "landing_site": "https://shop.example.com/products/9100",
        "note_attributes": [{"name": "reelcart_token", "value": token}, {"name": "reelcart_consent", "value": "granted"}]}),
    );
    // Order C: two mugs with Jon's code, no token. Jon: 30.00.
    let c = order(
        7_800_003,
        at + 3,
        None,
        json!([line(91, 9200, 92001, "MMUG", "15.00", 2, "0.00")]),
        json!({"discount_codes": [{"code": code, "amount": "0.00", "type": "percentage"}]}),
    );
    // Order D: the forger's token. Nobody.
    let d = order(
        7_800_004,
        at + 4,
        Some(&forged),
        json!([line(95, 9100, 91001, "MTEE-M", "25.00", 1, "0.00")]),
        json!({}),
    );
    for (o, id) in [
        (&a, "money-a"),
        (&b, "money-b"),
        (&c, "money-c"),
        (&d, "money-d"),
    ] {
        assert_eq!(
            shopify_webhook(&http, &stack, "orders/create", id, o).await,
            200
        );
    }
    // Order B's mug comes back.
    let refund = json!({"id": 990_001, "order_id": 7_800_002u64, "refund_line_items": [
        {"line_item_id": 81, "quantity": 1, "subtotal": 15.0, "total_tax": 1.2,
         "subtotal_set": {"shop_money": {"amount": "15.00", "currency_code": "USD"}}}],
        "transactions": [{"kind": "refund", "status": "success", "amount": "16.20"}]});
    eventually(Duration::from_secs(30), "the four orders credited", || {
        let r = http
            .get(format!(
                "{base}/v1/analytics/funnel?from={today}&to={today}&by=placement"
            ))
            .bearer_auth(&admin);
        async move {
            let v: Value = r.send().await.unwrap().json().await.unwrap();
            let rev: f64 = v["rows"]
                .as_array()?
                .iter()
                .filter_map(|r| r["revenue"].as_str()?.parse::<f64>().ok())
                .sum();
            ((rev - 115.0).abs() < 0.001).then_some(())
        }
    })
    .await;
    assert_eq!(
        shopify_webhook(&http, &stack, "refunds/create", "money-refund", &refund).await,
        200
    );

    // Payouts: from the order ledger, line by line.
    let report = eventually(Duration::from_secs(30), "the refund reversed", || {
        let r = http
            .get(format!(
                "{base}/v1/creators/payouts?from={today}&to={tomorrow}"
            ))
            .bearer_auth(&admin);
        async move {
            let v: Value = r.send().await.unwrap().json().await.unwrap();
            let jon = v["rows"]
                .as_array()?
                .iter()
                .find(|r| r["creator_id"] == "cr_money_jon")?
                .clone();
            (jon["attributed_revenue"] == "30.00").then_some(v)
        }
    })
    .await;
    let row = |creator: &str| {
        report["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["creator_id"] == creator)
            .unwrap()
            .clone()
    };
    let maya_row = row("cr_money_maya");
    // Maya: order A's tees (45.00, cost 18.00) and order B's tee (25.00, cost 9.00); 10 % of revenue.
    assert_eq!(
        (
            maya_row["attributed_revenue"].as_str(),
            maya_row["cost"].as_str(),
            maya_row["margin"].as_str(),
            maya_row["payout"].as_str(),
            maya_row["currency"].as_str()
        ),
        (
            Some("70.00"),
            Some("27.00"),
            Some("43.00"),
            Some("7.00"),
            Some("USD")
        )
    );
    // Jon: order C's mugs by code (30.00, cost 8.00); order B's mug came back; 20 % of the margin.
    let jon_row = row("cr_money_jon");
    assert_eq!(
        (
            jon_row["attributed_revenue"].as_str(),
            jon_row["margin"].as_str(),
            jon_row["payout"].as_str(),
            jon_row["commission_basis"].as_str()
        ),
        (Some("30.00"), Some("22.00"), Some("4.40"), Some("margin"))
    );
    // The forged beacon dated tomorrow landed today (on Maya's video, counted for Maya alone) and
    // its session credited nothing: no row exists tomorrow.
    let (_, tomorrows) = call(
        "GET",
        &format!("/v1/analytics/funnel?from={tomorrow}&to={tomorrow}&by=creator"),
        &admin,
        None,
    )
    .await;
    assert_eq!(tomorrows["rows"], json!([]), "{tomorrows}");

    // The consenting shopper's purchase, as the platforms received it — and nothing of the others.
    let got = eventually(
        Duration::from_secs(30),
        "the purchase sent to both platforms",
        || {
            let stack = &stack;
            async move {
                let v = sim_get(stack, "/_sim/conversions").await;
                let mine: Vec<Value> = v["events"]
                    .as_array()?
                    .iter()
                    .filter(|e| {
                        e["event"]["event_id"]
                            .as_str()
                            .is_some_and(|id| id.starts_with("shopify:78000"))
                    })
                    .cloned()
                    .collect();
                (mine.len() >= 2).then_some(mine)
            }
        },
    )
    .await;
    assert!(
        got.iter()
            .all(|e| e["event"]["event_id"] == "shopify:7800002"),
        "{got:?}"
    );
    let meta = got.iter().find(|e| e["platform"] == "meta").unwrap()["event"].clone();
    let tiktok = got.iter().find(|e| e["platform"] == "tiktok").unwrap()["event"].clone();
    println!(
        "Meta CAPI event as received: {meta:#}\nTikTok Events API event as received: {tiktok:#}"
    );
    let u = &meta["user_data"];
    assert_eq!(u["em"][0], sha256_hex("shopper.two@example.com"));
    assert_eq!(u["ph"][0], sha256_hex("14155550100"));
    assert_eq!(u["fn"][0], sha256_hex("sam"));
    assert_eq!(u["ct"][0], sha256_hex("sanfrancisco"));
    assert_eq!(u["zp"][0], sha256_hex("94107"));
    assert_eq!(u["client_ip_address"], "203.0.113.50");
    assert_eq!(
        (meta["event_name"].as_str(), meta["action_source"].as_str()),
        (Some("Purchase"), Some("website"))
    );
    assert_eq!(meta["custom_data"]["value"], 40.0);
    assert_eq!(tiktok["user"]["phone"][0], sha256_hex("+14155550100"));
    assert_eq!(
        tiktok["user"]["email"][0],
        sha256_hex("shopper.two@example.com")
    );
    assert_eq!(
        tiktok["properties"]["contents"].as_array().unwrap().len(),
        2
    );

    // Recomputed from the raw events and the ledgers, the figures are the online ones; an
    // aggregate gone wrong is found and set right.
    let analytics = reelcart_aws::DynamoAnalytics::new(
        aws_sdk_dynamodb::Client::new(&stack.emulator.sdk),
        stack.physical("AnalyticsTable").unwrap(),
    );
    let s3 = reelcart_aws::s3_client(&stack.emulator.sdk, true);
    let bucket = stack.physical("RawEventsBucket").unwrap();
    let days = vec![today.clone()];
    let r = analytics
        .recompute(&s3, bucket, &days, false)
        .await
        .unwrap();
    // Three ledgers credited someone (the forger's order credited nobody: nothing to recompute).
    assert!(r.events >= 4 && r.ledgers == 3, "{r:?}");
    assert_eq!(
        (r.differences.len(), r.payout_differences.len()),
        (0, 0),
        "{r:#?}"
    );
    use reelcart_ports::AnalyticsStore;
    let jon_key = reelcart_domain::attribution::AggKey {
        day: today.clone(),
        ugc_id: "ugc_money_jon".into(),
        placement: "pdp".into(),
        campaign: String::new(),
        creator: "cr_money_jon".into(),
        currency: String::new(),
    };
    analytics
        .add(&[reelcart_domain::attribution::AggDelta {
            key: jon_key.clone(),
            creator_id: Some("cr_money_jon".into()),
            platform: Some("upload".into()),
            counters: reelcart_domain::attribution::Counters {
                views: 500,
                ..Default::default()
            },
        }])
        .await
        .unwrap();
    let r = analytics.recompute(&s3, bucket, &days, true).await.unwrap();
    assert_eq!((r.differences.len(), r.written), (1, 1), "{r:#?}");
    assert_eq!(
        (r.differences[0].key.clone(), r.differences[0].online.views),
        (jon_key, 500)
    );
    let r = analytics
        .recompute(&s3, bucket, &days, false)
        .await
        .unwrap();
    assert!(r.differences.is_empty(), "{r:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tiktok_shop_affiliate_order_is_read_with_the_shops_token_and_credited_apart() {
    use reelcart_domain::connection::OAuthPlatform;
    let stack = start_stack().await;
    stack
        .connect_as_admin(OAuthPlatform::TiktokShop)
        .await
        .unwrap();
    let http = reqwest::Client::new();
    let base = stack.url();
    let maya = stack.token("cr_tts_maya", &["creator"]).unwrap();
    let r = http
        .put(format!("{base}/v1/creators/me"))
        .bearer_auth(&maya)
        .json(&json!({"display_name": "Maya", "handles": {"tiktok": "@maya.makes"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 201);
    let content = DynamoContent::new(
        aws_sdk_dynamodb::Client::new(&stack.emulator.sdk),
        stack.physical("ContentTable").unwrap(),
    );
    let mut video = UgcItem::new(
        Source::Tiktok,
        "7300000000000000042",
        MediaType::Video,
        "",
        now() - 86_400,
    );
    video.author.creator_id = Some("cr_tts_maya".into());
    video.status = Status::Published;
    assert!(content.create_item(&video).await.unwrap());
    // The order, as TikTok Shop's API will answer for it: two tees sold through Maya's video, and
    // a mug nobody promoted.
    // The shop the simulator's consent screen authorizes.
    let shop = "7494000000000000001";
    let order_id = "5764000000000000001";
    let detail = json!({"id": order_id, "status": "AWAITING_SHIPMENT", "create_time": now() - 30,
        "payment": {"currency": "USD", "sub_total": "45.00"},
        "line_items": [
            {"id": "li-1", "product_id": "tts-p1", "sku_id": "tts-s1", "seller_sku": "TEE-M", "sale_price": "18.00"},
            {"id": "li-2", "product_id": "tts-p1", "sku_id": "tts-s1", "seller_sku": "TEE-M", "sale_price": "18.00"},
            {"id": "li-3", "product_id": "tts-p2", "sku_id": "tts-s2", "seller_sku": "MUG", "sale_price": "9.00"}]});
    let seeded = http
        .post(format!("{}/_sim/tiktok-shop/orders", stack.sim_url))
        .json(&json!({"shop_id": shop, "order": detail, "affiliate_skus": [
            {"product_id": "tts-p1", "quantity": 2, "creator_username": "maya.makes", "content_type": "VIDEO",
             "content_id": "7300000000000000042", "commission_rate": 1000}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(seeded.status().as_u16(), 204);
    // The status webhook, signed as TikTok Shop signs it: no amounts in it.
    let body = json!({"type": 1, "tts_notification_id": "7327112393057379001", "shop_id": shop,
        "timestamp": now(), "data": {"order_id": order_id, "order_status": "AWAITING_SHIPMENT",
        "is_on_hold_order": false, "update_time": now()}})
    .to_string();
    let d = reelcart_local::simulator::tiktok_shop(
        reelcart_local::seed::DEMO_TIKTOK_SHOP_APP_KEY,
        reelcart_local::seed::DEMO_TIKTOK_SHOP_APP_SECRET,
        &body,
    );
    assert_eq!(post(&http, &stack, &d).await.0, 200);
    let admin = stack.token("admin", &["admin"]).unwrap();
    let today = day_of(now());
    let row = eventually(
        Duration::from_secs(30),
        "the TikTok Shop order credited",
        || {
            let r = http
                .get(format!(
                    "{base}/v1/analytics/funnel?from={today}&to={today}&by=placement"
                ))
                .bearer_auth(&admin);
            async move {
                let v: Value = r.send().await.unwrap().json().await.unwrap();
                v["rows"]
                    .as_array()?
                    .iter()
                    .find(|r| r["key"] == "tiktok_shop")
                    .cloned()
            }
        },
    )
    .await;
    // Maya's two tees, apart from web orders; the mug is nobody's.
    assert_eq!(
        (row["revenue"].as_str(), row["currency"].as_str()),
        (Some("36.00"), Some("USD"))
    );
    let (s, pay) = {
        let r = http
            .get(format!(
                "{base}/v1/creators/me/payouts?from={today}&to={today}"
            ))
            .bearer_auth(&maya)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json::<Value>().await.unwrap())
    };
    assert_eq!(
        (s, pay["attributed_revenue"].as_str()),
        (200, Some("36.00")),
        "{pay}"
    );
    let (_, by_content) = {
        let r = http
            .get(format!(
                "{base}/v1/analytics/funnel?from={today}&to={today}&by=content"
            ))
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap();
        (0, r.json::<Value>().await.unwrap())
    };
    assert!(
        by_content["rows"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["key"] == video.id.as_str() && r["revenue"] == "36.00"),
        "the video is credited: {by_content}"
    );
}
