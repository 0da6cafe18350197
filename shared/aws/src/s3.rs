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
