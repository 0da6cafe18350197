//! CloudFront's stand-in for the media distribution: `/_local/cdn/{key}` serves the origin bucket
//! as CloudFront does through origin access control — only what the bucket policy lets the
//! distribution read. The policy's statement for `cloudfront.amazonaws.com` is read from the
//! template: its resource's key pattern (`media/*`) and its `s3:ExistingObjectTag/…` conditions
//! (unpublished media is untagged, so it is `403` here as it is in AWS).

use crate::template::{self, Template};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_norway::Value;
use std::collections::BTreeSet;
use std::sync::Arc;

/// What the bucket policy lets the distribution read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Gate {
    /// Keys under these prefixes (from `…/media/*`); `""` is every key.
    pub prefixes: Vec<String>,
    /// Tags the object must carry, all of them (`s3:ExistingObjectTag/{key}` = value).
    pub tags: Vec<(String, String)>,
}

impl Gate {
    /// The statements of the bucket policies that let `distributions` (logical ids) read.
    /// `None` when no policy grants them anything: every read is refused.
    pub fn from_template(template: &Template, distributions: &BTreeSet<String>) -> Option<Gate> {
        let mut gate: Option<Gate> = None;
        for (_, policy) in template.of_kind("AWS::S3::BucketPolicy") {
            let statements = policy.properties["PolicyDocument"]["Statement"].as_sequence();
            for st in statements.into_iter().flatten() {
                let mut named = BTreeSet::new();
                template::references(&st["Condition"], &mut named);
                if st["Effect"].as_str() != Some("Allow")
                    || st["Principal"]["Service"].as_str() != Some("cloudfront.amazonaws.com")
                    || named.is_disjoint(distributions)
                {
                    continue;
                }
                let g = gate.get_or_insert_with(Gate::default);
                g.prefixes.push(key_prefix(&st["Resource"]));
                if let Some(eq) = st["Condition"]["StringEquals"].as_mapping() {
                    for (k, v) in eq {
                        if let (Some(tag), Some(v)) = (
                            k.as_str()
                                .and_then(|k| k.strip_prefix("s3:ExistingObjectTag/")),
                            v.as_str(),
                        ) {
                            g.tags.push((tag.to_string(), v.to_string()));
                        }
                    }
                }
            }
        }
        gate
    }

    /// Whether an object at `key` with `tags` may be read.
    pub fn allows(&self, key: &str, tags: &[(String, String)]) -> bool {
        self.prefixes.iter().any(|p| key.starts_with(p.as_str()))
            && self.tags.iter().all(|t| tags.contains(t))
    }
}

/// The key prefix of a resource `!Sub "${Bucket.Arn}/media/*"`: `media/`.
fn key_prefix(resource: &Value) -> String {
    let text = match resource {
        Value::Tagged(t) => t.value.as_str().unwrap_or_default().to_string(),
        other => other.as_str().unwrap_or_default().to_string(),
    };
    let path = text.split_once("}/").map_or("", |(_, p)| p);
    path.trim_end_matches('*').to_string()
}

/// The media distribution: its origin bucket and what the bucket policy lets it read.
#[derive(Debug, Clone)]
pub struct Cdn {
    pub s3: aws_sdk_s3::Client,
    pub bucket: String,
    pub gate: Option<Gate>,
}

fn error(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        axum::Json(serde_json::json!({"error": {"code": code, "message": message}})),
    )
        .into_response()
}

/// `GET`/`HEAD /_local/cdn/{key}`: the object with its own Content-Type and Cache-Control, CORS
/// as the distribution's SimpleCORS policy adds it, byte ranges for video elements.
pub async fn serve(
    State(routes): State<Arc<crate::server::Routes>>,
    Path(key): Path<String>,
    headers: axum::http::HeaderMap,
) -> Response {
    let Some(cdn) = &routes.cdn else {
        return error(
            StatusCode::NOT_FOUND,
            "not_found",
            "no CDN in this template",
        );
    };
    // The origin refuses what the policy does not grant: CloudFront passes S3's 403 on.
    let tags = match cdn
        .s3
        .get_object_tagging()
        .bucket(&cdn.bucket)
        .key(&key)
        .send()
        .await
    {
        Ok(out) => out
            .tag_set()
            .iter()
            .map(|t| (t.key().to_string(), t.value().to_string()))
            .collect::<Vec<_>>(),
        // No object: S3 answers a reader without s3:ListBucket 403 too.
        Err(_) => Vec::new(),
    };
    if !cdn.gate.as_ref().is_some_and(|g| g.allows(&key, &tags)) {
        return error(
            StatusCode::FORBIDDEN,
            "AccessDenied",
            "the bucket policy does not let the distribution read this object",
        );
    }
    let range = headers
        .get(axum::http::header::RANGE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let out = match cdn
        .s3
        .get_object()
        .bucket(&cdn.bucket)
        .key(&key)
        .set_range(range)
        .send()
        .await
    {
        Ok(out) => out,
        Err(e) if e.as_service_error().is_some_and(|e| e.is_no_such_key()) => {
            return error(StatusCode::NOT_FOUND, "not_found", "no such object");
        }
        Err(e) => {
            return error(
                StatusCode::BAD_GATEWAY,
                "origin",
                &aws_sdk_s3::error::DisplayErrorContext(e).to_string(),
            );
        }
    };
    let status = if out.content_range().is_some() {
        StatusCode::PARTIAL_CONTENT
    } else {
        StatusCode::OK
    };
    let mut resp = axum::http::Response::builder()
        .status(status)
        .header("access-control-allow-origin", "*")
        .header("accept-ranges", "bytes");
    for (name, value) in [
        ("content-type", out.content_type()),
        ("cache-control", out.cache_control()),
        ("content-range", out.content_range()),
        ("etag", out.e_tag()),
    ] {
        if let Some(v) = value {
            resp = resp.header(name, v);
        }
    }
    match out.body.collect().await {
        Ok(body) => resp
            .body(axum::body::Body::from(body.into_bytes()))
            .unwrap_or_else(|e| error(StatusCode::INTERNAL_SERVER_ERROR, "cdn", &e.to_string())),
        Err(e) => error(StatusCode::BAD_GATEWAY, "origin", &e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_template_lets_the_media_distribution_read_published_media_only() {
        let template = Template::load(&crate::default_template()).unwrap();
        let gate = Gate::from_template(
            &template,
            &BTreeSet::from(["MediaDistribution".to_string()]),
        )
        .unwrap();
        let public = vec![(
            reelcart_ports::media::VISIBILITY_TAG.to_string(),
            reelcart_ports::media::VISIBLE.to_string(),
        )];
        assert!(gate.allows("media/it_1/abc-v1/master.m3u8", &public));
        assert!(!gate.allows("media/it_1/abc-v1/master.m3u8", &[]));
        assert!(!gate.allows(
            "media/it_1/abc-v1/master.m3u8",
            &[(public[0].0.clone(), "private".into())]
        ));
        assert!(!gate.allows("review/it_1/master.m3u8", &public));
        assert_eq!(
            Gate::from_template(&template, &BTreeSet::from(["Nothing".to_string()])),
            None
        );
    }
}
