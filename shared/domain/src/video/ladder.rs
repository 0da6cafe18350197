//! The adaptive ladder, planned on the picture as it is displayed (after rotation), vertical first.
//!
//! Rungs are named by their short side — 1080, 720, 540, 360 — so a 9:16 source gets
//! 1080×1920 / 720×1280 / 540×960 / 360×640, a 16:9 one the landscape equivalents and a square one
//! squares; any other aspect ratio keeps its own shape. Nothing is upscaled; a source smaller than
//! the lowest rung becomes one rung at its own size.

use super::Probe;
use serde::{Deserialize, Serialize};

/// Short side and video bitrate cap (bits/s) of each rung, for a 9:16 (or 16:9) picture.
pub const RUNGS: &[(u32, u32)] = &[
    (1080, 4_500_000),
    (720, 2_500_000),
    (540, 1_200_000),
    (360, 600_000),
];

/// Peak rate allowed over the target (`maxrate`), and the VBV buffer (`bufsize`), per rung.
pub const MAXRATE_FACTOR: f64 = 1.1;
pub const BUFSIZE_FACTOR: f64 = 2.0;
/// Segment (and keyframe interval) length.
pub const SEGMENT_SECS: u32 = 2;
/// Output frame rate ceiling: higher source rates are halved or capped.
pub const MAX_FPS: f64 = 30.0;
/// Preview loop: the lowest rung's size, this long, no audio.
pub const PREVIEW_SECS: f64 = 3.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Orientation {
    Vertical,
    Landscape,
    Square,
}

/// A constant output frame rate, `num/den`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FrameRate {
    pub num: u32,
    pub den: u32,
}

impl FrameRate {
    pub fn as_f64(self) -> f64 {
        f64::from(self.num) / f64::from(self.den)
    }

    /// FFmpeg's notation, `30000/1001`.
    pub fn ffmpeg(self) -> String {
        format!("{}/{}", self.num, self.den)
    }

    /// The constant rate a source's (possibly variable) average rate is encoded at: NTSC rates
    /// stay NTSC, anything above 30 is capped at 30, anything else rounds to a whole number
    /// (phones record 29.4 or 30.02 on average when the rate varies).
    pub fn for_source(avg: f64) -> Self {
        let ntsc = |n: u32| (avg - f64::from(n) * 1000.0 / 1001.0).abs() < 0.01;
        if avg > MAX_FPS + 0.5 {
            Self { num: 30, den: 1 }
        } else if ntsc(24) {
            Self {
                num: 24000,
                den: 1001,
            }
        } else if ntsc(30) {
            Self {
                num: 30000,
                den: 1001,
            }
        } else {
            Self {
                num: (avg.round() as u32).clamp(12, 30),
                den: 1,
            }
        }
    }
}

/// One rendition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rung {
    /// `1080p`, … by the short side.
    pub name: String,
    pub width: u32,
    pub height: u32,
    /// Target video bitrate, bits/s.
    pub video_bitrate: u32,
    pub maxrate: u32,
    pub bufsize: u32,
    /// AAC-LC bitrate, when the source has audio.
    pub audio_bitrate: Option<u32>,
    /// H.264 High profile at this level (`level_idc`, 31 = 3.1).
    pub level: u8,
}

impl Rung {
    /// RFC 6381 codec string of the rendition, as the master playlist's `CODECS` names it.
    pub fn codecs(&self) -> String {
        let video = format!("avc1.6400{:02x}", self.level);
        match self.audio_bitrate {
            Some(_) => format!("{video},mp4a.40.2"),
            None => video,
        }
    }

    /// `WIDTHxHEIGHT`.
    pub fn resolution(&self) -> String {
        format!("{}x{}", self.width, self.height)
    }
}

/// Everything the encoders are told.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ladder {
    pub orientation: Orientation,
    /// Displayed aspect ratio, width / height.
    pub aspect_ratio: f64,
    pub frame_rate: FrameRate,
    /// Frames between keyframes: one segment, so every rung's segments start on a keyframe at the
    /// same instant and players switch cleanly.
    pub gop_frames: u32,
    pub segment_secs: u32,
    /// Highest first.
    pub rungs: Vec<Rung>,
    /// Poster frame size (the 720 rung, or the highest below it).
    pub poster: (u32, u32),
    /// Preview loop size (the lowest rung).
    pub preview: (u32, u32),
    pub preview_secs: f64,
    /// When the poster frame is taken: a second in, or the middle of a shorter clip.
    pub poster_at_secs: f64,
}

