//! The MediaConvert backend: `encode` submits a job that writes the ladder (CMAF, HLS manifests)
//! and the poster straight to the media bucket, and returns its id; MediaConvert's
//! `Job State Change` event (EventBridge) later finishes the item ([`finish_job`]): the media
//! manifest is written from the record's planned ladder and the outputs the event names.
//!
//! MediaConvert mode makes no preview loop: the manifest's `preview` is `None`.

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
use reelcart_domain::video::{Ladder, PIPELINE_VERSION, Rung};
use reelcart_lambda::config::{ConfigError, Vars};
use reelcart_media::{EncodeJob, Encoded, MediaError};

mod completion;
pub use completion::{Completed, JobEvent, finish_job, manifest_for, s3_key};

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
