//! Verification tests: the vectors of spec/platforms.md, round trips, every missing header,
//! tolerance at the limit and one past it, rotated secrets, raw vs escaped Meta bodies.

use super::*;
use crate::webhook::{StandardKey, WebhookSecrets};
use http::{HeaderMap, HeaderName, HeaderValue};
use std::collections::BTreeMap;

const STD_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const STD_ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
const STD_TS: i64 = 1_614_265_330;
const STD_BODY: &str = r#"{"test": 2432232314}"#;
const STD_SIG: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

const META_ESCAPED: &str = r#"{"object":"instagram","entry":[{"id":"1","changes":[{"field":"mentions","value":{"text":"\u00e4\u00f6\u00e5"}}]}]}"#;
const META_ESCAPED_SIG: &str =
    "sha256=0f55f62488466230aa55ef28cabc20a4bc07fff4f28719a4e02d511ab59948b4";
const META_RAW_SIG: &str =
    "sha256=d0578943c9aa6d28642b70e3925ac1849e7a827aa8455141ca337f302976f957";

const TIKTOK_BODY: &str = r#"{"client_key":"aw123","event":"authorization.removed","create_time":1633174587,"user_openid":"act.example","content":"{\"reason\":1}"}"#;
const TIKTOK_T: i64 = 1_633_174_587;
const TIKTOK_S: &str = "bfb7c40cb35901ed251fdfde07afb89f9cc07f7829db32c4e1784ef6ac91110f";

fn secrets() -> WebhookSecrets {
    let mut standard = BTreeMap::new();
    standard.insert(
        "acme".to_string(),
        vec![StandardKey::parse(STD_SECRET).unwrap()],
    );
    WebhookSecrets {
        meta_app_secrets: vec!["app_secret_123".into()],
        meta_verify_token: Some("verify-me".into()),
        tiktok_shop_app_key: "shop_key".into(),
        tiktok_shop_app_secrets: vec!["shop_secret".into()],
        tiktok_client_secrets: vec!["client_secret_123".into()],
        shopify_webhook_secrets: vec!["shpss_secret".into()],
        standard,
        timestamp_tolerance_secs: 300,
        refused: Vec::new(),
    }
}

fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
    let mut h = HeaderMap::new();
    for (k, v) in pairs {
        h.insert(
            HeaderName::from_bytes(k.as_bytes()).unwrap(),
            HeaderValue::from_str(v).unwrap(),
        );
    }
    h
}

fn std_headers(sig: &str) -> HeaderMap {
    headers(&[
        ("webhook-id", STD_ID),
        ("webhook-timestamp", &STD_TS.to_string()),
        ("webhook-signature", sig),
    ])
}

fn shopify_sig(secret: &str, body: &[u8]) -> String {
    let h = mac(secret.as_bytes(), &[body])
        .unwrap()
        .finalize()
        .into_bytes();
    B64.encode(h)
}

// ---- the vectors of spec/platforms.md ----

#[test]
fn standard_webhooks_vector() {
    let s = secrets();
    let r = verify(
        Platform::Standard,
        Some("acme"),
        &s,
        &std_headers(STD_SIG),
        STD_BODY.as_bytes(),
        STD_TS,
    );
    assert_eq!(r, Ok(()));
}

#[test]
fn meta_vector_hashes_the_escaped_bytes_as_received() {
    let s = secrets();
    let h = headers(&[("X-Hub-Signature-256", META_ESCAPED_SIG)]);
    assert_eq!(
        verify(Platform::Meta, None, &s, &h, META_ESCAPED.as_bytes(), 0),
        Ok(())
    );
}

#[test]
fn meta_raw_utf8_body_has_its_own_signature_and_they_do_not_mix() {
    let s = secrets();
    let raw = META_ESCAPED.replace(r"\u00e4\u00f6\u00e5", "äöå");
    let raw_h = headers(&[("x-hub-signature-256", META_RAW_SIG)]);
    assert_eq!(
        verify(Platform::Meta, None, &s, &raw_h, raw.as_bytes(), 0),
        Ok(())
    );
    // A verifier that re-serialized the escaped body would produce the raw form: it must fail.
    let escaped_h = headers(&[("x-hub-signature-256", META_ESCAPED_SIG)]);
    assert_eq!(
        verify(Platform::Meta, None, &s, &escaped_h, raw.as_bytes(), 0),
        Err(VerifyError::InvalidSignature)
    );
    assert_eq!(
        verify(Platform::Meta, None, &s, &raw_h, META_ESCAPED.as_bytes(), 0),
        Err(VerifyError::InvalidSignature)
    );
}

