#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
use super::*;
use reelcart_domain::FixedClock;
use reelcart_domain::content::{Consent, MediaType, Source, UgcItem};
use reelcart_ports::memory::{MemoryCdn, MemoryContent};
use reelcart_ports::{ItemStore, RightsStore};

const NOW: i64 = 1_780_000_000;

fn item(n: usize) -> UgcItem {
    UgcItem {
        status: Status::Published,
        shoppable: false,
        created_at: NOW - 1000,
        ..UgcItem::new(
            Source::InstagramMention,
            &n.to_string(),
            MediaType::Video,
            "",
            NOW - 1000 + n as i64,
        )
    }
}

fn rights(
    item: &UgcItem,
    channels: &[Channel],
    expires: Option<i64>,
    revoked: Option<i64>,
) -> Rights {
    Rights {
        id: format!("r-{}", item.id),
        item_id: item.id.clone(),
        license: "site".into(),
        channels: channels.iter().copied().collect(),
        starts_at: NOW - 5000,
        expires_at: expires,
        revoked_at: revoked,
        consent: Consent::PortalTerms {
            creator_id: "c".into(),
            terms_version: "1".into(),
            accepted_at: NOW - 5000,
        },
        artifact_key: "consent/x.json".into(),
    }
}

fn enforcer() -> Enforcer<MemoryContent, MemoryCdn> {
    Enforcer {
        content: MemoryContent::default(),
        cdn: MemoryCdn::default(),
        media: None,
        grace_secs: 7 * 86_400,
        clock: Arc::new(FixedClock::at(NOW)),
    }
}

#[tokio::test]
async fn items_without_valid_site_rights_are_archived_and_invalidated() {
    let e = enforcer();
    let items: Vec<UgcItem> = (0..5).map(item).collect();
    for i in &items {
        e.content.create_item(i).await.unwrap();
    }
    e.content
        .put_rights(&rights(&items[0], &[Channel::Site], Some(NOW + 100), None))
        .await
        .unwrap();
    e.content
        .put_rights(&rights(&items[1], &[Channel::Site], Some(NOW - 1), None))
        .await
        .unwrap();
    e.content
        .put_rights(&rights(&items[2], &[Channel::Site], None, Some(NOW - 60)))
        .await
        .unwrap();
    e.content
        .put_rights(&rights(&items[3], &[Channel::Email], None, None))
        .await
        .unwrap();
    // items[4]: no rights at all.

    let report = e.run().await.unwrap();
    assert_eq!(report.checked, 5);
    let got: Vec<(String, String)> = report
        .archived
        .iter()
        .map(|a| (a.item_id.clone(), a.reason.clone()))
        .collect();
    assert_eq!(
        got,
        [
            (
                items[1].id.clone(),
                format!("rights expired at {}", NOW - 1)
            ),
            (
                items[2].id.clone(),
                format!("rights revoked at {}", NOW - 60)
            ),
            (
                items[3].id.clone(),
                "no rights valid for the site channel".to_string()
            ),
            (
                items[4].id.clone(),
                "no rights valid for the site channel".to_string()
            ),
        ]
    );
    assert_eq!(
        e.content.item(&items[0].id).await.unwrap().unwrap().status,
        Status::Published
    );
    for i in &items[1..] {
        assert_eq!(
            e.content.item(&i.id).await.unwrap().unwrap().status,
            Status::Archived
        );
        let audit = e.content.audit(&i.id).await.unwrap();
        assert_eq!(audit.len(), 1);
        assert_eq!(audit[0].actor, ACTOR);
        assert_eq!(
            (audit[0].from, audit[0].to),
            (Status::Published, Status::Archived)
        );
    }
    let calls = e.cdn.calls();
    assert_eq!(calls.len(), 1);
    assert_eq!(
        calls[0],
        items[1..]
            .iter()
            .map(|i| format!("/media/{}/*", i.id))
            .collect::<Vec<_>>()
    );
    assert!(report.invalidation.is_some());

    // The next run has nothing to do and invalidates nothing.
    let again = e.run().await.unwrap();
    assert_eq!(
        (again.checked, again.archived.len(), again.invalidation),
        (1, 0, None)
    );
    assert_eq!(e.cdn.calls().len(), 1);
}

#[tokio::test]
async fn many_expiries_invalidate_all_media_at_once() {
    let e = enforcer();
    for n in 0..(MAX_WILDCARDS + 1) {
        e.content.create_item(&item(n)).await.unwrap();
    }
    let report = e.run().await.unwrap();
    assert_eq!(report.archived.len(), MAX_WILDCARDS + 1);
    assert_eq!(e.cdn.calls(), [vec!["/media/*".to_string()]]);
}

/// A CDN that fails once, then records.
#[derive(Default)]
struct FlakyCdn {
    failed: std::sync::atomic::AtomicBool,
    inner: MemoryCdn,
}

impl CdnInvalidator for FlakyCdn {
    async fn invalidate(&self, paths: &[String]) -> reelcart_ports::PortResult<String> {
        if !self.failed.swap(true, std::sync::atomic::Ordering::SeqCst) {
            return Err(PortError::unavailable("cdn", "outage"));
        }
        self.inner.invalidate(paths).await
    }
}

#[tokio::test]
async fn a_failed_invalidation_leaves_the_item_for_the_next_run() {
    let e = Enforcer {
        content: MemoryContent::default(),
        cdn: FlakyCdn::default(),
        media: None,
        grace_secs: 7 * 86_400,
        clock: Arc::new(FixedClock::at(NOW)),
    };
    let it = item(1);
    e.content.create_item(&it).await.unwrap();
    // The run fails, naming the item and why (Lambda counts the error; the next run retries).
    match e.run().await {
        Err(Error::Incomplete { report, failures }) => {
            assert!(report.archived.is_empty());
            assert_eq!(failures.len(), 1);
            assert_eq!(failures[0].item_id, it.id);
            assert!(failures[0].error.contains("cdn"), "{:?}", failures[0]);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        e.content.item(&it.id).await.unwrap().unwrap().status,
        Status::Published
    );
    let report = e.run().await.unwrap();
    assert_eq!(report.archived.len(), 1);
    assert_eq!(e.cdn.inner.calls(), [vec![format!("/media/{}/*", it.id)]]);
    assert_eq!(
        e.content.item(&it.id).await.unwrap().unwrap().status,
        Status::Archived
    );
}
