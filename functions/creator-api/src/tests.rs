//! The creator API over in-memory ports: onboarding, terms, links, uploads, and that a creator
//! reaches only their own data.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::*;
use reelcart_domain::FixedClock;
use reelcart_domain::catalog::{Money, Product, Variant};
use reelcart_domain::creator::verify_code;
use reelcart_lambda::router::HttpApi;
use reelcart_lambda::testing::api_request;

use reelcart_ports::ItemStore;
use reelcart_ports::memory::{
    MemoryAnalytics, MemoryCatalog, MemoryContent, MemoryCreators, MemoryMediaRecords,
};
use serde_json::json;

const NOW: i64 = 1_795_676_400;

struct FakePresigner;

impl Presigner for FakePresigner {
    async fn presign(&self, policy: &PostPolicy, now: i64) -> PortResult<PostUpload> {
        let signer = reelcart_aws::presign::Signer {
            access_key_id: "AKIDEXAMPLE".into(),
            secret_access_key: "secret".to_string().into(),
            session_token: None,
            region: "us-east-1".into(),
        };
        Ok(reelcart_aws::presign::sign_post(
            policy,
            &signer,
            "https://raw.s3.us-east-1.amazonaws.com",
            now,
        ))
    }

    async fn media_link(&self, key: &str) -> PortResult<String> {
        Ok(format!("https://media.s3.example/{key}?signed"))
    }
}

/// The store: codes it holds (a clash on `TAKEN…`), or not configured.
#[derive(Default)]
struct FakeStore {
    configured: bool,
    created: std::sync::Mutex<Vec<(String, u32)>>,
}

impl StoreDiscounts for FakeStore {
    async fn create_code(&self, c: &NewCode<'_>) -> Result<String, DiscountError> {
        if !self.configured {
            return Err(DiscountError::Unavailable);
        }
        let mut created = self.created.lock().unwrap();
        if created.iter().any(|(code, _)| code == c.code) {
            return Err(DiscountError::Taken);
        }
        created.push((c.code.to_string(), c.percent));
        Ok(format!("rule-{}", created.len()))
    }
}

/// Codes made at once (the approval flow has its own test).
const CODE_RULES: CodeRules = CodeRules {
    approval: false,
    days: 90,
    usage_limit: 1000,
};

type Test = Arc<TestApi>;
type TestApi = CreatorApi<
    MemoryCreators,
    MemoryCatalog,
    FakePresigner,
    MemoryAnalytics,
    MemoryContent,
    MemoryMediaRecords,
    FakeStore,
>;

async fn api() -> Test {
    api_with(CODE_RULES).await
}

async fn api_with(codes: CodeRules) -> Test {
    let catalog = MemoryCatalog::default();
    catalog
        .put_products(&[Product {
            id: "p1".into(),
            title: "Tee".into(),
            description: String::new(),
            brand: None,
            link: "https://shop.example/products/tee".into(),
            images: vec![],
            variants: vec![Variant {
                id: "v1".into(),
                sku: "TEE-1".into(),
                options: vec![],
                price: Money {
                    amount: rust_decimal::Decimal::new(2999, 2),
                    currency: "USD".into(),
                },
                unit_cost: None,
                compare_at_price: None,
                inventory: 3,
                continue_selling: false,
                gtin: None,
                mpn: None,
                image: None,
                weight: None,
            }],
            status: ProductStatus::Active,
            tiktok_category_id: None,
            updated_at: 0,
        }])
        .await
        .unwrap();
    Arc::new(CreatorApi {
        creators: MemoryCreators::default(),
        catalog,
        presigner: FakePresigner,
        analytics: MemoryAnalytics::default(),
        content: MemoryContent::default(),
        media: MemoryMediaRecords::default(),
        discounts: FakeStore {
            configured: true,
            ..FakeStore::default()
        },
        config: Config {
            terms_version: "2026-11".into(),
            terms_url: "https://acme.example/creator-terms".into(),
            default_commission: rust_decimal::Decimal::new(12, 2),
            link_keys: Arc::new(reelcart_lambda::keyring::KeyRing::fixed(vec![
                secrecy::SecretString::from("a-link-signing-key-of-enough-length!!".to_string()),
            ])),
            link_base: "https://r.acme.example".into(),
            raw_bucket: "raw".into(),
            max_upload_bytes: 100_000_000,
            uploads_per_day: 3,
            discount_percent: 10,
            codes,
        },
        clock: Arc::new(FixedClock::at(NOW)),
    })
}

