//! `webhook-receiver`: verify, dedupe, enqueue — and nothing more.
//!
//! Routes (API Gateway HTTP API, or the local stack on one port):
//! `GET /webhooks/meta` (subscription handshake), `POST /webhooks/{meta,tiktok-shop,tiktok,shopify}`,
//! `POST /webhooks/standard/{source}`.
//!
//! Answers: `200 {"status":"accepted","id"}` (also `"duplicate"` for a repeat), `401` bad or missing
//! signature, `400` malformed, `413` too large, `409` while the same delivery is being accepted by
//! another request (the platform retries), `500` when the queue or table failed (the platform
//! retries; nothing was recorded as done).

mod config;
mod secrets;

pub use config::Config;
pub use secrets::{LoadError, SecretsCache};

use bytes::Bytes;
use lambda_http::http::{HeaderValue, Method, StatusCode, header};
use lambda_http::{Body, Request, Response};
use reelcart_domain::Clock;
use reelcart_domain::webhook::{
    BodyRef, Delivery, MalformedError, Platform, VerifyError, WebhookEnvelope, identify,
    meta_handshake, verify, verify_signed_request,
};
use reelcart_lambda::http::{ApiError, json, text};
use reelcart_ports::{BlobStore, Claim, IdempotencyStore, MessageQueue, SecretSource};
use serde::Serialize;
use std::sync::Arc;
use tracing::{Span, field};

/// Tunables, all from [`Config`].
#[derive(Debug, Clone)]
pub struct Limits {
    /// Bodies larger than this are refused with `413`.
    pub max_body_bytes: usize,
    /// Envelopes larger than this carry their body by reference (SQS allows 256 KiB per message).
    pub max_inline_bytes: usize,
    /// How long a delivery id is remembered (covers every platform's retry schedule).
    pub dedupe_ttl_secs: i64,
    /// How long a claim protects an in-progress delivery before another request may take it over.
    pub claim_lease_secs: i64,
    /// The brand's Shopify store (`*.myshopify.com`): a delivery naming another is refused, as
    /// the shop header is not signed (an app's secret signs every store's deliveries).
    pub shopify_shop: Option<String>,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_body_bytes: 256 * 1024,
            max_inline_bytes: 200 * 1024,
            dedupe_ttl_secs: 7 * 24 * 3600,
            claim_lease_secs: 30,
            shopify_shop: None,
        }
    }
}

/// The receiver, generic over its ports.
pub struct Receiver<I, Q, B, S> {
    pub idempotency: I,
    pub queue: Q,
    pub payloads: B,
    pub secrets: SecretsCache<S>,
    pub clock: Arc<dyn Clock>,
    pub limits: Limits,
}

impl<I, Q, B, S> std::fmt::Debug for Receiver<I, Q, B, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Receiver")
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

#[derive(Serialize)]
struct Accepted<'a> {
    status: &'a str,
    id: &'a str,
}

enum Route {
    MetaHandshake,
    Deliver(Platform, Option<String>),
    /// Meta's deauthorize callback (`signed_request`) of Facebook Login or, with `instagram`,
    /// of Instagram Login.
    Deauthorize {
        instagram: bool,
    },
    Health,
}

fn route(method: &Method, path: &str) -> Result<Route, ApiError> {
    let rest = path
        .trim_end_matches('/')
        .strip_prefix("/webhooks/")
        .ok_or_else(|| not_found(path))?;
    let not_allowed = || {
        Err(ApiError::client(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            format!("{method} is not allowed on {path}"),
        ))
    };
    if rest == "health" {
        return match *method {
            Method::GET => Ok(Route::Health),
            _ => not_allowed(),
        };
    }
    let (platform, source) = match rest.split_once('/') {
        Some((who @ ("meta" | "instagram"), "deauthorize")) => {
            return match *method {
                Method::POST => Ok(Route::Deauthorize {
                    instagram: who == "instagram",
                }),
                _ => not_allowed(),
            };
        }
        Some(("standard", source)) if !source.is_empty() && !source.contains('/') => {
            (Platform::Standard, Some(source.to_string()))
        }
        Some(_) => return Err(not_found(path)),
        None => match Platform::from_path_segment(rest) {
            Some(Platform::Standard) | None => return Err(not_found(path)),
            Some(p) => (p, None),
        },
    };
    match (method, platform) {
        (&Method::GET, Platform::Meta) => Ok(Route::MetaHandshake),
        (&Method::POST, p) => Ok(Route::Deliver(p, source)),
        _ => not_allowed(),
    }
}

