//! FFmpeg on the function's own cores: one process decodes the source once and encodes every rung
//! (`split` + `scale`, cascading), with keyframes every segment so all rungs switch cleanly, into fMP4 HLS;
//! then a poster frame and a muted preview loop.

use crate::package::package;
use crate::{EncodeJob, Encoded, Encoder, MediaError};
use reelcart_domain::video::{Ladder, Probe, RejectCode, Rejection};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Instant;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::process::Command;

/// Where FFmpeg is and how it encodes.
#[derive(Debug, Clone)]
pub struct Ffmpeg {
    pub ffmpeg: PathBuf,
    pub ffprobe: PathBuf,
    /// x264 preset: speed against size at the same bitrate.
    pub preset: String,
}

impl Default for Ffmpeg {
    fn default() -> Self {
        Self {
            ffmpeg: "ffmpeg".into(),
            ffprobe: "ffprobe".into(),
            preset: "veryfast".into(),
        }
    }
}

/// How a tool run ended.
#[derive(Debug)]
pub struct Run {
    pub stdout: Vec<u8>,
    pub stderr: String,
    pub millis: u64,
}

/// Tool messages name the scratch file; the item's reason should not.
fn scrub(message: &str, input: &Path) -> String {
    let path = input.display().to_string();
    message
        .replace(&format!("{path}: "), "")
        .replace(&path, "the source")
}

fn last_line(stderr: &str) -> String {
    let line = stderr
        .lines()
        .map(str::trim)
        .rfind(|l| !l.is_empty())
        .unwrap_or("no error output");
    line.chars().take(300).collect()
}

impl Ffmpeg {
    /// Binaries from `FFMPEG_PATH` / `FFPROBE_PATH` (the container image puts static builds in
    /// `/opt/bin`), else from `PATH`; the preset from `X264_PRESET`.
    pub fn from_vars(get: impl Fn(&str) -> Option<String>) -> Self {
        let d = Self::default();
        Self {
            ffmpeg: get("FFMPEG_PATH").map_or(d.ffmpeg, PathBuf::from),
            ffprobe: get("FFPROBE_PATH").map_or(d.ffprobe, PathBuf::from),
            preset: get("X264_PRESET").unwrap_or(d.preset),
        }
    }

