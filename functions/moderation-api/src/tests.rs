#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
use super::*;
use crate::MemoryPorts;
use lambda_http::RequestExt;
use lambda_http::aws_lambda_events::apigw::ApiGatewayV2httpRequestContext;
use lambda_http::request::RequestContext;
use reelcart_domain::FixedClock;
use reelcart_domain::catalog::{Money, Product, ProductStatus, Variant};
use reelcart_domain::content::{Consent, MediaType, Rights, Source};
use reelcart_lambda::router::HttpApi;
use reelcart_ports::memory::{
    MemoryBlobs, MemoryCatalog, MemoryCdn, MemoryContent, MemoryMediaRecords,
    MemoryMediaVisibility, MemoryQueue,
};
use reelcart_ports::{ItemStore, MappingStore, RightsStore};

const NOW: i64 = 1_780_000_000;

fn request(method: &str, uri: &str, groups: Option<&str>, body: Option<&str>) -> Request {
    let mut ctx = serde_json::json!({"http": {"method": method}, "timeEpoch": 0});
    if let Some(g) = groups {
        ctx["authorizer"] = serde_json::json!({"jwt": {"claims": {"sub": "mod-7", "cognito:groups": g}, "scopes": null}});
    }
    let ctx: ApiGatewayV2httpRequestContext = serde_json::from_value(ctx).unwrap();
    let mut b = lambda_http::http::Request::builder()
        .method(method)
        .uri(uri);
    if body.is_some_and(|b| b.starts_with("item_id,")) {
        b = b.header("content-type", "text/csv");
    }
    b.body(body.map_or(Body::Empty, |t| Body::Text(t.to_string())))
        .unwrap()
        .with_request_context(RequestContext::ApiGatewayV2(ctx))
}

