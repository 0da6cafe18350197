//! Signing in on the local stack as in AWS: the managed-login stand-in's pages and token
//! endpoint over HTTP (authorization code with PKCE, refresh, revocation), a creator signing
//! themselves up with the emailed code, and the API's authorizer taking exactly the consoles'
//! access tokens — a creator's refused by moderation routes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use base64::Engine;
use reelcart_e2e::*;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

fn hidden(html: &str) -> Vec<(String, String)> {
    html.split("<input type=\"hidden\" ")
        .skip(1)
        .filter_map(|part| {
            let name = part.split("name=\"").nth(1)?.split('"').next()?;
            let value = part.split("value=\"").nth(1)?.split('"').next()?;
            Some((
                name.to_string(),
                value.replace("&amp;", "&").replace("&quot;", "\""),
            ))
        })
        .collect()
}

/// POST `fields` as a form to the stack's `path`, not following redirects.
async fn post_form(
    http: &reqwest::Client,
    base: &str,
    path: &str,
    fields: &[(String, String)],
) -> reqwest::Response {
    http.post(format!("{base}{path}"))
        .form(fields)
        .send()
        .await
        .unwrap()
}

/// The `code` of a sign-in's redirect.
fn code_of(location: &str) -> String {
    location
        .split("code=")
        .nth(1)
        .and_then(|rest| rest.split('&').next())
        .unwrap_or_else(|| panic!("no code in {location}"))
        .to_string()
}

