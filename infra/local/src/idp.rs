//! The local stack's identity provider and its stand-in for API Gateway's JWT authorizer.
//!
//! In AWS, Cognito (or the brand's own OIDC issuer) signs tokens with RS256 and API Gateway's HTTP
//! API JWT authorizer validates them against the issuer's JWKS before a function runs, handing the
//! function the claims as strings. Locally this module does both halves: an RSA key made at start,
//! its JWKS at `/_local/idp/jwks.json`, tokens for any subject and groups at
//! `POST /_local/idp/token` (loopback only — a development shortcut; the sign-in path is
//! [`crate::oauth`], Cognito's protocol), and validation of `Authorization` on every route the
//! template puts behind an authorizer: signature, issuer, expiry, and the audience (`aud`, or an
//! access token's `client_id`). Functions see the same request context either way.

use anyhow::{Result, anyhow};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::{KeyPair, KeySize, PublicKeyComponents};
use aws_lc_rs::signature::{KeyPair as _, RSA_PKCS1_SHA256};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use reelcart_domain::Clock;
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::sync::Arc;

/// Client id the local tokens carry (the template's user-pool client, in AWS).
pub const AUDIENCE: &str = "reelcart-local";

#[derive(Clone)]
pub struct Idp {
    key: Arc<KeyPair>,
    kid: String,
    pub issuer: String,
    decoding: Arc<DecodingKey>,
    modulus: Vec<u8>,
    exponent: Vec<u8>,
    /// The app clients whose tokens the authorizer takes (`aud` of ID tokens, `client_id` of
    /// access tokens), as the template's `JwtConfiguration.Audience`.
    audiences: Arc<Vec<String>>,
}

impl std::fmt::Debug for Idp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Idp")
            .field("issuer", &self.issuer)
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl Idp {
    /// A fresh RSA-2048 key; tokens name `issuer` (the stack's `/_local/idp` URL).
    pub fn new(issuer: String) -> Result<Self> {
        let key = KeyPair::generate(KeySize::Rsa2048).map_err(|_| anyhow!("RSA key generation"))?;
        let public = PublicKeyComponents::<Vec<u8>>::from(key.public_key());
        let decoding = DecodingKey::from_rsa_raw_components(&public.n, &public.e);
        let kid = hex::encode(&public.n[..8]);
        Ok(Self {
            key: Arc::new(key),
            kid,
            issuer,
            decoding: Arc::new(decoding),
            modulus: public.n,
            exponent: public.e,
            audiences: Arc::new(vec![AUDIENCE.to_string()]),
        })
    }

    /// The same issuer, also taking tokens of `clients` (the consoles' app clients).
    pub fn with_clients(mut self, clients: &[&str]) -> Self {
        let mut list = vec![AUDIENCE.to_string()];
        list.extend(clients.iter().map(|c| c.to_string()));
        self.audiences = Arc::new(list);
        self
    }

    fn sign(&self, claims: &Value) -> Result<String> {
        let header = json!({"alg": "RS256", "typ": "JWT", "kid": self.kid});
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let mut sig = vec![0u8; self.key.public_modulus_len()];
        self.key
            .sign(
                &RSA_PKCS1_SHA256,
                &SystemRandom::new(),
                signing_input.as_bytes(),
                &mut sig,
            )
            .map_err(|_| anyhow!("RSA signing"))?;
        Ok(format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(sig)))
    }

    /// The access and ID tokens Cognito issues a user of `client_id` (spec §15.3): the access
    /// token names its client in `client_id` (no `aud`), the ID token in `aud`.
    pub fn issue_pair(
        &self,
        sub: &str,
        email: &str,
        groups: &[String],
        client_id: &str,
        ttl_secs: i64,
    ) -> Result<(String, String)> {
        let now = reelcart_domain::SystemClock.now_unix();
        let access = json!({
            "iss": self.issuer, "sub": sub, "client_id": client_id, "token_use": "access",
            "scope": "openid email profile", "auth_time": now, "iat": now, "exp": now + ttl_secs,
            "username": sub, "cognito:groups": groups,
        });
        let id = json!({
            "iss": self.issuer, "sub": sub, "aud": client_id, "token_use": "id", "email": email,
            "email_verified": true, "auth_time": now, "iat": now, "exp": now + ttl_secs,
            "cognito:username": sub, "cognito:groups": groups,
        });
        Ok((self.sign(&access)?, self.sign(&id)?))
    }

    /// A signed token for `sub` in `groups`, valid for `ttl_secs`.
    pub fn issue(&self, sub: &str, groups: &[String], ttl_secs: i64) -> Result<String> {
        let now = reelcart_domain::SystemClock.now_unix();
        self.sign(&json!({
            "iss": self.issuer,
            "sub": sub,
            "aud": AUDIENCE,
            "iat": now,
            "exp": now + ttl_secs,
            "token_use": "id",
            "cognito:groups": groups,
        }))
    }

    /// The issuer's public keys, as `/.well-known/jwks.json` serves them.
    pub fn jwks(&self) -> Value {
        json!({"keys": [{
            "kty": "RSA",
            "alg": "RS256",
            "use": "sig",
            "kid": self.kid,
            "n": URL_SAFE_NO_PAD.encode(&self.modulus),
            "e": URL_SAFE_NO_PAD.encode(&self.exponent),
        }]})
    }

    /// What API Gateway's JWT authorizer does with the `Authorization` header: the token (with or
    /// without `Bearer `) must be RS256 under this issuer's key, unexpired, and its `aud` — or,
    /// without one, its `client_id` (an access token) — one of the audiences.
    /// The claims as the function receives them (strings; arrays as `[a b]`), or `None` (401).
    pub fn authorize(&self, authorization: Option<&str>) -> Option<HashMap<String, String>> {
        let token = authorization?.trim();
        let token = token.strip_prefix("Bearer ").unwrap_or(token).trim();
        let mut v = Validation::new(Algorithm::RS256);
        v.set_issuer(&[&self.issuer]);
        v.validate_aud = false;
        v.leeway = 0;
        let data = jsonwebtoken::decode::<Map<String, Value>>(token, &self.decoding, &v).ok()?;
        let audience = data
            .claims
            .get("aud")
            .or_else(|| data.claims.get("client_id"))?
            .as_str()?;
        if !self.audiences.iter().any(|a| a == audience) {
            return None;
        }
        Some(
            data.claims
                .into_iter()
                .map(|(k, v)| (k, render_claim(&v)))
                .collect(),
        )
    }
}

