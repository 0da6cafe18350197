//! What moderators see of an item's media. The CDN serves only published media, so the console
//! reads the rest straight from the media bucket through links signed for an hour:
//! `GET /v1/moderation/items/{id}/preview` copies the item's HLS playlists under `review/`
//! with every URI in them replaced by a signed link (the segments', and the master's to its
//! rewritten variants), and answers the signed links to the master, the poster and the preview.
//! Playlists name their files relatively, and a relative name resolved against a signed link
//! loses the signature: hence the copies. The bucket expires `review/` after a day.

use super::client;
use crate::Api;
use crate::Ports;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Response};
use reelcart_domain::video::MediaManifest;
use reelcart_domain::video::hls::rewrite_uris;
use reelcart_lambda::http::{ApiError, json};
use reelcart_ports::{BlobStore, MediaRecords, SignedReads};
use serde_json::json as j;

/// How long a preview's links work.
pub const REVIEW_SECS: u64 = 3600;
/// Playlists read for one preview, at most (a master and its variants).
const MAX_PLAYLISTS: usize = 16;
const PLAYLIST: &str = "application/vnd.apple.mpegurl";

/// `key`'s directory, with its `/`.
fn dir_of(key: &str) -> &str {
    key.rfind('/').map_or("", |i| &key[..=i])
}

/// A playlist's relative `uri`, resolved against the directory of the playlist at `key`: the
/// object key it names, kept under `prefix` (the media version's own files, nothing else).
fn resolve(key: &str, uri: &str, prefix: &str) -> Result<String, ApiError> {
    let refused = || {
        ApiError::internal(format!(
            "playlist {key} names `{uri}`, not a file of its own"
        ))
    };
    if uri.contains("://") || uri.starts_with('/') || uri.contains('?') || uri.contains('#') {
        return Err(refused());
    }
    let mut parts: Vec<&str> = dir_of(key).split('/').filter(|p| !p.is_empty()).collect();
    for part in uri.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    let resolved = parts.join("/");
    if resolved.starts_with(prefix) {
        Ok(resolved)
    } else {
        Err(refused())
    }
}

impl<P: Ports> Api<P> {
    /// A signed link to one of the manifest's files.
    pub(super) async fn signed(
        &self,
        manifest: &MediaManifest,
        url: &str,
    ) -> Result<Option<String>, ApiError> {
        match manifest.key_of(url) {
            Some(key) => Ok(Some(self.files.signed_get(&key, REVIEW_SECS).await?)),
            None => Ok(None),
        }
    }

    pub(super) async fn preview(&self, id: &str) -> Result<Response<Body>, ApiError> {
        self.existing(id).await?;
        let manifest = self
            .media
            .get(id)
            .await?
            .and_then(|r| r.manifest)
            .ok_or_else(|| {
                client(
                    StatusCode::NOT_FOUND,
                    "no_media",
                    "this item has no transcoded media",
                )
            })?;
        let master = manifest
            .key_of(&manifest.master)
            .ok_or_else(|| ApiError::internal("the manifest's master is not under its prefix"))?;
        let copy = format!("review/{id}/{}/", uuid::Uuid::new_v4().simple());
        let mut budget = MAX_PLAYLISTS;
        let master_copy = self
            .copy_playlist(&manifest.prefix, &master, &copy, &mut budget, true)
            .await?;
        let now = self.clock.now_unix();
        Ok(json(
            StatusCode::OK,
            &j!({
                "master": self.files.signed_get(&master_copy, REVIEW_SECS).await?,
                "poster": self.signed(&manifest, &manifest.poster).await?,
                "preview": match &manifest.preview {
                    Some(p) => self.signed(&manifest, p).await?,
                    None => None,
                },
                "expires_at": now + REVIEW_SECS as i64,
            }),
        ))
    }

    /// Copy the playlist at `key` under `copy` (same path below `prefix`) with its URIs signed:
    /// a master's variants are copied first, and the copy's key is returned.
    async fn copy_playlist(
        &self,
        prefix: &str,
        key: &str,
        copy: &str,
        budget: &mut usize,
        master: bool,
    ) -> Result<String, ApiError> {
        *budget = budget
            .checked_sub(1)
            .ok_or_else(|| ApiError::internal("too many playlists"))?;
        let bytes = self
            .files
            .get(key)
            .await?
            .ok_or_else(|| ApiError::internal(format!("playlist {key} is missing")))?;
        let text = std::str::from_utf8(&bytes)
            .map_err(|_| ApiError::internal(format!("playlist {key} is not UTF-8")))?;
        // Resolve every URI first (the rewrite's closure cannot await).
        let mut signed = std::collections::BTreeMap::new();
        let mut uris = Vec::new();
        rewrite_uris(text, |uri| {
            uris.push(uri.to_string());
            Ok::<_, ApiError>(String::new())
        })?;
        for uri in uris {
            if signed.contains_key(&uri) {
                continue;
            }
            let target = resolve(key, &uri, prefix)?;
            let link = if master && target.ends_with(".m3u8") {
                let variant =
                    Box::pin(self.copy_playlist(prefix, &target, copy, budget, false)).await?;
                self.files.signed_get(&variant, REVIEW_SECS).await?
            } else {
                self.files.signed_get(&target, REVIEW_SECS).await?
            };
            signed.insert(uri, link);
        }
        let rewritten = rewrite_uris(text, |uri| {
            signed
                .get(uri)
                .cloned()
                .ok_or_else(|| ApiError::internal("a URI changed between two readings"))
        })?;
        let out = format!("{copy}{}", &key[prefix.len().min(key.len())..]);
        self.files
            .put(&out, rewritten.into_bytes().into(), PLAYLIST)
            .await?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_playlists_uris_resolve_to_its_own_files_only() {
        let p = "media/it/abc-v1/";
        let master = "media/it/abc-v1/master.m3u8";
        let variant = "media/it/abc-v1/v0/index.m3u8";
        assert_eq!(
            resolve(master, "v0/index.m3u8", p).unwrap(),
            "media/it/abc-v1/v0/index.m3u8"
        );
        assert_eq!(
            resolve(variant, "seg_000.m4s", p).unwrap(),
            "media/it/abc-v1/v0/seg_000.m4s"
        );
        assert_eq!(
            resolve(variant, "../v1/init.mp4", p).unwrap(),
            "media/it/abc-v1/v1/init.mp4"
        );
        for bad in [
            "../../other/x.m4s",
            "../../../../etc/passwd",
            "https://evil.example/x.m4s",
            "/media/it/abc-v1/x.m4s",
            "x.m4s?y=1",
        ] {
            assert!(resolve(variant, bad, p).is_err(), "{bad}");
        }
    }
}
