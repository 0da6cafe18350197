//! Discount codes in the store: the [`StoreDiscounts`] port and its Shopify Admin API adapter.

use reelcart_domain::attribution::day_of;

/// Why the store did not create a discount code.
#[derive(Debug)]
pub enum DiscountError {
    /// No store is configured.
    Unavailable,
    /// The code exists in the store already.
    Taken,
    Failed(String),
}

/// A code to make in the store.
#[derive(Debug, Clone)]
pub struct NewCode<'a> {
    pub code: &'a str,
    pub percent: u32,
    pub title: &'a str,
    pub now: i64,
    /// When it stops working (unix seconds), and how many orders may use it.
    pub ends_at: Option<i64>,
    pub usage_limit: Option<u32>,
}

/// Creates discount codes in the store.
pub trait StoreDiscounts: Send + Sync {
    /// A code for the whole order, once per customer; the store's id of it.
    fn create_code(
        &self,
        code: &NewCode<'_>,
    ) -> impl Future<Output = Result<String, DiscountError>> + Send;
}

/// The settings the store's connection is opened with (read on the first code).
const VAULT_SETTINGS: [&str; 8] = [
    "CONNECTIONS_TABLE",
    "TOKEN_KEY_ARN",
    "PLATFORM_SECRETS_ID",
    "EVENT_BUS_NAME",
    "REFRESH_MARGIN_SECS",
    "SHOPIFY_ADMIN_URL",
    "SHOPIFY_SHOP_DOMAIN",
    "SHOPIFY_SCOPES",
];

/// What the store's connection is opened with: its settings, the SDK's, the clock.
type VaultAccess = (
    std::collections::HashMap<String, String>,
    reelcart_aws::SdkConfig,
    std::sync::Arc<dyn reelcart_domain::Clock>,
);

/// The Shopify store's Admin API, opened on the first code a warm instance makes (codes are rare;
/// every other route starts without reading a secret): the token of the store's connection in
/// the vault (installed, or the brand's own app), else a legacy static `shopify_admin_token`.
pub struct ShopifyDiscounts {
    /// `SHOPIFY_ADMIN_URL`, `PLATFORM_SECRETS_ID`; `None`: not configured.
    source: Option<(String, String, reelcart_aws::SecretsManager)>,
    /// The vault's settings and clients, when `CONNECTIONS_TABLE` is set.
    vault: Option<VaultAccess>,
    admin: tokio::sync::OnceCell<Option<reelcart_platforms::shopify::ShopifyAdmin>>,
}

impl std::fmt::Debug for ShopifyDiscounts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ShopifyDiscounts")
            .field("configured", &self.source.is_some())
            .field("vault", &self.vault.is_some())
            .finish_non_exhaustive()
    }
}

impl ShopifyDiscounts {
    /// The store's Admin API for discount codes: `SHOPIFY_ADMIN_URL`, the store's connection
    /// (`CONNECTIONS_TABLE`, `TOKEN_KEY_ARN`, `EVENT_BUS_NAME`) and the platform secrets
    /// (`PLATFORM_SECRETS_ID`), read on first use; without a URL or the secrets: none.
    pub(crate) fn from_vars<F: Fn(&str) -> Option<String>>(
        v: &reelcart_lambda::config::Vars<F>,
        secrets: &reelcart_aws::SecretsManager,
        sdk: &reelcart_aws::SdkConfig,
        clock: std::sync::Arc<dyn reelcart_domain::Clock>,
    ) -> Self {
        let source = match (
            v.optional("SHOPIFY_ADMIN_URL").filter(|u| !u.is_empty()),
            v.optional("PLATFORM_SECRETS_ID").filter(|u| !u.is_empty()),
        ) {
            (Some(url), Some(id)) => Some((url, id, secrets.clone())),
            _ => {
                tracing::info!(
                    "SHOPIFY_ADMIN_URL or PLATFORM_SECRETS_ID is not set: no discount codes"
                );
                None
            }
        };
        let vault = v
            .optional("CONNECTIONS_TABLE")
            .filter(|t| !t.is_empty())
            .map(|_| {
                let mut settings: std::collections::HashMap<String, String> = VAULT_SETTINGS
                    .iter()
                    .filter_map(|k| v.optional(k).map(|x| (k.to_string(), x)))
                    .collect();
                // The other platforms' URLs are not needed for the store: their defaults stand.
                settings.retain(|_, x| !x.is_empty());
                (settings, sdk.clone(), clock)
            });
        Self {
            source,
            vault,
            admin: tokio::sync::OnceCell::new(),
        }
    }