/// A claim as API Gateway passes it to the function: strings as they are, arrays as `[a b]`,
/// everything else as JSON text.
fn render_claim(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Array(items) => {
            let parts: Vec<String> = items.iter().map(render_claim).collect();
            format!("[{}]", parts.join(" "))
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issued_tokens_validate_and_tampered_or_foreign_ones_do_not() {
        let idp = Idp::new("http://127.0.0.1:1/_local/idp".into()).unwrap();
        let t = idp
            .issue("admin-1", &["admin".into(), "moderator".into()], 60)
            .unwrap();
        let claims = idp.authorize(Some(&format!("Bearer {t}"))).unwrap();
        assert_eq!(claims["sub"], "admin-1");
        assert_eq!(claims["cognito:groups"], "[admin moderator]");
        assert!(idp.authorize(Some(&t)).is_some(), "Bearer is optional");

        // Another issuer's key, a changed payload, an expired token, nothing.
        let other = Idp::new(idp.issuer.clone()).unwrap();
        let foreign = other.issue("admin-1", &["admin".into()], 60).unwrap();
        assert!(idp.authorize(Some(&foreign)).is_none());
        let mut parts: Vec<&str> = t.split('.').collect();
        let forged = URL_SAFE_NO_PAD.encode(
            json!({"iss": idp.issuer, "sub": "x", "aud": AUDIENCE, "exp": i64::MAX}).to_string(),
        );
        parts[1] = &forged;
        assert!(idp.authorize(Some(&parts.join("."))).is_none());
        let expired = idp.issue("admin-1", &[], -10).unwrap();
        assert!(idp.authorize(Some(&expired)).is_none());
        assert!(idp.authorize(None).is_none());
        assert!(idp.authorize(Some("Bearer ")).is_none());
    }
}
