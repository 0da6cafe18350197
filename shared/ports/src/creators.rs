//! Creators, their links and their product requests.

use crate::{PortResult, lock};
use std::collections::BTreeMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

/// Creators and their links.
pub trait CreatorStore: Send + Sync {
    fn creator(
        &self,
        id: &str,
    ) -> impl Future<Output = PortResult<Option<reelcart_domain::creator::Creator>>> + Send;
    fn put_creator(
        &self,
        creator: &reelcart_domain::creator::Creator,
    ) -> impl Future<Output = PortResult<()>> + Send;
    fn put_link(
        &self,
        link: &reelcart_domain::creator::Link,
    ) -> impl Future<Output = PortResult<()>> + Send;
    /// A link by its id (what a short code names).
    fn link(
        &self,
        id: &str,
    ) -> impl Future<Output = PortResult<Option<reelcart_domain::creator::Link>>> + Send;
    /// A creator's links, oldest first.
    fn links(
        &self,
        creator_id: &str,
    ) -> impl Future<Output = PortResult<Vec<reelcart_domain::creator::Link>>> + Send;
    /// Every creator's profile (the brand's reports), by id.
    fn creators(
        &self,
    ) -> impl Future<Output = PortResult<Vec<reelcart_domain::creator::Creator>>> + Send;
    /// Write a product request if the stored one is in `expected` status (`None`: if there is
    /// none yet); `false` (nothing written) otherwise.
    fn put_product_request(
        &self,
        request: &reelcart_domain::creator::ProductRequest,
        expected: Option<reelcart_domain::creator::RequestStatus>,
    ) -> impl Future<Output = PortResult<bool>> + Send;
    fn product_request(
        &self,
        creator_id: &str,
        id: &str,
    ) -> impl Future<Output = PortResult<Option<reelcart_domain::creator::ProductRequest>>> + Send;
    /// One creator's requests (`Some`), or every creator's (`None`), oldest first.
    fn product_requests(
        &self,
        creator_id: Option<&str>,
    ) -> impl Future<Output = PortResult<Vec<reelcart_domain::creator::ProductRequest>>> + Send;
    /// Take one of the `limit` uploads `creator_id` may start on `day`, atomically: `false` when
    /// every one is taken. The day's count is kept until `expires_at` (unix seconds).
    fn take_upload(
        &self,
        creator_id: &str,
        day: &str,
        limit: u32,
        expires_at: i64,
    ) -> impl Future<Output = PortResult<bool>> + Send;
}

type CreatorsState = (
    BTreeMap<String, reelcart_domain::creator::Creator>,
    BTreeMap<String, reelcart_domain::creator::Link>,
    BTreeMap<(String, String), reelcart_domain::creator::ProductRequest>,
    BTreeMap<(String, String), u32>,
);

/// Creators and links in memory.
#[derive(Debug, Default, Clone)]
pub struct MemoryCreators {
    state: Arc<Mutex<CreatorsState>>,
}

impl crate::CreatorStore for MemoryCreators {
    async fn take_upload(
        &self,
        creator_id: &str,
        day: &str,
        limit: u32,
        _expires_at: i64,
    ) -> PortResult<bool> {
        let mut s = lock(&self.state);
        let taken =
            s.3.entry((creator_id.to_string(), day.to_string()))
                .or_default();
        if *taken >= limit {
            return Ok(false);
        }
        *taken += 1;
        Ok(true)
    }

    async fn creator(&self, id: &str) -> PortResult<Option<reelcart_domain::creator::Creator>> {
        Ok(lock(&self.state).0.get(id).cloned())
    }

    async fn put_creator(&self, creator: &reelcart_domain::creator::Creator) -> PortResult<()> {
        lock(&self.state)
            .0
            .insert(creator.id.clone(), creator.clone());
        Ok(())
    }

    async fn put_link(&self, link: &reelcart_domain::creator::Link) -> PortResult<()> {
        lock(&self.state).1.insert(link.id.clone(), link.clone());
        Ok(())
    }

    async fn link(&self, id: &str) -> PortResult<Option<reelcart_domain::creator::Link>> {
        Ok(lock(&self.state).1.get(id).cloned())
    }

    async fn links(&self, creator_id: &str) -> PortResult<Vec<reelcart_domain::creator::Link>> {
        let mut v: Vec<_> = lock(&self.state)
            .1
            .values()
            .filter(|l| l.creator_id == creator_id)
            .cloned()
            .collect();
        v.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
        Ok(v)
    }

    async fn creators(&self) -> PortResult<Vec<reelcart_domain::creator::Creator>> {
        Ok(lock(&self.state).0.values().cloned().collect())
    }

