//! What can go wrong behind a port, as a kind callers match on (HTTP mapping, retries), never as
//! text.

/// A failure of the backing service or of the data it holds. Handlers log it and answer 5xx /
/// fail the record; [`PortError::is_retryable`] says whether trying again can help.
#[derive(Debug, thiserror::Error)]
pub enum PortError {
    /// The service failed, timed out or could not be reached: a retry may succeed.
    #[error("{operation}: unavailable: {message}")]
    Unavailable {
        operation: &'static str,
        message: String,
    },
    /// The service refused the rate (DynamoDB throughput, SQS/KMS request limits): retry later.
    #[error("{operation}: throttled: {message}")]
    Throttled {
        operation: &'static str,
        message: String,
    },
    /// The caller's identity may not do this (a missing IAM permission, a disabled KMS key): a
    /// deployment fault, not a transient one.
    #[error("{operation}: denied: {message}")]
    Denied {
        operation: &'static str,
        message: String,
    },
    /// A write's condition did not hold where the port does not expect a race (a conflicting
    /// concurrent writer): retrying reads the new state.
    #[error("{operation}: conflict: {message}")]
    Conflict {
        operation: &'static str,
        message: String,
    },
    /// What was named does not exist (a secret, a key, a resource).
    #[error("{operation}: not found: {message}")]
    NotFound {
        operation: &'static str,
        message: String,
    },
    /// Stored data or a value to store could not be encoded or decoded: retrying cannot help.
    #[error("{operation}: invalid data: {message}")]
    Invalid {
        operation: &'static str,
        message: String,
    },
}

pub type PortResult<T> = Result<T, PortError>;

impl PortError {
    pub fn unavailable(operation: &'static str, message: impl std::fmt::Display) -> Self {
        Self::Unavailable {
            operation,
            message: message.to_string(),
        }
    }
    pub fn throttled(operation: &'static str, message: impl std::fmt::Display) -> Self {
        Self::Throttled {
            operation,
            message: message.to_string(),
        }
    }
    pub fn denied(operation: &'static str, message: impl std::fmt::Display) -> Self {
        Self::Denied {
            operation,
            message: message.to_string(),
        }
    }
    pub fn conflict(operation: &'static str, message: impl std::fmt::Display) -> Self {
        Self::Conflict {
            operation,
            message: message.to_string(),
        }
    }
    pub fn not_found(operation: &'static str, message: impl std::fmt::Display) -> Self {
        Self::NotFound {
            operation,
            message: message.to_string(),
        }
    }
    pub fn invalid(operation: &'static str, message: impl std::fmt::Display) -> Self {
        Self::Invalid {
            operation,
            message: message.to_string(),
        }
    }

    /// The port operation that failed (`content.put`, `queue.send` …).
    pub fn operation(&self) -> &'static str {
        match self {
            Self::Unavailable { operation, .. }
            | Self::Throttled { operation, .. }
            | Self::Denied { operation, .. }
            | Self::Conflict { operation, .. }
            | Self::NotFound { operation, .. }
            | Self::Invalid { operation, .. } => operation,
        }
    }

    /// Can the same call succeed later (an outage, throttling, a lost race)?
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            Self::Unavailable { .. } | Self::Throttled { .. } | Self::Conflict { .. }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kind_says_whether_a_retry_can_help() {
        assert!(PortError::unavailable("q.send", "timeout").is_retryable());
        assert!(PortError::throttled("t.put", "ProvisionedThroughputExceeded").is_retryable());
        assert!(PortError::conflict("t.put", "condition").is_retryable());
        assert!(!PortError::denied("k.decrypt", "AccessDenied").is_retryable());
        assert!(!PortError::invalid("t.decode", "bad row").is_retryable());
        assert!(!PortError::not_found("s.get", "no secret").is_retryable());
        let e = PortError::invalid("content.decode", "row without doc");
        assert_eq!(e.operation(), "content.decode");
        assert_eq!(
            e.to_string(),
            "content.decode: invalid data: row without doc"
        );
    }
}
