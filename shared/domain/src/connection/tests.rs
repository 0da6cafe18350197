//! Given / when / then tests of connection rules and per-platform error classification.

use super::*;
use http::{HeaderMap, HeaderValue};

const NOW: i64 = 1_795_651_200;

fn conn(platform: OAuthPlatform) -> Connection {
    Connection {
        id: Connection::id_for(platform, "acct"),
        platform,
        account_id: "acct".into(),
        scopes: vec![],
        expires_at: Some(NOW + 3600),
        refresh_expires_at: Some(NOW + 30 * 86_400),
        status: ConnectionStatus::Active,
        last_error: None,
        failures: 0,
        first_failure_at: None,
        retry_after: None,
        last_refreshed_at: Some(NOW - 3600),
        key_id: "k1".into(),
    }
}

fn err(platform: OAuthPlatform, op: Operation, status: u16, body: &str) -> PlatformError {
    classify(platform, op, status, &HeaderMap::new(), body)
}

#[test]
fn every_documented_error_maps_to_its_class() {
    use ErrorClass::*;
    use OAuthPlatform as P;
    use Operation::*;
    let cases: &[(P, Operation, u16, &str, ErrorClass)] = &[
        // Meta / Instagram
        (
            P::Meta,
            Api,
            400,
            r#"{"error":{"code":190,"error_subcode":463,"message":"expired"}}"#,
            Reauthorize,
        ),
        (
            P::Meta,
            Api,
            400,
            r#"{"error":{"code":102,"message":"session"}}"#,
            Reauthorize,
        ),
        (
            P::Meta,
            Api,
            400,
            r#"{"error":{"code":102,"error_subcode":1,"message":"x"}}"#,
            Unknown,
        ),
        (
            P::Instagram,
            Refresh,
            400,
            r#"{"error":{"code":100,"error_subcode":460,"message":"pw"}}"#,
            Reauthorize,
        ),
        (
            P::Meta,
            Api,
            400,
            r#"{"error":{"code":100,"error_subcode":458,"message":"x"}}"#,
            Reauthorize,
        ),
        (
            P::Meta,
            Api,
            400,
            r#"{"error":{"code":100,"error_subcode":459,"message":"x"}}"#,
            Reauthorize,
        ),
        (
            P::Meta,
            Api,
            403,
            r#"{"error":{"code":10,"message":"perm"}}"#,
            Permission,
        ),
        (
            P::Meta,
            Api,
            403,
            r#"{"error":{"code":200,"message":"perm"}}"#,
            Permission,
        ),
        (
            P::Meta,
            Api,
            403,
            r#"{"error":{"code":299,"message":"perm"}}"#,
            Permission,
        ),
        (
            P::Meta,
            Api,
            500,
            r#"{"error":{"code":1,"message":"unknown"}}"#,
            Transient,
        ),
        (
            P::Meta,
            Api,
            503,
            r#"{"error":{"code":2,"message":"service"}}"#,
            Transient,
        ),
        (
            P::Meta,
            Api,
            400,
            r#"{"error":{"code":4,"message":"app limit"}}"#,
            Throttled,
        ),
        (
            P::Meta,
            Api,
            400,
            r#"{"error":{"code":17,"message":"user limit"}}"#,
            Throttled,
        ),
        (
            P::Meta,
            Api,
            400,
            r#"{"error":{"code":32,"message":"page limit"}}"#,
            Throttled,
        ),
        (
            P::Meta,
            Api,
            400,
            r#"{"error":{"code":613,"message":"x"}}"#,
            Throttled,
        ),
        (
            P::Meta,
            Api,
            400,
            r#"{"error":{"code":341,"message":"x"}}"#,
            Throttled,
        ),
        (
            P::Meta,
            Api,
            400,
            r#"{"error":{"code":368,"message":"blocked"}}"#,
            Throttled,
        ),
        // TikTok Shop: the same code means different things on the token endpoint and elsewhere
        (
            P::TiktokShop,
            Api,
            200,
            r#"{"code":105002,"message":"expired credentials"}"#,
            TokenInvalid,
        ),
        (
            P::TiktokShop,
            Refresh,
            200,
            r#"{"code":105002,"message":"expired credentials"}"#,
            Reauthorize,
        ),
        (
            P::TiktokShop,
            Api,
            401,
            r#"{"code":36009004,"message":"invalid token"}"#,
            TokenInvalid,
        ),
        (
            P::TiktokShop,
            Refresh,
            401,
            r#"{"code":36009004,"message":"invalid token"}"#,
            Reauthorize,
        ),
        (
            P::TiktokShop,
            Api,
            403,
            r#"{"code":105005,"message":"missing scope"}"#,
            Permission,
        ),
        (
            P::TiktokShop,
            Api,
            429,
            r#"{"code":36009002,"message":"too many"}"#,
            Throttled,
        ),
        (
            P::TiktokShop,
            Api,
            500,
            r#"{"code":36009003,"message":"internal"}"#,
            Transient,
        ),
        // TikTok Login Kit
        (
            P::Tiktok,
            Api,
            401,
            r#"{"error":{"code":"access_token_invalid","message":"x"}}"#,
            TokenInvalid,
        ),
        (
            P::Tiktok,
            Refresh,
            400,
            r#"{"error":"invalid_grant","error_description":"refresh token expired"}"#,
            Reauthorize,
        ),
        (
            P::Tiktok,
            Api,
            401,
            r#"{"error":{"code":"scope_not_authorized","message":"x"}}"#,
            Permission,
        ),
        (
            P::Tiktok,
            Api,
            429,
            r#"{"error":{"code":"rate_limit_exceeded","message":"x"}}"#,
            Throttled,
        ),
        (
            P::Tiktok,
            Api,
            500,
            r#"{"error":{"code":"internal_error","message":"x"}}"#,
            Transient,
        ),
        // Anything unrecognised falls back on the HTTP status
        (P::Tiktok, Api, 502, "<html>bad gateway</html>", Transient),
        (P::TiktokShop, Api, 429, "", Throttled),
        (P::Meta, Api, 418, "{}", Unknown),
    ];
    for (platform, op, status, body, class) in cases {
        assert_eq!(
            err(*platform, *op, *status, body).class,
            *class,
            "{platform} {op:?} {body}"
        );
    }
}

