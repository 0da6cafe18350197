//! The MediaConvert backend: the job it builds, the request on the wire (against a stub
//! endpoint), the job-state events it reads and how it finishes an item.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use aws_sdk_mediaconvert::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_mediaconvert::types::{
    ContainerType, H264CodecLevel, InputRotate, JobSettings, Output, VideoCodec,
};
use reelcart_domain::FixedClock;
use reelcart_domain::video::{
    Ladder, Limits, MediaRecord, MediaStatus, Probe, RejectCode, SourceRef, plan,
};
use reelcart_media::ffmpeg::Ffmpeg;
use reelcart_media::{EncodeJob, Encoded};
use reelcart_ports::MediaRecords;
use reelcart_ports::memory::{MemoryContent, MemoryMediaRecords, MemoryMediaVisibility};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use transcoder::mediaconvert::{
    AUDIO_SELECTOR, Completed, JobEvent, MediaConvert, job_settings, manifest_for, s3_key,
};
use transcoder::{Backend, Config, Error, Handler};
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, MockServer, ResponseTemplate};

const BUCKET: &str = "media-bucket";
const PREFIX: &str = "media/item1/0123456789abcdef-v1/";
const SOURCE: &str = "s3://raw-bucket/uploads/item1.mp4";
const JOB_ID: &str = "1700000000000-abc123";

/// A report shaped as ffprobe prints it.
fn probe(w: u32, h: u32, audio: bool) -> Probe {
    let mut streams = vec![json!({
        "index": 0, "codec_name": "h264", "codec_type": "video", "width": w, "height": h,
        "sample_aspect_ratio": "1:1", "r_frame_rate": "30/1", "avg_frame_rate": "30/1",
        "duration": "12.000000", "nb_frames": "360", "disposition": {"attached_pic": 0}
    })];
    if audio {
        streams.push(json!({"index": 1, "codec_name": "aac", "codec_type": "audio"}));
    }
    let report = json!({
        "streams": streams,
        "format": {"format_name": "mov,mp4,m4a,3gp,3g2,mj2", "duration": "12.000000",
                   "size": "1000000", "bit_rate": "666666"}
    });
    Probe::parse(&serde_json::to_vec(&report).unwrap()).unwrap()
}

fn job<'a>(probe: &'a Probe, ladder: &'a Ladder) -> EncodeJob<'a> {
    EncodeJob {
        item_id: "item1",
        input: Path::new("/tmp/none"),
        source_uri: SOURCE,
        probe,
        ladder,
        prefix: PREFIX,
        public_base: "https://cdn.example",
        work_dir: Path::new("/tmp"),
        now: 1_700_000_000,
    }
}

fn video_outputs(s: &JobSettings) -> Vec<&Output> {
    s.output_groups()[0]
        .outputs()
        .iter()
        .filter(|o| o.video_description().is_some())
        .collect()
}

