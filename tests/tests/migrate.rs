//! Rows written before the native-attribute layer (the value as a JSON string in `doc`) are still
//! read by the adapters, and `migrate_table` rewrites them natively, once, without changing what
//! the adapters read — nor rows changed meanwhile.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use aws_sdk_dynamodb::types::AttributeValue;
use reelcart_aws::{DynamoCatalog, DynamoContent, Migration, migrate_table};
use reelcart_domain::content::{MediaType, Source, UgcItem};
use reelcart_e2e::*;
use reelcart_ports::{CatalogStore, ItemStore, status_sort_key};
use std::collections::HashMap;

fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn legacy_doc_rows_are_read_then_migrated_once() {
    let stack = start_stack().await;
    let dynamo = aws_sdk_dynamodb::Client::new(&stack.emulator.sdk);
    let content_table = stack.physical("ContentTable").unwrap().to_string();
    let catalog_table = stack.physical("CatalogTable").unwrap().to_string();

    // As the old adapters wrote them: key and index attributes, and the value in `doc`.
    let item = UgcItem::new(
        Source::InstagramHashtag,
        "mig-1",
        MediaType::Video,
        "old #acme",
        1_700_000_000,
    );
    let product = reelcart_ports::contract::sample_product("mig", 1);
    let legacy: Vec<(&str, HashMap<String, AttributeValue>)> = vec![
        (
            &content_table,
            HashMap::from([
                ("pk".into(), s(format!("ITEM#{}", item.id))),
                ("sk".into(), s("ITEM")),
                ("status".into(), s(item.status.as_str())),
                ("status_key".into(), s(status_sort_key(&item))),
                ("doc".into(), s(serde_json::to_string(&item).unwrap())),
            ]),
        ),
        (
            &catalog_table,
            HashMap::from([
                ("pk".into(), s("product")),
                ("sk".into(), s(product.id.clone())),
                ("doc".into(), s(serde_json::to_string(&product).unwrap())),
            ]),
        ),
    ];
    for (table, row) in &legacy {
        dynamo
            .put_item()
            .table_name(*table)
            .set_item(Some(row.clone()))
            .send()
            .await
            .unwrap();
    }
    let content = DynamoContent::new(dynamo.clone(), &content_table);
    let catalog = DynamoCatalog::new(dynamo.clone(), &catalog_table);
    assert_eq!(
        content.item(&item.id).await.unwrap(),
        Some(item.clone()),
        "legacy rows are read"
    );
    assert_eq!(catalog.products().await.unwrap(), vec![product.clone()]);

    let m = migrate_table(&dynamo, &content_table).await.unwrap();
    assert_eq!(
        m,
        Migration {
            scanned: 1,
            migrated: 1,
            skipped: 0
        }
    );
    let m = migrate_table(&dynamo, &catalog_table).await.unwrap();
    assert_eq!(m.migrated, 1);

    let row = dynamo
        .get_item()
        .table_name(&content_table)
        .key("pk", s(format!("ITEM#{}", item.id)))
        .key("sk", s("ITEM"))
        .send()
        .await
        .unwrap()
        .item
        .unwrap();
    assert!(!row.contains_key("doc"), "native now: {row:?}");
    assert_eq!(row["caption"], s("old #acme"));
    assert_eq!(
        row["status_key"],
        s(status_sort_key(&item)),
        "index attributes kept"
    );
    assert_eq!(
        content.item(&item.id).await.unwrap(),
        Some(item.clone()),
        "the same value"
    );
    assert_eq!(catalog.products().await.unwrap(), vec![product]);
    // Still in the status index, where the review queue finds it.
    let page = content
        .items_by_status(item.status, 10, None)
        .await
        .unwrap();
    assert!(page.items.contains(&item));

    // A second run has nothing to do.
    let again = migrate_table(&dynamo, &content_table).await.unwrap();
    assert_eq!(again, Migration::default());
    stack.stop().await;
}
