//! Platform errors, classified per platform (`spec/platforms.md` §3). Codes alone are ambiguous
//! (TikTok Shop's 36009004 means several things), so the operation that failed is part of the input.

use super::OAuthPlatform;
use http::HeaderMap;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// What failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// A call to the platform's token endpoint (refresh or exchange).
    Refresh,
    /// Any other API call made with the access token.
    Api,
}

/// What to do about a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorClass {
    /// The access token is expired or invalid: refresh, then retry the call once.
    TokenInvalid,
    /// The grant is gone (refresh token expired or revoked, password changed): connect again.
    Reauthorize,
    /// The grant lacks a permission or scope: connect again, granting it.
    Permission,
    /// Slow down; retry after the indicated time.
    Throttled,
    /// The platform failed; retry with backoff.
    Transient,
    /// Not recognised: retry with backoff, and look at it.
    Unknown,
}

impl ErrorClass {
    /// What an operator should do.
    pub fn remediation(self, platform: OAuthPlatform) -> &'static str {
        match (self, platform) {
            (ErrorClass::Reauthorize, OAuthPlatform::TiktokShop) => {
                "The seller's authorization expired or was revoked: ask the seller to authorize the app again in TikTok Shop Seller Center (Connections → start)."
            }
            (ErrorClass::Reauthorize, OAuthPlatform::Tiktok) => {
                "The creator's TikTok authorization expired or was revoked: ask the creator to log in with TikTok again from the creator portal."
            }
            (ErrorClass::Reauthorize, OAuthPlatform::Shopify) => {
                "The store's authorization ended (the app was uninstalled, or its refresh token expired or was revoked): install the app again from the moderation console (Connections → Shopify), or grant it again with the Dev Dashboard app's credentials."
            }
            (ErrorClass::Reauthorize, _) => {
                "The Meta token expired or was invalidated (password change, logout, app removal): reconnect the account with Facebook/Instagram Login."
            }
            (ErrorClass::Permission, _) => {
                "The grant lacks a required permission or scope: reconnect and approve every requested permission."
            }
            (ErrorClass::TokenInvalid, _) => {
                "The access token was rejected: it is refreshed automatically."
            }
            (ErrorClass::Throttled, _) => {
                "Rate limited by the platform: retried automatically after the platform's wait time."
            }
            (ErrorClass::Transient, _) => {
                "The platform failed temporarily: retried automatically with backoff."
            }
            (ErrorClass::Unknown, _) => {
                "Unrecognised platform error: retried with backoff; check the platform's status and this error."
            }
        }
    }
}

/// A classified platform failure. `message` is the platform's text; tokens are never part of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlatformError {
    pub class: ErrorClass,
    pub code: String,
    pub message: String,
    pub http_status: u16,
    /// Wait at least this long before retrying (from `Retry-After` or Meta's usage headers).
    pub retry_after_secs: Option<i64>,
}

/// Classify a failed response of `platform`.
pub fn classify(
    platform: OAuthPlatform,
    op: Operation,
    http_status: u16,
    headers: &HeaderMap,
    body: &str,
) -> PlatformError {
    let json: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    let retry_after = retry_after(platform, headers);
    let (class, code, message) = match platform {
        OAuthPlatform::Meta | OAuthPlatform::Instagram => meta(&json),
        OAuthPlatform::TiktokShop => tiktok_shop(op, &json),
        OAuthPlatform::Tiktok => tiktok(op, &json),
        OAuthPlatform::Shopify => shopify(op, http_status, &json),
    };
    let class = match class {
        ErrorClass::Unknown if http_status == 429 => ErrorClass::Throttled,
        ErrorClass::Unknown if http_status >= 500 => ErrorClass::Transient,
        c => c,
    };
    PlatformError {
        class,
        code,
        message: message.chars().take(500).collect(),
        http_status,
        retry_after_secs: retry_after,
    }
}

fn text(v: Option<&Value>) -> String {
    v.map(|v| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    })
    .unwrap_or_default()
}

