//! The one DynamoDB layer every table adapter uses: rows as native attributes (`serde_dynamo`)
//! with their key and index attributes beside them, the SDK's paginators, and the one check for
//! a lost condition.
//!
//! Rows written before this layer kept the value as a JSON string in a `doc` attribute; they are
//! still read (a rolling deploy, a table not yet migrated), and [`migrate_row`] rewrites one as
//! native attributes (`reelcart-migrate`, once per table after the deploy).

use crate::sdk_error;
use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder;
use aws_sdk_dynamodb::operation::scan::builders::ScanFluentBuilder;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::AttributeValue;
use reelcart_ports::{PortError, PortResult};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::collections::HashMap;

/// One DynamoDB item.
pub(crate) type Row = HashMap<String, AttributeValue>;

/// The legacy attribute: the whole value as a JSON string.
pub(crate) const LEGACY_DOC: &str = "doc";

pub(crate) fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

/// `value` as native attributes, plus `keys` (the table's key and index attributes). A key that
/// the value also has must hold the same thing: a row never says two things about itself.
pub(crate) fn encode<T: Serialize>(
    operation: &'static str,
    value: &T,
    keys: impl IntoIterator<Item = (&'static str, AttributeValue)>,
) -> PortResult<Row> {
    let mut row: Row =
        serde_dynamo::to_item(value).map_err(|e| PortError::invalid(operation, e))?;
    // `None` is an absent attribute, not a NULL one: conditions such as
    // `attribute_not_exists(lease_until)` and sparse indexes depend on it.
    row.retain(|_, v| !matches!(v, AttributeValue::Null(_)));
    for (name, v) in keys {
        match row.get(name) {
            Some(existing) if *existing != v => {
                return Err(PortError::invalid(
                    operation,
                    format!("attribute `{name}` of the value differs from the row's key"),
                ));
            }
            _ => {
                row.insert(name.to_string(), v);
            }
        }
    }
    Ok(row)
}

/// A row's value: native attributes, or the legacy JSON `doc`. Takes the row: reading a page of
/// them copies nothing.
pub(crate) fn decode<T: DeserializeOwned>(operation: &'static str, row: Row) -> PortResult<T> {
    match row.get(LEGACY_DOC) {
        Some(AttributeValue::S(doc)) => {
            serde_json::from_str(doc).map_err(|e| PortError::invalid(operation, e))
        }
        _ => serde_dynamo::from_item(row).map_err(|e| PortError::invalid(operation, e)),
    }
}

/// A legacy row rewritten as native attributes (its other attributes kept), or `None` if it is
/// not a legacy row.
pub(crate) fn migrate_row(row: &Row) -> PortResult<Option<Row>> {
    let Some(AttributeValue::S(doc)) = row.get(LEGACY_DOC) else {
        return Ok(None);
    };
    let value: serde_json::Value =
        serde_json::from_str(doc).map_err(|e| PortError::invalid("migrate.decode", e))?;
    let mut native: Row =
        serde_dynamo::to_item(value).map_err(|e| PortError::invalid("migrate.encode", e))?;
    native.retain(|_, v| !matches!(v, AttributeValue::Null(_)));
    for (k, v) in row {
        if k != LEGACY_DOC {
            native.insert(k.clone(), v.clone());
        }
    }
    Ok(Some(native))
}

/// Did a single-item write fail because its condition did not hold?
pub(crate) fn condition_failed<E: ProvideErrorMetadata>(err: &SdkError<E, HttpResponse>) -> bool {
    err.as_service_error()
        .is_some_and(|e| e.code() == Some("ConditionalCheckFailedException"))
}

/// Did a transaction fail because one of its conditions did not hold (not a conflict with
/// another transaction, which is worth a retry)?
pub(crate) fn transaction_condition_failed(
    err: &SdkError<TransactWriteItemsError, HttpResponse>,
) -> bool {
    matches!(
        err.as_service_error(),
        Some(TransactWriteItemsError::TransactionCanceledException(t))
            if t.cancellation_reasons().iter().any(|r| r.code() == Some("ConditionalCheckFailed"))
    )
}

/// Every row a query answers, page after page (the SDK's paginator).
pub(crate) async fn query_all(
    query: QueryFluentBuilder,
    operation: &'static str,
) -> PortResult<Vec<Row>> {
    query
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| sdk_error(operation, e))
}

/// Every row a scan answers, page after page (the SDK's paginator).
pub(crate) async fn scan_all(
    scan: ScanFluentBuilder,
    operation: &'static str,
) -> PortResult<Vec<Row>> {
    scan.into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| sdk_error(operation, e))
}

/// The first `limit` rows of a query (an index query may stop short of its `Limit`: 1 MB pages),
/// and whether the query had more.
pub(crate) async fn query_up_to(
    query: QueryFluentBuilder,
    limit: usize,
    operation: &'static str,
) -> PortResult<(Vec<Row>, bool)> {
    let mut pages = query
        .limit(i32::try_from(limit.max(1)).unwrap_or(i32::MAX))
        .into_paginator()
        .send();
    let mut rows = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| sdk_error(operation, e))?;
        rows.extend(page.items.unwrap_or_default());
        let more = page.last_evaluated_key.is_some_and(|k| !k.is_empty());
        if rows.len() >= limit || !more {
            let more = more || rows.len() > limit;
            rows.truncate(limit);
            return Ok((rows, more));
        }
    }
    Ok((rows, false))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    struct V {
        id: String,
        n: i64,
        tags: Vec<String>,
        note: Option<String>,
    }

    fn v() -> V {
        V {
            id: "a".into(),
            n: 7,
            tags: vec!["x".into()],
            note: None,
        }
    }

    #[test]
    fn rows_are_native_attributes_beside_their_keys() {
        let row = encode("t", &v(), [("pk", s("V#a")), ("sk", s("V"))]).unwrap();
        assert_eq!(row["n"], AttributeValue::N("7".into()));
        assert!(!row.contains_key("note"), "None is absent, not NULL");
        assert_eq!(row["pk"], s("V#a"));
        assert!(!row.contains_key(LEGACY_DOC));
        assert_eq!(decode::<V>("t", row.clone()).unwrap(), v());
        // A key that contradicts the value is refused.
        assert!(encode("t", &v(), [("id", s("b"))]).is_err());
        assert!(encode("t", &v(), [("id", s("a"))]).is_ok());
    }

    #[test]
    fn legacy_doc_rows_are_read_and_migrate_to_native() {
        let legacy: Row = HashMap::from([
            ("pk".to_string(), s("V#a")),
            ("sk".to_string(), s("V")),
            ("status".to_string(), s("live")),
            (
                LEGACY_DOC.to_string(),
                s(serde_json::to_string(&v()).unwrap()),
            ),
        ]);
        assert_eq!(decode::<V>("t", legacy.clone()).unwrap(), v());
        let native = migrate_row(&legacy).unwrap().unwrap();
        assert!(!native.contains_key(LEGACY_DOC));
        assert_eq!(native["status"], s("live"), "index attributes are kept");
        assert_eq!(native["pk"], s("V#a"));
        assert_eq!(decode::<V>("t", native.clone()).unwrap(), v());
        assert_eq!(
            migrate_row(&native).unwrap(),
            None,
            "migrating twice changes nothing"
        );
        let broken: Row = HashMap::from([(LEGACY_DOC.to_string(), s("{not json"))]);
        assert!(decode::<V>("t", broken).is_err());
    }
}
