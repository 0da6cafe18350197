use crate::sdk_error;
use aws_sdk_s3::Client;
use aws_sdk_s3::primitives::ByteStream;
use bytes::Bytes;
use reelcart_ports::{BlobStore, PortError, PortResult};

/// One S3 bucket.
#[derive(Debug, Clone)]
pub struct S3Blobs {
    client: Client,
    bucket: String,
}

impl S3Blobs {
    pub fn new(client: Client, bucket: impl Into<String>) -> Self {
        Self {
            client,
            bucket: bucket.into(),
        }
    }
}

impl BlobStore for S3Blobs {
    async fn put(&self, key: &str, bytes: Bytes, content_type: &str) -> PortResult<()> {
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .body(ByteStream::from(bytes))
            .send()
            .await
            .map_err(|e| sdk_error("blobs.put", e))?;
        Ok(())
    }

    async fn get(&self, key: &str) -> PortResult<Option<Bytes>> {
        let result = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await;
        match result {
            Ok(out) => {
                let body = out
                    .body
                    .collect()
                    .await
                    .map_err(|e| PortError::unavailable("blobs.get.body", e))?;
                Ok(Some(body.into_bytes()))
            }
            Err(e) if e.as_service_error().is_some_and(|e| e.is_no_such_key()) => Ok(None),
            Err(e) => Err(sdk_error("blobs.get", e)),
        }
    }
}

impl reelcart_ports::SignedReads for S3Blobs {
    /// A presigned GET (SigV4, query string). Signed with the function's role: the link stops
    /// working when the role's session ends, if that comes first.
    async fn signed_get(&self, key: &str, expires_in_secs: u64) -> PortResult<String> {
        let config = aws_sdk_s3::presigning::PresigningConfig::expires_in(
            std::time::Duration::from_secs(expires_in_secs),
        )
        .map_err(|e| PortError::invalid("blobs.sign", e))?;
        let signed = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .presigned(config)
            .await
            .map_err(|e| sdk_error("blobs.sign", e))?;
        Ok(signed.uri().to_string())
    }
}

/// Media visibility as S3 object tags: the media bucket's policy lets CloudFront read a file only
/// while it is tagged [`reelcart_ports::media::VISIBILITY_TAG`] = `public`.
#[derive(Debug, Clone)]
pub struct S3MediaVisibility {
    client: Client,
    bucket: String,
}

impl S3MediaVisibility {
    /// Files tagged at once (S3 tags one object per call).
    const CONCURRENCY: usize = 16;

    pub fn new(client: Client, bucket: impl Into<String>) -> Self {
        Self {
            client,
            bucket: bucket.into(),
        }
    }

    async fn tag(&self, key: String, public: bool) -> PortResult<()> {
        use aws_sdk_s3::types::{Tag, Tagging};
        use reelcart_ports::media::{VISIBILITY_TAG, VISIBLE};
        if public {
            let tag = Tag::builder()
                .key(VISIBILITY_TAG)
                .value(VISIBLE)
                .build()
                .map_err(|e| PortError::invalid("visibility.encode", e))?;
            let tagging = Tagging::builder()
                .tag_set(tag)
                .build()
                .map_err(|e| PortError::invalid("visibility.encode", e))?;
            self.client
                .put_object_tagging()
                .bucket(&self.bucket)
                .key(&key)
                .tagging(tagging)
                .send()
                .await
                .map_err(|e| sdk_error("visibility.open", e))?;
        } else {
            self.client
                .delete_object_tagging()
                .bucket(&self.bucket)
                .key(&key)
                .send()
                .await
                .map_err(|e| sdk_error("visibility.close", e))?;
        }
        Ok(())
    }
}

/// Every key under `media/{item_id}/` (every version of the item's media).
pub async fn media_keys(client: &Client, bucket: &str, item_id: &str) -> PortResult<Vec<String>> {
    let prefix = format!("media/{item_id}/");
    let mut keys = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = client
            .list_objects_v2()
            .bucket(bucket)
            .prefix(&prefix)
            .set_continuation_token(token.take())
            .send()
            .await
            .map_err(|e| sdk_error("media.list", e))?;
        keys.extend(
            page.contents()
                .iter()
                .filter_map(|o| o.key().map(str::to_string)),
        );
        match page.next_continuation_token() {
            Some(t) if page.is_truncated() == Some(true) => token = Some(t.to_string()),
            _ => return Ok(keys),
        }
    }
}

impl reelcart_ports::MediaVisibility for S3MediaVisibility {
    async fn set(&self, item_id: &str, public: bool) -> PortResult<usize> {
        use futures::{StreamExt, TryStreamExt};
        let keys = media_keys(&self.client, &self.bucket, item_id).await?;
        let changed = keys.len();
        futures::stream::iter(keys)
            .map(|key| self.tag(key, public))
            .buffer_unordered(Self::CONCURRENCY)
            .try_collect::<Vec<()>>()
            .await?;
        Ok(changed)
    }
}
