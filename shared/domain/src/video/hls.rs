//! HLS playlists: reading a media playlist FFmpeg wrote, measuring each variant's peak and
//! average bitrate from its segments, and writing the master playlist players start from without
//! probing (RFC 8216 §4.3.4.2: `BANDWIDTH` is the peak segment bitrate).

use super::Rung;
use super::ladder::FrameRate;

/// A media playlist's files.
#[derive(Debug, Clone, PartialEq)]
pub struct MediaPlaylist {
    /// `#EXT-X-MAP` (the fMP4 initialization segment).
    pub init: Option<String>,
    /// Segment URI and duration in seconds.
    pub segments: Vec<(String, f64)>,
    pub ended: bool,
}

/// Read a media playlist. Anything that is not one (no `#EXTM3U`, a segment without `#EXTINF`)
/// is an error.
pub fn parse_media_playlist(text: &str) -> Result<MediaPlaylist, String> {
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    if lines.next() != Some("#EXTM3U") {
        return Err("not an M3U8 playlist".into());
    }
    let mut out = MediaPlaylist {
        init: None,
        segments: Vec::new(),
        ended: false,
    };
    let mut duration: Option<f64> = None;
    for line in lines {
        if let Some(rest) = line.strip_prefix("#EXTINF:") {
            let d = rest.split(',').next().unwrap_or_default();
            duration = Some(
                d.parse::<f64>()
                    .map_err(|_| format!("bad #EXTINF duration `{d}`"))?,
            );
        } else if let Some(rest) = line.strip_prefix("#EXT-X-MAP:") {
            out.init = attribute(rest, "URI");
        } else if line == "#EXT-X-ENDLIST" {
            out.ended = true;
        } else if !line.starts_with('#') {
            let d = duration
                .take()
                .ok_or_else(|| format!("segment `{line}` has no #EXTINF"))?;
            out.segments.push((line.to_string(), d));
        }
    }
    Ok(out)
}

/// A quoted or bare attribute of a tag's attribute list.
fn attribute(list: &str, name: &str) -> Option<String> {
    let start = list.find(&format!("{name}="))? + name.len() + 1;
    let rest = &list[start..];
    if let Some(q) = rest.strip_prefix('"') {
        q.split('"').next().map(str::to_string)
    } else {
        rest.split(',').next().map(str::to_string)
    }
}

/// Peak and average bitrate (bits/s) of a variant: each segment's size over its duration.
pub fn measure(
    playlist: &MediaPlaylist,
    size_of: impl Fn(&str) -> Option<u64>,
) -> Result<(u64, u64), String> {
    let mut peak = 0.0f64;
    let (mut bytes, mut secs) = (0u64, 0.0f64);
    for (uri, d) in &playlist.segments {
        let size = size_of(uri).ok_or_else(|| format!("segment `{uri}` is missing"))?;
        if *d > 0.0 {
            peak = peak.max(size as f64 * 8.0 / d);
        }
        bytes += size;
        secs += d;
    }
    if secs <= 0.0 {
        return Err("the playlist has no segments".into());
    }
    Ok((
        peak.ceil() as u64,
        (bytes as f64 * 8.0 / secs).ceil() as u64,
    ))
}

/// One entry of the master playlist.
#[derive(Debug, Clone, PartialEq)]
pub struct Variant<'a> {
    pub rung: &'a Rung,
    pub uri: String,
    pub peak_bandwidth: u64,
    pub average_bandwidth: u64,
}

/// The master playlist. `first` is listed first: players without a start level of their own
/// (Safari's native HLS) begin with it, so it is the rung that starts fast on a phone.
pub fn master_playlist(variants: &[Variant<'_>], frame_rate: FrameRate, first: usize) -> String {
    let mut out = String::from("#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-INDEPENDENT-SEGMENTS\n");
    let order = std::iter::once(first)
        .filter(|i| *i < variants.len())
        .chain((0..variants.len()).filter(|i| *i != first));
    for i in order {
        let v = &variants[i];
        out.push_str(&format!(
            "#EXT-X-STREAM-INF:BANDWIDTH={},AVERAGE-BANDWIDTH={},CODECS=\"{}\",RESOLUTION={},FRAME-RATE={:.3}\n{}\n",
            v.peak_bandwidth,
            v.average_bandwidth,
            v.rung.codecs(),
            v.rung.resolution(),
            frame_rate.as_f64(),
            v.uri
        ));
    }
    out
}

/// The rung a phone should start on: the highest whose short side is at most 540, else the lowest.
pub fn start_rung(rungs: &[Rung]) -> usize {
    rungs
        .iter()
        .position(|r| r.width.min(r.height) <= 540)
        .unwrap_or(rungs.len().saturating_sub(1))
}

/// `text` with every URI it names replaced by `f(uri)`: each URI line (a variant or a segment)
/// and each `URI="…"` attribute (`EXT-X-MAP`, `EXT-X-MEDIA`, `EXT-X-KEY`, `EXT-X-I-FRAME-STREAM-INF`).
/// Other lines are kept as they are, line endings normalized to `\n`.
pub fn rewrite_uris<E>(
    text: &str,
    mut f: impl FnMut(&str) -> Result<String, E>,
) -> Result<String, E> {
    const ATTR: &str = "URI=\"";
    let mut out = String::with_capacity(text.len() * 2);
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        if line.starts_with('#') {
            match line.find(ATTR) {
                Some(at) => {
                    let start = at + ATTR.len();
                    match line[start..].find('"') {
                        Some(len) => {
                            out.push_str(&line[..start]);
                            out.push_str(&f(&line[start..start + len])?);
                            out.push_str(&line[start + len..]);
                        }
                        None => out.push_str(line),
                    }
                }
                None => out.push_str(line),
            }
        } else if line.trim().is_empty() {
            out.push_str(line);
        } else {
            out.push_str(&f(line.trim())?);
        }
        out.push('\n');
    }
    Ok(out)
}
