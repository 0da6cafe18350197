//! `GET`/`POST /v1/creators/me/links`: trackable links to catalog products.

use super::{invalid, word};
use crate::CreatorApi;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Response};
use reelcart_domain::creator::{Link, new_link_id, sign_code};
use reelcart_lambda::http::{ApiError, json};
use reelcart_ports::{CatalogStore, CreatorStore};
use serde::Deserialize;
use serde_json::{Value, json as j};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct LinkBody {
    sku: String,
    campaign: Option<String>,
}

impl<S: CreatorStore, C: CatalogStore, P, A, K, M, D> CreatorApi<S, C, P, A, K, M, D> {
    /// The link, its signed code (with the current key) and its URL.
    fn link_view(&self, l: &Link) -> Result<Value, ApiError> {
        let keys = self.config.link_keys.keys();
        let key = keys
            .first()
            .ok_or_else(|| ApiError::internal("no link-signing key"))?;
        let code = sign_code(key, &l.id).ok_or_else(|| ApiError::internal("signing failed"))?;
        Ok(j!({
            "link": l,
            "code": code,
            "url": format!("{}/r/{code}", self.config.link_base.trim_end_matches('/')),
        }))
    }

    pub(crate) async fn create_link(
        &self,
        id: &str,
        body: LinkBody,
    ) -> Result<Response<Body>, ApiError> {
        self.me(id).await?;
        if body.campaign.as_deref().is_some_and(|c| !word(c, 64)) {
            return Err(invalid("campaign is 1-64 of [A-Za-z0-9_.-]"));
        }
        let product = self.active_product(&body.sku).await?;
        let link = Link {
            id: new_link_id(),
            creator_id: id.to_string(),
            sku: body.sku,
            target: product.link,
            campaign: body.campaign,
            created_at: self.clock.now_unix(),
        };
        self.creators.put_link(&link).await?;
        self.config.link_keys.refresh(self.clock.now_unix()).await;
        Ok(json(StatusCode::CREATED, &self.link_view(&link)?))
    }

    pub(crate) async fn list_links(&self, id: &str) -> Result<Response<Body>, ApiError> {
        let links = self.creators.links(id).await?;
        self.config.link_keys.refresh(self.clock.now_unix()).await;
        let views = links
            .iter()
            .map(|l| self.link_view(l))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(json(StatusCode::OK, &j!({ "links": views })))
    }
}
