//! The resource's side effects in AWS: S3 for the files, Cognito for the app clients, and the
//! answer to CloudFormation over HTTPS.

use super::{Handler, Responder, Site};
use aws_sdk_cognitoidentityprovider::Client as Cognito;
use aws_sdk_s3::Client as S3;
use aws_sdk_s3::primitives::ByteStream;

#[derive(Debug, Clone)]
pub struct SdkSite {
    pub s3: S3,
    pub cognito: Cognito,
}

/// A service's error as it named it (S3 and Cognito share the SDK's error type).
fn sdk_error<E: std::fmt::Debug, R>(e: aws_sdk_s3::error::SdkError<E, R>) -> String
where
    aws_sdk_s3::error::SdkError<E, R>: std::fmt::Display,
{
    match e.as_service_error() {
        Some(s) => format!("{s:?}"),
        None => e.to_string(),
    }
}

impl Site for SdkSite {
    async fn put_json(&self, bucket: &str, key: &str, body: Vec<u8>) -> Result<(), String> {
        self.s3
            .put_object()
            .bucket(bucket)
            .key(key)
            .body(ByteStream::from(body))
            .content_type("application/json")
            // Read at every page load: a deploy's new configuration is seen at once.
            .cache_control("no-cache")
            .send()
            .await
            .map(|_| ())
            .map_err(sdk_error)
    }

    async fn delete(&self, bucket: &str, key: &str) -> Result<(), String> {
        self.s3
            .delete_object()
            .bucket(bucket)
            .key(key)
            .send()
            .await
            .map(|_| ())
            .map_err(sdk_error)
    }

    async fn set_client_urls(
        &self,
        user_pool_id: &str,
        client_id: &str,
        urls: &[String],
    ) -> Result<(), String> {
        let current = self
            .cognito
            .describe_user_pool_client()
            .user_pool_id(user_pool_id)
            .client_id(client_id)
            .send()
            .await
            .map_err(sdk_error)?;
        let c = current
            .user_pool_client
            .ok_or_else(|| format!("no client {client_id}"))?;
        if c.callback_urls() == urls && c.logout_urls() == urls {
            return Ok(());
        }
        // Every setting as it is (UpdateUserPoolClient resets what it is not given).
        self.cognito
            .update_user_pool_client()
            .user_pool_id(user_pool_id)
            .client_id(client_id)
            .set_client_name(c.client_name)
            .set_refresh_token_validity(Some(c.refresh_token_validity))
            .set_access_token_validity(c.access_token_validity)
            .set_id_token_validity(c.id_token_validity)
            .set_token_validity_units(c.token_validity_units)
            .set_read_attributes(c.read_attributes)
            .set_write_attributes(c.write_attributes)
            .set_explicit_auth_flows(c.explicit_auth_flows)
            .set_supported_identity_providers(c.supported_identity_providers)
            .set_callback_urls(Some(urls.to_vec()))
            .set_logout_urls(Some(urls.to_vec()))
            .set_default_redirect_uri(c.default_redirect_uri)
            .set_allowed_o_auth_flows(c.allowed_o_auth_flows)
            .set_allowed_o_auth_scopes(c.allowed_o_auth_scopes)
            .set_allowed_o_auth_flows_user_pool_client(c.allowed_o_auth_flows_user_pool_client)
            .set_analytics_configuration(c.analytics_configuration)
            .set_prevent_user_existence_errors(c.prevent_user_existence_errors)
            .set_enable_token_revocation(c.enable_token_revocation)
            .set_enable_propagate_additional_user_context_data(
                c.enable_propagate_additional_user_context_data,
            )
            .set_auth_session_validity(c.auth_session_validity)
            .set_refresh_token_rotation(c.refresh_token_rotation)
            .send()
            .await
            .map(|_| ())
            .map_err(sdk_error)
    }
}

/// The answer, PUT to the presigned URL CloudFormation gave — with an empty Content-Type, which
/// the URL's signature was made with.
#[derive(Debug, Clone)]
pub struct HttpResponder(pub reqwest::Client);

impl Responder for HttpResponder {
    async fn respond(&self, url: &str, body: Vec<u8>) -> Result<(), String> {
        let r = self
            .0
            .put(url)
            .header(reqwest::header::CONTENT_TYPE, "")
            .body(body)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        if r.status().is_success() {
            Ok(())
        } else {
            Err(format!("HTTP {}", r.status()))
        }
    }
}

pub fn from_aws<F: Fn(&str) -> Option<String>>(
    v: &reelcart_lambda::config::Vars<F>,
    sdk: &reelcart_aws::SdkConfig,
) -> Result<Handler<SdkSite, HttpResponder>, reelcart_lambda::config::ConfigError> {
    let http = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(20))
        .build()
        .map_err(|e| reelcart_lambda::config::ConfigError::Invalid {
            name: "HTTP client",
            reason: e.to_string(),
        })?;
    Ok(Handler {
        site: SdkSite {
            s3: reelcart_aws::s3_client(sdk, v.parse_or("S3_FORCE_PATH_STYLE", false)?),
            cognito: Cognito::new(sdk),
        },
        responder: HttpResponder(http),
    })
}
