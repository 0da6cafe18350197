//! Shopify's app authentication against the simulator over real HTTP (spec §8): the install with
//! its signed callback, expiring offline tokens kept alive through rotating refreshes — one
//! platform call per cycle however many refreshers race — the retry window, client credentials,
//! and the end of it all when the merchant uninstalls the app.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use reelcart_connections::{Refresher, TokenClient};
use reelcart_domain::Clock;
use reelcart_domain::connection::shopify::verify_callback;
use reelcart_domain::connection::{
    Connection, ConnectionStatus, ErrorClass, OAuthPlatform, RefreshPolicy,
};
use reelcart_platform_sim::Sim;
use reelcart_platform_sim::shopify_auth::{ACCESS_SECS, CLIENT_CREDENTIALS_SECS, SHOP_DOMAIN};
use reelcart_platforms::HttpTokenClient;
use reelcart_ports::ConnectionStore;
use reelcart_ports::memory::{MemoryConnections, MemoryEventBus, MemoryKeys};
use reelcart_vault::{TokenSet, Vault};
use secrecy::{ExposeSecret, SecretString};
use std::sync::Arc;
use std::time::Duration;

mod common;
use common::config;

/// The simulator's clock (it moves forward with `advance`), for the refresher.
struct SimClock(Sim);
impl Clock for SimClock {
    fn now_unix(&self) -> i64 {
        self.0.now()
    }
}

const REDIRECT: &str = "https://brand.example/v1/connections/shopify/callback";

async fn setup() -> (Sim, Arc<HttpTokenClient>) {
    let sim = Sim::default();
    let addr = sim.serve(([127, 0, 0, 1], 0).into()).await.unwrap();
    let client = HttpTokenClient::new(config(&format!("http://{addr}"))).unwrap();
    (sim, Arc::new(client))
}

