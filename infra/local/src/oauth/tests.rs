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
    // The groups an invited user's access token says, once signed in.
    let groups = |email: &'static str, groups: &'static [&'static str], totp: bool| {
        let (s, verifier, challenge) = (&s, &verifier, &challenge);
        async move {
            s.invite(email, "a-long-password-2", groups, totp);
            let code = s
                .sign_in(email, "a-long-password-2", CONSOLE, REDIRECT, challenge)
                .unwrap();
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