#[test]
fn a_vertical_source_with_sound_becomes_four_rungs_an_audio_rendition_and_a_poster() {
    let p = probe(1080, 1920, true);
    let ladder = plan(&p);
    let s = job_settings(&job(&p, &ladder), BUCKET);

    let input = &s.inputs()[0];
    assert_eq!(input.file_input(), Some(SOURCE));
    assert_eq!(
        input.video_selector().and_then(|v| v.rotate()),
        Some(&InputRotate::Auto)
    );
    assert!(
        input
            .audio_selectors()
            .is_some_and(|a| a.contains_key(AUDIO_SELECTOR))
    );

    assert_eq!(s.output_groups().len(), 2);
    let cmaf = s.output_groups()[0]
        .output_group_settings()
        .and_then(|g| g.cmaf_group_settings())
        .unwrap();
    assert_eq!(
        cmaf.destination(),
        Some("s3://media-bucket/media/item1/0123456789abcdef-v1/master")
    );
    assert_eq!(cmaf.segment_length(), Some(2));
    assert_eq!(cmaf.fragment_length(), Some(2));

    let videos = video_outputs(&s);
    let got: Vec<(i32, i32, i32, i32, i32, String)> = videos
        .iter()
        .map(|o| {
            let v = o.video_description().unwrap();
            let h = v.codec_settings().unwrap().h264_settings().unwrap();
            (
                v.width().unwrap(),
                v.height().unwrap(),
                h.bitrate().unwrap(),
                h.max_bitrate().unwrap(),
                h.hrd_buffer_size().unwrap(),
                o.name_modifier().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (1080, 1920, 4_500_000, 4_950_000, 9_000_000, "_1080p".into()),
            (720, 1280, 2_500_000, 2_750_000, 5_000_000, "_720p".into()),
            (540, 960, 1_200_000, 1_320_000, 2_400_000, "_540p".into()),
            (360, 640, 600_000, 660_000, 1_200_000, "_360p".into()),
        ]
    );
    let top = videos[0]
        .video_description()
        .and_then(|v| v.codec_settings())
        .and_then(|c| c.h264_settings())
        .unwrap();
    assert_eq!(top.codec_level(), Some(&H264CodecLevel::Level4));
    assert_eq!(top.gop_size(), Some(2.0));
    assert_eq!(
        (top.framerate_numerator(), top.framerate_denominator()),
        (Some(30), Some(1))
    );
    for o in &videos {
        assert!(o.audio_descriptions().is_empty());
        assert_eq!(
            o.container_settings().and_then(|c| c.container()),
            Some(&ContainerType::Cmfc)
        );
    }

    let audio: Vec<&Output> = s.output_groups()[0]
        .outputs()
        .iter()
        .filter(|o| !o.audio_descriptions().is_empty())
        .collect();
    assert_eq!(audio.len(), 1);
    assert!(audio[0].video_description().is_none());
    assert_eq!(audio[0].name_modifier(), Some("_audio"));
    let aac = audio[0].audio_descriptions()[0]
        .codec_settings()
        .and_then(|c| c.aac_settings())
        .unwrap();
    assert_eq!(
        (aac.bitrate(), aac.sample_rate()),
        (Some(128_000), Some(48_000))
    );

    let poster_group = &s.output_groups()[1];
    assert_eq!(
        poster_group
            .output_group_settings()
            .and_then(|g| g.file_group_settings())
            .and_then(|f| f.destination()),
        Some("s3://media-bucket/media/item1/0123456789abcdef-v1/poster")
    );
    let poster = poster_group.outputs()[0].video_description().unwrap();
    assert_eq!((poster.width(), poster.height()), (Some(720), Some(1280)));
    let codec = poster.codec_settings().unwrap();
    assert_eq!(codec.codec(), Some(&VideoCodec::FrameCapture));
    let capture = codec.frame_capture_settings().unwrap();
    assert_eq!(
        (capture.max_captures(), capture.quality()),
        (Some(1), Some(80))
    );
    assert_eq!(
        (
            capture.framerate_numerator(),
            capture.framerate_denominator()
        ),
        (Some(1), Some(1))
    );
}

#[test]
fn a_silent_source_has_no_audio_selector_and_no_audio_output() {
    let p = probe(1080, 1920, false);
    let ladder = plan(&p);
    let s = job_settings(&job(&p, &ladder), BUCKET);
    assert!(s.inputs()[0].audio_selectors().is_none_or(|a| a.is_empty()));
    let outputs = s.output_groups()[0].outputs();
    assert_eq!(outputs.len(), 4);
    assert!(outputs.iter().all(|o| o.audio_descriptions().is_empty()));
}

fn mediaconvert(endpoint: &str) -> MediaConvert {
    let conf = aws_sdk_mediaconvert::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("test", "test", None, None, "test"))
        .endpoint_url(endpoint)
        .build();
    MediaConvert::new(
        aws_sdk_mediaconvert::Client::from_conf(conf),
        "arn:aws:iam::123456789012:role/mediaconvert",
        Some("arn:aws:mediaconvert:us-east-1:123456789012:queues/reelcart".into()),
        BUCKET,
    )
}

