use crate::sdk_error;
use aws_sdk_sqs::Client;
use reelcart_ports::{MessageQueue, PortError, PortResult};

/// An SQS queue by URL.
#[derive(Debug, Clone)]
pub struct SqsQueue {
    client: Client,
    url: String,
}

impl SqsQueue {
    pub fn new(client: Client, url: impl Into<String>) -> Self {
        Self {
            client,
            url: url.into(),
        }
    }
    pub fn url(&self) -> &str {
        &self.url
    }
}

impl MessageQueue for SqsQueue {
    async fn send(&self, body: &str) -> PortResult<String> {
        let out = self
            .client
            .send_message()
            .queue_url(&self.url)
            .message_body(body)
            .send()
            .await
            .map_err(|e| sdk_error("queue.send", e))?;
        out.message_id
            .ok_or_else(|| PortError::unavailable("queue.send", "no message id in response"))
    }
}
