//! Test wiring (feature `testing`): the API over in-memory stores and a platform simulator served
//! on loopback, and requests as API Gateway delivers them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::{Api, AuthorizeAnswer};
use lambda_http::aws_lambda_events::apigw::ApiGatewayV2httpRequestContext;
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response};
use reelcart_connections::Refresher;
use reelcart_domain::FixedClock;
use reelcart_lambda::config::Vars;
use reelcart_lambda::router::HttpApi;
use reelcart_platform_sim::Sim;
use reelcart_platforms::{AppCredentials, HttpTokenClient, PlatformConfig};
use reelcart_ports::memory::{
    MemoryConnections, MemoryEventBus, MemoryKeys, MemoryPendingAuthorizations,
};
use reelcart_vault::Vault;
use secrecy::SecretString;
use std::sync::Arc;

pub type TestApi =
    Api<Arc<MemoryConnections>, MemoryKeys, Arc<MemoryEventBus>, MemoryPendingAuthorizations>;

#[derive(Debug)]
pub struct Setup {
    pub sim: Sim,
    pub api: Arc<TestApi>,
    pub store: Arc<MemoryConnections>,
    pub events: Arc<MemoryEventBus>,
    pub clock: Arc<FixedClock>,
    pub browser: reqwest::Client,
}

pub const BASE: &str = "https://reelcart.example.com";

pub async fn setup(return_url: Option<&str>) -> Setup {
    let sim = Sim::default();
    let addr = sim.serve(([127, 0, 0, 1], 0).into()).await.unwrap();
    let sim_url = format!("http://{addr}");
    sim.register_redirect(
        "tiktok-shop",
        &format!("{BASE}/v1/connections/tiktok-shop/callback"),
    );
    let vars = reelcart_platform_sim::platform_vars(&sim_url);
    let v = Vars(|k: &str| vars.iter().find(|(n, _)| *n == k).map(|(_, u)| u.clone()));
    let apps = AppCredentials::from_json(&sim.apps.secrets_json()).unwrap();
    let client = HttpTokenClient::new(PlatformConfig::from_vars(&v, apps).unwrap()).unwrap();
    let store = Arc::new(MemoryConnections::default());
    let events = Arc::new(MemoryEventBus::default());
    let clock = Arc::new(FixedClock::at(sim.now()));
    let api = Api {
        refresher: Refresher {
            store: store.clone(),
            vault: Vault::new(MemoryKeys::with_keys(&["k1"]), "k1".to_string()),
            client,
            events: events.clone(),
            clock: clock.clone(),
            policy: Default::default(),
            owner: "test".into(),
            lease_secs: 60,
            wait_for_other: std::time::Duration::from_secs(1),
        },
        pending: MemoryPendingAuthorizations::default(),
        state_keys: Arc::new(reelcart_lambda::keyring::KeyRing::fixed(vec![
            SecretString::from("test-state-key-0123456789-abcdefghij".to_string()),
        ])),
        public_base_url: None,
        return_url: return_url.map(str::to_string),
    };
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    Setup {
        sim,
        api: Arc::new(api),
        store,
        events,
        clock,
        browser,
    }
}

/// A request as API Gateway hands it over: `claims` are those its JWT authorizer validated.
pub fn request(method: &str, uri: &str, claims: Option<serde_json::Value>) -> Request {
    let mut ctx = serde_json::json!({"http": {"method": method}, "timeEpoch": 0});
    if let Some(c) = claims {
        ctx["authorizer"] = serde_json::json!({"jwt": {"claims": c, "scopes": null}});
    }
    let ctx: ApiGatewayV2httpRequestContext = serde_json::from_value(ctx).unwrap();
    // As API Gateway delivers it: the host and scheme the browser used.
    lambda_http::http::Request::builder()
        .method(method)
        .uri(uri)
        .header("host", "reelcart.example.com")
        .header("x-forwarded-proto", "https")
        .body(Body::Empty)
        .unwrap()
        .with_request_context(RequestContext::ApiGatewayV2(ctx))
}

pub fn admin() -> Option<serde_json::Value> {
    Some(serde_json::json!({"sub": "admin-7", "cognito:groups": "[admin]"}))
}

pub fn body(r: &Response<Body>) -> serde_json::Value {
    serde_json::from_slice(r.body().as_ref()).unwrap()
}

impl Setup {
    pub async fn start(&self, platform: &str) -> AuthorizeAnswer {
        let r = self
            .api
            .handle(request(
                "POST",
                &format!("{BASE}/v1/connections/{platform}/authorize"),
                admin(),
            ))
            .await;
        assert_eq!(r.status(), 200, "{:?}", r.body());
        serde_json::from_value(body(&r)).unwrap()
    }

    /// The admin's browser at the consent screen: where the platform sends it back.
    pub async fn consent(&self, authorize_url: &str) -> String {
        let r = self.browser.get(authorize_url).send().await.unwrap();
        assert_eq!(r.status(), 302, "{}", r.text().await.unwrap());
        r.headers()["location"].to_str().unwrap().to_string()
    }

    /// Follow the platform's redirect into the callback (the fragment stays in the browser).
    pub async fn callback(&self, location: &str) -> Response<Body> {
        let uri = location.split('#').next().unwrap();
        assert!(uri.starts_with(BASE), "{uri}");
        self.api.handle(request("GET", uri, None)).await
    }
}
