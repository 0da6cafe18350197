//! The store's catalog and, per channel, what was synced, what is quarantined, and the run.

use crate::{PortResult, lock};
use reelcart_domain::catalog::{Channel, Product};
use std::collections::BTreeMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

/// An item as last synced to a channel: the hashes that were sent and the platform's ids.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SyncedItem {
    /// The item's key on the channel (Meta: the SKU / retailer id; TikTok Shop: the product id).
    pub key: String,
    pub hashes: reelcart_domain::catalog::diff::Hashes,
    /// The platform's id (TikTok Shop `product_id`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote_id: Option<String>,
    /// seller_sku → the platform's SKU id (TikTok Shop price and stock updates name SKUs by id).
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub remote_skus: std::collections::BTreeMap<String, String>,
    pub synced_at: i64,
}

/// An item held back from a channel, and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct QuarantinedItem {
    pub key: String,
    pub product_id: String,
    pub problems: Vec<reelcart_domain::catalog::Problem>,
    /// `validation` (our rules) or `platform` (the platform refused it).
    pub source: String,
    pub since: i64,
    /// For `platform`: the content hash that was refused (held until the content changes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hash: Option<String>,
}

/// The state of a channel's current or last sync run.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SyncRun {
    pub run_id: String,
    pub started_at: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<i64>,
    /// Items the plan held when the run (re)started.
    pub planned: usize,
    /// Items done (sent and recorded, or refused by the platform).
    pub done: usize,
    pub batches: usize,
    /// Seconds spent waiting for rate limits.
    pub waited_secs: u64,
    /// `running`, `incomplete` (stopped at its deadline; the next invocation resumes), `finished`,
    /// `failed`.
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
}

/// The store's catalog and, per channel, what was synced, what is quarantined, and the run.
pub trait CatalogStore: Send + Sync {
    /// Create or replace products.
    fn put_products(
        &self,
        products: &[reelcart_domain::catalog::Product],
    ) -> impl Future<Output = PortResult<()>> + Send;
    fn delete_products(&self, ids: &[String]) -> impl Future<Output = PortResult<()>> + Send;
    fn products(
        &self,
    ) -> impl Future<Output = PortResult<Vec<reelcart_domain::catalog::Product>>> + Send;
    /// One product by its id.
    fn product(
        &self,
        id: &str,
    ) -> impl Future<Output = PortResult<Option<reelcart_domain::catalog::Product>>> + Send;
    fn synced(
        &self,
        channel: reelcart_domain::catalog::Channel,
    ) -> impl Future<Output = PortResult<Vec<SyncedItem>>> + Send;
    /// Record items as synced (`put`) and forget deleted ones (`remove`).
    fn record_synced(
        &self,
        channel: reelcart_domain::catalog::Channel,
        put: &[SyncedItem],
        remove: &[String],
    ) -> impl Future<Output = PortResult<()>> + Send;
    fn quarantined(
        &self,
        channel: reelcart_domain::catalog::Channel,
    ) -> impl Future<Output = PortResult<Vec<QuarantinedItem>>> + Send;
    /// Quarantine `put`, release `release`.
    fn record_quarantine(
        &self,
        channel: reelcart_domain::catalog::Channel,
        put: &[QuarantinedItem],
        release: &[String],
    ) -> impl Future<Output = PortResult<()>> + Send;
    fn run(
        &self,
        channel: reelcart_domain::catalog::Channel,
    ) -> impl Future<Output = PortResult<Option<SyncRun>>> + Send;
    fn put_run(
        &self,
        channel: reelcart_domain::catalog::Channel,
        run: &SyncRun,
    ) -> impl Future<Output = PortResult<()>> + Send;
    /// Take the channel's sync lease (one run at a time) unless another owner holds an unexpired
    /// one; `true` when taken (or already held by `owner`).
    fn acquire_sync_lease(
        &self,
        channel: reelcart_domain::catalog::Channel,
        owner: &str,
        now: i64,
        lease_secs: i64,
    ) -> impl Future<Output = PortResult<bool>> + Send;
    /// Give the lease back (only if `owner` holds it).
    fn release_sync_lease(
        &self,
        channel: reelcart_domain::catalog::Channel,
        owner: &str,
    ) -> impl Future<Output = PortResult<()>> + Send;
}

#[derive(Debug, Default)]
struct CatalogState {
    products: BTreeMap<String, Product>,
    synced: BTreeMap<(Channel, String), SyncedItem>,
    quarantined: BTreeMap<(Channel, String), QuarantinedItem>,
    runs: BTreeMap<Channel, SyncRun>,
    leases: BTreeMap<Channel, (String, i64)>,
}

/// The catalog and its sync state in memory.
#[derive(Debug, Default, Clone)]
pub struct MemoryCatalog {
    state: Arc<Mutex<CatalogState>>,
}

impl CatalogStore for MemoryCatalog {
    async fn put_products(&self, products: &[Product]) -> PortResult<()> {
        let mut s = lock(&self.state);
        for p in products {
            s.products.insert(p.id.clone(), p.clone());
        }
        Ok(())
    }

