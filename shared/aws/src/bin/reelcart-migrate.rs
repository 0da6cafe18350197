//! `reelcart-migrate TABLE…`: rewrite the rows of each table that still keep their value as a
//! JSON `doc` (written before the native-attribute layer) as native attributes. Run once after
//! deploying, with credentials of the account (see docs/deploy.md); running it again is harmless.

use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    let tables: Vec<String> = std::env::args().skip(1).collect();
    if tables.is_empty() || tables.iter().any(|t| t.starts_with('-')) {
        eprintln!(
            "usage: reelcart-migrate TABLE [TABLE…]  (the content, catalog, creators and analytics tables)"
        );
        return ExitCode::from(2);
    }
    let sdk = reelcart_aws::load_sdk_config().await;
    let client = aws_sdk_dynamodb::Client::new(&sdk);
    for table in &tables {
        match reelcart_aws::migrate_table(&client, table).await {
            Ok(m) => println!(
                "{table}: {} legacy rows, {} migrated, {} changed meanwhile (left as they are)",
                m.scanned, m.migrated, m.skipped
            ),
            Err(e) => {
                eprintln!("{table}: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    ExitCode::SUCCESS
}
