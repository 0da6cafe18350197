//! The local managed login's pages and endpoints (see the module above).

use super::{OAuthError, Server, SignIn};
use axum::extract::{Form, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;
use std::collections::HashMap;

pub fn routes(server: Server) -> Router {
    Router::new()
        .route("/_local/idp/oauth2/authorize", get(authorize))
        .route("/_local/idp/login", post(login))
        .route("/_local/idp/mfa", post(mfa))
        .route("/_local/idp/signup", get(signup_page).post(signup))
        .route("/_local/idp/confirm", post(confirm))
        .route("/_local/idp/oauth2/token", post(token))
        .route("/_local/idp/oauth2/revoke", post(revoke))
        .route("/_local/idp/logout", get(logout))
        .route("/_local/idp/mailbox", get(mailbox))
        .route("/_local/idp/users", post(invite))
        .with_state(server)
}

/// The authorization request, carried through the pages.
#[derive(Debug, Clone, Default, Deserialize)]
struct AuthRequest {
    #[serde(default)]
    response_type: String,
    #[serde(default)]
    client_id: String,
    #[serde(default)]
    redirect_uri: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    scope: String,
    #[serde(default)]
    code_challenge: String,
    #[serde(default)]
    code_challenge_method: String,
}

/// `a=1&b=2`, form-encoded.
fn encode<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a String)>) -> String {
    let mut q = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        q.append_pair(k, v);
    }
    q.finish()
}

