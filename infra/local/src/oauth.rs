//! The local stack's stand-in for Cognito's managed login (spec §15.2): the same protocol the
//! consoles speak to Cognito in AWS, so one sign-in path is exercised locally.
//!
//! - `GET /_local/idp/oauth2/authorize` (`response_type=code`, a registered `client_id` and
//!   `redirect_uri`, `state`, `code_challenge_method=S256` only, `code_challenge`): a sign-in page;
//!   its form posts to `/_local/idp/login`, which answers `302 redirect_uri?code&state`. Codes are
//!   single use and live 5 minutes.
//! - `GET|POST /_local/idp/signup`, `POST /_local/idp/confirm`: self sign-up, confirmed with the
//!   code "emailed" to the development mailbox (`GET /_local/idp/mailbox?email=`); confirming runs
//!   the post-confirmation trigger — `identity-triggers`' own handler — which puts the user in
//!   `creator`.
//! - `POST /_local/idp/oauth2/token` (form): `authorization_code` with the PKCE `code_verifier`,
//!   or `refresh_token`; answers `{access_token, id_token, refresh_token, token_type, expires_in}`,
//!   errors as `400 {"error": "invalid_grant" | …}`, `Access-Control-Allow-Origin: *` as Cognito.
//!   Tokens go through the pre-token trigger (`identity-triggers`): an admin without TOTP gets no
//!   `admin`.
//! - `POST /_local/idp/oauth2/revoke` (a refresh token) and `GET /_local/idp/logout` (back to the
//!   client's `logout_uri`).
//! - A user with TOTP (`SOFTWARE_TOKEN_MFA`) is asked for an authenticator's code after the
//!   password (`POST /_local/idp/mfa`), as managed login asks; the code is checked (RFC 6238).
//! - `POST /_local/idp/users` invites a user (`AdminCreateUser` and group membership; with
//!   `"totp": true` TOTP is set up and its secret given back, as `AssociateSoftwareToken` gives it).
//!   `"access_secs"` shortens that user's token lifetime — Cognito sets it per app client; the
//!   stand-in lets a test watch a token expire and the console refresh it.

use crate::idp::Idp;
use identity_triggers::{Handler, UserPool};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// The consoles' app clients locally (the template's `ConsoleClient` and `PortalClient`).
pub const CONSOLE_CLIENT: &str = "reelcart-console";
pub const PORTAL_CLIENT: &str = "reelcart-portal";

/// How long a code lives, and an access token.
pub const CODE_SECS: i64 = 300;
pub const ACCESS_SECS: i64 = 3600;

/// A user of the local pool.
#[derive(Debug, Clone)]
pub struct User {
    pub sub: String,
    pub email: String,
    /// SHA-256 of salt and password (a development stand-in, never a production store).
    password: String,
    pub confirmed: bool,
    pub groups: Vec<String>,
    /// The TOTP secret, once set up.
    totp: Option<Vec<u8>>,
    /// Access and ID token lifetime, seconds.
    access_secs: i64,
}

#[derive(Debug, Clone)]
struct Code {
    sub: String,
    client_id: String,
    redirect_uri: String,
    challenge: String,
    expires_at: i64,
}

#[derive(Debug, Default)]
struct State {
    users: HashMap<String, User>,
    codes: HashMap<String, Code>,
    /// Refresh token → (sub, client id).
    refresh: HashMap<String, (String, String)>,
    /// Email → the codes sent to it, latest last.
    mailbox: HashMap<String, Vec<String>>,
    /// Email → the sign-up code to confirm with.
    pending: HashMap<String, String>,
    /// A password accepted, the authenticator's code still to come: session → the code to give.
    mfa: HashMap<String, Code>,
}

/// What a correct password leads to.
#[derive(Debug, PartialEq, Eq)]
pub enum SignIn {
    /// The authorization code for the client.
    Code(String),
    /// The user has TOTP: the session to send with the authenticator's code.
    Totp(String),
}

