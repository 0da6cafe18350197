use super::hls::{Variant, master_playlist, measure, parse_media_playlist, start_rung};
use super::ladder::{FrameRate, h264_level};
use super::manifest::aspect_label;
use super::*;
use proptest::prelude::*;
use serde_json::json;

/// A report shaped as ffprobe 5.1 prints it.
fn report(w: u32, h: u32, extra: serde_json::Value, audio: bool) -> Vec<u8> {
    let mut video = json!({
        "index": 0, "codec_name": "h264", "codec_type": "video", "width": w, "height": h,
        "sample_aspect_ratio": "1:1", "r_frame_rate": "30/1", "avg_frame_rate": "30/1",
        "duration": "12.000000", "nb_frames": "360", "disposition": {"attached_pic": 0}
    });
    if let (Some(v), Some(e)) = (video.as_object_mut(), extra.as_object()) {
        for (k, x) in e {
            v.insert(k.clone(), x.clone());
        }
    }
    let mut streams = vec![video];
    if audio {
        streams.push(json!({"index": 1, "codec_name": "aac", "codec_type": "audio"}));
    }
    serde_json::to_vec(&json!({
        "streams": streams,
        "format": {"format_name": "mov,mp4,m4a,3gp,3g2,mj2", "duration": "12.000000",
                   "size": "1000000", "bit_rate": "666666"}
    }))
    .unwrap()
}

fn probe(w: u32, h: u32) -> Probe {
    Probe::parse(&report(w, h, json!({}), true)).unwrap()
}

#[test]
fn portrait_with_audio() {
    let p = probe(1080, 1920);
    assert_eq!((p.display_width, p.display_height), (1080, 1920));
    assert_eq!(p.rotation, 0);
    assert!(p.has_audio);
    assert_eq!(p.audio_codec.as_deref(), Some("aac"));
    assert!((p.duration_secs - 12.0).abs() < 1e-9);
    assert!(!p.variable_frame_rate);
}

#[test]
fn rotation_from_the_display_matrix_swaps_the_displayed_sides() {
    for rotation in [90.0, -90.0, 270.0] {
        let p = Probe::parse(&report(
            1920,
            1080,
            json!({"side_data_list": [{"side_data_type": "Display Matrix", "rotation": rotation}]}),
            true,
        ))
        .unwrap();
        assert_eq!(
            (p.display_width, p.display_height),
            (1080, 1920),
            "{rotation}"
        );
        assert_eq!(plan(&p).orientation, Orientation::Vertical);
    }
    let upside_down = Probe::parse(&report(
        1920,
        1080,
        json!({"side_data_list": [{"side_data_type": "Display Matrix", "rotation": 180}]}),
        true,
    ))
    .unwrap();
    assert_eq!(
        (upside_down.display_width, upside_down.display_height),
        (1920, 1080)
    );
}

#[test]
fn rotation_from_the_legacy_tag() {
    let p = Probe::parse(&report(1280, 720, json!({"tags": {"rotate": "90"}}), false)).unwrap();
    assert_eq!((p.display_width, p.display_height), (720, 1280));
    assert_eq!(p.rotation, 90);
}

#[test]
fn anamorphic_pixels_are_applied_before_rotation() {
    // 1440×1080 stored with 4:3 pixels is displayed 1920×1080.
    let p = Probe::parse(&report(
        1440,
        1080,
        json!({"sample_aspect_ratio": "4:3"}),
        true,
    ))
    .unwrap();
    assert_eq!((p.display_width, p.display_height), (1920, 1080));
    assert_eq!(plan(&p).rungs[0].resolution(), "1920x1080");
}

/// A crafted frame rate (thousands a second, or one a minute) is refused with a reason, not
/// encoded for hours.
#[test]
fn a_frame_rate_no_video_has_is_refused() {
    for rate in ["100000/1", "1/60"] {
        let r = Probe::parse(&report(
            1080,
            1920,
            json!({"r_frame_rate": rate, "avg_frame_rate": rate}),
            true,
        ))
        .unwrap_err();
        assert_eq!(r.code, RejectCode::Corrupt, "{rate}");
        assert!(r.message.contains("frame rate"), "{r}");
    }
}

