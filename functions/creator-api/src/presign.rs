//! Signing upload policies: the [`Presigner`] port and its AWS SDK adapter.

use reelcart_aws::presign::{PostPolicy, PostUpload};
use reelcart_ports::PortResult;

/// Signs upload policies (with the function's own credentials in AWS).
pub trait Presigner: Send + Sync {
    fn presign(
        &self,
        policy: &PostPolicy,
        now: i64,
    ) -> impl Future<Output = PortResult<PostUpload>> + Send;
}

/// The SDK configuration's credentials, region and endpoint.
#[derive(Debug, Clone)]
pub struct SdkPresigner(pub reelcart_aws::SdkConfig);

impl Presigner for SdkPresigner {
    async fn presign(&self, policy: &PostPolicy, now: i64) -> PortResult<PostUpload> {
        reelcart_aws::presign::presign_post(&self.0, policy, now).await
    }
}