#[test]
fn tiktok_vector() {
    let s = secrets();
    let h = headers(&[("TikTok-Signature", &format!("t={TIKTOK_T},s={TIKTOK_S}"))]);
    assert_eq!(
        verify(
            Platform::Tiktok,
            None,
            &s,
            &h,
            TIKTOK_BODY.as_bytes(),
            TIKTOK_T
        ),
        Ok(())
    );
}

// ---- round trips ----

#[test]
fn tiktok_shop_round_trip_signs_app_key_then_body() {
    let s = secrets();
    let body = br#"{"type":1,"tts_notification_id":"n1","shop_id":"7","data":{}}"#;
    let sig = sign_hex(b"shop_secret", &[b"shop_key", body]);
    assert_eq!(
        verify(
            Platform::TiktokShop,
            None,
            &s,
            &headers(&[("Authorization", &sig)]),
            body,
            0
        ),
        Ok(())
    );
    // Signing the body alone (forgetting the app key) must not verify.
    let wrong = sign_hex(b"shop_secret", &[body]);
    assert_eq!(
        verify(
            Platform::TiktokShop,
            None,
            &s,
            &headers(&[("authorization", &wrong)]),
            body,
            0
        ),
        Err(VerifyError::InvalidSignature)
    );
}

#[test]
fn shopify_round_trip_and_events_header() {
    let s = secrets();
    let body = br#"{"id":1}"#;
    let sig = shopify_sig("shpss_secret", body);
    for name in ["X-Shopify-Hmac-Sha256", "shopify-hmac-sha256"] {
        assert_eq!(
            verify(
                Platform::Shopify,
                None,
                &s,
                &headers(&[(name, &sig)]),
                body,
                0
            ),
            Ok(()),
            "{name}"
        );
    }
    let tampered = br#"{"id":2}"#;
    assert_eq!(
        verify(
            Platform::Shopify,
            None,
            &s,
            &headers(&[("x-shopify-hmac-sha256", &sig)]),
            tampered,
            0
        ),
        Err(VerifyError::InvalidSignature)
    );
}

#[test]
fn standard_round_trip_with_other_signature_versions_present() {
    let s = secrets();
    let sig = format!("v1a,AAAA v1,bm90IGl0 {STD_SIG}");
    assert_eq!(
        verify(
            Platform::Standard,
            Some("acme"),
            &s,
            &std_headers(&sig),
            STD_BODY.as_bytes(),
            STD_TS
        ),
        Ok(())
    );
}

// ---- missing and malformed headers ----

#[test]
fn each_missing_header_is_named() {
    let s = secrets();
    let cases: Vec<(Platform, Option<&str>, HeaderMap, &str)> = vec![
        (
            Platform::Meta,
            None,
            HeaderMap::new(),
            "x-hub-signature-256",
        ),
        (
            Platform::TiktokShop,
            None,
            HeaderMap::new(),
            "authorization",
        ),
        (Platform::Tiktok, None, HeaderMap::new(), "tiktok-signature"),
        (
            Platform::Shopify,
            None,
            HeaderMap::new(),
            "shopify-hmac-sha256",
        ),
        (
            Platform::Standard,
            Some("acme"),
            headers(&[("webhook-timestamp", "1"), ("webhook-signature", STD_SIG)]),
            "webhook-id",
        ),
        (
            Platform::Standard,
            Some("acme"),
            headers(&[("webhook-id", STD_ID), ("webhook-signature", STD_SIG)]),
            "webhook-timestamp",
        ),
        (
            Platform::Standard,
            Some("acme"),
            headers(&[("webhook-id", STD_ID), ("webhook-timestamp", "1614265330")]),
            "webhook-signature",
        ),
    ];
    for (platform, source, h, name) in cases {
        assert_eq!(
            verify(platform, source, &s, &h, b"{}", STD_TS),
            Err(VerifyError::MissingHeader(name)),
            "{platform}"
        );
    }
}

