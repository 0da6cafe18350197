//! UGC on the local stack with the platform simulator: a hashtag post is collected, transcoded,
//! asked for rights, the creator's reply becomes consent, and only then is it published; a
//! mention without rights stays unpublishable; crafted media URLs are refused.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use reelcart_aws::{DynamoCatalog, DynamoContent, DynamoMediaRecords};
use reelcart_domain::connection::OAuthPlatform;
use reelcart_domain::content::{Consent, Source, Status, UgcItem};
use reelcart_domain::video::MediaStatus;
use reelcart_e2e::*;
use reelcart_media::samples::{Sample, generate};
use reelcart_ports::{CatalogStore, MediaRecords};
use reelcart_ports::{HashtagBudgetStore, ItemStore, MappingStore, RightsStore};
use serde_json::{Value, json};
use std::path::Path;
use std::time::Duration;

async fn sim_post(http: &reqwest::Client, url: String, body: Value) -> Value {
    let r = http.post(&url).json(&body).send().await.unwrap();
    assert!(r.status().is_success(), "{url}: {}", r.status());
    r.json().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hashtag_post_is_published_only_after_the_creators_reply() {
    let stack = start_stack().await;
    let http = reqwest::Client::new();
    let sim = stack.sim_url.clone();
    let base = stack.url();
    let dynamo = aws_sdk_dynamodb::Client::new(&stack.emulator.sdk);
    let content = DynamoContent::new(dynamo.clone(), stack.physical("ContentTable").unwrap());
    let media = DynamoMediaRecords::new(dynamo.clone(), stack.physical("ContentTable").unwrap());
    let catalog = DynamoCatalog::new(dynamo, stack.physical("CatalogTable").unwrap());
    catalog
        .put_products(&[reelcart_local::seed::catalog_product(
            3,
            "https://cdn.example",
        )])
        .await
        .unwrap();
    stack
        .connect_demo(OAuthPlatform::Meta, "1000000000000001", None)
        .await
        .unwrap();

    // A real clip on the simulated Instagram CDN.
    let dir = tempfile::tempdir().unwrap();
    let clip = dir.path().join("clip.mp4");
    generate(Path::new("ffmpeg"), Sample::new(720, 1280, 3.0), &clip)
        .await
        .unwrap();
    let r = http
        .put(format!("{sim}/_sim/media-files/clip.mp4"))
        .header("content-type", "video/mp4")
        .body(std::fs::read(&clip).unwrap())
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    let cdn_url = format!("{sim}/_sim/ig-cdn/clip.mp4");

    // What people post: a hashtag post, two with crafted media URLs, a mention.
    let new_post = |owner: &str, caption: &str, url: &str| json!({"owner_username": owner, "caption": caption, "media_type": "VIDEO", "media_url": url});
    let hashtag_post = sim_post(
        &http,
        format!("{sim}/_sim/instagram/media"),
        new_post("maya", "Obsessed with this tee #AcmeStyle", &cdn_url),
    )
    .await;
    let media_id = hashtag_post["post"]["id"].as_str().unwrap().to_string();
    for crafted in [
        "https://169.254.169.254/latest/meta-data/iam/security-credentials/",
        "https://evil.example.com/clip.mp4",
        "http://127.0.0.1:9/clip.mp4",
    ] {
        sim_post(
            &http,
            format!("{sim}/_sim/instagram/media"),
            new_post("mallory", "free stuff #acmestyle", crafted),
        )
        .await;
    }
    let mention_post = sim_post(
        &http,
        format!("{sim}/_sim/instagram/media"),
        new_post("leo", "Fit check @acme", &cdn_url),
    )
    .await;
    // The mention reached the webhook receiver, signed.
    assert_eq!(mention_post["webhook"]["status"], 200, "{mention_post}");
    let mention_media = mention_post["post"]["id"].as_str().unwrap().to_string();
    let mention_id = UgcItem::id_for(Source::InstagramMention, &mention_media);
    let mention = eventually(Duration::from_secs(30), "the mention ingested", || {
        let content = content.clone();
        let id = mention_id.clone();
        async move { content.item(&id).await.unwrap() }
    })
    .await;
    assert_eq!(mention.author.handle.as_deref(), Some("leo"));

    // The scheduled run collects the hashtag; crafted URLs are refused, nothing is stored for them.
    stack
        .fire_schedule("UgcIngestFunction.Poll")
        .await
        .unwrap()
        .unwrap();
    let item_id = UgcItem::id_for(Source::InstagramHashtag, &media_id);
    let item = content.item(&item_id).await.unwrap().unwrap();
    assert_eq!(item.status, Status::Queued);
    assert_eq!(item.author.handle, None, "hashtag search gives no username");
    assert_eq!(
        item.media_key.as_deref(),
        Some(format!("ugc/{item_id}/source.mp4").as_str())
    );
    let queued = reelcart_ports::all_by_status(&content, Status::Queued)
        .await
        .unwrap();
    assert_eq!(
        queued.len(),
        2,
        "the hashtag post and the mention, not the crafted ones: {queued:?}"
    );
    // A second run: no new hashtag query (its id is remembered), nothing ingested twice.
    stack
        .fire_schedule("UgcIngestFunction.Poll")
        .await
        .unwrap()
        .unwrap();
    let ugc: Value = http
        .get(format!("{sim}/_sim/ugc"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ugc["hashtag_queries"].as_array().unwrap().len(), 1, "{ugc}");
    let budget = content.hashtag_budget().await.unwrap();
    assert_eq!(budget.used(now()), 1);

    // The transcoder made its ladder from the raw copy.
    let record = eventually(
        Duration::from_secs(90),
        "the hashtag video transcoded",
        || {
            let media = media.clone();
            let id = item_id.clone();
            async move {
                media
                    .get(&id)
                    .await
                    .unwrap()
                    .filter(|r| r.status == MediaStatus::Transcoded)
            }
        },
    )
    .await;
    assert!(!record.manifest.unwrap().renditions.is_empty());

    let moderator = stack.token("mod-1", &["moderator"]).unwrap();
    let call = |method: &str, path: String, body: Option<Value>| {
        let mut r = http
            .request(method.parse().unwrap(), format!("{base}{path}"))
            .bearer_auth(&moderator);
        if let Some(b) = body {
            r = r.json(&b);
        }
        async move {
            let resp = r.send().await.unwrap();
            let status = resp.status().as_u16();
            (status, resp.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let step = |id: String, to: &str| {
        call(
            "POST",
            format!("/v1/moderation/items/{id}/transitions"),
            Some(json!({"to": to})),
        )
    };
    for id in [&item_id, &mention_id] {
        assert_eq!(step(id.clone(), "reviewing").await.0, 200);
        assert_eq!(step(id.clone(), "approved").await.0, 200);
        let (s, _) = call(
            "PUT",
            format!("/v1/moderation/items/{id}/mappings"),
            Some(json!({"sku": "TEE-00003", "placement": "pdp"})),
        )
        .await;
        assert_eq!(s, 200);
        // No rights yet: nothing publishes.
        let (s, out) = step(id.clone(), "published").await;
        assert_eq!(
            (s, out["error"]["code"].as_str()),
            (409, Some("no_valid_rights"))
        );
    }

    // Rights request on the hashtag post: Instagram allows no API comment there, so the answer
    // is the text for a person to post.
    let terms = json!({"license": "site and social, non-exclusive", "channels": ["site", "instagram"], "duration_days": 365});
    let (s, out) = call(
        "POST",
        format!("/v1/moderation/items/{item_id}/rights-requests"),
        Some(terms.clone()),
    )
    .await;
    assert_eq!(s, 201, "{out}");
    assert_eq!(out["request"]["delivery"]["kind"], "manual");
    let text = out["request"]["text"].as_str().unwrap().to_string();
    assert!(text.contains("#YesAcme @acme"), "{text}");
    // The brand's person posts it from the app; someone else answers first without the hashtag.
    sim_post(
        &http,
        format!("{sim}/_sim/instagram/comments"),
        json!({"media_id": media_id, "username": "acme", "text": text}),
    )
    .await;
    let noise = sim_post(
        &http,
        format!("{sim}/_sim/instagram/comments"),
        json!({"media_id": media_id, "username": "maya", "text": "@acme what do you mean?"}),
    )
    .await;
    assert_eq!(noise["webhook"]["status"], 200);
    // The creator replies with the hashtag: that is the consent.
    let reply = sim_post(
        &http,
        format!("{sim}/_sim/instagram/comments"),
        json!({"media_id": media_id, "username": "maya", "text": "Of course! #YesAcme @acme"}),
    )
    .await;
    assert_eq!(reply["webhook"]["status"], 200, "{reply}");
    let rights = eventually(Duration::from_secs(30), "rights from the reply", || {
        let content = content.clone();
        let id = item_id.clone();
        async move {
            let r = content.rights(&id).await.unwrap();
            (!r.is_empty()).then_some(r)
        }
    })
    .await;
    assert_eq!(
        rights.len(),
        1,
        "the comment without the hashtag is not consent"
    );
    let r = &rights[0];
    let Consent::CommentReply {
        author,
        text,
        comment_id,
        permalink,
        ..
    } = &r.consent
    else {
        panic!("{r:?}")
    };
    assert_eq!(author, "maya");
    assert_eq!(text, "Of course! #YesAcme @acme");
    assert_eq!(comment_id, reply["comment"]["id"].as_str().unwrap());
    assert!(permalink.starts_with("https://www.instagram.com/p/"));
    let expires = r.expires_at.unwrap() - r.starts_at;
    assert_eq!(expires, 365 * 86_400);
    // The proof is in the consent bucket.
    let s3 = reelcart_aws::s3_client(&stack.emulator.sdk, true);
    let artifact = s3
        .get_object()
        .bucket(stack.physical("ConsentBucket").unwrap())
        .key(&r.artifact_key)
        .send()
        .await
        .unwrap();
    let artifact: Value =
        serde_json::from_slice(&artifact.body.collect().await.unwrap().into_bytes()).unwrap();
    assert_eq!(artifact["consent"]["author"], "maya");
    assert_eq!(artifact["recorded_by"], "ugc-ingest");
    let (_, out) = call(
        "GET",
        format!("/v1/moderation/items/{item_id}/rights-requests"),
        None,
    )
    .await;
    assert_eq!(out["requests"][0]["state"]["state"], "granted");

    // Now it publishes.
    let (s, out) = step(item_id.clone(), "published").await;
    assert_eq!(s, 200, "{out}");
    assert_eq!(out["item"]["status"], "published");

    // The mention: the request goes out as an API comment; a reply by someone other than the
    // author is not consent, and the item stays unpublishable.
    let (s, out) = call(
        "POST",
        format!("/v1/moderation/items/{mention_id}/rights-requests"),
        Some(terms),
    )
    .await;
    assert_eq!(s, 201, "{out}");
    assert_eq!(out["request"]["delivery"]["kind"], "api");
    // The command delivered twice more at once (SQS delivers at least once): one comment.
    let command = json!({"command": "post_rights_request", "item_id": mention_id,
        "request_id": out["request"]["id"]})
    .to_string();
    for _ in 0..2 {
        stack
            .clients
            .sqs
            .send_message()
            .queue_url(stack.physical("ContentQueue").unwrap())
            .message_body(&command)
            .send()
            .await
            .unwrap();
    }
    let posted = eventually(
        Duration::from_secs(30),
        "the request comment posted",
        || {
            let http = http.clone();
            let sim = sim.clone();
            let media = mention_media.clone();
            async move {
                let ugc: Value = http
                    .get(format!("{sim}/_sim/ugc"))
                    .send()
                    .await
                    .ok()?
                    .json()
                    .await
                    .ok()?;
                ugc["comments"]
                    .as_array()?
                    .iter()
                    .find(|c| c["media_id"] == media.as_str() && c["username"] == "acme")
                    .cloned()
            }
        },
    )
    .await;
    assert!(posted["text"].as_str().unwrap().contains("#YesAcme"));
    eventually(
        Duration::from_secs(30),
        "every copy of the command consumed",
        || {
            let stack = &stack;
            async move { (queue_depth(stack, "ContentQueue").await == 0).then_some(()) }
        },
    )
    .await;
    let ugc: Value = http
        .get(format!("{sim}/_sim/ugc"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ours = ugc["comments"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["media_id"] == mention_media.as_str() && c["username"] == "acme")
        .count();
    assert_eq!(ours, 1, "the request comment was posted {ours} times");
    let troll = sim_post(
        &http,
        format!("{sim}/_sim/instagram/comments"),
        json!({"media_id": mention_media, "username": "mallory", "text": "#YesAcme @acme"}),
    )
    .await;
    assert_eq!(troll["webhook"]["status"], 200);
    // Let the webhook travel the whole way (receiver → processor → ugc-ingest) before looking.
    eventually(Duration::from_secs(30), "the troll's reply handled", || {
        let stack = &stack;
        async move {
            (queue_depth(stack, "WebhookEventQueue").await == 0
                && queue_depth(stack, "ContentQueue").await == 0)
                .then_some(())
        }
    })
    .await;
    assert!(content.rights(&mention_id).await.unwrap().is_empty());
    let (s, out) = step(mention_id.clone(), "published").await;
    assert_eq!(
        (s, out["error"]["code"].as_str()),
        (409, Some("no_valid_rights"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_reviews_and_tiktok_videos_arrive_with_what_they_carry() {
    let stack = start_stack().await;
    let http = reqwest::Client::new();
    let sim = stack.sim_url.clone();
    let dynamo = aws_sdk_dynamodb::Client::new(&stack.emulator.sdk);
    let content = DynamoContent::new(dynamo, stack.physical("ContentTable").unwrap());
    let raw = stack.physical("RawMediaBucket").unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let clip = dir.path().join("clip.mp4");
    generate(Path::new("ffmpeg"), Sample::new(720, 1280, 2.0), &clip)
        .await
        .unwrap();
    let bytes = std::fs::read(&clip).unwrap();

    // A creator's upload: the presigned POST form, straight to S3.
    let policy = ugc_ingest::upload_policy(
        &raw,
        "cr_e2e",
        "up_1",
        "video/mp4",
        "2026-11",
        now() - 60,
        "First try-on ✨",
        50_000_000,
    )
    .unwrap();
    let form = reelcart_aws::presign::presign_post(&stack.emulator.sdk, &policy, now())
        .await
        .unwrap();
    let mut multipart = reqwest::multipart::Form::new();
    for (k, v) in &form.fields {
        multipart = multipart.text(k.clone(), v.clone());
    }
    multipart = multipart.part(
        "file",
        reqwest::multipart::Part::bytes(bytes.clone())
            .file_name("clip.mp4")
            .mime_str("video/mp4")
            .unwrap(),
    );
    let r = http
        .post(&form.url)
        .multipart(multipart)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "upload: {}", r.status());
    let upload_id = UgcItem::id_for(Source::Upload, "cr_e2e/up_1");
    let item = eventually(Duration::from_secs(30), "the upload ingested", || {
        let content = content.clone();
        let id = upload_id.clone();
        async move { content.item(&id).await.unwrap() }
    })
    .await;
    assert_eq!(item.caption, "First try-on ✨");
    assert_eq!(item.author.creator_id.as_deref(), Some("cr_e2e"));
    let rights = content.rights(&upload_id).await.unwrap();
    assert_eq!(rights.len(), 1);
    assert!(
        matches!(&rights[0].consent, Consent::PortalTerms { creator_id, .. } if creator_id == "cr_e2e")
    );

    // A review from the store's review app (Standard Webhooks), with a photo on its CDN.
    http.put(format!("{sim}/_sim/media-files/review.jpg"))
        .header("content-type", "image/jpeg")
        .body(vec![0xff, 0xd8, 0xff, 0xe0, 0, 16])
        .send()
        .await
        .unwrap();
    let body = json!({"type": "review.created", "timestamp": "2026-11-26T07:00:00Z", "data": {
        "id": "rv_e2e", "sku": "TEE-00001", "rating": 5, "title": "Great", "body": "Soft.",
        "reviewer": {"name": "Sam"}, "media": [{"type": "image", "url": format!("{sim}/_sim/ig-cdn/review.jpg")}],
        "consent": {"terms_version": "r1", "accepted_at": now() - 100}}})
    .to_string();
    let d = reelcart_local::simulator::standard(
        "reviews",
        "whsec_ZGVtby1zdGFuZGFyZC13ZWJob29rLXNlY3JldA==",
        "msg_review_e2e",
        now(),
        &body,
    );
    assert_eq!(post(&http, &stack, &d).await.0, 200);
    let review_id = UgcItem::id_for(Source::Review, "rv_e2e");
    let review = eventually(Duration::from_secs(30), "the review ingested", || {
        let content = content.clone();
        let id = review_id.clone();
        async move { content.item(&id).await.unwrap() }
    })
    .await;
    assert_eq!(
        review.media_key.as_deref(),
        Some(format!("ugc/{review_id}/source.jpg").as_str())
    );
    assert_eq!(
        content.mappings(&review_id).await.unwrap()[0].sku,
        "TEE-00001"
    );
    assert_eq!(content.rights(&review_id).await.unwrap().len(), 1);

    // A connected TikTok creator's video: listed, its cover kept, no rights by itself.
    stack
        .connect_demo(OAuthPlatform::Tiktok, "act.e2e-creator", None)
        .await
        .unwrap();
    http.put(format!("{sim}/_sim/media-files/cover.jpg"))
        .header("content-type", "image/jpeg")
        .body(vec![0xff, 0xd8, 0xff, 0xe0, 0, 16])
        .send()
        .await
        .unwrap();
    let video = sim_post(
        &http,
        format!("{sim}/_sim/tiktok/videos"),
        json!({"open_id": "act.e2e-creator", "video_description": "GRWM with @acme", "duration": 14,
            "width": 1080, "height": 1920, "cover_image_url": format!("{sim}/_sim/ig-cdn/cover.jpg")}),
    )
    .await;
    let video_id = video["id"]
        .as_str()
        .map(str::to_string)
        .or_else(|| video["video"]["id"].as_str().map(str::to_string))
        .unwrap();
    stack
        .fire_schedule("UgcIngestFunction.Poll")
        .await
        .unwrap()
        .unwrap();
    let tiktok_id = UgcItem::id_for(Source::Tiktok, &video_id);
    let tiktok = content.item(&tiktok_id).await.unwrap().unwrap();
    assert_eq!(tiktok.caption, "GRWM with @acme");
    assert_eq!(
        tiktok.media_key.as_deref(),
        Some(format!("ugc/{tiktok_id}/cover.jpg").as_str())
    );
    assert!(tiktok.permalink.unwrap().contains(&video_id));
    assert!(content.rights(&tiktok_id).await.unwrap().is_empty());
}
