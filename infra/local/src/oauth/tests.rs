//! The local managed login: sign-up confirmed by code into `creator`, the code flow with PKCE,
//! refresh and revocation, and TOTP for admins — through `identity-triggers`' own handler.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::*;
use base64::Engine;

const CONSOLE: &str = "reelcart-console";
const REDIRECT: &str = "http://127.0.0.1:9/web/console/index.html";

fn server(totp_required: bool) -> Server {
    let idp = Idp::new("http://127.0.0.1:9/_local/idp".into())
        .unwrap()
        .with_clients(&[CONSOLE]);
    Server::new(
        idp,
        vec![Client {
            id: CONSOLE.into(),
            redirect_uris: vec![REDIRECT.into()],
        }],
        totp_required,
    )
}

fn pkce() -> (String, String) {
    let verifier = "a-verifier-of-at-least-43-characters-xxxxxxxxxx".to_string();
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(Sha256::digest(verifier.as_bytes()));
    (verifier, challenge)
}

fn claims(server: &Server, token: &str) -> std::collections::HashMap<String, String> {
    server.idp.authorize(Some(token)).expect("a valid token")
}

#[tokio::test]
async fn a_creator_signs_up_confirms_with_the_emailed_code_and_signs_in_as_a_creator() {
    let s = server(true);
    s.sign_up("Maya@Example.com", "a-long-password-1").unwrap();
    assert!(
        s.sign_in(
            "maya@example.com",
            "a-long-password-1",
            CONSOLE,
            REDIRECT,
            "c"
        )
        .is_err(),
        "unconfirmed"
    );
    assert!(s.confirm("maya@example.com", "000000x").await.is_err());
    let code = s.mailbox("maya@example.com").pop().unwrap();
    s.confirm("maya@example.com", &code).await.unwrap();
    let (verifier, challenge) = pkce();
    let auth = s
        .sign_in(
            "maya@example.com",
            "a-long-password-1",
            CONSOLE,
            REDIRECT,
            &challenge,
        )
        .unwrap();
    let SignIn::Code(auth) = auth else {
        panic!("no TOTP for a creator")
    };
    // A wrong verifier, redirect or client: refused, and the code is spent.
    assert_eq!(
        s.exchange(CONSOLE, &auth, REDIRECT, "wrong")
            .await
            .unwrap_err(),
        OAuthError("invalid_grant")
    );
    assert!(
        s.exchange(CONSOLE, &auth, REDIRECT, &verifier)
            .await
            .is_err(),
        "single use"
    );
    let auth = s
        .sign_in(
            "maya@example.com",
            "a-long-password-1",
            CONSOLE,
            REDIRECT,
            &challenge,
        )
        .unwrap();
    let SignIn::Code(auth) = auth else {
        panic!("no TOTP for a creator")
    };
    let t = s
        .exchange(CONSOLE, &auth, REDIRECT, &verifier)
        .await
        .unwrap();
    let access = claims(&s, t["access_token"].as_str().unwrap());
    assert_eq!(
        (
            access["token_use"].as_str(),
            access["client_id"].as_str(),
            access["cognito:groups"].as_str()
        ),
        ("access", CONSOLE, "[creator]")
    );
    assert!(
        !access.contains_key("aud"),
        "access tokens carry client_id, not aud"
    );
    let id = claims(&s, t["id_token"].as_str().unwrap());
    assert_eq!(
        (id["aud"].as_str(), id["email"].as_str()),
        (CONSOLE, "maya@example.com")
    );
    // Refresh, then sign-out revokes the refresh token.
    let refresh = t["refresh_token"].as_str().unwrap();
    let again = s.refresh(CONSOLE, refresh).await.unwrap();
    assert!(again["access_token"].is_string() && again.get("refresh_token").is_none());
    s.revoke(refresh);
    assert_eq!(
        s.refresh(CONSOLE, refresh).await.unwrap_err(),
        OAuthError("invalid_grant")
    );
    // The authorizer takes only its clients' tokens.
    let (foreign, _) = s
        .idp
        .issue_pair("x", "x@example.com", &[], "another-client", 60)
        .unwrap();
    assert!(s.idp.authorize(Some(&foreign)).is_none());
    // An unregistered redirect is refused before any password is checked.
    assert!(
        s.sign_in(
            "maya@example.com",
            "a-long-password-1",
            CONSOLE,
            "https://evil.example/",
            &challenge
        )
        .is_err()
    );
}

#[tokio::test]
async fn an_admin_without_totp_is_not_an_admin_until_they_set_it_up() {
    let (verifier, challenge) = pkce();
    let s = server(true);
    // The groups an invited user's access token says, once signed in (with the authenticator's
    // code when they have TOTP).
    let groups = |email: &'static str, groups: &'static [&'static str], totp: bool| {
        let (s, verifier, challenge) = (&s, &verifier, &challenge);
        async move {
            let invited = s
                .invite(email, "a-long-password-2", groups, totp, None)
                .unwrap();
            let signed = s
                .sign_in(email, "a-long-password-2", CONSOLE, REDIRECT, challenge)
                .unwrap();
            let code = match (signed, invited.totp_secret) {
                (SignIn::Code(code), None) => code,
                (SignIn::Totp(session), Some(secret)) => {
                    let key = base32_decode(&secret);
                    assert!(s.verify_totp(&session, "000000x").is_err());
                    let now_code = super::totp::code(&key, (now() / 30) as u64);
                    let (code, redirect) = s.verify_totp(&session, &now_code).unwrap();
                    assert_eq!(redirect, REDIRECT);
                    assert!(s.verify_totp(&session, &now_code).is_err(), "single use");
                    code
                }
                (signed, secret) => panic!("{signed:?} with secret {secret:?}"),
            };
            let t = s
                .exchange(CONSOLE, &code, REDIRECT, verifier)
                .await
                .unwrap();
            claims(s, t["access_token"].as_str().unwrap())["cognito:groups"].clone()
        }
    };
    assert_eq!(
        groups("ops@brand.example", &["admin", "moderator"], false).await,
        "[moderator]"
    );
    assert_eq!(
        groups("boss@brand.example", &["admin"], true).await,
        "[admin]"
    );
}

fn base32_decode(s: &str) -> Vec<u8> {
    let (mut out, mut buf, mut bits) = (Vec::new(), 0u32, 0u32);
    for c in s.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'2'..=b'7' => c - b'2' + 26,
            _ => panic!("not base32: {s}"),
        };
        buf = (buf << 5) | u32::from(v);
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((buf >> bits) as u8);
        }
    }
    out
}
