//! The local AWS emulator (moto server): connect to the one `AWS_ENDPOINT_URL` names, or start one
//! on a free loopback port and stop it when the stack stops.

use anyhow::{Context, Result, anyhow, bail};
use aws_config::{BehaviorVersion, Region, SdkConfig};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;
use tokio::process::{Child, Command};

pub const DEFAULT_REGION: &str = "us-east-1";

#[derive(Debug)]
pub struct Emulator {
    pub endpoint: String,
    pub region: String,
    pub sdk: SdkConfig,
    child: Option<Child>,
}

impl Emulator {
    /// Connect to `AWS_ENDPOINT_URL` if set; otherwise start moto from the repo's venv.
    pub async fn ensure() -> Result<Self> {
        Self::connect_or_start(None).await
    }

    /// Start an emulator of this stack's own (whatever `AWS_ENDPOINT_URL` says), which logs its
    /// IAM decisions to `iam_log` (see `infra/scripts/moto_server.py`).
    pub async fn start_own(iam_log: &Path) -> Result<Self> {
        Self::connect_or_start(Some(iam_log)).await
    }

    async fn connect_or_start(own_with_log: Option<&Path>) -> Result<Self> {
        let region = std::env::var("AWS_REGION")
            .or_else(|_| std::env::var("AWS_DEFAULT_REGION"))
            .unwrap_or_else(|_| DEFAULT_REGION.to_string());
        if let (Ok(endpoint), None) = (std::env::var("AWS_ENDPOINT_URL"), own_with_log) {
            wait_ready(&endpoint, Duration::from_secs(10)).await?;
            // Same loading as in Lambda: the SDK reads endpoint and credentials from the environment.
            let sdk = aws_config::defaults(BehaviorVersion::latest())
                .region(Region::new(region.clone()))
                .load()
                .await;
            return Ok(Self {
                endpoint,
                region,
                sdk,
                child: None,
            });
        }
        let (server, args) = moto_server()?;
        let port = free_port()?;
        let mut command = Command::new(&server);
        if let Some(log) = own_with_log {
            command.env("REELCART_IAM_LOG", log);
        }
        let child = command
            .args(args)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting {}", server.display()))?;
        let endpoint = format!("http://127.0.0.1:{port}");
        wait_ready(&endpoint, Duration::from_secs(20)).await?;
        let sdk = aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new(region.clone()))
            .endpoint_url(&endpoint)
            .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
                "testing",
                "testing",
                None,
                None,
                "reelcart-local",
            ))
            .load()
            .await;
        Ok(Self {
            endpoint,
            region,
            sdk,
            child: Some(child),
        })
    }

    pub fn started_here(&self) -> bool {
        self.child.is_some()
    }

    pub async fn stop(mut self) {
        if let Some(mut child) = self.child.take()
            && let Err(e) = child.kill().await
        {
            tracing::warn!(error = %e, "could not stop the emulator");
        }
    }
}

/// The program (and its first arguments) that serves moto: `MOTO_SERVER`, else the repo venv's
/// moto with DynamoDB's conditional writes made atomic (`infra/scripts/moto_server.py`).
fn moto_server() -> Result<(PathBuf, Vec<String>)> {
    if let Ok(p) = std::env::var("MOTO_SERVER") {
        return Ok((PathBuf::from(p), Vec::new()));
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let python = root.join(".venv/bin/python");
    let script = root.join("infra/scripts/moto_server.py");
    if root.join(".venv/bin/moto_server").exists() && python.exists() {
        return Ok((python, vec![script.to_string_lossy().into_owned()]));
    }
    bail!(
        "no AWS emulator: set AWS_ENDPOINT_URL, or run `make venv` to install moto into .venv \
         (or set MOTO_SERVER to a moto_server binary)"
    )
}

fn free_port() -> Result<u16> {
    let l = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(l.local_addr()?.port())
}

async fn wait_ready(endpoint: &str, within: Duration) -> Result<()> {
    let addr = endpoint
        .trim_start_matches("http://")
        .trim_start_matches("https://")
        .trim_end_matches('/')
        .to_string();
    let deadline = tokio::time::Instant::now() + within;
    loop {
        if tokio::net::TcpStream::connect(&addr).await.is_ok() {
            return Ok(());
        }
        if tokio::time::Instant::now() > deadline {
            return Err(anyhow!(
                "AWS emulator at {endpoint} did not answer within {within:?}"
            ));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