/// The methods `path` takes, for a `405`'s `Allow` header.
fn allowed_methods(path: &str) -> String {
    [Method::GET, Method::POST]
        .into_iter()
        .filter(|m| route(m, path).is_ok())
        .map(|m| m.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

fn not_found(path: &str) -> ApiError {
    ApiError::client(
        StatusCode::NOT_FOUND,
        "not_found",
        format!("no route for {path}"),
    )
}

fn unauthorized(e: &VerifyError) -> ApiError {
    let code = match e {
        VerifyError::MissingHeader(_) => "missing_signature",
        VerifyError::MalformedHeader(_) | VerifyError::MalformedField(_) => "malformed_signature",
        VerifyError::InvalidSignature => "invalid_signature",
        VerifyError::TimestampTooOld | VerifyError::TimestampTooNew => "timestamp_out_of_tolerance",
        VerifyError::NotConfigured => "not_configured",
    };
    ApiError::client(StatusCode::UNAUTHORIZED, code, e.to_string())
}

fn malformed(e: &MalformedError) -> ApiError {
    ApiError::client(StatusCode::BAD_REQUEST, "malformed", e.to_string())
}

/// A delivery's outcome as a metric (`WebhookDeliveries` by platform and outcome): accepted,
/// duplicate, in_flight, refused (signature, shop), malformed, failed (ours: retried by the
/// platform).
fn record_outcome(path: &str, resp: &Response<Body>) {
    let platform = path
        .strip_prefix("/webhooks/")
        .and_then(|p| p.split('/').next())
        .filter(|p| !p.is_empty())
        .unwrap_or("unknown");
    let status = resp.status();
    let outcome = match status.as_u16() {
        200 if resp
            .body()
            .as_ref()
            .windows(11)
            .any(|w| w == b"\"duplicate\"") =>
        {
            "duplicate"
        }
        200..=299 => "accepted",
        409 => "in_flight",
        401 | 403 => "refused",
        404 | 405 => return,
        400..=499 => "malformed",
        _ => "failed",
    };
    reelcart_lambda::metrics::emit(
        &[("Platform", platform), ("Outcome", outcome)],
        &[(
            "WebhookDeliveries",
            reelcart_lambda::metrics::Unit::Count,
            1.0,
        )],
    );
}

impl<I, Q, B, S> Receiver<I, Q, B, S>
where
    I: IdempotencyStore,
    Q: MessageQueue,
    B: BlobStore,
    S: SecretSource,
{
    /// Handle one HTTP request. Never fails: every error becomes its HTTP answer.
    #[tracing::instrument(skip_all, fields(path = %req.uri().path(), platform = field::Empty, id = field::Empty, outcome = field::Empty))]
    pub async fn handle(&self, req: Request) -> Response<Body> {
        let mut resp = match self.dispatch(&req).await {
            Ok(resp) => resp,
            Err(e) => {
                Span::current().record("outcome", e.status().as_u16());
                e.into_response()
            }
        };
        if req.method() == Method::POST {
            record_outcome(req.uri().path(), &resp);
        }
        if resp.status() == StatusCode::METHOD_NOT_ALLOWED
            && let Ok(allow) = HeaderValue::from_str(&allowed_methods(req.uri().path()))
        {
            resp.headers_mut().insert(header::ALLOW, allow);
        }
        resp
    }

    async fn dispatch(&self, req: &Request) -> Result<Response<Body>, ApiError> {
        match route(req.method(), req.uri().path())? {
            Route::MetaHandshake => self.meta_handshake(req).await,
            Route::Deliver(platform, source) => self.deliver(req, platform, source).await,
            Route::Deauthorize { instagram } => self.deauthorize(req, instagram).await,
            Route::Health => self.health().await,
        }
    }

    /// `GET /webhooks/health`: which platforms can verify deliveries, and which configured
    /// secrets were left out as unusable (empty or short: where, never what). `503` while any
    /// is, so a monitor sees the mistake before a platform's deliveries are refused.
    async fn health(&self) -> Result<Response<Body>, ApiError> {
        let s = self.secrets.current(self.clock.now_unix()).await;
        let ready = serde_json::json!({
            "meta": !s.meta_app_secrets.is_empty(),
            "tiktok-shop": !s.tiktok_shop_app_secrets.is_empty() && !s.tiktok_shop_app_key.is_empty(),
            "tiktok": !s.tiktok_client_secrets.is_empty(),
            "shopify": !s.shopify_webhook_secrets.is_empty(),
            "standard": s.standard.iter().filter(|(_, k)| !k.is_empty()).map(|(n, _)| n.as_str()).collect::<Vec<_>>(),
        });
        let status = if s.refused.is_empty() {
            StatusCode::OK
        } else {
            StatusCode::SERVICE_UNAVAILABLE
        };
        Ok(reelcart_lambda::http::json(
            status,
            &serde_json::json!({"ok": s.refused.is_empty(), "verifies": ready, "refused_secrets": s.refused}),
        ))
    }

    async fn meta_handshake(&self, req: &Request) -> Result<Response<Body>, ApiError> {
        let secrets = self.secrets.current(self.clock.now_unix()).await;
        let query = req.uri().query().unwrap_or_default();
        let (mut mode, mut token, mut challenge) = (None, None, None);
        for (k, v) in form_urlencoded::parse(query.as_bytes()) {
            match k.as_ref() {
                "hub.mode" => mode = Some(v.into_owned()),
                "hub.verify_token" => token = Some(v.into_owned()),
                "hub.challenge" => challenge = Some(v.into_owned()),
                _ => {}
            }
        }
        match meta_handshake(
            &secrets,
            mode.as_deref(),
            token.as_deref(),
            challenge.as_deref(),
        ) {
            Some(challenge) => Ok(text(StatusCode::OK, challenge)),
            None => Err(ApiError::client(
                StatusCode::FORBIDDEN,
                "verification_failed",
                "hub.mode, hub.verify_token or hub.challenge is wrong",
            )),
        }
    }

    async fn deliver(
        &self,
        req: &Request,
        platform: Platform,
        source: Option<String>,
    ) -> Result<Response<Body>, ApiError> {
        Span::current().record("platform", platform.as_str());
        let body = self.body(req)?;
        let now = self.clock.now_unix();
        let secrets = self.secrets.current(now).await;
        // Verify the raw bytes exactly as received, before anything looks inside them.
        verify(platform, source.as_deref(), &secrets, req.headers(), body, now).map_err(|e| {
            if e == VerifyError::NotConfigured {
                tracing::warn!(%platform, "delivery for a platform or source with no secret configured");
            }
            unauthorized(&e)
        })?;
        let text_body = std::str::from_utf8(body).map_err(|_| {
            ApiError::client(StatusCode::BAD_REQUEST, "malformed", "body is not UTF-8")
        })?;
        let delivery = identify(platform, source.as_deref(), req.headers(), body)
            .map_err(|e| malformed(&e))?;
        if platform == Platform::Shopify
            && let Some(pinned) = &self.limits.shopify_shop
            && delivery.source.as_deref() != Some(pinned.as_str())
        {
            tracing::warn!(shop = ?delivery.source, "Shopify delivery for another store");
            return Err(ApiError::client(
                StatusCode::FORBIDDEN,
                "wrong_shop",
                "this stack serves another store",
            ));
        }
        self.accept(&delivery, text_body, now).await
    }

    /// The raw body, refused with `413` over the limit (before any verification).
    fn body<'r>(&self, req: &'r Request) -> Result<&'r [u8], ApiError> {
        let body: &[u8] = req.body().as_ref();
        if body.len() > self.limits.max_body_bytes {
            return Err(ApiError::client(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                format!("body is over {} bytes", self.limits.max_body_bytes),
            ));
        }
        Ok(body)
    }

    /// Meta's deauthorize callback: a form with `signed_request`, signed with the app secret.
    /// Accepted like any delivery; the processor turns it into `ConnectionRevoked` for the user.
    async fn deauthorize(
        &self,
        req: &Request,
        instagram: bool,
    ) -> Result<Response<Body>, ApiError> {
        Span::current().record("platform", "meta");
        let body = self.body(req)?;
        let now = self.clock.now_unix();
        let signed = form_urlencoded::parse(body)
            .find(|(k, _)| k == "signed_request")
            .map(|(_, v)| v.into_owned())
            .ok_or_else(|| unauthorized(&VerifyError::MalformedField("signed_request")))?;
        let secrets = self.secrets.current(now).await;
        let payload = verify_signed_request(&signed, &secrets.meta_app_secrets)
            .map_err(|e| unauthorized(&e))?;
        let user = payload
            .get("user_id")
            .map(reelcart_domain::webhook::scalar_text)
            .filter(|u| !u.is_empty())
            .ok_or_else(|| ApiError::client(StatusCode::BAD_REQUEST, "malformed", "no user_id"))?;
        let issued_at = payload
            .get("issued_at")
            .map(reelcart_domain::webhook::scalar_text)
            .unwrap_or_default();
        let topic = if instagram {
            "instagram/deauthorize"
        } else {
            "deauthorize"
        };
        let delivery = Delivery {
            platform: Platform::Meta,
            source: None,
            delivery_id: format!("{topic}#{user}#{issued_at}"),
            topic: Some(topic.to_string()),
        };
        self.accept(&delivery, &payload.to_string(), now).await
    }

    /// Dedupe and enqueue a verified delivery.
    async fn accept(
        &self,
        delivery: &Delivery,
        text_body: &str,
        now: i64,
    ) -> Result<Response<Body>, ApiError> {
        let key = delivery.dedupe_key();
        Span::current().record("id", key.as_str());

        match self
            .idempotency
            .claim(
                &key,
                now,
                self.limits.claim_lease_secs,
                self.limits.dedupe_ttl_secs,
            )
            .await
            .map_err(ApiError::internal)?
        {
            Claim::Done => {
                Span::current().record("outcome", "duplicate");
                tracing::info!("duplicate delivery");
                return Ok(json(
                    StatusCode::OK,
                    &Accepted {
                        status: "duplicate",
                        id: &key,
                    },
                ));
            }
            Claim::InFlight => {
                Span::current().record("outcome", "in_flight");
                let mut resp = ApiError::client(
                    StatusCode::CONFLICT,
                    "delivery_in_progress",
                    "this delivery is being accepted by another request; retry",
                )
                .into_response();
                resp.headers_mut()
                    .insert(header::RETRY_AFTER, header::HeaderValue::from_static("1"));
                return Ok(resp);
            }
            Claim::Acquired => {}
        }

        let envelope = WebhookEnvelope::new(delivery, now, text_body.to_string());
        match self.enqueue(envelope, text_body.as_bytes()).await {
            Ok(()) => {
                if let Err(e) = self.idempotency.complete(&key, now).await {
                    // Enqueued but not marked done: a redelivery after the lease is enqueued again
                    // and the processor dedupes it. Log and still accept.
                    tracing::warn!(error = %e, "enqueued but could not mark the delivery done");
                }
                Span::current().record("outcome", "accepted");
                tracing::info!("delivery accepted");
                Ok(json(
                    StatusCode::OK,
                    &Accepted {
                        status: "accepted",
                        id: &key,
                    },
                ))
            }
            Err(e) => {
                if let Err(release) = self.idempotency.release(&key).await {
                    tracing::error!(error = %release, "could not release claim; a retry waits for the lease");
                }
                Err(e)
            }
        }
    }

    async fn enqueue(&self, envelope: WebhookEnvelope, body: &[u8]) -> Result<(), ApiError> {
        let mut message = serde_json::to_string(&envelope).map_err(ApiError::internal)?;
        if message.len() > self.limits.max_inline_bytes {
            let (key, sha256) = WebhookEnvelope::body_key(envelope.platform, body);
            self.payloads
                .put(&key, Bytes::copy_from_slice(body), "application/json")
                .await
                .map_err(ApiError::internal)?;
            let envelope = envelope.with_body_ref(BodyRef {
                key,
                sha256,
                len: body.len(),
            });
            message = serde_json::to_string(&envelope).map_err(ApiError::internal)?;
        }
        self.queue
            .send(&message)
            .await
            .map_err(ApiError::internal)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests;

/// The receiver wired to AWS (and, through endpoint settings, to the local emulator).
pub type AwsReceiver = Receiver<
    reelcart_aws::DynamoIdempotency,
    reelcart_aws::SqsQueue,
    reelcart_aws::S3Blobs,
    reelcart_aws::SecretsManager,
>;

/// Build the receiver from its config: the one wiring `main` and the local stack share.
pub async fn from_aws(
    config: &Config,
    sdk: &reelcart_aws::SdkConfig,
    clock: Arc<dyn Clock>,
) -> Result<AwsReceiver, secrets::LoadError> {
    let dynamo = aws_sdk_dynamodb::Client::new(sdk);
    let sqs = aws_sdk_sqs::Client::new(sdk);
    let secrets_client = aws_sdk_secretsmanager::Client::new(sdk);
    let secrets = SecretsCache::load(
        reelcart_aws::SecretsManager::new(secrets_client),
        config.secrets_id.clone(),
        config.secrets_refresh_secs,
        clock.now_unix(),
    )
    .await?;
    Ok(Receiver {
        idempotency: reelcart_aws::DynamoIdempotency::new(dynamo, &config.idempotency_table),
        queue: reelcart_aws::SqsQueue::new(sqs, &config.event_queue_url),
        payloads: reelcart_aws::S3Blobs::new(
            reelcart_aws::s3_client(sdk, config.s3_force_path_style),
            &config.payload_bucket,
        ),
        secrets,
        clock,
        limits: config.limits.clone(),
    })
}
