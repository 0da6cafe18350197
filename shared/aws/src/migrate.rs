//! The one-shot migration of rows written before [`crate::table`]: each row whose value is a
//! JSON string in `doc` is rewritten as native attributes, its key and index attributes kept.
//!
//! Safe to run while the functions run, and to run again: each rewrite is conditional on the row
//! still holding the `doc` that was read, so a row a function has rewritten since (natively) is
//! left alone; a second run finds nothing to do.

use crate::sdk_error;
use crate::table::{self, LEGACY_DOC};
use aws_sdk_dynamodb::Client;
use reelcart_ports::PortResult;

/// What a migration of one table did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Migration {
    /// Legacy rows found (those with a `doc`).
    pub scanned: usize,
    /// Legacy rows rewritten as native attributes.
    pub migrated: usize,
    /// Legacy rows changed by someone else between the read and the rewrite (left as they are).
    pub skipped: usize,
}

/// Rewrite every legacy row of `table`.
pub async fn migrate_table(client: &Client, table_name: &str) -> PortResult<Migration> {
    let scan = client
        .scan()
        .table_name(table_name)
        .filter_expression("attribute_exists(#doc)")
        .expression_attribute_names("#doc", LEGACY_DOC)
        .consistent_read(true);
    let rows = table::scan_all(scan, "migrate.scan").await?;
    let mut report = Migration {
        scanned: rows.len(),
        ..Migration::default()
    };
    for row in rows {
        let (Some(native), Some(doc)) = (table::migrate_row(&row)?, row.get(LEGACY_DOC)) else {
            continue;
        };
        let result = client
            .put_item()
            .table_name(table_name)
            .set_item(Some(native))
            .condition_expression("#doc = :doc")
            .expression_attribute_names("#doc", LEGACY_DOC)
            .expression_attribute_values(":doc", doc.clone())
            .send()
            .await;
        match result {
            Ok(_) => report.migrated += 1,
            Err(e) if table::condition_failed(&e) => report.skipped += 1,
            Err(e) => return Err(sdk_error("migrate.put", e)),
        }
    }
    Ok(report)
}