    async fn delete_products(&self, ids: &[String]) -> PortResult<()> {
        let mut s = lock(&self.state);
        for id in ids {
            s.products.remove(id);
        }
        Ok(())
    }

    async fn products(&self) -> PortResult<Vec<Product>> {
        Ok(lock(&self.state).products.values().cloned().collect())
    }

    async fn product(&self, id: &str) -> PortResult<Option<Product>> {
        Ok(lock(&self.state).products.get(id).cloned())
    }

    async fn synced(&self, channel: Channel) -> PortResult<Vec<SyncedItem>> {
        Ok(lock(&self.state)
            .synced
            .iter()
            .filter(|((c, _), _)| *c == channel)
            .map(|(_, v)| v.clone())
            .collect())
    }

    async fn record_synced(
        &self,
        channel: Channel,
        put: &[SyncedItem],
        remove: &[String],
    ) -> PortResult<()> {
        let mut s = lock(&self.state);
        for item in put {
            s.synced.insert((channel, item.key.clone()), item.clone());
        }
        for key in remove {
            s.synced.remove(&(channel, key.clone()));
        }
        Ok(())
    }

    async fn quarantined(&self, channel: Channel) -> PortResult<Vec<QuarantinedItem>> {
        Ok(lock(&self.state)
            .quarantined
            .iter()
            .filter(|((c, _), _)| *c == channel)
            .map(|(_, v)| v.clone())
            .collect())
    }

    async fn record_quarantine(
        &self,
        channel: Channel,
        put: &[QuarantinedItem],
        release: &[String],
    ) -> PortResult<()> {
        let mut s = lock(&self.state);
        for item in put {
            s.quarantined
                .insert((channel, item.key.clone()), item.clone());
        }
        for key in release {
            s.quarantined.remove(&(channel, key.clone()));
        }
        Ok(())
    }

    async fn run(&self, channel: Channel) -> PortResult<Option<SyncRun>> {
        Ok(lock(&self.state).runs.get(&channel).cloned())
    }

    async fn put_run(&self, channel: Channel, run: &SyncRun) -> PortResult<()> {
        lock(&self.state).runs.insert(channel, run.clone());
        Ok(())
    }

    async fn acquire_sync_lease(
        &self,
        channel: Channel,
        owner: &str,
        now: i64,
        lease_secs: i64,
    ) -> PortResult<bool> {
        let mut s = lock(&self.state);
        match s.leases.get(&channel) {
            Some((holder, until)) if holder != owner && *until >= now => Ok(false),
            _ => {
                s.leases
                    .insert(channel, (owner.to_string(), now + lease_secs));
                Ok(true)
            }
        }
    }

    async fn release_sync_lease(&self, channel: Channel, owner: &str) -> PortResult<()> {
        let mut s = lock(&self.state);
        if s.leases
            .get(&channel)
            .is_some_and(|(holder, _)| holder == owner)
        {
            s.leases.remove(&channel);
        }
        Ok(())
    }
}

/// The contract suite every adapter of this port passes.
#[cfg(any(test, feature = "contract"))]
pub mod contract {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    /// A product of the contract suite (`ns` keeps runs apart).
    pub fn sample_product(ns: &str, i: usize) -> reelcart_domain::catalog::Product {
        use reelcart_domain::catalog::*;
        use std::str::FromStr;
        Product {
            id: format!("{ns}-p{i:05}"),
            title: format!("Product {i}"),
            description: "Plain text, «quoted» — and unicode.".into(),
            brand: Some("Acme".into()),
            link: format!("https://shop.example.com/products/{i}"),
            images: vec![Image {
                url: format!("https://cdn.example.com/{i}.jpg"),
                width: 1000,
                height: 1000,
            }],
            variants: vec![Variant {
                id: format!("v{i}"),
                sku: format!("{ns}-SKU-{i:05}"),
                options: vec![],
                price: Money {
                    amount: rust_decimal::Decimal::from_str("19.90").unwrap(),
                    currency: "USD".into(),
                },
                unit_cost: None,
                compare_at_price: None,
                inventory: i as i64,
                continue_selling: false,
                gtin: None,
                mpn: Some(format!("MPN{i}")),
                image: None,
                weight: None,
            }],
            status: ProductStatus::Active,
            tiktok_category_id: None,
            updated_at: 1_700_000_000,
        }
    }

