//! The queue (`GET /items`), an item's detail and its audit trail.

use super::{QueryMap, client, parse_status, query};
use crate::Ports;
use crate::{Api, MAX_PAGE};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Response};
use reelcart_domain::content::checks::{Check, MediaSanity, Subject, TextCheck, run_checks};
use reelcart_domain::content::rights_request::RequestState;
use reelcart_domain::content::{Channel, UgcItem};
use reelcart_lambda::http::{ApiError, json};
use reelcart_ports::{
    BlocklistStore, ItemStore, MappingStore, MediaRecords, RightsStore, valid_status_cursor,
};
use serde_json::{Value, json as j};

impl<P: Ports> Api<P> {
    pub(super) async fn existing(&self, id: &str) -> Result<UgcItem, ApiError> {
        self.content
            .item(id)
            .await?
            .ok_or_else(|| client(StatusCode::NOT_FOUND, "not_found", "no such item"))
    }

    pub(super) async fn list(&self, q: &QueryMap) -> Result<Response<Body>, ApiError> {
        let status = parse_status(&query(q, "status").unwrap_or_else(|| "queued".into()))?;
        let limit = match query(q, "limit") {
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
        let cursor = query(q, "cursor");
        if cursor.as_deref().is_some_and(|c| !valid_status_cursor(c)) {
            return Err(client(
                StatusCode::UNPROCESSABLE_ENTITY,
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
        let source = match query(q, "source") {
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
        let rights_filter = query(q, "rights");
        if rights_filter
            .as_deref()
            .is_some_and(|r| !["valid", "requested", "none"].contains(&r))
        {
            return Err(bad("rights", "valid, requested, none"));
        }
        let flagged = match query(q, "flagged").as_deref() {
            None => None,
            Some("true") => Some(true),
            Some("false") => Some(false),
            Some(_) => return Err(bad("flagged", "true, false")),
        };
        let page = self
            .content
            .items_by_status(status, limit, cursor.as_deref())
            .await?;
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
            let mut v = serde_json::to_value(&item).map_err(ApiError::internal)?;
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
        let rights = self.content.rights(&item.id).await?;
        let valid: std::collections::BTreeSet<Channel> = rights
            .iter()
            .flat_map(|r| r.channels.iter().copied().filter(|c| r.valid_for(*c, now)))
            .collect();
        let state = if !valid.is_empty() {
            "valid"
        } else if self
            .content
            .rights_requests(&item.id)
            .await?
            .iter()
            .any(|r| r.state == RequestState::Pending)
        {
            "requested"
        } else {
            "none"
        };
        let media = self.media.get(&item.id).await?;
        let mappings = self.content.mappings(&item.id).await?;
        // Signed: the CDN serves the poster only once the item is published.
        let poster = match media.as_ref().and_then(|m| m.manifest.as_ref()) {
            Some(m) => self.signed(m, &m.poster).await?,
            None => None,
        };
        Ok(j!({
            "rights": state,
            "valid_channels": valid,
            "media": media.as_ref().map(|m| m.status),
            "poster": poster,
            "mappings": mappings.len(),
        }))
    }

    pub(super) async fn detail(&self, id: &str) -> Result<Response<Body>, ApiError> {
        let item = self.existing(id).await?;
        let now = self.clock.now_unix();
        let rights = self.content.rights(id).await?;
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
        let mappings = self.content.mappings(id).await?;
        let audit = self.content.audit(id).await?;
        let media = self.media.get(id).await?;
        // The automated checks as they stand now: the blocklists (which may have changed since
        // ingest) and, once transcoded, the media's duration, resolution and audio.
        let text = TextCheck(self.content.blocklist().await?);
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

    pub(super) async fn audit(&self, id: &str) -> Result<Response<Body>, ApiError> {
        self.existing(id).await?;
        let audit = self.content.audit(id).await?;
        Ok(json(StatusCode::OK, &j!({ "audit": audit })))
    }
}
