//! TikTok: each connected creator's own public videos (Display API `video.list`). There is no
//! file to download there: the cover is kept, and the video shown by its embed.

use crate::{Candidate, Error, Handler, MediaSource, PollReport, RawMedia, SourceReport};
use reelcart_domain::connection::OAuthPlatform;
use reelcart_domain::content::{Author, MediaType, Source};
use reelcart_ports::{
    BlobStore, ConnectionStore, ContentStore, EventBus, KeyService, MessageQueue,
};

impl<S, Q, B, R, CS, K, E> Handler<S, Q, B, R, CS, K, E>
where
    S: ContentStore,
    Q: MessageQueue,
    B: BlobStore,
    R: RawMedia,
    CS: ConnectionStore,
    K: KeyService,
    E: EventBus,
{
    pub(crate) async fn poll_tiktok(&self, report: &mut PollReport) -> Result<(), Error> {
        for connection in self.connections_of(OAuthPlatform::Tiktok).await? {
            let open_id = connection
                .split_once('#')
                .map_or(connection.as_str(), |(_, a)| a)
                .to_string();
            let mut r = SourceReport::named(format!("tiktok:{open_id}"));
            let token = match self.connections.fresh_access_token(&connection).await {
                Ok(t) => t,
                Err(e) => {
                    r.error = Some(e.to_string());
                    report.sources.push(r);
                    continue;
                }
            };
            let mut cursor = None;
            for _ in 0..self.config.max_pages.max(1) {
                match self.tiktok.video_list(&token, cursor).await {
                    Ok(page) => {
                        let found: Vec<Candidate> = page
                            .videos
                            .iter()
                            .map(|v| Candidate {
                                source: Source::Tiktok,
                                external_id: v.id.clone(),
                                media_type: MediaType::Video,
                                media: v.cover_image_url.clone().map_or(MediaSource::None, |url| {
                                    MediaSource::Url { url, cover: true }
                                }),
                                permalink: v.share_url.clone(),
                                caption: v.video_description.clone(),
                                author: Author {
                                    handle: None,
                                    creator_id: Some(open_id.clone()),
                                },
                                granted: None,
                                mappings: Vec::new(),
                            })
                            .collect();
                        self.ingest_all(&mut r, &found).await;
                        cursor = page.cursor;
                    }
                    Err(e) => {
                        r.error = Some(e.to_string());
                        break;
                    }
                }
                if cursor.is_none() {
                    break;
                }
            }
            report.sources.push(r);
        }
        Ok(())
    }
}
