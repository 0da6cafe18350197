#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
use super::*;
use reelcart_domain::FixedClock;
use reelcart_domain::content::{
    Channel, Consent, MediaType, ProductMapping, Rights, Source, UgcItem,
};
use reelcart_ports::memory::{MemoryContent, MemoryMediaVisibility};
use reelcart_ports::{ItemStore, MappingStore, RightsStore};

const NOW: i64 = 1_780_000_000;

fn approved(n: usize, publish_at: Option<i64>) -> UgcItem {
    UgcItem {
        status: Status::Approved,
        publish_at,
        ..UgcItem::new(
            Source::Upload,
            &n.to_string(),
            MediaType::Video,
            "",
            NOW - 100 + n as i64,
        )
    }
}

fn site_rights(item: &UgcItem) -> Rights {
    Rights {
        id: "r".into(),
        item_id: item.id.clone(),
        license: "site".into(),
        channels: [Channel::Site].into_iter().collect(),
        starts_at: NOW - 1000,
        expires_at: None,
        revoked_at: None,
        consent: Consent::PortalTerms {
            creator_id: "c".into(),
            terms_version: "1".into(),
            accepted_at: NOW - 1000,
        },
        artifact_key: "consent/r.json".into(),
    }
}

#[tokio::test]
async fn due_items_publish_only_when_they_may() {
    let p = Publisher {
        content: MemoryContent::default(),
        visibility: MemoryMediaVisibility::default(),
        clock: Arc::new(FixedClock::at(NOW)),
    };
    let ready = approved(0, Some(NOW - 1));
    let later = approved(1, Some(NOW + 3600));
    let undated = approved(2, None);
    let no_rights = approved(3, Some(NOW - 1));
    for i in [&ready, &later, &undated, &no_rights] {
        p.content.create_item(i).await.unwrap();
        p.content
            .put_mapping(
                &i.id,
                &ProductMapping {
                    sku: "S".into(),
                    placement: "pdp".into(),
                    confidence: 1.0,
                    pinned: false,
                },
            )
            .await
            .unwrap();
    }
    for i in [&ready, &later, &undated] {
        p.content.put_rights(&site_rights(i)).await.unwrap();
    }
    let report = p.run().await.unwrap();
    assert_eq!(report.due, 2);
    assert_eq!(report.published, vec![ready.id.clone()]);
    assert_eq!(report.held.len(), 1);
    assert_eq!(report.held[0].0, no_rights.id);
    assert!(
        report.held[0].1.contains("no rights"),
        "{}",
        report.held[0].1
    );
    assert_eq!(
        p.content.item(&ready.id).await.unwrap().unwrap().status,
        Status::Published
    );
    assert_eq!(p.content.audit(&ready.id).await.unwrap()[0].actor, ACTOR);
    for i in [&later, &undated, &no_rights] {
        assert_eq!(
            p.content.item(&i.id).await.unwrap().unwrap().status,
            Status::Approved
        );
    }
    // Only the published item's media is open to the CDN; the one held was opened for the
    // attempt and closed again.
    assert!(p.visibility.is_public(&ready.id));
    assert!(!p.visibility.is_public(&no_rights.id));
    assert!(!p.visibility.is_public(&later.id));
    // Nothing is published twice.
    assert!(p.run().await.unwrap().published.is_empty());
}
