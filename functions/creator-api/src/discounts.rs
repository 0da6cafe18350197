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

/// The Shopify store's Admin API. Its token is read from the platform secrets on the first code a
/// warm instance makes (codes are rare; every other route starts without that read).
#[derive(Debug)]
pub struct ShopifyDiscounts {
    /// `SHOPIFY_ADMIN_URL`, `PLATFORM_SECRETS_ID`, and where to read that secret; `None`: not
    /// configured.
    source: Option<(String, String, reelcart_aws::SecretsManager)>,
    admin: tokio::sync::OnceCell<Option<reelcart_platforms::shopify::ShopifyAdmin>>,
}

impl ShopifyDiscounts {
    /// The store's Admin API for discount codes: `SHOPIFY_ADMIN_URL` and the platform secrets
    /// document's `shopify_admin_token` (`PLATFORM_SECRETS_ID`, read on first use); either unset:
    /// none.
    pub(crate) fn from_vars<F: Fn(&str) -> Option<String>>(
        v: &reelcart_lambda::config::Vars<F>,
        secrets: &reelcart_aws::SecretsManager,
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
        Self {
            source,
            admin: tokio::sync::OnceCell::new(),
        }
    }

    /// The store's Admin API, or `None` when the secrets hold no token.
    async fn load(&self) -> Result<Option<reelcart_platforms::shopify::ShopifyAdmin>, String> {
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
        if apps.shopify_admin_token.expose_secret().is_empty() {
            tracing::warn!("the platform secrets have no shopify_admin_token: no discount codes");
            return Ok(None);
        }
        reelcart_platforms::shopify::ShopifyAdmin::new(url, apps.shopify_admin_token)
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
