//! `moderation-api`: the moderation console's API (JWT; role `moderator` or `admin`).
//!
//! - `GET /v1/moderation/items?status=queued&limit=20&cursor=…` — the queue of one status, oldest
//!   change first, with a cursor to the next page. Filters `source`, `rights`
//!   (`valid|requested|none`) and `flagged` (`true|false`) apply within the page read, so a
//!   filtered page can be short while a cursor remains. Each item comes with a `summary`: rights
//!   (and the channels valid now), the transcoder's status and poster, the number of mappings.
//! - `GET /v1/moderation/items/{id}` — the item, its rights (each with whether it is valid per
//!   channel now), product mappings, audit history, the transcoder's record and the automated
//!   checks' verdict now (blocklists; duration, resolution and audio once transcoded).
//! - `POST /v1/moderation/items/{id}/transitions` `{"to": "approved", "reason": "…"}` — one step
//!   of the state machine; anything else is `409` with the reason (`illegal_transition`,
//!   `no_valid_rights`, `no_mapping`, `conflict` when someone else moved it first); a rejection
//!   without a reason is `422`. Each step is an audit entry (actor from the token).
//! - `GET /v1/moderation/items/{id}/audit`.
//! - `PUT /v1/moderation/items/{id}/mappings` `{"sku", "placement", "pinned"?, "confidence"?}` and
//!   `DELETE /v1/moderation/items/{id}/mappings/{placement}/{sku}`; `POST /v1/moderation/mappings`
//!   maps in bulk (JSON array, or CSV `item_id,sku,placement[,pinned]`): all or nothing, and a
//!   SKU the catalog does not know is refused (`422 unknown_sku`, every offending row listed).
//! - `GET /v1/moderation/blocklist`, `PUT /v1/moderation/blocklist` (admin).
//! - `POST /v1/moderation/items/{id}/rights` (admin) — record rights obtained elsewhere (a signed
//!   agreement, a creator's off-platform consent): the consent proof is written first as an
//!   immutable artifact in the consent bucket, then the rights record points at it.
//!   `POST /v1/moderation/items/{id}/rights/{rights_id}/revoke` (admin) ends them now; the rights
//!   enforcer takes the item down on its next run.
//! - `POST /v1/moderation/items/{id}/rights-requests` `{"license", "channels", "duration_days"?}` —
//!   ask the creator (Instagram items): the comment asks for a reply with the brand's approval
//!   hashtag and `@brand`. On mentioned or tagged media `ugc-ingest` posts it through the API; on
//!   media found by hashtag (where Instagram allows no API comment) the answer carries the text
//!   and permalink for a person to post it. The reply, when it comes, is the consent: `ugc-ingest`
//!   records the rights. `GET` lists an item's requests. `422 no_comment_channel` for TikTok,
//!   uploads and reviews; `409 request_pending` while one is open.
//! - `GET /v1/moderation/qa` — what needs fixing: published shoppable items without a product
//!   mapping, and approved or published items mapped to a SKU the catalog no longer has.

use lambda_http::http::{Method, StatusCode};
use lambda_http::{Body, Request, Response};
use reelcart_domain::Clock;
use reelcart_domain::content::blocklist::Blocklist;
use reelcart_domain::content::checks::{Check, MediaSanity, Subject, TextCheck, run_checks};
use reelcart_domain::content::rights_request::{
    BrandRights, ContentCommand, Delivery, RequestState, RightsRequest, Terms, comment_text,
    delivery_for,
};
use reelcart_domain::content::{
    Channel, ProductMapping, Status, TransitionError, UgcItem, transition,
};
use reelcart_lambda::auth::Principal;
use reelcart_lambda::config::{ConfigError, Vars};
use reelcart_lambda::http::{ApiError, json};
use reelcart_ports::{
    BlobStore, CatalogStore, ContentStore, MediaRecords, MessageQueue, PublishInputs,
    valid_status_cursor,
};
use serde::Deserialize;
use serde_json::{Value, json as j};
use std::collections::HashSet;
use std::sync::Arc;

/// Who may moderate.
pub const ROLES: [&str; 2] = ["moderator", "admin"];
pub const MAX_PAGE: usize = 100;
/// Bulk mappings per request.
pub const MAX_BULK: usize = 5_000;
const MAX_BODY: usize = 1 << 20;

