//! The sample events in `events/token-refresher/`: what EventBridge Scheduler delivers (the `Sweep`
//! ScheduleV2 of template.yaml has no `Input`: Scheduler's default notification) and the
//! key-rotation command an operator invokes it with (docs/deploy.md). Both are what the function
//! takes (`LambdaEvent<Value>`). `Handler` holds an `AwsRefresher` (DynamoDB, KMS, EventBridge,
//! the platforms over HTTPS) and cannot be built over in-memory ports, so only the payloads and
//! the action each one selects are checked here.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::Value;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../events/token-refresher");

/// As the runtime does (`LambdaEvent<Value>`): the payload is any JSON value.
fn payload(name: &str) -> Value {
    let text = std::fs::read_to_string(format!("{DIR}/{name}")).unwrap();
    serde_json::from_slice(text.as_bytes()).unwrap()
}

/// The action `Handler::handle` reads from an event: `action`, else a sweep.
fn action(event: &Value) -> &str {
    event
        .get("action")
        .and_then(Value::as_str)
        .unwrap_or("sweep")
}

#[test]
fn the_directory_holds_the_two_samples() {
    let mut found: Vec<String> = std::fs::read_dir(DIR)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    found.sort();
    assert_eq!(found, ["reseal-all.json", "schedule.json"]);
}

#[test]
fn the_scheduled_event_is_schedulers_default_notification_and_sweeps() {
    let event = payload("schedule.json");
    assert_eq!(event["source"], "aws.scheduler");
    assert_eq!(event["detail-type"], "Scheduled Event");
    // Scheduler sends `detail` as the string "{}", not an object.
    assert_eq!(event["detail"], "{}");
    assert_eq!(
        event["resources"][0],
        "arn:aws:scheduler:us-east-1:123456789012:schedule/default/reelcart-token-refresh"
    );
    assert_eq!(action(&event), "sweep");
}

#[test]
fn the_operators_command_reseals() {
    let event = payload("reseal-all.json");
    assert_eq!(event, serde_json::json!({"action": "reseal_all"}));
    assert_eq!(action(&event), "reseal_all");
}

/// `Handler::handle(&self, event: Value) -> Result<Value, HandlerError>`: the samples are that
/// type. Never called (it would need AWS); it compiles only while the entry point takes a
/// `serde_json::Value`.
#[allow(dead_code)]
async fn the_handler_takes_a_json_value(
    handler: &token_refresher::Handler,
    event: Value,
) -> Result<Value, token_refresher::HandlerError> {
    handler.handle(event).await
}