/// The install: the store's screen, its signed redirect, the code exchanged with `expiring=1`.
async fn install(sim: &Sim, client: &HttpTokenClient) -> reelcart_platforms::Authorized {
    let url = client
        .config()
        .authorize_url(OAuthPlatform::Shopify, "state-1", REDIRECT, None)
        .unwrap();
    assert!(
        url.contains("/admin/oauth/authorize?client_id=demo-shopify-client-id&scope=read_products"),
        "{url}"
    );
    let no_follow = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = no_follow.get(&url).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 302);
    let location = reqwest::Url::parse(r.headers()["location"].to_str().unwrap()).unwrap();
    assert!(location.as_str().starts_with(REDIRECT));
    let params: Vec<(String, String)> = location.query_pairs().into_owned().collect();
    let secret = sim.apps.shopify_client_secret.as_bytes();
    assert_eq!(
        verify_callback(&params, &[secret], sim.now()),
        Ok(SHOP_DOMAIN),
        "{params:?}"
    );
    let code = params.iter().find(|(k, _)| k == "code").unwrap().1.clone();
    let authorized = client
        .exchange_code(OAuthPlatform::Shopify, &code, REDIRECT, None, sim.now())
        .await
        .unwrap();
    assert!(
        client
            .exchange_code(OAuthPlatform::Shopify, &code, REDIRECT, None, sim.now())
            .await
            .is_err(),
        "a code is single use"
    );
    authorized
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_installed_store_survives_three_refresh_cycles_two_raced_and_ends_at_uninstall() {
    let (sim, client) = setup().await;
    let authorized = install(&sim, &client).await;
    assert_eq!(authorized.account_id, SHOP_DOMAIN);
    let g = &authorized.grant;
    assert_eq!(
        g.expires_at,
        Some(sim.now() + ACCESS_SECS),
        "an hour, read from expires_in"
    );
    assert!(
        g.tokens.refresh_token.is_some(),
        "expiring offline tokens come with a refresh token"
    );
    assert!(g.refresh_expires_at.unwrap() > sim.now() + 89 * 86_400);

    let store = Arc::new(MemoryConnections::default());
    let keys = Arc::new(MemoryKeys::with_keys(&["k1"]));
    let make = |owner: &str| Refresher {
        store: store.clone(),
        vault: Vault::new(keys.clone(), "k1"),
        client: client.clone(),
        events: Arc::new(MemoryEventBus::default()),
        clock: Arc::new(SimClock(sim.clone())) as Arc<dyn Clock>,
        policy: RefreshPolicy::default(),
        owner: owner.to_string(),
        lease_secs: 30,
        wait_for_other: Duration::from_secs(10),
    };
    let connection = Connection::new(
        OAuthPlatform::Shopify,
        &authorized.account_id,
        authorized.grant.scopes.clone().unwrap_or_default(),
        authorized.grant.expires_at,
        authorized.grant.refresh_expires_at,
        sim.now(),
    );
    let id = connection.id.clone();
    assert_eq!(id, format!("shopify#{SHOP_DOMAIN}"));
    make("connect")
        .connect(connection, authorized.grant)
        .await
        .unwrap();

    let mut previous = String::new();
    for (cycle, racers) in [(1, 1), (2, 10), (3, 10)] {
        // 50 minutes on: inside the refresh margin.
        sim.advance(ACCESS_SECS - 600);
        let before = sim.calls("shopify");
        let workers: Vec<_> = (0..racers)
            .map(|i| make(&format!("c{cycle}w{i}")))
            .collect();
        let got =
            futures::future::join_all(workers.iter().map(|w| w.fresh_access_token(&id))).await;
        assert_eq!(
            sim.calls("shopify") - before,
            1,
            "cycle {cycle}: one token call for {racers} refreshers"
        );
        let token = got[0].as_ref().unwrap().expose_secret().to_string();
        assert!(
            got.iter()
                .all(|t| t.as_ref().unwrap().expose_secret() == token),
            "cycle {cycle}: one token for all"
        );
        assert!(
            sim.shopify_token_valid(&token),
            "cycle {cycle}: the store takes the new token"
        );
        assert_ne!(token, previous);
        if !previous.is_empty() {
            assert!(
                !sim.shopify_token_valid(&previous),
                "cycle {cycle}: the token before was replaced"
            );
        }
        previous = token;
        let rec = store.get(&id).await.unwrap().unwrap();
        assert_eq!(rec.connection.status, ConnectionStatus::Active);
        assert_eq!(rec.connection.expires_at, Some(sim.now() + ACCESS_SECS));
    }

    // The merchant uninstalls the app: the store refuses the refresh token; the connection needs
    // to be installed again, and says how.
    let http = reqwest::Client::new();
    let base = client.config().shopify_admin_url.clone();
    assert_eq!(
        http.post(format!("{base}/_sim/shopify/uninstall"))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16(),
        204
    );
    assert!(!sim.shopify_token_valid(&previous));
    sim.advance(ACCESS_SECS - 600);
    make("after").refresh(&id, true).await.unwrap();
    let rec = store.get(&id).await.unwrap().unwrap();
    assert_eq!(rec.connection.status, ConnectionStatus::NeedsReauth);
    let err = rec.connection.last_error.unwrap();
    assert_eq!(
        (err.class, err.code.as_str()),
        (ErrorClass::Reauthorize, "invalid_grant")
    );
    assert!(
        err.remediation.contains("install the app again"),
        "{}",
        err.remediation
    );
}