/// An invited user.
#[derive(Debug)]
pub struct Invited {
    pub sub: String,
    /// The TOTP secret (base32), when TOTP was set up.
    pub totp_secret: Option<String>,
}

/// A registered app client: its id and the redirect URIs it may use.
#[derive(Debug, Clone)]
pub struct Client {
    pub id: String,
    pub redirect_uris: Vec<String>,
}

/// Why a token request failed (the OAuth error code).
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct OAuthError(pub &'static str);

#[derive(Clone)]
pub struct Server {
    idp: Idp,
    clients: Arc<Vec<Client>>,
    state: Arc<Mutex<State>>,
    admin_totp_required: bool,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("clients", &self.clients)
            .finish_non_exhaustive()
    }
}

/// 256 random bits, hex (codes, refresh tokens).
fn random() -> String {
    format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}

fn hash(salt: &str, password: &str) -> String {
    hex::encode(Sha256::digest(format!("{salt}:{password}")))
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// The local pool as `identity-triggers` sees a user pool.
struct LocalPool(Arc<Mutex<State>>);

impl UserPool for LocalPool {
    async fn add_to_group(&self, _pool: &str, username: &str, group: &str) -> Result<(), String> {
        let mut s = self.0.lock().map_err(|_| "poisoned".to_string())?;
        let user = s
            .users
            .values_mut()
            .find(|u| u.sub == username)
            .ok_or("UserNotFoundException")?;
        if !user.groups.iter().any(|g| g == group) {
            user.groups.push(group.to_string());
        }
        Ok(())
    }

    async fn has_totp(&self, _pool: &str, username: &str) -> Result<bool, String> {
        let s = self.0.lock().map_err(|_| "poisoned".to_string())?;
        Ok(s.users
            .values()
            .any(|u| u.sub == username && u.totp.is_some()))
    }
}

impl Server {
    pub fn new(idp: Idp, clients: Vec<Client>, admin_totp_required: bool) -> Self {
        Self {
            idp,
            clients: Arc::new(clients),
            state: Arc::default(),
            admin_totp_required,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A console's runtime configuration (`config.json` beside its page): where to send the
    /// user to sign in, where to trade a code for tokens, and its client — the same document a
    /// deployment writes for the hosted consoles, with Cognito's `/oauth2/…` and `/logout` URLs.
    pub fn console_config(&self, api: &str, client_id: &str) -> Option<Value> {
        let client = self.clients.iter().find(|c| c.id == client_id)?;
        let base = &self.idp.issuer;
        Some(console_config::document(
            api,
            base,
            base,
            &client.id,
            client.redirect_uris.first()?,
        ))
    }

    /// Is `redirect_uri` registered for `client_id`?
    pub fn registered(&self, client_id: &str, redirect_uri: &str) -> bool {
        self.clients
            .iter()
            .any(|c| c.id == client_id && c.redirect_uris.iter().any(|u| u == redirect_uri))
    }

    /// An invited user (as `AdminCreateUser` and `AdminAddUserToGroup`): confirmed, in `groups`,
    /// with TOTP set up when `totp`; tokens living `access_secs` (default an hour).
    pub fn invite(
        &self,
        email: &str,
        password: &str,
        groups: &[&str],
        totp: bool,
        access_secs: Option<i64>,
    ) -> Result<Invited, &'static str> {
        let sub = uuid::Uuid::new_v4().to_string();
        let email = email.trim().to_lowercase();
        let secret = if totp { Some(totp::secret()?) } else { None };
        let totp_secret = secret.as_deref().map(totp::base32);
        self.lock().users.insert(
            email.clone(),
            User {
                sub: sub.clone(),
                password: hash(&sub, password),
                email,
                confirmed: true,
                groups: groups.iter().map(|g| g.to_string()).collect(),
                totp: secret,
                access_secs: access_secs.unwrap_or(ACCESS_SECS).clamp(5, 86_400),
            },
        );
        Ok(Invited { sub, totp_secret })
    }

    /// Self sign-up: an unconfirmed user, and a code in their mailbox.
    pub fn sign_up(&self, email: &str, password: &str) -> Result<(), &'static str> {
        let email = email.trim().to_lowercase();
        if !email.contains('@') || password.len() < 12 {
            return Err("an email address and a password of at least 12 characters");
        }
        let mut s = self.lock();
        if s.users.get(&email).is_some_and(|u| u.confirmed) {
            return Err("an account with this email exists");
        }
        let sub = uuid::Uuid::new_v4().to_string();
        let code = format!(
            "{:06}",
            u32::from_str_radix(&random()[..6], 16).unwrap_or(0) % 1_000_000
        );
        s.users.insert(
            email.clone(),
            User {
                sub: sub.clone(),
                password: hash(&sub, password),
                email: email.clone(),
                confirmed: false,
                groups: Vec::new(),
                totp: None,
                access_secs: ACCESS_SECS,
            },
        );
        s.pending.insert(email.clone(), code.clone());
        s.mailbox.entry(email).or_default().push(code);
        Ok(())
    }

    /// The codes sent to `email` (the development mailbox).
    pub fn mailbox(&self, email: &str) -> Vec<String> {
        self.lock()
            .mailbox
            .get(&email.trim().to_lowercase())
            .cloned()
            .unwrap_or_default()
    }

    /// Confirm a sign-up with its code, then run the post-confirmation trigger.
    pub async fn confirm(&self, email: &str, code: &str) -> Result<(), &'static str> {
        let email = email.trim().to_lowercase();
        let sub = {
            let mut s = self.lock();
            if s.pending.get(&email).map(String::as_str) != Some(code.trim()) {
                return Err("that code is not the one we sent");
            }
            s.pending.remove(&email);
            let user = s.users.get_mut(&email).ok_or("no such sign-up")?;
            user.confirmed = true;
            user.sub.clone()
        };
        let event = json!({"version": "1", "triggerSource": "PostConfirmation_ConfirmSignUp",
            "region": "local", "userPoolId": "local_pool", "userName": sub,
            "callerContext": {"awsSdkVersion": "local", "clientId": ""},
            "request": {"userAttributes": {"sub": sub, "email": email, "email_verified": "true"}},
            "response": {}});
        self.trigger(event)
            .await
            .map(|_| ())
            .map_err(|_| "the sign-up trigger failed")
    }

    async fn trigger(&self, event: Value) -> Result<Value, identity_triggers::TriggerError> {
        Handler {
            pool: LocalPool(self.state.clone()),
            admin_totp_required: self.admin_totp_required,
        }
        .handle(event)
        .await
    }

    /// Check a password: a code for the client (the redirect's `code`), or, for a user with
    /// TOTP, a session awaiting the authenticator's code.
    pub fn sign_in(
        &self,
        email: &str,
        password: &str,
        client_id: &str,
        redirect_uri: &str,
        challenge: &str,
    ) -> Result<SignIn, &'static str> {
        if !self.registered(client_id, redirect_uri) {
            return Err("unknown client or redirect URI");
        }
        let mut s = self.lock();
        let user = s
            .users
            .get(&email.trim().to_lowercase())
            .filter(|u| u.confirmed && u.password == hash(&u.sub, password))
            .ok_or("incorrect email or password")?
            .clone();
        let code = Code {
            sub: user.sub,
            client_id: client_id.into(),
            redirect_uri: redirect_uri.into(),
            challenge: challenge.into(),
            expires_at: now() + CODE_SECS,
        };
        let key = random();
        if user.totp.is_some() {
            s.mfa.insert(key.clone(), code);
            return Ok(SignIn::Totp(key));
        }
        s.codes.insert(key.clone(), code);
        Ok(SignIn::Code(key))
    }

    /// The authenticator's code for a session `sign_in` gave: the authorization code, and where
    /// to send it. A wrong code may be tried again until the session's five minutes are out.
    pub fn verify_totp(
        &self,
        session: &str,
        given: &str,
    ) -> Result<(String, String), &'static str> {
        let mut s = self.lock();
        let pending = s
            .mfa
            .get(session)
            .filter(|c| c.expires_at >= now())
            .cloned()
            .ok_or("this sign-in has expired: start again")?;
        let secret = s
            .users
            .values()
            .find(|u| u.sub == pending.sub)
            .and_then(|u| u.totp.clone())
            .ok_or("this sign-in has expired: start again")?;
        if !totp::verify(&secret, given, now()) {
            return Err("that code is not right (or has expired): try the current one");
        }
        s.mfa.remove(session);
        let code = random();
        let redirect = pending.redirect_uri.clone();
        s.codes.insert(code.clone(), pending);
        Ok((code, redirect))
    }

    /// The tokens of `sub` for `client_id`, through the pre-token trigger.
    async fn tokens(
        &self,
        sub: &str,
        client_id: &str,
        refresh: Option<String>,
    ) -> Result<Value, OAuthError> {
        let user = self
            .lock()
            .users
            .values()
            .find(|u| u.sub == sub)
            .cloned()
            .ok_or(OAuthError("invalid_grant"))?;
        let event = json!({"version": "2", "triggerSource": "TokenGeneration_HostedAuth",
            "region": "local", "userPoolId": "local_pool", "userName": sub,
            "callerContext": {"awsSdkVersion": "local", "clientId": client_id},
            "request": {"userAttributes": {"sub": sub, "email": user.email},
                "groupConfiguration": {"groupsToOverride": user.groups, "iamRolesToOverride": [], "preferredRole": null},
                "scopes": ["openid", "email", "profile"]},
            "response": {"claimsAndScopeOverrideDetails": null}});
        let out = self
            .trigger(event)
            .await
            .map_err(|_| OAuthError("server_error"))?;
        let groups: Vec<String> = match out["response"]["claimsAndScopeOverrideDetails"]["groupOverrideDetails"]["groupsToOverride"].as_array() {
            Some(g) => g.iter().filter_map(|v| v.as_str().map(str::to_string)).collect(),
            None => user.groups.clone(),
        };
        let (access, id) = self
            .idp
            .issue_pair(sub, &user.email, &groups, client_id, user.access_secs)
            .map_err(|_| OAuthError("server_error"))?;
        let mut body = json!({"access_token": access, "id_token": id, "token_type": "Bearer", "expires_in": user.access_secs});
        if let Some(r) = refresh {
            body["refresh_token"] = json!(r);
        }
        Ok(body)
    }

    /// `grant_type=authorization_code`: the code, once, with its PKCE verifier.
    pub async fn exchange(
        &self,
        client_id: &str,
        code: &str,
        redirect_uri: &str,
        verifier: &str,
    ) -> Result<Value, OAuthError> {
        let c = self
            .lock()
            .codes
            .remove(code)
            .ok_or(OAuthError("invalid_grant"))?;
        let challenge = base64::Engine::encode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            Sha256::digest(verifier.as_bytes()),
        );
        if c.expires_at < now()
            || c.client_id != client_id
            || c.redirect_uri != redirect_uri
            || c.challenge != challenge
        {
            return Err(OAuthError("invalid_grant"));
        }
        let refresh = random();
        self.lock()
            .refresh
            .insert(refresh.clone(), (c.sub.clone(), client_id.into()));
        self.tokens(&c.sub, client_id, Some(refresh)).await
    }

    /// `grant_type=refresh_token`: new access and ID tokens (no new refresh token, as Cognito's
    /// documented example).
    pub async fn refresh(&self, client_id: &str, token: &str) -> Result<Value, OAuthError> {
        let (sub, client) = self
            .lock()
            .refresh
            .get(token)
            .cloned()
            .ok_or(OAuthError("invalid_grant"))?;
        if client != client_id {
            return Err(OAuthError("invalid_grant"));
        }
        self.tokens(&sub, client_id, None).await
    }

    /// Revoke a refresh token (sign-out).
    pub fn revoke(&self, token: &str) {
        self.lock().refresh.remove(token);
    }
}

mod http;
mod totp;
pub use http::routes;

#[cfg(test)]
mod tests;
