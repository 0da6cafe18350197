//! The platforms' event endpoints over HTTPS, with the pixels and tokens of the conversions
//! secret.

use crate::{AdApi, SendError};
use reelcart_domain::attribution::conversions::AdPlatform;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::{Value, json};
use std::time::Duration;

/// The Graph API version the Conversions API is called at.
pub const GRAPH_VERSION: &str = "v21.0";

/// The conversions secret: `{"meta_pixel_id", "meta_access_token", "tiktok_pixel_code",
/// "tiktok_access_token"}` (the tokens Meta's and TikTok's Events Managers generate for the
/// pixel); a platform with an empty pixel or token is off. `test_event_code`s, when set, send the
/// events to the platforms' test tools instead.
#[derive(Deserialize)]
pub struct Pixels {
    #[serde(default)]
    meta_pixel_id: String,
    #[serde(default)]
    meta_access_token: Option<SecretString>,
    #[serde(default)]
    meta_test_event_code: Option<String>,
    #[serde(default)]
    tiktok_pixel_code: String,
    #[serde(default)]
    tiktok_access_token: Option<SecretString>,
    #[serde(default)]
    tiktok_test_event_code: Option<String>,
}

impl std::fmt::Debug for Pixels {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pixels")
            .field("meta_pixel_id", &self.meta_pixel_id)
            .field("tiktok_pixel_code", &self.tiktok_pixel_code)
            .finish_non_exhaustive()
    }
}

fn token(t: &Option<SecretString>) -> Option<&str> {
    t.as_ref()
        .map(|t| t.expose_secret())
        .filter(|t| !t.trim().is_empty())
}

/// A platform's pixel and token, or [`SendError::NotConfigured`].
fn credentials<'a>(
    pixel: &'a str,
    t: &'a Option<SecretString>,
) -> Result<(&'a str, &'a str), SendError> {
    match token(t) {
        Some(token) if !pixel.is_empty() => Ok((pixel, token)),
        _ => Err(SendError::NotConfigured),
    }
}

impl Pixels {
    /// Read the secret's JSON (its parse error never echoes a value).
    pub fn parse(json: &str) -> Result<Self, String> {
        serde_json::from_str(json).map_err(|e| reelcart_domain::webhook::redacted_json_error(&e))
    }

    /// The platforms configured (a pixel and a token each).
    pub fn configured(&self) -> Vec<AdPlatform> {
        let mut out = Vec::new();
        if credentials(&self.meta_pixel_id, &self.meta_access_token).is_ok() {
            out.push(AdPlatform::Meta);
        }
        if credentials(&self.tiktok_pixel_code, &self.tiktok_access_token).is_ok() {
            out.push(AdPlatform::Tiktok);
        }
        out
    }
}

pub struct HttpAdApi {
    http: reqwest::Client,
    graph_url: String,
    tiktok_url: String,
    pixels: Pixels,
}

impl std::fmt::Debug for HttpAdApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpAdApi")
            .field("graph_url", &self.graph_url)
            .field("tiktok_url", &self.tiktok_url)
            .field("pixels", &self.pixels)
            .finish_non_exhaustive()
    }
}

/// A request that got no answer, or a server error: retried.
fn transient(e: reqwest::Error) -> SendError {
    SendError::Retry(format!("no answer: {}", e.without_url()))
}

impl HttpAdApi {
    pub fn new(
        graph_url: String,
        tiktok_url: String,
        pixels: Pixels,
    ) -> Result<Self, reqwest::Error> {
        Ok(Self {
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(20))
                .connect_timeout(Duration::from_secs(5))
                // Tokens travel with these requests: never to wherever a redirect points.
                .redirect(reqwest::redirect::Policy::none())
                .user_agent("reelcart/0.1")
                .build()?,
            graph_url,
            tiktok_url,
            pixels,
        })
    }

    async fn meta(&self, event: &Value) -> Result<(), SendError> {
        let (pixel, token) =
            credentials(&self.pixels.meta_pixel_id, &self.pixels.meta_access_token)?;
        let mut body = json!({ "data": [event], "access_token": token });
        if let Some(code) = &self.pixels.meta_test_event_code {
            body["test_event_code"] = json!(code);
        }
        let resp = self
            .http
            .post(format!("{}/{GRAPH_VERSION}/{pixel}/events", self.graph_url))
            .json(&body)
            .send()
            .await
            .map_err(transient)?;
        let status = resp.status().as_u16();
        let answer: Value = resp.json().await.unwrap_or(Value::Null);
        if status == 200 && answer["events_received"].as_u64().unwrap_or(0) >= 1 {
            return Ok(());
        }
        let code = answer["error"]["code"].as_i64().unwrap_or(0);
        let message = answer["error"]["message"]
            .as_str()
            .unwrap_or("")
            .to_string();
        // Throttling (4, 17, 32, 613) and server errors are retried; the rest is refused.
        if status >= 500 || status == 429 || matches!(code, 1 | 2 | 4 | 17 | 32 | 613) {
            return Err(SendError::Retry(format!(
                "Meta {status} code {code}: {message}"
            )));
        }
        Err(SendError::Refused(format!(
            "Meta {status} code {code}: {message}"
        )))
    }

    async fn tiktok(&self, event: &Value) -> Result<(), SendError> {
        let (pixel, token) = credentials(
            &self.pixels.tiktok_pixel_code,
            &self.pixels.tiktok_access_token,
        )?;
        let mut body = json!({ "event_source": "web", "event_source_id": pixel, "data": [event] });
        if let Some(code) = &self.pixels.tiktok_test_event_code {
            body["test_event_code"] = json!(code);
        }
        let resp = self
            .http
            .post(format!("{}/open_api/v1.3/event/track/", self.tiktok_url))
            .header("Access-Token", token)
            .json(&body)
            .send()
            .await
            .map_err(transient)?;
        let status = resp.status().as_u16();
        let answer: Value = resp.json().await.unwrap_or(Value::Null);
        let code = answer["code"].as_i64().unwrap_or(-1);
        if status == 200 && code == 0 {
            return Ok(());
        }
        let message = answer["message"].as_str().unwrap_or("").to_string();
        // The Business API answers 200 with a code; 5xx, 429 and its rate limit (40100) and
        // system errors (50000+) are retried.
        if status >= 500 || status == 429 || code == 40100 || code >= 50000 {
            return Err(SendError::Retry(format!(
                "TikTok {status} code {code}: {message}"
            )));
        }
        Err(SendError::Refused(format!(
            "TikTok {status} code {code}: {message}"
        )))
    }
}

impl AdApi for HttpAdApi {
    async fn send(&self, platform: AdPlatform, event: &Value) -> Result<(), SendError> {
        match platform {
            AdPlatform::Meta => self.meta(event).await,
            AdPlatform::Tiktok => self.tiktok(event).await,
        }
    }
}
