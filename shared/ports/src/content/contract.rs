//! The contract suite every adapter of the content store passes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::ContentStore;

pub async fn content_store<S: ContentStore>(store: &S, ns: &str) {
    use reelcart_domain::content::blocklist::{Blocklist, OnHit};
    use reelcart_domain::content::*;
    let now = 1_700_000_000;
    let item = |n: usize, at: i64| UgcItem {
        media_key: Some(format!("ugc/{ns}/{n}.mp4")),
        permalink: Some(format!("https://www.instagram.com/p/{ns}{n}/")),
        ..UgcItem::new(
            Source::InstagramHashtag,
            &format!("{ns}-{n}"),
            MediaType::Video,
            &format!("post {n} #acme"),
            at,
        )
    };
    // Created once; the same (source, external id) again is refused.
    let items: Vec<UgcItem> = (0..5).map(|n| item(n, now + n as i64)).collect();
    for i in &items {
        assert!(store.create_item(i).await.unwrap());
    }
    assert!(!store.create_item(&items[0]).await.unwrap());
    assert_eq!(
        store.item(&items[2].id).await.unwrap().as_ref(),
        Some(&items[2])
    );
    assert_eq!(store.item(&format!("{ns}-none")).await.unwrap(), None);

    // A transition is written with its audit entry, once.
    let mut reviewing = items[0].clone();
    reviewing.status = Status::Reviewing;
    reviewing.updated_at = now + 100;
    let entry = AuditEntry {
        item_id: reviewing.id.clone(),
        actor: "mod-1".into(),
        from: Status::Queued,
        to: Status::Reviewing,
        reason: None,
        at: now + 100,
    };
    assert!(store.record_transition(&reviewing, &entry).await.unwrap());
    assert!(
        !store.record_transition(&reviewing, &entry).await.unwrap(),
        "stale from-state"
    );
    assert_eq!(store.audit(&reviewing.id).await.unwrap(), vec![entry]);
    assert_eq!(
        store.item(&reviewing.id).await.unwrap().unwrap().status,
        Status::Reviewing
    );

    // The queue pages through the rest, oldest first (other tests' items may share the store).
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = store
            .items_by_status(Status::Queued, 2, cursor.as_deref())
            .await
            .unwrap();
        assert!(page.items.len() <= 2);
        seen.extend(
            page.items
                .into_iter()
                .filter(|i| i.external_id.starts_with(&format!("{ns}-")))
                .map(|i| i.id),
        );
        match page.cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    let expected: Vec<String> = items[1..].iter().map(|i| i.id.clone()).collect();
    assert_eq!(seen, expected);

    // Rights and mappings by item.
    let rights = Rights {
        id: "r1".into(),
        item_id: items[1].id.clone(),
        license: "social-and-site".into(),
        channels: [Channel::Site, Channel::Email].into_iter().collect(),
        starts_at: now,
        expires_at: Some(now + 86_400),
        revoked_at: None,
        consent: Consent::PortalTerms {
            creator_id: "cr-1".into(),
            terms_version: "2026-01".into(),
            accepted_at: now,
        },
        artifact_key: format!("consent/{}/r1.json", items[1].id),
    };
    store.put_rights(&rights).await.unwrap();
    assert_eq!(store.rights(&items[1].id).await.unwrap(), vec![rights]);
    assert!(store.rights(&items[2].id).await.unwrap().is_empty());
    let m = ProductMapping {
        sku: "TEE-BLK-M".into(),
        placement: "pdp".into(),
        confidence: 0.9,
        pinned: true,
    };
    store.put_mapping(&items[1].id, &m).await.unwrap();
    store
        .put_mapping(
            &items[1].id,
            &ProductMapping {
                placement: "home".into(),
                ..m.clone()
            },
        )
        .await
        .unwrap();
    assert_eq!(store.mappings(&items[1].id).await.unwrap().len(), 2);
    assert!(
        store
            .delete_mapping(&items[1].id, "home", "TEE-BLK-M")
            .await
            .unwrap()
    );
    assert!(
        !store
            .delete_mapping(&items[1].id, "home", "TEE-BLK-M")
            .await
            .unwrap()
    );
    assert_eq!(store.mappings(&items[1].id).await.unwrap(), vec![m]);

    let b = Blocklist {
        words: vec!["spam".into()],
        handles: vec!["bot".into()],
        on_hit: OnHit::Reject,
    };
    store.put_blocklist(&b).await.unwrap();
    assert_eq!(store.blocklist().await.unwrap(), b);

    // Rights requests: per item, replaced by id.
    use reelcart_domain::content::rights_request::*;
    let mut request = RightsRequest {
        id: format!("rq-{ns}"),
        item_id: items[2].id.clone(),
        media_id: format!("m-{ns}"),
        permalink: None,
        hashtag: "#YesAcme".into(),
        brand_handle: "acme".into(),
        text: "May we?".into(),
        terms: Terms {
            license: "social".into(),
            channels: [Channel::Site].into(),
            duration_days: Some(30),
        },
        delivery: Delivery::Manual,
        state: RequestState::Pending,
        requested_by: "mod".into(),
        requested_at: now,
    };
    assert!(
        store
            .rights_requests(&items[2].id)
            .await
            .unwrap()
            .is_empty()
    );
    store.put_rights_request(&request).await.unwrap();
    // Posting its comment is claimed once: a second claim (a redelivery) is refused until the
    // request is written again; a request that does not exist cannot be claimed.
    let claim = |id: String| {
        let (store, item) = (&store, items[2].id.clone());
        async move {
            store
                .claim_rights_request_post(&item, &id, now)
                .await
                .unwrap()
        }
    };
    assert!(claim(request.id.clone()).await);
    assert!(!claim(request.id.clone()).await);
    assert!(!claim(format!("rq-none-{ns}")).await);
    store.put_rights_request(&request).await.unwrap();
    assert!(claim(request.id.clone()).await);
    request.state = RequestState::Granted {
        rights_id: "r1".into(),
        at: now + 5,
    };
    store.put_rights_request(&request).await.unwrap();
    assert_eq!(
        store.rights_requests(&items[2].id).await.unwrap(),
        vec![request]
    );
    assert!(
        store
            .rights_requests(&items[1].id)
            .await
            .unwrap()
            .is_empty()
    );

    let mut budget = store.hashtag_budget().await.unwrap();
    budget.admit(&format!("#{ns}"), now).unwrap();
    budget.ids.insert(ns.to_lowercase(), "178431".into());
    store.put_hashtag_budget(&budget).await.unwrap();
    assert_eq!(store.hashtag_budget().await.unwrap(), budget);

    // A creator's items, newest first, and only theirs; an item's transition keeps it listed.
    let creator = format!("cr-{ns}");
    for n in 10..13 {
        let mut i = UgcItem::new(
            Source::Upload,
            &format!("{ns}-{n}"),
            MediaType::Video,
            "mine",
            now + n as i64,
        );
        i.author.creator_id = Some(creator.clone());
        assert!(store.create_item(&i).await.unwrap());
    }
    // Another source naming the same account (a platform's id) is not the creator's upload.
    let mut tagged = item(13, now + 13);
    tagged.author.creator_id = Some(creator.clone());
    assert!(store.create_item(&tagged).await.unwrap());
    let mine = store.items_by_creator(&creator, 50).await.unwrap();
    assert_eq!(
        mine.iter()
            .map(|i| i.external_id.clone())
            .collect::<Vec<_>>(),
        [format!("{ns}-12"), format!("{ns}-11"), format!("{ns}-10")]
    );
    let mut moved = mine[1].clone();
    moved.status = Status::Approved;
    moved.updated_at = now + 500;
    let entry = AuditEntry {
        item_id: moved.id.clone(),
        actor: "mod-1".into(),
        from: Status::Queued,
        to: Status::Approved,
        reason: None,
        at: now + 500,
    };
    assert!(store.record_transition(&moved, &entry).await.unwrap());
    let mine = store.items_by_creator(&creator, 2).await.unwrap();
    assert_eq!(mine.len(), 2);
    assert_eq!(mine[1].status, Status::Approved);
    assert!(
        store
            .items_by_creator(&format!("other-{ns}"), 50)
            .await
            .unwrap()
            .is_empty()
    );
}