#[test]
fn malformed_headers_are_rejected() {
    let s = secrets();
    let cases = [
        (
            Platform::Meta,
            headers(&[("x-hub-signature-256", "md5=abc")]),
        ),
        (
            Platform::Meta,
            headers(&[("x-hub-signature-256", "sha256=zz")]),
        ),
        (
            Platform::TiktokShop,
            headers(&[("authorization", "Bearer abc")]),
        ),
        (Platform::Tiktok, headers(&[("tiktok-signature", "s=abc")])),
        (
            Platform::Tiktok,
            headers(&[("tiktok-signature", "t=soon,s=00")]),
        ),
        (
            Platform::Shopify,
            headers(&[("x-shopify-hmac-sha256", "%%%")]),
        ),
    ];
    for (platform, h) in cases {
        assert!(
            matches!(
                verify(platform, None, &s, &h, b"{}", 0),
                Err(VerifyError::MalformedHeader(_))
            ),
            "{platform}: {h:?}"
        );
    }
}

// ---- timestamp tolerance: the limit is accepted, one second past it is not ----

#[test]
fn standard_tolerance_both_ways() {
    let s = secrets();
    let body = STD_BODY.as_bytes();
    let check = |now| {
        verify(
            Platform::Standard,
            Some("acme"),
            &s,
            &std_headers(STD_SIG),
            body,
            now,
        )
    };
    assert_eq!(check(STD_TS + 300), Ok(()));
    assert_eq!(check(STD_TS + 301), Err(VerifyError::TimestampTooOld));
    assert_eq!(check(STD_TS - 300), Ok(()));
    assert_eq!(check(STD_TS - 301), Err(VerifyError::TimestampTooNew));
}

#[test]
fn tiktok_tolerance_both_ways() {
    let s = secrets();
    let h = headers(&[("tiktok-signature", &format!("t={TIKTOK_T},s={TIKTOK_S}"))]);
    let check = |now| verify(Platform::Tiktok, None, &s, &h, TIKTOK_BODY.as_bytes(), now);
    assert_eq!(check(TIKTOK_T + 300), Ok(()));
    assert_eq!(check(TIKTOK_T + 301), Err(VerifyError::TimestampTooOld));
    assert_eq!(check(TIKTOK_T - 300), Ok(()));
    assert_eq!(check(TIKTOK_T - 301), Err(VerifyError::TimestampTooNew));
}

#[test]
fn tiktok_timestamp_is_covered_by_the_signature() {
    let s = secrets();
    // Moving t forward to dodge the window breaks the signature.
    let h = headers(&[(
        "tiktok-signature",
        &format!("t={},s={TIKTOK_S}", TIKTOK_T + 1),
    )]);
    assert_eq!(
        verify(
            Platform::Tiktok,
            None,
            &s,
            &h,
            TIKTOK_BODY.as_bytes(),
            TIKTOK_T
        ),
        Err(VerifyError::InvalidSignature)
    );
}

// ---- rotation ----

#[test]
fn rotated_secrets_any_current_secret_verifies() {
    let mut s = secrets();
    s.shopify_webhook_secrets = vec!["new_secret".into(), "old_secret".into()];
    let body = br#"{"id":1}"#;
    for secret in ["old_secret", "new_secret"] {
        let h = headers(&[("x-shopify-hmac-sha256", &shopify_sig(secret, body))]);
        assert_eq!(
            verify(Platform::Shopify, None, &s, &h, body, 0),
            Ok(()),
            "{secret}"
        );
    }
    let h = headers(&[("x-shopify-hmac-sha256", &shopify_sig("retired", body))]);
    assert_eq!(
        verify(Platform::Shopify, None, &s, &h, body, 0),
        Err(VerifyError::InvalidSignature)
    );
}

#[test]
fn standard_rotation_several_keys_and_several_signatures() {
    let mut s = secrets();
    let other = StandardKey::parse("whsec_c2Vjb25kLXNlY3JldC1rZXktZm9yLXJvdGF0aW9u").unwrap();
    s.standard.get_mut("acme").unwrap().insert(0, other);
    let sig = format!("v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= {STD_SIG}");
    assert_eq!(
        verify(
            Platform::Standard,
            Some("acme"),
            &s,
            &std_headers(&sig),
            STD_BODY.as_bytes(),
            STD_TS
        ),
        Ok(())
    );
}

