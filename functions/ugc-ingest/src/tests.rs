//! Ingest over in-memory ports and a local "CDN": dedupe, the media allow-list and its
//! refusals, size and type limits, redirects, the blocklists, queueing for the transcoder.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::*;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use reelcart_domain::content::blocklist::{Blocklist, OnHit};
use reelcart_ports::memory::{
    MemoryBlobs, MemoryConnections, MemoryContent, MemoryEventBus, MemoryKeys, MemoryQueue,
};
use reelcart_ports::{BlocklistStore, ItemStore, MappingStore, RightsStore};
use std::sync::Mutex;
use std::time::Duration;

#[derive(Debug, Default)]
struct MemoryRaw {
    objects: Mutex<Vec<(String, String, usize)>>,
    heads: Mutex<std::collections::HashMap<String, ObjectHead>>,
}

impl RawMedia for Arc<MemoryRaw> {
    fn bucket(&self) -> &str {
        "raw-bucket"
    }

    async fn head(&self, key: &str) -> Result<Option<ObjectHead>, String> {
        Ok(self.heads.lock().unwrap().get(key).cloned())
    }

    async fn put_file(&self, key: &str, path: &Path, content_type: &str) -> Result<(), String> {
        let len = std::fs::read(path).map_err(|e| e.to_string())?.len();
        self.objects
            .lock()
            .unwrap()
            .push((key.into(), content_type.into(), len));
        Ok(())
    }
}

type TestHandler = Handler<
    MemoryContent,
    MemoryQueue,
    MemoryBlobs,
    Arc<MemoryRaw>,
    Arc<MemoryConnections>,
    MemoryKeys,
    Arc<MemoryEventBus>,
>;

