//! `reelcart-dlq`: a stack's dead-letter queues, for an operator (docs/operations.md).
//!
//! ```text
//! reelcart-dlq list --prefix STACK
//! reelcart-dlq show QUEUE [--max N]
//! reelcart-dlq redrive QUEUE [--to QUEUE] [--max N] [--dry-run]
//! reelcart-dlq purge QUEUE --yes
//! ```
//!
//! QUEUE is a name or URL. Redrive sends to the queue whose redrive policy names QUEUE unless
//! `--to` says otherwise. JSON on stdout; exit 2 on bad usage, 1 when AWS refuses.

use reelcart_aws::dlq;
use std::process::ExitCode;

const USAGE: &str = "usage: reelcart-dlq list --prefix STACK | show QUEUE [--max N] | \
    redrive QUEUE [--to QUEUE] [--max N] [--dry-run] | purge QUEUE --yes";

fn usage() -> ExitCode {
    eprintln!("{USAGE}");
    ExitCode::from(2)
}

#[derive(Default)]
struct Args {
    command: String,
    queue: Option<String>,
    prefix: Option<String>,
    to: Option<String>,
    max: usize,
    dry_run: bool,
    yes: bool,
}

fn parse() -> Option<Args> {
    let mut it = std::env::args().skip(1);
    let mut a = Args {
        command: it.next()?,
        max: 10,
        ..Args::default()
    };
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--prefix" => a.prefix = Some(it.next()?),
            "--to" => a.to = Some(it.next()?),
            "--max" => a.max = it.next()?.parse().ok()?,
            "--dry-run" => a.dry_run = true,
            "--yes" => a.yes = true,
            q if !q.starts_with('-') && a.queue.is_none() => a.queue = Some(q.to_string()),
            _ => return None,
        }
    }
    Some(a)
}

fn print<T: serde::Serialize>(v: &T) -> ExitCode {
    match serde_json::to_string_pretty(v) {
        Ok(json) => {
            println!("{json}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let Some(a) = parse() else {
        return usage();
    };
    let sdk = reelcart_aws::load_sdk_config().await;
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let result = match (a.command.as_str(), &a.queue) {
        ("list", None) => match &a.prefix {
            Some(p) => dlq::list(&sqs, p).await.map(|l| print(&l)),
            None => return usage(),
        },
        ("show", Some(q)) => match dlq::url_of(&sqs, q).await {
            Ok(url) => dlq::peek(&sqs, &url, a.max).await.map(|l| print(&l)),
            Err(e) => Err(e),
        },
        ("redrive", Some(q)) => {
            async {
                let url = dlq::url_of(&sqs, q).await?;
                let to = match &a.to {
                    Some(t) => dlq::url_of(&sqs, t).await?,
                    None => dlq::source_of(&sqs, &url).await?,
                };
                let r = dlq::redrive(&sqs, &url, &to, a.dry_run, a.max).await?;
                eprintln!(
                    "{} message(s) {} {} to {}",
                    r.moved.len(),
                    if r.dry_run {
                        "would go from"
                    } else {
                        "sent from"
                    },
                    r.from,
                    r.to
                );
                Ok(print(&r))
            }
            .await
        }
        ("purge", Some(q)) if a.yes => match dlq::url_of(&sqs, q).await {
            Ok(url) => dlq::purge(&sqs, &url).await.map(|()| ExitCode::SUCCESS),
            Err(e) => Err(e),
        },
        ("purge", Some(_)) => {
            eprintln!("purge deletes every message: add --yes");
            return ExitCode::from(2);
        }
        _ => return usage(),
    };
    result.unwrap_or_else(|e| {
        eprintln!("{e}");
        ExitCode::FAILURE
    })
}
