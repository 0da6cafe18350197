//! The MediaConvert backend: `encode` submits a job that writes the ladder (CMAF, HLS manifests)
//! and the poster straight to the media bucket, and returns its id; MediaConvert's
//! `Job State Change` event (EventBridge) later finishes the item ([`finish_job`]): the media
//! manifest is written from the record's planned ladder and the outputs the event names.
//!
//! MediaConvert mode makes no preview loop: the manifest's `preview` is `None`.

use crate::{Error, Handler, valid_item_id};
use aws_sdk_mediaconvert::error::DisplayErrorContext;
use aws_sdk_mediaconvert::types::{
    AacCodecProfile, AacCodingMode, AacSettings, AudioCodec, AudioCodecSettings,
    AudioDefaultSelection, AudioDescription, AudioSelector, CmafGroupSettings,
    CmafWriteHlsManifest, ContainerSettings, ContainerType, FileGroupSettings,
    FrameCaptureSettings, H264CodecLevel, H264CodecProfile, H264FramerateControl, H264GopSizeUnits,
    H264RateControlMode, H264SceneChangeDetect, H264Settings, Input, InputRotate,
    InputTimecodeSource, JobSettings, Output, OutputGroup, OutputGroupSettings, OutputGroupType,
    VideoCodec, VideoCodecSettings, VideoDescription, VideoSelector,
};
use aws_sdk_s3::primitives::ByteStream;
use reelcart_domain::video::hls::start_rung;
use reelcart_domain::video::manifest::aspect_label;
use reelcart_domain::video::{
    Ladder, MediaManifest, MediaStatus, PIPELINE_VERSION, RejectCode, Rejection, Rendition, Rung,
    cache_control,
};
use reelcart_lambda::config::{ConfigError, Vars};
use reelcart_media::package::{MANIFEST, MASTER};
use reelcart_media::{EncodeJob, Encoded, MediaError};
use reelcart_ports::MediaRecords;
use serde::Deserialize;
use std::collections::HashMap;

/// The one audio selector, and the name audio outputs refer to it by.
pub const AUDIO_SELECTOR: &str = "Audio Selector 1";
/// The audio rendition: AAC-LC stereo, 48 kHz.
pub const AUDIO_BITRATE: u32 = 128_000;
pub const AUDIO_SAMPLE_RATE: i32 = 48_000;
/// JPEG quality of the poster.
pub const POSTER_QUALITY: i32 = 80;
/// Object name (before MediaConvert's suffixes) of the CMAF outputs and of the poster capture.
pub const MASTER_NAME: &str = "master";
pub const POSTER_NAME: &str = "poster";

/// MediaConvert in the function's account and region.
#[derive(Debug, Clone)]
pub struct MediaConvert {
    client: aws_sdk_mediaconvert::Client,
    /// The IAM role MediaConvert assumes to read the source and write the outputs.
    role_arn: String,
    queue_arn: Option<String>,
    media_bucket: String,
}

impl MediaConvert {
    pub fn new(
        client: aws_sdk_mediaconvert::Client,
        role_arn: impl Into<String>,
        queue_arn: Option<String>,
        media_bucket: impl Into<String>,
    ) -> Self {
        Self {
            client,
            role_arn: role_arn.into(),
            queue_arn,
            media_bucket: media_bucket.into(),
        }
    }

    /// `MEDIACONVERT_ROLE_ARN` (required), `MEDIACONVERT_QUEUE_ARN` (else the default queue),
    /// `MEDIACONVERT_ENDPOINT` (else the SDK's regional endpoint).
    pub fn from_aws<F: Fn(&str) -> Option<String>>(
        v: &Vars<F>,
        sdk: &reelcart_aws::SdkConfig,
        media_bucket: &str,
    ) -> Result<Self, ConfigError> {
        let role_arn = v.required("MEDIACONVERT_ROLE_ARN")?;
        if !role_arn.starts_with("arn:") {
            return Err(ConfigError::Invalid {
                name: "MEDIACONVERT_ROLE_ARN",
                reason: "expected an IAM role ARN".into(),
            });
        }
        let mut config = aws_sdk_mediaconvert::config::Builder::from(sdk);
        if let Some(endpoint) = v.optional("MEDIACONVERT_ENDPOINT") {
            config = config.endpoint_url(endpoint);
        }
        Ok(Self::new(
            aws_sdk_mediaconvert::Client::from_conf(config.build()),
            role_arn,
            v.optional("MEDIACONVERT_QUEUE_ARN"),
            media_bucket,
        ))
    }

