//! `connections-api`: how an admin connects the brand's platform accounts, and sees their health.
//!
//! - `POST /v1/connections/{platform}/authorize` (JWT, role `admin`): a consent-screen URL with a
//!   signed, expiring `state`; the state's nonce and (TikTok) the PKCE verifier are kept
//!   server-side, single use, for 15 minutes.
//! - `GET /v1/connections/{platform}/callback` (public: the platform redirects the admin's browser
//!   here; the signed state is the protection): verify the state, redeem its nonce once, exchange
//!   the code, seal and store the connection.
//! - `GET /v1/connections` (JWT, role `admin`): every connection's state, expiries, last error and
//!   remediation. Never a token.

use lambda_http::http::{Method, StatusCode, header, request::Parts};
use lambda_http::{Body, Response};
use reelcart_connections::Refresher;
use reelcart_domain::Clock;
use reelcart_domain::connection::{Connection, ConnectionStatus, OAuthPlatform};
use reelcart_domain::oauth::{self, STATE_TTL_SECS, StateClaims, StateError};
use reelcart_lambda::auth::Principal;
use reelcart_lambda::config::{ConfigError, Vars};
use reelcart_lambda::http::{ApiError, json};
use reelcart_lambda::router::{Admin, Caller, HttpApi, PathParams, Routes, State};
use reelcart_platforms::{HttpTokenClient, PlatformConfig};
use reelcart_ports::{
    ConnectionStore, EventBus, KeyService, PendingAuthorization, PendingAuthorizations,
};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Arc;

#[cfg(feature = "testing")]
pub mod testing;
#[cfg(test)]
mod tests;

/// Published when an account is connected (or reconnected after `needs_reauth`).
pub const CONNECTED_EVENT: &str = "Connection Connected";
/// What an admin's disconnection publishes.
pub const DISCONNECTED_EVENT: &str = "Connection Disconnected";

/// The function's state: the connection layer, where pending authorizations live, and the keys
/// that sign `state`.
pub struct Api<S, K, E, P> {
    pub refresher: Refresher<S, K, HttpTokenClient, E>,
    pub pending: P,
    /// The first signs; every one verifies (rotation).
    /// The OAuth state-signing keys (current first), read again every few minutes.
    pub state_keys: Arc<reelcart_lambda::keyring::KeyRing>,
    /// Where browsers reach this API (`PUBLIC_BASE_URL`, for a custom domain); unset: the URL
    /// the authorize request came in at (API Gateway's `Host` and `X-Forwarded-Proto`).
    /// Callbacks are `{base}/v1/connections/{platform}/callback`, registered with each platform.
    pub public_base_url: Option<String>,
    /// Where the callback sends the admin's browser afterwards (`CONNECT_RETURN_URL`, the console),
    /// with `connection` and `status` (or `error`) in the query; unset: the callback answers JSON.
    pub return_url: Option<String>,
}

impl<S, K, E, P> std::fmt::Debug for Api<S, K, E, P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Api")
            .field("public_base_url", &self.public_base_url)
            .field("return_url", &self.return_url)
            .field("state_keys", &self.state_keys.keys().len())
            .finish_non_exhaustive()
    }
}

/// A `{platform}` path segment: `404 unknown_platform` for any other.
fn platform(s: &str) -> Result<OAuthPlatform, ApiError> {
    OAuthPlatform::parse(s).ok_or_else(|| {
        ApiError::client(
            StatusCode::NOT_FOUND,
            "unknown_platform",
            "platform must be one of meta, instagram, tiktok-shop, tiktok, shopify",
        )
    })
}

/// Every route the API serves: method and path, as the OpenAPI document writes them.
pub fn routes() -> Vec<(Method, &'static str)> {
    <AwsApi as HttpApi>::routes().list()
}

