//! Where the platforms are (base URLs from configuration) and the app's credentials with each.

use reelcart_domain::connection::OAuthPlatform;
use reelcart_lambda::config::{ConfigError, Vars};
use secrecy::SecretString;
use serde::Deserialize;

/// Where the platforms are, and the app's credentials with each.
#[derive(Debug, Clone)]
pub struct PlatformConfig {
    /// `TIKTOK_SHOP_AUTH_URL` (default `https://auth.tiktok-shops.com`)
    pub tiktok_shop_auth_url: String,
    /// `TIKTOK_SHOP_API_URL` (default `https://open-api.tiktokglobalshop.com`)
    pub tiktok_shop_api_url: String,
    /// `TIKTOK_OPEN_URL` (default `https://open.tiktokapis.com`)
    pub tiktok_open_url: String,
    /// `META_GRAPH_URL` (default `https://graph.facebook.com`)
    pub meta_graph_url: String,
    /// `INSTAGRAM_GRAPH_URL` (default `https://graph.instagram.com`)
    pub instagram_graph_url: String,
    /// `INSTAGRAM_API_URL` (default `https://api.instagram.com`): Instagram Login's code exchange.
    pub instagram_api_url: String,
    /// The brand's Shopify store: `SHOPIFY_ADMIN_URL` (`https://<shop>.myshopify.com`; the
    /// simulator locally) and its permanent domain (`SHOPIFY_SHOP_DOMAIN`, else the URL's host).
    /// Empty: no store.
    pub shopify_admin_url: String,
    pub shopify_shop: String,
    /// Consent screens, where an admin's browser is sent to authorize the app.
    pub authorize: AuthorizeUrls,
    pub apps: AppCredentials,
}

/// The platforms' consent screens and the scopes asked for.
#[derive(Debug, Clone)]
pub struct AuthorizeUrls {
    /// `TIKTOK_SHOP_AUTHORIZE_URL` (default `https://services.tiktokshop.com/open/authorize`):
    /// takes the app's `service_id`; the redirect URI is the one registered in Partner Center.
    pub tiktok_shop: String,
    /// `TIKTOK_AUTHORIZE_URL` (default `https://www.tiktok.com/v2/auth/authorize/`).
    pub tiktok: String,
    /// `META_AUTHORIZE_URL` (default `https://www.facebook.com/v21.0/dialog/oauth`).
    pub meta: String,
    /// `INSTAGRAM_AUTHORIZE_URL` (default `https://www.instagram.com/oauth/authorize`).
    pub instagram: String,
    /// `TIKTOK_SCOPES` (comma-separated; default `user.info.basic,video.list`).
    pub tiktok_scopes: String,
    /// `META_SCOPES` (default: catalog management and the Instagram content permissions).
    pub meta_scopes: String,
    /// `INSTAGRAM_SCOPES` (default `instagram_business_basic,instagram_business_manage_comments`).
    pub instagram_scopes: String,
    /// `SHOPIFY_SCOPES` (default `read_products,read_inventory,read_orders,write_discounts`:
    /// the catalog with unit costs, orders, creators' discount codes).
    pub shopify_scopes: String,
}

/// A platform answered the start of an authorization with nothing to build a URL from.
#[derive(Debug, thiserror::Error)]
#[error("{platform} is not configured: {missing} is empty in the platform secrets")]
pub struct NotConfigured {
    pub platform: OAuthPlatform,
    pub missing: &'static str,
}