pub struct Api<S, C, B, Q, M> {
    pub content: S,
    /// The transcoder's records (probe, ladder, failure): what the media checks look at.
    pub media: M,
    pub catalog: C,
    /// Consent artifacts (private, versioned, object-locked in AWS).
    pub consent: B,
    /// The content queue: rights-request comments for `ugc-ingest` to post.
    pub commands: Q,
    pub brand: BrandRights,
    pub clock: Arc<dyn Clock>,
}

impl<S, C, B, Q, M> std::fmt::Debug for Api<S, C, B, Q, M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Api").finish_non_exhaustive()
    }
}

fn client(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
    ApiError::client(status, code, message)
}

fn not_found() -> ApiError {
    client(StatusCode::NOT_FOUND, "not_found", "no such route")
}

fn query(req: &Request, name: &str) -> Option<String> {
    let q = req.uri().query().unwrap_or_default();
    form_urlencoded::parse(q.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

fn body_bytes(req: &Request) -> Result<&[u8], ApiError> {
    reelcart_lambda::http::body_of(req, MAX_BODY)
}

fn parse_body<T: for<'de> Deserialize<'de>>(req: &Request) -> Result<T, ApiError> {
    reelcart_lambda::http::json_body(req, MAX_BODY)
}

fn parse_status(s: &str) -> Result<Status, ApiError> {
    Status::ALL
        .into_iter()
        .find(|st| st.as_str() == s)
        .ok_or_else(|| {
            client(
                StatusCode::BAD_REQUEST,
                "unknown_status",
                "status must be one of queued, reviewing, approved, published, archived, rejected",
            )
        })
}

fn internal(e: impl std::fmt::Display) -> ApiError {
    ApiError::internal(e)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TransitionBody {
    to: String,
    reason: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct MappingBody {
    #[serde(default)]
    item_id: Option<String>,
    sku: String,
    placement: String,
    #[serde(default)]
    pinned: bool,
    #[serde(default)]
    confidence: Option<f64>,
}

const PLACEMENTS: [&str; 3] = ["pdp", "collection", "home"];

impl MappingBody {
    fn mapping(&self) -> Result<ProductMapping, String> {
        let sku = self.sku.trim();
        if sku.is_empty() || sku.len() > 100 {
            return Err("sku must be 1-100 characters".into());
        }
        if !PLACEMENTS.contains(&self.placement.as_str()) {
            return Err(format!(
                "placement must be one of {}",
                PLACEMENTS.join(", ")
            ));
        }
        let confidence = self.confidence.unwrap_or(1.0);
        if !(0.0..=1.0).contains(&confidence) {
            return Err("confidence must be between 0 and 1".into());
        }
        Ok(ProductMapping {
            sku: sku.to_string(),
            placement: self.placement.clone(),
            confidence,
            pinned: self.pinned,
        })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RightsBody {
    license: String,
    channels: std::collections::BTreeSet<Channel>,
    starts_at: i64,
    expires_at: Option<i64>,
    consent: reelcart_domain::content::Consent,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RequestBody {
    license: String,
    channels: std::collections::BTreeSet<Channel>,
    duration_days: Option<u32>,
}

impl<S: ContentStore, C: CatalogStore, B: BlobStore, Q: MessageQueue, M: MediaRecords>
    Api<S, C, B, Q, M>
{
    pub async fn handle(&self, req: Request) -> Response<Body> {
        self.dispatch(&req)
            .await
            .unwrap_or_else(|e| e.into_response())
    }

    async fn dispatch(&self, req: &Request) -> Result<Response<Body>, ApiError> {
        let path = req.uri().path().trim_end_matches('/').to_string();
        let Some(rest) = path.strip_prefix("/v1/moderation/") else {
            return Err(not_found());
        };
        let parts: Vec<&str> = rest.split('/').collect();
        let method = req.method().clone();
        // Known routes only; then the role.
        let admin_only = matches!(
            (&method, parts.as_slice()),
            (&Method::PUT, ["blocklist"])
                | (&Method::POST, ["items", _, "rights"])
                | (&Method::POST, ["items", _, "rights", _, "revoke"])
        );
        let known = matches!(
            (&method, parts.as_slice()),
            (&Method::GET, ["items"])
                | (&Method::GET, ["items", _])
                | (&Method::POST, ["items", _, "transitions"])
                | (&Method::GET, ["items", _, "audit"])
                | (&Method::PUT, ["items", _, "mappings"])
                | (&Method::DELETE, ["items", _, "mappings", _, _])
                | (&Method::POST, ["mappings"])
                | (&Method::GET | &Method::PUT, ["blocklist"])
                | (&Method::GET, ["qa"])
                | (&Method::POST, ["items", _, "rights"])
                | (&Method::POST, ["items", _, "rights", _, "revoke"])
                | (
                    &Method::GET | &Method::POST,
                    ["items", _, "rights-requests"]
                )
        );
        if !known {
            return Err(not_found());
        }
        let who = if admin_only {
            Principal::require(req, &["admin"])?
        } else {
            Principal::require(req, &ROLES)?
        };
        match (&method, parts.as_slice()) {
            (&Method::GET, ["items"]) => self.list(req).await,
            (&Method::GET, ["items", id]) => self.detail(id).await,
            (&Method::POST, ["items", id, "transitions"]) => {
                self.transition(id, &who.subject, parse_body(req)?).await
            }
            (&Method::GET, ["items", id, "audit"]) => {
                self.existing(id).await?;
                let audit = self.content.audit(id).await.map_err(internal)?;
                Ok(json(StatusCode::OK, &j!({ "audit": audit })))
            }
            (&Method::PUT, ["items", id, "mappings"]) => {
                let mut body: MappingBody = parse_body(req)?;
                body.item_id = Some((*id).to_string());
                self.map(vec![body]).await
            }
            (&Method::DELETE, ["items", id, "mappings", placement, sku]) => {
                self.existing(id).await?;
                if self
                    .content
                    .delete_mapping(id, placement, sku)
                    .await
                    .map_err(internal)?
                {
                    Ok(json(StatusCode::OK, &j!({ "deleted": true })))
                } else {
                    Err(client(
                        StatusCode::NOT_FOUND,
                        "not_found",
                        "no such mapping",
                    ))
                }
            }
            (&Method::POST, ["mappings"]) => self.map(bulk(req)?).await,
            (&Method::GET, ["qa"]) => self.qa().await,
            (&Method::POST, ["items", id, "rights"]) => {
                self.record_rights(id, &who.subject, parse_body(req)?).await
            }
            (&Method::POST, ["items", id, "rights", rights_id, "revoke"]) => {
                self.revoke(id, rights_id, &who.subject).await
            }
            (&Method::POST, ["items", id, "rights-requests"]) => {
                self.request_rights(id, &who.subject, parse_body(req)?)
                    .await
            }
            (&Method::GET, ["items", id, "rights-requests"]) => {
                self.existing(id).await?;
                let requests = self.content.rights_requests(id).await.map_err(internal)?;
                Ok(json(StatusCode::OK, &j!({ "requests": requests })))
            }
            (&Method::GET, ["blocklist"]) => {
                let b = self.content.blocklist().await.map_err(internal)?;
                Ok(json(StatusCode::OK, &j!({ "blocklist": b })))
            }
            (&Method::PUT, ["blocklist"]) => {
                let b: Blocklist = parse_body(req)?;
                self.content.put_blocklist(&b).await.map_err(internal)?;
                Ok(json(StatusCode::OK, &j!({ "blocklist": b })))
            }
            _ => Err(not_found()),
        }
    }

    async fn existing(&self, id: &str) -> Result<UgcItem, ApiError> {
        self.content
            .item(id)
            .await
            .map_err(internal)?
            .ok_or_else(|| client(StatusCode::NOT_FOUND, "not_found", "no such item"))
    }

    async fn list(&self, req: &Request) -> Result<Response<Body>, ApiError> {
        let status = parse_status(&query(req, "status").unwrap_or_else(|| "queued".into()))?;
        let limit = match query(req, "limit") {
            None => 20,
            Some(l) => l
                .parse::<usize>()
                .ok()
                .filter(|l| (1..=MAX_PAGE).contains(l))
                .ok_or_else(|| {
                    client(
                        StatusCode::BAD_REQUEST,
                        "bad_limit",
                        format!("limit must be 1-{MAX_PAGE}"),
                    )
                })?,
        };
        let cursor = query(req, "cursor");
        if cursor.as_deref().is_some_and(|c| !valid_status_cursor(c)) {
            return Err(client(
                StatusCode::BAD_REQUEST,
                "bad_cursor",
                "cursor is not one this API gave",
            ));
        }
        let bad = |name: &str, allowed: &str| {
            client(
                StatusCode::BAD_REQUEST,
                "bad_filter",
                format!("{name} is one of {allowed}"),
            )
        };
        let source = match query(req, "source") {
            None => None,
            Some(s) => Some(
                serde_json::from_value::<reelcart_domain::content::Source>(Value::String(s))
                    .map_err(|_| {
                        bad(
                            "source",
                            "instagram_hashtag, instagram_mention, instagram_tag, tiktok, upload, review",
                        )
                    })?,
            ),
        };
        let rights_filter = query(req, "rights");
        if rights_filter
            .as_deref()
            .is_some_and(|r| !["valid", "requested", "none"].contains(&r))
        {
            return Err(bad("rights", "valid, requested, none"));
        }
        let flagged = match query(req, "flagged").as_deref() {
            None => None,
            Some("true") => Some(true),
            Some("false") => Some(false),
            Some(_) => return Err(bad("flagged", "true, false")),
        };
        let page = self
            .content
            .items_by_status(status, limit, cursor.as_deref())
            .await
            .map_err(internal)?;
        use futures::{StreamExt, TryStreamExt};
        let now = self.clock.now_unix();
        let candidates: Vec<UgcItem> = page
            .items
            .into_iter()
            .filter(|item| {
                source.is_none_or(|s| s == item.source)
                    && flagged.is_none_or(|f| f != item.flags.is_empty())
            })
            .collect();
        // Each summary is a few reads: eight items at a time, in the page's order.
        // (A loop, not a closure: the futures borrow the items.)
        let mut reads = Vec::with_capacity(candidates.len());
        for item in &candidates {
            reads.push(self.summary(item, now));
        }
        let summaries: Vec<Value> = futures::stream::iter(reads)
            .buffered(8)
            .try_collect()
            .await?;
        let mut items = Vec::with_capacity(candidates.len());
        for (item, summary) in candidates.into_iter().zip(summaries) {
            if rights_filter
                .as_deref()
                .is_some_and(|r| summary["rights"] != r)
            {
                continue;
            }
            let mut v = serde_json::to_value(&item).map_err(internal)?;
            v["summary"] = summary;
            items.push(v);
        }
        Ok(json(
            StatusCode::OK,
            &j!({ "items": items, "cursor": page.cursor }),
        ))
    }

    /// What the queue shows of an item without opening it.
    async fn summary(&self, item: &UgcItem, now: i64) -> Result<Value, ApiError> {
        let rights = self.content.rights(&item.id).await.map_err(internal)?;
        let valid: std::collections::BTreeSet<Channel> = rights
            .iter()
            .flat_map(|r| r.channels.iter().copied().filter(|c| r.valid_for(*c, now)))
            .collect();
        let state = if !valid.is_empty() {
            "valid"
        } else if self
            .content
            .rights_requests(&item.id)
            .await
            .map_err(internal)?
            .iter()
            .any(|r| r.state == RequestState::Pending)
        {
            "requested"
        } else {
            "none"
        };
        let media = self.media.get(&item.id).await.map_err(internal)?;
        let mappings = self.content.mappings(&item.id).await.map_err(internal)?;
        Ok(j!({
            "rights": state,
            "valid_channels": valid,
            "media": media.as_ref().map(|m| m.status),
            "poster": media.as_ref().and_then(|m| m.manifest.as_ref()).map(|m| &m.poster),
            "mappings": mappings.len(),
        }))
    }

    async fn detail(&self, id: &str) -> Result<Response<Body>, ApiError> {
        let item = self.existing(id).await?;
        let now = self.clock.now_unix();
        let rights = self.content.rights(id).await.map_err(internal)?;
        let rights: Vec<Value> = rights
            .iter()
            .map(|r| {
                let valid: Vec<Channel> = r
                    .channels
                    .iter()
                    .copied()
                    .filter(|c| r.valid_for(*c, now))
                    .collect();
                j!({ "rights": r, "valid_now_for": valid })
            })
            .collect();
        let mappings = self.content.mappings(id).await.map_err(internal)?;
        let audit = self.content.audit(id).await.map_err(internal)?;
        let media = self.media.get(id).await.map_err(internal)?;
        // The automated checks as they stand now: the blocklists (which may have changed since
        // ingest) and, once transcoded, the media's duration, resolution and audio.
        let text = TextCheck(self.content.blocklist().await.map_err(internal)?);
        let sanity = MediaSanity::default();
        let checks: [&dyn Check; 2] = [&text, &sanity];
        let verdict = run_checks(
            &checks,
            &Subject {
                item: &item,
                media: media.as_ref(),
            },
        );
        Ok(json(
            StatusCode::OK,
            &j!({
                "item": item,
                "rights": rights,
                "mappings": mappings,
                "audit": audit,
                "media": media,
                "checks": verdict,
            }),
        ))
    }

    async fn transition(
        &self,
        id: &str,
        actor: &str,
        body: TransitionBody,
    ) -> Result<Response<Body>, ApiError> {
        let to = parse_status(&body.to)?;
        let item = self.existing(id).await?;
        let now = self.clock.now_unix();
        let inputs = if to == Status::Published {
            PublishInputs::load(&self.content, id)
                .await
                .map_err(internal)?
        } else {
            PublishInputs::default()
        };
        let check = inputs.check(&item, now);
        let entry = transition(
            id,
            item.status,
            to,
            actor,
            body.reason.as_deref(),
            Some(&check),
            now,
        )
        .map_err(|e| {
            let code = match e {
                TransitionError::Illegal { .. } => "illegal_transition",
                TransitionError::ReasonRequired => "reason_required",
                TransitionError::NoValidRights(_) => "no_valid_rights",
                TransitionError::NoMapping => "no_mapping",
            };
            let status = if e == TransitionError::ReasonRequired {
                StatusCode::UNPROCESSABLE_ENTITY
            } else {
                StatusCode::CONFLICT
            };
            client(status, code, e.to_string())
        })?;
        let mut updated = item.clone();
        updated.status = to;
        updated.updated_at = now;
        if to == Status::Rejected {
            updated.rejection = entry.reason.clone();
        }
        if !self
            .content
            .record_transition(&updated, &entry)
            .await
            .map_err(internal)?
        {
            return Err(client(
                StatusCode::CONFLICT,
                "conflict",
                "the item changed meanwhile; reload it",
            ));
        }
        tracing::info!(item_id = %id, from = entry.from.as_str(), to = entry.to.as_str(), actor = %actor, "transition");
        Ok(json(
            StatusCode::OK,
            &j!({ "item": updated, "audit_entry": entry }),
        ))
    }

    async fn record_rights(
        &self,
        id: &str,
        actor: &str,
        body: RightsBody,
    ) -> Result<Response<Body>, ApiError> {
        self.existing(id).await?;
        let now = self.clock.now_unix();
        let grant = reelcart_domain::content::RightsGrant {
            item_id: id.to_string(),
            license: body.license,
            channels: body.channels,
            starts_at: body.starts_at,
            expires_at: body.expires_at,
            consent: body.consent,
        };
        if let Some(problem) = grant.problem() {
            return Err(client(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_rights",
                problem,
            ));
        }
        let rights = reelcart_ports::record_rights(&self.content, &self.consent, grant, actor, now)
            .await
            .map_err(internal)?;
        tracing::info!(item_id = %id, rights_id = %rights.id, actor = %actor, "rights recorded");
        Ok(json(StatusCode::CREATED, &j!({ "rights": rights })))
    }

    async fn request_rights(
        &self,
        id: &str,
        actor: &str,
        body: RequestBody,
    ) -> Result<Response<Body>, ApiError> {
        let item = self.existing(id).await?;
        let terms = Terms {
            license: body.license.trim().to_string(),
            channels: body.channels,
            duration_days: body.duration_days,
        };
        if let Some(problem) = terms.problem() {
            return Err(client(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_rights",
                problem,
            ));
        }
        let Some(delivery) = delivery_for(item.source) else {
            return Err(client(
                StatusCode::UNPROCESSABLE_ENTITY,
                "no_comment_channel",
                "only Instagram posts are asked in a comment: TikTok videos, uploads and reviews carry consent through the creator portal's terms or a recorded agreement",
            ));
        };
        let existing = self.content.rights_requests(id).await.map_err(internal)?;
        if existing.iter().any(|r| r.state == RequestState::Pending) {
            return Err(client(
                StatusCode::CONFLICT,
                "request_pending",
                "a rights request for this item is still waiting for the creator's reply",
            ));
        }
        let request = RightsRequest {
            id: format!("rq{}", uuid::Uuid::new_v4().simple()),
            item_id: id.to_string(),
            media_id: item.external_id.clone(),
            permalink: item.permalink.clone(),
            hashtag: self.brand.hashtag.clone(),
            brand_handle: self.brand.handle.clone(),
            text: comment_text(
                &self.brand.hashtag,
                &self.brand.handle,
                &terms,
                &self.brand.terms_url,
            ),
            terms,
            delivery,
            state: RequestState::Pending,
            requested_by: actor.to_string(),
            requested_at: self.clock.now_unix(),
        };
        self.content
            .put_rights_request(&request)
            .await
            .map_err(internal)?;
        let next = match request.delivery {
            Delivery::Api { .. } => {
                let command = ContentCommand::PostRightsRequest {
                    item_id: id.to_string(),
                    request_id: request.id.clone(),
                };
                self.commands
                    .send(&serde_json::to_string(&command).map_err(internal)?)
                    .await
                    .map_err(internal)?;
                "the comment is being posted on the creator's post".to_string()
            }
            Delivery::Manual => format!(
                "Instagram allows no API comment on media found by hashtag: post the text as the brand on {}",
                request.permalink.as_deref().unwrap_or("the post")
            ),
        };
        tracing::info!(item_id = %id, request_id = %request.id, actor = %actor, "rights requested");
        Ok(json(
            StatusCode::CREATED,
            &j!({ "request": request, "next": next }),
        ))
    }

    async fn revoke(
        &self,
        id: &str,
        rights_id: &str,
        actor: &str,
    ) -> Result<Response<Body>, ApiError> {
        let mut rights = self
            .content
            .rights(id)
            .await
            .map_err(internal)?
            .into_iter()
            .find(|r| r.id == rights_id)
            .ok_or_else(|| client(StatusCode::NOT_FOUND, "not_found", "no such rights"))?;
        let now = self.clock.now_unix();
        if rights.revoked_at.is_none_or(|t| t > now) {
            rights.revoked_at = Some(now);
            self.content.put_rights(&rights).await.map_err(internal)?;
            tracing::warn!(item_id = %id, rights_id = %rights_id, actor = %actor, "rights revoked");
        }
        Ok(json(StatusCode::OK, &j!({ "rights": rights })))
    }

    async fn catalog_skus(&self) -> Result<HashSet<String>, ApiError> {
        Ok(self
            .catalog
            .products()
            .await
            .map_err(internal)?
            .into_iter()
            .flat_map(|p| p.variants.into_iter().map(|v| v.sku))
            .collect())
    }

    /// Published shoppable items without a mapping; shown or showable items mapped to a SKU that
    /// left the catalog.
    async fn qa(&self) -> Result<Response<Body>, ApiError> {
        let skus = self.catalog_skus().await?;
        let mut unmapped = Vec::new();
        let mut missing = Vec::new();
        for status in [Status::Approved, Status::Published] {
            for item in reelcart_ports::all_by_status(&self.content, status)
                .await
                .map_err(internal)?
            {
                let mappings = self.content.mappings(&item.id).await.map_err(internal)?;
                if status == Status::Published && item.shoppable && mappings.is_empty() {
                    unmapped.push(j!({"item_id": item.id}));
                }
                for m in mappings.iter().filter(|m| !skus.contains(&m.sku)) {
                    missing.push(j!({"item_id": item.id, "status": status.as_str(), "sku": m.sku, "placement": m.placement}));
                }
            }
        }
        Ok(json(
            StatusCode::OK,
            &j!({ "published_without_mapping": unmapped, "mapped_to_missing_sku": missing }),
        ))
    }

    /// Validate every mapping (item exists, SKU in the catalog, fields) before writing any.
    async fn map(&self, rows: Vec<MappingBody>) -> Result<Response<Body>, ApiError> {
        if rows.is_empty() || rows.len() > MAX_BULK {
            return Err(client(
                StatusCode::BAD_REQUEST,
                "bad_count",
                format!("1-{MAX_BULK} mappings per request"),
            ));
        }
        let skus = self.catalog_skus().await?;
        let mut problems = Vec::new();
        let mut valid = Vec::new();
        for (i, row) in rows.iter().enumerate() {
            let item_id = row.item_id.clone().unwrap_or_default();
            let mapping = match row.mapping() {
                Ok(m) => m,
                Err(e) => {
                    problems.push(j!({"row": i, "code": "invalid", "message": e}));
                    continue;
                }
            };
            if !skus.contains(&mapping.sku) {
                problems.push(j!({"row": i, "code": "unknown_sku", "message": format!("SKU `{}` is not in the catalog", mapping.sku)}));
                continue;
            }
            if self
                .content
                .item(&item_id)
                .await
                .map_err(internal)?
                .is_none()
            {
                problems.push(j!({"row": i, "code": "unknown_item", "message": format!("no item `{item_id}`")}));
                continue;
            }
            valid.push((item_id, mapping));
        }
        if !problems.is_empty() {
            let code = if problems.iter().all(|p| p["code"] == "unknown_sku") {
                "unknown_sku"
            } else {
                "invalid_mappings"
            };
            let body = j!({"error": {"code": code, "message": format!("{} of {} mappings refused; nothing was written", problems.len(), rows.len()), "problems": problems}});
            return Ok(json(StatusCode::UNPROCESSABLE_ENTITY, &body));
        }
        for (item_id, m) in &valid {
            self.content
                .put_mapping(item_id, m)
                .await
                .map_err(internal)?;
        }
        Ok(json(StatusCode::OK, &j!({ "mapped": valid.len() })))
    }
}

/// A bulk body: a JSON array of mappings, or CSV with a header `item_id,sku,placement[,pinned]`.
fn bulk(req: &Request) -> Result<Vec<MappingBody>, ApiError> {
    let bytes = body_bytes(req)?;
    let is_csv = req
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| c.starts_with("text/csv"));
    if !is_csv {
        return serde_json::from_slice(bytes)
            .map_err(|e| client(StatusCode::BAD_REQUEST, "malformed", format!("body: {e}")));
    }
    #[derive(Deserialize)]
    struct Row {
        item_id: String,
        sku: String,
        placement: String,
        #[serde(default)]
        pinned: Option<String>,
    }
    let mut out = Vec::new();
    for (i, row) in csv::Reader::from_reader(bytes)
        .deserialize::<Row>()
        .enumerate()
    {
        let row = row.map_err(|e| {
            client(
                StatusCode::BAD_REQUEST,
                "malformed",
                format!("CSV row {}: {e}", i + 1),
            )
        })?;
        out.push(MappingBody {
            item_id: Some(row.item_id),
            sku: row.sku,
            placement: row.placement,
            pinned: matches!(
                row.pinned.as_deref().map(str::trim),
                Some("true" | "1" | "yes")
            ),
            confidence: None,
        });
    }
    Ok(out)
}

/// The API as deployed.
pub type AwsApi = Api<
    reelcart_aws::DynamoContent,
    reelcart_aws::DynamoCatalog,
    reelcart_aws::S3Blobs,
    reelcart_aws::SqsQueue,
    reelcart_aws::DynamoMediaRecords,
>;

/// Build from settings (`CONTENT_TABLE`, `CATALOG_TABLE`, `CONSENT_BUCKET`, `CONTENT_QUEUE_URL`,
/// `BRAND_HANDLE`, `APPROVAL_HASHTAG`, `RIGHTS_TERMS_URL`, `S3_FORCE_PATH_STYLE`).
pub fn from_aws<F: Fn(&str) -> Option<String>>(
    v: &Vars<F>,
    sdk: &reelcart_aws::SdkConfig,
    clock: Arc<dyn Clock>,
) -> Result<AwsApi, ConfigError> {
    let dynamo = aws_sdk_dynamodb::Client::new(sdk);
    Ok(Api {
        content: reelcart_aws::DynamoContent::new(dynamo.clone(), v.required("CONTENT_TABLE")?),
        media: reelcart_aws::DynamoMediaRecords::new(dynamo.clone(), v.required("CONTENT_TABLE")?),
        catalog: reelcart_aws::DynamoCatalog::new(dynamo, v.required("CATALOG_TABLE")?),
        consent: reelcart_aws::S3Blobs::new(
            reelcart_aws::s3_client(sdk, v.parse_or("S3_FORCE_PATH_STYLE", false)?),
            v.required("CONSENT_BUCKET")?,
        ),
        commands: reelcart_aws::SqsQueue::new(
            aws_sdk_sqs::Client::new(sdk),
            v.required("CONTENT_QUEUE_URL")?,
        ),
        brand: BrandRights::new(
            &v.required("BRAND_HANDLE")?,
            v.optional("APPROVAL_HASHTAG").as_deref(),
            &v.required("RIGHTS_TERMS_URL")?,
        )
        .map_err(|reason| ConfigError::Invalid {
            name: "BRAND_HANDLE",
            reason,
        })?,
        clock,
    })
}

#[cfg(test)]
mod tests;
