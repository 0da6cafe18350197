//! `console-config`: a CloudFormation custom resource (`Custom::ConsoleConfig`) run at deploy time
//! for the consoles the stack hosts.
//!
//! - Writes each console's `config.json` beside its page in the consoles' bucket: the API (the
//!   consoles' own origin, which sends `/v1/*` to the HTTP API), the issuer, the managed-login
//!   endpoints (`/oauth2/authorize`, `/oauth2/token`, `/oauth2/revoke`, `/logout`, `/signup`), the
//!   console's app client, its redirect URI and scopes — [`document`], the same document the local
//!   stack serves.
//! - Makes each app client's callback and sign-out URLs the hosted page plus the `OtherUrls` the
//!   template gives. The clients cannot name the hosted page themselves (the API's authorizer
//!   names the clients, the distribution names the API): this is where the cycle is broken.
//!   `UpdateUserPoolClient` resets whatever it is not given, so the client's current settings
//!   are read first and sent back unchanged but for the URLs.
//! - On delete, removes the `config.json` files (the clients go with the stack).
//!
//! CloudFormation waits for an answer at the request's `ResponseURL` (a presigned S3 PUT): one
//! is always sent — `FAILED` with the reason when anything went wrong — so a deploy never hangs
//! for an hour on a silent failure.

use aws_lambda_events::event::cloudformation::{
    CloudFormationCustomResourceResponse, CloudFormationCustomResourceResponseStatus as Status,
};
use serde::Deserialize;
use serde_json::{Value, json};
use std::future::Future;

mod aws;
pub use aws::{HttpResponder, SdkSite, from_aws};

/// One hosted console, as the resource's properties name it.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct Console {
    /// `console` or `portal`: the folder its page and `config.json` are in.
    pub name: String,
    pub client_id: String,
    /// The hosted page: its sign-in redirect and sign-out URL.
    pub url: String,
    /// Other places it is served from (callback and sign-out URLs too); empty strings are none.
    #[serde(default)]
    pub other_urls: Vec<String>,
}

/// The resource's properties.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Props {
    pub bucket: String,
    pub api: String,
    pub issuer: String,
    pub login_domain_url: String,
    pub user_pool_id: String,
    pub consoles: Vec<Console>,
}

/// A console's runtime configuration: where its API is, where to send people to sign in (and
/// sign up), where to trade a code for tokens, refresh, revoke and sign out, and its client.
pub fn document(
    api: &str,
    issuer: &str,
    login: &str,
    client_id: &str,
    redirect_uri: &str,
) -> Value {
    let login = login.trim_end_matches('/');
    json!({
        "api": api.trim_end_matches('/'),
        "issuer": issuer,
        "authorize": format!("{login}/oauth2/authorize"),
        "token": format!("{login}/oauth2/token"),
        "revoke": format!("{login}/oauth2/revoke"),
        "logout": format!("{login}/logout"),
        "signup": format!("{login}/signup"),
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "scope": "openid email profile",
    })
}

/// The key of a console's `config.json` in the bucket.
pub fn config_key(console: &str) -> String {
    format!("{console}/config.json")
}

/// A console's callback and sign-out URLs: its hosted page, then the others, each once.
pub fn sign_in_urls(c: &Console) -> Vec<String> {
    let mut urls = vec![c.url.clone()];
    for u in &c.other_urls {
        let u = u.trim();
        if !u.is_empty() && !urls.iter().any(|x| x == u) {
            urls.push(u.to_string());
        }
    }
    urls
}

/// What the resource does in the account.
pub trait Site: Send + Sync {
    fn put_json(
        &self,
        bucket: &str,
        key: &str,
        body: Vec<u8>,
    ) -> impl Future<Output = Result<(), String>> + Send;
    fn delete(&self, bucket: &str, key: &str) -> impl Future<Output = Result<(), String>> + Send;
    /// Set a client's callback and sign-out URLs, keeping every other setting it has.
    fn set_client_urls(
        &self,
        user_pool_id: &str,
        client_id: &str,
        urls: &[String],
    ) -> impl Future<Output = Result<(), String>> + Send;
}