    /// The store's Admin API, or `None` when there is neither a connection layer nor a token.
    async fn load(&self) -> Result<Option<reelcart_platforms::shopify::ShopifyAdmin>, String> {
        use reelcart_platforms::shopify::{ShopifyAdmin, VaultTokens};
        use reelcart_ports::SecretSource;
        use secrecy::ExposeSecret;
        let Some((url, id, secrets)) = &self.source else {
            return Ok(None);
        };
        let doc = secrets
            .secret(id)
            .await
            .map_err(|e| format!("reading the platform secrets: {e}"))?;
        let apps = reelcart_platforms::AppCredentials::from_json(doc.expose_secret())
            .map_err(|e| e.to_string())?;
        let fallback = Some(apps.shopify_admin_token).filter(|t| !t.expose_secret().is_empty());
        let Some((settings, sdk, clock)) = &self.vault else {
            let Some(token) = fallback else {
                tracing::warn!("no store connection and no shopify_admin_token: no discount codes");
                return Ok(None);
            };
            return ShopifyAdmin::new(url, token)
                .map(Some)
                .map_err(|e| e.without_url().to_string());
        };
        let vars = reelcart_lambda::config::Vars(|k: &str| settings.get(k).cloned());
        let refresher =
            reelcart_platforms::aws::aws_refresher(&vars, sdk, clock.clone(), "creator-api")
                .await
                .map_err(|e| e.to_string())?;
        let shop = refresher.client.config().shopify_shop.clone();
        let tokens = VaultTokens {
            refresher: std::sync::Arc::new(refresher),
            connection_id: reelcart_domain::connection::Connection::id_for(
                reelcart_domain::connection::OAuthPlatform::Shopify,
                &shop,
            ),
            fallback,
        };
        ShopifyAdmin::with_tokens(url, std::sync::Arc::new(tokens))
            .map(Some)
            .map_err(|e| e.without_url().to_string())
    }
}

fn rfc3339(t: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(t)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| format!("{}T00:00:00Z", day_of(t)))
}

impl StoreDiscounts for ShopifyDiscounts {
    async fn create_code(&self, c: &NewCode<'_>) -> Result<String, DiscountError> {
        use reelcart_platforms::shopify::PullError;
        use reelcart_platforms::shopify_graphql::CodeDiscount;
        // A failed read is not kept: the next request tries again.
        let admin = self
            .admin
            .get_or_try_init(|| self.load())
            .await
            .map_err(DiscountError::Failed)?;
        let Some(admin) = admin else {
            return Err(DiscountError::Unavailable);
        };
        let starts_at = format!("{}T00:00:00Z", day_of(c.now));
        let ends_at = c.ends_at.map(rfc3339);
        // GraphQL Admin API's `discountCodeBasicCreate` (REST price rules are legacy).
        match admin
            .create_code_discount(&CodeDiscount {
                code: c.code,
                title: c.title,
                percent: c.percent,
                starts_at: &starts_at,
                ends_at: ends_at.as_deref(),
                usage_limit: c.usage_limit,
                once_per_customer: true,
            })
            .await
        {
            Ok(id) => Ok(id),
            // A refusal naming the code is the code's uniqueness (a code already in the store,
            // whoever made it).
            Err(PullError::Refused(r)) if r.names("code") => Err(DiscountError::Taken),
            Err(e) => Err(DiscountError::Failed(e.to_string())),
        }
    }
}
