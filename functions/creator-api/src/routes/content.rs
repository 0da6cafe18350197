//! `POST /v1/creators/me/uploads` (a presigned S3 POST), `GET /v1/creators/me/submissions` and
//! `GET /v1/creators/me/calendar`.

use super::{client, invalid};
use crate::{CreatorApi, Presigner};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Response};
use reelcart_domain::attribution::{day_of, day_range};
use reelcart_domain::content::{Status, UgcItem};
use reelcart_lambda::http::{ApiError, json};
use reelcart_ports::{CreatorStore, ItemStore, MediaRecords};
use serde::Deserialize;
use serde_json::{Value, json as j};
use std::collections::BTreeMap;

/// Submissions listed (newest first).
const MAX_SUBMISSIONS: usize = 100;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct UploadBody {
    content_type: String,
    #[serde(default)]
    caption: String,
}

/// `?month=YYYY-MM` (default: this month).
#[derive(Debug, Deserialize)]
pub(crate) struct MonthQuery {
    month: Option<String>,
}

impl<S: CreatorStore, C, P: Presigner, A, K: ItemStore, M: MediaRecords, D>
    CreatorApi<S, C, P, A, K, M, D>
{
    /// A presigned S3 POST for one file; `403 terms_required` until the current terms are
    /// accepted.
    pub(crate) async fn upload(
        &self,
        id: &str,
        body: UploadBody,
    ) -> Result<Response<Body>, ApiError> {
        let c = self.me(id).await?;
        let Some(terms) = c
            .terms
            .as_ref()
            .filter(|t| t.version == self.config.terms_version)
        else {
            return Err(client(
                StatusCode::FORBIDDEN,
                "terms_required",
                "accept the current content terms before uploading",
            ));
        };
        if body.caption.chars().count() > 500 {
            return Err(invalid("caption is at most 500 characters"));
        }
        let upload_id = format!("up{}", &uuid::Uuid::new_v4().simple().to_string()[..20]);
        let policy = reelcart_aws::presign::upload_policy(
            &self.config.raw_bucket,
            id,
            &upload_id,
            &body.content_type,
            &terms.version,
            terms.accepted_at,
            &body.caption,
            self.config.max_upload_bytes,
        )
        .map_err(invalid)?;
        // Each upload becomes a transcode: a creator starts at most so many a day (UTC).
        let now = self.clock.now_unix();
        let day = reelcart_domain::attribution::day_of(now);
        let taken = self
            .creators
            .take_upload(
                id,
                &day,
                self.config.uploads_per_day,
                now - now.rem_euclid(86_400) + 2 * 86_400,
            )
            .await
            .map_err(ApiError::internal)?;
        if !taken {
            let mut r = client(
                StatusCode::TOO_MANY_REQUESTS,
                "upload_quota",
                format!(
                    "at most {} uploads a day; try again tomorrow (UTC)",
                    self.config.uploads_per_day
                ),
            )
            .into_response();
            let retry = 86_400 - now.rem_euclid(86_400);
            if let Ok(v) = lambda_http::http::HeaderValue::from_str(&retry.to_string()) {
                r.headers_mut()
                    .insert(lambda_http::http::header::RETRY_AFTER, v);
            }
            return Ok(r);
        }
        let form = self
            .presigner
            .presign(&policy, self.clock.now_unix())
            .await?;
        Ok(json(
            StatusCode::CREATED,
            &j!({ "upload_id": upload_id, "key": policy.key, "form": form }),
        ))
    }

    /// The creator's items, newest first.
    async fn my_items(&self, id: &str) -> Result<Vec<UgcItem>, ApiError> {
        self.content
            .items_by_creator(id, MAX_SUBMISSIONS)
            .await
            .map_err(ApiError::internal)
    }

    /// The transcoding state as a submission shows it: status, poster, master. The poster is a
    /// signed link: the CDN serves media only once the item is published, and a creator sees
    /// their own before that. The master stays the address the feed will serve.
    async fn media_view(
        &self,
        m: Option<&reelcart_domain::video::MediaRecord>,
    ) -> Result<(Value, Value, Value), ApiError> {
        let Some(m) = m else {
            return Ok((Value::Null, Value::Null, Value::Null));
        };
        let status = serde_json::to_value(m.status).unwrap_or(Value::Null);
        let Some(manifest) = m.manifest.as_ref() else {
            return Ok((status, Value::Null, Value::Null));
        };
        let poster = match manifest.key_of(&manifest.poster) {
            Some(key) => Value::from(self.presigner.media_link(&key).await?),
            None => Value::Null,
        };
        Ok((status, poster, Value::from(manifest.master.clone())))
    }

    /// `GET /v1/creators/me/submissions`: where each item stands in moderation and transcoding.
    pub(crate) async fn submissions(&self, id: &str) -> Result<Response<Body>, ApiError> {
        use futures::{StreamExt, TryStreamExt};
        let items = self.my_items(id).await?;
        // The media records, eight reads at a time, in the items' order.
        // (A loop, not a closure: the futures borrow the items.)
        let mut reads = Vec::with_capacity(items.len());
        for i in &items {
            reads.push(self.media.get(&i.id));
        }
        let records: Vec<_> = futures::stream::iter(reads)
            .buffered(8)
            .try_collect()
            .await?;
        let mut out = Vec::with_capacity(items.len());
        for (i, m) in items.iter().zip(records) {
            let (media, poster, master) = self.media_view(m.as_ref()).await?;
            let failure = m
                .as_ref()
                .and_then(|m| m.failure.as_ref())
                .map(|f| serde_json::to_value(f).unwrap_or(Value::Null));
            out.push(j!({
                "item_id": i.id, "source": i.source, "caption": i.caption,
                "status": i.status, "rejection": i.rejection, "publish_at": i.publish_at,
                "created_at": i.created_at, "updated_at": i.updated_at,
                "media": media, "media_failure": failure, "poster": poster, "master": master,
            }));
        }
        Ok(json(StatusCode::OK, &j!({ "submissions": out })))
    }

    /// `GET /v1/creators/me/calendar?month=YYYY-MM`: approved items scheduled to publish and
    /// published items, by day (UTC).
    pub(crate) async fn calendar(
        &self,
        id: &str,
        query: MonthQuery,
    ) -> Result<Response<Body>, ApiError> {
        let month = match query.month {
            Some(m) => m,
            None => day_of(self.clock.now_unix())[..7].to_string(),
        };
        let first = format!("{month}-01");
        let bad = || invalid("month is YYYY-MM");
        if month.len() != 7 {
            return Err(bad());
        }
        let start = day_range(&first, &first, 1).map_err(|_| bad())?;
        // The month's days: a 31-day range from the 1st, cut at the month's end.
        let to = reelcart_domain::attribution::orders::rfc3339(&format!("{first}T00:00:00Z"))
            .map(|t| day_of(t + 30 * 86_400))
            .ok_or_else(bad)?;
        let days: Vec<String> = day_range(&start[0], &to, 31)
            .map_err(|_| bad())?
            .into_iter()
            .filter(|d| d.starts_with(&month))
            .collect();
        let mut by_day: BTreeMap<String, Vec<Value>> =
            days.iter().map(|d| (d.clone(), Vec::new())).collect();
        for i in self.my_items(id).await? {
            let entry = match (i.status, i.publish_at) {
                (Status::Published, _) => Some(("published", i.updated_at)),
                (Status::Approved, Some(at)) => Some(("scheduled", at)),
                _ => None,
            };
            if let Some((kind, at)) = entry
                && let Some(list) = by_day.get_mut(&day_of(at))
            {
                list.push(j!({"item_id": i.id, "caption": i.caption, "kind": kind, "at": at}));
            }
        }
        let days: Vec<Value> = by_day
            .into_iter()
            .map(|(date, entries)| j!({"date": date, "entries": entries}))
            .collect();
        Ok(json(StatusCode::OK, &j!({ "month": month, "days": days })))
    }
}