fn product(sku: &str) -> Product {
    Product {
        id: format!("p-{sku}"),
        title: "Tee".into(),
        description: "A tee".into(),
        brand: Some("Acme".into()),
        link: "https://shop.example.com/products/tee".into(),
        images: vec![],
        variants: vec![Variant {
            id: format!("v-{sku}"),
            sku: sku.into(),
            options: vec![],
            price: Money {
                amount: rust_decimal::Decimal::new(1990, 2),
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
    }
}

fn item(n: usize) -> UgcItem {
    UgcItem::new(
        Source::InstagramHashtag,
        &n.to_string(),
        MediaType::Video,
        "love it #acme",
        NOW - 100 + n as i64,
    )
}

type TestApi = Arc<Api<MemoryPorts>>;

async fn api() -> TestApi {
    let catalog = MemoryCatalog::default();
    catalog.put_products(&[product("TEE-BLK-M")]).await.unwrap();
    Arc::new(Api::<MemoryPorts> {
        content: MemoryContent::default(),
        media: MemoryMediaRecords::default(),
        catalog,
        consent: MemoryBlobs::default(),
        commands: MemoryQueue::default(),
        brand: reelcart_domain::content::rights_request::BrandRights::new(
            "acme",
            None,
            "https://acme.example/ugc-terms",
        )
        .unwrap(),
        visibility: MemoryMediaVisibility::default(),
        cdn: MemoryCdn::default(),
        files: MemoryBlobs::default(),
        clock: Arc::new(FixedClock::at(NOW)),
    })
}

/// The queue's summary of item `id` (the queued page, as a moderator sees it).
async fn queued_summary(api: &TestApi, id: &str) -> Value {
    let (_, out) = call(
        api,
        request("GET", "/v1/moderation/items", Some("[moderator]"), None),
    )
    .await;
    out["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == id)
        .unwrap()["summary"]
        .clone()
}

async fn call(api: &TestApi, r: Request) -> (u16, Value) {
    let resp = api.handle(r).await;
    let status = resp.status().as_u16();
    let body = match resp.body() {
        Body::Text(t) => serde_json::from_str(t).unwrap_or(Value::Null),
        Body::Binary(b) => serde_json::from_slice(b).unwrap_or(Value::Null),
        _ => Value::Null,
    };
    (status, body)
}

fn step(id: &str, to: &str, reason: Option<&str>) -> Request {
    let body = j!({"to": to, "reason": reason}).to_string();
    request(
        "POST",
        &format!("/v1/moderation/items/{id}/transitions"),
        Some("[moderator]"),
        Some(&body),
    )
}

#[tokio::test]
async fn routes_by_role() {
    let api = api().await;
    for (method, uri, body) in [
        ("GET", "/v1/moderation/items", None),
        ("GET", "/v1/moderation/blocklist", None),
        (
            "POST",
            "/v1/moderation/items/x/transitions",
            Some(r#"{"to":"reviewing"}"#),
        ),
    ] {
        assert_eq!(
            call(&api, request(method, uri, None, body)).await.0,
            401,
            "{uri}"
        );
        assert_eq!(
            call(&api, request(method, uri, Some("[creator]"), body))
                .await
                .0,
            403,
            "{uri}"
        );
    }
    assert_eq!(
        call(
            &api,
            request("GET", "/v1/moderation/items", Some("[moderator]"), None)
        )
        .await
        .0,
        200
    );
    assert_eq!(
        call(
            &api,
            request("GET", "/v1/moderation/items", Some("[admin]"), None)
        )
        .await
        .0,
        200
    );
    let b = r#"{"words":["spam"],"handles":["bot"],"on_hit":"reject"}"#;
    assert_eq!(
        call(
            &api,
            request(
                "PUT",
                "/v1/moderation/blocklist",
                Some("[moderator]"),
                Some(b)
            )
        )
        .await
        .0,
        403
    );
    let (s, v) = call(
        &api,
        request("PUT", "/v1/moderation/blocklist", Some("[admin]"), Some(b)),
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(v["blocklist"]["on_hit"], "reject");
    assert_eq!(
        call(
            &api,
            request("GET", "/v1/moderation/nope", Some("[admin]"), None)
        )
        .await
        .0,
        404
    );
}

#[tokio::test]
async fn an_item_is_published_only_with_rights_and_a_mapping() {
    let api = api().await;
    let it = item(1);
    api.content.create_item(&it).await.unwrap();
    let id = it.id.as_str();
    assert_eq!(call(&api, step(id, "reviewing", None)).await.0, 200);
    assert_eq!(call(&api, step(id, "approved", None)).await.0, 200);

    let (s, v) = call(&api, step(id, "published", None)).await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (409, Some("no_valid_rights"))
    );

    // Rights that start tomorrow do not count today.
    let mut rights = Rights {
        id: "r1".into(),
        item_id: id.into(),
        license: "site-and-social".into(),
        channels: [Channel::Site].into_iter().collect(),
        starts_at: NOW + 86_400,
        expires_at: None,
        revoked_at: None,
        consent: Consent::CommentReply {
            comment_id: "c9".into(),
            author: "creator".into(),
            text: "#YesAcme".into(),
            permalink: "https://www.instagram.com/p/abc/".into(),
            replied_at: NOW - 50,
        },
        artifact_key: "consent/x.json".into(),
    };
    api.content.put_rights(&rights).await.unwrap();
    assert_eq!(
        call(&api, step(id, "published", None)).await.1["error"]["code"],
        "no_valid_rights"
    );
    rights.starts_at = NOW - 10;
    api.content.put_rights(&rights).await.unwrap();
    assert_eq!(
        call(&api, step(id, "published", None)).await.1["error"]["code"],
        "no_mapping"
    );

    // A SKU the catalog does not know is refused; a known one maps.
    let unknown = r#"{"sku":"NOPE-1","placement":"pdp"}"#;
    let put = |b: &str| {
        request(
            "PUT",
            &format!("/v1/moderation/items/{id}/mappings"),
            Some("[moderator]"),
            Some(b),
        )
        .clone()
    };
    let (s, v) = call(&api, put(unknown)).await;
    assert_eq!((s, v["error"]["code"].as_str()), (422, Some("unknown_sku")));
    assert_eq!(
        call(
            &api,
            put(r#"{"sku":"TEE-BLK-M","placement":"pdp","pinned":true}"#)
        )
        .await
        .0,
        200
    );

    let (s, v) = call(&api, step(id, "published", None)).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["item"]["status"], "published");

    // Everything after is audited, with the actor from the token.
    let (_, v) = call(
        &api,
        request(
            "GET",
            &format!("/v1/moderation/items/{id}"),
            Some("[moderator]"),
            None,
        ),
    )
    .await;
    let audit = v["audit"].as_array().unwrap();
    let path: Vec<&str> = audit.iter().map(|e| e["to"].as_str().unwrap()).collect();
    assert_eq!(path, ["reviewing", "approved", "published"]);
    assert!(audit.iter().all(|e| e["actor"] == "mod-7"));
    assert_eq!(v["rights"][0]["valid_now_for"], j!(["site"]));
    assert_eq!(v["mappings"][0]["sku"], "TEE-BLK-M");

    // Illegal steps are 409s; nothing changes.
    for to in ["queued", "reviewing", "approved", "rejected", "published"] {
        let (s, v) = call(&api, step(id, to, Some("why"))).await;
        assert_eq!(
            (s, v["error"]["code"].as_str()),
            (409, Some("illegal_transition")),
            "{to}"
        );
    }
    assert_eq!(call(&api, step(id, "archived", None)).await.0, 200);
}

#[tokio::test]
async fn rejections_need_a_reason_and_record_it() {
    let api = api().await;
    let it = item(2);
    api.content.create_item(&it).await.unwrap();
    let (s, v) = call(&api, step(&it.id, "rejected", None)).await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (422, Some("reason_required"))
    );
    let (s, v) = call(&api, step(&it.id, "rejected", Some("blurry"))).await;
    assert_eq!(s, 200);
    assert_eq!(v["item"]["rejection"], "blurry");
    assert_eq!(
        call(&api, step(&it.id, "bogus", None)).await.1["error"]["code"],
        "unknown_status"
    );
    assert_eq!(
        call(&api, step("ugc_missing", "reviewing", None)).await.0,
        404
    );
}

#[tokio::test]
async fn the_queue_pages_with_a_cursor() {
    let api = api().await;
    for n in 0..5 {
        api.content.create_item(&item(n)).await.unwrap();
    }
    let mut seen = Vec::new();
    let mut uri = "/v1/moderation/items?status=queued&limit=2".to_string();
    for _ in 0..5 {
        let (s, v) = call(&api, request("GET", &uri, Some("[moderator]"), None)).await;
        assert_eq!(s, 200);
        seen.extend(
            v["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["external_id"].as_str().unwrap().to_string()),
        );
        match v["cursor"].as_str() {
            Some(c) => {
                uri = format!(
                    "/v1/moderation/items?status=queued&limit=2&cursor={}",
                    form_urlencoded::byte_serialize(c.as_bytes()).collect::<String>()
                )
            }
            None => break,
        }
    }
    assert_eq!(seen, ["0", "1", "2", "3", "4"]);
    // 400 breaks the schema; a cursor this API did not give is refused on its meaning.
    for (bad, status) in [
        ("?cursor=zzz", 422),
        ("?limit=0", 400),
        ("?limit=101", 400),
        ("?status=lost", 400),
    ] {
        let (s, _) = call(
            &api,
            request(
                "GET",
                &format!("/v1/moderation/items{bad}"),
                Some("[moderator]"),
                None,
            ),
        )
        .await;
        assert_eq!(s, status, "{bad}");
    }
}

#[tokio::test]
async fn bulk_mapping_is_all_or_nothing() {
    let api = api().await;
    let (a, b) = (item(3), item(4));
    api.content.create_item(&a).await.unwrap();
    api.content.create_item(&b).await.unwrap();
    let csv = format!(
        "item_id,sku,placement,pinned\n{},TEE-BLK-M,pdp,true\n{},GONE-9,home,\n",
        a.id, b.id
    );
    let (s, v) = call(
        &api,
        request(
            "POST",
            "/v1/moderation/mappings",
            Some("[moderator]"),
            Some(&csv),
        ),
    )
    .await;
    assert_eq!((s, v["error"]["code"].as_str()), (422, Some("unknown_sku")));
    assert_eq!(v["error"]["problems"][0]["row"], 1);
    assert!(
        api.content.mappings(&a.id).await.unwrap().is_empty(),
        "nothing written"
    );
    let json_body = j!([
        {"item_id": a.id, "sku": "TEE-BLK-M", "placement": "pdp", "pinned": true},
        {"item_id": b.id, "sku": "TEE-BLK-M", "placement": "home"}
    ])
    .to_string();
    let (s, v) = call(
        &api,
        request(
            "POST",
            "/v1/moderation/mappings",
            Some("[moderator]"),
            Some(&json_body),
        ),
    )
    .await;
    assert_eq!((s, v["mapped"].as_u64()), (200, Some(2)));
    assert!(api.content.mappings(&b.id).await.unwrap()[0].placement == "home");
    let (s, _) = call(
        &api,
        request(
            "DELETE",
            &format!("/v1/moderation/items/{}/mappings/home/TEE-BLK-M", b.id),
            Some("[moderator]"),
            None,
        ),
    )
    .await;
    assert_eq!(s, 200);
    let (s, _) = call(
        &api,
        request(
            "DELETE",
            &format!("/v1/moderation/items/{}/mappings/home/TEE-BLK-M", b.id),
            Some("[moderator]"),
            None,
        ),
    )
    .await;
    assert_eq!(s, 404);
}

#[tokio::test]
async fn qa_lists_unmapped_published_items_and_skus_gone_from_the_catalog() {
    let api = api().await;
    let mut unmapped = item(5);
    unmapped.status = Status::Published;
    let mut gone = item(6);
    gone.status = Status::Approved;
    let mut fine = item(7);
    fine.status = Status::Published;
    for i in [&unmapped, &gone, &fine] {
        api.content.create_item(i).await.unwrap();
    }
    let m = |sku: &str| ProductMapping {
        sku: sku.into(),
        placement: "pdp".into(),
        confidence: 1.0,
        pinned: false,
    };
    api.content
        .put_mapping(&gone.id, &m("DELETED-SKU"))
        .await
        .unwrap();
    api.content
        .put_mapping(&fine.id, &m("TEE-BLK-M"))
        .await
        .unwrap();
    let (s, v) = call(
        &api,
        request("GET", "/v1/moderation/qa", Some("[moderator]"), None),
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(
        v["published_without_mapping"],
        j!([{"item_id": unmapped.id}])
    );
    assert_eq!(
        v["mapped_to_missing_sku"],
        j!([{"item_id": gone.id, "status": "approved", "sku": "DELETED-SKU", "placement": "pdp"}])
    );
    assert_eq!(
        call(&api, request("GET", "/v1/moderation/qa", None, None))
            .await
            .0,
        401
    );
}

#[tokio::test]
async fn admins_record_rights_with_their_consent_artifact_and_revoke_them() {
    use reelcart_ports::BlobStore;
    let api = api().await;
    let it = item(8);
    api.content.create_item(&it).await.unwrap();
    let body = j!({
        "license": "site and email, 12 months",
        "channels": ["site", "email"],
        "starts_at": NOW - 10,
        "expires_at": NOW + 365 * 86_400,
        "consent": {"kind": "portal_terms", "creator_id": "cr-9", "terms_version": "2026-01", "accepted_at": NOW - 20}
    })
    .to_string();
    let uri = format!("/v1/moderation/items/{}/rights", it.id);
    assert_eq!(
        call(
            &api,
            request("POST", &uri, Some("[moderator]"), Some(&body))
        )
        .await
        .0,
        403
    );
    let (s, v) = call(&api, request("POST", &uri, Some("[admin]"), Some(&body))).await;
    assert_eq!(s, 201, "{v}");
    let key = v["rights"]["artifact_key"].as_str().unwrap().to_string();
    let artifact: Value =
        serde_json::from_slice(&api.consent.get(&key).await.unwrap().unwrap()).unwrap();
    assert_eq!(artifact["recorded_by"], "mod-7");
    assert_eq!(artifact["consent"]["creator_id"], "cr-9");
    let detail_uri = format!("/v1/moderation/items/{}", it.id);
    let detail = || request("GET", &detail_uri, Some("[moderator]"), None);
    assert_eq!(
        call(&api, detail()).await.1["rights"][0]["valid_now_for"],
        j!(["site", "email"])
    );

    let rid = v["rights"]["id"].as_str().unwrap();
    let revoke = format!("/v1/moderation/items/{}/rights/{rid}/revoke", it.id);
    assert_eq!(
        call(&api, request("POST", &revoke, Some("[admin]"), None))
            .await
            .0,
        200
    );
    assert_eq!(
        call(&api, detail()).await.1["rights"][0]["valid_now_for"],
        j!([])
    );
    assert_eq!(
        call(
            &api,
            request(
                "POST",
                &format!("/v1/moderation/items/{}/rights/nope/revoke", it.id),
                Some("[admin]"),
                None
            )
        )
        .await
        .0,
        404
    );

    // Nonsense is refused before anything is written.
    for bad in [
        j!({"license": "x", "channels": [], "starts_at": 0, "expires_at": null, "consent": {"kind": "portal_terms", "creator_id": "c", "terms_version": "1", "accepted_at": 0}}),
        j!({"license": "x", "channels": ["site"], "starts_at": 10, "expires_at": 5, "consent": {"kind": "portal_terms", "creator_id": "c", "terms_version": "1", "accepted_at": 0}}),
    ] {
        assert_eq!(
            call(
                &api,
                request("POST", &uri, Some("[admin]"), Some(&bad.to_string()))
            )
            .await
            .0,
            422
        );
    }
    assert_eq!(
        call(
            &api,
            request(
                "POST",
                &uri,
                Some("[admin]"),
                Some(r#"{"license":"x","channels":["tv"]}"#)
            )
        )
        .await
        .0,
        400
    );
}

#[tokio::test]
async fn rights_requests_go_by_api_where_instagram_allows_and_by_hand_elsewhere() {
    let api = api().await;
    let hashtag = item(1);
    let mention = UgcItem::new(
        Source::InstagramMention,
        "m-2",
        MediaType::Video,
        "hi @acme",
        NOW,
    );
    let tiktok = UgcItem::new(Source::Tiktok, "t-3", MediaType::Video, "hi", NOW);
    for i in [&hashtag, &mention, &tiktok] {
        api.content.create_item(i).await.unwrap();
    }
    let body =
        j!({"license": "social and site", "channels": ["site", "instagram"], "duration_days": 365})
            .to_string();
    let ask = |id: &str| {
        request(
            "POST",
            &format!("/v1/moderation/items/{id}/rights-requests"),
            Some("[moderator]"),
            Some(&body),
        )
    };

    // Hashtag media: no API comment; the text and permalink are for a person.
    let (status, out) = call(&api, ask(&hashtag.id)).await;
    assert_eq!(status, 201, "{out}");
    assert_eq!(out["request"]["delivery"]["kind"], "manual");
    assert_eq!(out["request"]["hashtag"], "#YesAcme");
    let text = out["request"]["text"].as_str().unwrap();
    assert!(text.contains("#YesAcme @acme") && text.contains("https://acme.example/ugc-terms"));
    assert!(api.commands.messages().is_empty());
    // One open request at a time.
    assert_eq!(call(&api, ask(&hashtag.id)).await.0, 409);

    // Mentioned media: ugc-ingest posts the comment.
    let (status, out) = call(&api, ask(&mention.id)).await;
    assert_eq!(status, 201, "{out}");
    assert_eq!(out["request"]["delivery"]["kind"], "api");
    let sent: Value = serde_json::from_str(&api.commands.messages()[0]).unwrap();
    assert_eq!(sent["command"], "post_rights_request");
    assert_eq!(sent["item_id"], mention.id.as_str());
    assert_eq!(sent["request_id"], out["request"]["id"]);

    // TikTok: off-platform consent only.
    let (status, out) = call(&api, ask(&tiktok.id)).await;
    assert_eq!(
        (status, out["error"]["code"].as_str()),
        (422, Some("no_comment_channel"))
    );

    let (status, out) = call(
        &api,
        request(
            "GET",
            &format!("/v1/moderation/items/{}/rights-requests", hashtag.id),
            Some("[moderator]"),
            None,
        ),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(out["requests"].as_array().unwrap().len(), 1);
    // Bad terms are refused.
    let bad = request(
        "POST",
        &format!("/v1/moderation/items/{}/rights-requests", tiktok.id),
        Some("[moderator]"),
        Some(r#"{"license":"x","channels":[]}"#),
    );
    assert_eq!(call(&api, bad).await.0, 422);
}

#[tokio::test]
async fn the_detail_carries_the_transcoders_record_and_the_checks_verdict() {
    use reelcart_domain::video::{MediaRecord, MediaStatus, SourceRef};
    use reelcart_ports::MediaRecords;
    let api = api().await;
    let it = item(1);
    api.content.create_item(&it).await.unwrap();
    let uri = format!("/v1/moderation/items/{}", it.id);
    let (_, out) = call(&api, request("GET", &uri, Some("[moderator]"), None)).await;
    assert_eq!(out["checks"]["verdict"], "pass");
    assert!(out["media"].is_null());
    // The transcoder found a silent, tiny video.
    let source = SourceRef {
        bucket: "raw".into(),
        key: "k".into(),
        etag: "e".into(),
    };
    let mut record = MediaRecord::attempt(&it.id, source, 1, NOW, NOW + 900);
    assert!(api.media.begin(&record, NOW).await.unwrap());
    record.status = MediaStatus::Transcoded;
    record.probe = Some(reelcart_domain::video::Probe {
        container: "mov".into(),
        duration_secs: 8.0,
        video_codec: "h264".into(),
        width: 320,
        height: 568,
        rotation: 0,
        sample_aspect: (1, 1),
        display_width: 320,
        display_height: 568,
        frame_rate: 30.0,
        variable_frame_rate: false,
        has_audio: false,
        audio_codec: None,
        bit_rate: None,
        size_bytes: None,
    });
    assert!(api.media.finish(&record).await.unwrap());
    let (_, out) = call(&api, request("GET", &uri, Some("[moderator]"), None)).await;
    assert_eq!(out["media"]["status"], "transcoded");
    assert_eq!(out["checks"]["verdict"], "flag", "{out}");
    let reason = out["checks"]["reason"].as_str().unwrap();
    assert!(
        reason.contains("low resolution") && reason.contains("no audio"),
        "{reason}"
    );
}

#[tokio::test]
async fn the_queue_filters_by_source_rights_and_flags_and_summarizes_each_item() {
    let api = api().await;
    let mut upload = UgcItem::new(Source::Upload, "cr/up1", MediaType::Video, "mine", NOW - 10);
    upload.flags = vec!["blocklist: word `scam`".into()];
    let hashtag = item(1);
    let other = item(2);
    for i in [&upload, &hashtag, &other] {
        assert!(api.content.create_item(i).await.unwrap());
    }
    api.content
        .put_rights(&Rights {
            id: "r1".into(),
            item_id: hashtag.id.clone(),
            license: "site".into(),
            channels: [Channel::Site].into_iter().collect(),
            starts_at: NOW - 10,
            expires_at: None,
            revoked_at: None,
            consent: Consent::CommentReply {
                comment_id: "c1".into(),
                author: "creator".into(),
                text: "#YesAcme".into(),
                permalink: "https://www.instagram.com/p/abc/".into(),
                replied_at: NOW - 20,
            },
            artifact_key: "consent/r1.json".into(),
        })
        .await
        .unwrap();
    let list = |q: &str| {
        let api = &api;
        let q = q.to_string();
        async move {
            let (s, out) = call(
                api,
                request(
                    "GET",
                    &format!("/v1/moderation/items?{q}"),
                    Some("[moderator]"),
                    None,
                ),
            )
            .await;
            assert_eq!(s, 200, "{q}: {out}");
            out["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["id"].as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(list("source=upload").await, [upload.id.as_str()]);
    assert_eq!(list("flagged=true").await, [upload.id.as_str()]);
    assert_eq!(list("rights=valid").await, [hashtag.id.as_str()]);
    assert_eq!(
        list("rights=none&source=instagram_hashtag").await,
        [other.id.as_str()]
    );
    assert_eq!(list("flagged=false").await.len(), 2);
    let summary = queued_summary(&api, &hashtag.id).await;
    assert_eq!(
        summary,
        j!({"rights": "valid", "valid_channels": ["site"], "media": null, "poster": null, "mappings": 0})
    );
    for bad in ["source=myspace", "rights=maybe", "flagged=yes"] {
        let (s, out) = call(
            &api,
            request(
                "GET",
                &format!("/v1/moderation/items?{bad}"),
                Some("[moderator]"),
                None,
            ),
        )
        .await;
        assert_eq!(
            (s, out["error"]["code"].as_str()),
            (400, Some("bad_filter"))
        );
    }
}

/// Media not published is not on the CDN: moderators get links signed for an hour, to copies of
/// the playlists whose every URI is itself signed; a playlist naming a file outside its own
/// version's files is refused.
#[tokio::test]
async fn the_preview_signs_a_copy_of_every_playlist_and_each_file() {
    use reelcart_domain::video::{
        MediaManifest, MediaRecord, MediaStatus, Orientation, Rendition, SourceRef,
    };
    use reelcart_ports::{BlobStore, MediaRecords};
    let api = api().await;
    let it = item(3);
    api.content.create_item(&it).await.unwrap();
    let uri = format!("/v1/moderation/items/{}/preview", it.id);
    let (status, out) = call(&api, request("GET", &uri, Some("[moderator]"), None)).await;
    assert_eq!(
        (status, out["error"]["code"].as_str()),
        (404, Some("no_media"))
    );

    let prefix = format!("media/{}/r4nd0m-v1/", it.id);
    let base = format!("https://cdn.example/{prefix}");
    let put = |key: String, text: &str| {
        let text = text.to_string();
        let files = &api.files;
        async move {
            files
                .put(
                    &key,
                    text.into_bytes().into(),
                    "application/vnd.apple.mpegurl",
                )
                .await
                .unwrap()
        }
    };
    put(
        format!("{prefix}master.m3u8"),
        "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\nv0/index.m3u8\n#EXT-X-STREAM-INF:BANDWIDTH=2\nv1/index.m3u8\n",
    )
    .await;
    for v in ["v0", "v1"] {
        put(
            format!("{prefix}{v}/index.m3u8"),
            "#EXTM3U\n#EXT-X-MAP:URI=\"init.mp4\"\n#EXTINF:2.0,\nseg_000.m4s\n#EXTINF:2.0,\nseg_001.m4s\n#EXT-X-ENDLIST\n",
        )
        .await;
    }
    let rendition = |name: &str| Rendition {
        name: name.into(),
        width: 720,
        height: 1280,
        bandwidth: 1,
        average_bandwidth: 1,
        codecs: "avc1.640020".into(),
        frame_rate: 30.0,
        playlist: format!("{base}{name}/index.m3u8"),
    };
    let source = SourceRef {
        bucket: "raw".into(),
        key: "k".into(),
        etag: "e".into(),
    };
    let mut record = MediaRecord::attempt(&it.id, source, 1, NOW, NOW + 900);
    assert!(api.media.begin(&record, NOW).await.unwrap());
    record.status = MediaStatus::Transcoded;
    record.manifest = Some(MediaManifest {
        item_id: it.id.clone(),
        version: 1,
        master: format!("{base}master.m3u8"),
        poster: format!("{base}poster.jpg"),
        preview: None,
        duration_secs: 4.0,
        width: 720,
        height: 1280,
        aspect_ratio: "9:16".into(),
        orientation: Orientation::Vertical,
        has_audio: true,
        renditions: vec![rendition("v0"), rendition("v1")],
        start_rendition: 0,
        prefix: prefix.clone(),
        created_at: NOW,
    });
    assert!(api.media.finish(&record).await.unwrap());

    let (status, out) = call(&api, request("GET", &uri, Some("[moderator]"), None)).await;
    assert_eq!(status, 200, "{out}");
    assert_eq!(out["expires_at"], NOW + 3600);
    assert_eq!(
        out["poster"],
        format!("memory:///{prefix}poster.jpg?expires_in=3600")
    );
    assert!(out["preview"].is_null());
    let master = out["master"].as_str().unwrap();
    let copy = master
        .strip_prefix("memory:///")
        .unwrap()
        .strip_suffix("?expires_in=3600")
        .unwrap();
    assert!(copy.starts_with(&format!("review/{}/", it.id)), "{copy}");
    let dir = copy.strip_suffix("master.m3u8").unwrap();
    let text = |key: &str| String::from_utf8(api.files.get_now(key).unwrap().to_vec()).unwrap();
    let master_text = text(copy);
    for v in ["v0", "v1"] {
        assert!(
            master_text.contains(&format!(
                "\nmemory:///{dir}{v}/index.m3u8?expires_in=3600\n"
            )),
            "{master_text}"
        );
        let variant = text(&format!("{dir}{v}/index.m3u8"));
        assert!(variant.contains(&format!(
            "#EXT-X-MAP:URI=\"memory:///{prefix}{v}/init.mp4?expires_in=3600\""
        )));
        assert!(variant.contains(&format!(
            "\nmemory:///{prefix}{v}/seg_001.m4s?expires_in=3600\n"
        )));
        assert!(variant.contains("#EXT-X-ENDLIST"));
    }
    // The queue's poster is signed too.
    assert_eq!(queued_summary(&api, &it.id).await["poster"], out["poster"]);

    // A playlist that names someone else's files is not copied.
    put(
        format!("{prefix}v1/index.m3u8"),
        "#EXTM3U\n#EXTINF:2.0,\n../../../other-item/x-v1/seg.m4s\n",
    )
    .await;
    let (status, _) = call(&api, request("GET", &uri, Some("[moderator]"), None)).await;
    assert_eq!(status, 500);
    // Creators do not preview.
    let (status, _) = call(&api, request("GET", &uri, Some("[creator]"), None)).await;
    assert_eq!(status, 403);
}
