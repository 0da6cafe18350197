//! MediaConvert's `Job State Change` event (EventBridge) and what finishes an item from it.

use super::*;
use crate::{Error, Handler, valid_item_id};
use aws_sdk_s3::primitives::ByteStream;
use reelcart_domain::video::hls::start_rung;
use reelcart_domain::video::manifest::aspect_label;
use reelcart_domain::video::{
    Ladder, MediaManifest, MediaStatus, PIPELINE_VERSION, RejectCode, Rejection, Rendition,
    cache_control,
};
use reelcart_media::package::{MANIFEST, MASTER};
use reelcart_ports::{ItemStore, MediaRecords, MediaVisibility};
use serde::Deserialize;
use std::collections::HashMap;

/// What a `MediaConvert Job State Change` event says, as far as the transcoder cares.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct JobEvent {
    pub job_id: String,
    /// `SUBMITTED`, `PROGRESSING`, `STATUS_UPDATE`, `INPUT_INFORMATION`, `COMPLETE`, `ERROR`, …
    pub status: String,
    pub item_id: String,
    /// The job's output prefix (`media/{item}/{hash}-v{version}/`), from its user metadata.
    pub prefix: Option<String>,
    pub version: Option<u32>,
    /// `s3://…` of the master playlist (the CMAF group's first playlist).
    pub master_uri: Option<String>,
    /// `s3://…` of the poster (the file group's first output).
    pub poster_uri: Option<String>,
    pub duration_ms: Option<u64>,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
}

#[derive(Deserialize)]
struct RawEvent {
    source: String,
    #[serde(rename = "detail-type")]
    detail_type: String,
    detail: RawDetail,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawDetail {
    job_id: String,
    status: String,
    #[serde(default)]
    user_metadata: HashMap<String, String>,
    #[serde(default)]
    output_group_details: Vec<RawGroup>,
    #[serde(default)]
    error_code: Option<serde_json::Value>,
    #[serde(default)]
    error_message: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawGroup {
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default)]
    output_details: Vec<RawOutput>,
    #[serde(default)]
    playlist_file_paths: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawOutput {
    #[serde(default)]
    output_file_paths: Vec<String>,
    #[serde(default)]
    duration_in_ms: Option<u64>,
}

impl JobEvent {
    /// Read a MediaConvert job event; anything else is malformed.
    pub fn parse(event: &serde_json::Value) -> Result<Self, Error> {
        let raw: RawEvent = serde_json::from_value(event.clone())
            .map_err(|e| Error::Malformed(format!("not a MediaConvert job event: {e}")))?;
        if raw.source != "aws.mediaconvert" || raw.detail_type != "MediaConvert Job State Change" {
            return Err(Error::Malformed(format!(
                "not a MediaConvert job event: {} / {}",
                raw.source, raw.detail_type
            )));
        }
        let d = raw.detail;
        let item_id = d.user_metadata.get("item_id").cloned().unwrap_or_default();
        if !valid_item_id(&item_id) {
            return Err(Error::Malformed(format!(
                "job {} carries no valid item_id",
                d.job_id
            )));
        }
        let group = |kind: &str| d.output_group_details.iter().find(|g| g.kind == kind);
        let cmaf = group("CMAF_GROUP");
        let master_uri = cmaf.and_then(|g| g.playlist_file_paths.first().cloned());
        let poster_uri = group("FILE_GROUP")
            .and_then(|g| g.output_details.first())
            .and_then(|o| o.output_file_paths.first().cloned());
        let duration_ms = cmaf
            .and_then(|g| g.output_details.first())
            .and_then(|o| o.duration_in_ms);
        Ok(Self {
            job_id: d.job_id,
            status: d.status,
            item_id,
            prefix: d.user_metadata.get("prefix").cloned(),
            version: d.user_metadata.get("version").and_then(|v| v.parse().ok()),
            master_uri,
            poster_uri,
            duration_ms,
            error_code: d.error_code.map(|c| match c {
                serde_json::Value::String(s) => s,
                other => other.to_string(),
            }),
            error_message: d.error_message,
        })
    }
}

/// The key of `s3://bucket/key`.
pub fn s3_key(uri: &str) -> Option<&str> {
    let (_, key) = uri.strip_prefix("s3://")?.split_once('/')?;
    (!key.is_empty()).then_some(key)
}

/// What a completed job produced, besides the planned ladder.
#[derive(Debug, Clone, Copy)]
pub struct Completed<'a> {
    pub item_id: &'a str,
    pub version: u32,
    /// The output prefix (ends with `/`).
    pub prefix: &'a str,
    pub poster_key: &'a str,
    pub duration_secs: f64,
    pub has_audio: bool,
}

/// The media manifest of a completed job: the planned ladder, the outputs' public URLs. Peak
/// bandwidth is the planned `maxrate` plus the audio rendition, average the target bitrates.
pub fn manifest_for(
    ladder: &Ladder,
    done: &Completed<'_>,
    public_base: &str,
    now: i64,
) -> MediaManifest {
    let Completed {
        item_id,
        version,
        prefix,
        poster_key,
        duration_secs,
        has_audio,
    } = *done;
    let url = |key: &str| format!("{public_base}/{key}");
    let audio = if has_audio {
        u64::from(AUDIO_BITRATE)
    } else {
        0
    };
    let (width, height) = ladder
        .rungs
        .first()
        .map_or(ladder.poster, |r| (r.width, r.height));
    MediaManifest {
        item_id: item_id.to_string(),
        version,
        master: url(&format!("{prefix}{MASTER}")),
        poster: url(poster_key),
        preview: None,
        duration_secs: (duration_secs * 1000.0).round() / 1000.0,
        width,
        height,
        aspect_ratio: aspect_label(width, height),
        orientation: ladder.orientation,
        has_audio,
        renditions: ladder
            .rungs
            .iter()
            .map(|r| Rendition {
                name: r.name.clone(),
                width: r.width,
                height: r.height,
                bandwidth: u64::from(r.maxrate) + audio,
                average_bandwidth: u64::from(r.video_bitrate) + audio,
                codecs: r.codecs(),
                frame_rate: ladder.frame_rate.as_f64(),
                playlist: url(&format!("{prefix}{MASTER_NAME}_{}.m3u8", r.name)),
            })
            .collect(),
        start_rendition: start_rung(&ladder.rungs),
        prefix: prefix.to_string(),
        created_at: now,
    }
}