#[test]
fn retry_after_comes_from_the_header_or_metas_usage() {
    let mut h = HeaderMap::new();
    h.insert("retry-after", HeaderValue::from_static("30"));
    assert_eq!(
        classify(OAuthPlatform::TiktokShop, Operation::Api, 429, &h, "{}").retry_after_secs,
        Some(30)
    );
    let mut h = HeaderMap::new();
    h.insert(
        "x-business-use-case-usage",
        HeaderValue::from_static(r#"{"123":[{"type":"ads_management","call_count":100,"total_cputime":20,"total_time":20,"estimated_time_to_regain_access":7}]}"#),
    );
    let e = classify(
        OAuthPlatform::Meta,
        Operation::Api,
        400,
        &h,
        r#"{"error":{"code":80014}}"#,
    );
    assert_eq!(
        (e.class, e.retry_after_secs),
        (ErrorClass::Throttled, Some(420))
    );
}

#[test]
fn given_a_token_expiring_within_the_margin_then_refresh_is_due() {
    let p = RefreshPolicy::default();
    let mut c = conn(OAuthPlatform::TiktokShop);
    assert!(
        !c.refresh_due(NOW, &p),
        "an hour left, refreshed an hour ago"
    );
    c.expires_at = Some(NOW + 15 * 60);
    assert!(c.refresh_due(NOW, &p));
    c.expires_at = Some(NOW + 15 * 60 + 1);
    assert!(!c.refresh_due(NOW, &p));
}

#[test]
fn given_an_idle_connection_then_it_is_touched_once_a_day() {
    let p = RefreshPolicy::default();
    let mut c = conn(OAuthPlatform::Tiktok);
    c.expires_at = Some(NOW + 30 * 86_400);
    c.last_refreshed_at = Some(NOW - 86_400 + 1);
    assert!(!c.refresh_due(NOW, &p));
    c.last_refreshed_at = Some(NOW - 86_400);
    assert!(c.refresh_due(NOW, &p));
}

#[test]
fn given_a_never_expiring_or_reauth_connection_then_no_refresh() {
    let p = RefreshPolicy::default();
    let mut c = conn(OAuthPlatform::Meta);
    c.expires_at = None;
    assert!(!c.refresh_due(NOW, &p));
    let mut c = conn(OAuthPlatform::Meta);
    c.expires_at = Some(NOW);
    c.status = ConnectionStatus::NeedsReauth;
    assert!(!c.refresh_due(NOW, &p));
}

#[test]
fn given_a_reauthorize_error_then_needs_reauth_with_remediation() {
    let mut c = conn(OAuthPlatform::TiktokShop);
    let e = err(
        OAuthPlatform::TiktokShop,
        Operation::Refresh,
        200,
        r#"{"code":105002,"message":"expired credentials"}"#,
    );
    c.refresh_failed(NOW, &e, &RefreshPolicy::default(), 0.5);
    assert_eq!(c.status, ConnectionStatus::NeedsReauth);
    let last = c.last_error.clone().unwrap();
    assert_eq!(last.code, "105002");
    assert!(last.remediation.contains("Seller Center"));
    assert!(!c.refresh_due(NOW + 86_400, &RefreshPolicy::default()));
}

#[test]
fn given_transient_failures_then_backoff_with_jitter_then_exhausted_after_days() {
    let p = RefreshPolicy::default();
    let mut c = conn(OAuthPlatform::Tiktok);
    let e = err(
        OAuthPlatform::Tiktok,
        Operation::Refresh,
        500,
        r#"{"error":{"code":"internal_error"}}"#,
    );
    c.refresh_failed(NOW, &e, &p, 0.0);
    assert_eq!(c.status, ConnectionStatus::Active);
    assert_eq!(
        c.retry_after,
        Some(NOW + 30),
        "half the 60 s base with zero jitter"
    );
    c.refresh_failed(NOW, &e, &p, 1.0);
    assert_eq!(c.retry_after, Some(NOW + 120), "doubled, full jitter");
    for _ in 0..10 {
        c.refresh_failed(NOW, &e, &p, 1.0);
    }
    assert_eq!(c.retry_after, Some(NOW + 3600), "capped");
    c.refresh_failed(NOW + 3 * 86_400, &e, &p, 0.5);
    assert_eq!(c.status, ConnectionStatus::RefreshExhausted);
    // Success resets everything.
    let mut c = conn(OAuthPlatform::Tiktok);
    c.refresh_failed(NOW, &e, &p, 0.5);
    c.refreshed(NOW + 60, Some(NOW + 86_400), None, "k2");
    assert_eq!(
        (c.failures, c.retry_after, c.key_id.as_str()),
        (0, None, "k2")
    );
    assert_eq!(
        c.refresh_expires_at,
        Some(NOW + 30 * 86_400),
        "kept when the platform sends none"
    );
}

#[test]
fn given_a_throttle_with_retry_after_then_the_wait_is_at_least_that() {
    let mut c = conn(OAuthPlatform::TiktokShop);
    let mut h = HeaderMap::new();
    h.insert("retry-after", HeaderValue::from_static("900"));
    let e = classify(
        OAuthPlatform::TiktokShop,
        Operation::Refresh,
        429,
        &h,
        r#"{"code":36009002}"#,
    );
    c.refresh_failed(NOW, &e, &RefreshPolicy::default(), 0.0);
    assert_eq!(c.retry_after, Some(NOW + 900));
}

#[test]
fn given_a_deauthorization_then_revoked_and_never_refreshed() {
    let mut c = conn(OAuthPlatform::TiktokShop);
    c.expires_at = Some(NOW);
    c.revoked(NOW, "TikTok Shop type 6");
    assert_eq!(c.status, ConnectionStatus::Revoked);
    assert_eq!(c.last_error.as_ref().unwrap().code, "revoked");
    assert!(!c.refresh_due(NOW, &RefreshPolicy::default()));
}

#[test]
fn given_an_expiring_authorization_then_the_horizon_is_capped_and_flagged() {
    let mut c = conn(OAuthPlatform::TiktokShop);
    c.authorization_expiring(NOW, NOW + 86_400);
    assert_eq!(c.refresh_expires_at, Some(NOW + 86_400));
    assert_eq!(c.status, ConnectionStatus::Active, "still works until then");
    c.authorization_expiring(NOW, NOW + 90 * 86_400);
    assert_eq!(c.refresh_expires_at, Some(NOW + 86_400), "never extended");
}
