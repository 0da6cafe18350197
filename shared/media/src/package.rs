//! After an FFmpeg encode: measure each variant from its segments, write the master playlist and
//! the media manifest, and list every file with its content type.

use crate::{EncodeJob, MediaError, OutputFile};
use reelcart_domain::video::hls::{
    Variant, master_playlist, measure, parse_media_playlist, start_rung,
};
use reelcart_domain::video::manifest::aspect_label;
use reelcart_domain::video::{MediaManifest, PIPELINE_VERSION, Rendition, content_type};
use std::collections::HashMap;
use std::path::Path;

pub const MASTER: &str = "master.m3u8";
pub const POSTER: &str = "poster.jpg";
pub const PREVIEW: &str = "preview.mp4";
pub const MANIFEST: &str = "media_manifest.json";

fn io(what: &str, path: &Path, e: std::io::Error) -> MediaError {
    MediaError::Transient(format!("{what} {}: {e}", path.display()))
}

/// Every file under `dir`, relative, with its size.
async fn walk(dir: &Path) -> Result<Vec<(String, u64)>, MediaError> {
    let mut out = Vec::new();
    let mut stack = vec![(dir.to_path_buf(), String::new())];
    while let Some((path, rel)) = stack.pop() {
        let mut entries = tokio::fs::read_dir(&path)
            .await
            .map_err(|e| io("listing", &path, e))?;
        while let Some(entry) = entries
            .next_entry()
            .await
            .map_err(|e| io("listing", &path, e))?
        {
            let name = entry.file_name().to_string_lossy().into_owned();
            let child = if rel.is_empty() {
                name
            } else {
                format!("{rel}/{name}")
            };
            let meta = entry
                .metadata()
                .await
                .map_err(|e| io("reading", &entry.path(), e))?;
            if meta.is_dir() {
                stack.push((entry.path(), child));
            } else {
                out.push((child, meta.len()));
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Write `master.m3u8` and `media_manifest.json` into `dir` and list what to publish.
pub async fn package(
    dir: &Path,
    job: &EncodeJob<'_>,
) -> Result<(Vec<OutputFile>, MediaManifest), MediaError> {
    let ladder = job.ladder;
    let sizes: HashMap<String, u64> = walk(dir).await?.into_iter().collect();
    let mut variants = Vec::new();
    for (i, rung) in ladder.rungs.iter().enumerate() {
        let uri = format!("v{i}/index.m3u8");
        let path = dir.join(&uri);
        let text = tokio::fs::read_to_string(&path)
            .await
            .map_err(|e| io("reading", &path, e))?;
        let playlist = parse_media_playlist(&text)
            .map_err(|e| MediaError::Transient(format!("{uri}: {e}")))?;
        if let Some(init) = &playlist.init
            && !sizes.contains_key(&format!("v{i}/{init}"))
        {
            return Err(MediaError::Transient(format!(
                "{uri}: {init} was not written"
            )));
        }
        let (peak, average) = measure(&playlist, |seg| sizes.get(&format!("v{i}/{seg}")).copied())
            .map_err(|e| MediaError::Transient(format!("{uri}: {e}")))?;
        variants.push(Variant {
            rung,
            uri,
            peak_bandwidth: peak,
            average_bandwidth: average,
        });
    }
    for still in [POSTER, PREVIEW] {
        if !sizes.contains_key(still) {
            return Err(MediaError::Transient(format!("{still} was not written")));
        }
    }
    let first = start_rung(&ladder.rungs);
    let master = master_playlist(&variants, ladder.frame_rate, first);
    let master_path = dir.join(MASTER);
    tokio::fs::write(&master_path, &master)
        .await
        .map_err(|e| io("writing", &master_path, e))?;

    let url = |rel: &str| format!("{}/{}{rel}", job.public_base, job.prefix);
    let top = &ladder.rungs[0];
    let manifest = MediaManifest {
        item_id: job.item_id.to_string(),
        version: PIPELINE_VERSION,
        master: url(MASTER),
        poster: url(POSTER),
        preview: Some(url(PREVIEW)),
        duration_secs: (job.probe.duration_secs * 1000.0).round() / 1000.0,
        width: top.width,
        height: top.height,
        aspect_ratio: aspect_label(top.width, top.height),
        orientation: ladder.orientation,
        has_audio: job.probe.has_audio,
        renditions: variants
            .iter()
            .map(|v| Rendition {
                name: v.rung.name.clone(),
                width: v.rung.width,
                height: v.rung.height,
                bandwidth: v.peak_bandwidth,
                average_bandwidth: v.average_bandwidth,
                codecs: v.rung.codecs(),
                frame_rate: ladder.frame_rate.as_f64(),
                playlist: url(&v.uri),
            })
            .collect(),
        start_rendition: first,
        prefix: job.prefix.to_string(),
        created_at: job.now,
    };
    let body = serde_json::to_vec_pretty(&manifest)
        .map_err(|e| MediaError::Transient(format!("manifest: {e}")))?;
    let manifest_path = dir.join(MANIFEST);
    tokio::fs::write(&manifest_path, body)
        .await
        .map_err(|e| io("writing", &manifest_path, e))?;

    let files = walk(dir)
        .await?
        .into_iter()
        .map(|(relative, bytes)| OutputFile {
            content_type: content_type(&relative),
            relative,
            bytes,
        })
        .collect();
    Ok((files, manifest))
}
