//! `reelcart-open-published CONTENT_TABLE MEDIA_BUCKET`: tag the media of every published item
//! public. The media bucket's policy lets CloudFront read only files so tagged; a stack whose
//! items were published before that gate has untagged media, which the CDN would refuse. Run
//! once after upgrading such a stack (docs/deploy.md); running it again changes nothing.

use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [table, bucket] = args.as_slice() else {
        eprintln!("usage: reelcart-open-published CONTENT_TABLE MEDIA_BUCKET");
        return ExitCode::from(2);
    };
    let sdk = reelcart_aws::load_sdk_config().await;
    let content = reelcart_aws::DynamoContent::new(aws_sdk_dynamodb::Client::new(&sdk), table);
    let visibility = reelcart_aws::S3MediaVisibility::new(
        reelcart_aws::s3_client(&sdk, std::env::var_os("S3_FORCE_PATH_STYLE").is_some()),
        bucket,
    );
    match reelcart_ports::open_published(&content, &visibility).await {
        Ok((items, files)) => {
            println!("{items} published items, {files} media files tagged public");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}
