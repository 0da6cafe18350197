//! The deployed function: the shop's token from the connections vault (refreshed under its
//! lease), its cipher from the authorized shops, and the signed calls.

use crate::{Handler, ShopOrderApi};
use reelcart_domain::Clock;
use reelcart_domain::connection::{Connection, OAuthPlatform};
use reelcart_platforms::aws::{AwsRefresher, InitError};
use reelcart_platforms::catalog::RefresherTokens;
use reelcart_platforms::shop_orders::{OrdersError, TiktokShopOrders};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

pub struct AwsShopOrders {
    refresher: Arc<AwsRefresher>,
    /// Shop id → cipher (one lookup per shop per process).
    ciphers: Mutex<HashMap<String, String>>,
}

impl std::fmt::Debug for AwsShopOrders {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AwsShopOrders").finish_non_exhaustive()
    }
}

impl AwsShopOrders {
    async fn cipher(&self, shop_id: &str, connection_id: &str) -> Result<String, OrdersError> {
        if let Some(c) = self
            .ciphers
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(shop_id)
        {
            return Ok(c.clone());
        }
        let retry = |e: String| OrdersError::Retry(e);
        let token = self
            .refresher
            .fresh_access_token(connection_id)
            .await
            .map_err(|e| retry(e.to_string()))?;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        let shops = self
            .refresher
            .client
            .tiktok_shop_authorized_shops(&token, now)
            .await
            .map_err(|e| {
                retry(format!(
                    "authorized shops: {} {} {}",
                    e.http_status, e.code, e.message
                ))
            })?;
        let shop = shops
            .iter()
            .find(|s| s.id == shop_id)
            .ok_or_else(|| OrdersError::Refused {
                code: 0,
                message: format!("the connection does not authorize shop {shop_id}"),
            })?;
        self.ciphers
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(shop_id.to_string(), shop.cipher.clone());
        Ok(shop.cipher.clone())
    }
}

impl ShopOrderApi for AwsShopOrders {
    async fn fetch(
        &self,
        shop_id: &str,
        order_id: &str,
    ) -> Result<Option<(Value, Vec<Value>)>, OrdersError> {
        let connection_id = Connection::id_for(OAuthPlatform::TiktokShop, shop_id);
        let cipher = self.cipher(shop_id, &connection_id).await?;
        let tokens = RefresherTokens::new(self.refresher.clone(), connection_id);
        let api = TiktokShopOrders::new(self.refresher.client.config(), cipher, tokens)
            .map_err(|e| OrdersError::Retry(e.without_url().to_string()))?;
        let Some(order) = api.order(order_id).await? else {
            return Ok(None);
        };
        let created = order["create_time"].as_i64().unwrap_or(0);
        let skus = match api.affiliate_skus(order_id, created).await {
            Ok(skus) => skus,
            Err(OrdersError::Refused { code, message }) => {
                tracing::warn!(code, message = %message, "the Affiliate API refused (is it approved for the app?): no affiliate SKUs");
                Vec::new()
            }
            Err(e) => return Err(e),
        };
        Ok(Some((order, skus)))
    }
}

/// Build the handler (the connections settings of `aws_refresher`, `ORDERS_QUEUE_URL`,
/// `CREATORS_TABLE`, `CONTENT_TABLE`): the
/// one wiring `main` and the local stack share.
pub async fn from_aws<F: Fn(&str) -> Option<String>>(
    v: &reelcart_lambda::config::Vars<F>,
    sdk: &reelcart_aws::SdkConfig,
    clock: Arc<dyn Clock>,
) -> Result<
    Handler<
        AwsShopOrders,
        reelcart_aws::SqsQueue,
        reelcart_aws::DynamoCreators,
        reelcart_aws::DynamoContent,
    >,
    InitError,
> {
    let refresher =
        reelcart_platforms::aws::aws_refresher(v, sdk, clock.clone(), "shop-orders").await?;
    Ok(Handler {
        api: AwsShopOrders {
            refresher: Arc::new(refresher),
            ciphers: Mutex::new(HashMap::new()),
        },
        orders: reelcart_aws::SqsQueue::new(
            aws_sdk_sqs::Client::new(sdk),
            v.required("ORDERS_QUEUE_URL")?,
        ),
        creators: reelcart_aws::DynamoCreators::new(
            aws_sdk_dynamodb::Client::new(sdk),
            v.required("CREATORS_TABLE")?,
        ),
        content: reelcart_aws::DynamoContent::new(
            aws_sdk_dynamodb::Client::new(sdk),
            v.required("CONTENT_TABLE")?,
        ),
        clock,
    })
}
