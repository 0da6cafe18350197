//! `GET`/`POST /v1/creators/me/codes`: discount codes, made in the store and matched on orders.

use super::product_requests::StatusQuery;
use super::{client, invalid, word};
use crate::{CreatorApi, DiscountError, NewCode, StoreDiscounts};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Response};
use reelcart_domain::attribution::{CodeStatus, CreatorCode};
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

/// The brand's decision on a requested code.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CodeDecision {
    decision: String,
    note: Option<String>,
}

/// A store failure as the API answers it.
fn store_error(creator: &str, e: DiscountError) -> ApiError {
    match e {
        DiscountError::Taken => client(
            StatusCode::CONFLICT,
            "code_taken",
            "the store has this code already; decline it and ask for another",
        ),
        DiscountError::Unavailable => client(
            StatusCode::SERVICE_UNAVAILABLE,
            "codes_unavailable",
            "the store's Admin API is not configured: discount codes cannot be created",
        ),
        DiscountError::Failed(e) => {
            tracing::warn!(creator = %creator, error = %e, "the store did not create the code");
            client(
                StatusCode::BAD_GATEWAY,
                "store_failed",
                "the store did not create the code; try again",
            )
        }
    }
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
    /// A creator asks for a code. With approval (the default) it is claimed and waits for the
    /// brand (`requested`); otherwise it is made in the store at once (`active`).
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
        if mine
            .iter()
            .filter(|c| c.status != CodeStatus::Declined)
            .count()
            >= MAX_CODES
        {
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
                created_at: now,
                status: CodeStatus::Requested,
                ..Default::default()
            };
            if !self.analytics.insert_creator_code(&record).await? {
                continue;
            }
            if self.config.codes.approval {
                tracing::info!(creator = %id, code = %record.code, "discount code requested");
                return Ok(json(StatusCode::CREATED, &j!({ "code": record })));
            }
            match self.make_in_store(&mut record, now).await {
                Ok(()) => return Ok(json(StatusCode::CREATED, &j!({ "code": record }))),
                Err(e) => {
                    self.analytics.delete_creator_code(&record.code).await?;
                    if matches!(e, DiscountError::Taken) {
                        continue;
                    }
                    return Err(store_error(id, e));
                }
            }
        }
        Err(client(
            StatusCode::CONFLICT,
            "code_taken",
            "every code tried was taken; try again",
        ))
    }

    /// Make `record` in the store, with the brand's end date and usage limit, once per customer;
    /// it is active from then on.
    async fn make_in_store(&self, record: &mut CreatorCode, now: i64) -> Result<(), DiscountError> {
        let rules = self.config.codes;
        let ends_at = (rules.days > 0).then(|| now + i64::from(rules.days) * 86_400);
        let usage_limit = (rules.usage_limit > 0).then_some(rules.usage_limit);
        let title = format!("Creator {} ({})", record.creator_id, record.code);
        let store_id = self
            .discounts
            .create_code(&NewCode {
                code: &record.code,
                percent: record.percent,
                title: &title,
                now,
                ends_at,
                usage_limit,
            })
            .await?;
        record.store_id = Some(store_id);
        record.status = CodeStatus::Active;
        record.ends_at = ends_at;
        record.usage_limit = usage_limit;
        self.analytics
            .put_creator_code(record)
            .await
            .map_err(|e| DiscountError::Failed(e.to_string()))?;
        tracing::info!(creator = %record.creator_id, code = %record.code, "discount code made in the store");
        Ok(())
    }

    /// The brand's list of codes (`?status=requested` by default; `all`).
    pub(crate) async fn all_codes(&self, q: StatusQuery) -> Result<Response<Body>, ApiError> {
        let want = q.status.as_deref().unwrap_or("requested");
        if !matches!(want, "requested" | "active" | "declined" | "all") {
            return Err(invalid("status is requested, active, declined or all"));
        }
        let mut codes: Vec<CreatorCode> = self
            .analytics
            .creator_codes()
            .await?
            .into_iter()
            .filter(|c| want == "all" || c.status.as_str() == want)
            .collect();
        codes.sort_by(|a, b| (a.created_at, &a.code).cmp(&(b.created_at, &b.code)));
        Ok(json(StatusCode::OK, &j!({ "codes": codes })))
    }

    /// The brand approves (the code is made in the store) or declines a requested code.
    pub(crate) async fn decide_code(
        &self,
        code: &str,
        actor: &str,
        body: CodeDecision,
    ) -> Result<Response<Body>, ApiError> {
        let mut record = self
            .analytics
            .creator_codes()
            .await?
            .into_iter()
            .find(|c| c.code.eq_ignore_ascii_case(code))
            .ok_or_else(|| client(StatusCode::NOT_FOUND, "not_found", "no such code"))?;
        if record.status != CodeStatus::Requested {
            return Err(client(
                StatusCode::CONFLICT,
                "already_decided",
                format!("the code is {} already", record.status.as_str()),
            ));
        }
        record.note = body
            .note
            .filter(|n| !n.trim().is_empty())
            .map(|n| n.chars().take(500).collect());
        match body.decision.as_str() {
            "approve" => {
                let now = self.clock.now_unix();
                self.make_in_store(&mut record, now)
                    .await
                    .map_err(|e| store_error(&record.creator_id, e))?;
            }
            "decline" => {
                record.status = CodeStatus::Declined;
                self.analytics.put_creator_code(&record).await?;
            }
            _ => return Err(invalid("decision is approve or decline")),
        }
        tracing::info!(code = %record.code, to = record.status.as_str(), actor = %actor, "discount code decided");
        Ok(json(StatusCode::OK, &j!({ "code": record })))
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