    /// Submit the job; its state-change event finishes the item.
    pub async fn encode(&self, job: &EncodeJob<'_>) -> Result<Encoded, MediaError> {
        let out = self
            .client
            .create_job()
            .role(&self.role_arn)
            .set_queue(self.queue_arn.clone())
            .settings(job_settings(job, &self.media_bucket))
            .user_metadata("item_id", job.item_id)
            .user_metadata("prefix", job.prefix)
            .user_metadata("version", PIPELINE_VERSION.to_string())
            .send()
            .await
            .map_err(|e| {
                MediaError::Transient(format!(
                    "mediaconvert create job: {}",
                    DisplayErrorContext(&e)
                ))
            })?;
        let job_id = out
            .job()
            .and_then(|j| j.id())
            .filter(|id| !id.is_empty())
            .ok_or_else(|| MediaError::Transient("mediaconvert returned no job id".into()))?
            .to_string();
        tracing::info!(item_id = %job.item_id, job_id = %job_id, prefix = %job.prefix, "submitted to mediaconvert");
        Ok(Encoded::Submitted { job_id })
    }
}

fn int(v: u32) -> i32 {
    i32::try_from(v).unwrap_or(i32::MAX)
}

/// H.264 level of a rung (`level_idc`) as MediaConvert names it.
pub fn codec_level(level: u8) -> H264CodecLevel {
    match level {
        30 => H264CodecLevel::Level3,
        31 => H264CodecLevel::Level31,
        32 => H264CodecLevel::Level32,
        40 => H264CodecLevel::Level4,
        41 => H264CodecLevel::Level41,
        42 => H264CodecLevel::Level42,
        50 => H264CodecLevel::Level5,
        51 => H264CodecLevel::Level51,
        52 => H264CodecLevel::Level52,
        _ => H264CodecLevel::Auto,
    }
}

fn cmfc() -> ContainerSettings {
    ContainerSettings::builder()
        .container(ContainerType::Cmfc)
        .build()
}

/// One video-only CMAF output: the rung's size, VBR at its bitrate, peak and buffer, a keyframe
/// every segment, constant frame rate.
fn video_output(rung: &Rung, ladder: &Ladder) -> Output {
    let h264 = H264Settings::builder()
        .codec_profile(H264CodecProfile::High)
        .codec_level(codec_level(rung.level))
        .rate_control_mode(H264RateControlMode::Vbr)
        .bitrate(int(rung.video_bitrate))
        .max_bitrate(int(rung.maxrate))
        .hrd_buffer_size(int(rung.bufsize))
        .gop_size(f64::from(ladder.segment_secs))
        .gop_size_units(H264GopSizeUnits::Seconds)
        .scene_change_detect(H264SceneChangeDetect::Disabled)
        .framerate_control(H264FramerateControl::Specified)
        .framerate_numerator(int(ladder.frame_rate.num))
        .framerate_denominator(int(ladder.frame_rate.den))
        .build();
    Output::builder()
        .name_modifier(format!("_{}", rung.name))
        .container_settings(cmfc())
        .video_description(
            VideoDescription::builder()
                .width(int(rung.width))
                .height(int(rung.height))
                .codec_settings(
                    VideoCodecSettings::builder()
                        .codec(VideoCodec::H264)
                        .h264_settings(h264)
                        .build(),
                )
                .build(),
        )
        .build()
}

/// The audio rendition every video rendition plays with.
fn audio_output() -> Output {
    let aac = AacSettings::builder()
        .codec_profile(AacCodecProfile::Lc)
        .coding_mode(AacCodingMode::CodingMode20)
        .sample_rate(AUDIO_SAMPLE_RATE)
        .bitrate(int(AUDIO_BITRATE))
        .build();
    Output::builder()
        .name_modifier("_audio")
        .container_settings(cmfc())
        .audio_descriptions(
            AudioDescription::builder()
                .audio_source_name(AUDIO_SELECTOR)
                .codec_settings(
                    AudioCodecSettings::builder()
                        .codec(AudioCodec::Aac)
                        .aac_settings(aac)
                        .build(),
                )
                .build(),
        )
        .build()
}

