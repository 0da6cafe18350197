//! The token clients against the platform simulator over real HTTP: lifetimes, absolute vs relative
//! expiries, rotation, revocation, throttling — and the refresher end to end on top of them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use reelcart_connections::{Refresher, TokenClient, TokenGrant};
use reelcart_domain::connection::{
    Connection, ConnectionStatus, ErrorClass, OAuthPlatform, RefreshPolicy,
};
use reelcart_domain::{Clock, SystemClock};
use reelcart_platform_sim::{SeededGrant, Sim};
use reelcart_platforms::HttpTokenClient;
use reelcart_ports::memory::{MemoryConnections, MemoryKeys};
use reelcart_vault::{TokenSet, Vault};
use secrecy::{ExposeSecret, SecretString};
use std::sync::Arc;
use std::time::Duration;

mod common;
use common::config;

async fn sim_and_client() -> (Sim, HttpTokenClient) {
    let sim = Sim::default();
    let addr = sim.serve(([127, 0, 0, 1], 0).into()).await.unwrap();
    (
        sim,
        HttpTokenClient::new(config(&format!("http://{addr}"))).unwrap(),
    )
}

fn tokens(g: &SeededGrant) -> TokenSet {
    TokenSet {
        access_token: SecretString::from(g.access_token.clone()),
        refresh_token: g.refresh_token.clone().map(SecretString::from),
    }
}

#[tokio::test]
async fn tiktok_shop_refresh_reads_absolute_expiries() {
    let (sim, client) = sim_and_client().await;
    let seeded = sim.seed("tiktok-shop", "7494049642642441621", Some(600));
    let now = sim.now();
    let grant = client
        .refresh(
            OAuthPlatform::TiktokShop,
            "7494049642642441621",
            &tokens(&seeded),
            now,
        )
        .await
        .unwrap();
    let expires = grant.expires_at.unwrap();
    assert!(
        (expires - (now + 7 * 86_400)).abs() <= 2,
        "absolute timestamp used as is: {expires}"
    );
    assert_eq!(
        grant.refresh_expires_at, seeded.refresh_expires_at,
        "refresh expiry kept"
    );
    assert!(sim.access_valid(grant.tokens.access_token.expose_secret()));
    assert!(
        !sim.access_valid(&seeded.access_token),
        "the old access token was replaced"
    );
}

#[tokio::test]
async fn tiktok_refresh_tokens_rotate_and_the_old_one_dies() {
    let (sim, client) = sim_and_client().await;
    let seeded = sim.seed("tiktok", "act.creator", None);
    let now = sim.now();
    let first = client
        .refresh(OAuthPlatform::Tiktok, "act.creator", &tokens(&seeded), now)
        .await
        .unwrap();
    assert_ne!(
        first.tokens.refresh_token.as_ref().unwrap().expose_secret(),
        seeded.refresh_token.as_deref().unwrap()
    );
    assert_eq!(
        first.expires_at,
        Some(now + 86_400),
        "relative expires_in made absolute"
    );
    let err = client
        .refresh(OAuthPlatform::Tiktok, "act.creator", &tokens(&seeded), now)
        .await
        .unwrap_err();
    assert_eq!(
        (err.class, err.code.as_str()),
        (ErrorClass::Reauthorize, "invalid_grant")
    );
    client
        .refresh(OAuthPlatform::Tiktok, "act.creator", &first.tokens, now)
        .await
        .unwrap();
}

#[tokio::test]
async fn revoked_and_expired_grants_need_reauthorization() {
    let (sim, client) = sim_and_client().await;
    let shop = sim.seed("tiktok-shop", "shop-1", None);
    sim.revoke("tiktok-shop", "shop-1");
    let err = client
        .refresh(
            OAuthPlatform::TiktokShop,
            "shop-1",
            &tokens(&shop),
            sim.now(),
        )
        .await
        .unwrap_err();
    assert_eq!(
        (err.class, err.code.as_str()),
        (ErrorClass::Reauthorize, "105002")
    );

    let meta = sim.seed("meta", "1784140000", Some(10));
    sim.advance(11);
    let err = client
        .refresh(OAuthPlatform::Meta, "1784140000", &tokens(&meta), sim.now())
        .await
        .unwrap_err();
    assert_eq!(
        (err.class, err.code.as_str()),
        (ErrorClass::Reauthorize, "190/463"),
        "an expired token cannot be exchanged"
    );
}