#[tokio::test]
async fn encode_submits_the_job_and_returns_its_id() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/2017-08-29/jobs"))
        .respond_with(
            ResponseTemplate::new(201)
                .set_body_json(json!({"job": {"id": JOB_ID, "status": "SUBMITTED"}})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let p = probe(1080, 1920, true);
    let ladder = plan(&p);
    let out = mediaconvert(&server.uri())
        .encode(&job(&p, &ladder))
        .await
        .unwrap();
    match out {
        Encoded::Submitted { job_id } => assert_eq!(job_id, JOB_ID),
        other => panic!("expected a submitted job, got {other:?}"),
    }

    let requests = server.received_requests().await.unwrap();
    let body: Value = serde_json::from_slice(&requests[0].body).unwrap();
    assert_eq!(body["role"], "arn:aws:iam::123456789012:role/mediaconvert");
    assert_eq!(
        body["queue"],
        "arn:aws:mediaconvert:us-east-1:123456789012:queues/reelcart"
    );
    assert_eq!(body["userMetadata"]["item_id"], "item1");
    assert_eq!(body["userMetadata"]["prefix"], PREFIX);
    assert_eq!(body["userMetadata"]["version"], "1");
    let settings = &body["settings"];
    assert_eq!(settings["inputs"][0]["fileInput"], SOURCE);
    assert_eq!(settings["inputs"][0]["videoSelector"]["rotate"], "AUTO");
    let groups = settings["outputGroups"].as_array().unwrap();
    let cmaf = groups
        .iter()
        .find(|g| g["outputGroupSettings"]["type"] == "CMAF_GROUP_SETTINGS")
        .unwrap();
    assert_eq!(
        cmaf["outputGroupSettings"]["cmafGroupSettings"]["destination"],
        format!("s3://{BUCKET}/{PREFIX}master")
    );
    let sizes: Vec<(u64, u64)> = cmaf["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|o| {
            let v = o.get("videoDescription")?;
            Some((v["width"].as_u64()?, v["height"].as_u64()?))
        })
        .collect();
    assert_eq!(
        sizes,
        vec![(1080, 1920), (720, 1280), (540, 960), (360, 640)]
    );
    let h264 = &cmaf["outputs"][0]["videoDescription"]["codecSettings"]["h264Settings"];
    assert_eq!(h264["rateControlMode"], "VBR");
    assert_eq!(h264["maxBitrate"], 4_950_000);
    assert_eq!(h264["codecProfile"], "HIGH");
}

#[tokio::test]
async fn a_failing_service_is_transient() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/2017-08-29/jobs"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({"message": "bad role"})))
        .mount(&server)
        .await;
    let p = probe(1080, 1920, true);
    let ladder = plan(&p);
    let err = mediaconvert(&server.uri())
        .encode(&job(&p, &ladder))
        .await
        .unwrap_err();
    assert!(
        matches!(err, reelcart_media::MediaError::Transient(_)),
        "{err:?}"
    );
}

fn event(status: &str, extra: Value) -> Value {
    let mut detail = json!({
        "timestamp": 1_700_000_000_000u64,
        "accountId": "123456789012",
        "queue": "arn:aws:mediaconvert:us-east-1:123456789012:queues/Default",
        "jobId": JOB_ID,
        "status": status,
        "userMetadata": {"item_id": "item1", "prefix": PREFIX, "version": "1"}
    });
    if let (Some(d), Some(e)) = (detail.as_object_mut(), extra.as_object()) {
        for (k, v) in e {
            d.insert(k.clone(), v.clone());
        }
    }
    json!({
        "version": "0",
        "id": "8f6a4e4c-0000-0000-0000-000000000000",
        "detail-type": "MediaConvert Job State Change",
        "source": "aws.mediaconvert",
        "account": "123456789012",
        "time": "2023-11-14T22:13:20Z",
        "region": "us-east-1",
        "resources": ["arn:aws:mediaconvert:us-east-1:123456789012:jobs/1700000000000-abc123"],
        "detail": detail
    })
}

fn complete() -> Value {
    event(
        "COMPLETE",
        json!({"outputGroupDetails": [
            {"outputDetails": [{"outputFilePaths": [format!("s3://{BUCKET}/{PREFIX}master_1080p.m3u8")],
                                "durationInMs": 12000,
                                "videoDetails": {"widthInPx": 1080, "heightInPx": 1920}}],
             "playlistFilePaths": [format!("s3://{BUCKET}/{PREFIX}master.m3u8")],
             "type": "CMAF_GROUP"},
            {"outputDetails": [{"outputFilePaths": [format!("s3://{BUCKET}/{PREFIX}poster.0000000.jpg")],
                                "durationInMs": 12000,
                                "videoDetails": {"widthInPx": 720, "heightInPx": 1280}}],
             "type": "FILE_GROUP"}
        ]}),
    )
}

#[test]
fn a_complete_event_names_the_master_and_the_poster() {
    let ev = JobEvent::parse(&complete()).unwrap();
    assert_eq!(ev.job_id, JOB_ID);
    assert_eq!(ev.status, "COMPLETE");
    assert_eq!(ev.item_id, "item1");
    assert_eq!(ev.prefix.as_deref(), Some(PREFIX));
    assert_eq!(ev.version, Some(1));
    assert_eq!(
        ev.master_uri.as_deref().and_then(s3_key),
        Some("media/item1/0123456789abcdef-v1/master.m3u8")
    );
    assert_eq!(
        ev.poster_uri.as_deref().and_then(s3_key),
        Some("media/item1/0123456789abcdef-v1/poster.0000000.jpg")
    );
    assert_eq!(ev.duration_ms, Some(12_000));
    assert_eq!(ev.error_code, None);
}