impl PlatformConfig {
    /// The consent-screen URL an admin's browser opens to connect an account of `platform`.
    /// `code_challenge` is the PKCE S256 challenge (sent where the platform takes one: TikTok).
    pub fn authorize_url(
        &self,
        platform: OAuthPlatform,
        state: &str,
        redirect_uri: &str,
        code_challenge: Option<&str>,
    ) -> Result<String, NotConfigured> {
        let a = &self.authorize;
        let apps = &self.apps;
        let need = |value: &str, missing: &'static str| {
            if value.is_empty() {
                Err(NotConfigured { platform, missing })
            } else {
                Ok(())
            }
        };
        let (base, params): (&str, Vec<(&str, &str)>) = match platform {
            OAuthPlatform::TiktokShop => {
                need(&apps.tiktok_shop_service_id, "tiktok_shop_service_id")?;
                (
                    &a.tiktok_shop,
                    vec![
                        ("service_id", apps.tiktok_shop_service_id.as_str()),
                        ("state", state),
                    ],
                )
            }
            OAuthPlatform::Tiktok => {
                need(&apps.tiktok_client_key, "tiktok_client_key")?;
                let mut p = vec![
                    ("client_key", apps.tiktok_client_key.as_str()),
                    ("response_type", "code"),
                    ("scope", a.tiktok_scopes.as_str()),
                    ("redirect_uri", redirect_uri),
                    ("state", state),
                ];
                if let Some(c) = code_challenge {
                    p.extend([("code_challenge", c), ("code_challenge_method", "S256")]);
                }
                (&a.tiktok, p)
            }
            // The store's own install screen; offline access (no `grant_options[]`), and the
            // code is exchanged with `expiring=1`.
            OAuthPlatform::Shopify => {
                need(&apps.shopify_client_id, "shopify_client_id")?;
                need(&self.shopify_admin_url, "SHOPIFY_ADMIN_URL")?;
                return Ok(format!(
                    "{}/admin/oauth/authorize?{}",
                    self.shopify_admin_url,
                    form_query(&[
                        ("client_id", apps.shopify_client_id.as_str()),
                        ("scope", a.shopify_scopes.as_str()),
                        ("redirect_uri", redirect_uri),
                        ("state", state),
                    ])
                ));
            }
            OAuthPlatform::Meta | OAuthPlatform::Instagram => {
                need(&apps.meta_app_id, "meta_app_id")?;
                let (base, scopes) = if platform == OAuthPlatform::Meta {
                    (&a.meta, &a.meta_scopes)
                } else {
                    (&a.instagram, &a.instagram_scopes)
                };
                (
                    base,
                    vec![
                        ("client_id", apps.meta_app_id.as_str()),
                        ("redirect_uri", redirect_uri),
                        ("response_type", "code"),
                        ("scope", scopes.as_str()),
                        ("state", state),
                    ],
                )
            }
        };
        let query = form_query(&params);
        let sep = if base.contains('?') { '&' } else { '?' };
        Ok(format!("{base}{sep}{query}"))
    }

    /// Whether the platform's consent screen takes a PKCE challenge.
    pub fn uses_pkce(platform: OAuthPlatform) -> bool {
        matches!(platform, OAuthPlatform::Tiktok)
    }
}

/// `a=1&b=2`, URL-encoded.
fn form_query(params: &[(&str, &str)]) -> String {
    reqwest::Url::parse_with_params("http://q", params)
        .ok()
        .and_then(|u| u.query().map(str::to_string))
        .unwrap_or_default()
}

impl PlatformConfig {
    /// URLs from settings; app credentials from the secrets document (`app` holds them).
    pub fn from_vars<F: Fn(&str) -> Option<String>>(
        v: &Vars<F>,
        app: AppCredentials,
    ) -> Result<Self, ConfigError> {
        // A page (consent screen) is kept exactly as configured; an API base loses its final `/`.
        let page = |name: &'static str, default: &str| -> Result<String, ConfigError> {
            let u = v.optional(name).unwrap_or_else(|| default.to_string());
            let loopback = u
                .strip_prefix("http://")
                .map(|rest| rest.split(['/', ':']).next().unwrap_or_default())
                .is_some_and(|host| host == "127.0.0.1" || host == "localhost");
            if !(u.starts_with("https://") || loopback) {
                return Err(ConfigError::Invalid {
                    name,
                    reason: "must be https (or loopback http for the simulator)".into(),
                });
            }
            Ok(u)
        };
        let url = |name: &'static str, default: &str| -> Result<String, ConfigError> {
            Ok(page(name, default)?.trim_end_matches('/').to_string())
        };
        Ok(Self {
            tiktok_shop_auth_url: url("TIKTOK_SHOP_AUTH_URL", "https://auth.tiktok-shops.com")?,
            tiktok_shop_api_url: url(
                "TIKTOK_SHOP_API_URL",
                "https://open-api.tiktokglobalshop.com",
            )?,
            tiktok_open_url: url("TIKTOK_OPEN_URL", "https://open.tiktokapis.com")?,
            meta_graph_url: url("META_GRAPH_URL", "https://graph.facebook.com")?,
            instagram_graph_url: url("INSTAGRAM_GRAPH_URL", "https://graph.instagram.com")?,
            instagram_api_url: url("INSTAGRAM_API_URL", "https://api.instagram.com")?,
            shopify_admin_url: match v.optional("SHOPIFY_ADMIN_URL").filter(|u| !u.is_empty()) {
                Some(_) => url("SHOPIFY_ADMIN_URL", "")?,
                None => String::new(),
            },
            shopify_shop: shopify_shop(v)?,
            authorize: AuthorizeUrls {
                tiktok_shop: page(
                    "TIKTOK_SHOP_AUTHORIZE_URL",
                    "https://services.tiktokshop.com/open/authorize",
                )?,
                tiktok: page(
                    "TIKTOK_AUTHORIZE_URL",
                    "https://www.tiktok.com/v2/auth/authorize/",
                )?,
                meta: page(
                    "META_AUTHORIZE_URL",
                    "https://www.facebook.com/v21.0/dialog/oauth",
                )?,
                instagram: page(
                    "INSTAGRAM_AUTHORIZE_URL",
                    "https://www.instagram.com/oauth/authorize",
                )?,
                tiktok_scopes: v
                    .optional("TIKTOK_SCOPES")
                    .unwrap_or_else(|| "user.info.basic,video.list".into()),
                meta_scopes: v.optional("META_SCOPES").unwrap_or_else(|| {
                    "catalog_management,business_management,instagram_basic,\
                     instagram_manage_comments,pages_show_list,pages_read_engagement"
                        .into()
                }),
                instagram_scopes: v.optional("INSTAGRAM_SCOPES").unwrap_or_else(|| {
                    "instagram_business_basic,instagram_business_manage_comments".into()
                }),
                shopify_scopes: v.optional("SHOPIFY_SCOPES").unwrap_or_else(|| {
                    "read_products,read_inventory,read_orders,write_discounts".into()
                }),
            },
            apps: app,
        })
    }
}

