//! Shared by the simulator tests.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, dead_code)]

use reelcart_platforms::{AppCredentials, PlatformConfig};

/// The client's configuration with every platform at `base` and the simulator's app credentials.
pub fn config(base: &str) -> PlatformConfig {
    let vars = reelcart_platform_sim::platform_vars(base);
    let apps =
        AppCredentials::from_json(&reelcart_platform_sim::Apps::default().secrets_json()).unwrap();
    let v = reelcart_lambda::config::Vars(|k: &str| {
        vars.iter().find(|(n, _)| *n == k).map(|(_, u)| u.clone())
    });
    PlatformConfig::from_vars(&v, apps).unwrap()
}