/// Round to the nearest even number (encoders want even sides for 4:2:0), at least 2, never
/// above `max` (an odd source side rounds down, not up).
pub fn even(v: f64, max: u32) -> u32 {
    let rounded = ((v / 2.0).round() as u32) * 2;
    let ceiling = max & !1;
    rounded.min(ceiling).max(2)
}

/// The smallest H.264 level that holds `width`×`height` at `fps` (frame size and macroblock rate).
pub fn h264_level(width: u32, height: u32, fps: f64) -> u8 {
    // (level_idc, max macroblocks per frame, max macroblocks per second), ITU-T H.264 Table A-1.
    const LEVELS: &[(u8, u32, f64)] = &[
        (30, 1_620, 40_500.0),
        (31, 3_600, 108_000.0),
        (32, 5_120, 216_000.0),
        (40, 8_192, 245_760.0),
        (42, 8_704, 522_240.0),
        (50, 22_080, 589_824.0),
        (51, 36_864, 983_040.0),
    ];
    let mbs = width.div_ceil(16) * height.div_ceil(16);
    LEVELS
        .iter()
        .find(|(_, frame, rate)| mbs <= *frame && f64::from(mbs) * fps <= *rate)
        .map_or(52, |(l, _, _)| *l)
}

/// Plan the ladder of a (checked) source.
pub fn plan(probe: &Probe) -> Ladder {
    let (w, h) = (
        f64::from(probe.display_width.max(2)),
        f64::from(probe.display_height.max(2)),
    );
    let aspect_ratio = w / h;
    let orientation = if aspect_ratio < 0.9 {
        Orientation::Vertical
    } else if aspect_ratio > 1.1 {
        Orientation::Landscape
    } else {
        Orientation::Square
    };
    let frame_rate = FrameRate::for_source(probe.frame_rate);
    let fps = frame_rate.as_f64();
    let (short, _) = probe.short_long();
    let (dw, dh) = (probe.display_width.max(2), probe.display_height.max(2));
    let size = |short_side: u32| -> (u32, u32) {
        let scale = (f64::from(short_side) / f64::from(short)).min(1.0);
        (even(w * scale, dw), even(h * scale, dh))
    };
    let mut rungs: Vec<Rung> = RUNGS
        .iter()
        // A source a few pixels short of a rung (1078×1918 phone exports) still gets that rung,
        // at its own size: nothing is scaled up.
        .filter(|(s, _)| f64::from(*s) * 0.97 <= f64::from(short))
        .map(|(s, cap)| rung(*s, size(*s), *cap, probe.has_audio, fps))
        .collect();
    if rungs.is_empty() {
        // Smaller than the lowest rung: one rendition at the source's own (even) size.
        let (s, cap) = RUNGS[RUNGS.len() - 1];
        let mut r = rung(s, (even(w, dw), even(h, dh)), cap, probe.has_audio, fps);
        r.name = format!("{short}p");
        rungs.push(r);
    }
    let poster = rungs
        .iter()
        .find(|r| r.width.min(r.height) <= 720)
        .or(rungs.last())
        .map_or((2, 2), |r| (r.width, r.height));
    let preview = rungs.last().map_or((2, 2), |r| (r.width, r.height));
    Ladder {
        orientation,
        aspect_ratio,
        frame_rate,
        gop_frames: (fps * f64::from(SEGMENT_SECS)).round().max(1.0) as u32,
        segment_secs: SEGMENT_SECS,
        rungs,
        poster,
        preview,
        preview_secs: PREVIEW_SECS.min(probe.duration_secs),
        poster_at_secs: if probe.duration_secs >= 2.0 {
            1.0
        } else {
            probe.duration_secs / 2.0
        },
    }
}

fn rung(short_side: u32, (width, height): (u32, u32), cap: u32, audio: bool, fps: f64) -> Rung {
    // The caps are for 9:16 and 16:9 pictures; another shape with the same short side has fewer
    // pixels (a square) or more (a 1:3 strip), and its bitrate follows, within 0.25–1.5× the cap.
    let reference = f64::from(short_side) * f64::from(short_side) * 16.0 / 9.0;
    let pixels = f64::from(width) * f64::from(height);
    let video_bitrate = (f64::from(cap) * (pixels / reference).clamp(0.25, 1.5)).round() as u32;
    Rung {
        name: format!("{short_side}p"),
        width,
        height,
        video_bitrate,
        maxrate: (f64::from(video_bitrate) * MAXRATE_FACTOR).round() as u32,
        bufsize: (f64::from(video_bitrate) * BUFSIZE_FACTOR).round() as u32,
        audio_bitrate: audio.then_some(if short_side >= 720 { 128_000 } else { 96_000 }),
        level: h264_level(width, height, fps),
    }
}