/// The store's permanent domain: `SHOPIFY_SHOP_DOMAIN`, else `SHOPIFY_ADMIN_URL`'s host when it
/// is one; empty when neither names a `*.myshopify.com` store.
fn shopify_shop<F: Fn(&str) -> Option<String>>(v: &Vars<F>) -> Result<String, ConfigError> {
    use reelcart_domain::connection::shopify::valid_shop_domain;
    if let Some(shop) = v.optional("SHOPIFY_SHOP_DOMAIN").filter(|s| !s.is_empty()) {
        return if valid_shop_domain(&shop) {
            Ok(shop)
        } else {
            Err(ConfigError::Invalid {
                name: "SHOPIFY_SHOP_DOMAIN",
                reason: "not a *.myshopify.com domain".into(),
            })
        };
    }
    let host = v
        .optional("SHOPIFY_ADMIN_URL")
        .and_then(|u| reqwest::Url::parse(&u).ok())
        .and_then(|u| u.host_str().map(str::to_string))
        .unwrap_or_default();
    Ok(if valid_shop_domain(&host) {
        host
    } else {
        String::new()
    })
}

/// The app's OAuth client credentials with each platform.
#[derive(Debug, Clone)]
pub struct AppCredentials {
    pub tiktok_shop_app_key: String,
    /// The app's service id in TikTok Shop Partner Center (its authorization link takes it).
    pub tiktok_shop_service_id: String,
    pub tiktok_shop_app_secret: SecretString,
    pub tiktok_client_key: String,
    pub tiktok_client_secret: SecretString,
    pub meta_app_id: String,
    pub meta_app_secret: SecretString,
    /// The store's Shopify Admin API token (a legacy custom app's, non-expiring), used when no
    /// Shopify connection exists; empty: none.
    pub shopify_admin_token: SecretString,
    /// The Shopify app's client id and secrets (Dev Dashboard): the install and client-credentials
    /// grants, and the install callback's HMAC (the current secret first).
    pub shopify_client_id: String,
    pub shopify_client_secrets: Vec<SecretString>,
}

impl AppCredentials {
    /// The Shopify app's current client secret (empty when none).
    pub fn shopify_client_secret(&self) -> &str {
        use secrecy::ExposeSecret;
        self.shopify_client_secrets
            .first()
            .map_or("", |s| s.expose_secret())
    }
}

#[derive(Deserialize)]
struct SecretsDoc {
    #[serde(default)]
    tiktok_shop_app_key: String,
    #[serde(default)]
    tiktok_shop_service_id: String,
    #[serde(default)]
    tiktok_shop_app_secrets: Vec<SecretString>,
    #[serde(default)]
    tiktok_client_key: String,
    #[serde(default)]
    tiktok_client_secrets: Vec<SecretString>,
    #[serde(default)]
    meta_app_id: String,
    #[serde(default)]
    meta_app_secrets: Vec<SecretString>,
    #[serde(default)]
    shopify_admin_token: Option<SecretString>,
    #[serde(default)]
    shopify_client_id: String,
    #[serde(default)]
    shopify_client_secrets: Vec<SecretString>,
}

impl AppCredentials {
    /// From the platform secrets document (the first secret of each list is the current one).
    /// A platform left out stays empty, and its refreshes fail as `not_configured`.
    pub fn from_json(json: &str) -> Result<Self, ConfigError> {
        let doc: SecretsDoc = serde_json::from_str(json).map_err(|e| ConfigError::Invalid {
            name: "PLATFORM_SECRETS_ID",
            reason: reelcart_domain::webhook::redacted_json_error(&e),
        })?;
        let first = |v: Vec<SecretString>| {
            v.into_iter()
                .next()
                .unwrap_or_else(|| SecretString::from(String::new()))
        };
        Ok(Self {
            tiktok_shop_app_key: doc.tiktok_shop_app_key,
            tiktok_shop_service_id: doc.tiktok_shop_service_id,
            tiktok_shop_app_secret: first(doc.tiktok_shop_app_secrets),
            tiktok_client_key: doc.tiktok_client_key,
            tiktok_client_secret: first(doc.tiktok_client_secrets),
            meta_app_id: doc.meta_app_id,
            meta_app_secret: first(doc.meta_app_secrets),
            shopify_admin_token: doc
                .shopify_admin_token
                .unwrap_or_else(|| SecretString::from(String::new())),
            shopify_client_id: doc.shopify_client_id,
            shopify_client_secrets: doc.shopify_client_secrets,
        })
    }
}
