//! The contract suites against the in-memory fakes (the same suites run against AWS adapters on
//! the emulator in `tests/`).

use reelcart_ports::contract;
use reelcart_ports::memory::*;

#[tokio::test]
async fn memory_idempotency_meets_the_contract() {
    contract::idempotency_store(&MemoryIdempotency::default(), "t").await;
}

#[tokio::test]
async fn memory_queue_meets_the_contract() {
    let q = MemoryQueue::default();
    let sent = contract::message_queue(&q, "t").await;
    assert_eq!(q.messages(), sent);
}

#[tokio::test]
async fn memory_events_meet_the_contract() {
    contract::event_store(&MemoryEvents::default(), "t").await;
}

#[tokio::test]
async fn memory_blobs_meet_the_contract() {
    contract::blob_store(&MemoryBlobs::default(), "t").await;
}

#[tokio::test]
async fn memory_secrets_meet_the_contract() {
    let s = MemorySecrets::default();
    s.set("webhooks", "{\"k\":\"v\"}");
    contract::secret_source(&s, "webhooks", "{\"k\":\"v\"}", "nope").await;
}

#[tokio::test]
async fn memory_keys_meet_the_contract() {
    contract::key_service(&MemoryKeys::with_keys(&["k1", "k2"]), "k1", "k2").await;
}

#[tokio::test]
async fn memory_connections_meet_the_contract() {
    contract::connection_store(&MemoryConnections::default(), "t").await;
}

#[tokio::test]
async fn memory_pending_authorizations_meet_the_contract() {
    contract::pending_authorizations(&MemoryPendingAuthorizations::default(), "t").await;
}

#[tokio::test]
async fn memory_catalog_meets_the_contract() {
    contract::catalog_store(&MemoryCatalog::default(), "t").await;
}

#[tokio::test]
async fn memory_media_records_meet_the_contract() {
    contract::media_records(&MemoryMediaRecords::default(), "t").await;
}

#[tokio::test]
async fn memory_content_meets_the_contract() {
    contract::content_store(&MemoryContent::default(), "t").await;
}

#[tokio::test]
async fn memory_analytics_meets_the_contract() {
    contract::analytics_store(&reelcart_ports::memory::MemoryAnalytics::default(), "t").await;
}

#[tokio::test]
async fn memory_creators_meet_the_contract() {
    contract::creator_store(&reelcart_ports::memory::MemoryCreators::default(), "t").await;
}

#[tokio::test]
async fn rights_resting_on_the_same_consent_are_recorded_once() {
    use reelcart_domain::content::{Channel, Consent, RightsGrant};
    use reelcart_ports::RightsStore;
    let store = MemoryContent::default();
    let blobs = reelcart_ports::memory::MemoryBlobs::default();
    let grant = RightsGrant {
        item_id: "ugc_1".into(),
        license: "site".into(),
        channels: [Channel::Site].into(),
        starts_at: 1,
        expires_at: None,
        consent: Consent::PortalTerms {
            creator_id: "cr".into(),
            terms_version: "1".into(),
            accepted_at: 1,
        },
    };
    let a = reelcart_ports::record_rights_once(&store, &blobs, grant.clone(), "t", 1)
        .await
        .unwrap();
    let b = reelcart_ports::record_rights_once(&store, &blobs, grant, "t", 2)
        .await
        .unwrap();
    assert_eq!(a, b);
    assert_eq!(store.rights("ugc_1").await.unwrap().len(), 1);
    assert_eq!(blobs.keys().len(), 1);
}

#[tokio::test]
async fn memory_event_bus_meets_the_contract() {
    let bus = MemoryEventBus::default();
    let sent = contract::event_bus(&bus, "t").await;
    assert_eq!(bus.published(), sent);
}

#[tokio::test]
async fn memory_cdn_meets_the_contract() {
    let cdn = MemoryCdn::default();
    let sent = contract::cdn_invalidator(&cdn, "t").await;
    assert_eq!(cdn.calls(), sent);
}
