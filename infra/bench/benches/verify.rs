//! Verify + dedupe-key + enqueue-encode throughput for 2 KB bodies, next to the `standardwebhooks`
//! crate verifying the same payloads in the same run.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use reelcart_domain::webhook::{Platform, WebhookEnvelope, WebhookSecrets, identify, verify};
use std::hint::black_box;

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

fn payload() -> String {
    let mut body =
        String::from(r#"{"type":"review.created","data":{"review_id":"rev_01","text":""#);
    while body.len() < 2048 - 3 {
        body.push('x');
    }
    body.push_str(r#""}}"#);
    body
}

fn bench(c: &mut Criterion) {
    let body = payload();
    assert_eq!(body.len(), 2048);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let id = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    let wh = standardwebhooks::Webhook::new(SECRET).unwrap();
    let sig = wh.sign(id, now, body.as_bytes()).unwrap();
    let mut headers = http::HeaderMap::new();
    headers.insert("webhook-id", id.parse().unwrap());
    headers.insert("webhook-timestamp", now.to_string().parse().unwrap());
    headers.insert("webhook-signature", sig.parse().unwrap());
    let secrets = WebhookSecrets::from_json(&format!(
        r#"{{"standard_webhook_secrets":{{"bench":["{SECRET}"]}}}}"#
    ))
    .unwrap();
    // Same answer from both before timing anything.
    assert!(wh.verify(body.as_bytes(), &headers).is_ok());
    assert!(
        verify(
            Platform::Standard,
            Some("bench"),
            &secrets,
            &headers,
            body.as_bytes(),
            now
        )
        .is_ok()
    );

    let mut g = c.benchmark_group("standard-webhooks-2KB");
    g.throughput(Throughput::Elements(1));
    g.bench_function("standardwebhooks crate: verify", |b| {
        b.iter(|| {
            wh.verify(black_box(body.as_bytes()), black_box(&headers))
                .unwrap()
        })
    });
    g.bench_function("reelcart: verify", |b| {
        b.iter(|| {
            verify(
                Platform::Standard,
                Some("bench"),
                &secrets,
                black_box(&headers),
                black_box(body.as_bytes()),
                now,
            )
            .unwrap()
        })
    });
    g.bench_function("reelcart: verify + dedupe key + enqueue encode", |b| {
        b.iter(|| {
            let body = black_box(body.as_bytes());
            verify(
                Platform::Standard,
                Some("bench"),
                &secrets,
                &headers,
                body,
                now,
            )
            .unwrap();
            let delivery = identify(Platform::Standard, Some("bench"), &headers, body).unwrap();
            let text = std::str::from_utf8(body).unwrap().to_string();
            let envelope = WebhookEnvelope::new(&delivery, now, text);
            black_box(serde_json::to_string(&envelope).unwrap())
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