/// Finish the item a MediaConvert job event names: `COMPLETE` writes the manifest and records
/// `transcoded`, `ERROR` records `failed`; progress events are only logged. An event for a job
/// the item no longer waits on is ignored.
pub async fn finish_job<R: MediaRecords, I: ItemStore, V: MediaVisibility>(
    h: &Handler<R, I, V>,
    event: &serde_json::Value,
) -> Result<(), Error> {
    let ev = JobEvent::parse(event)?;
    if ev.status != "COMPLETE" && ev.status != "ERROR" {
        tracing::info!(item_id = %ev.item_id, job_id = %ev.job_id, status = %ev.status, "mediaconvert progress");
        return Ok(());
    }
    let Some(mut record) = h.records.get(&ev.item_id).await? else {
        tracing::warn!(item_id = %ev.item_id, job_id = %ev.job_id, "no media record for this job; ignored");
        return Ok(());
    };
    if record.status != MediaStatus::Submitted || record.job_id.as_deref() != Some(&ev.job_id) {
        tracing::warn!(
            item_id = %ev.item_id,
            job_id = %ev.job_id,
            record_job_id = ?record.job_id,
            status = ?record.status,
            "the item no longer waits on this job; ignored"
        );
        return Ok(());
    }
    let now = h.clock.now_unix();
    if ev.status == "ERROR" {
        let reason = Rejection::new(
            RejectCode::Corrupt,
            format!(
                "MediaConvert error {}: {}",
                ev.error_code.as_deref().unwrap_or("unknown"),
                ev.error_message.as_deref().unwrap_or("no message")
            ),
        );
        tracing::warn!(item_id = %ev.item_id, job_id = %ev.job_id, reason = %reason.message, "mediaconvert job failed");
        record.status = MediaStatus::Failed;
        record.failure = Some(reason);
    } else {
        let ladder = record
            .ladder
            .clone()
            .ok_or_else(|| Error::Malformed(format!("item {} has no ladder", ev.item_id)))?;
        let prefix = ev
            .prefix
            .clone()
            .or_else(|| {
                ev.master_uri
                    .as_deref()
                    .and_then(s3_key)
                    .and_then(|k| k.rsplit_once('/'))
                    .map(|(dir, _)| format!("{dir}/"))
            })
            .ok_or_else(|| Error::Malformed(format!("job {} names no prefix", ev.job_id)))?;
        if !prefix.starts_with(&format!("media/{}/", ev.item_id)) || !prefix.ends_with('/') {
            return Err(Error::Malformed(format!(
                "job {}: prefix `{prefix}` is not under the item's media",
                ev.job_id
            )));
        }
        let poster_key = ev.poster_uri.as_deref().and_then(s3_key).map_or_else(
            || format!("{prefix}{POSTER_NAME}.0000000.jpg"),
            str::to_string,
        );
        let (duration_secs, has_audio) = match &record.probe {
            Some(p) => (p.duration_secs, p.has_audio),
            None => (ev.duration_ms.unwrap_or(0) as f64 / 1000.0, false),
        };
        let done = Completed {
            item_id: &record.item_id,
            version: ev.version.unwrap_or(PIPELINE_VERSION),
            prefix: &prefix,
            poster_key: &poster_key,
            duration_secs,
            has_audio,
        };
        let manifest = manifest_for(&ladder, &done, &h.config.media_base_url, now);
        let body = serde_json::to_vec_pretty(&manifest)
            .map_err(|e| Error::Transient(format!("manifest: {e}")))?;
        // Beside its files only: a fixed address per item would lead to media not published.
        let pointer = format!("{prefix}{MANIFEST}");
        put_json(h, &pointer, &body, true).await?;
        tracing::info!(item_id = %record.item_id, job_id = %ev.job_id, prefix = %prefix, "published by mediaconvert");
        record.status = MediaStatus::Transcoded;
        record.manifest = Some(manifest);
        record.manifest_key = Some(pointer);
        record.failure = None;
    }
    record.lease_until = None;
    record.updated_at = now;
    if !h.records.finish(&record).await? {
        tracing::warn!(item_id = %record.item_id, attempt = record.attempts, "a later attempt took the item over; its outcome stands");
    } else if record.status == MediaStatus::Transcoded {
        h.open_if_published(&record.item_id).await?;
    }
    Ok(())
}

async fn put_json<R, I, V>(
    h: &Handler<R, I, V>,
    key: &str,
    body: &[u8],
    immutable: bool,
) -> Result<(), Error> {
    h.s3.put_object()
        .bucket(&h.config.media_bucket)
        .key(key)
        .content_type("application/json")
        .cache_control(cache_control(immutable))
        .body(ByteStream::from(body.to_vec()))
        .send()
        .await
        .map_err(|e| Error::Transient(format!("put {key}: {e}")))?;
    Ok(())
}