    async fn put_product_request(
        &self,
        request: &reelcart_domain::creator::ProductRequest,
        expected: Option<reelcart_domain::creator::RequestStatus>,
    ) -> PortResult<bool> {
        let mut s = lock(&self.state);
        let key = (request.creator_id.clone(), request.id.clone());
        if s.2.get(&key).map(|r| r.status) != expected {
            return Ok(false);
        }
        s.2.insert(key, request.clone());
        Ok(true)
    }

    async fn product_request(
        &self,
        creator_id: &str,
        id: &str,
    ) -> PortResult<Option<reelcart_domain::creator::ProductRequest>> {
        Ok(lock(&self.state)
            .2
            .get(&(creator_id.to_string(), id.to_string()))
            .cloned())
    }

    async fn product_requests(
        &self,
        creator_id: Option<&str>,
    ) -> PortResult<Vec<reelcart_domain::creator::ProductRequest>> {
        let mut v: Vec<_> = lock(&self.state)
            .2
            .values()
            .filter(|r| creator_id.is_none_or(|c| r.creator_id == c))
            .cloned()
            .collect();
        v.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(v)
    }
}

/// The contract suite every adapter of this port passes.
#[cfg(any(test, feature = "contract"))]
pub mod contract {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    /// Creators: profiles round-trip (payout details included), links by id and by creator.
    pub async fn creator_store<S: crate::CreatorStore>(store: &S, ns: &str) {
        use reelcart_domain::creator::*;
        let id = format!("cr-{ns}");
        assert!(store.creator(&id).await.unwrap().is_none());
        let mut c = Creator {
            id: id.clone(),
            display_name: "Maya".into(),
            handles: [("instagram".to_string(), "maya.makes".to_string())].into(),
            commission_rate: rust_decimal::Decimal::new(1, 1),
            commission_basis: Default::default(),
            campaign_commissions: Default::default(),
            terms: None,
            payout: PayoutDetails(
                [("iban".to_string(), "DE89370400440532013000".to_string())].into(),
            ),
            created_at: 1,
            updated_at: 1,
        };
        store.put_creator(&c).await.unwrap();
        c.terms = Some(AcceptedTerms {
            version: "2026-11".into(),
            accepted_at: 2,
        });
        store.put_creator(&c).await.unwrap();
        assert_eq!(store.creator(&id).await.unwrap(), Some(c));
        for (n, at) in [(2, 20), (1, 10)] {
            store
                .put_link(&Link {
                    id: format!("L{n}{ns}"),
                    creator_id: id.clone(),
                    sku: "TEE".into(),
                    target: "https://shop.example/products/tee".into(),
                    campaign: None,
                    created_at: at,
                })
                .await
                .unwrap();
        }
        let links = store.links(&id).await.unwrap();
        assert_eq!(
            links.iter().map(|l| l.id.as_str()).collect::<Vec<_>>(),
            [format!("L1{ns}"), format!("L2{ns}")]
        );
        assert_eq!(
            store.link(&format!("L2{ns}")).await.unwrap(),
            Some(links[1].clone())
        );
        assert!(store.link("nope").await.unwrap().is_none());
        assert!(
            store
                .links(&format!("other-{ns}"))
                .await
                .unwrap()
                .is_empty()
        );
        assert!(store.creators().await.unwrap().iter().any(|x| x.id == id));

        // Product requests: created once, then moved only from the status the writer read.
        let mut r = ProductRequest {
            id: new_request_id(100),
            creator_id: id.clone(),
            sku: "TEE".into(),
            product_title: "Tee".into(),
            note: "size M".into(),
            status: RequestStatus::Requested,
            decision_note: None,
            created_at: 100,
            updated_at: 100,
        };
        assert!(store.put_product_request(&r, None).await.unwrap());
        assert!(!store.put_product_request(&r, None).await.unwrap());
        r.status = RequestStatus::Approved;
        assert!(
            !store
                .put_product_request(&r, Some(RequestStatus::Approved))
                .await
                .unwrap()
        );
        assert!(
            store
                .put_product_request(&r, Some(RequestStatus::Requested))
                .await
                .unwrap()
        );
        assert_eq!(
            store.product_request(&id, &r.id).await.unwrap(),
            Some(r.clone())
        );
        assert_eq!(
            store.product_requests(Some(&id)).await.unwrap(),
            [r.clone()]
        );
        assert!(store.product_requests(None).await.unwrap().contains(&r));
        assert!(
            store
                .product_requests(Some(&format!("other-{ns}")))
                .await
                .unwrap()
                .is_empty()
        );
    }
}