#[tokio::test]
async fn meta_exchanges_a_valid_token_for_a_new_long_lived_one() {
    let (sim, client) = sim_and_client().await;
    let meta = sim.seed("meta", "1784140000", Some(86_400));
    let now = sim.now();
    let grant = client
        .refresh(OAuthPlatform::Meta, "1784140000", &tokens(&meta), now)
        .await
        .unwrap();
    assert_eq!(grant.expires_at, Some(now + 5_183_944));
    assert!(grant.tokens.refresh_token.is_none());
    // Instagram wants the token to be a day old.
    let ig = sim.seed("instagram", "1789", None);
    let err = client
        .refresh(OAuthPlatform::Instagram, "1789", &tokens(&ig), sim.now())
        .await
        .unwrap_err();
    assert_eq!(err.code, "100");
    sim.advance(86_400);
    let grant = client
        .refresh(OAuthPlatform::Instagram, "1789", &tokens(&ig), sim.now())
        .await
        .unwrap();
    assert_eq!(grant.expires_at, Some(sim.now() + 5_184_000));
}

#[tokio::test]
async fn throttling_is_classified_with_the_wait_time_and_secrets_never_appear_in_errors() {
    let (sim, client) = sim_and_client().await;
    let seeded = sim.seed("tiktok-shop", "shop-2", None);
    sim.throttle("tiktok-shop", 1, 7);
    let err = client
        .refresh(
            OAuthPlatform::TiktokShop,
            "shop-2",
            &tokens(&seeded),
            sim.now(),
        )
        .await
        .unwrap_err();
    assert_eq!(
        (err.class, err.retry_after_secs),
        (ErrorClass::Throttled, Some(7))
    );
    sim.throttle("meta", 1, 300);
    let meta = sim.seed("meta", "m", None);
    let err = client
        .refresh(OAuthPlatform::Meta, "m", &tokens(&meta), sim.now())
        .await
        .unwrap_err();
    assert_eq!(
        (err.class, err.retry_after_secs),
        (ErrorClass::Throttled, Some(300))
    );

    // An unreachable platform is transient, and the error does not carry the request URL (whose
    // query holds the app secret and the token).
    let unreachable = HttpTokenClient::new(config("http://127.0.0.1:9")).unwrap();
    let err = unreachable
        .refresh(
            OAuthPlatform::TiktokShop,
            "shop-2",
            &tokens(&seeded),
            sim.now(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.class, ErrorClass::Transient);
    assert!(
        !err.message.contains("demo-tts-app-secret") && !err.message.contains(&seeded.access_token),
        "{}",
        err.message
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ten_concurrent_refreshers_against_the_simulator_make_one_token_call() {
    let (sim, client) = sim_and_client().await;
    let client = Arc::new(client);
    let seeded = sim.seed("tiktok", "act.creator", Some(60)); // expiring: due
    let store = Arc::new(MemoryConnections::default());
    let keys = Arc::new(MemoryKeys::with_keys(&["k1"]));
    let make = |owner: &str| Refresher {
        store: store.clone(),
        vault: Vault::new(keys.clone(), "k1"),
        client: client.clone(),
        events: Arc::new(reelcart_ports::memory::MemoryEventBus::default()),
        clock: Arc::new(SystemClock) as Arc<dyn Clock>,
        policy: RefreshPolicy::default(),
        owner: owner.to_string(),
        lease_secs: 30,
        wait_for_other: Duration::from_secs(10),
    };
    let connection = Connection::new(
        OAuthPlatform::Tiktok,
        "act.creator",
        vec![],
        Some(seeded.expires_at),
        seeded.refresh_expires_at,
        SystemClock.now_unix(),
    );
    let id = connection.id.clone();
    let grant = TokenGrant {
        tokens: tokens(&seeded),
        expires_at: Some(seeded.expires_at),
        refresh_expires_at: seeded.refresh_expires_at,
        scopes: None,
    };
    make("connect").connect(connection, grant).await.unwrap();
    let workers: Vec<_> = (0..10).map(|i| make(&format!("w{i}"))).collect();
    let got = futures::future::join_all(workers.iter().map(|w| w.fresh_access_token(&id))).await;
    assert_eq!(sim.calls("tiktok"), 1, "exactly one platform refresh call");
    let first = got[0].as_ref().unwrap().expose_secret().to_string();
    assert!(
        sim.access_valid(&first),
        "the stored token is usable on the platform"
    );
    assert!(
        got.iter()
            .all(|t| t.as_ref().unwrap().expose_secret() == first)
    );
    // Revoked on the platform: the next due refresh marks it needs_reauth.
    sim.revoke("tiktok", "act.creator");
    assert!(workers[0].refresh(&id, true).await.is_ok());
    use reelcart_ports::ConnectionStore;
    let rec = store.get(&id).await.unwrap().unwrap();
    assert_eq!(rec.connection.status, ConnectionStatus::NeedsReauth);
}

#[tokio::test]
async fn tiktok_shop_signed_requests_are_verified_by_the_simulator() {
    let sim = Sim::default();
    let base = format!(
        "http://{}",
        sim.serve(([127, 0, 0, 1], 0).into()).await.unwrap()
    );
    let client = HttpTokenClient::new(config(&base)).unwrap();
    let seeded = sim.seed("tiktok-shop", "7494049642642441621", None);
    let token = SecretString::from(seeded.access_token.clone());
    let shops = client
        .tiktok_shop_authorized_shops(&token, sim.now())
        .await
        .unwrap();
    assert_eq!(shops[0].id, "7494049642642441621");
    assert_eq!(shops[0].cipher, "GCP_7494049642642441621");

    // Signed with the wrong app secret: 106001.
    let mut wrong = config(&base);
    wrong.apps.tiktok_shop_app_secret = SecretString::from("not-the-secret".to_string());
    let err = HttpTokenClient::new(wrong)
        .unwrap()
        .tiktok_shop_authorized_shops(&token, sim.now())
        .await
        .unwrap_err();
    assert_eq!(err.code, "106001");
    // A timestamp 6 minutes old, or 31 s ahead: rejected.
    for skew in [-360, 31] {
        let err = client
            .tiktok_shop_authorized_shops(&token, sim.now() + skew)
            .await
            .unwrap_err();
        assert_eq!(err.code, "36009004", "skew {skew}");
    }
    // An expired token: refresh first.
    sim.advance(7 * 86_400 + 1);
    let err = client
        .tiktok_shop_authorized_shops(&token, sim.now())
        .await
        .unwrap_err();
    assert_eq!(
        (err.class, err.code.as_str()),
        (ErrorClass::TokenInvalid, "105002")
    );
}

const REDIRECT: &str = "https://brand.example/v1/connections/callback";

#[tokio::test]
async fn authorization_codes_are_exchanged_for_long_lived_grants_on_every_platform() {
    let (sim, client) = sim_and_client().await;
    let now = sim.now();

    // TikTok Shop: single-use code; the account is the authorized shop; absolute expiries.
    let code = sim.authorize("tiktok-shop", "7494049642642441621", REDIRECT, None);
    let a = client
        .exchange_code(OAuthPlatform::TiktokShop, &code, REDIRECT, None, now)
        .await
        .unwrap();
    assert_eq!(a.account_id, "7494049642642441621");
    assert!(sim.access_valid(a.grant.tokens.access_token.expose_secret()));
    assert!(a.grant.expires_at.unwrap() >= now + 7 * 86_400 - 2);
    let again = client
        .exchange_code(OAuthPlatform::TiktokShop, &code, REDIRECT, None, now)
        .await
        .unwrap_err();
    assert_eq!(
        again.class,
        ErrorClass::Reauthorize,
        "a used code cannot be redeemed again"
    );

    // TikTok: PKCE S256 — the right verifier works, a wrong one does not.
    let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"; // RFC 7636 appendix B
    let code = sim.authorize("tiktok", "act.new-creator", REDIRECT, Some(challenge));
    let bad = client
        .exchange_code(
            OAuthPlatform::Tiktok,
            &code,
            REDIRECT,
            Some("wrong-verifier"),
            now,
        )
        .await
        .unwrap_err();
    assert_eq!(bad.code, "invalid_grant");
    let code = sim.authorize("tiktok", "act.new-creator", REDIRECT, Some(challenge));
    let a = client
        .exchange_code(OAuthPlatform::Tiktok, &code, REDIRECT, Some(verifier), now)
        .await
        .unwrap();
    assert_eq!(a.account_id, "act.new-creator");
    assert!(a.grant.tokens.refresh_token.is_some());

    // Meta: code → short-lived → long-lived (about 60 days), account from /me.
    let code = sim.authorize("meta", "1784140000", REDIRECT, None);
    let a = client
        .exchange_code(OAuthPlatform::Meta, &code, REDIRECT, None, now)
        .await
        .unwrap();
    assert_eq!(a.account_id, "1784140000");
    assert_eq!(a.grant.expires_at, Some(now + 5_183_944));

    // Instagram Login: code → short-lived → long-lived (60 days).
    let code = sim.authorize("instagram", "17841400000000001", REDIRECT, None);
    let a = client
        .exchange_code(OAuthPlatform::Instagram, &code, REDIRECT, None, now)
        .await
        .unwrap();
    assert_eq!(a.account_id, "17841400000000001");
    assert_eq!(a.grant.expires_at, Some(now + 5_184_000));
    assert!(sim.access_valid(a.grant.tokens.access_token.expose_secret()));

    // A code for another redirect URI, or older than 30 minutes (TikTok Shop), is refused.
    let code = sim.authorize("meta", "1784140000", "https://elsewhere.example/cb", None);
    assert!(
        client
            .exchange_code(OAuthPlatform::Meta, &code, REDIRECT, None, now)
            .await
            .is_err()
    );
    let code = sim.authorize("tiktok-shop", "7494049642642441621", REDIRECT, None);
    sim.advance(30 * 60 + 1);
    assert!(
        client
            .exchange_code(OAuthPlatform::TiktokShop, &code, REDIRECT, None, sim.now())
            .await
            .is_err()
    );
}