#[test]
fn unknown_standard_source_or_missing_secrets_are_not_configured() {
    let s = secrets();
    assert_eq!(
        verify(
            Platform::Standard,
            Some("nobody"),
            &s,
            &std_headers(STD_SIG),
            STD_BODY.as_bytes(),
            STD_TS
        ),
        Err(VerifyError::NotConfigured)
    );
    let empty = WebhookSecrets::default();
    let h = headers(&[("x-hub-signature-256", META_ESCAPED_SIG)]);
    assert_eq!(
        verify(Platform::Meta, None, &empty, &h, META_ESCAPED.as_bytes(), 0),
        Err(VerifyError::NotConfigured)
    );
}

// ---- Meta handshake ----

#[test]
fn meta_handshake_echoes_challenge_only_for_the_right_token() {
    let s = secrets();
    assert_eq!(
        meta_handshake(&s, Some("subscribe"), Some("verify-me"), Some("1158201444")),
        Some("1158201444")
    );
    assert_eq!(
        meta_handshake(&s, Some("subscribe"), Some("wrong"), Some("1")),
        None
    );
    assert_eq!(
        meta_handshake(&s, Some("unsubscribe"), Some("verify-me"), Some("1")),
        None
    );
    assert_eq!(meta_handshake(&s, Some("subscribe"), None, Some("1")), None);
    assert_eq!(
        meta_handshake(
            &WebhookSecrets::default(),
            Some("subscribe"),
            Some(""),
            Some("1")
        ),
        None
    );
}

mod props {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn any_body_round_trips_and_any_flipped_byte_fails(body in proptest::collection::vec(any::<u8>(), 0..512), flip in any::<usize>()) {
            let s = secrets();
            let sig = format!("sha256={}", sign_hex(b"app_secret_123", &[&body]));
            let h = headers(&[("x-hub-signature-256", &sig)]);
            prop_assert_eq!(verify(Platform::Meta, None, &s, &h, &body, 0), Ok(()));
            if !body.is_empty() {
                let mut tampered = body.clone();
                let i = flip % tampered.len();
                tampered[i] ^= 0x01;
                prop_assert_eq!(verify(Platform::Meta, None, &s, &h, &tampered, 0), Err(VerifyError::InvalidSignature));
            }
        }
    }
}

fn signed_request(secret: &[u8], payload: &str, pad: bool) -> String {
    use base64::engine::general_purpose::{URL_SAFE, URL_SAFE_NO_PAD};
    let body = URL_SAFE_NO_PAD.encode(payload);
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret).unwrap();
    mac.update(body.as_bytes());
    let sig = mac.finalize().into_bytes();
    let sig = if pad {
        URL_SAFE.encode(sig)
    } else {
        URL_SAFE_NO_PAD.encode(sig)
    };
    format!("{sig}.{body}")
}

#[test]
fn meta_signed_request_verifies_under_the_app_secret_only() {
    let secrets = vec![SecretString::from("meta-app-secret".to_string())];
    let payload =
        r#"{"algorithm":"HMAC-SHA256","issued_at":1764115200,"user_id":"1000000000000001"}"#;
    for pad in [false, true] {
        let sr = signed_request(b"meta-app-secret", payload, pad);
        let v = verify_signed_request(&sr, &secrets).unwrap();
        assert_eq!(v["user_id"], "1000000000000001");
    }
    let sr = signed_request(b"another-secret", payload, false);
    assert_eq!(
        verify_signed_request(&sr, &secrets),
        Err(VerifyError::InvalidSignature)
    );
    // The payload swapped under a valid signature.
    let good = signed_request(b"meta-app-secret", payload, false);
    let (sig, _) = good.split_once('.').unwrap();
    let other = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(r#"{"algorithm":"HMAC-SHA256","issued_at":1,"user_id":"2"}"#);
    assert_eq!(
        verify_signed_request(&format!("{sig}.{other}"), &secrets),
        Err(VerifyError::InvalidSignature)
    );
    // Signed, but not the algorithm Meta names.
    let weak = signed_request(
        b"meta-app-secret",
        r#"{"algorithm":"none","user_id":"1"}"#,
        false,
    );
    assert_eq!(
        verify_signed_request(&weak, &secrets),
        Err(VerifyError::MalformedField("signed_request"))
    );
    for junk in ["", "abc", "!!.??"] {
        assert!(verify_signed_request(junk, &secrets).is_err());
    }
    assert_eq!(
        verify_signed_request(&good, &[]),
        Err(VerifyError::NotConfigured)
    );
}
