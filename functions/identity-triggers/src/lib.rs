//! `identity-triggers`: the user pool's Lambda triggers.
//!
//! - **Post confirmation.** A creator who signed themselves up and confirmed their email with the
//!   code Cognito sent is put in the `creator` group, so the creator routes accept their next
//!   token. Only `PostConfirmation_ConfirmSignUp` does this (a password reset changes nothing);
//!   adding a member twice is harmless, so a retried trigger is too. Admins and moderators are
//!   invited (`AdminCreateUser`, which never fires this trigger) into their groups.
//! - **Pre token generation (V2).** With `ADMIN_MFA=required` (the default), a token carries
//!   `admin` in `cognito:groups` — ID and access token both — only for a user who has set up TOTP:
//!   the pool offers TOTP to everyone and challenges whoever set it up, so an admin without it
//!   signs in as whatever else they are (a moderator, or nobody) until they enrol.
//!
//! Cognito calls triggers synchronously and expects its event back: it is returned as it came,
//! with only the response it asks for filled in.

use serde::Deserialize;
use serde_json::{Value, json};
use std::future::Future;

/// The group self-registered users join.
pub const CREATOR_GROUP: &str = "creator";
/// The group whose members must have TOTP.
pub const ADMIN_GROUP: &str = "admin";

/// What the triggers do to a user pool.
pub trait UserPool: Send + Sync {
    fn add_to_group(
        &self,
        user_pool_id: &str,
        username: &str,
        group: &str,
    ) -> impl Future<Output = Result<(), String>> + Send;
    /// Has the user set up TOTP (software token MFA)?
    fn has_totp(
        &self,
        user_pool_id: &str,
        username: &str,
    ) -> impl Future<Output = Result<bool, String>> + Send;
}

#[derive(Debug, thiserror::Error)]
pub enum TriggerError {
    #[error("not a user pool trigger event: {0}")]
    Malformed(String),
    #[error("the user pool: {0}")]
    Pool(String),
}

/// What the triggers read of Cognito's event.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Header {
    trigger_source: String,
    user_pool_id: String,
    user_name: String,
}

#[derive(Debug)]
pub struct Handler<P> {
    pub pool: P,
    /// `ADMIN_MFA`: admins must have TOTP for their tokens to say `admin`.
    pub admin_totp_required: bool,
}

impl<P: UserPool> Handler<P> {
    /// Handle one trigger invocation: the event back, with the response Cognito asks for.
    pub async fn handle(&self, mut event: Value) -> Result<Value, TriggerError> {
        let h: Header = serde_json::from_value(event.clone())
            .map_err(|e| TriggerError::Malformed(e.to_string()))?;
        let source = h.trigger_source.as_str();
        if source == "PostConfirmation_ConfirmSignUp" {
            self.pool
                .add_to_group(&h.user_pool_id, &h.user_name, CREATOR_GROUP)
                .await
                .map_err(TriggerError::Pool)?;
            tracing::info!(
                group = CREATOR_GROUP,
                "a self-registered user joined the creators"
            );
        } else if source.starts_with("TokenGeneration_") {
            let groups: Vec<String> = event["request"]["groupConfiguration"]["groupsToOverride"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|g| g.as_str().map(str::to_string))
                .collect();
            if self.admin_totp_required
                && groups.iter().any(|g| g == ADMIN_GROUP)
                && !self
                    .pool
                    .has_totp(&h.user_pool_id, &h.user_name)
                    .await
                    .map_err(TriggerError::Pool)?
            {
                let kept: Vec<&String> = groups.iter().filter(|g| *g != ADMIN_GROUP).collect();
                event["response"] = json!({
                    "claimsAndScopeOverrideDetails": {"groupOverrideDetails": {"groupsToOverride": kept}}
                });
                tracing::warn!(
                    "an admin without TOTP signed in: the token does not say admin until TOTP is set up"
                );
            }
        } else {
            tracing::info!(trigger = %source, "nothing to do for this trigger");
        }
        Ok(event)
    }
}

/// The user pool's API.
#[derive(Debug, Clone)]
pub struct Cognito {
    client: aws_sdk_cognitoidentityprovider::Client,
}

fn describe<E: std::error::Error>(e: E) -> String {
    aws_sdk_cognitoidentityprovider::error::DisplayErrorContext(e).to_string()
}

impl UserPool for Cognito {
    async fn add_to_group(&self, pool: &str, username: &str, group: &str) -> Result<(), String> {
        self.client
            .admin_add_user_to_group()
            .user_pool_id(pool)
            .username(username)
            .group_name(group)
            .send()
            .await
            .map(|_| ())
            .map_err(describe)
    }

    async fn has_totp(&self, pool: &str, username: &str) -> Result<bool, String> {
        let user = self
            .client
            .admin_get_user()
            .user_pool_id(pool)
            .username(username)
            .send()
            .await
            .map_err(describe)?;
        Ok(user
            .user_mfa_setting_list()
            .iter()
            .any(|m| m == "SOFTWARE_TOKEN_MFA"))
    }
}

/// Build the handler (`ADMIN_MFA`: `required`, the default, or `optional`): the one wiring `main`
/// and the local stack share. The pool comes with each event.
pub fn from_aws<F: Fn(&str) -> Option<String>>(
    v: &reelcart_lambda::config::Vars<F>,
    sdk: &reelcart_aws::SdkConfig,
) -> Result<Handler<Cognito>, reelcart_lambda::config::ConfigError> {
    let admin_totp_required = match v.optional("ADMIN_MFA").as_deref() {
        None | Some("") | Some("required") => true,
        Some("optional") => false,
        Some(_) => {
            return Err(reelcart_lambda::config::ConfigError::Invalid {
                name: "ADMIN_MFA",
                reason: "required or optional".into(),
            });
        }
    };
    Ok(Handler {
        pool: Cognito {
            client: aws_sdk_cognitoidentityprovider::Client::new(sdk),
        },
        admin_totp_required,
    })
}

#[cfg(test)]
mod tests;
