//! ffprobe's JSON report (`-print_format json -show_format -show_streams`) read into what the
//! ladder needs: displayed size after rotation and sample aspect ratio, frame rate (and whether it
//! varies, as phone recordings do), duration, audio.

use super::{RejectCode, Rejection};
use serde::{Deserialize, Serialize};

/// What a source is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Probe {
    pub container: String,
    pub duration_secs: f64,
    pub video_codec: String,
    /// Stored frame size.
    pub width: u32,
    pub height: u32,
    /// Display rotation as ffprobe reports it, normalized to 0, 90, 180 or 270 degrees.
    pub rotation: u32,
    /// Sample (pixel) aspect ratio, `num:den`.
    pub sample_aspect: (u32, u32),
    /// The size a viewer sees: sample aspect ratio applied, then the rotation.
    pub display_width: u32,
    pub display_height: u32,
    /// Average frame rate (frames / duration).
    pub frame_rate: f64,
    /// The stream's frame timestamps are not evenly spaced (`r_frame_rate` ≠ `avg_frame_rate`).
    pub variable_frame_rate: bool,
    pub has_audio: bool,
    pub audio_codec: Option<String>,
    pub bit_rate: Option<u64>,
    pub size_bytes: Option<u64>,
}

/// What Reelcart takes.
#[derive(Debug, Clone, PartialEq)]
pub struct Limits {
    pub min_duration_secs: f64,
    pub max_duration_secs: f64,
    /// The displayed short side, in pixels.
    pub min_short_side: u32,
    pub max_long_side: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            min_duration_secs: 1.0,
            max_duration_secs: 180.0,
            min_short_side: 240,
            max_long_side: 4096,
        }
    }
}

#[derive(Deserialize)]
struct Report {
    #[serde(default)]
    streams: Vec<Stream>,
    format: Option<Format>,
}

#[derive(Deserialize)]
struct Format {
    #[serde(default)]
    format_name: String,
    duration: Option<String>,
    size: Option<String>,
    bit_rate: Option<String>,
}

#[derive(Deserialize)]
struct Stream {
    codec_type: Option<String>,
    codec_name: Option<String>,
    width: Option<u32>,
    height: Option<u32>,
    sample_aspect_ratio: Option<String>,
    r_frame_rate: Option<String>,
    avg_frame_rate: Option<String>,
    duration: Option<String>,
    nb_frames: Option<String>,
    #[serde(default)]
    disposition: Disposition,
    #[serde(default)]
    tags: Tags,
    #[serde(default)]
    side_data_list: Vec<SideData>,
}

#[derive(Deserialize, Default)]
struct Disposition {
    #[serde(default)]
    attached_pic: u8,
}

#[derive(Deserialize, Default)]
struct Tags {
    rotate: Option<String>,
}

#[derive(Deserialize)]
struct SideData {
    side_data_type: Option<String>,
    rotation: Option<f64>,
}

/// Still-image "containers" ffprobe reads as a one-frame video.
const IMAGE_FORMATS: &[&str] = &["image2", "png_pipe", "jpeg_pipe", "webp_pipe", "gif"];
const IMAGE_CODECS: &[&str] = &["mjpeg", "png", "webp", "bmp", "tiff", "gif"];

fn rational(s: Option<&str>) -> Option<f64> {
    let s = s?;
    let (n, d) = s.split_once('/').or_else(|| s.split_once(':'))?;
    let (n, d): (f64, f64) = (n.trim().parse().ok()?, d.trim().parse().ok()?);
    (d > 0.0 && n > 0.0).then_some(n / d)
}

fn number(s: Option<&str>) -> Option<f64> {
    s?.trim().parse::<f64>().ok().filter(|v| v.is_finite())
}

