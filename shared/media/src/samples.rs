//! Synthetic sources for tests, the demo and the benchmark, made with FFmpeg's test patterns: a
//! moving picture with a clock and a tone, encoded as a phone would (H.264 + AAC in MP4).

use std::path::Path;
use tokio::process::Command;

/// What to make.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    pub width: u32,
    pub height: u32,
    pub secs: f64,
    pub audio: bool,
    /// Stored with a 90° display rotation (stored landscape, displayed portrait).
    pub rotate_90: bool,
    /// Video bitrate; phones record 10–20 Mbit/s at 1080p.
    pub kbps: u32,
    /// HEVC instead of H.264 (iPhones record HEVC by default).
    pub hevc: bool,
}

impl Sample {
    pub fn new(width: u32, height: u32, secs: f64) -> Self {
        Self {
            width,
            height,
            secs,
            audio: true,
            rotate_90: false,
            kbps: 8_000,
            hevc: false,
        }
    }
}

/// Write `sample` to `path` (an `.mp4`).
pub async fn generate(ffmpeg: &Path, sample: Sample, path: &Path) -> std::io::Result<()> {
    let mut cmd = Command::new(ffmpeg);
    cmd.args([
        "-hide_banner",
        "-nostdin",
        "-loglevel",
        "error",
        "-y",
        "-f",
        "lavfi",
        "-i",
    ])
    .arg(format!(
        "testsrc2=size={}x{}:rate=30:duration={}",
        sample.width, sample.height, sample.secs
    ));
    if sample.audio {
        cmd.args(["-f", "lavfi", "-i"])
            .arg(format!("sine=frequency=440:duration={}", sample.secs));
    }
    // A little noise so the encoder works as hard as on camera footage.
    cmd.args([
        "-vf",
        "noise=alls=12:allf=t",
        "-c:v",
        if sample.hevc { "libx265" } else { "libx264" },
        "-preset",
        if sample.hevc { "ultrafast" } else { "veryfast" },
    ])
    .args(["-b:v", &format!("{}k", sample.kbps), "-pix_fmt", "yuv420p"]);
    if sample.hevc {
        cmd.args(["-tag:v", "hvc1", "-x265-params", "log-level=error"]);
    }
    if sample.audio {
        cmd.args(["-c:a", "aac", "-b:a", "128k", "-shortest"]);
    }
    let encoded = if sample.rotate_90 {
        path.with_extension("unrotated.mp4")
    } else {
        path.to_path_buf()
    };
    check(cmd.arg(&encoded).kill_on_drop(true).status().await?)?;
    if sample.rotate_90 {
        // The display matrix is written when remuxing (an encode drops the `rotate` tag).
        let status = Command::new(ffmpeg)
            .args(["-hide_banner", "-nostdin", "-loglevel", "error", "-y", "-i"])
            .arg(&encoded)
            .args(["-c", "copy", "-metadata:s:v:0", "rotate=90"])
            .arg(path)
            .kill_on_drop(true)
            .status()
            .await?;
        check(status)?;
        tokio::fs::remove_file(&encoded).await?;
    }
    Ok(())
}

fn check(status: std::process::ExitStatus) -> std::io::Result<()> {
    if status.success() {
        Ok(())
    } else {
        Err(std::io::Error::other(format!(
            "ffmpeg exited with {status}"
        )))
    }
}

/// A file that starts like an MP4 and then is cut off (the index is missing): corrupt.
pub fn corrupt(valid_mp4: &[u8]) -> Vec<u8> {
    let keep = valid_mp4.len() / 3;
    let mut out = valid_mp4[..keep.min(valid_mp4.len())].to_vec();
    out.extend(std::iter::repeat_n(0x5a, 4096));
    out
}
