//! Downloading media from the platforms' CDNs without becoming a proxy into our own network:
//!
//! - the URL must pass the allow-list ([`media_url::check`]: HTTPS, a listed CDN host, no
//!   addresses, credentials or odd ports);
//! - the host must resolve only to public addresses (checked by the HTTP client's resolver, at
//!   connection time, so DNS rebinding gains nothing);
//! - redirects are followed only to allowed URLs, at most three;
//! - the answer must say it is video or an image, and its size is capped — by its
//!   `Content-Length` and again while streaming, for an answer that lies;
//! - it is streamed to a temporary file, hashed on the way.

use reelcart_domain::content::media_url::{self, is_public_ip};
use sha2::{Digest, Sha256};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::AsyncWriteExt;

/// Why a media URL was not fetched.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// Refused for good: the URL, the host's addresses, the type or the size. Not retried.
    #[error("refused: {0}")]
    Refused(String),
    /// Might work later (network, the CDN's 5xx).
    #[error("transient: {0}")]
    Transient(String),
}

/// What a fetch brought.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetched {
    pub content_type: String,
    pub bytes: u64,
    pub sha256: String,
}

impl Fetched {
    pub fn is_video(&self) -> bool {
        self.content_type.starts_with("video/")
    }

    /// The file extension for the type.
    pub fn extension(&self) -> &'static str {
        match self.content_type.as_str() {
            "video/mp4" => "mp4",
            "video/quicktime" => "mov",
            "video/webm" => "webm",
            "image/jpeg" => "jpg",
            "image/png" => "png",
            "image/webp" => "webp",
            "image/heic" => "heic",
            t if t.starts_with("video/") => "video",
            _ => "image",
        }
    }
}

/// A resolver that answers only public addresses.
#[derive(Debug)]
struct PublicOnly;

#[derive(Debug, thiserror::Error)]
#[error("{host} resolves to a non-public address ({addr})")]
struct NonPublicAddress {
    host: String,
    addr: std::net::IpAddr,
}

impl reqwest::dns::Resolve for PublicOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_string();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if let Some(bad) = addrs.iter().find(|a| !is_public_ip(a.ip())) {
                return Err(Box::new(NonPublicAddress {
                    host,
                    addr: bad.ip(),
                })
                    as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// Fetches media URLs under the rules above.
#[derive(Debug, Clone)]
pub struct Fetcher {
    http: reqwest::Client,
    allowed: Arc<Vec<String>>,
    pub max_video_bytes: u64,
    pub max_image_bytes: u64,
}

fn refusal_in(e: &reqwest::Error) -> Option<String> {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = source {
        if let Some(n) = s.downcast_ref::<NonPublicAddress>() {
            return Some(n.to_string());
        }
        if let Some(r) = s.downcast_ref::<media_url::UrlRefusal>() {
            return Some(format!("redirect refused: {r}"));
        }
        source = s.source();
    }
    None
}

impl Fetcher {
    pub fn new(
        allowed: Vec<String>,
        max_video_bytes: u64,
        max_image_bytes: u64,
    ) -> Result<Self, reqwest::Error> {
        let allowed = Arc::new(allowed);
        let list = allowed.clone();
        let redirects = reqwest::redirect::Policy::custom(move |attempt| {
            if attempt.previous().len() >= 3 {
                return attempt.error("more than 3 redirects");
            }
            match media_url::check(attempt.url().as_str(), list.as_slice()) {
                Ok(_) => attempt.follow(),
                Err(refusal) => attempt.error(refusal),
            }
        });
        let http = reqwest::Client::builder()
            .dns_resolver(PublicOnly)
            .redirect(redirects)
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(120))
            .user_agent("reelcart-ugc-ingest/0.1")
            .build()?;
        Ok(Self {
            http,
            allowed,
            max_video_bytes,
            max_image_bytes,
        })
    }

    /// Download `url` to `dest`.
    pub async fn fetch(&self, url: &str, dest: &Path) -> Result<Fetched, FetchError> {
        media_url::check(url, self.allowed.as_slice())
            .map_err(|r| FetchError::Refused(r.to_string()))?;
        let classify = |e: reqwest::Error| match refusal_in(&e) {
            Some(why) => FetchError::Refused(why),
            None => FetchError::Transient(e.without_url().to_string()),
        };
        let mut resp = self.http.get(url).send().await.map_err(classify)?;
        let status = resp.status();
        if status.is_server_error() || status.as_u16() == 429 {
            return Err(FetchError::Transient(format!("the CDN answered {status}")));
        }
        if !status.is_success() {
            // 403/404/410: the media is gone (TikTok covers expire after 6 h).
            return Err(FetchError::Refused(format!("the CDN answered {status}")));
        }
        let content_type = resp
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(|v| v.trim().to_ascii_lowercase())
            .unwrap_or_default();
        let max = if content_type.starts_with("video/") {
            self.max_video_bytes
        } else if content_type.starts_with("image/") {
            self.max_image_bytes
        } else {
            return Err(FetchError::Refused(format!(
                "`{content_type}` is not video or an image"
            )));
        };
        let too_large = |n: u64| FetchError::Refused(format!("larger than {max} bytes ({n})"));
        if let Some(len) = resp.content_length()
            && len > max
        {
            return Err(too_large(len));
        }
        let io = |e: std::io::Error| FetchError::Transient(format!("writing the download: {e}"));
        let mut file = tokio::fs::File::create(dest).await.map_err(io)?;
        let mut hash = Sha256::new();
        let mut bytes: u64 = 0;
        while let Some(chunk) = resp.chunk().await.map_err(classify)? {
            bytes += chunk.len() as u64;
            if bytes > max {
                return Err(too_large(bytes));
            }
            hash.update(&chunk);
            file.write_all(&chunk).await.map_err(io)?;
        }
        file.flush().await.map_err(io)?;
        if bytes == 0 {
            return Err(FetchError::Refused("the CDN answered no bytes".into()));
        }
        Ok(Fetched {
            content_type,
            bytes,
            sha256: hex::encode(hash.finalize()),
        })
    }
}
