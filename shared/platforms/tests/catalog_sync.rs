//! Catalog sync over real HTTP against the platform simulator: both channels end equal to the
//! catalog, a 1 % change sends only those items (TikTok Shop price-only changes through the price
//! endpoint), deletions delete, throttling waits, a killed run resumes without duplicate creates.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use reelcart_catalog::{CatalogSync, Sleeper, SyncConfig};
use reelcart_connections::{Refresher, TokenGrant};
use reelcart_domain::catalog::tiktok::Rules;
use reelcart_domain::catalog::{Image, Product};
use reelcart_domain::connection::{Connection, OAuthPlatform, RefreshPolicy};
use reelcart_domain::{Clock, SystemClock};
use reelcart_platform_sim::Sim;
use reelcart_platforms::HttpTokenClient;
use reelcart_platforms::catalog::{MetaCatalog, RefresherTokens, TiktokShopCatalog};
use reelcart_ports::CatalogStore;
use reelcart_ports::memory::{MemoryCatalog, MemoryConnections, MemoryEventBus, MemoryKeys};
use reelcart_vault::{TokenSet, Vault};
use secrecy::SecretString;
use serde_json::Value;
use std::sync::{Arc, Mutex};
use std::time::Duration;

type TestRefresher =
    Refresher<Arc<MemoryConnections>, MemoryKeys, HttpTokenClient, Arc<MemoryEventBus>>;
type Tokens =
    RefresherTokens<Arc<MemoryConnections>, MemoryKeys, HttpTokenClient, Arc<MemoryEventBus>>;

#[derive(Default)]
struct Recorded(Mutex<Vec<Duration>>);
impl Sleeper for Recorded {
    async fn sleep(&self, d: Duration) {
        self.0.lock().unwrap().push(d);
    }
}

struct Setup {
    sim: Sim,
    sim_url: String,
    store: MemoryCatalog,
    meta: Arc<MetaCatalog<Tokens>>,
    tts: Arc<TiktokShopCatalog<Tokens>>,
    slept: Arc<Recorded>,
}

async fn connect(r: &TestRefresher, sim: &Sim, platform: OAuthPlatform, account: &str) -> String {
    let seeded = sim.seed(platform.as_str(), account, None);
    let c = Connection::new(
        platform,
        account,
        vec![],
        Some(seeded.expires_at),
        seeded.refresh_expires_at,
        SystemClock.now_unix(),
    );
    let id = c.id.clone();
    r.connect(
        c,
        TokenGrant {
            tokens: TokenSet {
                access_token: SecretString::from(seeded.access_token),
                refresh_token: seeded.refresh_token.map(SecretString::from),
            },
            expires_at: Some(seeded.expires_at),
            refresh_expires_at: seeded.refresh_expires_at,
            scopes: None,
        },
    )
    .await
    .unwrap();
    id
}

async fn setup() -> Setup {
    let sim = Sim::default();
    let addr = sim.serve(([127, 0, 0, 1], 0).into()).await.unwrap();
    let sim_url = format!("http://{addr}");
    let cfg = common::config(&sim_url);
    let refresher = Arc::new(Refresher {
        store: Arc::new(MemoryConnections::default()),
        vault: Vault::new(MemoryKeys::with_keys(&["k1"]), "k1".to_string()),
        client: HttpTokenClient::new(cfg.clone()).unwrap(),
        events: Arc::new(MemoryEventBus::default()),
        clock: Arc::new(SystemClock),
        policy: RefreshPolicy::default(),
        owner: "test".into(),
        lease_secs: 60,
        wait_for_other: Duration::from_secs(5),
    });
    let meta_id = connect(&refresher, &sim, OAuthPlatform::Meta, "1000000000000001").await;
    let tts_id = connect(
        &refresher,
        &sim,
        OAuthPlatform::TiktokShop,
        "7494000000000000001",
    )
    .await;
    let tokens = |id: &str| RefresherTokens::new(refresher.clone(), id);
    let mut meta = MetaCatalog::new(&cfg, "cat-1", tokens(&meta_id)).unwrap();
    meta.poll_interval = Duration::from_millis(5);
    meta.batch_size = 50;
    let shop = refresher
        .client
        .tiktok_shop_authorized_shops(
            &refresher.fresh_access_token(&tts_id).await.unwrap(),
            SystemClock.now_unix(),
        )
        .await
        .unwrap()
        .remove(0);
    let rules = Rules {
        region: shop.region.clone(),
        warehouse_id: "WH-1".into(),
    };
    let tts = TiktokShopCatalog::new(&cfg, shop.cipher, rules, tokens(&tts_id)).unwrap();
    Setup {
        sim,
        sim_url,
        store: MemoryCatalog::default(),
        meta: Arc::new(meta),
        tts: Arc::new(tts),
        slept: Arc::new(Recorded::default()),
    }
}

