//! The raw bucket: where fetched media and creators' uploads are kept before transcoding.

use std::path::Path;

/// Raw media storage (the raw bucket), from files.
pub trait RawMedia: Send + Sync {
    fn bucket(&self) -> &str;
    /// An object's type, size and `x-amz-meta-*` metadata; `None` if there is no such object.
    fn head(&self, key: &str) -> impl Future<Output = Result<Option<ObjectHead>, String>> + Send;
    fn put_file(
        &self,
        key: &str,
        path: &Path,
        content_type: &str,
    ) -> impl Future<Output = Result<(), String>> + Send;
}

/// What a HEAD of a raw object tells.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ObjectHead {
    pub content_type: String,
    pub size: u64,
    pub metadata: std::collections::HashMap<String, String>,
}

/// The raw bucket in S3.
#[derive(Debug, Clone)]
pub struct S3Raw {
    pub client: aws_sdk_s3::Client,
    pub bucket: String,
}

impl RawMedia for S3Raw {
    fn bucket(&self) -> &str {
        &self.bucket
    }

    async fn head(&self, key: &str) -> Result<Option<ObjectHead>, String> {
        match self
            .client
            .head_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
        {
            Ok(h) => Ok(Some(ObjectHead {
                content_type: h.content_type().unwrap_or_default().to_string(),
                size: h.content_length().unwrap_or(0).max(0) as u64,
                metadata: h.metadata().cloned().unwrap_or_default(),
            })),
            Err(e) if e.as_service_error().is_some_and(|e| e.is_not_found()) => Ok(None),
            Err(e) => Err(aws_sdk_s3::error::DisplayErrorContext(e).to_string()),
        }
    }

    async fn put_file(&self, key: &str, path: &Path, content_type: &str) -> Result<(), String> {
        let body = aws_sdk_s3::primitives::ByteStream::from_path(path)
            .await
            .map_err(|e| e.to_string())?;
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .body(body)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| aws_sdk_s3::error::DisplayErrorContext(e).to_string())
    }
}
