//! The video pipeline on the local stack: real clips (FFmpeg), the transcode queue, the
//! transcoder's handler, the media bucket behind the stack's CDN route, the media records.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use aws_sdk_s3::primitives::ByteStream;
use reelcart_aws::DynamoMediaRecords;
use reelcart_domain::video::{MediaRecord, MediaStatus, Orientation, RejectCode};
use reelcart_e2e::*;
use reelcart_media::samples::{Sample, corrupt, generate};
use reelcart_ports::MediaRecords;
use std::path::Path;
use std::time::Duration;

/// Width and height ffprobe reads from a URL (a playlist: it follows it to the segments).
fn probe_url(url: &str) -> (u32, u32, bool) {
    let out = std::process::Command::new("ffprobe")
        .args(["-v", "error", "-print_format", "json", "-show_streams", url])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "ffprobe {url}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let streams = v["streams"].as_array().unwrap();
    let video = streams.iter().find(|s| s["codec_type"] == "video").unwrap();
    let audio = streams.iter().any(|s| s["codec_type"] == "audio");
    (
        video["width"].as_u64().unwrap() as u32,
        video["height"].as_u64().unwrap() as u32,
        audio,
    )
}

fn sizes(r: &MediaRecord) -> Vec<String> {
    r.manifest
        .as_ref()
        .unwrap()
        .renditions
        .iter()
        .map(|x| format!("{}x{}", x.width, x.height))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_kind_of_clip_becomes_a_ladder_or_a_reason() {
    let stack = start_stack().await;
    let s3 = reelcart_aws::s3_client(&stack.emulator.sdk, true);
    let sqs = aws_sdk_sqs::Client::new(&stack.emulator.sdk);
    let raw = stack.physical("RawMediaBucket").unwrap().to_string();
    let queue = stack.names.resources["TranscodeQueue"].attributes["QueueUrl"].clone();
    let records = DynamoMediaRecords::new(
        aws_sdk_dynamodb::Client::new(&stack.emulator.sdk),
        stack.physical("ContentTable").unwrap(),
    );
    let dir = tempfile::tempdir().unwrap();
    let ffmpeg = Path::new("ffmpeg");
    let clips = [
        ("portrait", Sample::new(1080, 1920, 6.0)),
        ("landscape", Sample::new(1280, 720, 4.0)),
        (
            "rotated",
            Sample {
                rotate_90: true,
                ..Sample::new(1280, 720, 4.0)
            },
        ),
        (
            "silent",
            Sample {
                audio: false,
                ..Sample::new(720, 1280, 4.0)
            },
        ),
        ("short", Sample::new(540, 960, 5.0)),
    ];
    let jobs = clips.iter().map(|(name, sample)| {
        let path = dir.path().join(format!("{name}.mp4"));
        async move {
            generate(ffmpeg, *sample, &path).await.unwrap();
            (name.to_string(), std::fs::read(&path).unwrap())
        }
    });
    let mut files: Vec<(String, Vec<u8>)> = futures::future::join_all(jobs).await;
    let bad = corrupt(&files[4].1);
    files.push(("corrupt".into(), bad));
    // An upload that is a playlist (or a concat list) naming files of the machine and a URL:
    // FFmpeg reads only the uploaded file, and only as one of the accepted containers.
    files.push((
        "playlist".into(),
        b"#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\nfile:///etc/hostname\n#EXTINF:2,\nhttp://169.254.169.254/latest/meta-data/\n#EXT-X-ENDLIST\n".to_vec(),
    ));
    files.push((
        "concat".into(),
        b"ffconcat version 1.0\nfile /etc/hostname\n".to_vec(),
    ));

    let send = |item: String| {
        let (sqs, queue, raw) = (sqs.clone(), queue.clone(), raw.clone());
        async move {
            let body = serde_json::json!({"item_id": item, "bucket": raw, "key": format!("uploads/{item}/clip.mp4")});
            sqs.send_message()
                .queue_url(queue)
                .message_body(body.to_string())
                .send()
                .await
                .unwrap();
        }
    };
    for (name, bytes) in &files {
        s3.put_object()
            .bucket(&raw)
            .key(format!("uploads/{name}/clip.mp4"))
            .content_type("video/mp4")
            .body(ByteStream::from(bytes.clone()))
            .send()
            .await
            .unwrap();
        send(name.clone()).await;
    }

    let mut done = std::collections::HashMap::new();
    for (name, _) in &files {
        let r =
            eventually(
                Duration::from_secs(240),
                &format!("{name} settled"),
                || async {
                    records.get(name).await.unwrap().filter(|r| {
                        matches!(r.status, MediaStatus::Transcoded | MediaStatus::Failed)
                    })
                },
            )
            .await;
        done.insert(name.clone(), r);
    }

    // Ladders on the displayed picture, nothing upscaled.
    let portrait = &done["portrait"];
    assert_eq!(
        portrait.status,
        MediaStatus::Transcoded,
        "{:?}",
        portrait.failure
    );
    assert_eq!(
        sizes(portrait),
        ["1080x1920", "720x1280", "540x960", "360x640"]
    );
    assert_eq!(
        sizes(&done["landscape"]),
        ["1280x720", "960x540", "640x360"]
    );
    let rotated = &done["rotated"];
    assert_eq!(
        rotated.probe.as_ref().unwrap().rotation,
        90,
        "{:?}",
        rotated.probe
    );
    assert_eq!(sizes(rotated), ["720x1280", "540x960", "360x640"]);
    assert_eq!(
        rotated.manifest.as_ref().unwrap().orientation,
        Orientation::Vertical
    );
    let silent = done["silent"].manifest.as_ref().unwrap();
    assert!(!silent.has_audio);
    assert!(silent.renditions.iter().all(|r| !r.codecs.contains("mp4a")));
    let short = done["short"].manifest.as_ref().unwrap();
    assert!(
        (short.duration_secs - 5.0).abs() < 0.2,
        "{}",
        short.duration_secs
    );
    assert_eq!(sizes(&done["short"]), ["540x960", "360x640"]);

    // The corrupt file is refused with a reason.
    let bad = &done["corrupt"];
    assert_eq!(bad.status, MediaStatus::Failed);
    let reason = bad.failure.as_ref().unwrap();
    assert_eq!(reason.code, RejectCode::Corrupt);
    assert!(!reason.message.is_empty());
    for name in ["playlist", "concat"] {
        let r = &done[name];
        assert_eq!(r.status, MediaStatus::Failed, "{name}");
        let reason = r.failure.as_ref().unwrap();
        assert_eq!(reason.code, RejectCode::Corrupt, "{name}: {reason:?}");
        assert!(!reason.message.contains("/etc/hostname"), "{reason:?}");
    }

    // Private until published: none of these items is, so the CDN refuses every file of theirs
    // (the bucket policy lets CloudFront read only files tagged public).
    let http = reqwest::Client::new();
    for name in ["portrait", "landscape", "rotated", "silent", "short"] {
        let m = done[name].manifest.as_ref().unwrap();
        let segment = m.master.replace("master.m3u8", "v0/seg_000.m4s");
        for url in [&m.master, &m.poster, m.preview.as_ref().unwrap(), &segment] {
            let resp = http.get(url.as_str()).send().await.unwrap();
            assert_eq!(resp.status(), 403, "{url} is served before publishing");
        }
    }
    // Publishing opens an item's media (what `publish_item` does before and after the move).
    let visibility =
        reelcart_aws::S3MediaVisibility::new(s3.clone(), stack.physical("MediaBucket").unwrap());
    for name in ["portrait", "landscape", "rotated", "silent", "short"] {
        let files = reelcart_ports::MediaVisibility::set(&visibility, name, true)
            .await
            .unwrap();
        assert!(files > 8, "{name}: {files} files opened");
    }

    // Playable through the CDN: ffprobe reads the master playlist and every variant.
    for name in ["portrait", "landscape", "rotated", "silent", "short"] {
        let m = done[name].manifest.as_ref().unwrap();
        let (w, h, audio) = probe_url(&m.master);
        assert!(m.renditions.iter().any(|r| (r.width, r.height) == (w, h)));
        assert_eq!(audio, m.has_audio, "{name}");
        for r in &m.renditions {
            let (w, h, _) = probe_url(&r.playlist);
            assert_eq!((w, h), (r.width, r.height), "{name} {}", r.name);
        }
        let master = http.get(&m.master).send().await.unwrap();
        assert_eq!(
            master.headers()["content-type"],
            "application/vnd.apple.mpegurl"
        );
        let text = master.text().await.unwrap();
        assert_eq!(
            text.matches("#EXT-X-STREAM-INF").count(),
            m.renditions.len()
        );
        assert!(
            text.contains("CODECS=") && text.contains("RESOLUTION=") && text.contains("BANDWIDTH=")
        );
        for still in [&m.poster, m.preview.as_ref().unwrap()] {
            let resp = http.get(still.as_str()).send().await.unwrap();
            assert_eq!(resp.status(), 200, "{still}");
            assert!(
                resp.headers()["cache-control"]
                    .to_str()
                    .unwrap()
                    .contains("immutable")
            );
        }
    }
    let m = portrait.manifest.as_ref().unwrap();
    assert_eq!(m.aspect_ratio, "9:16");
    assert!(m.preview.as_ref().unwrap().ends_with("preview.mp4"));
    let seg = m.master.replace("master.m3u8", "v0/seg_000.m4s");
    let resp = http.get(&seg).send().await.unwrap();
    assert_eq!(resp.headers()["content-type"], "video/iso.segment");
    assert!(
        resp.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("max-age=31536000")
    );
    // The manifest is beside its files, under a name no one can work out from the item or its
    // source; nothing is at an address of the item's own.
    let base = m.master.split("/media/").next().unwrap();
    let manifest_key = portrait.manifest_key.as_deref().unwrap();
    assert!(
        m.master
            .contains(manifest_key.trim_end_matches("media_manifest.json"))
    );
    let hidden = manifest_key
        .trim_start_matches("media/portrait/")
        .split('-')
        .next()
        .unwrap();
    assert!(hidden.len() >= 32, "{manifest_key}");
    let served: reelcart_domain::video::MediaManifest = http
        .get(format!("{base}/{manifest_key}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(&served, m);
    let guessed = http
        .get(format!("{base}/media/portrait/media_manifest.json"))
        .send()
        .await
        .unwrap();
    // CloudFront may not list the bucket: S3 answers it 403 for a key that is not there.
    assert_eq!(guessed.status().as_u16(), 403);

    // Redelivery: nothing encoded again, nothing rewritten.
    let media = stack.physical("MediaBucket").unwrap().to_string();
    let listing = |s3: aws_sdk_s3::Client, media: String| async move {
        let out = s3
            .list_objects_v2()
            .bucket(media)
            .prefix("media/portrait/")
            .send()
            .await
            .unwrap();
        let mut v: Vec<(String, String)> = out
            .contents()
            .iter()
            .map(|o| {
                (
                    o.key().unwrap().to_string(),
                    o.e_tag().unwrap_or_default().to_string(),
                )
            })
            .collect();
        v.sort();
        (
            v,
            out.contents()
                .iter()
                .filter_map(|o| o.last_modified().cloned())
                .max(),
        )
    };
    let before = listing(s3.clone(), media.clone()).await;
    send("portrait".into()).await;
    send("corrupt".into()).await;
    eventually(Duration::from_secs(60), "redeliveries consumed", || async {
        (queue_depth(&stack, "TranscodeQueue").await == 0).then_some(())
    })
    .await;
    let after_portrait = records.get("portrait").await.unwrap().unwrap();
    assert_eq!(after_portrait.attempts, 1);
    assert_eq!(after_portrait.updated_at, portrait.updated_at);
    assert_eq!(records.get("corrupt").await.unwrap().unwrap().attempts, 1);
    assert_eq!(listing(s3.clone(), media.clone()).await, before);
    assert_eq!(drain(&stack, "TranscodeDLQ").await.len(), 0);

    // A source outside the raw media bucket is refused (and kept in the DLQ), never read.
    let body = serde_json::json!({"item_id": "elsewhere", "bucket": media, "key": manifest_key});
    sqs.send_message()
        .queue_url(&queue)
        .message_body(body.to_string())
        .send()
        .await
        .unwrap();
    let dead = eventually(
        Duration::from_secs(60),
        "refused message in the DLQ",
        || async {
            let d = drain(&stack, "TranscodeDLQ").await;
            (!d.is_empty()).then_some(d)
        },
    )
    .await;
    assert!(dead[0].contains("elsewhere"));
    assert!(records.get("elsewhere").await.unwrap().is_none());
}