#[test]
fn an_error_event_carries_the_code_and_message() {
    let ev = JobEvent::parse(&event(
        "ERROR",
        json!({"errorCode": 1030, "errorMessage": "Unable to open input file"}),
    ))
    .unwrap();
    assert_eq!(ev.status, "ERROR");
    assert_eq!(ev.error_code.as_deref(), Some("1030"));
    assert_eq!(
        ev.error_message.as_deref(),
        Some("Unable to open input file")
    );
}

#[test]
fn other_events_are_malformed() {
    let mut other = complete();
    other["source"] = json!("aws.s3");
    assert!(matches!(JobEvent::parse(&other), Err(Error::Malformed(_))));
    assert!(matches!(
        JobEvent::parse(&json!({"hello": "world"})),
        Err(Error::Malformed(_))
    ));
    let mut no_item = complete();
    no_item["detail"]["userMetadata"] = json!({});
    assert!(matches!(
        JobEvent::parse(&no_item),
        Err(Error::Malformed(_))
    ));
}

#[test]
fn the_manifest_follows_the_planned_ladder() {
    let p = probe(1080, 1920, true);
    let ladder = plan(&p);
    let m = manifest_for(
        &ladder,
        &Completed {
            item_id: "item1",
            version: 1,
            prefix: PREFIX,
            poster_key: "media/item1/0123456789abcdef-v1/poster.0000000.jpg",
            duration_secs: 12.0,
            has_audio: true,
        },
        "https://cdn.example",
        1_700_000_100,
    );
    assert_eq!(
        m.master,
        "https://cdn.example/media/item1/0123456789abcdef-v1/master.m3u8"
    );
    assert_eq!(
        m.poster,
        "https://cdn.example/media/item1/0123456789abcdef-v1/poster.0000000.jpg"
    );
    assert_eq!(m.preview, None);
    assert_eq!(m.aspect_ratio, "9:16");
    assert_eq!((m.width, m.height), (1080, 1920));
    assert_eq!(m.renditions.len(), 4);
    assert_eq!(m.renditions[0].bandwidth, 4_950_000 + 128_000);
    assert_eq!(m.renditions[0].average_bandwidth, 4_500_000 + 128_000);
    assert_eq!(
        m.renditions[0].playlist,
        "https://cdn.example/media/item1/0123456789abcdef-v1/master_1080p.m3u8"
    );
    assert_eq!(m.renditions[0].codecs, "avc1.640028,mp4a.40.2");
    assert_eq!(m.start_rendition, 2);
}

fn submitted(probe: &Probe) -> MediaRecord {
    MediaRecord {
        item_id: "item1".into(),
        status: MediaStatus::Submitted,
        source: SourceRef {
            bucket: "raw-bucket".into(),
            key: "uploads/item1.mp4".into(),
            etag: "\"etag\"".into(),
        },
        attempts: 1,
        lease_until: Some(1_700_010_000),
        probe: Some(probe.clone()),
        ladder: Some(plan(probe)),
        manifest: None,
        manifest_key: None,
        failure: None,
        job_id: Some(JOB_ID.into()),
        timings_ms: BTreeMap::new(),
        updated_at: 1_700_000_000,
    }
}

async fn handler(
    server: &MockServer,
    records: MemoryMediaRecords,
) -> Handler<MemoryMediaRecords, MemoryContent, MemoryMediaVisibility> {
    let s3 = aws_sdk_s3::Config::builder()
        .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
        .region(aws_sdk_s3::config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_s3::config::Credentials::new(
            "test", "test", None, None, "test",
        ))
        .endpoint_url(server.uri())
        .force_path_style(true)
        .build();
    Handler {
        config: Config {
            raw_bucket: None,
            media_bucket: BUCKET.into(),
            media_base_url: "https://cdn.example".into(),
            work_dir: std::env::temp_dir(),
            limits: Limits::default(),
            max_source_bytes: 1 << 30,
            lease_secs: 900,
            submitted_lease_secs: 4 * 3600,
            upload_concurrency: 4,
            max_attempts: 2,
        },
        s3: aws_sdk_s3::Client::from_conf(s3),
        records,
        items: MemoryContent::default(),
        visibility: MemoryMediaVisibility::default(),
        backend: Backend::MediaConvert(mediaconvert(&server.uri())),
        ffmpeg: Ffmpeg::from_vars(|_| None),
        clock: Arc::new(FixedClock::at(1_700_000_500)),
    }
}