#[tokio::test]
async fn a_lost_refresh_answer_can_be_retried_until_the_replacement_is_used() {
    let (sim, client) = setup().await;
    let authorized = install(&sim, &client).await;
    let r1 = authorized.grant.tokens;
    let refresh = |t: &TokenSet| {
        let (client, t) = (
            client.clone(),
            TokenSet {
                access_token: t.access_token.clone(),
                refresh_token: t.refresh_token.clone(),
            },
        );
        let now = sim.now();
        async move {
            client
                .refresh(OAuthPlatform::Shopify, SHOP_DOMAIN, &t, now)
                .await
        }
    };
    // The answer with R2 is "lost": R1 is retried and works, giving R3.
    let _lost = refresh(&r1).await.unwrap();
    let r3 = refresh(&r1).await.unwrap().tokens;
    // Once R3 is used, R1 is retired.
    let r4 = refresh(&r3).await.unwrap().tokens;
    let err = refresh(&r1).await.unwrap_err();
    assert_eq!(
        (err.class, err.code.as_str()),
        (ErrorClass::Reauthorize, "invalid_grant")
    );
    assert!(sim.shopify_token_valid(r4.access_token.expose_secret()));
    // A refresh token that was never issued, and wrong client credentials.
    let forged = TokenSet {
        access_token: SecretString::from("x".to_string()),
        refresh_token: Some(SecretString::from("shprt.forged".to_string())),
    };
    assert_eq!(refresh(&forged).await.unwrap_err().code, "invalid_grant");
    let mut wrong = client.config().clone();
    wrong.apps.shopify_client_secrets = vec![SecretString::from("not-it".to_string())];
    let err = HttpTokenClient::new(wrong)
        .unwrap()
        .refresh(OAuthPlatform::Shopify, SHOP_DOMAIN, &r4, sim.now())
        .await
        .unwrap_err();
    assert_eq!(
        (err.class, err.code.as_str()),
        (ErrorClass::Reauthorize, "invalid_client")
    );
}

#[tokio::test]
async fn a_dev_dashboard_app_connects_with_client_credentials_and_asks_again_before_a_day() {
    let (sim, client) = setup().await;
    // One reading of the clock: a second boundary between two would fail the comparison.
    let now = sim.now();
    let a = client.shopify_client_credentials(now).await.unwrap();
    assert_eq!(a.account_id, SHOP_DOMAIN);
    assert_eq!(a.grant.expires_at, Some(now + CLIENT_CREDENTIALS_SECS));
    assert!(a.grant.tokens.refresh_token.is_none(), "no refresh token");
    let token = a.grant.tokens.access_token.expose_secret().to_string();
    assert!(sim.shopify_token_valid(&token));
    // "Refreshing" is granting again.
    sim.advance(CLIENT_CREDENTIALS_SECS - 600);
    let again = client
        .refresh(
            OAuthPlatform::Shopify,
            SHOP_DOMAIN,
            &a.grant.tokens,
            sim.now(),
        )
        .await
        .unwrap();
    assert_ne!(again.tokens.access_token.expose_secret(), token.as_str());
    assert!(sim.shopify_token_valid(again.tokens.access_token.expose_secret()));
    assert_eq!(again.expires_at, Some(sim.now() + CLIENT_CREDENTIALS_SECS));
}

#[tokio::test]
async fn a_callback_for_another_store_or_with_a_bad_signature_is_refused() {
    let (sim, client) = setup().await;
    sim.set_consent("shopify", "someone-else.myshopify.com", true);
    let url = client
        .config()
        .authorize_url(OAuthPlatform::Shopify, "s", REDIRECT, None)
        .unwrap();
    let no_follow = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = no_follow.get(&url).send().await.unwrap();
    let location = reqwest::Url::parse(r.headers()["location"].to_str().unwrap()).unwrap();
    let mut params: Vec<(String, String)> = location.query_pairs().into_owned().collect();
    let secret = sim.apps.shopify_client_secret.as_bytes();
    // Signed, but another store: the signature holds; the API pins the store (connections-api).
    assert_eq!(
        verify_callback(&params, &[secret], sim.now()),
        Ok("someone-else.myshopify.com")
    );
    for p in params.iter_mut().filter(|(k, _)| k == "shop") {
        p.1 = SHOP_DOMAIN.into();
    }
    assert!(
        verify_callback(&params, &[secret], sim.now()).is_err(),
        "the shop cannot be swapped"
    );
}
