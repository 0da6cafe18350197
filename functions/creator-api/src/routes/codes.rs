//! `GET`/`POST /v1/creators/me/codes`: discount codes, made in the store and matched on orders.

use super::{client, invalid, word};
use crate::{CreatorApi, DiscountError, StoreDiscounts};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Response};
use reelcart_domain::attribution::CreatorCode;
use reelcart_domain::creator::new_discount_code;
use reelcart_lambda::http::{ApiError, json};
use reelcart_lambda::router::from_json;
use reelcart_ports::{AnalyticsStore, CreatorStore};
use serde::Deserialize;
use serde_json::json as j;

/// Discount codes per creator.
const MAX_CODES: usize = 20;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CodeBody {
    campaign: Option<String>,
}

impl CodeBody {
    /// The request's body, which is optional: none is no campaign.
    pub(crate) fn of(body: &[u8]) -> Result<Self, ApiError> {
        if body.is_empty() {
            Ok(Self { campaign: None })
        } else {
            from_json(body)
        }
    }
}

impl<S: CreatorStore, C, P, A: AnalyticsStore, K, M, D: StoreDiscounts>
    CreatorApi<S, C, P, A, K, M, D>
{
    pub(crate) async fn create_code(
        &self,
        id: &str,
        body: CodeBody,
    ) -> Result<Response<Body>, ApiError> {
        let c = self.me(id).await?;
        if body.campaign.as_deref().is_some_and(|c| !word(c, 64)) {
            return Err(invalid("campaign is 1-64 of [A-Za-z0-9_.-]"));
        }
        let mine = self.codes_of(id).await?;
        if mine.len() >= MAX_CODES {
            return Err(client(
                StatusCode::CONFLICT,
                "too_many_codes",
                format!("at most {MAX_CODES} codes per creator"),
            ));
        }
        let now = self.clock.now_unix();
        let percent = self.config.discount_percent;
        // The code is claimed where orders are matched before the store makes it, so a code that
        // gives a discount always credits its creator; a failure in the store releases it.
        // A random tail makes a clash rare; a clash here or in the store tries another.
        for _ in 0..3 {
            let mut record = CreatorCode {
                code: new_discount_code(&c.display_name, percent),
                creator_id: id.to_string(),
                campaign: body.campaign.clone(),
                percent,
                store_id: None,
                created_at: now,
                // A creator's code credits every line of the orders it is used on.
                skus: Vec::new(),
            };
            if !self.analytics.insert_creator_code(&record).await? {
                continue;
            }
            let title = format!("Creator {} ({})", c.id, record.code);
            let created = self
                .discounts
                .create_code(&record.code, percent, &title, now)
                .await;
            let store_id = match created {
                Ok(store_id) => store_id,
                Err(e) => {
                    self.analytics.delete_creator_code(&record.code).await?;
                    match e {
                        DiscountError::Taken => continue,
                        DiscountError::Unavailable => {
                            return Err(client(
                                StatusCode::SERVICE_UNAVAILABLE,
                                "codes_unavailable",
                                "the store's Admin API is not configured: discount codes cannot be created",
                            ));
                        }
                        DiscountError::Failed(e) => {
                            tracing::warn!(creator = %id, error = %e, "the store did not create the code");
                            return Err(client(
                                StatusCode::BAD_GATEWAY,
                                "store_failed",
                                "the store did not create the code; try again",
                            ));
                        }
                    }
                }
            };
            record.store_id = Some(store_id);
            self.analytics.put_creator_code(&record).await?;
            tracing::info!(creator = %id, code = %record.code, "discount code created");
            return Ok(json(StatusCode::CREATED, &j!({ "code": record })));
        }
        Err(client(
            StatusCode::CONFLICT,
            "code_taken",
            "every code tried was taken; try again",
        ))
    }

    /// The creator's codes, oldest first.
    async fn codes_of(&self, id: &str) -> Result<Vec<CreatorCode>, ApiError> {
        let mut v: Vec<CreatorCode> = self
            .analytics
            .creator_codes()
            .await?
            .into_iter()
            .filter(|c| c.creator_id == id)
            .collect();
        v.sort_by(|a, b| (a.created_at, &a.code).cmp(&(b.created_at, &b.code)));
        Ok(v)
    }

    pub(crate) async fn list_codes(&self, id: &str) -> Result<Response<Body>, ApiError> {
        Ok(json(
            StatusCode::OK,
            &j!({ "codes": self.codes_of(id).await? }),
        ))
    }
}
