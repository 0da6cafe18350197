//! `GET`/`PUT /v1/creators/me` (the profile), `POST /v1/creators/me/terms`, and the brand's
//! `GET /v1/creators`.

use super::{client, invalid, word};
use crate::CreatorApi;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Response};
use reelcart_domain::creator::{AcceptedTerms, Creator, PayoutDetails};
use reelcart_lambda::http::{ApiError, json};
use reelcart_ports::CreatorStore;
use rust_decimal::prelude::ToPrimitive;
use serde::Deserialize;
use serde_json::{Value, json as j};
use std::collections::BTreeMap;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ProfileBody {
    display_name: String,
    #[serde(default)]
    handles: BTreeMap<String, String>,
    #[serde(default)]
    payout: Option<BTreeMap<String, String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TermsBody {
    version: String,
}

impl<S: CreatorStore, C, P, A, K, M, D> CreatorApi<S, C, P, A, K, M, D> {
    /// The caller's profile; `404 not_onboarded` before the first `PUT`.
    pub(crate) async fn me(&self, id: &str) -> Result<Creator, ApiError> {
        self.creators.creator(id).await?.ok_or_else(|| {
            client(
                StatusCode::NOT_FOUND,
                "not_onboarded",
                "no profile yet: PUT /v1/creators/me first",
            )
        })
    }

    /// The profile as the creator sees it: payout fields named, never their values.
    fn view(&self, c: &Creator) -> Value {
        j!({
            "creator": {
                "id": c.id,
                "display_name": c.display_name,
                "handles": c.handles,
                "commission_rate": c.commission_rate.to_f64(),
                "payout_fields": c.payout.0.keys().collect::<Vec<_>>(),
                "created_at": c.created_at,
            },
            "terms": {
                "version": self.config.terms_version,
                "url": self.config.terms_url,
                "accepted": c.terms.as_ref().is_some_and(|t| t.version == self.config.terms_version),
                "accepted_version": c.terms.as_ref().map(|t| &t.version),
            }
        })
    }

    pub(crate) async fn profile(&self, id: &str) -> Result<Response<Body>, ApiError> {
        let c = self.me(id).await?;
        Ok(json(StatusCode::OK, &self.view(&c)))
    }

    pub(crate) async fn put_profile(
        &self,
        id: &str,
        body: ProfileBody,
    ) -> Result<Response<Body>, ApiError> {
        let name = body.display_name.trim();
        if name.is_empty() || name.chars().count() > 80 {
            return Err(invalid("display_name is 1-80 characters"));
        }
        if body.handles.len() > 8
            || body
                .handles
                .iter()
                .any(|(p, h)| !word(p, 32) || !word(h.trim_start_matches('@'), 64))
        {
            return Err(invalid(
                "handles: up to 8 of platform → handle ([A-Za-z0-9_.-])",
            ));
        }
        if let Some(p) = &body.payout
            && (p.len() > 10 || p.iter().any(|(k, v)| !word(k, 32) || v.len() > 200))
        {
            return Err(invalid(
                "payout: up to 10 fields, values up to 200 characters",
            ));
        }
        let now = self.clock.now_unix();
        let existing = self.creators.creator(id).await?;
        let created = existing.is_none();
        let mut c = existing.unwrap_or_else(|| Creator {
            id: id.to_string(),
            display_name: String::new(),
            handles: BTreeMap::new(),
            commission_rate: self.config.default_commission,
            commission_basis: Default::default(),
            campaign_commissions: BTreeMap::new(),
            terms: None,
            payout: PayoutDetails::default(),
            created_at: now,
            updated_at: now,
        });
        c.display_name = name.to_string();
        c.handles = body
            .handles
            .into_iter()
            .map(|(p, h)| (p.to_lowercase(), h.trim_start_matches('@').to_string()))
            .collect();
        if let Some(p) = body.payout {
            c.payout = PayoutDetails(p);
        }
        c.updated_at = now;
        self.creators.put_creator(&c).await?;
        tracing::info!(creator = %c.id, created, "creator profile saved");
        let status = if created {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        };
        Ok(json(status, &self.view(&c)))
    }

    pub(crate) async fn accept_terms(
        &self,
        id: &str,
        body: TermsBody,
    ) -> Result<Response<Body>, ApiError> {
        let mut c = self.me(id).await?;
        if body.version != self.config.terms_version {
            return Err(client(
                StatusCode::CONFLICT,
                "terms_changed",
                format!(
                    "the current terms are version {}",
                    self.config.terms_version
                ),
            ));
        }
        c.terms = Some(AcceptedTerms {
            version: body.version,
            accepted_at: self.clock.now_unix(),
        });
        self.creators.put_creator(&c).await?;
        tracing::info!(creator = %c.id, version = %self.config.terms_version, "terms accepted");
        Ok(json(StatusCode::OK, &self.view(&c)))
    }

    /// `GET /v1/creators`: every creator, as the brand sees them (no payout details).
    pub(crate) async fn creators(&self) -> Result<Response<Body>, ApiError> {
        let creators = self.creators.creators().await?;
        let list: Vec<Value> = creators
            .iter()
            .map(|c| {
                j!({
                    "id": c.id, "display_name": c.display_name, "handles": c.handles,
                    "commission_rate": c.commission_rate.to_f64(),
                    "terms_version": c.terms.as_ref().map(|t| &t.version),
                    "created_at": c.created_at,
                })
            })
            .collect();
        Ok(json(StatusCode::OK, &j!({ "creators": list })))
    }
}
