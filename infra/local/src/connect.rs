//! Connecting demo accounts: the simulator issues a grant (what a completed OAuth callback holds)
//! and the connection is stored exactly as the connect flow stores it — sealed under the stack's
//! token key, through the same refresher wiring the `token-refresher` function uses.

use crate::Stack;
use anyhow::{Context, Result, anyhow};
use reelcart_connections::TokenGrant;
use reelcart_domain::connection::{Connection, OAuthPlatform};
use reelcart_domain::{Clock, SystemClock};
use reelcart_vault::TokenSet;
use secrecy::SecretString;
use std::sync::Arc;

/// One admin connect flow, as a browser drives it.
#[derive(Debug)]
pub struct ConsentFlow {
    pub authorize_url: String,
    pub callback_url: String,
    pub connection_id: String,
}

impl Stack {
    /// Connect `platform` the way an admin does: a token from the stack's identity provider,
    /// `POST /v1/connections/{platform}/authorize`, the platform's consent screen (the simulator
    /// approves), its redirect to the callback. Returns each URL the browser visited.
    pub async fn connect_as_admin(&self, platform: OAuthPlatform) -> Result<ConsentFlow> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        let token = self.token("demo-admin", &["admin"])?;
        let start: serde_json::Value = http
            .post(format!(
                "{}/v1/connections/{platform}/authorize",
                self.url()
            ))
            .bearer_auth(token)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        let authorize_url = start["authorize_url"]
            .as_str()
            .context("no authorize_url")?
            .to_string();
        let consent = http.get(&authorize_url).send().await?;
        let callback_url = consent
            .headers()
            .get("location")
            .and_then(|l| l.to_str().ok())
            .context("the consent screen did not redirect")?
            .split('#')
            .next()
            .unwrap_or_default()
            .to_string();
        let done: serde_json::Value = http
            .get(&callback_url)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        let connection_id = done["connection"]["id"]
            .as_str()
            .context("callback answered no connection")?
            .to_string();
        Ok(ConsentFlow {
            authorize_url,
            callback_url,
            connection_id,
        })
    }

    /// Connect `account_id` on `platform`, its access token expiring in `access_ttl` seconds
    /// (`None`: the platform's own lifetime). Returns the connection id.
    pub async fn connect_demo(
        &self,
        platform: OAuthPlatform,
        account_id: &str,
        access_ttl: Option<i64>,
    ) -> Result<String> {
        let seeded = self.sim.seed(platform.as_str(), account_id, access_ttl);
        let spec = self
            .functions
            .iter()
            .find(|f| f.binary == "token-refresher")
            .context("token-refresher is not in the template")?;
        let vars = reelcart_lambda::config::Vars(|k: &str| spec.env.get(k).cloned());
        let handler = token_refresher::from_aws(&vars, &self.emulator.sdk, Arc::new(SystemClock))
            .await
            .map_err(|e| anyhow!("{e}"))?;
        let connection = Connection::new(
            platform,
            account_id,
            vec!["default".into()],
            Some(seeded.expires_at),
            seeded.refresh_expires_at,
            SystemClock.now_unix(),
        );
        let grant = TokenGrant {
            tokens: TokenSet {
                access_token: SecretString::from(seeded.access_token),
                refresh_token: seeded.refresh_token.map(SecretString::from),
            },
            expires_at: Some(seeded.expires_at),
            refresh_expires_at: seeded.refresh_expires_at,
            scopes: None,
        };
        let record = handler.refresher.connect(connection, grant).await?;
        Ok(record.connection.id)
    }
}
