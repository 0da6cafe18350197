//! Inbound platform webhooks: which platform, how it is signed, how a delivery is identified.
//!
//! Facts come from `spec/platforms.md` §1. The receiver calls [`verify`] on the raw bytes first,
//! and only then [`identify`] (which may parse the body) and [`WebhookEnvelope::new`].

mod envelope;
mod identify;
mod platform;
mod secrets;
mod verify;

pub use envelope::{BodyRef, WebhookEnvelope};
pub use identify::{Delivery, MalformedError, identify, scalar_text, sha256_of};
pub use platform::Platform;
pub use secrets::{SecretsError, StandardKey, WebhookSecrets, redacted_json_error};
pub(crate) use verify::any_key_matches;
pub use verify::{VerifyError, meta_handshake, sign_hex, verify, verify_signed_request};
