//! The sample event in `events/publisher/` is what EventBridge Scheduler delivers (the `Publish`
//! ScheduleV2 of template.yaml has no `Input`: Scheduler's default notification), and the
//! function's invocation — which takes any JSON and runs the publisher — publishes what is due.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use publisher::Publisher;
use reelcart_domain::FixedClock;
use reelcart_domain::content::{
    Channel, Consent, MediaType, ProductMapping, Rights, Source, Status, UgcItem,
};
use reelcart_ports::memory::{MemoryContent, MemoryMediaVisibility};
use reelcart_ports::{ItemStore, MappingStore, RightsStore};
use serde_json::Value;
use std::sync::Arc;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../events/publisher");
/// When the sample was sent.
const NOW: i64 = 1_764_115_500;

/// As the runtime does (`LambdaEvent<Value>`): the payload is any JSON value.
fn payload(name: &str) -> Value {
    let text = std::fs::read_to_string(format!("{DIR}/{name}")).unwrap();
    serde_json::from_slice(text.as_bytes()).unwrap()
}

#[test]
fn the_directory_holds_the_scheduled_event_only() {
    let found: Vec<String> = std::fs::read_dir(DIR)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(found, ["schedule.json"]);
}

#[test]
fn the_sample_is_schedulers_default_notification_for_the_publish_schedule() {
    let event = payload("schedule.json");
    assert_eq!(event["source"], "aws.scheduler");
    assert_eq!(event["detail-type"], "Scheduled Event");
    // Scheduler sends `detail` as the string "{}", not an object.
    assert_eq!(event["detail"], "{}");
    assert_eq!(
        event["resources"][0],
        "arn:aws:scheduler:us-east-1:123456789012:schedule/default/reelcart-publish"
    );
}

fn approved(external_id: &str, publish_at: i64) -> UgcItem {
    UgcItem {
        status: Status::Approved,
        publish_at: Some(publish_at),
        ..UgcItem::new(
            Source::Upload,
            external_id,
            MediaType::Video,
            "",
            NOW - 86_400,
        )
    }
}

#[tokio::test]
async fn the_scheduled_event_publishes_what_is_due() {
    let publisher = Publisher {
        content: MemoryContent::default(),
        visibility: MemoryMediaVisibility::default(),
        clock: Arc::new(FixedClock::at(NOW)),
    };
    let due = approved("cr_maya/up_01", NOW - 60);
    let later = approved("cr_maya/up_02", NOW + 3600);
    for item in [&due, &later] {
        publisher.content.create_item(item).await.unwrap();
        publisher
            .content
            .put_mapping(
                &item.id,
                &ProductMapping {
                    sku: "TEE-BLK-M".into(),
                    placement: "pdp".into(),
                    confidence: 1.0,
                    pinned: false,
                },
            )
            .await
            .unwrap();
        publisher
            .content
            .put_rights(&Rights {
                id: format!("r-{}", item.id),
                item_id: item.id.clone(),
                license: "site".into(),
                channels: [Channel::Site].into_iter().collect(),
                starts_at: NOW - 86_400,
                expires_at: None,
                revoked_at: None,
                consent: Consent::PortalTerms {
                    creator_id: "cr_maya".into(),
                    terms_version: "2026-11".into(),
                    accepted_at: NOW - 86_400,
                },
                artifact_key: format!("consent/r-{}.json", item.id),
            })
            .await
            .unwrap();
    }
    // What `main` does with an invocation: the payload is not read, the publisher runs.
    let _event: Value = payload("schedule.json");
    let report = publisher.run().await.unwrap();
    let answer = serde_json::to_value(&report).unwrap();
    assert_eq!(answer["due"], 1);
    assert_eq!(answer["published"], serde_json::json!([due.id.clone()]));
    assert_eq!(
        publisher
            .content
            .item(&due.id)
            .await
            .unwrap()
            .unwrap()
            .status,
        Status::Published
    );
    assert_eq!(
        publisher
            .content
            .item(&later.id)
            .await
            .unwrap()
            .unwrap()
            .status,
        Status::Approved
    );
}
