//! AWS adapters for Reelcart's ports. The same code talks to AWS and to a local emulator: the SDK
//! reads its endpoint from `AWS_ENDPOINT_URL`; nothing here knows which one it is.

mod analytics;
mod catalog;
mod cdn;
mod connections;
mod content;
mod creators;
pub mod dlq;
mod dynamo;
mod events;
mod kms;
mod media;
mod migrate;
mod pending;
pub mod presign;
mod s3;
mod secrets;
mod sqs;
mod table;

pub use analytics::{Difference, DynamoAnalytics, Recomputation};
pub use catalog::DynamoCatalog;
pub use cdn::{Cdn, CloudFrontInvalidator, RecordedInvalidations};
pub use connections::DynamoConnections;
pub use content::DynamoContent;
pub use creators::DynamoCreators;
pub use dynamo::{DynamoEvents, DynamoIdempotency};
pub use events::EventBridgeBus;
pub use kms::KmsKeys;
pub use media::DynamoMediaRecords;
pub use migrate::{Migration, migrate_table};
pub use pending::DynamoPendingAuthorizations;
pub use s3::{S3Blobs, S3MediaVisibility, media_keys};
pub use secrets::SecretsManager;
pub use sqs::SqsQueue;

pub use aws_config::SdkConfig;

use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use reelcart_ports::PortError;

/// Load the SDK configuration from the environment (region, credentials, `AWS_ENDPOINT_URL`).
pub async fn load_sdk_config() -> SdkConfig {
    aws_config::load_from_env().await
}

/// Build an S3 client. `force_path_style` is a configuration flag for emulators (and buckets with
/// dots in their names); it is read from config at init, never decided in code.
pub fn s3_client(sdk: &SdkConfig, force_path_style: bool) -> aws_sdk_s3::Client {
    let conf = aws_sdk_s3::config::Builder::from(sdk)
        .force_path_style(force_path_style)
        .build();
    aws_sdk_s3::Client::from_conf(conf)
}

/// Items DynamoDB left unprocessed (throughput) are retried up to 8 times, 25–50 ms doubling to
/// at most 1.6 s.
pub(crate) const UNPROCESSED_RETRY: reelcart_domain::retry::Backoff =
    reelcart_domain::retry::Backoff::new(
        std::time::Duration::from_millis(50),
        std::time::Duration::from_millis(1_600),
    );

/// An SDK error as a port error of the kind its AWS error code (or, for codes not listed, its
/// HTTP status) says, with the full error chain in the message (no request bodies).
pub(crate) fn sdk_error<E>(operation: &'static str, err: SdkError<E, HttpResponse>) -> PortError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let kind = match &err {
        SdkError::ServiceError(s) => error_kind(s.err().code(), s.raw().status().as_u16()),
        _ => ErrorKind::Unavailable,
    };
    let message = DisplayErrorContext(err);
    match kind {
        ErrorKind::Unavailable => PortError::unavailable(operation, message),
        ErrorKind::Throttled => PortError::throttled(operation, message),
        ErrorKind::Denied => PortError::denied(operation, message),
        ErrorKind::Conflict => PortError::conflict(operation, message),
        ErrorKind::NotFound => PortError::not_found(operation, message),
        ErrorKind::Invalid => PortError::invalid(operation, message),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ErrorKind {
    Unavailable,
    Throttled,
    Denied,
    Conflict,
    NotFound,
    Invalid,
}

/// The kind of an AWS service error, by the error codes of the services Reelcart calls
/// (DynamoDB, S3, SQS, KMS, Secrets Manager, EventBridge, CloudFront); other codes by status:
/// 5xx is an outage, 4xx a request the service will keep refusing.
fn error_kind(code: Option<&str>, status: u16) -> ErrorKind {
    match code.unwrap_or_default() {
        "ThrottlingException"
        | "Throttling"
        | "ProvisionedThroughputExceededException"
        | "RequestLimitExceeded"
        | "TooManyRequestsException"
        | "SlowDown"
        | "RequestThrottled"
        | "AWS.SimpleQueueService.RequestThrottled"
        | "KMSThrottlingException" => ErrorKind::Throttled,
        "AccessDenied"
        | "AccessDeniedException"
        | "UnrecognizedClientException"
        | "InvalidClientTokenId"
        | "ExpiredToken"
        | "ExpiredTokenException"
        | "SignatureDoesNotMatch"
        | "InvalidSignatureException"
        | "DisabledException"
        | "KMSInvalidStateException"
        | "KMSAccessDeniedException" => ErrorKind::Denied,
        "ConditionalCheckFailedException"
        | "TransactionCanceledException"
        | "TransactionConflictException"
        | "PreconditionFailed" => ErrorKind::Conflict,
        "ResourceNotFoundException"
        | "NotFoundException"
        | "NoSuchBucket"
        | "NoSuchKey"
        | "NoSuchDistribution"
        | "QueueDoesNotExist"
        | "AWS.SimpleQueueService.NonExistentQueue" => ErrorKind::NotFound,
        "InternalServerError"
        | "InternalFailure"
        | "ServiceUnavailable"
        | "KMSInternalException"
        | "InternalServiceError" => ErrorKind::Unavailable,
        _ if status >= 500 => ErrorKind::Unavailable,
        _ if status == 429 => ErrorKind::Throttled,
        _ if status == 403 => ErrorKind::Denied,
        _ => ErrorKind::Invalid,
    }
}

#[cfg(test)]
mod tests {
    use super::{ErrorKind, error_kind};

    #[test]
    fn aws_error_codes_map_to_kinds_callers_match_on() {
        assert_eq!(
            error_kind(Some("ProvisionedThroughputExceededException"), 400),
            ErrorKind::Throttled
        );
        assert_eq!(
            error_kind(Some("ThrottlingException"), 400),
            ErrorKind::Throttled
        );
        assert_eq!(
            error_kind(Some("AccessDeniedException"), 400),
            ErrorKind::Denied
        );
        assert_eq!(
            error_kind(Some("ConditionalCheckFailedException"), 400),
            ErrorKind::Conflict
        );
        assert_eq!(
            error_kind(Some("ResourceNotFoundException"), 400),
            ErrorKind::NotFound
        );
        assert_eq!(
            error_kind(Some("ValidationException"), 400),
            ErrorKind::Invalid
        );
        assert_eq!(
            error_kind(Some("InvalidCiphertextException"), 400),
            ErrorKind::Invalid
        );
        assert_eq!(error_kind(None, 503), ErrorKind::Unavailable);
        assert_eq!(error_kind(None, 429), ErrorKind::Throttled);
        assert_eq!(error_kind(Some("SomethingNew"), 403), ErrorKind::Denied);
    }
}