/// Deltas written as the collector writes them: the beacons' counters added, and the orders and
/// revenue as an order's ledger of each delta's day (its credit, its creator's ledger entry:
/// what payouts read).
async fn credit(api: &Test, deltas: &[reelcart_domain::attribution::AggDelta]) {
    use reelcart_domain::attribution::{
        AggDelta, Counters, Credit, Ledger, Order, Via, orders::rfc3339,
    };
    for d in deltas {
        let beacons = AggDelta {
            counters: Counters {
                orders_milli: 0,
                revenue_cents: 0,
                ..d.counters
            },
            ..d.clone()
        };
        api.analytics.add(&[beacons]).await.unwrap();
        if d.counters.orders_milli == 0 && d.counters.revenue_cents == 0 {
            continue;
        }
        let order = Order {
            id: format!("shopify:{}", uuid::Uuid::new_v4().simple()),
            placed_at: rfc3339(&format!("{}T12:00:00Z", d.key.day)).unwrap(),
            total_cents: d.counters.revenue_cents,
            currency: "USD".into(),
            token: None,
            discount_codes: vec![],
            lines: vec![],
            channel: None,
        };
        let credit = Credit {
            ugc_id: Some(d.key.ugc_id.clone()).filter(|u| !u.is_empty()),
            creator_id: d.creator_id.clone(),
            platform: d.platform.clone(),
            placement: d.key.placement.clone(),
            campaign: Some(d.key.campaign.clone()).filter(|c| !c.is_empty()),
            line_id: String::new(),
            orders_milli: d.counters.orders_milli,
            revenue_cents: d.counters.revenue_cents,
            cost_cents: None,
            via: Via::Code {
                code: "TEST".into(),
            },
        };
        let ledger = Ledger::new(order, vec![credit]);
        assert!(
            api.analytics
                .apply_order(&ledger, 0, &ledger.credits)
                .await
                .unwrap()
        );
    }
}

async fn call(
    api: &Test,
    method: &str,
    path: &str,
    who: Option<(&str, &str)>,
    body: Option<Value>,
) -> (u16, Value, String) {
    let bytes = body.map(|b| b.to_string().into_bytes());
    let resp = api
        .handle(api_request(method, path, who, &[], bytes.as_deref()))
        .await;
    let status = resp.status().as_u16();
    let text = String::from_utf8_lossy(resp.body().as_ref()).to_string();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::Null),
        text,
    )
}

const ANA: Option<(&str, &str)> = Some(("cr_ana", "[creator]"));
const BEN: Option<(&str, &str)> = Some(("cr_ben", "[creator]"));

#[tokio::test]
async fn a_creator_onboards_accepts_the_terms_links_and_uploads() {
    let api = api().await;
    let (s, out, _) = call(&api, "GET", "/v1/creators/me", ANA, None).await;
    assert_eq!(
        (s, out["error"]["code"].as_str()),
        (404, Some("not_onboarded"))
    );
    let profile = json!({"display_name": "Ana", "handles": {"Instagram": "@ana.wears"}, "payout": {"iban": "DE89370400440532013000"}});
    let (s, out, text) = call(&api, "PUT", "/v1/creators/me", ANA, Some(profile)).await;
    assert_eq!(s, 201, "{out}");
    assert_eq!(out["creator"]["handles"]["instagram"], "ana.wears");
    assert_eq!(out["creator"]["commission_rate"], 0.12);
    assert_eq!(out["creator"]["payout_fields"], json!(["iban"]));
    assert!(!text.contains("DE89"), "payout details are never returned");
    assert_eq!(out["terms"]["accepted"], false);

    // Uploading needs the current terms.
    let up = json!({"content_type": "video/mp4", "caption": "try-on"});
    let (s, out, _) = call(
        &api,
        "POST",
        "/v1/creators/me/uploads",
        ANA,
        Some(up.clone()),
    )
    .await;
    assert_eq!(
        (s, out["error"]["code"].as_str()),
        (403, Some("terms_required"))
    );
    let (s, _, _) = call(
        &api,
        "POST",
        "/v1/creators/me/terms",
        ANA,
        Some(json!({"version": "2025-01"})),
    )
    .await;
    assert_eq!(s, 409);
    let (s, out, _) = call(
        &api,
        "POST",
        "/v1/creators/me/terms",
        ANA,
        Some(json!({"version": "2026-11"})),
    )
    .await;
    assert_eq!((s, out["terms"]["accepted"].as_bool()), (200, Some(true)));
    let (s, out, _) = call(&api, "POST", "/v1/creators/me/uploads", ANA, Some(up)).await;
    assert_eq!(s, 201, "{out}");
    let key = out["key"].as_str().unwrap();
    assert!(key.starts_with("uploads/cr_ana/up") && key.ends_with(".mp4"));
    let fields = &out["form"]["fields"];
    assert_eq!(fields["x-amz-meta-terms-version"], "2026-11");
    assert_eq!(fields["x-amz-meta-accepted-at"], NOW.to_string());
    assert_eq!(fields["Content-Type"], "video/mp4");
    let (s, _, _) = call(
        &api,
        "POST",
        "/v1/creators/me/uploads",
        ANA,
        Some(json!({"content_type": "text/html"})),
    )
    .await;
    assert_eq!(s, 422);
    // Three uploads a day here (a refused one took none): the fourth waits for tomorrow.
    let up = json!({"content_type": "video/mp4", "caption": "again"});
    for _ in 0..2 {
        let (s, out, _) = call(
            &api,
            "POST",
            "/v1/creators/me/uploads",
            ANA,
            Some(up.clone()),
        )
        .await;
        assert_eq!(s, 201, "{out}");
    }
    let (s, out, _) = call(
        &api,
        "POST",
        "/v1/creators/me/uploads",
        ANA,
        Some(up.clone()),
    )
    .await;
    assert_eq!(
        (s, out["error"]["code"].as_str()),
        (429, Some("upload_quota")),
        "{out}"
    );
    let resp = api
        .handle(api_request(
            "POST",
            "/v1/creators/me/uploads",
            ANA,
            &[],
            Some(up.to_string().as_bytes()),
        ))
        .await;
    assert_eq!(resp.status().as_u16(), 429);
    let retry: i64 = resp.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=86_400).contains(&retry), "{retry}");

    // Links to catalog products only; the code verifies with the brand's key.
    let (s, out, _) = call(
        &api,
        "POST",
        "/v1/creators/me/links",
        ANA,
        Some(json!({"sku": "NOPE-1"})),
    )
    .await;
    assert_eq!(
        (s, out["error"]["code"].as_str()),
        (422, Some("unknown_sku"))
    );
    let (s, out, _) = call(
        &api,
        "POST",
        "/v1/creators/me/links",
        ANA,
        Some(json!({"sku": "TEE-1", "campaign": "fall"})),
    )
    .await;
    assert_eq!(s, 201, "{out}");
    let code = out["code"].as_str().unwrap();
    assert_eq!(out["url"], format!("https://r.acme.example/r/{code}"));
    assert_eq!(out["link"]["target"], "https://shop.example/products/tee");
    assert_eq!(
        verify_code(&api.config.link_keys.keys(), code).as_deref(),
        out["link"]["id"].as_str()
    );
}

