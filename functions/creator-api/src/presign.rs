//! Signing: upload policies, and links to a creator's own media not yet on the CDN — the
//! [`Presigner`] port and its AWS SDK adapter.

use reelcart_aws::presign::{PostPolicy, PostUpload};
use reelcart_ports::{PortResult, SignedReads};

/// How long a link to a submission's poster works.
pub const MEDIA_LINK_SECS: u64 = 3600;

/// Signs upload policies, and links to the media bucket's files (with the function's own
/// credentials in AWS).
pub trait Presigner: Send + Sync {
    fn presign(
        &self,
        policy: &PostPolicy,
        now: i64,
    ) -> impl Future<Output = PortResult<PostUpload>> + Send;
    /// A link that reads the media bucket's `key` for [`MEDIA_LINK_SECS`].
    fn media_link(&self, key: &str) -> impl Future<Output = PortResult<String>> + Send;
}

/// The SDK configuration's credentials, region and endpoint; the media bucket.
#[derive(Debug, Clone)]
pub struct SdkPresigner {
    pub sdk: reelcart_aws::SdkConfig,
    pub media: reelcart_aws::S3Blobs,
}

impl Presigner for SdkPresigner {
    async fn presign(&self, policy: &PostPolicy, now: i64) -> PortResult<PostUpload> {
        reelcart_aws::presign::presign_post(&self.sdk, policy, now).await
    }

    async fn media_link(&self, key: &str) -> PortResult<String> {
        self.media.signed_get(key, MEDIA_LINK_SECS).await
    }
}
