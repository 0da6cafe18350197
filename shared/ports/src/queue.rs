//! Queues to send messages to (SQS in AWS).

use crate::{PortError, PortResult, lock};
use std::future::Future;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// A queue to send messages to.
pub trait MessageQueue: Send + Sync {
    /// Send one message; returns the queue's message id.
    fn send(&self, body: &str) -> impl Future<Output = PortResult<String>> + Send;
}

/// A queue that keeps what was sent. `fail_sends` simulates an outage.
#[derive(Debug, Default)]
pub struct MemoryQueue {
    messages: Mutex<Vec<String>>,
    next_id: AtomicU64,
    pub fail_sends: AtomicBool,
}

impl MemoryQueue {
    pub fn messages(&self) -> Vec<String> {
        lock(&self.messages).clone()
    }
}

impl MessageQueue for MemoryQueue {
    async fn send(&self, body: &str) -> PortResult<String> {
        if self.fail_sends.load(Ordering::SeqCst) {
            return Err(PortError::unavailable("queue.send", "simulated outage"));
        }
        lock(&self.messages).push(body.to_string());
        Ok(format!(
            "mem-{}",
            self.next_id.fetch_add(1, Ordering::SeqCst)
        ))
    }
}

/// The contract suite every adapter of this port passes.
#[cfg(any(test, feature = "contract"))]
pub mod contract {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    /// `received` reads back what the queue holds (the suite cannot know how for each adapter).
    pub async fn message_queue<Q: MessageQueue>(queue: &Q, ns: &str) -> Vec<String> {
        let bodies = [format!("{ns}-1"), format!("{{\"n\":\"{ns}\",\"ü\":\"✓\"}}")];
        let mut ids = Vec::new();
        for b in &bodies {
            ids.push(queue.send(b).await.unwrap());
        }
        assert_eq!(ids.len(), 2);
        assert_ne!(ids[0], ids[1], "message ids must be distinct");
        bodies.to_vec()
    }
}
