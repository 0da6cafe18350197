//! The sample event in `events/rights-enforcer/` is what EventBridge Scheduler delivers (the
//! `Enforce` ScheduleV2 of template.yaml has no `Input`: Scheduler's default notification), and
//! the function's invocation — which takes any JSON and runs the enforcer — takes down what may no
//! longer be shown.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use reelcart_domain::FixedClock;
use reelcart_domain::content::{Channel, Consent, MediaType, Rights, Source, Status, UgcItem};
use reelcart_ports::memory::{MemoryCdn, MemoryContent};
use reelcart_ports::{ItemStore, RightsStore};
use rights_enforcer::Enforcer;
use serde_json::Value;
use std::sync::Arc;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../events/rights-enforcer");
/// When the sample was sent.
const NOW: i64 = 1_764_116_100;

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
fn the_sample_is_schedulers_default_notification_for_the_enforce_schedule() {
    let event = payload("schedule.json");
    assert_eq!(event["source"], "aws.scheduler");
    assert_eq!(event["detail-type"], "Scheduled Event");
    // Scheduler sends `detail` as the string "{}", not an object.
    assert_eq!(event["detail"], "{}");
    assert_eq!(
        event["resources"][0],
        "arn:aws:scheduler:us-east-1:123456789012:schedule/default/reelcart-rights-enforce"
    );
}

fn published(external_id: &str) -> UgcItem {
    UgcItem {
        status: Status::Published,
        ..UgcItem::new(
            Source::InstagramMention,
            external_id,
            MediaType::Video,
            "",
            NOW - 86_400,
        )
    }
}

fn site_rights(item: &UgcItem, expires_at: Option<i64>) -> Rights {
    Rights {
        id: format!("r-{}", item.id),
        item_id: item.id.clone(),
        license: "site".into(),
        channels: [Channel::Site].into_iter().collect(),
        starts_at: NOW - 86_400,
        expires_at,
        revoked_at: None,
        consent: Consent::CommentReply {
            comment_id: "17858893269000001".into(),
            author: "mayamakes".into(),
            text: "#YesAcme @acme".into(),
            permalink: "https://www.instagram.com/p/C0example/".into(),
            replied_at: NOW - 86_400,
        },
        artifact_key: format!("consent/r-{}.json", item.id),
    }
}

#[tokio::test]
async fn the_scheduled_event_takes_down_items_whose_rights_expired() {
    let enforcer = Enforcer {
        content: MemoryContent::default(),
        cdn: MemoryCdn::default(),
        media: None,
        clock: Arc::new(FixedClock::at(NOW)),
        grace_secs: 7 * 86_400,
    };
    let expired = published("17887498072083520");
    let valid = published("17887498072083521");
    for (item, expires_at) in [(&expired, Some(NOW - 60)), (&valid, None)] {
        enforcer.content.create_item(item).await.unwrap();
        enforcer
            .content
            .put_rights(&site_rights(item, expires_at))
            .await
            .unwrap();
    }
    // What `main` does with an invocation: the payload is not read, the enforcer runs.
    let _event: Value = payload("schedule.json");
    let report = enforcer.run().await.unwrap();
    let answer = serde_json::to_value(&report).unwrap();
    assert_eq!(answer["checked"], 2);
    assert_eq!(answer["archived"][0]["item_id"], expired.id.as_str());
    assert_eq!(answer["archived"].as_array().unwrap().len(), 1);
    assert_eq!(
        enforcer.cdn.calls(),
        vec![vec![format!("/media/{}/*", expired.id)]]
    );
    assert_eq!(
        enforcer
            .content
            .item(&expired.id)
            .await
            .unwrap()
            .unwrap()
            .status,
        Status::Archived
    );
    assert_eq!(
        enforcer
            .content
            .item(&valid.id)
            .await
            .unwrap()
            .unwrap()
            .status,
        Status::Published
    );
}