    /// Run a tool; `Err` carries its exit and last error line. Progress lines (`-progress pipe:1`)
    /// are logged about every tenth of `duration_secs`.
    async fn run(
        &self,
        program: &Path,
        args: &[String],
        duration_secs: Option<f64>,
    ) -> Result<Run, (Option<i32>, String)> {
        let started = Instant::now();
        let mut child = Command::new(program)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| (None, format!("cannot start {}: {e}", program.display())))?;
        let stdout = child.stdout.take();
        let stderr = child.stderr.take();
        let err_task = tokio::spawn(async move {
            let mut buf = String::new();
            if let Some(mut s) = stderr {
                // Keep what was read even if the pipe breaks.
                if let Err(e) = s.read_to_string(&mut buf).await {
                    buf.push_str(&format!("\n(stderr unreadable: {e})"));
                }
            }
            buf
        });
        let mut out = Vec::new();
        if let Some(s) = stdout {
            let mut lines = BufReader::new(s).lines();
            let mut next_report = 0.1;
            loop {
                match lines.next_line().await {
                    Ok(Some(line)) => match (duration_secs, line.strip_prefix("out_time_us=")) {
                        (Some(total), Some(us)) => {
                            let done = us.parse::<f64>().unwrap_or(0.0) / 1e6 / total.max(0.001);
                            if done >= next_report {
                                tracing::info!(
                                    progress = format!("{:.0}%", (done * 100.0).min(100.0)),
                                    elapsed_ms = started.elapsed().as_millis() as u64,
                                    "encoding"
                                );
                                next_report = (done * 10.0).floor() / 10.0 + 0.1;
                            }
                        }
                        (None, _) => {
                            out.extend_from_slice(line.as_bytes());
                            out.push(b'\n');
                        }
                        _ => {}
                    },
                    Ok(None) => break,
                    Err(e) => return Err((None, format!("reading tool output: {e}"))),
                }
            }
        }
        let status = child
            .wait()
            .await
            .map_err(|e| (None, format!("waiting for {}: {e}", program.display())))?;
        let stderr = err_task.await.unwrap_or_default();
        if status.success() {
            Ok(Run {
                stdout: out,
                stderr,
                millis: started.elapsed().as_millis() as u64,
            })
        } else {
            Err((status.code(), last_line(&stderr)))
        }
    }

    /// ffprobe the source. What ffprobe cannot read is corrupt (or not media at all).
    pub async fn probe(&self, input: &Path) -> Result<Probe, MediaError> {
        let args: Vec<String> = [
            "-v",
            "error",
            "-print_format",
            "json",
            "-show_format",
            "-show_streams",
        ]
        .iter()
        .map(|s| s.to_string())
        .chain(input_guard())
        .chain([input.display().to_string()])
        .collect();
        match self.run(&self.ffprobe, &args, None).await {
            Ok(run) => Ok(Probe::parse(&run.stdout)?),
            Err((Some(_), message)) => Err(MediaError::Rejected(Rejection::new(
                RejectCode::Corrupt,
                format!(
                    "the file cannot be read as media (accepted: MP4, QuickTime, WebM, Matroska): {}",
                    scrub(&message, input)
                ),
            ))),
            Err((None, message)) => Err(MediaError::Transient(message)),
        }
    }

    /// Run FFmpeg; a non-zero exit on a source that probed fine is a decoding failure (corrupt
    /// data), unless the machine ran out of room or the process was killed.
    async fn ffmpeg(
        &self,
        input: &Path,
        args: &[String],
        duration_secs: Option<f64>,
        what: &str,
    ) -> Result<u64, MediaError> {
        match self.run(&self.ffmpeg, args, duration_secs).await {
            Ok(run) => Ok(run.millis),
            Err((Some(_), message)) if !message.contains("No space left") => {
                Err(MediaError::Rejected(Rejection::new(
                    RejectCode::Corrupt,
                    format!("{what} failed: {}", scrub(&message, input)),
                )))
            }
            Err((_, message)) => Err(MediaError::Transient(format!("{what}: {message}"))),
        }
    }

    /// The one-process ladder encode.
    pub async fn encode_ladder(
        &self,
        input: &Path,
        probe: &Probe,
        ladder: &Ladder,
        out: &Path,
    ) -> Result<u64, MediaError> {
        create_dirs(out, ladder.rungs.len()).await?;
        let args = ladder_args(&self.preset, input, probe, ladder, out);
        self.ffmpeg(input, &args, Some(probe.duration_secs), "encoding")
            .await
    }

    /// The naive way, for comparison: one FFmpeg process per rung, each decoding the source.
    pub async fn encode_per_rung(
        &self,
        input: &Path,
        probe: &Probe,
        ladder: &Ladder,
        out: &Path,
    ) -> Result<u64, MediaError> {
        create_dirs(out, ladder.rungs.len()).await?;
        let mut millis = 0;
        for i in 0..ladder.rungs.len() {
            let args = single_rung_args(&self.preset, input, probe, ladder, i, out);
            millis += self.ffmpeg(input, &args, None, "encoding one rung").await?;
        }
        Ok(millis)
    }

    /// The poster (JPEG, the most representative of the frames after `poster_at_secs`) and the
    /// preview loop (MP4, muted, the lowest rung, `preview_secs` long, `faststart`).
    pub async fn stills(
        &self,
        input: &Path,
        ladder: &Ladder,
        out: &Path,
    ) -> Result<u64, MediaError> {
        let (poster_args, preview_args) = (
            poster_args(input, ladder, out),
            preview_args(&self.preset, input, ladder, out),
        );
        let poster = self.ffmpeg(input, &poster_args, None, "poster");
        let preview = self.ffmpeg(input, &preview_args, None, "preview");
        let (a, b) = tokio::join!(poster, preview);
        Ok(a?.max(b?))
    }
}

async fn create_dirs(out: &Path, rungs: usize) -> Result<(), MediaError> {
    for i in 0..rungs {
        tokio::fs::create_dir_all(out.join(format!("v{i}")))
            .await
            .map_err(|e| MediaError::Transient(format!("creating {}: {e}", out.display())))?;
    }
    Ok(())
}

fn s(v: impl ToString) -> String {
    v.to_string()
}

fn common_input(input: &Path) -> Vec<String> {
    [
        "-hide_banner",
        "-nostdin",
        "-nostats",
        "-loglevel",
        "error",
        "-y",
    ]
    .iter()
    .map(s)
    .collect::<Vec<_>>()
    .into_iter()
    .chain(input_guard())
    .chain([s("-i"), input.display().to_string()])
    .collect()
}

