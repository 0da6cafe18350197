//! `reelcart-recompute --table ANALYTICS --bucket RAW_EVENTS --from DAY [--to DAY] [--write]`:
//! recompute every aggregate and payout entry of the days from the raw events bucket and the
//! order ledgers, and report what differs from the online figures (JSON on stdout). With
//! `--write`, set the aggregates that differ to the recomputed values. Exits 3 when differences
//! remain (none found, or all written: 0). `S3_FORCE_PATH_STYLE=true` for an emulator.

use std::process::ExitCode;

fn usage() -> ExitCode {
    eprintln!(
        "usage: reelcart-recompute --table ANALYTICS_TABLE --bucket RAW_EVENTS_BUCKET --from YYYY-MM-DD [--to YYYY-MM-DD] [--write]"
    );
    ExitCode::from(2)
}

#[tokio::main]
async fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let (mut table, mut bucket, mut from, mut to, mut write) = (None, None, None, None, false);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--table" => table = args.next(),
            "--bucket" => bucket = args.next(),
            "--from" => from = args.next(),
            "--to" => to = args.next(),
            "--write" => write = true,
            _ => return usage(),
        }
    }
    let (Some(table), Some(bucket), Some(from)) = (table, bucket, from) else {
        return usage();
    };
    let to = to.unwrap_or_else(|| from.clone());
    let days = match reelcart_domain::attribution::day_range(&from, &to, 366) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("{e}");
            return usage();
        }
    };
    let sdk = reelcart_aws::load_sdk_config().await;
    let path_style = std::env::var("S3_FORCE_PATH_STYLE").is_ok_and(|v| v == "true");
    let s3 = reelcart_aws::s3_client(&sdk, path_style);
    let analytics =
        reelcart_aws::DynamoAnalytics::new(aws_sdk_dynamodb::Client::new(&sdk), table.clone());
    match analytics.recompute(&s3, &bucket, &days, write).await {
        Ok(r) => {
            match serde_json::to_string_pretty(&r) {
                Ok(json) => println!("{json}"),
                Err(e) => eprintln!("{e}"),
            }
            eprintln!(
                "{} days: {} raw files, {} events, {} ledgers → {} aggregates; {} differ, {} payout lines differ, {} written",
                r.days.len(),
                r.raw_files,
                r.events,
                r.ledgers,
                r.aggregates,
                r.differences.len(),
                r.payout_differences.len(),
                r.written
            );
            let left = r.differences.len() - r.written + r.payout_differences.len();
            if left == 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(3)
            }
        }
        Err(e) => {
            eprintln!("{table}: {e}");
            ExitCode::FAILURE
        }
    }
}