#[test]
fn variable_frame_rate_is_seen_and_encoded_constant() {
    let p = Probe::parse(&report(
        1080,
        1920,
        json!({"r_frame_rate": "30/1", "avg_frame_rate": "17640/601"}),
        true,
    ))
    .unwrap();
    assert!(p.variable_frame_rate);
    assert_eq!(plan(&p).frame_rate, FrameRate { num: 29, den: 1 });
    assert_eq!(FrameRate::for_source(59.94), FrameRate { num: 30, den: 1 });
    assert_eq!(
        FrameRate::for_source(30000.0 / 1001.0),
        FrameRate {
            num: 30000,
            den: 1001
        }
    );
    assert_eq!(
        FrameRate::for_source(24000.0 / 1001.0),
        FrameRate {
            num: 24000,
            den: 1001
        }
    );
    assert_eq!(FrameRate::for_source(25.0), FrameRate { num: 25, den: 1 });
    assert_eq!(FrameRate::for_source(5.0), FrameRate { num: 12, den: 1 });
}

#[test]
fn what_is_not_a_video_is_refused_with_a_reason() {
    let image = json!({"streams": [{"codec_type": "video", "codec_name": "png", "width": 800,
        "height": 800, "nb_frames": "1", "avg_frame_rate": "0/0", "r_frame_rate": "25/1"}],
        "format": {"format_name": "png_pipe"}});
    let e = Probe::parse(&serde_json::to_vec(&image).unwrap()).unwrap_err();
    assert_eq!(e.code, RejectCode::NotAVideo);

    let audio_only = json!({"streams": [{"codec_type": "audio", "codec_name": "mp3"}],
        "format": {"format_name": "mp3", "duration": "200.0"}});
    let e = Probe::parse(&serde_json::to_vec(&audio_only).unwrap()).unwrap_err();
    assert_eq!(e.code, RejectCode::NotAVideo);
    assert!(e.message.contains("no video stream"));

    // Cover art is a video stream with the attached_pic disposition: still not a video.
    let cover = json!({"streams": [{"codec_type": "audio", "codec_name": "aac"},
        {"codec_type": "video", "codec_name": "mjpeg", "width": 600, "height": 600,
         "disposition": {"attached_pic": 1}}],
        "format": {"format_name": "mov,mp4,m4a,3gp,3g2,mj2", "duration": "30.0"}});
    assert_eq!(
        Probe::parse(&serde_json::to_vec(&cover).unwrap())
            .unwrap_err()
            .code,
        RejectCode::NotAVideo
    );
    assert_eq!(Probe::parse(b"{}").unwrap_err().code, RejectCode::NotAVideo);
    assert_eq!(
        Probe::parse(b"garbage").unwrap_err().code,
        RejectCode::Corrupt
    );
    let no_duration = json!({"streams": [{"codec_type": "video", "codec_name": "h264",
        "width": 1080, "height": 1920, "avg_frame_rate": "30/1"}], "format": {"format_name": "mov"}});
    assert_eq!(
        Probe::parse(&serde_json::to_vec(&no_duration).unwrap())
            .unwrap_err()
            .code,
        RejectCode::Corrupt
    );
}

#[test]
fn limits() {
    let limits = Limits::default();
    assert!(probe(1080, 1920).check(&limits).is_ok());
    let mut p = probe(1080, 1920);
    p.duration_secs = 600.0;
    assert_eq!(p.check(&limits).unwrap_err().code, RejectCode::TooLong);
    p.duration_secs = 0.4;
    assert_eq!(p.check(&limits).unwrap_err().code, RejectCode::TooShort);
    assert_eq!(
        probe(200, 356).check(&limits).unwrap_err().code,
        RejectCode::TooSmall
    );
    assert_eq!(
        probe(2160, 7680).check(&limits).unwrap_err().code,
        RejectCode::TooLarge
    );
    let e = probe(200, 356).check(&limits).unwrap_err();
    assert!(e.message.contains("200×356"), "{}", e.message);
}

fn sizes(l: &Ladder) -> Vec<String> {
    l.rungs.iter().map(Rung::resolution).collect()
}

#[test]
fn vertical_ladder() {
    let l = plan(&probe(1080, 1920));
    assert_eq!(l.orientation, Orientation::Vertical);
    assert_eq!(sizes(&l), ["1080x1920", "720x1280", "540x960", "360x640"]);
    let rates: Vec<u32> = l.rungs.iter().map(|r| r.video_bitrate).collect();
    assert_eq!(rates, [4_500_000, 2_500_000, 1_200_000, 600_000]);
    assert_eq!(l.rungs[0].maxrate, 4_950_000);
    assert_eq!(l.rungs[0].bufsize, 9_000_000);
    assert_eq!(l.rungs[0].audio_bitrate, Some(128_000));
    assert_eq!(l.rungs[3].audio_bitrate, Some(96_000));
    assert_eq!(l.frame_rate, FrameRate { num: 30, den: 1 });
    assert_eq!(l.gop_frames, 60);
    assert_eq!(l.poster, (720, 1280));
    assert_eq!(l.preview, (360, 640));
    assert_eq!(l.rungs[0].codecs(), "avc1.640028,mp4a.40.2");
}

