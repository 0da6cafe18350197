//! Instagram: the brand's account through its Meta connection; hashtag search (within the
//! 30-a-week budget), media the brand is tagged in, and media it is mentioned in.

use crate::{Candidate, Error, Handler, MediaSource, PollReport, RawMedia, SourceReport};
use reelcart_catalog::PushError;
use reelcart_domain::connection::OAuthPlatform;
use reelcart_domain::content::{Author, MediaType, Source};
use reelcart_platforms::HttpTokenClient;
use reelcart_platforms::catalog::RefresherTokens;
use reelcart_platforms::ugc::{HashtagEdge, IgMedia, Instagram};
use reelcart_ports::{
    BlobStore, ConnectionStore, ContentStore, EventBus, KeyService, MessageQueue,
};
use serde_json::{Value, json};

pub(crate) type Tokens<CS, K, E> = RefresherTokens<CS, K, HttpTokenClient, E>;

impl Candidate {
    /// From a Graph media object.
    pub fn from_instagram(source: Source, m: &IgMedia) -> Self {
        let media_type = match m.media_type.as_deref() {
            Some("VIDEO") | Some("REELS") => MediaType::Video,
            Some("CAROUSEL_ALBUM") => MediaType::Carousel,
            _ => MediaType::Image,
        };
        Self {
            source,
            external_id: m.id.clone(),
            media_type,
            media: m
                .media_url
                .clone()
                .map_or(MediaSource::None, |url| MediaSource::Url {
                    url,
                    cover: false,
                }),
            permalink: m.permalink.clone(),
            caption: m.caption.clone().unwrap_or_default(),
            author: Author {
                handle: m.username.clone(),
                creator_id: None,
            },
            granted: None,
            mappings: Vec::new(),
        }
    }
}

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
    /// The brand's Instagram account through its Meta connection, if both are configured.
    pub(crate) async fn instagram(&self) -> Result<Option<Instagram<Tokens<CS, K, E>>>, Error> {
        let Some(ig_user_id) = &self.config.ig_user_id else {
            return Ok(None);
        };
        let Some(connection) = self
            .connections_of(OAuthPlatform::Meta)
            .await?
            .into_iter()
            .next()
        else {
            tracing::info!("no Meta connection: Instagram is not read");
            return Ok(None);
        };
        let tokens = RefresherTokens::new(self.connections.clone(), connection);
        Instagram::new(self.connections.client.config(), ig_user_id.clone(), tokens)
            .map(Some)
            .map_err(|e| Error::Platform(PushError::Fatal(e.without_url().to_string())))
    }

    pub(crate) async fn instagram_required(&self) -> Result<Instagram<Tokens<CS, K, E>>, Error> {
        self.instagram().await?.ok_or_else(|| {
            Error::Platform(PushError::Auth(
                "Instagram is not connected (IG_USER_ID and a Meta connection)".into(),
            ))
        })
    }

    pub(crate) async fn poll_hashtags(
        &self,
        ig: &Instagram<Tokens<CS, K, E>>,
        report: &mut PollReport,
    ) -> Result<(), Error> {
        let now = self.clock.now_unix();
        for tag in &self.config.hashtags {
            let name = reelcart_domain::content::hashtag_budget::normalize(tag);
            let mut r = SourceReport::named(format!("instagram_hashtag:#{name}"));
            // The budget is written before the query: a query that fails still counts.
            let mut budget = self.content.hashtag_budget().await?;
            if let Err(over) = budget.admit(&name, now) {
                tracing::warn!(error = %over, "hashtag skipped");
                r.error = Some(over.to_string());
                report.sources.push(r);
                continue;
            }
            self.content.put_hashtag_budget(&budget).await?;
            let id = match budget.ids.get(&name) {
                Some(id) => id.clone(),
                None => match ig.hashtag_id(&name).await {
                    Ok(id) => {
                        budget.ids.insert(name.clone(), id.clone());
                        self.content.put_hashtag_budget(&budget).await?;
                        id
                    }
                    Err(e) => {
                        r.error = Some(e.to_string());
                        report.sources.push(r);
                        continue;
                    }
                },
            };
            let mut after: Option<String> = None;
            for _ in 0..self.config.max_pages.max(1) {
                match ig
                    .hashtag_media(&id, HashtagEdge::Recent, after.as_deref())
                    .await
                {
                    Ok(page) => {
                        let found: Vec<Candidate> = page
                            .items
                            .iter()
                            .map(|m| Candidate::from_instagram(Source::InstagramHashtag, m))
                            .collect();
                        self.ingest_all(&mut r, &found).await;
                        after = page.after;
                    }
                    Err(e) => {
                        r.error = Some(e.to_string());
                        break;
                    }
                }
                if after.is_none() {
                    break;
                }
            }
            report.sources.push(r);
        }
        Ok(())
    }

    /// Media the brand is tagged in.
    pub(crate) async fn poll_tags(&self, ig: &Instagram<Tokens<CS, K, E>>) -> SourceReport {
        let mut tags = SourceReport::named("instagram_tags");
        let mut after: Option<String> = None;
        for _ in 0..self.config.max_pages.max(1) {
            match ig.tags(after.as_deref()).await {
                Ok(page) => {
                    let found: Vec<Candidate> = page
                        .items
                        .iter()
                        .map(|m| Candidate::from_instagram(Source::InstagramTag, m))
                        .collect();
                    self.ingest_all(&mut tags, &found).await;
                    after = page.after;
                }
                Err(e) => {
                    tags.error = Some(e.to_string());
                    break;
                }
            }
            if after.is_none() {
                break;
            }
        }
        tags
    }

    pub(crate) async fn on_mentioned_media(&self, media_id: &str) -> Result<Value, Error> {
        let ig = self.instagram_required().await?;
        let media = ig.mentioned_media(media_id).await?;
        let outcome = self
            .ingest(&Candidate::from_instagram(Source::InstagramMention, &media))
            .await?;
        Ok(json!(outcome))
    }
}