/// Where CloudFormation's answer goes.
pub trait Responder: Send + Sync {
    fn respond(&self, url: &str, body: Vec<u8>) -> impl Future<Output = Result<(), String>> + Send;
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("not a CloudFormation custom resource request: {0}")]
    Malformed(String),
    #[error("the answer to CloudFormation could not be sent: {0}")]
    Respond(String),
}

#[derive(Debug)]
pub struct Handler<S, R> {
    pub site: S,
    pub responder: R,
}

/// What the resource reads of CloudFormation's request (`Create`, `Update` and `Delete` alike).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Request {
    request_type: String,
    #[serde(rename = "ResponseURL")]
    response_url: String,
    stack_id: String,
    request_id: String,
    logical_resource_id: String,
    #[serde(default)]
    physical_resource_id: Option<String>,
    #[serde(default)]
    resource_properties: Value,
}

/// The physical id: one per stack's consoles bucket.
fn physical_id(props: &Props) -> String {
    format!("console-config:{}", props.bucket)
}

impl<S: Site, R: Responder> Handler<S, R> {
    /// Handle a request and answer CloudFormation. Only a request that cannot be read (no URL to
    /// answer) or an answer that cannot be sent is an error of the invocation.
    pub async fn handle(&self, event: Value) -> Result<(), Error> {
        let r: Request =
            serde_json::from_value(event).map_err(|e| Error::Malformed(e.to_string()))?;
        let deleting = match r.request_type.as_str() {
            "Create" | "Update" => false,
            "Delete" => true,
            other => return Err(Error::Malformed(format!("RequestType {other}"))),
        };
        let (url, stack, req_id, logical, physical, props) = (
            &r.response_url,
            &r.stack_id,
            &r.request_id,
            &r.logical_resource_id,
            r.physical_resource_id.as_ref(),
            &r.resource_properties,
        );
        let parsed: Result<Props, String> =
            serde_json::from_value(props.clone()).map_err(|e| format!("properties: {e}"));
        let outcome = match &parsed {
            Ok(p) if deleting => self.remove(p).await,
            Ok(p) => self.apply(p).await,
            // A delete of a resource whose properties never parsed has nothing to remove.
            Err(_) if deleting => Ok(()),
            Err(e) => Err(e.clone()),
        };
        let mut answer = CloudFormationCustomResourceResponse::default();
        answer.physical_resource_id = physical.cloned().unwrap_or_else(|| {
            parsed
                .as_ref()
                .map_or_else(|_| format!("console-config:failed:{req_id}"), physical_id)
        });
        answer.stack_id = stack.clone();
        answer.request_id = req_id.clone();
        answer.logical_resource_id = logical.clone();
        match outcome {
            Ok(()) => {
                answer.status = Status::Success;
                tracing::info!(request = %req_id, "console configuration done");
            }
            Err(reason) => {
                tracing::error!(request = %req_id, %reason, "console configuration failed");
                answer.status = Status::Failed;
                answer.reason = Some(reason);
            }
        }
        let body = serde_json::to_vec(&answer).map_err(|e| Error::Respond(e.to_string()))?;
        self.responder
            .respond(url, body)
            .await
            .map_err(Error::Respond)
    }

    async fn apply(&self, p: &Props) -> Result<(), String> {
        for c in &p.consoles {
            if !matches!(c.name.as_str(), "console" | "portal") {
                return Err(format!("unknown console {:?} (console or portal)", c.name));
            }
            let doc = document(&p.api, &p.issuer, &p.login_domain_url, &c.client_id, &c.url);
            let body = serde_json::to_vec_pretty(&doc).map_err(|e| e.to_string())?;
            self.site
                .put_json(&p.bucket, &config_key(&c.name), body)
                .await
                .map_err(|e| format!("writing {}: {e}", config_key(&c.name)))?;
            self.site
                .set_client_urls(&p.user_pool_id, &c.client_id, &sign_in_urls(c))
                .await
                .map_err(|e| format!("the {} client's URLs: {e}", c.name))?;
        }
        Ok(())
    }

    /// A delete never fails: a file that cannot be removed is logged, and the stack's deletion
    /// goes on (the bucket is kept anyway).
    async fn remove(&self, p: &Props) -> Result<(), String> {
        for c in &p.consoles {
            let key = config_key(&c.name);
            if let Err(e) = self.site.delete(&p.bucket, &key).await {
                tracing::warn!(bucket = %p.bucket, %key, error = %e, "config.json not removed");
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
