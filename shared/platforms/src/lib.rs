//! Platform API clients. Each platform's base URL is configuration (`*_URL` settings), so these
//! clients talk to the platform simulator locally and to the real hosts in AWS — no `if local`.

pub mod aws;
pub mod catalog;
pub mod shop_orders;
pub mod shopify;
pub mod shopify_graphql;
pub mod ugc;

mod config;
mod shopify_auth;
mod tokens;

pub use config::*;

/// An HTTP client for platform APIs: tokens and secrets travel with its requests (in headers,
/// queries and bodies), so it follows no redirect — reqwest strips only `Authorization` and
/// cookies on a cross-host redirect, never `X-Shopify-Access-Token`, `x-tts-access-token` or a
/// query's `access_token`. A 3xx is answered as it came.
pub fn api_client(timeout: std::time::Duration) -> Result<reqwest::Client, reqwest::Error> {
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(std::time::Duration::from_secs(5))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent("reelcart/0.1")
        .build()
}
pub use tokens::*;

#[cfg(test)]
mod tests {
    use super::*;
    use reelcart_lambda::config::Vars;
    use secrecy::ExposeSecret;

    fn apps() -> AppCredentials {
        AppCredentials::from_json(
            r#"{"tiktok_shop_app_key":"k","tiktok_shop_app_secrets":["s1","s0"]}"#,
        )
        .unwrap()
    }

    #[test]
    fn base_urls_must_be_https_or_loopback() {
        let with = |url: &str| {
            let url = url.to_string();
            let v = Vars(move |k: &str| (k == "TIKTOK_OPEN_URL").then(|| url.clone()));
            PlatformConfig::from_vars(&v, apps())
        };
        assert!(with("https://open.tiktokapis.com").is_ok());
        assert!(with("http://127.0.0.1:8080").is_ok());
        assert!(with("http://localhost:9/").is_ok());
        assert!(with("http://open.tiktokapis.com").is_err());
        assert!(with("http://127.0.0.1.evil.example").is_err());
        assert_eq!(
            with("https://x.example/").unwrap().tiktok_open_url,
            "https://x.example"
        );
    }

    #[test]
    fn a_wrongly_typed_secret_is_not_echoed_in_the_error() {
        let err =
            AppCredentials::from_json(r#"{"meta_app_secrets":"very-secret-value"}"#).unwrap_err();
        assert!(!err.to_string().contains("very-secret-value"), "{err}");
    }

    #[test]
    fn outbound_calls_use_the_first_secret_of_each_list() {
        let a = apps();
        assert_eq!(a.tiktok_shop_app_secret.expose_secret(), "s1");
        assert_eq!(
            a.meta_app_secret.expose_secret(),
            "",
            "absent platforms stay unconfigured"
        );
        assert!(!format!("{a:?}").contains("s1"));
    }
}