/// The containers a source may be: MP4 and QuickTime (`mov`), Matroska and WebM, and the still
/// images uploads may be (read only to be refused as not a video, with that reason).
pub const DEMUXERS: &str = "mov,matroska,image2,png_pipe,jpeg_pipe,webp_pipe";

/// Input options for every FFmpeg and ffprobe run on a source: only the local file is read
/// (`file`: no network, and a playlist or concat list inside an upload cannot pull in other
/// files or URLs — their demuxers are not on the list either), and only the containers above.
pub fn input_guard() -> [String; 4] {
    [
        s("-protocol_whitelist"),
        s("file"),
        s("-format_whitelist"),
        s(DEMUXERS),
    ]
}

/// The per-rung video and audio encoder options (stream index `i` of the output).
fn rung_codec_args(ladder: &Ladder, i: usize, stream: usize) -> Vec<String> {
    let r = &ladder.rungs[i];
    let mut a = vec![
        format!("-b:v:{stream}"),
        s(r.video_bitrate),
        format!("-maxrate:v:{stream}"),
        s(r.maxrate),
        format!("-bufsize:v:{stream}"),
        s(r.bufsize),
        format!("-level:v:{stream}"),
        format!("{:.1}", f64::from(r.level) / 10.0),
    ];
    if let Some(audio) = r.audio_bitrate {
        a.extend([format!("-b:a:{stream}"), s(audio)]);
    }
    a
}

/// Codec options shared by every rung: H.264 High, CFR, closed GOPs of one segment.
fn video_codec_args(preset: &str, ladder: &Ladder) -> Vec<String> {
    vec![
        s("-c:v"),
        s("libx264"),
        s("-preset"),
        s(preset),
        s("-profile:v"),
        s("high"),
        s("-pix_fmt"),
        s("yuv420p"),
        s("-g"),
        s(ladder.gop_frames),
        s("-keyint_min"),
        s(ladder.gop_frames),
        s("-sc_threshold"),
        s("0"),
        s("-flags"),
        s("+cgop"),
        s("-c:a"),
        s("aac"),
        s("-ac"),
        s("2"),
        s("-ar"),
        s("48000"),
    ]
}

fn hls_args(
    ladder: &Ladder,
    out: &Path,
    var_stream_map: Option<String>,
    playlist: String,
) -> Vec<String> {
    let mut a = vec![
        s("-f"),
        s("hls"),
        s("-hls_time"),
        s(ladder.segment_secs),
        s("-hls_playlist_type"),
        s("vod"),
        s("-hls_segment_type"),
        s("fmp4"),
        s("-hls_flags"),
        s("independent_segments"),
        s("-hls_fmp4_init_filename"),
        s("init.mp4"),
        s("-hls_segment_filename"),
    ];
    match var_stream_map {
        Some(map) => {
            a.push(out.join("v%v/seg_%03d.m4s").display().to_string());
            a.extend([s("-var_stream_map"), map]);
        }
        None => a.push(
            Path::new(&playlist)
                .with_file_name("seg_%03d.m4s")
                .display()
                .to_string(),
        ),
    }
    a.push(playlist);
    a
}

/// The filter graph: constant frame rate, then a cascade — each rung scaled from the one above
/// (cheaper than scaling every rung from the full-size source), split off as it passes.
pub fn ladder_graph(ladder: &Ladder) -> String {
    let n = ladder.rungs.len();
    let mut graph = format!(
        "[0:v:0]fps={},format=yuv420p[c]",
        ladder.frame_rate.ffmpeg()
    );
    let mut from = s("c");
    for (i, r) in ladder.rungs.iter().enumerate() {
        let scaled = format!(
            "[{from}]scale={}:{}:flags=bicubic,setsar=1",
            r.width, r.height
        );
        if i + 1 < n {
            graph.push_str(&format!(";{scaled},split=2[v{i}][c{i}]"));
            from = format!("c{i}");
        } else {
            graph.push_str(&format!(";{scaled}[v{i}]"));
        }
    }
    graph
}