impl Probe {
    /// Read ffprobe's report. A report without a usable video stream is a [`Rejection`].
    pub fn parse(json: &[u8]) -> Result<Self, Rejection> {
        let report: Report = serde_json::from_slice(json).map_err(|e| {
            Rejection::new(RejectCode::Corrupt, format!("unreadable probe report: {e}"))
        })?;
        let format = report.format.ok_or_else(|| {
            Rejection::new(RejectCode::NotAVideo, "no container format recognised")
        })?;
        let video = report
            .streams
            .iter()
            .find(|s| s.codec_type.as_deref() == Some("video") && s.disposition.attached_pic == 0)
            .ok_or_else(|| Rejection::new(RejectCode::NotAVideo, "the file has no video stream"))?;
        let codec = video.codec_name.clone().unwrap_or_default();
        let container = format.format_name.clone();
        if IMAGE_FORMATS
            .iter()
            .any(|f| container.split(',').any(|c| c == *f))
            || IMAGE_CODECS.contains(&codec.as_str()) && video.nb_frames.as_deref() == Some("1")
        {
            return Err(Rejection::new(
                RejectCode::NotAVideo,
                format!("a still image ({codec} in {container}), not a video"),
            ));
        }
        let (Some(width), Some(height)) = (video.width, video.height) else {
            return Err(Rejection::new(
                RejectCode::Corrupt,
                "the video stream has no frame size",
            ));
        };
        if width == 0 || height == 0 {
            return Err(Rejection::new(
                RejectCode::Corrupt,
                "the video stream has no frame size",
            ));
        }
        let duration_secs = number(format.duration.as_deref())
            .or_else(|| number(video.duration.as_deref()))
            .filter(|d| *d > 0.0)
            .ok_or_else(|| Rejection::new(RejectCode::Corrupt, "the video has no duration"))?;

        let rotation = video
            .side_data_list
            .iter()
            .filter(|d| d.side_data_type.as_deref() == Some("Display Matrix"))
            .find_map(|d| d.rotation)
            .or_else(|| number(video.tags.rotate.as_deref()))
            .map(normalize_rotation)
            .unwrap_or(0);
        let sample_aspect = video
            .sample_aspect_ratio
            .as_deref()
            .and_then(|s| {
                let (n, d) = s.split_once(':')?;
                let (n, d) = (n.parse::<u32>().ok()?, d.parse::<u32>().ok()?);
                (n > 0 && d > 0).then_some((n, d))
            })
            .unwrap_or((1, 1));
        // Anamorphic pixels widen (or narrow) the picture; rotation then swaps the sides.
        let shown_width = ((f64::from(width) * f64::from(sample_aspect.0)
            / f64::from(sample_aspect.1))
        .round() as u32)
            .max(1);
        let (display_width, display_height) = if rotation % 180 == 90 {
            (height, shown_width)
        } else {
            (shown_width, height)
        };

        let avg = rational(video.avg_frame_rate.as_deref());
        let real = rational(video.r_frame_rate.as_deref());
        let frame_rate = avg.or(real).ok_or_else(|| {
            Rejection::new(RejectCode::Corrupt, "the video stream has no frame rate")
        })?;
        // A frame rate no camera makes (a crafted header): thousands of frames a second would
        // make the encode run for hours, a frame a minute is a slideshow.
        if !(1.0..=240.0).contains(&frame_rate) {
            return Err(Rejection::new(
                RejectCode::Corrupt,
                format!("{frame_rate:.3} frames a second is not a video's frame rate"),
            ));
        }
        let variable_frame_rate = match (avg, real) {
            (Some(a), Some(r)) => (a - r).abs() / r > 0.01,
            _ => false,
        };
        let audio = report
            .streams
            .iter()
            .find(|s| s.codec_type.as_deref() == Some("audio"));
        Ok(Self {
            container,
            duration_secs,
            video_codec: codec,
            width,
            height,
            rotation,
            sample_aspect,
            display_width,
            display_height,
            frame_rate,
            variable_frame_rate,
            has_audio: audio.is_some(),
            audio_codec: audio.and_then(|a| a.codec_name.clone()),
            bit_rate: number(format.bit_rate.as_deref()).map(|b| b as u64),
            size_bytes: number(format.size.as_deref()).map(|b| b as u64),
        })
    }

    /// The displayed short and long sides.
    pub fn short_long(&self) -> (u32, u32) {
        let (w, h) = (self.display_width, self.display_height);
        (w.min(h), w.max(h))
    }

    /// Refuse what Reelcart does not take, with the reason the item's state records.
    pub fn check(&self, limits: &Limits) -> Result<(), Rejection> {
        let (short, long) = self.short_long();
        if self.duration_secs < limits.min_duration_secs {
            return Err(Rejection::new(
                RejectCode::TooShort,
                format!(
                    "{:.1} s long; videos must be at least {:.0} s",
                    self.duration_secs, limits.min_duration_secs
                ),
            ));
        }
        if self.duration_secs > limits.max_duration_secs {
            return Err(Rejection::new(
                RejectCode::TooLong,
                format!(
                    "{:.1} s long; the limit is {:.0} s",
                    self.duration_secs, limits.max_duration_secs
                ),
            ));
        }
        if short < limits.min_short_side {
            return Err(Rejection::new(
                RejectCode::TooSmall,
                format!(
                    "{}×{} displayed; the short side must be at least {} px",
                    self.display_width, self.display_height, limits.min_short_side
                ),
            ));
        }
        if long > limits.max_long_side {
            return Err(Rejection::new(
                RejectCode::TooLarge,
                format!(
                    "{}×{} displayed; the long side may be at most {} px",
                    self.display_width, self.display_height, limits.max_long_side
                ),
            ));
        }
        Ok(())
    }
}

/// Any angle to one of 0, 90, 180, 270 (ffprobe reports the display matrix counter-clockwise and
/// negative for the common phone case; only the quarter turn matters for the picture's shape).
fn normalize_rotation(deg: f64) -> u32 {
    let quarter = (deg / 90.0).round() as i64;
    (quarter.rem_euclid(4) * 90) as u32
}