#[tokio::test]
async fn a_creator_reaches_only_their_own_data() {
    let api = api().await;
    for who in [ANA, BEN] {
        let name = who.unwrap().0;
        call(
            &api,
            "PUT",
            "/v1/creators/me",
            who,
            Some(json!({"display_name": name})),
        )
        .await;
    }
    call(
        &api,
        "POST",
        "/v1/creators/me/links",
        ANA,
        Some(json!({"sku": "TEE-1"})),
    )
    .await;
    let (_, ben_links, _) = call(&api, "GET", "/v1/creators/me/links", BEN, None).await;
    assert_eq!(ben_links["links"], json!([]));
    let (_, ana_links, _) = call(&api, "GET", "/v1/creators/me/links", ANA, None).await;
    assert_eq!(ana_links["links"].as_array().unwrap().len(), 1);
    let (_, ben, _) = call(&api, "GET", "/v1/creators/me", BEN, None).await;
    assert_eq!(ben["creator"]["id"], "cr_ben");
    // No route names another creator: every such path is unknown.
    for path in [
        "/v1/creators/cr_ana",
        "/v1/creators/cr_ana/links",
        "/v1/creators/me/../cr_ana/links",
    ] {
        assert_eq!(call(&api, "GET", path, BEN, None).await.0, 404, "{path}");
    }
    // Every route × no token, wrong role, right role.
    for (method, path, body) in [
        ("GET", "/v1/creators/me", None),
        ("PUT", "/v1/creators/me", Some(json!({"display_name": "x"}))),
        (
            "POST",
            "/v1/creators/me/terms",
            Some(json!({"version": "2026-11"})),
        ),
        ("GET", "/v1/creators/me/links", None),
        (
            "POST",
            "/v1/creators/me/links",
            Some(json!({"sku": "TEE-1"})),
        ),
        (
            "POST",
            "/v1/creators/me/uploads",
            Some(json!({"content_type": "video/mp4"})),
        ),
        ("GET", "/v1/creators/me/dashboard", None),
        ("GET", "/v1/creators/me/payouts", None),
        ("GET", "/v1/creators/me/codes", None),
        ("POST", "/v1/creators/me/codes", Some(json!({}))),
        ("GET", "/v1/creators/me/submissions", None),
        ("GET", "/v1/creators/me/calendar", None),
        ("GET", "/v1/creators/me/product-requests", None),
        (
            "POST",
            "/v1/creators/me/product-requests",
            Some(json!({"sku": "TEE-1"})),
        ),
    ] {
        assert_eq!(
            call(&api, method, path, None, body.clone()).await.0,
            401,
            "{method} {path}"
        );
        assert_eq!(
            call(
                &api,
                method,
                path,
                Some(("mod", "[moderator]")),
                body.clone()
            )
            .await
            .0,
            403,
            "{method} {path}"
        );
        let s = call(&api, method, path, BEN, body).await.0;
        assert!((200..300).contains(&s), "{method} {path}: {s}");
    }
}

