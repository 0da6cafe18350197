//! Lambda glue shared by every Reelcart function: logging, SQS partial batch failures, HTTP error
//! responses, and configuration from environment variables.

pub mod auth;
pub mod config;
pub mod events;
pub mod http;
pub mod keyring;
pub mod metrics;
pub mod router;
pub mod routes;
pub mod sqs;
#[cfg(feature = "testing")]
pub mod testing;

/// JSON logs (one object per line, as CloudWatch and the local stack expect), level from
/// `RUST_LOG` or `AWS_LAMBDA_LOG_LEVEL`, default `info`. Safe to call more than once.
pub fn init_tracing() {
    init_tracing_with_default("info");
}

/// As [`init_tracing`], with another default level.
pub fn init_tracing_with_default(default_level: &str) {
    init_tracing_to(std::io::stdout, default_level);
}

/// As [`init_tracing_with_default`], the JSON lines written to `writer` (the local stack's demo
/// keeps its story on the terminal and its logs in a file).
pub fn init_tracing_to<W>(writer: W, default_level: &str)
where
    W: for<'w> tracing_subscriber::fmt::MakeWriter<'w> + Send + Sync + 'static,
{
    use tracing_subscriber::EnvFilter;
    let filter = std::env::var("RUST_LOG")
        .or_else(|_| std::env::var("AWS_LAMBDA_LOG_LEVEL").map(|l| l.to_lowercase()))
        .unwrap_or_else(|_| default_level.to_string());
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_env_filter(EnvFilter::new(filter))
        .with_current_span(false)
        .with_target(false)
        .with_writer(writer)
        .finish();
    // Already initialised (tests, the local stack): keep the first subscriber.
    if tracing::subscriber::set_global_default(subscriber).is_err() {
        tracing::debug!("tracing already initialised");
    }
}