#[test]
fn landscape_and_square_equivalents() {
    assert_eq!(
        sizes(&plan(&probe(1920, 1080))),
        ["1920x1080", "1280x720", "960x540", "640x360"]
    );
    let square = plan(&probe(1080, 1080));
    assert_eq!(square.orientation, Orientation::Square);
    assert_eq!(
        sizes(&square),
        ["1080x1080", "720x720", "540x540", "360x360"]
    );
    assert!(square.rungs[0].video_bitrate < 4_500_000);
}

#[test]
fn never_upscales() {
    assert_eq!(
        sizes(&plan(&probe(720, 1280))),
        ["720x1280", "540x960", "360x640"]
    );
    // Between rungs: the rungs below it.
    assert_eq!(
        sizes(&plan(&probe(800, 1422))),
        ["720x1280", "540x960", "360x640"]
    );
    // Below the lowest rung: one rendition at its own size.
    let tiny = plan(&probe(300, 534));
    assert_eq!(sizes(&tiny), ["300x534"]);
    assert_eq!(tiny.rungs[0].name, "300p");
    assert!(tiny.rungs[0].video_bitrate <= 600_000);
}

#[test]
fn odd_sources_get_even_sides() {
    let l = plan(&probe(1079, 1919));
    assert!(
        l.rungs
            .iter()
            .all(|r| r.width % 2 == 0 && r.height % 2 == 0)
    );
    assert_eq!(sizes(&l), ["1078x1918", "720x1280", "540x960", "360x640"]);
    assert_eq!(l.rungs[0].name, "1080p");
}

#[test]
fn silent_sources_have_no_audio_in_the_ladder() {
    let p = Probe::parse(&report(1080, 1920, json!({}), false)).unwrap();
    let l = plan(&p);
    assert!(l.rungs.iter().all(|r| r.audio_bitrate.is_none()));
    assert_eq!(l.rungs[0].codecs(), "avc1.640028");
}

#[test]
fn levels() {
    assert_eq!(h264_level(1080, 1920, 30.0), 40);
    assert_eq!(h264_level(720, 1280, 30.0), 31);
    assert_eq!(h264_level(540, 960, 30.0), 31);
    assert_eq!(h264_level(360, 640, 30.0), 30);
    assert_eq!(h264_level(1920, 1080, 60.0), 42);
}

#[test]
fn short_clips_take_their_poster_from_the_middle() {
    let mut p = probe(1080, 1920);
    p.duration_secs = 1.2;
    let l = plan(&p);
    assert!((l.poster_at_secs - 0.6).abs() < 1e-9);
    assert!((l.preview_secs - 1.2).abs() < 1e-9);
    assert!((plan(&probe(1080, 1920)).preview_secs - 3.0).abs() < 1e-9);
}

proptest! {
    #[test]
    fn any_source_gets_a_sane_ladder(w in 240u32..4096, h in 240u32..4096, rot in 0u32..4, fps in 5.0f64..120.0) {
        let mut p = probe(w, h);
        if rot % 2 == 1 { (p.display_width, p.display_height) = (h, w); }
        p.frame_rate = fps;
        let l = plan(&p);
        prop_assert!(!l.rungs.is_empty());
        let (dw, dh) = (p.display_width, p.display_height);
        for r in &l.rungs {
            prop_assert!(r.width % 2 == 0 && r.height % 2 == 0);
            prop_assert!(r.width <= dw && r.height <= dh, "{}x{} from {}x{}", r.width, r.height, dw, dh);
            // The displayed shape is kept (within rounding to even pixels).
            let a = f64::from(r.width) / f64::from(r.height);
            prop_assert!((a - l.aspect_ratio).abs() / l.aspect_ratio < 0.02 + 4.0 / f64::from(r.width.min(r.height)));
            prop_assert!(r.maxrate > r.video_bitrate && r.bufsize >= r.maxrate);
            prop_assert!(r.video_bitrate <= 6_750_000);
        }
        // Highest first, strictly decreasing.
        for pair in l.rungs.windows(2) {
            prop_assert!(pair[0].width > pair[1].width && pair[0].video_bitrate > pair[1].video_bitrate);
        }
        prop_assert!(l.frame_rate.as_f64() <= 30.0);
        prop_assert_eq!(l.orientation == Orientation::Vertical, dh * 9 > dw * 10);
    }
}

