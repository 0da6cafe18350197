//! The transcoding state of items in the content table (`pk` hash, `sk` range), beside the rows
//! the content lifecycle keeps for the same item:
//!
//! | pk | sk | attributes |
//! |---|---|---|
//! | `ITEM#{id}` | `MEDIA` | the record's attributes, among them `status`, `attempts`, `lease_until` |
//!
//! Writes are conditional on `status`, `attempts` and `lease_until`: one attempt at a time, and a
//! late attempt never overwrites a newer one.

use crate::sdk_error;
use crate::table;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;
use reelcart_domain::video::{MediaRecord, MediaStatus};
use reelcart_ports::{MediaRecords, PortResult};
use std::collections::HashMap;

#[derive(Debug, Clone)]
pub struct DynamoMediaRecords {
    client: Client,
    table: String,
}

impl DynamoMediaRecords {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    fn key(item_id: &str) -> HashMap<String, AttributeValue> {
        HashMap::from([
            (
                "pk".to_string(),
                AttributeValue::S(format!("ITEM#{item_id}")),
            ),
            ("sk".to_string(), AttributeValue::S("MEDIA".to_string())),
        ])
    }

    fn item(record: &MediaRecord) -> PortResult<HashMap<String, AttributeValue>> {
        // `status`, `attempts` and `lease_until` are the record's own attributes; the encoder
        // checks they say what the conditions below compare with.
        let mut keys = vec![
            ("pk", AttributeValue::S(format!("ITEM#{}", record.item_id))),
            ("sk", AttributeValue::S("MEDIA".to_string())),
            ("status", AttributeValue::S(status(record.status).into())),
            ("attempts", AttributeValue::N(record.attempts.to_string())),
        ];
        if let Some(until) = record.lease_until {
            keys.push(("lease_until", AttributeValue::N(until.to_string())));
        }
        table::encode("media.encode", record, keys)
    }

    async fn conditional_put(
        &self,
        record: &MediaRecord,
        condition: &str,
        values: Vec<(&str, AttributeValue)>,
        names: &[(&str, &str)],
    ) -> PortResult<bool> {
        let mut req = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(Self::item(record)?))
            .condition_expression(condition);
        for (k, v) in values {
            req = req.expression_attribute_values(k, v);
        }
        for (k, v) in names {
            req = req.expression_attribute_names(*k, *v);
        }
        match req.send().await {
            Ok(_) => Ok(true),
            Err(e) if table::condition_failed(&e) => Ok(false),
            Err(e) => Err(sdk_error("media.put", e)),
        }
    }
}

fn status(s: MediaStatus) -> &'static str {
    match s {
        MediaStatus::Transcoding => "transcoding",
        MediaStatus::Submitted => "submitted",
        MediaStatus::Transcoded => "transcoded",
        MediaStatus::Failed => "failed",
    }
}

impl MediaRecords for DynamoMediaRecords {
    async fn get(&self, item_id: &str) -> PortResult<Option<MediaRecord>> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(item_id)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| sdk_error("media.get", e))?;
        out.item
            .map(|row| table::decode("media.decode", row))
            .transpose()
    }

    async fn begin(&self, record: &MediaRecord, now: i64) -> PortResult<bool> {
        self.conditional_put(
            record,
            "attribute_not_exists(pk) OR NOT (#status IN (:transcoding, :submitted)) \
             OR attribute_not_exists(lease_until) OR lease_until <= :now",
            vec![
                (":transcoding", AttributeValue::S("transcoding".into())),
                (":submitted", AttributeValue::S("submitted".into())),
                (":now", AttributeValue::N(now.to_string())),
            ],
            &[("#status", "status")],
        )
        .await
    }

    async fn finish(&self, record: &MediaRecord) -> PortResult<bool> {
        self.conditional_put(
            record,
            "attribute_not_exists(pk) OR attempts = :attempts",
            vec![(":attempts", AttributeValue::N(record.attempts.to_string()))],
            &[],
        )
        .await
    }
}