impl Setup {
    fn product(&self, i: usize) -> Product {
        let mut p = reelcart_ports::contract::sample_product("s", i);
        p.images = vec![Image {
            url: format!("{}/_sim/cdn/{i}.jpg", self.sim_url),
            width: 1000,
            height: 1000,
        }];
        p.tiktok_category_id = Some("601226".into());
        p.variants[0].weight = Some(reelcart_domain::catalog::Weight {
            value: "0.4".parse().unwrap(),
            unit: "KILOGRAM".into(),
        });
        p
    }

    fn sync<C>(&self, client: Arc<C>) -> CatalogSync<MemoryCatalog, Arc<C>, Arc<Recorded>> {
        self.sync_later(client, 0)
    }

    /// A sync whose clock is `secs` ahead (past a killed run's lease).
    fn sync_later<C>(
        &self,
        client: Arc<C>,
        secs: i64,
    ) -> CatalogSync<MemoryCatalog, Arc<C>, Arc<Recorded>> {
        CatalogSync {
            store: self.store.clone(),
            client,
            sleeper: self.slept.clone(),
            clock: Arc::new(reelcart_domain::FixedClock::at(
                SystemClock.now_unix() + secs,
            )),
            config: SyncConfig::default(),
        }
    }

    fn remote(&self) -> Value {
        self.sim.catalog_json()
    }

    fn count(&self, what: &str) -> u64 {
        self.remote()["counts"][what].as_u64().unwrap_or(0)
    }