#[test]
fn link_keys_come_from_their_secret() {
    assert_eq!(
        link_keys(r#"{"link_key":"0123456789abcdef0123456789abcdef"}"#)
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        link_keys(r#"{"link_keys":["0123456789abcdef0123456789abcdef","fedcba9876543210fedcba9876543210"]}"#)
            .unwrap()
            .len(),
        2
    );
    assert!(link_keys(r#"{"link_key":"short"}"#).is_err());
    assert!(link_keys("{}").is_err());
}

#[tokio::test]
async fn the_dashboard_and_payouts_count_only_the_callers_results() {
    use reelcart_domain::attribution::{AggDelta, AggKey, Counters};
    let api = api().await;
    for who in [ANA, BEN] {
        call(
            &api,
            "PUT",
            "/v1/creators/me",
            who,
            Some(json!({"display_name": "x"})),
        )
        .await;
    }
    let delta = |creator: &str, day: &str, ugc: &str, c: Counters| AggDelta {
        key: AggKey {
            day: day.into(),
            ugc_id: ugc.into(),
            placement: "pdp".into(),
            campaign: "fall".into(),
            creator: creator.into(),
            currency: String::new(),
        },
        creator_id: Some(creator.into()),
        platform: Some("upload".into()),
        counters: c,
    };
    credit(
        &api,
        &[
            delta(
                "cr_ana",
                "2026-11-26",
                "ugc_a",
                Counters {
                    impressions: 100,
                    views: 50,
                    clicks: 10,
                    add_to_carts: 4,
                    orders_milli: 2000,
                    revenue_cents: 10_000,
                    ..Counters::default()
                },
            ),
            delta(
                "cr_ana",
                "2026-11-20",
                "ugc_b",
                Counters {
                    views: 10,
                    ..Counters::default()
                },
            ),
            delta(
                "cr_ben",
                "2026-11-26",
                "ugc_c",
                Counters {
                    views: 999,
                    orders_milli: 9000,
                    revenue_cents: 99_900,
                    ..Counters::default()
                },
            ),
        ],
    )
    .await;
    let (s, out, _) = call(&api, "GET", "/v1/creators/me/dashboard", ANA, None).await;
    assert_eq!(s, 200, "{out}");
    assert_eq!(out["totals"]["views"], 60);
    assert_eq!(out["totals"]["orders"], 2.0);
    assert_eq!(out["totals"]["revenue"], "100.00");
    assert_eq!(out["by_content"].as_array().unwrap().len(), 2);
    assert_eq!(out["by_campaign"][0]["key"], "fall");
    assert_eq!(out["daily"].as_array().unwrap().len(), 30);
    assert!(out["chart_svg"].as_str().unwrap().starts_with("<svg"));
    let (_, week, _) = call(&api, "GET", "/v1/creators/me/dashboard?days=3", ANA, None).await;
    assert_eq!(week["totals"]["views"], 50);
    assert_eq!(
        call(&api, "GET", "/v1/creators/me/dashboard?days=500", ANA, None)
            .await
            .0,
        422
    );
    // Payouts: Ana's revenue × her 12 %, never Ben's.
    let (s, out, _) = call(
        &api,
        "GET",
        "/v1/creators/me/payouts?from=2026-11-01&to=2026-11-30",
        ANA,
        None,
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(
        (out["attributed_revenue"].as_str(), out["payout"].as_str()),
        (Some("100.00"), Some("12.00"))
    );
    let (_, _, csv) = call(
        &api,
        "GET",
        "/v1/creators/me/payouts?from=2026-11-01&to=2026-11-30&format=csv",
        ANA,
        None,
    )
    .await;
    assert_eq!(
        csv,
        "creator_id,from,to,currency,orders,attributed_revenue,cost,margin,uncosted_revenue,commission_rate,commission_basis,payout\r\ncr_ana,2026-11-01,2026-11-30,USD,2,100.00,0.00,0.00,100.00,0.12,revenue,12.00\r\n"
    );
}

const ADMIN: Option<(&str, &str)> = Some(("brand_admin", "[admin]"));

async fn onboard(api: &Test, who: Option<(&str, &str)>, name: &str) {
    let (s, out, _) = call(
        api,
        "PUT",
        "/v1/creators/me",
        who,
        Some(json!({"display_name": name})),
    )
    .await;
    assert!(s == 201 || s == 200, "{out}");
}

#[tokio::test]
async fn discount_codes_are_created_in_the_store_and_matched_on_orders() {
    let api = api().await;
    onboard(&api, ANA, "Ana Wears").await;
    let (s, out, _) = call(
        &api,
        "POST",
        "/v1/creators/me/codes",
        ANA,
        Some(json!({"campaign": "launch"})),
    )
    .await;
    assert_eq!(s, 201, "{out}");
    let code = out["code"]["code"].as_str().unwrap().to_string();
    assert!(code.starts_with("ANAWEARS10-"), "{code}");
    assert_eq!(out["code"]["percent"], 10);
    assert_eq!(out["code"]["campaign"], "launch");
    // In the store, and where order attribution looks codes up.
    assert_eq!(
        api.discounts.created.lock().unwrap().as_slice(),
        [(code.clone(), 10)]
    );
    let known = api.analytics.creator_codes().await.unwrap();
    assert!(
        known
            .iter()
            .any(|c| c.code == code && c.creator_id == "cr_ana")
    );
    let (_, mine, _) = call(&api, "GET", "/v1/creators/me/codes", ANA, None).await;
    assert_eq!(mine["codes"][0]["code"], code.as_str());
    onboard(&api, BEN, "Ben").await;
    let (_, bens, _) = call(&api, "GET", "/v1/creators/me/codes", BEN, None).await;
    assert_eq!(bens["codes"], json!([]));
    // Not onboarded, bad campaign, and a store that is not configured.
    let nobody = Some(("cr_new", "[creator]"));
    assert_eq!(
        call(
            &api,
            "POST",
            "/v1/creators/me/codes",
            nobody,
            Some(json!({}))
        )
        .await
        .0,
        404
    );
    assert_eq!(
        call(
            &api,
            "POST",
            "/v1/creators/me/codes",
            ANA,
            Some(json!({"campaign": "no spaces"}))
        )
        .await
        .0,
        422
    );
    let mut bare = self::api().await;
    Arc::get_mut(&mut bare).unwrap().discounts = FakeStore::default();
    onboard(&bare, ANA, "Ana").await;
    let (s, out, _) = call(&bare, "POST", "/v1/creators/me/codes", ANA, Some(json!({}))).await;
    assert_eq!(
        (s, out["error"]["code"].as_str()),
        (503, Some("codes_unavailable"))
    );
}

#[tokio::test]
async fn submissions_and_the_calendar_show_only_the_creators_items() {
    use reelcart_domain::content::{Author, MediaType, Source, Status, UgcItem};
    let api = api().await;
    onboard(&api, ANA, "Ana").await;
    onboard(&api, BEN, "Ben").await;
    let item = |creator: &str, n: i64, status: Status, publish_at: Option<i64>| {
        let mut i = UgcItem::new(
            Source::Upload,
            &format!("{creator}/up{n}"),
            MediaType::Video,
            &format!("clip {n}"),
            NOW - 1000 + n,
        );
        i.author = Author {
            handle: None,
            creator_id: Some(creator.into()),
        };
        i.status = status;
        i.publish_at = publish_at;
        i.updated_at = NOW - 500 + n;
        i
    };
    let items = [
        item("cr_ana", 1, Status::Queued, None),
        item("cr_ana", 2, Status::Approved, Some(NOW + 2 * 86_400)),
        item("cr_ana", 3, Status::Published, None),
        item("cr_ben", 4, Status::Published, None),
    ];
    for i in &items {
        assert!(api.content.create_item(i).await.unwrap());
    }
    let record = reelcart_domain::video::MediaRecord::attempt(
        items[0].id.clone(),
        reelcart_domain::video::SourceRef {
            bucket: "raw".into(),
            key: "uploads/cr_ana/up1.mp4".into(),
            etag: "e1".into(),
        },
        1,
        NOW + 600,
        NOW,
    );
    assert!(api.media.begin(&record, NOW).await.unwrap());

    let (s, out, _) = call(&api, "GET", "/v1/creators/me/submissions", ANA, None).await;
    assert_eq!(s, 200, "{out}");
    let subs = out["submissions"].as_array().unwrap();
    let ids: Vec<&str> = subs
        .iter()
        .map(|x| x["item_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [&items[2].id, &items[1].id, &items[0].id],
        "newest first"
    );
    assert_eq!(subs[2]["status"], "queued");
    assert_eq!(subs[2]["media"], "transcoding");
    assert_eq!(subs[0]["media"], Value::Null);
    let (_, ben, _) = call(&api, "GET", "/v1/creators/me/submissions", BEN, None).await;
    assert_eq!(ben["submissions"].as_array().unwrap().len(), 1);
    assert_eq!(ben["submissions"][0]["item_id"], items[3].id.as_str());

    // November 2026: the published item on its day, the approved one where it is scheduled.
    let (s, cal, _) = call(
        &api,
        "GET",
        "/v1/creators/me/calendar?month=2026-11",
        ANA,
        None,
    )
    .await;
    assert_eq!(s, 200, "{cal}");
    let days = cal["days"].as_array().unwrap();
    assert_eq!(days.len(), 30);
    let entries: Vec<(String, String)> = days
        .iter()
        .flat_map(|d| {
            d["entries"].as_array().unwrap().iter().map(move |e| {
                (
                    d["date"].as_str().unwrap().to_string(),
                    e["kind"].as_str().unwrap().to_string(),
                )
            })
        })
        .collect();
    let today = reelcart_domain::attribution::day_of(NOW);
    let later = reelcart_domain::attribution::day_of(NOW + 2 * 86_400);
    assert_eq!(
        entries,
        [
            (today, "published".to_string()),
            (later, "scheduled".to_string())
        ]
    );
    let (_, feb, _) = call(
        &api,
        "GET",
        "/v1/creators/me/calendar?month=2028-02",
        ANA,
        None,
    )
    .await;
    assert_eq!(feb["days"].as_array().unwrap().len(), 29, "a leap year");
    for bad in ["2026-13", "2026-1", "nov"] {
        assert_eq!(
            call(
                &api,
                "GET",
                &format!("/v1/creators/me/calendar?month={bad}"),
                ANA,
                None
            )
            .await
            .0,
            422,
            "{bad}"
        );
    }
}

#[tokio::test]
async fn product_requests_go_to_the_brand_and_back() {
    let api = api().await;
    onboard(&api, ANA, "Ana").await;
    let (s, out, _) = call(
        &api,
        "POST",
        "/v1/creators/me/product-requests",
        ANA,
        Some(json!({"sku": "TEE-1", "note": "size M for a try-on"})),
    )
    .await;
    assert_eq!(s, 201, "{out}");
    assert_eq!(out["request"]["product_title"], "Tee");
    assert_eq!(out["request"]["status"], "requested");
    let id = out["request"]["id"].as_str().unwrap().to_string();
    assert_eq!(
        call(
            &api,
            "POST",
            "/v1/creators/me/product-requests",
            ANA,
            Some(json!({"sku": "NOPE"}))
        )
        .await
        .0,
        422
    );
    // The brand sees it, approves, ships; a shipped request cannot be declined.
    let (s, all, _) = call(
        &api,
        "GET",
        "/v1/creators/product-requests?status=requested",
        ADMIN,
        None,
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(all["requests"][0]["id"], id.as_str());
    let decide = |status: &str| json!({"status": status, "note": format!("{status} by the brand")});
    let path = format!("/v1/creators/product-requests/cr_ana/{id}");
    let (s, out, _) = call(&api, "POST", &path, ADMIN, Some(decide("approved"))).await;
    assert_eq!(
        (s, out["request"]["status"].as_str()),
        (200, Some("approved"))
    );
    let (s, _, _) = call(&api, "POST", &path, ADMIN, Some(decide("shipped"))).await;
    assert_eq!(s, 200);
    let (s, out, _) = call(&api, "POST", &path, ADMIN, Some(decide("declined"))).await;
    assert_eq!(
        (s, out["error"]["code"].as_str()),
        (409, Some("illegal_transition"))
    );
    let (_, mine, _) = call(&api, "GET", "/v1/creators/me/product-requests", ANA, None).await;
    assert_eq!(mine["requests"][0]["status"], "shipped");
    assert_eq!(mine["requests"][0]["decision_note"], "shipped by the brand");
    // Another creator's id in the path is the brand's route: creators get 403 there.
    assert_eq!(
        call(&api, "POST", &path, BEN, Some(decide("declined")))
            .await
            .0,
        403
    );
    let missing = "/v1/creators/product-requests/cr_ana/pr_nope";
    assert_eq!(
        call(&api, "POST", missing, ADMIN, Some(decide("approved")))
            .await
            .0,
        404
    );
    // At most five waiting at once.
    for n in 0..5 {
        let s = call(
            &api,
            "POST",
            "/v1/creators/me/product-requests",
            ANA,
            Some(json!({"sku": "TEE-1", "note": format!("{n}")})),
        )
        .await
        .0;
        assert_eq!(s, if n < 5 { 201 } else { 409 });
    }
    let (s, out, _) = call(
        &api,
        "POST",
        "/v1/creators/me/product-requests",
        ANA,
        Some(json!({"sku": "TEE-1"})),
    )
    .await;
    assert_eq!(
        (s, out["error"]["code"].as_str()),
        (409, Some("too_many_requests"))
    );
}

#[tokio::test]
async fn the_brand_reports_every_creators_payout_and_only_admins_may() {
    use reelcart_domain::attribution::{AggDelta, AggKey, Counters};
    let api = api().await;
    onboard(&api, ANA, "Ana").await;
    onboard(&api, BEN, "=Ben, \"the\" maker").await;
    let delta = |creator: &str, cents: i64| AggDelta {
        key: AggKey {
            day: "2026-11-26".into(),
            ugc_id: format!("ugc_{creator}"),
            placement: "pdp".into(),
            campaign: String::new(),
            creator: creator.into(),
            currency: String::new(),
        },
        creator_id: Some(creator.into()),
        platform: None,
        counters: Counters {
            orders_milli: 1000,
            revenue_cents: cents,
            ..Counters::default()
        },
    };
    credit(&api, &[delta("cr_ana", 10_000), delta("cr_ben", 2_550)]).await;
    let q = "/v1/creators/payouts?from=2026-11-01&to=2026-11-30";
    let (s, out, _) = call(&api, "GET", q, ADMIN, None).await;
    assert_eq!(s, 200, "{out}");
    assert_eq!(out["rows"][0]["creator_id"], "cr_ana");
    assert_eq!(out["rows"][0]["payout"], "12.00");
    assert_eq!(out["rows"][1]["payout"], "3.06");
    assert_eq!(out["totals"]["attributed_revenue"], "125.50");
    assert_eq!(out["totals"]["payout"], "15.06");
    let (s, _, csv) = call(&api, "GET", &format!("{q}&format=csv"), ADMIN, None).await;
    assert_eq!(s, 200);
    let lines: Vec<&str> = csv.split("\r\n").collect();
    assert_eq!(
        lines[0],
        "creator_id,display_name,from,to,currency,orders,attributed_revenue,cost,margin,uncosted_revenue,commission_rate,commission_basis,payout"
    );
    assert_eq!(
        lines[2],
        "cr_ben,\"'=Ben, \"\"the\"\" maker\",2026-11-01,2026-11-30,USD,1,25.50,0.00,0.00,25.50,0.12,revenue,3.06",
        "quoted, and the formula defused"
    );
    let (_, list, _) = call(&api, "GET", "/v1/creators", ADMIN, None).await;
    assert_eq!(list["creators"].as_array().unwrap().len(), 2);
    assert!(!list.to_string().contains("payout\""));
    // Every brand route × no token, a creator, a moderator, an admin.
    for (method, path, body) in [
        ("GET", "/v1/creators", None),
        ("GET", "/v1/creators/payouts", None),
        ("GET", "/v1/creators/product-requests", None),
        (
            "POST",
            "/v1/creators/product-requests/cr_ana/pr_x",
            Some(json!({"status": "approved"})),
        ),
    ] {
        assert_eq!(call(&api, method, path, None, body.clone()).await.0, 401);
        for who in [ANA, Some(("mod", "[moderator]"))] {
            assert_eq!(
                call(&api, method, path, who, body.clone()).await.0,
                403,
                "{method} {path}"
            );
        }
        let s = call(&api, method, path, ADMIN, body).await.0;
        assert!(s == 200 || s == 404, "{method} {path}: {s}");
    }
}

/// `revenue × rate` in whole cents, as a payout rounds it.
fn commission_cents(revenue_cents: i64, rate: rust_decimal::Decimal) -> i64 {
    reelcart_domain::attribution::payout::round_cents(
        rust_decimal::Decimal::from(revenue_cents) * rate,
    )
}

#[test]
fn commissions_round_half_away_from_zero_in_whole_cents() {
    assert_eq!(
        commission_cents(100, "0.145".parse().unwrap()),
        15,
        "0.145 × 100 is 14.5 cents"
    );
    assert_eq!(
        commission_cents(50, "0.29".parse().unwrap()),
        15,
        "0.29 × 50 is 14.5 cents"
    );
    assert_eq!(commission_cents(2_550, "0.12".parse().unwrap()), 306);
    assert_eq!(
        commission_cents(-100, "0.145".parse().unwrap()),
        -15,
        "a refund reverses it exactly"
    );
    assert_eq!(commission_cents(0, "0.5".parse().unwrap()), 0);
    assert_eq!(commission_cents(999_999, "1.0".parse().unwrap()), 999_999);
}

#[tokio::test]
async fn a_code_is_claimed_before_the_store_makes_it_and_released_if_it_does_not() {
    let mut api = self::api().await;
    onboard(&api, ANA, "Ana").await;
    // A code recorded for one creator is never taken by another.
    let (s, out, _) = call(&api, "POST", "/v1/creators/me/codes", ANA, None).await;
    assert_eq!(s, 201, "an empty body is no campaign: {out}");
    let code = out["code"]["code"].as_str().unwrap().to_string();
    assert_eq!(out["code"]["store_id"], "rule-1");
    let mut stolen = api
        .analytics
        .creator_codes()
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.code == code)
        .unwrap();
    stolen.creator_id = "cr_ben".into();
    assert!(!api.analytics.insert_creator_code(&stolen).await.unwrap());
    // The store fails: nothing stays recorded.
    Arc::get_mut(&mut api).unwrap().discounts = FakeStore::default();
    let before = api.analytics.creator_codes().await.unwrap().len();
    let (s, _, _) = call(&api, "POST", "/v1/creators/me/codes", ANA, Some(json!({}))).await;
    assert_eq!(s, 503);
    assert_eq!(api.analytics.creator_codes().await.unwrap().len(), before);
}

#[tokio::test]
async fn every_route_is_reached_by_its_own_path_and_nothing_else_is_a_route() {
    let api = api().await;
    // Without a token each route answers 401: it exists (an unknown one is 404 or 405 first).
    for (method, pattern) in crate::routes() {
        let path = pattern
            .replace("{creator_id}", "cr_ana")
            .replace("{request_id}", "pr_1");
        for p in [path.clone(), format!("{path}/")] {
            let (status, body, _) = call(&api, method.as_str(), &p, None, None).await;
            assert_eq!(status, 401, "{method} {p}: {body}");
        }
    }
    for (method, path, want) in [
        ("DELETE", "/v1/creators/me", 405),
        ("GET", "/v1/creators/me/terms", 405),
        ("GET", "/v1/creators/cr_ana", 404),
        ("GET", "/v1/creators/me/../cr_ana/links", 404),
        ("GET", "/v1/creators/me//links", 404),
        ("GET", "/v1/creators/mex", 404),
        ("GET", "/v1/creatorsx", 404),
        ("GET", "/v1/creators/product-requests/cr_ana/pr_1", 405),
        ("POST", "/v1/creators/product-requests/cr_ana", 404),
        ("POST", "/v1/creators/product-requests//pr_1", 404),
        ("POST", "/v1/creators/product-requests/cr_ana/pr_1/x", 404),
        ("GET", "/", 404),
    ] {
        let (status, body, _) = call(&api, method, path, Some(("cr_ana", "[creator]")), None).await;
        assert_eq!(status, want, "{method} {path}: {body}");
        let code = if want == 404 {
            "not_found"
        } else {
            "method_not_allowed"
        };
        assert_eq!(body["error"]["code"], code, "{method} {path}");
    }
}

#[tokio::test]
async fn the_brand_pays_a_share_of_margin_set_per_creator_and_campaign() {
    use reelcart_domain::attribution::{Credit, Ledger, Order, Via, orders::rfc3339};
    let api = api().await;
    onboard(&api, ANA, "Ana").await;
    // Only admins set commissions, with rates from 0 to 1.
    let body = json!({"rate": 0.2, "basis": "margin", "campaigns": {"fall": {"rate": 0.05}}});
    let path = "/v1/creators/cr_ana/commission";
    assert_eq!(
        call(&api, "PUT", path, ANA, Some(body.clone())).await.0,
        403
    );
    let bad = json!({"rate": 1.5});
    assert_eq!(call(&api, "PUT", path, ADMIN, Some(bad)).await.0, 422);
    let (s, _, _) = call(
        &api,
        "PUT",
        "/v1/creators/nobody/commission",
        ADMIN,
        Some(body.clone()),
    )
    .await;
    assert_eq!(s, 404);
    let (s, out, _) = call(&api, "PUT", path, ADMIN, Some(body)).await;
    assert_eq!((s, out["commission_basis"].as_str()), (200, Some("margin")));
    // An order of two lines credited to Ana: 60.00 (cost 25.00) by content, and 40.00 (cost
    // unknown) by her code of the `fall` campaign.
    let credit = |line: &str, revenue: i64, cost: Option<i64>, campaign: Option<&str>| Credit {
        ugc_id: None,
        creator_id: Some("cr_ana".into()),
        platform: None,
        placement: "pdp".into(),
        campaign: campaign.map(str::to_string),
        line_id: line.into(),
        orders_milli: 500,
        revenue_cents: revenue,
        cost_cents: cost,
        via: Via::Code { code: "ANA".into() },
    };
    let order = Order {
        id: "shopify:m1".into(),
        placed_at: rfc3339("2026-11-20T10:00:00Z").unwrap(),
        total_cents: 10_000,
        currency: "EUR".into(),
        token: None,
        discount_codes: vec![],
        lines: vec![],
        channel: None,
    };
    let ledger = Ledger::new(
        order,
        vec![
            credit("1", 6_000, Some(2_500), None),
            credit("2", 4_000, None, Some("fall")),
        ],
    );
    assert!(
        api.analytics
            .apply_order(&ledger, 0, &ledger.credits)
            .await
            .unwrap()
    );
    let (s, out, _) = call(
        &api,
        "GET",
        "/v1/creators/me/payouts?from=2026-11-01&to=2026-11-30",
        ANA,
        None,
    )
    .await;
    assert_eq!(s, 200);
    // 20 % of the 35.00 margin; 5 % of the fall code's 40.00 revenue.
    assert_eq!(
        (
            out["currency"].as_str(),
            out["attributed_revenue"].as_str(),
            out["margin"].as_str(),
            out["uncosted_revenue"].as_str(),
            out["payout"].as_str()
        ),
        (
            Some("EUR"),
            Some("100.00"),
            Some("35.00"),
            Some("40.00"),
            Some("9.00")
        )
    );
}

/// With approval (the template's default), a creator's code waits for the brand: nothing is
/// made in the store, and orders cannot credit it, until an admin approves it; then it is made
/// with the brand's end date and usage limit. A declined code stays out of the store.
#[tokio::test]
async fn a_requested_code_is_made_in_the_store_only_once_the_brand_approves_it() {
    let api = api_with(CodeRules {
        approval: true,
        days: 30,
        usage_limit: 50,
    })
    .await;
    onboard(&api, ANA, "Ana Wears").await;
    let (s, out, _) = call(&api, "POST", "/v1/creators/me/codes", ANA, None).await;
    assert_eq!(s, 201, "{out}");
    assert_eq!(out["code"]["status"], "requested");
    let code = out["code"]["code"].as_str().unwrap().to_string();
    assert!(
        api.discounts.created.lock().unwrap().is_empty(),
        "not in the store yet"
    );
    // Only the brand sees and decides.
    let path = format!("/v1/creators/codes/{code}");
    let (s, _, _) = call(
        &api,
        "POST",
        &path,
        ANA,
        Some(json!({"decision": "approve"})),
    )
    .await;
    assert_eq!(s, 403);
    let (s, listed, _) = call(&api, "GET", "/v1/creators/codes", ADMIN, None).await;
    assert_eq!(s, 200);
    assert_eq!(listed["codes"][0]["code"], code.as_str());
    let (s, out, _) = call(
        &api,
        "POST",
        &path,
        ADMIN,
        Some(json!({"decision": "approve", "note": "welcome"})),
    )
    .await;
    assert_eq!(s, 200, "{out}");
    assert_eq!(out["code"]["status"], "active");
    assert_eq!(out["code"]["usage_limit"], 50);
    assert_eq!(out["code"]["ends_at"].as_i64().unwrap() - NOW, 30 * 86_400);
    assert_eq!(
        api.discounts.created.lock().unwrap().as_slice(),
        [(code.clone(), 10)]
    );
    let (s, out, _) = call(
        &api,
        "POST",
        &path,
        ADMIN,
        Some(json!({"decision": "decline"})),
    )
    .await;
    assert_eq!(
        (s, out["error"]["code"].as_str()),
        (409, Some("already_decided"))
    );
    // Another, declined: never in the store.
    let (_, out, _) = call(&api, "POST", "/v1/creators/me/codes", ANA, None).await;
    let other = out["code"]["code"].as_str().unwrap().to_string();
    let (s, out, _) = call(
        &api,
        "POST",
        &format!("/v1/creators/codes/{other}"),
        ADMIN,
        Some(json!({"decision": "decline", "note": "one is enough"})),
    )
    .await;
    assert_eq!(
        (
            s,
            out["code"]["status"].as_str(),
            out["code"]["note"].as_str()
        ),
        (200, Some("declined"), Some("one is enough"))
    );
    assert_eq!(api.discounts.created.lock().unwrap().len(), 1);
    let (_, mine, _) = call(&api, "GET", "/v1/creators/me/codes", ANA, None).await;
    let mut statuses: Vec<&str> = mine["codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["status"].as_str().unwrap())
        .collect();
    statuses.sort_unstable();
    assert_eq!(statuses, ["active", "declined"]);
    let (s, _, _) = call(
        &api,
        "POST",
        "/v1/creators/codes/NOPE-1",
        ADMIN,
        Some(json!({"decision": "approve"})),
    )
    .await;
    assert_eq!(s, 404);
    let (s, _, _) = call(
        &api,
        "POST",
        &path,
        ADMIN,
        Some(json!({"decision": "maybe"})),
    )
    .await;
    assert!(s == 409 || s == 422, "{s}");
}
