//! The sample events in `events/transcoder/` are what the handler takes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use aws_lambda_events::sqs::SqsEvent;
use transcoder::mediaconvert::JobEvent;
use transcoder::{TranscodeRequest, valid_item_id};

fn load(name: &str) -> serde_json::Value {
    let path = format!(
        "{}/../../events/transcoder/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn the_sqs_sample_is_a_transcode_request() {
    let batch: SqsEvent = serde_json::from_value(load("sqs-batch.json")).unwrap();
    let body = batch.records[0].body.as_deref().unwrap();
    let req: TranscodeRequest = serde_json::from_str(body).unwrap();
    assert_eq!(req.item_id, "ugc_01HZX3");
    assert!(valid_item_id(&req.item_id));
    assert_eq!(req.key, "uploads/ugc_01HZX3/clip.mov");
    // Unknown fields are refused rather than ignored.
    assert!(
        serde_json::from_str::<TranscodeRequest>(r#"{"item_id":"a","bucket":"b","key":"c","x":1}"#)
            .is_err()
    );
}

#[test]
fn the_mediaconvert_samples_parse() {
    let done = JobEvent::parse(&load("mediaconvert-complete.json")).unwrap();
    assert_eq!(done.status, "COMPLETE");
    assert_eq!(done.item_id, "ugc_01HZX3");
    assert!(done.master_uri.unwrap().ends_with("-v1/master.m3u8"));
    assert!(done.poster_uri.unwrap().ends_with("poster.0000000.jpg"));
    let failed = JobEvent::parse(&load("mediaconvert-error.json")).unwrap();
    assert_eq!(failed.status, "ERROR");
    assert_eq!(failed.error_code.as_deref(), Some("1010"));
}

#[test]
fn item_ids_are_safe_as_keys_and_paths() {
    for bad in ["", "../x", "a/b", "a b", "é", &"x".repeat(129)] {
        assert!(!valid_item_id(bad), "{bad}");
    }
    assert!(valid_item_id("ugc_01HZX3-a"));
}
