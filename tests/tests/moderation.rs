//! The moderation API on the local stack: API Gateway's JWT check, the roles, and the state
//! machine over DynamoDB (queue index, transactions with the audit trail).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use reelcart_aws::{DynamoCatalog, DynamoContent};
use reelcart_domain::content::{Channel, Consent, MediaType, Rights, Source, Status, UgcItem};
use reelcart_e2e::*;
use reelcart_ports::CatalogStore;
use reelcart_ports::{ItemStore, MappingStore, RightsStore};
use serde_json::{Value, json};

fn item(n: usize, now: i64) -> UgcItem {
    UgcItem {
        permalink: Some(format!("https://www.instagram.com/p/e2e{n}/")),
        ..UgcItem::new(
            Source::InstagramHashtag,
            &format!("e2e-{n}"),
            MediaType::Video,
            "wearing it every day #acme",
            now + n as i64,
        )
    }
}

/// What the enforcer's tests look at: the content table, the media bucket as the CDN serves it,
/// and the invalidations the local CDN recorded.
struct MediaBench<'s> {
    stack: &'s reelcart_local::Stack,
    content: DynamoContent,
    dynamo: aws_sdk_dynamodb::Client,
    table: String,
    s3: aws_sdk_s3::Client,
    media: String,
}

impl<'s> MediaBench<'s> {
    fn new(stack: &'s reelcart_local::Stack) -> Self {
        let dynamo = aws_sdk_dynamodb::Client::new(&stack.emulator.sdk);
        let table = stack.physical("ContentTable").unwrap().to_string();
        Self {
            stack,
            content: DynamoContent::new(dynamo.clone(), &table),
            dynamo,
            table,
            s3: reelcart_aws::s3_client(&stack.emulator.sdk, true),
            media: stack.physical("MediaBucket").unwrap().to_string(),
        }
    }

    /// Put `files` under the item's media path, private as a transcode leaves them.
    async fn put_media(&self, item_id: &str, files: &[&str]) {
        for f in files {
            self.s3
                .put_object()
                .bucket(&self.media)
                .key(format!("media/{item_id}/{f}"))
                .content_type("application/octet-stream")
                .body(aws_sdk_s3::primitives::ByteStream::from_static(b"x"))
                .send()
                .await
                .unwrap();
        }
    }

    /// Put `files` and open them, as publishing the item did.
    async fn put_published_media(&self, item_id: &str, files: &[&str]) {
        self.put_media(item_id, files).await;
        let visibility = reelcart_aws::S3MediaVisibility::new(self.s3.clone(), &self.media);
        let n = reelcart_ports::MediaVisibility::set(&visibility, item_id, true)
            .await
            .unwrap();
        assert_eq!(n, files.len());
    }

    /// Whether the item's master playlist is still in the bucket.
    async fn stored(&self, item_id: &str) -> bool {
        self.s3
            .head_object()
            .bucket(&self.media)
            .key(format!("media/{item_id}/v1/master.m3u8"))
            .send()
            .await
            .is_ok()
    }

    /// The CDN's status for the item's master playlist.
    async fn cdn_status(&self, item_id: String) -> u16 {
        let url = format!(
            "{}/_local/cdn/media/{item_id}/v1/master.m3u8",
            self.stack.url()
        );
        reqwest::get(url).await.unwrap().status().as_u16()
    }