    /// Both remotes equal the catalog: every item, with its price and stock.
    async fn assert_in_sync(&self) {
        let products = self.store.products().await.unwrap();
        let r = self.remote();
        let meta = r["meta"]["cat-1"].as_object().cloned().unwrap_or_default();
        let tts = r["tiktok_shop"].as_object().cloned().unwrap_or_default();
        assert_eq!(meta.len(), products.len());
        assert_eq!(tts.len(), products.len());
        for p in &products {
            let v = &p.variants[0];
            let m = &meta[&v.sku];
            assert_eq!(m["title"], p.title);
            assert_eq!(m["price"], v.price.meta_format());
            let remote = tts
                .values()
                .find(|t| t["skus"][0]["seller_sku"] == v.sku.as_str())
                .unwrap_or_else(|| panic!("{} missing on TikTok Shop", p.id));
            assert_eq!(remote["title"], p.title);
            assert_eq!(remote["skus"][0]["price"]["amount"], v.price.amount_2dp());
            assert_eq!(remote["skus"][0]["inventory"][0]["quantity"], v.inventory);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_channels_follow_the_catalog_by_diff() {
    let s = setup().await;
    let products: Vec<Product> = (0..200).map(|i| s.product(i)).collect();
    s.store.put_products(&products).await.unwrap();
    let meta = s.sync(s.meta.clone()).run(None).await.unwrap();
    let tts = s.sync(s.tts.clone()).run(None).await.unwrap();
    assert_eq!((meta.status.as_str(), meta.done), ("finished", 200));
    assert_eq!((tts.status.as_str(), tts.done), ("finished", 200));
    assert_eq!(s.count("meta.create"), 200);
    assert_eq!(s.count("meta.batches"), 4);
    assert_eq!(s.count("tts.create"), 200);
    assert_eq!(s.count("tts.images"), 200);
    s.assert_in_sync().await;

    // 1 %: a title, a price and a stock level change; two products are deleted.
    let mut changed = vec![s.product(3), s.product(50)];
    changed[0].title = "Renamed tee".into();
    changed[1].variants[0].price.amount = "17.50".parse().unwrap();
    let mut stock = s.product(120);
    stock.variants[0].inventory = 999;
    changed.push(stock);
    s.store.put_products(&changed).await.unwrap();
    s.store
        .delete_products(&[products[7].id.clone(), products[8].id.clone()])
        .await
        .unwrap();
    let before = s.remote()["counts"].clone();
    s.sync(s.meta.clone()).run(None).await.unwrap();
    s.sync(s.tts.clone()).run(None).await.unwrap();
    let delta = |k: &str| s.count(k) - before[k].as_u64().unwrap_or(0);
    assert_eq!(delta("meta.update"), 3, "only the changed items");
    assert_eq!(delta("meta.delete"), 2);
    assert_eq!(delta("meta.create"), 0);
    assert_eq!(delta("tts.edit"), 1, "the title change is a full edit");
    assert_eq!(
        delta("tts.prices"),
        1,
        "a price-only change uses the price endpoint"
    );
    assert_eq!(
        delta("tts.inventory"),
        1,
        "a stock-only change uses the stock endpoint"
    );
    assert_eq!(delta("tts.delete"), 2);
    assert_eq!(delta("tts.create"), 0);
    assert_eq!(
        delta("tts.images"),
        0,
        "unchanged images are not uploaded again"
    );
    s.assert_in_sync().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttling_waits_and_a_killed_run_resumes_without_duplicates() {
    let s = setup().await;
    let products: Vec<Product> = (0..60).map(|i| s.product(i)).collect();
    s.store.put_products(&products).await.unwrap();
    // Meta throttles the second batch (80014 with 2 minutes to regain access); TikTok Shop
    // answers 429 twice.
    s.sim.throttle("meta-catalog", 1, 120);
    s.sim.throttle("tiktok-shop-products", 2, 3);
    s.sync(s.meta.clone()).run(None).await.unwrap();
    let waits = s.slept.0.lock().unwrap().clone();
    assert!(waits.contains(&Duration::from_secs(120)), "{waits:?}");

    // Kill the TikTok Shop run after some creates, then run again.
    {
        let sync = s.sync(s.tts.clone());
        let fut = sync.run(None);
        tokio::pin!(fut);
        loop {
            tokio::select! {
                r = &mut fut => panic!("finished before it could be killed: {r:?}"),
                _ = tokio::time::sleep(Duration::from_millis(2)) => {}
            }
            if s.count("tts.create") >= 25 {
                break;
            }
        }
    }
    let killed_at = s.count("tts.create");
    assert!(killed_at < 60);
    // The next run, after the killed run's lease expired.
    let run = s.sync_later(s.tts.clone(), 901).run(None).await.unwrap();
    assert_eq!(run.status, "finished");
    assert_eq!(s.count("tts.create"), 60, "no duplicate creates");
    assert!(s.slept.0.lock().unwrap().contains(&Duration::from_secs(3)));
    s.assert_in_sync().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn meta_usage_near_the_limit_slows_the_run_down() {
    let s = setup().await;
    let products: Vec<Product> = (0..120).map(|i| s.product(i)).collect();
    s.store.put_products(&products).await.unwrap();
    // 92 % of the app's limit: a minute's pause after each batch, before Meta throttles.
    s.sim.set_meta_usage(92);
    let run = s.sync(s.meta.clone()).run(None).await.unwrap();
    assert_eq!(run.status, "finished");
    assert_eq!(s.count("meta.batches"), 3);
    assert_eq!(run.waited_secs, 3 * 60);
    // At 50 % nothing waits.
    s.sim.set_meta_usage(50);
    let mut p = products[0].clone();
    p.title = "Changed".into();
    s.store.put_products(&[p]).await.unwrap();
    let run = s.sync(s.meta.clone()).run(None).await.unwrap();
    assert_eq!(run.waited_secs, 0, "no wait");
}