/// A connection as the console shows it.
#[derive(Debug, Serialize)]
pub struct ConnectionView {
    #[serde(flatten)]
    pub connection: Connection,
    /// A person must act (connect again), or refreshes keep failing.
    pub needs_attention: bool,
    /// What to do about it, when something is wrong.
    pub remediation: Option<String>,
}

impl From<Connection> for ConnectionView {
    fn from(connection: Connection) -> Self {
        let needs_attention = !matches!(
            connection.status,
            ConnectionStatus::Active | ConnectionStatus::Refreshing
        ) || connection.failures > 0;
        let remediation = connection
            .last_error
            .as_ref()
            .map(|e| e.remediation.clone());
        Self {
            connection,
            needs_attention,
            remediation,
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
pub struct AuthorizeAnswer {
    pub platform: OAuthPlatform,
    pub authorize_url: String,
    pub expires_at: i64,
}

impl<S, K, E, P> Api<S, K, E, P>
where
    S: ConnectionStore + 'static,
    K: KeyService + 'static,
    E: EventBus + 'static,
    P: PendingAuthorizations + 'static,
{
    async fn list(&self) -> Result<Response<Body>, ApiError> {
        let mut all = self.refresher.store.list().await?;
        all.sort_by(|a, b| a.connection.id.cmp(&b.connection.id));
        let views: Vec<ConnectionView> = all
            .into_iter()
            .map(|r| ConnectionView::from(r.connection))
            .collect();
        Ok(json(
            StatusCode::OK,
            &serde_json::json!({ "connections": views }),
        ))
    }

    fn redirect_uri(&self, req: &Parts, platform: OAuthPlatform) -> Result<String, ApiError> {
        let base = match &self.public_base_url {
            Some(base) => base.clone(),
            None => {
                let header = |name: &str| {
                    req.headers
                        .get(name)
                        .and_then(|v| v.to_str().ok())
                        .filter(|v| !v.is_empty())
                };
                let host = header("host").or_else(|| req.uri.host()).ok_or_else(|| {
                    ApiError::client(StatusCode::BAD_REQUEST, "invalid_request", "no Host")
                })?;
                let scheme = header("x-forwarded-proto")
                    .or_else(|| req.uri.scheme_str())
                    .unwrap_or("https");
                format!("{scheme}://{host}")
            }
        };
        Ok(format!("{base}/v1/connections/{platform}/callback"))
    }

    async fn authorize(
        &self,
        req: &Parts,
        admin: &Principal,
        platform: OAuthPlatform,
    ) -> Result<Response<Body>, ApiError> {
        let now = self.refresher.clock.now_unix();
        self.state_keys.refresh(now).await;
        let keys = self.state_keys.keys();
        let key = keys
            .first()
            .ok_or_else(|| ApiError::internal("no OAuth state key"))?;
        let claims = StateClaims {
            platform,
            nonce: random_token(32),
            subject: admin.subject.clone(),
            expires_at: now + STATE_TTL_SECS,
        };
        let state = oauth::sign_state(&claims, key)
            .ok_or_else(|| ApiError::internal("empty OAuth state key"))?;
        let code_verifier = PlatformConfig::uses_pkce(platform).then(|| random_token(64));
        let challenge = code_verifier.as_deref().map(oauth::pkce_challenge);
        let redirect_uri = self.redirect_uri(req, platform)?;
        let authorize_url = self
            .refresher
            .client
            .config()
            .authorize_url(platform, &state, &redirect_uri, challenge.as_deref())
            .map_err(|e| {
                ApiError::client(
                    StatusCode::CONFLICT,
                    "platform_not_configured",
                    e.to_string(),
                )
            })?;
        self.pending
            .put(&PendingAuthorization {
                nonce: claims.nonce,
                platform,
                subject: admin.subject.clone(),
                redirect_uri,
                code_verifier,
                expires_at: claims.expires_at,
            })
            .await?;
        tracing::info!(%platform, admin = %admin.subject, "authorization started");
        Ok(json(
            StatusCode::OK,
            &AuthorizeAnswer {
                platform,
                authorize_url,
                expires_at: claims.expires_at,
            },
        ))
    }

    async fn callback(
        &self,
        req: &Parts,
        platform: OAuthPlatform,
    ) -> Result<Response<Body>, ApiError> {
        match self.complete(req, platform).await {
            Ok(connection) => {
                let id = connection.id.clone();
                Ok(self.finish(
                    StatusCode::OK,
                    &[("connection", id.as_str()), ("status", "connected")],
                    serde_json::json!({ "connection": ConnectionView::from(connection) }),
                ))
            }
            Err(ApiError::Client {
                status,
                code,
                message,
            }) if self.return_url.is_some() => {
                let e = ApiError::client(status, code, message);
                tracing::warn!(%platform, error = %e, "authorization not completed");
                Ok(self.finish(e.status(), &[("error", code)], serde_json::Value::Null))
            }
            Err(e) => Err(e),
        }
    }

    /// Answer the browser: to the console when one is configured, else JSON.
    fn finish(
        &self,
        status: StatusCode,
        query: &[(&str, &str)],
        body: serde_json::Value,
    ) -> Response<Body> {
        let Some(base) = &self.return_url else {
            return json(status, &body);
        };
        let query: String = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(query)
            .finish();
        let sep = if base.contains('?') { '&' } else { '?' };
        Response::builder()
            .status(StatusCode::SEE_OTHER)
            .header(header::LOCATION, format!("{base}{sep}{query}"))
            .header(header::CACHE_CONTROL, "no-store")
            .body(Body::Empty)
            .unwrap_or_else(|e| ApiError::internal(e).into_response())
    }

    async fn complete(&self, req: &Parts, platform: OAuthPlatform) -> Result<Connection, ApiError> {
        let q: HashMap<String, String> =
            form_urlencoded::parse(req.uri.query().unwrap_or_default().as_bytes())
                .into_owned()
                .collect();
        let bad = |code: &'static str, message: &str| {
            ApiError::client(StatusCode::BAD_REQUEST, code, message.to_string())
        };
        if platform == OAuthPlatform::Shopify {
            // Nothing in a Shopify callback is trusted before its HMAC and shop are checked.
            self.verify_shopify_callback(req)?;
        }
        if let Some(error) = q.get("error") {
            tracing::info!(%platform, platform_error = %error, "authorization refused at the platform");
            return Err(bad(
                "authorization_denied",
                "the account owner did not authorize the app; start again to retry",
            ));
        }
        let state = q
            .get("state")
            .ok_or_else(|| bad("invalid_request", "state is missing"))?;
        let code = q
            .get("code")
            .filter(|c| !c.is_empty())
            .ok_or_else(|| bad("invalid_request", "code is missing"))?;
        let now = self.refresher.clock.now_unix();
        self.state_keys.refresh(now).await;
        let claims =
            oauth::verify_state(state, &self.state_keys.keys(), platform, now).map_err(|e| {
                tracing::warn!(%platform, error = %e, "callback with a bad state");
                match e {
                    StateError::Expired => bad(
                        "state_expired",
                        "this authorization took too long; start again",
                    ),
                    _ => bad("invalid_state", "state is not one this API issued"),
                }
            })?;
        let pending = self
            .pending
            .take(&claims.nonce, now)
            .await?
            .filter(|p| p.platform == platform && p.subject == claims.subject)
            .ok_or_else(|| {
                bad(
                    "state_used",
                    "this authorization was already completed or has expired; start again",
                )
            })?;
        let authorized = self
            .refresher
            .client
            .exchange_code(
                platform,
                code,
                &pending.redirect_uri,
                pending.code_verifier.as_deref(),
                now,
            )
            .await
            .map_err(|e| {
                tracing::warn!(%platform, class = ?e.class, code = %e.code, "code exchange failed");
                ApiError::client(
                    StatusCode::BAD_GATEWAY,
                    "exchange_failed",
                    format!(
                        "{platform} refused the authorization code ({}): {}",
                        e.code,
                        e.class.remediation(platform)
                    ),
                )
            })?;
        self.store(
            platform,
            authorized,
            &pending.subject,
            &pending.redirect_uri,
            now,
        )
        .await
    }

    /// Keep a completed authorization (sealed, under the connection's id) and announce it.
    async fn store(
        &self,
        platform: OAuthPlatform,
        authorized: reelcart_platforms::Authorized,
        subject: &str,
        redirect_uri: &str,
        now: i64,
    ) -> Result<Connection, ApiError> {
        let config = self.refresher.client.config();
        if platform == OAuthPlatform::Shopify {
            self.subscribe_shopify(&authorized.grant.tokens.access_token, redirect_uri)
                .await;
        }
        let scopes = authorized.grant.scopes.clone().unwrap_or_else(|| {
            let requested = match platform {
                OAuthPlatform::Tiktok => config.authorize.tiktok_scopes.as_str(),
                OAuthPlatform::Meta => config.authorize.meta_scopes.as_str(),
                OAuthPlatform::Instagram => config.authorize.instagram_scopes.as_str(),
                OAuthPlatform::Shopify => config.authorize.shopify_scopes.as_str(),
                OAuthPlatform::TiktokShop => "",
            };
            requested
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect()
        });
        let connection = Connection::new(
            platform,
            &authorized.account_id,
            scopes,
            authorized.grant.expires_at,
            authorized.grant.refresh_expires_at,
            now,
        );
        let stored = self
            .refresher
            .connect(connection, authorized.grant)
            .await
            .map_err(ApiError::internal)?;
        let c = stored.connection;
        tracing::info!(
            connection = %c.id,
            %platform,
            account = %c.account_id,
            admin = %subject,
            "account connected"
        );
        self.refresher
            .events
            .publish(
                CONNECTED_EVENT,
                &serde_json::json!({
                    "connection_id": c.id,
                    "platform": platform,
                    "account_id": c.account_id,
                    "connected_by": subject,
                }),
            )
            .await?;
        Ok(c)
    }
}

impl<S, K, E, P> HttpApi for Api<S, K, E, P>
where
    S: ConnectionStore + 'static,
    K: KeyService + 'static,
    E: EventBus + 'static,
    P: PendingAuthorizations + 'static,
{
    /// Every route: the list and the start of an authorization are the brand's admins'; the
    /// callback is the platform's redirect of the admin's browser (its signed state is the proof).
    fn routes() -> Routes<Arc<Self>> {
        type App<T> = State<Arc<T>>;
        type Platform = PathParams<String>;
        Routes::default()
            .get("/v1/connections", |State(a): App<Self>, _: Caller<Admin>| async move {
                a.list().await
            })
            .post(
                "/v1/connections/{platform}/authorize",
                |State(a): App<Self>, who: Caller<Admin>, PathParams(p): Platform, parts: Parts| async move {
                    let platform = platform(&p)?;
                    if let Some(grant) = shopify::grant_asked(&parts, platform)? {
                        return a.connect_without_consent(&parts, &who.0, grant).await;
                    }
                    a.authorize(&parts, &who.0, platform).await
                },
            )
            .delete(
                "/v1/connections/{platform}/{account_id}",
                |State(a): App<Self>,
                 who: Caller<Admin>,
                 PathParams((p, account)): PathParams<(String, String)>,
                 parts: Parts| async move {
                    a.disconnect(&parts, &who.0, platform(&p)?, &account).await
                },
            )
            .get(
                "/v1/connections/{platform}/callback",
                |State(a): App<Self>, PathParams(p): Platform, parts: Parts| async move {
                    a.callback(&parts, platform(&p)?).await
                },
            )
    }
}

mod shopify;

/// `len` random characters of the RFC 7636 unreserved set (nonces, PKCE verifiers).
fn random_token(len: usize) -> String {
    use rand::Rng;
    const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~";
    let mut rng = rand::rng();
    (0..len)
        .map(|_| char::from(CHARS[rng.random_range(0..CHARS.len())]))
        .collect()
}

#[derive(Deserialize)]
struct StateKeysDoc {
    /// During a rotation: the new key first, the old ones after.
    #[serde(default)]
    oauth_state_keys: Vec<SecretString>,
    /// As the template generates it (one random key).
    #[serde(default)]
    oauth_state_key: Option<SecretString>,
}

/// The state-signing keys from their secret (`OAUTH_STATE_SECRET_ID`): `oauth_state_keys`
/// (current first), then `oauth_state_key`. Each must be at least 32 characters.
pub fn state_keys(secret: &SecretString) -> Result<Vec<SecretString>, ConfigError> {
    let invalid = |reason: &str| ConfigError::Invalid {
        name: "OAUTH_STATE_SECRET_ID",
        reason: reason.to_string(),
    };
    let doc: StateKeysDoc = serde_json::from_str(secret.expose_secret())
        .map_err(|e| invalid(&reelcart_domain::webhook::redacted_json_error(&e)))?;
    let keys: Vec<SecretString> = doc
        .oauth_state_keys
        .into_iter()
        .chain(doc.oauth_state_key)
        .collect();
    if keys.is_empty() {
        return Err(invalid(
            "neither oauth_state_keys nor oauth_state_key is set",
        ));
    }
    if keys.iter().any(|k| k.expose_secret().len() < 32) {
        return Err(invalid("every OAuth state key needs 32 characters or more"));
    }
    Ok(keys)
}

pub type AwsApi = Api<
    reelcart_aws::DynamoConnections,
    reelcart_aws::KmsKeys,
    reelcart_aws::EventBridgeBus,
    reelcart_aws::DynamoPendingAuthorizations,
>;

/// Build from settings (those of the connection layer, plus `OAUTH_STATE_SECRET_ID`,
/// `PENDING_AUTHORIZATIONS_TABLE`, optional `PUBLIC_BASE_URL` and `CONNECT_RETURN_URL`): the wiring `main` and the local stack share.
pub async fn from_aws<F: Fn(&str) -> Option<String>>(
    v: &Vars<F>,
    sdk: &reelcart_aws::SdkConfig,
    clock: Arc<dyn Clock>,
) -> Result<AwsApi, reelcart_platforms::aws::InitError> {
    let refresher =
        reelcart_platforms::aws::aws_refresher(v, sdk, clock, "connections-api").await?;
    let loader = reelcart_aws::SecretsManager::new(aws_sdk_secretsmanager::Client::new(sdk))
        .key_loader(v.required("OAUTH_STATE_SECRET_ID")?, |raw| {
            state_keys(&SecretString::from(raw.to_string())).map_err(|e| e.to_string())
        });
    let now = refresher.clock.now_unix();
    let state_keys = Arc::new(
        reelcart_lambda::keyring::KeyRing::load(loader, 300, now)
            .await
            .map_err(|reason| ConfigError::Invalid {
                name: "OAUTH_STATE_SECRET_ID",
                reason,
            })?,
    );
    let pending = reelcart_aws::DynamoPendingAuthorizations::new(
        aws_sdk_dynamodb::Client::new(sdk),
        v.required("PENDING_AUTHORIZATIONS_TABLE")?,
    );
    let public_base_url = v
        .optional("PUBLIC_BASE_URL")
        .filter(|u| !u.is_empty())
        .map(|u| u.trim_end_matches('/').to_string());
    Ok(Api {
        refresher,
        pending,
        state_keys,
        public_base_url,
        return_url: v.optional("CONNECT_RETURN_URL").filter(|u| !u.is_empty()),
    })
}
