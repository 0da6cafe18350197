//! The creator API over in-memory ports: onboarding, terms, links, uploads, and that a creator
//! reaches only their own data.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::*;
use reelcart_domain::FixedClock;
use reelcart_domain::catalog::{Money, Product, Variant};
use reelcart_domain::creator::verify_code;
use reelcart_lambda::testing::api_request;

use reelcart_ports::memory::{MemoryAnalytics, MemoryCatalog, MemoryCreators};
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
}

type Test = CreatorApi<MemoryCreators, MemoryCatalog, FakePresigner, MemoryAnalytics>;

async fn api() -> Test {
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
    CreatorApi {
        creators: MemoryCreators::default(),
        catalog,
        presigner: FakePresigner,
        analytics: MemoryAnalytics::default(),
        config: Config {
            terms_version: "2026-11".into(),
            terms_url: "https://acme.example/creator-terms".into(),
            default_commission: 0.12,
            link_keys: vec![SecretString::from(
                "a-link-signing-key-of-enough-length!!".to_string(),
            )],
            link_base: "https://r.acme.example".into(),
            raw_bucket: "raw".into(),
            max_upload_bytes: 100_000_000,
        },
        clock: Arc::new(FixedClock::at(NOW)),
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
        verify_code(&api.config.link_keys, code).as_deref(),
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
        },
        creator_id: Some(creator.into()),
        platform: Some("upload".into()),
        counters: c,
    };
    api.analytics
        .add(&[
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
        ])
        .await
        .unwrap();
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
        "creator_id,from,to,orders,attributed_revenue,commission_rate,payout\r\ncr_ana,2026-11-01,2026-11-30,2,100.00,0.12,12.00\r\n"
    );
}