/// `302 Found` to `url`, as Cognito's endpoints redirect.
fn found(url: &str) -> Response {
    match HeaderValue::from_str(url) {
        Ok(v) => (StatusCode::FOUND, [(header::LOCATION, v)]).into_response(),
        Err(_) => StatusCode::BAD_REQUEST.into_response(),
    }
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

impl AuthRequest {
    /// The request's parameters, in the order Cognito's documentation lists them.
    fn pairs(&self) -> [(&'static str, &String); 7] {
        [
            ("response_type", &self.response_type),
            ("client_id", &self.client_id),
            ("redirect_uri", &self.redirect_uri),
            ("state", &self.state),
            ("scope", &self.scope),
            ("code_challenge", &self.code_challenge),
            ("code_challenge_method", &self.code_challenge_method),
        ]
    }

    fn hidden(&self) -> String {
        self.pairs()
            .iter()
            .map(|(k, v)| format!(r#"<input type="hidden" name="{k}" value="{}">"#, esc(v)))
            .collect()
    }

    fn query(&self) -> String {
        encode(self.pairs())
    }

    /// What is wrong with the request (Cognito's `invalid_request`), if anything.
    fn problem(&self, server: &Server) -> Option<&'static str> {
        if self.response_type != "code" {
            return Some("response_type must be code");
        }
        if !server.registered(&self.client_id, &self.redirect_uri) {
            return Some("unknown client_id or redirect_uri");
        }
        if self.code_challenge_method != "S256" || self.code_challenge.is_empty() {
            return Some("PKCE with code_challenge_method=S256 is required");
        }
        None
    }
}

fn page(title: &str, message: Option<&str>, body: &str) -> Html<String> {
    let message = message
        .map(|m| format!(r#"<p role="alert" data-testid="idp-error">{}</p>"#, esc(m)))
        .unwrap_or_default();
    Html(format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{t} — Reelcart</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><main><h1>{t}</h1>{message}{body}</main></body></html>"#,
        t = esc(title)
    ))
}

fn sign_in_page(r: &AuthRequest, message: Option<&str>) -> Html<String> {
    page(
        "Sign in",
        message,
        &format!(
            r#"<form method="post" action="/_local/idp/login">{}
<label>Email <input name="email" type="email" autocomplete="username" required data-testid="idp-email"></label>
<label>Password <input name="password" type="password" autocomplete="current-password" required data-testid="idp-password"></label>
<button type="submit" data-testid="idp-sign-in">Sign in</button></form>
<p><a href="/_local/idp/signup?{}" data-testid="idp-sign-up-link">Create an account</a></p>"#,
            r.hidden(),
            esc(&r.query())
        ),
    )
}

async fn authorize(State(s): State<Server>, Query(r): Query<AuthRequest>) -> Response {
    if let Some(p) = r.problem(&s) {
        return (StatusCode::BAD_REQUEST, page("Sign-in error", Some(p), "")).into_response();
    }
    sign_in_page(&r, None).into_response()
}

#[derive(Deserialize)]
struct Credentials {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    code: String,
    /// The authorization request, carried through the pages.
    #[serde(flatten)]
    request: AuthRequest,
}

impl Credentials {
    fn request(&self) -> AuthRequest {
        self.request.clone()
    }
}

async fn login(State(s): State<Server>, Form(c): Form<Credentials>) -> Response {
    let r = c.request();
    if let Some(p) = r.problem(&s) {
        return (StatusCode::BAD_REQUEST, page("Sign-in error", Some(p), "")).into_response();
    }
    match s.sign_in(
        &c.email,
        &c.password,
        &r.client_id,
        &r.redirect_uri,
        &r.code_challenge,
    ) {
        Ok(SignIn::Code(code)) => back_with_code(&r, &code),
        Ok(SignIn::Totp(session)) => totp_page(&r, &session, None).into_response(),
        Err(e) => (StatusCode::UNAUTHORIZED, sign_in_page(&r, Some(e))).into_response(),
    }
}

/// `302 redirect_uri?code&state`: back to the client.
fn back_with_code(r: &AuthRequest, code: &String) -> Response {
    let q = encode([("code", code), ("state", &r.state)]);
    found(&format!("{}?{q}", r.redirect_uri))
}

/// The authenticator's code, after the password.
fn totp_page(r: &AuthRequest, session: &str, message: Option<&str>) -> Html<String> {
    page(
        "Enter your authenticator code",
        message,
        &format!(
            r#"<form method="post" action="/_local/idp/mfa">{}
<input type="hidden" name="session" value="{}">
<label>Code <input name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{{6}}" required data-testid="idp-totp"></label>
<button type="submit" data-testid="idp-totp-submit">Sign in</button></form>"#,
            r.hidden(),
            esc(session)
        ),
    )
}

#[derive(Deserialize)]
struct MfaForm {
    #[serde(default)]
    session: String,
    #[serde(default)]
    code: String,
    #[serde(flatten)]
    request: AuthRequest,
}

async fn mfa(State(s): State<Server>, Form(f): Form<MfaForm>) -> Response {
    match s.verify_totp(&f.session, &f.code) {
        // Back to the redirect the password step was given (not one this form names).
        Ok((code, redirect_uri)) => back_with_code(
            &AuthRequest {
                redirect_uri,
                ..f.request
            },
            &code,
        ),
        Err(e) => (
            StatusCode::UNAUTHORIZED,
            totp_page(&f.request, &f.session, Some(e)),
        )
            .into_response(),
    }
}

fn sign_up_page(r: &AuthRequest, message: Option<&str>) -> Html<String> {
    page(
        "Create an account",
        message,
        &format!(
            r#"<form method="post" action="/_local/idp/signup">{}
<label>Email <input name="email" type="email" autocomplete="username" required data-testid="idp-email"></label>
<label>Password <input name="password" type="password" autocomplete="new-password" minlength="12" required data-testid="idp-password"></label>
<button type="submit" data-testid="idp-sign-up">Create account</button></form>"#,
            r.hidden()
        ),
    )
}

async fn signup_page(State(s): State<Server>, Query(r): Query<AuthRequest>) -> Response {
    if let Some(p) = r.problem(&s) {
        return (StatusCode::BAD_REQUEST, page("Sign-up error", Some(p), "")).into_response();
    }
    sign_up_page(&r, None).into_response()
}

async fn signup(State(s): State<Server>, Form(c): Form<Credentials>) -> Response {
    let r = c.request();
    if let Err(e) = s.sign_up(&c.email, &c.password) {
        return (StatusCode::BAD_REQUEST, sign_up_page(&r, Some(e))).into_response();
    }
    page(
        "Confirm your account",
        Some("We emailed you a code."),
        &format!(
            r#"<form method="post" action="/_local/idp/confirm">{}
<input type="hidden" name="email" value="{}">
<label>Code <input name="code" inputmode="numeric" autocomplete="one-time-code" required data-testid="idp-code"></label>
<button type="submit" data-testid="idp-confirm">Confirm</button></form>"#,
            r.hidden(),
            esc(&c.email)
        ),
    )
    .into_response()
}

async fn confirm(State(s): State<Server>, Form(c): Form<Credentials>) -> Response {
    let r = c.request();
    match s.confirm(&c.email, &c.code).await {
        // Confirmed: on to sign in, with the same request.
        Ok(()) => found(&format!("/_local/idp/oauth2/authorize?{}", r.query())),
        Err(e) => (
            StatusCode::BAD_REQUEST,
            page("Confirm your account", Some(e), ""),
        )
            .into_response(),
    }
}

/// Cognito's token endpoint answers any origin (`Access-Control-Allow-Origin: *`).
fn cors(mut r: Response) -> Response {
    r.headers_mut().insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

async fn token(State(s): State<Server>, Form(f): Form<HashMap<String, String>>) -> Response {
    let get = |k: &str| f.get(k).map(String::as_str).unwrap_or_default();
    let answer = match get("grant_type") {
        "authorization_code" => {
            s.exchange(
                get("client_id"),
                get("code"),
                get("redirect_uri"),
                get("code_verifier"),
            )
            .await
        }
        "refresh_token" => s.refresh(get("client_id"), get("refresh_token")).await,
        _ => Err(OAuthError("unsupported_grant_type")),
    };
    cors(match answer {
        Ok(body) => Json(body).into_response(),
        Err(OAuthError(e)) => {
            (StatusCode::BAD_REQUEST, Json(json!({ "error": e }))).into_response()
        }
    })
}

async fn revoke(State(s): State<Server>, Form(f): Form<HashMap<String, String>>) -> Response {
    s.revoke(f.get("token").map(String::as_str).unwrap_or_default());
    cors(StatusCode::OK.into_response())
}

#[derive(Deserialize)]
struct LogoutQuery {
    #[serde(default)]
    client_id: String,
    #[serde(default)]
    logout_uri: String,
}

async fn logout(State(s): State<Server>, Query(q): Query<LogoutQuery>) -> Response {
    if !s.registered(&q.client_id, &q.logout_uri) {
        return (
            StatusCode::BAD_REQUEST,
            page(
                "Sign-out error",
                Some("unknown client_id or logout_uri"),
                "",
            ),
        )
            .into_response();
    }
    found(&q.logout_uri)
}

#[derive(Deserialize)]
struct MailboxQuery {
    email: String,
}

/// The development mailbox: the codes "emailed" to an address.
async fn mailbox(
    State(s): State<Server>,
    Query(q): Query<MailboxQuery>,
) -> Json<serde_json::Value> {
    Json(json!({ "codes": s.mailbox(&q.email) }))
}

#[derive(Deserialize)]
struct Invite {
    email: String,
    password: String,
    #[serde(default)]
    groups: Vec<String>,
    #[serde(default)]
    totp: bool,
    #[serde(default)]
    access_secs: Option<i64>,
}

/// An invited user (what `aws cognito-idp admin-create-user` and `admin-add-user-to-group` do in
/// AWS), for tests and the demo: `{"email", "password", "groups", "totp", "access_secs"}` →
/// `{"sub", "totp_secret"}` (base32, when `totp`).
async fn invite(State(s): State<Server>, Json(i): Json<Invite>) -> Response {
    if !i.email.contains('@') || i.password.len() < 12 {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": "an email address and a password of at least 12 characters"})),
        )
            .into_response();
    }
    let groups: Vec<&str> = i.groups.iter().map(String::as_str).collect();
    match s.invite(&i.email, &i.password, &groups, i.totp, i.access_secs) {
        Ok(u) => (
            StatusCode::CREATED,
            Json(json!({ "sub": u.sub, "totp_secret": u.totp_secret })),
        )
            .into_response(),
        Err(e) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            Json(json!({ "error": e })),
        )
            .into_response(),
    }
}
