//! The triggers' events, typed: what invoked a function that has several triggers
//! ([`Invocation`]), and S3's event notifications ([`S3Notification`]).
//!
//! S3 notifications are read with the fields Reelcart uses only (bucket, key, size, event name):
//! `aws_lambda_events`' `S3EventRecord` also requires `eventTime`, `userIdentity` and
//! `requestParameters`, which S3 sends but notifications relayed by other means (and the test
//! kit's) may lack, and nothing here reads them.

use aws_lambda_events::apigw::ApiGatewayV2httpRequest;
use aws_lambda_events::sqs::SqsEvent;
use serde::Deserialize;
use serde_json::Value;

/// What invoked a function with several triggers, told apart by the shape each trigger has: SQS
/// batches carry `Records`, function URLs and HTTP APIs a `requestContext`, EventBridge rules
/// (and schedules without an input) `detail-type`; anything else is a schedule's fixed input.
#[derive(Debug)]
pub enum Invocation {
    Sqs(SqsEvent),
    Http(Box<ApiGatewayV2httpRequest>),
    /// An EventBridge event, as its handler reads it (its `detail` is the handler's type).
    Event(Value),
    Input(Value),
}

impl Invocation {
    /// The invocation a payload is; an error names the trigger whose shape it has but does not
    /// fit.
    pub fn of(payload: Value) -> Result<Self, serde_json::Error> {
        let has = |k: &str| payload.get(k).is_some();
        Ok(if has("Records") {
            Self::Sqs(serde_json::from_value(payload)?)
        } else if has("requestContext") {
            Self::Http(Box::new(serde_json::from_value(payload)?))
        } else if has("detail-type") && has("source") && has("detail") {
            Self::Event(payload)
        } else {
            Self::Input(payload)
        })
    }
}

/// An S3 event notification: one record per object created or removed.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct S3Notification {
    #[serde(rename = "Records")]
    pub records: Vec<S3Record>,
}

/// One object's event.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct S3Record {
    /// `ObjectCreated:Put`, `ObjectRemoved:Delete` …
    #[serde(rename = "eventName", default)]
    pub event_name: String,
    pub s3: S3Entity,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct S3Entity {
    pub bucket: S3Bucket,
    pub object: S3Object,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct S3Bucket {
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct S3Object {
    /// As S3 sends it: form-encoded ([`S3Object::decoded_key`]).
    pub key: String,
    #[serde(default)]
    pub size: Option<u64>,
}

impl S3Object {
    /// The key as stored: S3 sends it form-encoded (a space as `+`, other bytes as `%XX`). An
    /// error when the bytes are not UTF-8; a `%` not followed by two hex digits stays as it is.
    pub fn decoded_key(&self) -> Result<String, std::str::Utf8Error> {
        percent_encoding::percent_decode_str(&self.key.replace('+', " "))
            .decode_utf8()
            .map(|k| k.into_owned())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use serde_json::json;

    #[test]
    fn keys_are_decoded_as_s3_encodes_them() {
        let key = |k: &str| S3Object {
            key: k.into(),
            size: None,
        };
        assert_eq!(
            key("imports/spring+catalog%202026.csv")
                .decoded_key()
                .unwrap(),
            "imports/spring catalog 2026.csv"
        );
        assert_eq!(
            key("imports/caf%C3%A9.jsonl").decoded_key().unwrap(),
            "imports/café.jsonl"
        );
        assert_eq!(
            key("imports/100%.csv").decoded_key().unwrap(),
            "imports/100%.csv"
        );
        assert!(key("x/%FF").decoded_key().is_err());
    }

    #[test]
    fn a_notification_reads_what_s3_sends_and_needs_only_what_is_used() {
        let n: S3Notification = serde_json::from_value(json!({"Records": [{
            "eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1",
            "eventTime": "2026-12-04T10:00:00.000Z", "eventName": "ObjectCreated:Put",
            "userIdentity": {"principalId": "AWS:X"}, "requestParameters": {"sourceIPAddress": "1.2.3.4"},
            "responseElements": {}, "s3": {"s3SchemaVersion": "1.0", "configurationId": "c",
            "bucket": {"name": "raw", "arn": "arn:aws:s3:::raw"},
            "object": {"key": "u/a+b.mp4", "size": 42, "eTag": "e", "sequencer": "0"}}}]}))
        .unwrap();
        assert_eq!(n.records[0].event_name, "ObjectCreated:Put");
        assert_eq!(n.records[0].s3.bucket.name, "raw");
        assert_eq!(n.records[0].s3.object.size, Some(42));
        let minimal: S3Notification = serde_json::from_value(
            json!({"Records": [{"s3": {"bucket": {"name": "raw"}, "object": {"key": "k"}}}]}),
        )
        .unwrap();
        assert_eq!(minimal.records[0].s3.object.key, "k");
        // S3's test event (sent when a notification is configured) is not a notification.
        assert!(
            serde_json::from_value::<S3Notification>(
                json!({"Service": "Amazon S3", "Event": "s3:TestEvent"})
            )
            .is_err()
        );
    }

    #[test]
    fn invocations_are_told_apart_by_their_triggers_shape() {
        let sqs = json!({"Records": [{"messageId": "m1", "body": "{}"}]});
        assert!(matches!(Invocation::of(sqs).unwrap(), Invocation::Sqs(e) if e.records.len() == 1));
        let http = json!({"version": "2.0", "routeKey": "$default", "rawPath": "/r/x", "rawQueryString": "",
            "headers": {}, "requestContext": {"http": {"method": "GET", "path": "/r/x"}, "timeEpoch": 0},
            "isBase64Encoded": false});
        assert!(matches!(Invocation::of(http).unwrap(), Invocation::Http(_)));
        let rule = json!({"version": "0", "id": "e1", "detail-type": "Scheduled Event", "source": "aws.events",
            "account": "1", "time": "2026-12-04T10:00:00Z", "region": "us-east-1", "resources": [], "detail": {}});
        assert!(
            matches!(Invocation::of(rule).unwrap(), Invocation::Event(e) if e["detail-type"] == "Scheduled Event")
        );
        let input = json!({"action": "pull_shopify"});
        assert!(
            matches!(Invocation::of(input.clone()).unwrap(), Invocation::Input(v) if v == input)
        );
        // A payload with a trigger's mark but not its shape is an error, not another trigger.
        assert!(Invocation::of(json!({"Records": "nope"})).is_err());
    }
}