/// `grant_type=authorization_code` at the token endpoint, as a console's browser sends it.
async fn exchange(
    http: &reqwest::Client,
    base: &str,
    client_id: &str,
    code: &str,
    redirect_uri: &str,
    verifier: &str,
) -> Value {
    http.post(format!("{base}/_local/idp/oauth2/token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("client_id", client_id),
            ("code", code),
            ("redirect_uri", redirect_uri),
            ("code_verifier", verifier),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_creator_signs_up_confirms_signs_in_refreshes_and_signs_out() {
    let stack = start_stack().await;
    let base = stack.url();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let portal = format!("{base}/web/portal/index.html");
    let verifier = "e2e-verifier-of-forty-three-or-more-characters-0123";
    let challenge =
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier));
    let authorize = format!(
        "{base}/_local/idp/oauth2/authorize?response_type=code&client_id=reelcart-portal&redirect_uri={}&state=s-123&scope=openid+email&code_challenge_method=S256&code_challenge={challenge}",
        form_urlencoded::byte_serialize(portal.as_bytes()).collect::<String>()
    );
    // The sign-in page; a redirect URI the client did not register, or no PKCE, is refused.
    let page = http.get(&authorize).send().await.unwrap();
    assert_eq!(page.status().as_u16(), 200);
    let form = hidden(&page.text().await.unwrap());
    assert!(
        form.iter()
            .any(|(k, v)| k == "code_challenge" && v == &challenge)
    );
    let evil = authorize.replace(
        "redirect_uri=",
        "redirect_uri=https%3A%2F%2Fevil.example%2F&x=",
    );
    assert_eq!(http.get(&evil).send().await.unwrap().status().as_u16(), 400);
    let no_pkce = authorize.replace("code_challenge_method=S256", "code_challenge_method=plain");
    assert_eq!(
        http.get(&no_pkce).send().await.unwrap().status().as_u16(),
        400
    );

    // Sign up, confirm with the emailed code.
    let mut fields = form.clone();
    fields.push(("email".into(), "new.creator@example.com".into()));
    fields.push(("password".into(), "a-long-enough-password".into()));
    let r = post_form(&http, &base, "/_local/idp/signup", &fields).await;
    assert_eq!(r.status().as_u16(), 200);
    let confirm_form = hidden(&r.text().await.unwrap());
    let mail: Value = http
        .get(format!(
            "{base}/_local/idp/mailbox?email=new.creator@example.com"
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let code = mail["codes"][0].as_str().unwrap().to_string();
    let mut fields = confirm_form.clone();
    fields.push(("code".into(), code));
    let r = post_form(&http, &base, "/_local/idp/confirm", &fields).await;
    assert_eq!(r.status().as_u16(), 302, "on to sign in");

    // Sign in: back to the portal with a code and the state.
    let mut fields = form.clone();
    fields.push(("email".into(), "new.creator@example.com".into()));
    fields.push(("password".into(), "wrong-password-here".into()));
    let r = post_form(&http, &base, "/_local/idp/login", &fields).await;
    assert_eq!(r.status().as_u16(), 401);
    fields.pop();
    fields.push(("password".into(), "a-long-enough-password".into()));
    let r = post_form(&http, &base, "/_local/idp/login", &fields).await;
    assert_eq!(r.status().as_u16(), 302);
    let location = r.headers()["location"].to_str().unwrap().to_string();
    assert!(
        location.starts_with(&portal) && location.ends_with("&state=s-123"),
        "{location}"
    );
    let code = code_of(&location);

    // The token endpoint, as the portal's browser calls it.
    let tokens = exchange(&http, &base, "reelcart-portal", &code, &portal, verifier).await;
    let access = tokens["access_token"].as_str().unwrap().to_string();
    // The API takes the access token: the new creator onboards; moderation routes refuse them.
    let r = http
        .put(format!("{base}/v1/creators/me"))
        .bearer_auth(&access)
        .json(&json!({"display_name": "New Creator"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 201);
    let r = http
        .get(format!("{base}/v1/moderation/items"))
        .bearer_auth(&access)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403);
    // Refresh, then sign out: the refresh token is revoked.
    let refresh = tokens["refresh_token"].as_str().unwrap().to_string();
    let again = http
        .post(format!("{base}/_local/idp/oauth2/token"))
        .form(&[
            ("grant_type", "refresh_token"),
            ("client_id", "reelcart-portal"),
            ("refresh_token", &refresh),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(again.headers()["access-control-allow-origin"], "*");
    assert!(again.json::<Value>().await.unwrap()["access_token"].is_string());
    // Sign-out everywhere: back to the portal (a registered URI only), the refresh token revoked.
    let out = http
        .get(format!(
            "{base}/_local/idp/logout?client_id=reelcart-portal&logout_uri={}",
            form_urlencoded::byte_serialize(portal.as_bytes()).collect::<String>()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(
        (
            out.status().as_u16(),
            out.headers()["location"].to_str().unwrap()
        ),
        (302, portal.as_str())
    );
    let elsewhere = http
        .get(format!("{base}/_local/idp/logout?client_id=reelcart-portal&logout_uri=https%3A%2F%2Fevil.example%2F"))
        .send().await.unwrap();
    assert_eq!(elsewhere.status().as_u16(), 400);
    http.post(format!("{base}/_local/idp/oauth2/revoke"))
        .form(&[
            ("token", refresh.as_str()),
            ("client_id", "reelcart-portal"),
        ])
        .send()
        .await
        .unwrap();
    let gone = http
        .post(format!("{base}/_local/idp/oauth2/token"))
        .form(&[
            ("grant_type", "refresh_token"),
            ("client_id", "reelcart-portal"),
            ("refresh_token", &refresh),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status().as_u16(), 400);
    assert_eq!(
        gone.json::<Value>().await.unwrap()["error"],
        "invalid_grant"
    );

    // The portal's runtime configuration names the same endpoints and its client.
    let config: Value = http
        .get(format!("{base}/web/portal/config.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (
            config["client_id"].as_str(),
            config["redirect_uri"].as_str()
        ),
        (Some("reelcart-portal"), Some(portal.as_str()))
    );
    assert_eq!(config["token"], format!("{base}/_local/idp/oauth2/token"));
    assert_eq!(config["api"], base);
    // An invited moderator signs in through the same page; their token opens moderation routes.
    let r = http.post(format!("{base}/_local/idp/users"))
        .json(&json!({"email": "mod@brand.example", "password": "a-long-moderator-pass", "groups": ["moderator"]}))
        .send().await.unwrap();
    assert_eq!(r.status().as_u16(), 201);
    let console = format!("{base}/web/console/index.html");
    let r = http
        .post(format!("{base}/_local/idp/login"))
        .form(&[
            ("email", "mod@brand.example"),
            ("password", "a-long-moderator-pass"),
            ("response_type", "code"),
            ("client_id", "reelcart-console"),
            ("redirect_uri", console.as_str()),
            ("state", "m"),
            ("code_challenge_method", "S256"),
            ("code_challenge", challenge.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 302);
    let code = code_of(r.headers()["location"].to_str().unwrap());
    let tokens = exchange(&http, &base, "reelcart-console", &code, &console, verifier).await;
    let r = http
        .get(format!("{base}/v1/moderation/items"))
        .bearer_auth(tokens["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
}