/// A CDN on 127.0.0.1 with a video, an image, HTML, a lying size and a redirect off the list.
async fn cdn() -> String {
    let app = axum::Router::new()
        .route(
            "/v.mp4",
            get(|| async { ([(header::CONTENT_TYPE, "video/mp4")], vec![7u8; 4096]) }),
        )
        .route(
            "/i.jpg",
            get(|| async { ([(header::CONTENT_TYPE, "image/jpeg")], vec![1u8; 512]) }),
        )
        .route(
            "/page.html",
            get(|| async { ([(header::CONTENT_TYPE, "text/html")], "<html>") }),
        )
        .route(
            "/big.mp4",
            get(|| async { ([(header::CONTENT_TYPE, "video/mp4")], vec![0u8; 20_000]) }),
        )
        .route(
            "/gone.jpg",
            get(|| async { StatusCode::NOT_FOUND.into_response() }),
        )
        .route(
            "/redirect.mp4",
            get(|| async {
                let mut h = HeaderMap::new();
                h.insert(
                    header::LOCATION,
                    "http://169.254.169.254/latest/meta-data/".parse().unwrap(),
                );
                (StatusCode::FOUND, h)
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.ok() });
    format!("http://{addr}")
}

fn handler(cdn: &str) -> TestHandler {
    let vars = reelcart_lambda::config::Vars(|_: &str| None);
    let apps = reelcart_platforms::AppCredentials::from_json("{}").unwrap();
    let cfg = reelcart_platforms::PlatformConfig::from_vars(&vars, apps).unwrap();
    Handler {
        content: MemoryContent::default(),
        transcode: MemoryQueue::default(),
        consent: MemoryBlobs::default(),
        raw: Arc::new(MemoryRaw::default()),
        fetcher: Fetcher::new(
            vec![
                cdn.to_string(),
                "*.cdninstagram.com".into(),
                "localhost".into(),
            ],
            10_000,
            1_000,
        )
        .unwrap(),
        tiktok: TiktokDisplay::new(&cfg).unwrap(),
        connections: Arc::new(Refresher {
            store: Arc::new(MemoryConnections::default()),
            vault: reelcart_vault::Vault::new(MemoryKeys::with_keys(&["k"]), "k".to_string()),
            client: HttpTokenClient::new(cfg).unwrap(),
            events: Arc::new(MemoryEventBus::default()),
            clock: Arc::new(reelcart_domain::SystemClock),
            policy: Default::default(),
            owner: "t".into(),
            lease_secs: 60,
            wait_for_other: Duration::from_secs(1),
        }),
        config: Config {
            upload_channels: [Channel::Site, Channel::Ads].into(),
            review_channels: [Channel::Site].into(),
            max_upload_bytes: 10_000,
            ..Config::default()
        },
        clock: Arc::new(reelcart_domain::FixedClock::at(1_800_000_000)),
    }
}

fn candidate(id: &str, url: &str, caption: &str) -> Candidate {
    Candidate::from_instagram(
        Source::InstagramHashtag,
        &IgMedia {
            id: id.into(),
            caption: Some(caption.into()),
            media_type: Some("VIDEO".into()),
            media_url: Some(url.into()),
            permalink: Some(format!("https://www.instagram.com/p/{id}/")),
            ..IgMedia::default()
        },
    )
}

#[tokio::test]
async fn a_video_is_stored_queued_for_transcoding_and_ingested_once() {
    let cdn = cdn().await;
    let h = handler(&cdn);
    let c = candidate("m1", &format!("{cdn}/v.mp4"), "my new tee #acme");
    let out = h.ingest(&c).await.unwrap();
    let Ingested::Created {
        item_id,
        status,
        transcode,
    } = out
    else {
        panic!("{out:?}")
    };
    assert_eq!((status, transcode), (Status::Queued, true));
    let item = h.content.item(&item_id).await.unwrap().unwrap();
    let key = format!("ugc/{item_id}/source.mp4");
    assert_eq!(item.media_key.as_deref(), Some(key.as_str()));
    assert_eq!(item.source, Source::InstagramHashtag);
    assert_eq!(item.author.handle, None);
    assert_eq!(
        h.raw.objects.lock().unwrap().clone(),
        vec![(key.clone(), "video/mp4".to_string(), 4096)]
    );
    let sent: TranscodeRequest = serde_json::from_str(&h.transcode.messages()[0]).unwrap();
    assert_eq!(
        sent,
        TranscodeRequest {
            item_id: item_id.clone(),
            bucket: "raw-bucket".into(),
            key
        }
    );
    // The same post again: nothing downloaded, nothing queued.
    assert_eq!(
        h.ingest(&c).await.unwrap(),
        Ingested::Known {
            item_id: item_id.clone()
        }
    );
    assert_eq!(h.raw.objects.lock().unwrap().len(), 1);
    assert_eq!(h.transcode.messages().len(), 1);

    // An image is stored and not transcoded.
    let mut img = candidate("m2", &format!("{cdn}/i.jpg"), "pic");
    img.media_type = MediaType::Image;
    assert!(matches!(
        h.ingest(&img).await.unwrap(),
        Ingested::Created {
            transcode: false,
            ..
        }
    ));
    assert_eq!(h.transcode.messages().len(), 1);
}

#[tokio::test]
async fn crafted_media_urls_are_refused_and_leave_nothing_behind() {
    let cdn = cdn().await;
    let h = handler(&cdn);
    let port = cdn.rsplit(':').next().unwrap();
    let cases = [
        ("http://169.254.169.254/latest/meta-data/iam/", "only https"),
        ("https://169.254.169.254/latest/meta-data/", "IP address"),
        (
            "https://evil.example.com/v.mp4",
            "not on the media allow-list",
        ),
        (
            "https://scontent.cdninstagram.com.evil.example/v.mp4",
            "not on the media allow-list",
        ),
        (
            &format!("http://127.0.0.1:{port}@evil.example/v.mp4"),
            "only https",
        ),
        // Allowed by name, but it resolves to loopback.
        ("https://localhost/v.mp4", "non-public address"),
        (&format!("{cdn}/redirect.mp4"), "redirect refused"),
        (&format!("{cdn}/page.html"), "not video or an image"),
        (&format!("{cdn}/big.mp4"), "larger than 10000 bytes"),
        (&format!("{cdn}/gone.jpg"), "404"),
    ];
    for (n, (url, why)) in cases.iter().enumerate() {
        let out = h
            .ingest(&candidate(&format!("bad{n}"), url, "x"))
            .await
            .unwrap();
        match out {
            Ingested::Refused { reason, .. } => {
                assert!(reason.contains(why), "{url}: {reason}")
            }
            other => panic!("{url}: {other:?}"),
        }
    }
    assert!(h.raw.objects.lock().unwrap().is_empty());
    assert!(h.transcode.messages().is_empty());
    assert!(
        h.content
            .items_by_status(Status::Queued, 100, None)
            .await
            .unwrap()
            .items
            .is_empty()
    );
}

#[tokio::test]
async fn the_blocklist_rejects_or_flags_as_configured() {
    let cdn = cdn().await;
    let h = handler(&cdn);
    h.content
        .put_blocklist(&Blocklist {
            words: vec!["giveaway".into()],
            handles: vec![],
            on_hit: OnHit::Reject,
        })
        .await
        .unwrap();
    let out = h
        .ingest(&candidate("r1", &format!("{cdn}/v.mp4"), "GIVEAWAY time"))
        .await
        .unwrap();
    let Ingested::Created {
        item_id,
        status: Status::Rejected,
        transcode: false,
    } = out
    else {
        panic!("{out:?}")
    };
    let item = h.content.item(&item_id).await.unwrap().unwrap();
    assert!(item.rejection.unwrap().contains("giveaway"));
    let audit = h.content.audit(&item_id).await.unwrap();
    assert_eq!(audit.len(), 1);
    assert_eq!(
        (audit[0].actor.as_str(), audit[0].to),
        (ACTOR, Status::Rejected)
    );
    assert!(h.transcode.messages().is_empty());

    h.content
        .put_blocklist(&Blocklist {
            words: vec!["giveaway".into()],
            handles: vec![],
            on_hit: OnHit::Flag,
        })
        .await
        .unwrap();
    let out = h
        .ingest(&candidate("f1", &format!("{cdn}/v.mp4"), "giveaway!"))
        .await
        .unwrap();
    let Ingested::Created {
        item_id,
        status: Status::Queued,
        transcode: true,
    } = out
    else {
        panic!("{out:?}")
    };
    let item = h.content.item(&item_id).await.unwrap().unwrap();
    assert_eq!(item.flags.len(), 1);
    assert!(item.flags[0].contains("giveaway"));
}

#[tokio::test]
async fn queue_messages_it_cannot_use_are_acknowledged_or_dropped() {
    let h = handler("http://127.0.0.1:1");
    // An order event is not ingest's business: acknowledged.
    let order = json!({"id": "e1", "kind": "order_created", "platform": "shopify", "received_at": 1, "data": {}});
    let out = h.on_message(&order.to_string()).await.unwrap();
    assert_eq!(out["ignored"], "order_created");
    // S3's test event (the raw bucket's notification being configured): acknowledged.
    let test_event = json!({"Service": "Amazon S3", "Event": "s3:TestEvent", "Time": "2026-12-04T10:00:00.000Z",
        "Bucket": "raw", "RequestId": "r", "HostId": "h"});
    let out = h.on_message(&test_event.to_string()).await.unwrap();
    assert_eq!(out["ignored"], "s3:TestEvent");
    assert!(matches!(
        h.on_message("not json").await,
        Err(Error::Malformed(_))
    ));
    assert!(matches!(
        h.on_message(r#"{"command":"post_rights_request","item_id":"ugc_x","request_id":"nope"}"#)
            .await,
        Err(Error::Malformed(_))
    ));
    // A mention with neither media nor comment.
    let empty = json!({"id": "e2", "kind": "content_mention", "platform": "meta", "received_at": 1, "data": {"field": "mentions", "value": {}}});
    assert!(matches!(
        h.on_message(&empty.to_string()).await,
        Err(Error::Malformed(_))
    ));
    // Instagram not configured: a real mention is retried, not dropped.
    let mention = json!({"id": "e3", "kind": "content_mention", "platform": "meta", "received_at": 1, "data": {"field": "mentions", "value": {"media_id": "1"}}});
    assert!(matches!(
        h.on_message(&mention.to_string()).await,
        Err(Error::Platform(_))
    ));
}

fn s3_record(bucket: &str, key: &str) -> String {
    json!({"Records": [{"eventSource": "aws:s3", "eventName": "ObjectCreated:Post",
        "s3": {"bucket": {"name": bucket}, "object": {"key": key, "size": 10}}}]})
    .to_string()
}

#[tokio::test]
async fn an_upload_through_the_portal_arrives_with_its_terms_as_consent() {
    let h = handler("http://127.0.0.1:1");
    let policy = upload_policy(
        "raw-bucket",
        "cr_7",
        "up_1",
        "video/mp4",
        "2026-01",
        1_799_999_000,
        "My look, día 1",
        10_000,
    )
    .unwrap();
    assert_eq!(policy.key, "uploads/cr_7/up_1.mp4");
    h.raw.heads.lock().unwrap().insert(
        policy.key.clone(),
        ObjectHead {
            content_type: "video/mp4".into(),
            size: 5000,
            metadata: policy.metadata.clone().into_iter().collect(),
        },
    );
    // S3 sends the key URL-encoded.
    let out = h
        .on_message(&s3_record("raw-bucket", "uploads/cr_7/up_1.mp4"))
        .await
        .unwrap();
    assert_eq!(out["uploads"][0]["outcome"], "created", "{out}");
    let id = UgcItem::id_for(Source::Upload, "cr_7/up_1");
    let item = h.content.item(&id).await.unwrap().unwrap();
    assert_eq!(item.caption, "My look, día 1");
    assert_eq!(item.author.creator_id.as_deref(), Some("cr_7"));
    assert_eq!(item.media_key.as_deref(), Some("uploads/cr_7/up_1.mp4"));
    let rights = h.content.rights(&id).await.unwrap();
    assert_eq!(rights.len(), 1);
    assert!(rights[0].valid_for(Channel::Ads, 1_800_000_000));
    assert!(
        matches!(&rights[0].consent, Consent::PortalTerms { terms_version, accepted_at: 1_799_999_000, .. } if terms_version == "2026-01")
    );
    assert!(
        h.consent
            .get(&rights[0].artifact_key)
            .await
            .unwrap()
            .is_some()
    );
    let sent: TranscodeRequest = serde_json::from_str(&h.transcode.messages()[0]).unwrap();
    assert_eq!(sent.key, "uploads/cr_7/up_1.mp4");
    // Redelivered: one item, one rights record.
    h.on_message(&s3_record("raw-bucket", "uploads/cr_7/up_1.mp4"))
        .await
        .unwrap();
    assert_eq!(h.content.rights(&id).await.unwrap().len(), 1);

    // Not through the portal (no terms), too large, another bucket, another prefix.
    h.raw.heads.lock().unwrap().insert(
        "uploads/cr_7/up_2.mp4".into(),
        ObjectHead {
            content_type: "video/mp4".into(),
            size: 5000,
            metadata: Default::default(),
        },
    );
    let out = h
        .on_message(&s3_record("raw-bucket", "uploads/cr_7/up_2.mp4"))
        .await
        .unwrap();
    assert_eq!(out["uploads"][0]["outcome"], "refused");
    h.raw.heads.lock().unwrap().insert(
        "uploads/cr_7/up_3.mp4".into(),
        ObjectHead {
            content_type: "video/mp4".into(),
            size: 50_000,
            metadata: policy.metadata.clone().into_iter().collect(),
        },
    );
    let out = h
        .on_message(&s3_record("raw-bucket", "uploads/cr_7/up_3.mp4"))
        .await
        .unwrap();
    assert!(
        out["uploads"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("larger")
    );
    assert!(matches!(
        h.on_message(&s3_record("other-bucket", "uploads/cr_7/up_1.mp4"))
            .await,
        Err(Error::Malformed(_))
    ));
    assert!(matches!(
        h.on_message(&s3_record("raw-bucket", "ugc/x/source.mp4"))
            .await,
        Err(Error::Malformed(_))
    ));
    assert!(upload_policy("b", "cr", "up", "text/html", "1", 0, "", 1).is_err());
    assert!(upload_policy("b", "../cr", "up", "video/mp4", "1", 0, "", 1).is_err());
}

#[tokio::test]
async fn a_review_with_media_brings_its_product_and_its_terms() {
    let cdn = cdn().await;
    let h = handler(&cdn);
    let review = json!({"type": "review.created", "timestamp": "2026-11-26T07:00:00Z", "data": {
        "id": "rv_42", "sku": "TEE-BLK-M", "rating": 5, "title": "Perfect fit",
        "body": "Wearing it daily.", "reviewer": {"name": "Sam K."},
        "media": [{"type": "image", "url": format!("{cdn}/i.jpg")}, {"type": "video", "url": format!("{cdn}/v.mp4")}],
        "consent": {"terms_version": "reviews-3", "accepted_at": 1_799_000_000}
    }});
    let event = json!({"id": "sw_1", "kind": "review_created", "platform": "standard",
        "account": "reviews", "subject": "rv_42", "received_at": 1, "data": review});
    let out = h.on_message(&event.to_string()).await.unwrap();
    assert_eq!(out["outcome"], "created", "{out}");
    let id = UgcItem::id_for(Source::Review, "rv_42");
    let item = h.content.item(&id).await.unwrap().unwrap();
    assert_eq!(item.media_type, MediaType::Video, "the video is preferred");
    assert_eq!(item.caption, "Perfect fit\nWearing it daily.");
    assert_eq!(item.author.handle.as_deref(), Some("Sam K."));
    let maps = h.content.mappings(&id).await.unwrap();
    assert_eq!(
        (maps[0].sku.as_str(), maps[0].placement.as_str()),
        ("TEE-BLK-M", "pdp")
    );
    let rights = h.content.rights(&id).await.unwrap();
    assert!(rights[0].valid_for(Channel::Site, 1_800_000_000));
    assert!(!rights[0].valid_for(Channel::Ads, 1_800_000_000));
    assert_eq!(h.transcode.messages().len(), 1);
}

#[tokio::test]
async fn the_fixture_batch_reports_only_what_must_be_retried() {
    // events/ugc-ingest/sqs-batch.json: two mentions (Instagram is not connected here: retried),
    // a command for an unknown request (poison: reported, so the redrive policy moves it to the
    // dead-letter queue), an upload already gone (done), a review whose image host is not allowed
    // (refused, done).
    let h = handler("http://127.0.0.1:1");
    let fixture = include_str!("../../../events/ugc-ingest/sqs-batch.json");
    let mut event: SqsEvent = serde_json::from_str(fixture).unwrap();
    for r in &mut event.records {
        // The fixture's bucket is the deployed one's name.
        if let Some(b) = &r.body {
            r.body = Some(b.replace("reelcart-rawmediabucket", "raw-bucket"));
        }
    }
    let ids: Vec<String> = event
        .records
        .iter()
        .map(|r| r.message_id.clone().unwrap())
        .collect();
    let out = h.handle_sqs(event).await.unwrap();
    let mut failed: Vec<String> = out
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.clone())
        .collect();
    failed.sort();
    assert_eq!(failed, vec![ids[0].clone(), ids[1].clone(), ids[2].clone()]);
    let review = h
        .content
        .item(&UgcItem::id_for(Source::Review, "rev_01"))
        .await
        .unwrap();
    assert!(review.is_none(), "its image is not on an allowed host");
}
