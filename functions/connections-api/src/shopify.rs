//! Shopify's part of connecting (spec §8): the install callback's HMAC and shop are checked before
//! its state or code is looked at, and the shop must be the brand's own store (pinned by
//! `SHOPIFY_ADMIN_URL` / `SHOPIFY_SHOP_DOMAIN`); a Dev Dashboard app connects without a consent
//! screen through the client-credentials grant
//! (`POST /v1/connections/shopify/authorize?grant=client_credentials`).

use super::*;
use reelcart_domain::connection::shopify::{CallbackError, verify_callback};

/// The grant an authorize request asks for instead of a consent screen, if any.
pub(crate) fn grant_asked(
    parts: &Parts,
    platform: OAuthPlatform,
) -> Result<Option<Grant>, ApiError> {
    let asked = form_urlencoded::parse(parts.uri.query().unwrap_or_default().as_bytes())
        .find(|(k, _)| k == "grant")
        .map(|(_, v)| v.into_owned());
    match (asked.as_deref(), platform) {
        (None | Some("authorization_code"), _) => Ok(None),
        (Some("client_credentials"), OAuthPlatform::Shopify) => Ok(Some(Grant::ClientCredentials)),
        // A grant there is (`client_credentials` for another platform) is refused on its
        // meaning; any other value breaks the schema.
        (Some(other), _) => Err(ApiError::client(
            if other == "client_credentials" {
                StatusCode::UNPROCESSABLE_ENTITY
            } else {
                StatusCode::BAD_REQUEST
            },
            "invalid_request",
            format!(
                "grant {other:?} is not one {platform} connects with (authorization_code; client_credentials for shopify)"
            ),
        )),
    }
}

/// A grant that needs no consent screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Grant {
    ClientCredentials,
}

impl<S, K, E, P> Api<S, K, E, P>
where
    S: ConnectionStore + 'static,
    K: KeyService + 'static,
    E: EventBus + 'static,
    P: PendingAuthorizations + 'static,
{
    /// The install callback's `hmac` (every secret in rotation), `timestamp` (±90 s) and `shop`:
    /// a valid `*.myshopify.com` domain, and the brand's store.
    pub(crate) fn verify_shopify_callback(&self, req: &Parts) -> Result<(), ApiError> {
        let params: Vec<(String, String)> =
            form_urlencoded::parse(req.uri.query().unwrap_or_default().as_bytes())
                .into_owned()
                .collect();
        let config = self.refresher.client.config();
        let secrets: Vec<&[u8]> = config
            .apps
            .shopify_client_secrets
            .iter()
            .map(|s| s.expose_secret().as_bytes())
            .collect();
        let now = self.refresher.clock.now_unix();
        let shop = verify_callback(&params, &secrets, now).map_err(|e| {
            tracing::warn!(error = %e, "Shopify callback refused");
            let code = match e {
                CallbackError::Stale => "callback_expired",
                CallbackError::BadShop => "invalid_shop",
                CallbackError::MissingHmac | CallbackError::BadHmac => "invalid_signature",
            };
            ApiError::client(StatusCode::BAD_REQUEST, code, e.to_string())
        })?;
        if config.shopify_shop.is_empty() || shop != config.shopify_shop {
            tracing::warn!(%shop, "Shopify callback for another store");
            return Err(ApiError::client(
                StatusCode::BAD_REQUEST,
                "wrong_shop",
                "this callback is for a store other than the one this stack serves",
            ));
        }
        Ok(())
    }

    /// Connect with a grant that needs no consent screen (Shopify's client credentials): `201`
    /// with the connection.
    pub(crate) async fn connect_without_consent(
        &self,
        req: &Parts,
        admin: &Principal,
        grant: Grant,
    ) -> Result<Response<Body>, ApiError> {
        let now = self.refresher.clock.now_unix();
        let platform = OAuthPlatform::Shopify;
        let authorized = match grant {
            Grant::ClientCredentials => self.refresher.client.shopify_client_credentials(now).await,
        }
        .map_err(|e| {
            tracing::warn!(class = ?e.class, code = %e.code, "client-credentials grant failed");
            let status = if e.code == "not_configured" {
                StatusCode::CONFLICT
            } else {
                StatusCode::BAD_GATEWAY
            };
            let code = if e.code == "not_configured" {
                "platform_not_configured"
            } else {
                "exchange_failed"
            };
            ApiError::client(
                status,
                code,
                format!(
                    "Shopify refused the client-credentials grant ({}): {}",
                    e.code, e.message
                ),
            )
        })?;
        let redirect_uri = self.redirect_uri(req, platform)?;
        let c = self
            .store(platform, authorized, &admin.subject, &redirect_uri, now)
            .await?;
        Ok(json(
            StatusCode::CREATED,
            &serde_json::json!({ "connection": ConnectionView::from(c) }),
        ))
    }
}

