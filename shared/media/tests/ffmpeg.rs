//! The FFmpeg backend on real video: one process, every rung, playable output.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use reelcart_domain::video::{Limits, Orientation, RejectCode, plan};
use reelcart_media::ffmpeg::Ffmpeg;
use reelcart_media::samples::{Sample, corrupt, generate};
use reelcart_media::{EncodeJob, Encoded, Encoder, MediaError};
use std::path::Path;

/// An output (an HLS playlist, the preview) probed as a player would: the source probe reads
/// only the accepted source containers, which HLS is not.
fn probe_output(path: &Path) -> reelcart_domain::video::Probe {
    let out = std::process::Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-print_format",
            "json",
            "-show_format",
            "-show_streams",
        ])
        .arg(path)
        .output()
        .unwrap();
    reelcart_domain::video::Probe::parse(&out.stdout).unwrap()
}

fn ffprobe_size(path: &Path) -> (u32, u32) {
    let p = probe_output(path);
    (p.display_width, p.display_height)
}

/// A still's size (the probe refuses stills as videos, rightly).
fn image_size(path: &Path) -> (u32, u32) {
    let out = std::process::Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-show_entries",
            "stream=width,height",
            "-of",
            "csv=p=0",
        ])
        .arg(path)
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let (w, h) = text.trim().split_once(',').unwrap();
    (w.parse().unwrap(), h.parse().unwrap())
}

#[tokio::test]
async fn a_portrait_clip_becomes_a_playable_ladder() {
    let ff = Ffmpeg::default();
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("in.mp4");
    generate(&ff.ffmpeg, Sample::new(1080, 1920, 5.0), &src)
        .await
        .unwrap();
    let probe = ff.probe(&src).await.unwrap();
    probe.check(&Limits::default()).unwrap();
    let ladder = plan(&probe);
    assert_eq!(ladder.orientation, Orientation::Vertical);
    let work = dir.path().join("work");
    let job = EncodeJob {
        item_id: "item-1",
        input: &src,
        source_uri: "s3://raw/in.mp4",
        probe: &probe,
        ladder: &ladder,
        prefix: "media/item-1/abc-v1/",
        public_base: "https://cdn.example",
        work_dir: &work,
        now: 1_700_000_000,
    };
    let Encoded::Ready {
        dir: out,
        files,
        manifest,
        ..
    } = ff.encode(&job).await.unwrap()
    else {
        panic!("ffmpeg is synchronous");
    };
    // The master playlist and every variant are readable, at the planned sizes.
    let master = out.join("master.m3u8");
    let text = std::fs::read_to_string(&master).unwrap();
    assert!(text.contains("CODECS=\"avc1.640028,mp4a.40.2\""), "{text}");
    for (i, rung) in ladder.rungs.iter().enumerate() {
        let size = ffprobe_size(&out.join(format!("v{i}/index.m3u8")));
        assert_eq!(size, (rung.width, rung.height));
    }
    let p = probe_output(&master);
    assert!(p.has_audio);
    assert_eq!(image_size(&out.join("poster.jpg")), (720, 1280));
    let preview = probe_output(&out.join("preview.mp4"));
    assert!(!preview.has_audio);
    assert!(preview.duration_secs <= 3.05, "{}", preview.duration_secs);
    assert_eq!((preview.display_width, preview.display_height), (360, 640));
    assert_eq!(manifest.renditions.len(), 4);
    assert_eq!(manifest.aspect_ratio, "9:16");
    assert_eq!(
        manifest.master,
        "https://cdn.example/media/item-1/abc-v1/master.m3u8"
    );
    assert!(
        manifest
            .renditions
            .iter()
            .all(|r| r.bandwidth >= r.average_bandwidth)
    );
    assert!(
        files
            .iter()
            .any(|f| f.relative == "v0/init_0.mp4" && f.content_type == "video/mp4")
    );
    assert!(files.iter().any(|f| f.relative == "media_manifest.json"));
    assert!(
        files
            .iter()
            .filter(|f| f.relative.ends_with(".m4s"))
            .count()
            >= 4 * 3
    );
}

#[tokio::test]
async fn what_ffprobe_cannot_read_is_refused_as_corrupt() {
    let ff = Ffmpeg::default();
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("in.mp4");
    generate(&ff.ffmpeg, Sample::new(640, 360, 2.0), &src)
        .await
        .unwrap();
    let bad = dir.path().join("bad.mp4");
    std::fs::write(&bad, corrupt(&std::fs::read(&src).unwrap())).unwrap();
    match ff.probe(&bad).await {
        Err(MediaError::Rejected(r)) => {
            assert_eq!(r.code, RejectCode::Corrupt, "{r}");
            // The reason names no scratch path.
            assert!(!r.message.contains(&*bad.to_string_lossy()), "{r}");
        }
        other => panic!("{other:?}"),
    }
    let text = dir.path().join("notes.mp4");
    std::fs::write(&text, b"just some text, not a video").unwrap();
    assert!(matches!(
        ff.probe(&text).await,
        Err(MediaError::Rejected(_))
    ));
    // A playlist or a concat list is not a source: FFmpeg is not let near what they name — here
    // a real video elsewhere on the machine, which an unguarded ffprobe reads through them.
    let elsewhere = src.display().to_string();
    for (name, body) in [
        (
            "index.mp4",
            format!(
                "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\nfile://{elsewhere}\n#EXT-X-ENDLIST\n"
            ),
        ),
        (
            "list.mp4",
            format!("ffconcat version 1.0\nfile 'file:{elsewhere}'\n"),
        ),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, body).unwrap();
        match ff.probe(&path).await {
            Err(MediaError::Rejected(r)) => assert_eq!(r.code, RejectCode::Corrupt, "{r}"),
            other => panic!("{name}: {other:?}"),
        }
    }
    // The same source probes fine.
    assert!(ff.probe(&src).await.is_ok());
}

#[tokio::test]
async fn rotated_samples_carry_a_display_matrix() {
    let ff = Ffmpeg::default();
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("rotated.mp4");
    let sample = Sample {
        rotate_90: true,
        ..Sample::new(640, 360, 1.0)
    };
    generate(&ff.ffmpeg, sample, &src).await.unwrap();
    let p = ff.probe(&src).await.unwrap();
    assert_eq!(p.rotation, 90, "{p:?}");
    assert_eq!((p.display_width, p.display_height), (360, 640));
}

#[test]
fn the_filter_graph_cascades_from_rung_to_rung() {
    let p = reelcart_domain::video::Probe::parse(
        br#"{"streams":[{"codec_type":"video","codec_name":"h264","width":1080,"height":1920,
        "avg_frame_rate":"30/1","r_frame_rate":"30/1"}],"format":{"format_name":"mov","duration":"10"}}"#,
    )
    .unwrap();
    let g = reelcart_media::ffmpeg::ladder_graph(&plan(&p));
    assert_eq!(
        g,
        "[0:v:0]fps=30/1,format=yuv420p[c];\
         [c]scale=1080:1920:flags=bicubic,setsar=1,split=2[v0][c0];\
         [c0]scale=720:1280:flags=bicubic,setsar=1,split=2[v1][c1];\
         [c1]scale=540:960:flags=bicubic,setsar=1,split=2[v2][c2];\
         [c2]scale=360:640:flags=bicubic,setsar=1[v3]"
    );
}