    async fn invalidations(&self) -> Vec<Vec<String>> {
        reelcart_aws::RecordedInvalidations::new(self.dynamo.clone(), &self.table)
            .recorded()
            .await
            .unwrap()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn moderators_work_the_queue_and_only_rights_holders_publish() {
    let stack = start_stack().await;
    let dynamo = aws_sdk_dynamodb::Client::new(&stack.emulator.sdk);
    let content = DynamoContent::new(dynamo.clone(), stack.physical("ContentTable").unwrap());
    let catalog = DynamoCatalog::new(dynamo, stack.physical("CatalogTable").unwrap());
    catalog
        .put_products(&[reelcart_local::seed::catalog_product(
            7,
            "https://cdn.example",
        )])
        .await
        .unwrap();
    let sku = "TEE-00007";
    let t = now() - 1000;
    let items: Vec<UgcItem> = (0..3).map(|n| item(n, t)).collect();
    for i in &items {
        assert!(content.create_item(i).await.unwrap());
    }
    let http = reqwest::Client::new();
    let base = stack.url();
    let moderator = stack.token("mod-1", &["moderator"]).unwrap();
    let admin = stack.token("admin-1", &["admin"]).unwrap();
    let creator = stack.token("cr-1", &["creator"]).unwrap();
    let id = items[0].id.clone();
    // Its transcoded media, private as the transcoder leaves it.
    let bench = MediaBench::new(&stack);
    bench
        .put_media(
            &id,
            &["v1/master.m3u8", "v1/poster.jpg", "media_manifest.json"],
        )
        .await;

    // Route × role: no token and garbage stop at API Gateway (401), a creator is 403.
    let routes = [
        ("GET", "/v1/moderation/items".to_string(), None),
        ("GET", format!("/v1/moderation/items/{id}"), None),
        ("GET", format!("/v1/moderation/items/{id}/audit"), None),
        ("GET", "/v1/moderation/blocklist".to_string(), None),
        (
            "GET",
            format!("/v1/moderation/items/{id}/rights-requests"),
            None,
        ),
        (
            "PUT",
            "/v1/moderation/blocklist".to_string(),
            Some(json!({"words": ["spam"]})),
        ),
    ];
    for (method, path, body) in &routes {
        let call = |token: Option<&str>| {
            let mut r = http.request(method.parse().unwrap(), format!("{base}{path}"));
            if let Some(t) = token {
                r = r.bearer_auth(t);
            }
            if let Some(b) = body {
                r = r.json(b);
            }
            async move { r.send().await.unwrap().status().as_u16() }
        };
        assert_eq!(call(None).await, 401, "{path}: no token");
        assert_eq!(call(Some("garbage")).await, 401, "{path}: garbage");
        assert_eq!(call(Some(&creator)).await, 403, "{path}: creator");
        let as_moderator = if *method == "PUT" { 403 } else { 200 };
        assert_eq!(
            call(Some(&moderator)).await,
            as_moderator,
            "{path}: moderator"
        );
        assert_eq!(call(Some(&admin)).await, 200, "{path}: admin");
    }

    let step = |to: &str, reason: Option<&str>| {
        let r = http
            .post(format!("{base}/v1/moderation/items/{id}/transitions"))
            .bearer_auth(&moderator)
            .json(&json!({"to": to, "reason": reason}));
        async move {
            let resp = r.send().await.unwrap();
            let status = resp.status().as_u16();
            (status, resp.json::<Value>().await.unwrap())
        }
    };
    // The queue pages oldest first.
    let page: Value = http
        .get(format!("{base}/v1/moderation/items?status=queued&limit=2"))
        .bearer_auth(&moderator)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    assert_eq!(page["items"][0]["id"], id.as_str());
    assert!(page["cursor"].is_string());

    assert_eq!(
        step("approved", None).await.1["error"]["code"],
        "illegal_transition"
    );
    assert_eq!(step("reviewing", None).await.0, 200);
    assert_eq!(step("approved", None).await.0, 200);
    // A mention without rights stays unpublishable.
    assert_eq!(
        step("published", None).await.1["error"]["code"],
        "no_valid_rights"
    );
    // An admin records the rights; the consent proof lands in the consent bucket first.
    let recorded: Value = http
        .post(format!("{base}/v1/moderation/items/{id}/rights"))
        .bearer_auth(&admin)
        .json(&json!({
            "license": "site",
            "channels": ["site"],
            "starts_at": t,
            "expires_at": now() + 86_400,
            "consent": {"kind": "comment_reply", "comment_id": "c1", "author": "creator",
                        "text": "#YesAcme", "permalink": "https://www.instagram.com/p/e2e0/", "replied_at": t}
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let artifact_key = recorded["rights"]["artifact_key"].as_str().unwrap();
    let artifact = reelcart_aws::s3_client(&stack.emulator.sdk, true)
        .get_object()
        .bucket(stack.physical("ConsentBucket").unwrap())
        .key(artifact_key)
        .send()
        .await
        .unwrap();
    assert_eq!(artifact.content_type(), Some("application/json"));
    assert_eq!(
        step("published", None).await.1["error"]["code"],
        "no_mapping"
    );
    let map = |sku: &str| {
        http.put(format!("{base}/v1/moderation/items/{id}/mappings"))
            .bearer_auth(&moderator)
            .json(&json!({"sku": sku, "placement": "pdp"}))
            .send()
    };
    assert_eq!(map("NOT-IN-CATALOG").await.unwrap().status(), 422);
    assert_eq!(map(sku).await.unwrap().status(), 200);
    // Not on the CDN before publishing, even to someone who has its address.
    assert_eq!(bench.cdn_status(id.clone()).await, 403);
    let (s, v) = step("published", None).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        bench.cdn_status(id.clone()).await,
        200,
        "publishing opens it"
    );

    let detail: Value = http
        .get(format!("{base}/v1/moderation/items/{id}"))
        .bearer_auth(&moderator)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(detail["item"]["status"], "published");
    let path: Vec<&str> = detail["audit"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["to"].as_str().unwrap())
        .collect();
    assert_eq!(path, ["reviewing", "approved", "published"]);
    assert_eq!(detail["audit"][0]["actor"], "mod-1");
    // Published items leave the queue of their old status.
    let approved = content
        .items_by_status(Status::Approved, 10, None)
        .await
        .unwrap();
    assert!(approved.items.iter().all(|i| i.id != id));
    let published = content
        .items_by_status(Status::Published, 10, None)
        .await
        .unwrap();
    assert_eq!(published.items.len(), 1);
    // Archiving closes it again, and the CDN is told to forget what it cached.
    let (s, v) = step("archived", None).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(bench.cdn_status(id.clone()).await, 403);
    assert_eq!(
        bench.invalidations().await,
        [vec![format!("/media/{id}/*")]]
    );
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_rights_take_an_item_down_in_one_enforcer_run() {
    let stack = start_stack().await;
    let bench = MediaBench::new(&stack);
    let content = &bench.content;
    let t = now();
    let (mut live, mut expired) = (item(10, t - 500), item(11, t - 400));
    live.status = Status::Published;
    expired.status = Status::Published;
    for (i, expires) in [(&live, t + 86_400), (&expired, t - 1)] {
        assert!(content.create_item(i).await.unwrap());
        content
            .put_rights(&Rights {
                id: "r".into(),
                item_id: i.id.clone(),
                license: "site".into(),
                channels: [Channel::Site].into_iter().collect(),
                starts_at: t - 86_400,
                expires_at: Some(expires),
                revoked_at: None,
                consent: Consent::PortalTerms {
                    creator_id: "cr".into(),
                    terms_version: "1".into(),
                    accepted_at: t - 86_400,
                },
                artifact_key: "consent/r.json".into(),
            })
            .await
            .unwrap();
        bench
            .put_published_media(
                &i.id,
                &["v1/master.m3u8", "v1/poster.jpg", "media_manifest.json"],
            )
            .await;
    }
    let cdn = |id: String| bench.cdn_status(id);
    assert_eq!(cdn(expired.id.clone()).await, 200);

    stack
        .fire_schedule("RightsEnforcerFunction.Enforce")
        .await
        .unwrap()
        .unwrap();

    let gone = content.item(&expired.id).await.unwrap().unwrap();
    assert_eq!(gone.status, Status::Archived);
    let audit = content.audit(&expired.id).await.unwrap();
    assert_eq!(audit[0].actor, "rights-enforcer");
    assert!(
        audit[0]
            .reason
            .as_deref()
            .unwrap()
            .starts_with("rights expired")
    );
    assert!(!bench.stored(&expired.id).await, "media deleted");
    // CloudFront may not list the bucket: S3 answers it 403 for a key that is not there.
    assert_eq!(cdn(expired.id.clone()).await, 403);
    assert_eq!(
        content.item(&live.id).await.unwrap().unwrap().status,
        Status::Published
    );
    assert_eq!(cdn(live.id.clone()).await, 200);
    let recorded = bench.invalidations().await;
    assert_eq!(recorded, [vec![format!("/media/{}/*", expired.id)]]);
    // Published lists no longer hold it.
    let published = content
        .items_by_status(Status::Published, 10, None)
        .await
        .unwrap();
    assert_eq!(
        published
            .items
            .iter()
            .map(|i| i.id.clone())
            .collect::<Vec<_>>(),
        [live.id.clone()]
    );
    stack.stop().await;
}

/// What moderation turned down keeps its media for the grace period (7 days), then the
/// enforcer deletes it and tells the CDN to forget it; what is still within it, and what was not
/// turned down, keeps its media.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rejected_and_archived_media_is_purged_after_the_grace_period() {
    let stack = start_stack().await;
    let bench = MediaBench::new(&stack);
    let content = &bench.content;
    let t = now();
    let day = 86_400;
    let cases = [
        (30, Status::Rejected, t - 8 * day, true),
        (31, Status::Archived, t - 9 * day, true),
        (32, Status::Rejected, t - 2 * day, false),
        (33, Status::Approved, t - 8 * day, false),
    ];
    let mut ids = Vec::new();
    for (n, status, at, _) in cases {
        let mut i = item(n, at - n as i64);
        i.status = status;
        assert!(content.create_item(&i).await.unwrap());
        bench
            .put_media(
                &i.id,
                &["v1/master.m3u8", "v1/seg0.m4s", "media_manifest.json"],
            )
            .await;
        ids.push(i.id);
    }
    stack
        .fire_schedule("RightsEnforcerFunction.Enforce")
        .await
        .unwrap()
        .unwrap();
    let mut purged = Vec::new();
    for ((n, status, _, gone), id) in cases.iter().zip(&ids) {
        assert_eq!(bench.stored(id).await, !gone, "{n} {status:?}");
        // None of it was ever on the CDN: none of these items is published.
        // (S3 answers CloudFront 403 for a key that is not there: it may not list the bucket.)
        assert_eq!(bench.cdn_status(id.clone()).await, 403);
        if *gone {
            purged.push(format!("/media/{id}/*"));
        }
        // The item itself is not touched.
        assert_eq!(content.item(id).await.unwrap().unwrap().status, *status);
    }
    let recorded = bench.invalidations().await;
    assert_eq!(recorded, [purged]);
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_publisher_publishes_due_items_that_may_be_published() {
    let stack = start_stack().await;
    let dynamo = aws_sdk_dynamodb::Client::new(&stack.emulator.sdk);
    let content = DynamoContent::new(dynamo, stack.physical("ContentTable").unwrap());
    let t = now();
    let mut due = item(20, t - 300);
    due.status = Status::Approved;
    due.publish_at = Some(t - 60);
    let mut without_rights = item(21, t - 200);
    without_rights.status = Status::Approved;
    without_rights.publish_at = Some(t - 60);
    for i in [&due, &without_rights] {
        assert!(content.create_item(i).await.unwrap());
        content
            .put_mapping(
                &i.id,
                &reelcart_domain::content::ProductMapping {
                    sku: "TEE-00007".into(),
                    placement: "pdp".into(),
                    confidence: 1.0,
                    pinned: false,
                },
            )
            .await
            .unwrap();
    }
    content
        .put_rights(&Rights {
            id: "r".into(),
            item_id: due.id.clone(),
            license: "site".into(),
            channels: [Channel::Site].into_iter().collect(),
            starts_at: t - 3600,
            expires_at: None,
            revoked_at: None,
            consent: Consent::PortalTerms {
                creator_id: "cr".into(),
                terms_version: "1".into(),
                accepted_at: t - 3600,
            },
            artifact_key: "consent/r.json".into(),
        })
        .await
        .unwrap();
    let bench = MediaBench::new(&stack);
    for i in [&due, &without_rights] {
        bench.put_media(&i.id, &["v1/master.m3u8"]).await;
    }
    stack
        .fire_schedule("PublisherFunction.Publish")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        content.item(&due.id).await.unwrap().unwrap().status,
        Status::Published
    );
    // Published, and its media with it; the one held stays private.
    assert_eq!(bench.cdn_status(due.id.clone()).await, 200);
    assert_eq!(bench.cdn_status(without_rights.id.clone()).await, 403);
    // An item published before media was gated (untagged files): `reelcart-open-published`
    // opens it, and only what is published.
    let mut legacy = item(22, t - 100);
    legacy.status = Status::Published;
    assert!(content.create_item(&legacy).await.unwrap());
    bench.put_media(&legacy.id, &["v1/master.m3u8"]).await;
    assert_eq!(bench.cdn_status(legacy.id.clone()).await, 403);
    let visibility = reelcart_aws::S3MediaVisibility::new(bench.s3.clone(), &bench.media);
    let (items, files) = reelcart_ports::open_published(&content, &visibility)
        .await
        .unwrap();
    assert_eq!((items, files), (2, 2));
    assert_eq!(bench.cdn_status(legacy.id.clone()).await, 200);
    assert_eq!(bench.cdn_status(without_rights.id.clone()).await, 403);
    assert_eq!(content.audit(&due.id).await.unwrap()[0].actor, "publisher");
    assert_eq!(
        content
            .item(&without_rights.id)
            .await
            .unwrap()
            .unwrap()
            .status,
        Status::Approved,
        "no rights: held"
    );
    stack.stop().await;
}
