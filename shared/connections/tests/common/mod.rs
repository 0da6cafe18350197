//! Shared by the refresher test binaries: a platform that rotates refresh tokens (the old one dies
//! on use, as TikTok's does), and a connected account on in-memory ports.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use reelcart_connections::testing::Rotating;
use reelcart_connections::{Refresher, TokenGrant};
use reelcart_domain::FixedClock;
use reelcart_domain::connection::{Connection, OAuthPlatform, RefreshPolicy};
use reelcart_ports::memory::{MemoryConnections, MemoryEventBus, MemoryKeys};
use reelcart_vault::{TokenSet, Vault};
use secrecy::SecretString;
use std::sync::Arc;
use std::time::Duration;

pub const NOW: i64 = 1_795_651_200;

pub type TestRefresher =
    Refresher<Arc<MemoryConnections>, Arc<MemoryKeys>, Arc<Rotating>, Arc<MemoryEventBus>>;

pub fn refresher(
    store: Arc<MemoryConnections>,
    keys: Arc<MemoryKeys>,
    client: Arc<Rotating>,
    clock: Arc<FixedClock>,
    owner: &str,
) -> TestRefresher {
    Refresher {
        store,
        vault: Vault::new(keys, "k1"),
        client,
        events: Arc::new(MemoryEventBus::default()),
        clock,
        policy: RefreshPolicy::default(),
        owner: owner.to_string(),
        lease_secs: 30,
        wait_for_other: Duration::from_secs(5),
    }
}

pub fn connection(expires_in: i64) -> (Connection, TokenGrant) {
    let c = Connection::new(
        OAuthPlatform::Tiktok,
        "act.creator",
        vec!["user.info.basic".into()],
        Some(NOW + expires_in),
        Some(NOW + 365 * 86_400),
        NOW,
    );
    let g = TokenGrant {
        tokens: TokenSet {
            access_token: SecretString::from("act-secret-0".to_string()),
            refresh_token: Some(SecretString::from("rft-secret-0".to_string())),
        },
        expires_at: c.expires_at,
        refresh_expires_at: c.refresh_expires_at,
        scopes: None,
    };
    (c, g)
}

pub struct Setup {
    pub store: Arc<MemoryConnections>,
    pub keys: Arc<MemoryKeys>,
    pub client: Arc<Rotating>,
    pub clock: Arc<FixedClock>,
}

impl Setup {
    /// A refresher over this setup's store, keys, platform and clock.
    pub fn refresher(&self, owner: &str) -> TestRefresher {
        refresher(
            self.store.clone(),
            self.keys.clone(),
            self.client.clone(),
            self.clock.clone(),
            owner,
        )
    }
}

pub async fn setup(expires_in: i64) -> (Setup, String) {
    let s = Setup {
        store: Arc::new(MemoryConnections::default()),
        keys: Arc::new(MemoryKeys::with_keys(&["k1", "k2"])),
        client: Arc::new(Rotating::new("rft-secret-0")),
        clock: Arc::new(FixedClock::at(NOW)),
    };
    let r = refresher(
        s.store.clone(),
        s.keys.clone(),
        s.client.clone(),
        s.clock.clone(),
        "setup",
    );
    let (c, g) = connection(expires_in);
    let id = c.id.clone();
    r.connect(c, g).await.unwrap();
    (s, id)
}