/// Frames per second of the poster capture: MediaConvert wants a capture rate even for one
/// capture. With `MaxCaptures` 1 the single capture is the first frame whatever the rate; the
/// rate is one frame per `poster_at_secs` (rounded up, at least 1 s) so that a second capture, if
/// ever allowed, would land at the planned poster time.
pub fn poster_rate(ladder: &Ladder) -> (i32, i32) {
    let secs = ladder.poster_at_secs.ceil().clamp(1.0, 3600.0) as i32;
    (1, secs)
}

/// The job: the source read from S3 (rotation from its display matrix), one CMAF group with a
/// video-only output per rung (plus one audio output when the source has sound) under
/// `{prefix}master`, and a JPEG poster under `{prefix}poster`.
pub fn job_settings(job: &EncodeJob<'_>, media_bucket: &str) -> JobSettings {
    let ladder = job.ladder;
    let has_audio = job.probe.has_audio;
    let mut input = Input::builder()
        .file_input(job.source_uri)
        .video_selector(VideoSelector::builder().rotate(InputRotate::Auto).build())
        .timecode_source(InputTimecodeSource::Zerobased);
    if has_audio {
        input = input.audio_selectors(
            AUDIO_SELECTOR,
            AudioSelector::builder()
                .default_selection(AudioDefaultSelection::Default)
                .build(),
        );
    }

    let segment = int(ladder.segment_secs.max(1));
    let mut outputs: Vec<Output> = ladder
        .rungs
        .iter()
        .map(|r| video_output(r, ladder))
        .collect();
    if has_audio {
        outputs.push(audio_output());
    }
    let cmaf = OutputGroup::builder()
        .name("HLS")
        .output_group_settings(
            OutputGroupSettings::builder()
                .r#type(OutputGroupType::CmafGroupSettings)
                .cmaf_group_settings(
                    CmafGroupSettings::builder()
                        .destination(format!("s3://{media_bucket}/{}{MASTER_NAME}", job.prefix))
                        .segment_length(segment)
                        .fragment_length(segment)
                        .write_hls_manifest(CmafWriteHlsManifest::Enabled)
                        .build(),
                )
                .build(),
        )
        .set_outputs(Some(outputs))
        .build();

    let (num, den) = poster_rate(ladder);
    let poster = OutputGroup::builder()
        .name("Poster")
        .output_group_settings(
            OutputGroupSettings::builder()
                .r#type(OutputGroupType::FileGroupSettings)
                .file_group_settings(
                    FileGroupSettings::builder()
                        .destination(format!("s3://{media_bucket}/{}{POSTER_NAME}", job.prefix))
                        .build(),
                )
                .build(),
        )
        .outputs(
            Output::builder()
                .container_settings(
                    ContainerSettings::builder()
                        .container(ContainerType::Raw)
                        .build(),
                )
                .video_description(
                    VideoDescription::builder()
                        .width(int(ladder.poster.0))
                        .height(int(ladder.poster.1))
                        .codec_settings(
                            VideoCodecSettings::builder()
                                .codec(VideoCodec::FrameCapture)
                                .frame_capture_settings(
                                    FrameCaptureSettings::builder()
                                        .framerate_numerator(num)
                                        .framerate_denominator(den)
                                        .max_captures(1)
                                        .quality(POSTER_QUALITY)
                                        .build(),
                                )
                                .build(),
                        )
                        .build(),
                )
                .build(),
        )
        .build();

    JobSettings::builder()
        .inputs(input.build())
        .output_groups(cmaf)
        .output_groups(poster)
        .build()
}

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
pub async fn finish_job<R: MediaRecords>(
    h: &Handler<R>,
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
        let pointer = format!("media/{}/{MANIFEST}", record.item_id);
        put_json(h, &format!("{prefix}{MANIFEST}"), &body, true).await?;
        put_json(h, &pointer, &body, false).await?;
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
    }
    Ok(())
}

async fn put_json<R>(h: &Handler<R>, key: &str, body: &[u8], immutable: bool) -> Result<(), Error> {
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