#[tokio::test]
async fn complete_publishes_the_manifest_and_records_transcoded() {
    let server = MockServer::start().await;
    Mock::given(method("PUT"))
        .and(path_regex(
            r"^/media-bucket/media/item1/.*media_manifest\.json$",
        ))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    let p = probe(1080, 1920, true);
    let records = MemoryMediaRecords::default();
    records.begin(&submitted(&p), 1_700_000_000).await.unwrap();
    let h = handler(&server, records).await;

    h.handle_job_event(&complete()).await.unwrap();

    let r = h.records.get("item1").await.unwrap().unwrap();
    assert_eq!(r.status, MediaStatus::Transcoded);
    assert_eq!(r.lease_until, None);
    assert_eq!(
        r.manifest_key.as_deref(),
        Some(format!("{PREFIX}media_manifest.json").as_str())
    );
    let m = r.manifest.unwrap();
    assert_eq!(m.preview, None);
    assert!(m.poster.ends_with("poster.0000000.jpg"));

    let puts = server.received_requests().await.unwrap();
    let mut seen: Vec<(String, String)> = puts
        .iter()
        .map(|req| {
            let cc = req
                .headers
                .get("cache-control")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_string();
            (req.url.path().to_string(), cc)
        })
        .collect();
    seen.sort();
    assert_eq!(
        seen,
        vec![
            // Beside its files only: nothing at a fixed address of the item.
            (
                format!("/{BUCKET}/{PREFIX}media_manifest.json"),
                "public, max-age=31536000, immutable".to_string()
            ),
        ]
    );
}

#[tokio::test]
async fn error_records_failed_with_the_reason() {
    let server = MockServer::start().await;
    let p = probe(1080, 1920, true);
    let records = MemoryMediaRecords::default();
    records.begin(&submitted(&p), 1_700_000_000).await.unwrap();
    let h = handler(&server, records).await;

    h.handle_job_event(&event(
        "ERROR",
        json!({"errorCode": 1030, "errorMessage": "Unable to open input file"}),
    ))
    .await
    .unwrap();

    let r = h.records.get("item1").await.unwrap().unwrap();
    assert_eq!(r.status, MediaStatus::Failed);
    assert_eq!(r.lease_until, None);
    let failure = r.failure.unwrap();
    assert_eq!(failure.code, RejectCode::Corrupt);
    assert!(failure.message.contains("1030"));
    assert!(failure.message.contains("Unable to open input file"));
}

#[tokio::test]
async fn events_for_another_job_or_progress_change_nothing() {
    let server = MockServer::start().await;
    let p = probe(1080, 1920, true);
    let records = MemoryMediaRecords::default();
    let mut record = submitted(&p);
    record.job_id = Some("another-job".into());
    records.begin(&record, 1_700_000_000).await.unwrap();
    let h = handler(&server, records).await;

    h.handle_job_event(&complete()).await.unwrap();
    h.handle_job_event(&event("PROGRESSING", json!({})))
        .await
        .unwrap();

    assert_eq!(h.records.get("item1").await.unwrap().unwrap(), record);
    assert!(server.received_requests().await.unwrap().is_empty());
}

/// A source whose attempts all failed without a verdict (timed out, out of memory) is refused
/// with a reason on the next delivery, before anything is downloaded: no retry loop.
#[tokio::test]
async fn a_source_that_never_finishes_is_refused_after_its_attempts() {
    let server = MockServer::start().await;
    Mock::given(method("HEAD"))
        .and(path_regex(r"^/raw-bucket/uploads/item1\.mp4$"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("etag", "\"etag\"")
                .insert_header("content-length", "1000"),
        )
        .mount(&server)
        .await;
    // Nothing is read: a GET would fail the test.
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(500))
        .expect(0)
        .mount(&server)
        .await;
    let records = MemoryMediaRecords::default();
    let mut stuck = submitted(&probe(1080, 1920, true));
    stuck.status = MediaStatus::Transcoding;
    stuck.attempts = 2;
    stuck.job_id = None;
    // Its last attempt began at 1_699_999_100 and never gave its lease back (timed out).
    stuck.updated_at = 1_699_999_100;
    stuck.lease_until = Some(1_700_000_000);
    records.begin(&stuck, 1_699_999_100).await.unwrap();
    let h = handler(&server, records).await;
    let req = transcoder::TranscodeRequest {
        item_id: "item1".into(),
        bucket: "raw-bucket".into(),
        key: "uploads/item1.mp4".into(),
    };
    let out = h.transcode(&req).await.unwrap();
    let r = h.records.get("item1").await.unwrap().unwrap();
    assert_eq!(r.status, MediaStatus::Failed, "{out:?}");
    assert_eq!(r.failure.unwrap().code, RejectCode::Unprocessable);
    assert_eq!(r.attempts, 3);
}