    pub async fn catalog_store<S: CatalogStore>(store: &S, ns: &str) {
        use reelcart_domain::catalog::Channel;
        use reelcart_domain::catalog::diff::Hashes;
        let mine = |all: Vec<reelcart_domain::catalog::Product>| -> Vec<_> {
            all.into_iter().filter(|p| p.id.starts_with(ns)).collect()
        };
        // More than one batch write of 25, and more than one page is not needed to be correct.
        let products: Vec<_> = (0..60).map(|i| sample_product(ns, i)).collect();
        store.put_products(&products).await.unwrap();
        assert_eq!(
            store.product(&products[0].id).await.unwrap().as_ref(),
            Some(&products[0])
        );
        assert_eq!(store.product(&format!("{ns}-none")).await.unwrap(), None);
        let mut got = mine(store.products().await.unwrap());
        got.sort_by(|a, b| a.id.cmp(&b.id));
        assert_eq!(
            got, products,
            "products round-trip exactly (decimals included)"
        );
        let mut changed = products[3].clone();
        changed.title = "Changed".into();
        store
            .put_products(std::slice::from_ref(&changed))
            .await
            .unwrap();
        store
            .delete_products(&[products[0].id.clone(), products[1].id.clone()])
            .await
            .unwrap();
        let got = mine(store.products().await.unwrap());
        assert_eq!(got.len(), 58);
        assert!(got.iter().any(|p| p.title == "Changed"));

        let item = |k: &str| SyncedItem {
            key: format!("{ns}-{k}"),
            hashes: Hashes {
                content: "c".into(),
                price: Some("p".into()),
                inventory: None,
            },
            remote_id: Some("1729".into()),
            remote_skus: [("SKU".to_string(), "17290001".to_string())].into(),
            synced_at: 5,
        };
        let synced: Vec<_> = (0..30).map(|i| item(&format!("{i:02}"))).collect();
        store
            .record_synced(Channel::TiktokShop, &synced, &[])
            .await
            .unwrap();
        store
            .record_synced(Channel::Meta, &[item("meta-only")], &[])
            .await
            .unwrap();
        let tts: Vec<_> = store
            .synced(Channel::TiktokShop)
            .await
            .unwrap()
            .into_iter()
            .filter(|s| s.key.starts_with(ns))
            .collect();
        assert_eq!(tts.len(), 30, "channels are kept apart");
        assert!(tts.contains(&synced[7]));
        store
            .record_synced(Channel::TiktokShop, &[], &[synced[0].key.clone()])
            .await
            .unwrap();
        let n = store
            .synced(Channel::TiktokShop)
            .await
            .unwrap()
            .into_iter()
            .filter(|s| s.key.starts_with(ns))
            .count();
        assert_eq!(n, 29);

        let q = QuarantinedItem {
            key: format!("{ns}-bad"),
            product_id: format!("{ns}-p1"),
            problems: vec![reelcart_domain::catalog::Problem::new(
                "gtin",
                "gtin_check_digit",
                "GTIN check digit is 4; GS1 mod-10 gives 3",
            )],
            source: "validation".into(),
            since: 9,
            hash: None,
        };
        store
            .record_quarantine(Channel::Meta, std::slice::from_ref(&q), &[])
            .await
            .unwrap();
        let got: Vec<_> = store
            .quarantined(Channel::Meta)
            .await
            .unwrap()
            .into_iter()
            .filter(|x| x.key.starts_with(ns))
            .collect();
        assert_eq!(got, vec![q.clone()]);
        store
            .record_quarantine(Channel::Meta, &[], std::slice::from_ref(&q.key))
            .await
            .unwrap();
        assert!(
            !store
                .quarantined(Channel::Meta)
                .await
                .unwrap()
                .iter()
                .any(|x| x.key == q.key)
        );

        let run = SyncRun {
            run_id: format!("{ns}-run"),
            started_at: 1,
            planned: 10,
            done: 4,
            batches: 2,
            status: "incomplete".into(),
            ..SyncRun::default()
        };
        store.put_run(Channel::TiktokShop, &run).await.unwrap();
        assert_eq!(store.run(Channel::TiktokShop).await.unwrap(), Some(run));

        // One run per channel at a time; a crashed holder's lease expires; only the holder releases.
        let (a, b) = (format!("{ns}-a"), format!("{ns}-b"));
        let now = 1_800_000_000;
        // Leases are per store, not per namespace: start from a free lease.
        store.release_sync_lease(Channel::Meta, &a).await.unwrap();
        assert!(
            store
                .acquire_sync_lease(Channel::Meta, &a, now, 60)
                .await
                .unwrap()
        );
        assert!(
            !store
                .acquire_sync_lease(Channel::Meta, &b, now + 1, 60)
                .await
                .unwrap()
        );
        assert!(
            store
                .acquire_sync_lease(Channel::Meta, &a, now + 2, 60)
                .await
                .unwrap(),
            "renewed by its holder"
        );
        store.release_sync_lease(Channel::Meta, &b).await.unwrap();
        assert!(
            !store
                .acquire_sync_lease(Channel::Meta, &b, now + 3, 60)
                .await
                .unwrap(),
            "not released by another"
        );
        assert!(
            store
                .acquire_sync_lease(Channel::Meta, &b, now + 63, 60)
                .await
                .unwrap(),
            "expired"
        );
        store.release_sync_lease(Channel::Meta, &b).await.unwrap();
        assert!(
            store
                .acquire_sync_lease(Channel::Meta, &a, now + 64, 60)
                .await
                .unwrap(),
            "released"
        );
        store.release_sync_lease(Channel::Meta, &a).await.unwrap();
    }
}