const PLAYLIST: &str = "#EXTM3U
#EXT-X-VERSION:7
#EXT-X-TARGETDURATION:2
#EXT-X-MEDIA-SEQUENCE:0
#EXT-X-PLAYLIST-TYPE:VOD
#EXT-X-INDEPENDENT-SEGMENTS
#EXT-X-MAP:URI=\"init.mp4\"
#EXTINF:2.000000,
seg_000.m4s
#EXTINF:2.000000,
seg_001.m4s
#EXTINF:1.000000,
seg_002.m4s
#EXT-X-ENDLIST
";

#[test]
fn media_playlists_are_read_and_measured() {
    let p = parse_media_playlist(PLAYLIST).unwrap();
    assert_eq!(p.init.as_deref(), Some("init.mp4"));
    assert_eq!(p.segments.len(), 3);
    assert!(p.ended);
    let (peak, avg) = measure(&p, |uri| match uri {
        "seg_000.m4s" => Some(250_000),
        "seg_001.m4s" => Some(500_000),
        "seg_002.m4s" => Some(100_000),
        _ => None,
    })
    .unwrap();
    assert_eq!(peak, 2_000_000);
    assert_eq!(avg, 1_360_000);
    assert!(measure(&p, |_| None).is_err());
    assert!(parse_media_playlist("seg.m4s").is_err());
    assert!(parse_media_playlist("#EXTM3U\nseg.m4s\n").is_err());
}

#[test]
fn master_playlist_names_every_attribute_players_need() {
    let l = plan(&probe(1080, 1920));
    let variants: Vec<Variant<'_>> = l
        .rungs
        .iter()
        .enumerate()
        .map(|(i, r)| Variant {
            rung: r,
            uri: format!("v{i}/index.m3u8"),
            peak_bandwidth: u64::from(r.maxrate) + 200_000,
            average_bandwidth: u64::from(r.video_bitrate),
        })
        .collect();
    let first = start_rung(&l.rungs);
    assert_eq!(l.rungs[first].name, "540p");
    let m = master_playlist(&variants, l.frame_rate, first);
    let lines: Vec<&str> = m.lines().collect();
    assert_eq!(lines[0], "#EXTM3U");
    assert!(m.contains("#EXT-X-INDEPENDENT-SEGMENTS"));
    assert_eq!(
        lines[3],
        "#EXT-X-STREAM-INF:BANDWIDTH=1520000,AVERAGE-BANDWIDTH=1200000,CODECS=\"avc1.64001f,mp4a.40.2\",RESOLUTION=540x960,FRAME-RATE=30.000"
    );
    assert_eq!(lines[4], "v2/index.m3u8");
    assert_eq!(m.matches("#EXT-X-STREAM-INF").count(), 4);
    assert!(m.contains("RESOLUTION=1080x1920"));
}

#[test]
fn aspect_labels() {
    assert_eq!(aspect_label(1080, 1920), "9:16");
    assert_eq!(aspect_label(1080, 1918), "9:16");
    assert_eq!(aspect_label(1920, 1080), "16:9");
    assert_eq!(aspect_label(720, 720), "1:1");
    assert_eq!(aspect_label(1080, 1350), "4:5");
    assert_eq!(aspect_label(1000, 3000), "1:3");
}

#[test]
fn records_know_when_a_redelivery_has_nothing_to_do() {
    let source = SourceRef {
        bucket: "raw".into(),
        key: "uploads/a.mp4".into(),
        etag: "\"e1\"".into(),
    };
    let mut r = MediaRecord::attempt("i1", source.clone(), 1, 100, 0);
    assert!(r.busy_at(99));
    assert!(!r.busy_at(100));
    assert!(!r.settled_for(&source));
    r.status = MediaStatus::Transcoded;
    assert!(r.settled_for(&source));
    assert!(!r.settled_for(&SourceRef {
        etag: "\"e2\"".into(),
        ..source
    }));
}

#[test]
fn content_types_and_caching() {
    assert_eq!(
        content_type("v0/index.m3u8"),
        "application/vnd.apple.mpegurl"
    );
    assert_eq!(content_type("v0/seg_001.m4s"), "video/iso.segment");
    assert_eq!(content_type("v0/init.mp4"), "video/mp4");
    assert_eq!(content_type("poster.jpg"), "image/jpeg");
    assert_eq!(content_type("media_manifest.json"), "application/json");
    assert!(cache_control(true).contains("immutable"));
    assert!(!cache_control(false).contains("immutable"));
}
