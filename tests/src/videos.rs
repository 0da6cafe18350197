//! Published, transcoded videos mapped to a SKU: what the storefront tests put on a product page.

use aws_sdk_s3::primitives::ByteStream;
use reelcart_aws::{DynamoContent, DynamoMediaRecords};
use reelcart_domain::content::{
    Author, Channel, Consent, MediaType, ProductMapping, Rights, Source, Status, UgcItem,
};
use reelcart_domain::video::{MediaStatus, TranscodeRequest};
use reelcart_local::Stack;
use reelcart_media::samples::{Sample, generate};
use reelcart_ports::MediaRecords;
use reelcart_ports::{ItemStore, MappingStore, RightsStore};
use std::path::Path;
use std::time::Duration;

/// One video per creator (`cr_*`), uploaded and transcoded by the stack's transcoder, published
/// with the creator's portal terms and mapped to `sku` on the product page and in the summer
/// collection (the first pinned, so the feed's order is known). Returns their item ids once
/// every one is transcoded.
pub async fn publish_videos(stack: &Stack, sku: &str, creators: &[&str], now: i64) -> Vec<String> {
    let dynamo = aws_sdk_dynamodb::Client::new(&stack.emulator.sdk);
    let content = DynamoContent::new(dynamo.clone(), stack.physical("ContentTable").unwrap());
    let media = DynamoMediaRecords::new(dynamo, stack.physical("ContentTable").unwrap());
    let s3 = reelcart_aws::s3_client(&stack.emulator.sdk, true);
    let raw = stack.physical("RawMediaBucket").unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let mut ids = Vec::new();
    for (n, creator) in creators.iter().enumerate() {
        let clip = dir.path().join(format!("c{n}.mp4"));
        generate(Path::new("ffmpeg"), Sample::new(720, 1280, 8.0), &clip)
            .await
            .unwrap();
        let mut item = UgcItem::new(
            Source::Upload,
            &format!("{creator}/up{n}"),
            MediaType::Video,
            &format!("My everyday tee, take {n}"),
            now - 100 + n as i64,
        );
        item.author = Author {
            handle: Some(creator.trim_start_matches("cr_").into()),
            creator_id: Some((*creator).into()),
        };
        item.status = Status::Published;
        let key = format!("uploads/{creator}/up{n}.mp4");
        s3.put_object()
            .bucket(&raw)
            .key(&key)
            .content_type("video/mp4")
            .body(ByteStream::from_path(&clip).await.unwrap())
            .send()
            .await
            .unwrap();
        assert!(content.create_item(&item).await.unwrap());
        // Transcoded after the item exists (as ingest orders it): the transcoder opens the
        // media of an item it finds published.
        stack
            .clients
            .sqs
            .send_message()
            .queue_url(stack.physical("TranscodeQueue").unwrap())
            .message_body(
                serde_json::to_string(&TranscodeRequest {
                    item_id: item.id.clone(),
                    bucket: raw.clone(),
                    key,
                })
                .unwrap(),
            )
            .send()
            .await
            .unwrap();
        content
            .put_rights(&Rights {
                id: format!("r{n}"),
                item_id: item.id.clone(),
                license: "creator portal terms".into(),
                channels: [Channel::Site].into(),
                starts_at: now - 100,
                expires_at: None,
                revoked_at: None,
                consent: Consent::PortalTerms {
                    creator_id: (*creator).into(),
                    terms_version: "1".into(),
                    accepted_at: now - 100,
                },
                artifact_key: "consent/test".into(),
            })
            .await
            .unwrap();
        for placement in ["pdp", "collection:summer"] {
            content
                .put_mapping(
                    &item.id,
                    &ProductMapping {
                        sku: sku.into(),
                        placement: placement.into(),
                        confidence: 1.0,
                        // The first is pinned: the order in the feed is known.
                        pinned: n == 0,
                    },
                )
                .await
                .unwrap();
        }
        ids.push(item.id);
    }
    let http = reqwest::Client::new();
    for id in &ids {
        crate::eventually(Duration::from_secs(120), "transcoded and opened", || {
            let media = media.clone();
            let id = id.clone();
            let http = http.clone();
            async move {
                let master = media
                    .get(&id)
                    .await
                    .unwrap()
                    .filter(|r| r.status == MediaStatus::Transcoded)?
                    .manifest?
                    .master;
                let served = http.get(&master).send().await.ok()?.status().is_success();
                served.then_some(())
            }
        })
        .await;
    }
    ids
}