fn meta(json: &Value) -> (ErrorClass, String, String) {
    let err = &json["error"];
    let code = err["code"].as_i64();
    let sub = err["error_subcode"].as_i64();
    let class = match (code, sub) {
        (Some(190), _) => ErrorClass::Reauthorize,
        (_, Some(458 | 459 | 460 | 463 | 464 | 467)) => ErrorClass::Reauthorize,
        (Some(102), None) => ErrorClass::Reauthorize,
        (Some(10 | 200..=299), _) => ErrorClass::Permission,
        (Some(1 | 2), _) => ErrorClass::Transient,
        (Some(4 | 17 | 32 | 341 | 613 | 368 | 80014), _) => ErrorClass::Throttled,
        _ => ErrorClass::Unknown,
    };
    let code = match (code, sub) {
        (Some(c), Some(s)) => format!("{c}/{s}"),
        (Some(c), None) => c.to_string(),
        _ => String::new(),
    };
    (class, code, text(err.get("message")))
}

fn tiktok_shop(op: Operation, json: &Value) -> (ErrorClass, String, String) {
    let code = json["code"].as_i64();
    let class = match (code, op) {
        (Some(105002 | 36009004), Operation::Api) => ErrorClass::TokenInvalid,
        (Some(105002 | 36009004), Operation::Refresh) => ErrorClass::Reauthorize,
        (Some(105005), _) => ErrorClass::Permission,
        (Some(36009002), _) => ErrorClass::Throttled,
        (Some(36009003), _) => ErrorClass::Transient,
        _ => ErrorClass::Unknown,
    };
    (
        class,
        code.map(|c| c.to_string()).unwrap_or_default(),
        text(json.get("message")),
    )
}

fn tiktok(op: Operation, json: &Value) -> (ErrorClass, String, String) {
    // OAuth endpoint: {"error":"invalid_grant","error_description":..}; API: {"error":{"code":..,"message":..}}
    let (code, message) = match &json["error"] {
        Value::String(code) => (code.clone(), text(json.get("error_description"))),
        Value::Object(e) => (text(e.get("code")), text(e.get("message"))),
        _ => (String::new(), String::new()),
    };
    let class = match (code.as_str(), op) {
        ("access_token_invalid", Operation::Api) => ErrorClass::TokenInvalid,
        ("access_token_invalid" | "invalid_grant", _) => ErrorClass::Reauthorize,
        ("scope_not_authorized" | "scope_permission_missed", _) => ErrorClass::Permission,
        ("rate_limit_exceeded", _) => ErrorClass::Throttled,
        ("internal_error", _) => ErrorClass::Transient,
        _ => ErrorClass::Unknown,
    };
    (class, code, message)
}

fn retry_after(platform: OAuthPlatform, headers: &HeaderMap) -> Option<i64> {
    let header = |n: &str| headers.get(n).and_then(|v| v.to_str().ok());
    let explicit = header("retry-after").and_then(|v| v.trim().parse::<i64>().ok());
    let meta = match platform {
        OAuthPlatform::Meta | OAuthPlatform::Instagram => header("x-business-use-case-usage")
            .and_then(|v| serde_json::from_str::<Value>(v).ok())
            .and_then(|usage| {
                usage
                    .as_object()?
                    .values()
                    .filter_map(Value::as_array)
                    .flatten()
                    .filter_map(|e| e["estimated_time_to_regain_access"].as_i64())
                    .max()
            })
            .filter(|m| *m > 0)
            .map(|minutes| minutes * 60),
        _ => None,
    };
    explicit.into_iter().chain(meta).max()
}

/// Shopify: the token endpoint answers OAuth errors (`400 {"error": "invalid_grant",
/// "error_description"}` for a refresh token expired, revoked or retired); the Admin API `401
/// {"errors": "[API] Invalid API key or access token …"}` for a token it no longer takes, `403`
/// for a missing scope, `429` / `THROTTLED` for its rate limits.
fn shopify(op: Operation, status: u16, json: &Value) -> (ErrorClass, String, String) {
    let oauth = json["error"].as_str();
    let message = match (&json["error_description"], &json["errors"]) {
        (Value::String(d), _) => d.clone(),
        (_, Value::Null) => text(json.get("error")),
        (_, e) => text(Some(e)),
    };
    let class = match (oauth, status, op) {
        (Some("invalid_grant" | "invalid_client" | "unauthorized_client"), _, _) => {
            ErrorClass::Reauthorize
        }
        (Some("invalid_scope"), _, _) => ErrorClass::Permission,
        (_, 401, Operation::Refresh) => ErrorClass::Reauthorize,
        (_, 401, _) => ErrorClass::TokenInvalid,
        (_, 403, _) => ErrorClass::Permission,
        _ => ErrorClass::Unknown,
    };
    let code = oauth.map_or_else(|| format!("http_{status}"), str::to_string);
    (class, code, message)
}