/// One FFmpeg process for the whole ladder: decode once, `fps` to a constant rate, the scaling
/// cascade of [`ladder_graph`], every rung encoded in parallel by x264's threads.
pub fn ladder_args(
    preset: &str,
    input: &Path,
    probe: &Probe,
    ladder: &Ladder,
    out: &Path,
) -> Vec<String> {
    let n = ladder.rungs.len();
    let graph = ladder_graph(ladder);
    let mut a = common_input(input);
    a.extend([s("-filter_complex"), graph]);
    for i in 0..n {
        a.extend([s("-map"), format!("[v{i}]")]);
    }
    if probe.has_audio {
        for _ in 0..n {
            a.extend([s("-map"), s("0:a:0")]);
        }
    }
    a.extend(video_codec_args(preset, ladder));
    for i in 0..n {
        a.extend(rung_codec_args(ladder, i, i));
    }
    a.extend([s("-progress"), s("pipe:1")]);
    let map = (0..n)
        .map(|i| {
            if probe.has_audio {
                format!("v:{i},a:{i}")
            } else {
                format!("v:{i}")
            }
        })
        .collect::<Vec<_>>()
        .join(" ");
    a.extend(hls_args(
        ladder,
        out,
        Some(map),
        out.join("v%v/index.m3u8").display().to_string(),
    ));
    a
}

/// One rung on its own (the naive baseline the benchmark compares against).
pub fn single_rung_args(
    preset: &str,
    input: &Path,
    probe: &Probe,
    ladder: &Ladder,
    i: usize,
    out: &Path,
) -> Vec<String> {
    let r = &ladder.rungs[i];
    let mut a = common_input(input);
    a.extend([
        s("-vf"),
        format!(
            "fps={},format=yuv420p,scale={}:{}:flags=bicubic,setsar=1",
            ladder.frame_rate.ffmpeg(),
            r.width,
            r.height
        ),
        s("-map"),
        s("0:v:0"),
    ]);
    if probe.has_audio {
        a.extend([s("-map"), s("0:a:0")]);
    }
    a.extend(video_codec_args(preset, ladder));
    a.extend(rung_codec_args(ladder, i, 0));
    a.extend(hls_args(
        ladder,
        out,
        None,
        out.join(format!("v{i}/index.m3u8")).display().to_string(),
    ));
    a
}

pub fn poster_args(input: &Path, ladder: &Ladder, out: &Path) -> Vec<String> {
    let (w, h) = ladder.poster;
    let mut a = vec![
        s("-hide_banner"),
        s("-nostdin"),
        s("-loglevel"),
        s("error"),
        s("-y"),
        s("-ss"),
        format!("{:.3}", ladder.poster_at_secs),
    ];
    a.extend(input_guard());
    a.extend([s("-i"), input.display().to_string()]);
    a.extend([
        s("-vf"),
        format!("thumbnail=15,scale={w}:{h}:flags=bicubic,setsar=1"),
        s("-frames:v"),
        s("1"),
        s("-q:v"),
        s("3"),
        out.join("poster.jpg").display().to_string(),
    ]);
    a
}

pub fn preview_args(preset: &str, input: &Path, ladder: &Ladder, out: &Path) -> Vec<String> {
    let (w, h) = ladder.preview;
    let rate = ladder.rungs.last().map_or(600_000, |r| r.video_bitrate);
    let mut a = common_input(input);
    a.extend([
        s("-t"),
        format!("{:.3}", ladder.preview_secs),
        s("-an"),
        s("-vf"),
        format!(
            "fps={},format=yuv420p,scale={w}:{h}:flags=bicubic,setsar=1",
            ladder.frame_rate.ffmpeg()
        ),
        s("-c:v"),
        s("libx264"),
        s("-preset"),
        s(preset),
        s("-profile:v"),
        s("main"),
        s("-b:v"),
        s(rate),
        s("-maxrate"),
        s(rate * 11 / 10),
        s("-bufsize"),
        s(rate * 2),
        s("-movflags"),
        s("+faststart"),
        out.join("preview.mp4").display().to_string(),
    ]);
    a
}

impl Encoder for Ffmpeg {
    async fn encode(&self, job: &EncodeJob<'_>) -> Result<Encoded, MediaError> {
        let dir = job.work_dir.join("out");
        let encode_ms = self
            .encode_ladder(job.input, job.probe, job.ladder, &dir)
            .await?;
        let stills_ms = self.stills(job.input, job.ladder, &dir).await?;
        let started = Instant::now();
        let (files, manifest) = package(&dir, job).await?;
        Ok(Encoded::Ready {
            dir,
            files,
            manifest: Box::new(manifest),
            timings_ms: vec![
                ("encode", encode_ms),
                ("stills", stills_ms),
                ("package", started.elapsed().as_millis() as u64),
            ],
        })
    }
}