impl<S, K, E, P> Api<S, K, E, P> {
    /// Subscribe this API's `/webhooks/shopify` to the store's events (orders, refunds, products,
    /// `app/uninstalled`, bulk operations finished) with the new token: what is missing is
    /// created, what exists is kept. A failure is logged and the connection stands (the app's
    /// `shopify.app.toml` subscriptions are the other way to the same deliveries).
    pub(crate) async fn subscribe_shopify(&self, token: &SecretString, redirect_uri: &str) {
        let Some(base) = redirect_uri.strip_suffix("/v1/connections/shopify/callback") else {
            tracing::warn!(
                redirect_uri,
                "no API base to subscribe Shopify's webhooks to"
            );
            return;
        };
        let uri = format!("{base}/webhooks/shopify");
        let config = self.refresher.client.config();
        let admin = match reelcart_platforms::shopify::ShopifyAdmin::new(
            &config.shopify_admin_url,
            token.clone(),
        ) {
            Ok(a) => a,
            Err(e) => {
                tracing::warn!(error = %e.without_url(), "no Shopify client");
                return;
            }
        };
        match admin.ensure_webhooks(&uri).await {
            Ok(created) => tracing::info!(created, %uri, "Shopify webhook subscriptions in place"),
            Err(e) => tracing::warn!(error = %e, %uri, "Shopify webhook subscriptions not created"),
        }
    }
}

impl<S, K, E, P> Api<S, K, E, P>
where
    S: ConnectionStore + 'static,
    K: KeyService + 'static,
    E: EventBus + 'static,
    P: PendingAuthorizations + 'static,
{
    /// `DELETE /v1/connections/{platform}/{account_id}`: the admin disconnects an account. For
    /// Shopify, this API's webhook subscriptions are removed from the store first (with the
    /// connection's token, while it still works); then the connection is revoked under its lease
    /// (its sealed tokens stay, unusable, for the audit) and announced.
    pub(crate) async fn disconnect(
        &self,
        req: &Parts,
        admin: &Principal,
        platform: OAuthPlatform,
        account: &str,
    ) -> Result<Response<Body>, ApiError> {
        let id = Connection::id_for(platform, account);
        let now = self.refresher.clock.now_unix();
        let owner = format!("disconnect-{}", random_token(12));
        let mut rec = match self
            .refresher
            .store
            .acquire_lease(&id, &owner, now, 30)
            .await?
        {
            Some(rec) => rec,
            None => {
                return Err(match self.refresher.store.get(&id).await? {
                    Some(_) => ApiError::client(
                        StatusCode::CONFLICT,
                        "busy",
                        "the connection is being refreshed; try again in a moment",
                    ),
                    None => {
                        ApiError::client(StatusCode::NOT_FOUND, "not_found", "no such connection")
                    }
                });
            }
        };
        let mut removed = None;
        if platform == OAuthPlatform::Shopify && rec.connection.status != ConnectionStatus::Revoked
        {
            let base = self.redirect_uri(req, platform)?;
            let uri = base
                .strip_suffix("/v1/connections/shopify/callback")
                .map(|b| format!("{b}/webhooks/shopify"))
                .unwrap_or_default();
            let token = self
                .refresher
                .vault
                .open(&id, &rec.tokens)
                .await
                .map(|t| t.access_token);
            let config = self.refresher.client.config();
            match token.map(|t| {
                reelcart_platforms::shopify::ShopifyAdmin::new(&config.shopify_admin_url, t)
            }) {
                Ok(Ok(admin)) => match admin.remove_webhooks(&uri).await {
                    Ok(n) => removed = Some(n),
                    Err(e) => {
                        tracing::warn!(connection = %id, error = %e, "Shopify webhook subscriptions not removed")
                    }
                },
                Ok(Err(e)) => tracing::warn!(error = %e.without_url(), "no Shopify client"),
                Err(e) => {
                    tracing::warn!(connection = %id, error = %e, "the connection's token could not be opened")
                }
            }
        }
        rec.connection
            .revoked(now, &format!("disconnected by {}", admin.subject));
        if !self.refresher.store.finish(&rec, &owner).await? {
            return Err(ApiError::client(
                StatusCode::CONFLICT,
                "busy",
                "the connection changed while it was disconnected; try again",
            ));
        }
        tracing::info!(connection = %id, admin = %admin.subject, webhooks_removed = ?removed, "account disconnected");
        self.refresher
            .events
            .publish(
                DISCONNECTED_EVENT,
                &serde_json::json!({"connection_id": id, "platform": platform, "account_id": account,
                    "disconnected_by": admin.subject}),
            )
            .await?;
        Ok(json(
            StatusCode::OK,
            &serde_json::json!({ "connection": ConnectionView::from(rec.connection), "webhooks_removed": removed }),
        ))
    }
}
