//! Contract suites: every adapter of a port runs these, against the fake and against the real
//! service (the AWS emulator), with a namespace unique to the test run so suites can run in parallel.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::{
    BlobStore, CatalogStore, Claim, ConnectionStore, ContentStore, EventStore, IdempotencyStore,
    KeyService, MediaRecords, MessageQueue, PendingAuthorization, PendingAuthorizations,
    QuarantinedItem, SecretSource, StoredConnection, StoredEvent, SyncRun, SyncedItem,
};
use bytes::Bytes;
use reelcart_domain::event::{DomainEvent, EventKind};
use reelcart_domain::webhook::Platform;
use secrecy::ExposeSecret;

pub async fn idempotency_store<S: IdempotencyStore>(store: &S, ns: &str) {
    let key = format!("{ns}#a");
    let now = 1_700_000_000;
    // Fresh key: acquired; again while pending: in flight.
    assert_eq!(
        store.claim(&key, now, 30, 3600).await.unwrap(),
        Claim::Acquired
    );
    assert_eq!(
        store.claim(&key, now + 1, 30, 3600).await.unwrap(),
        Claim::InFlight
    );
    // Completed: every later claim is a duplicate until the TTL passes.
    store.complete(&key, now + 2).await.unwrap();
    assert_eq!(
        store.claim(&key, now + 3, 30, 3600).await.unwrap(),
        Claim::Done
    );
    assert_eq!(
        store.claim(&key, now + 3000, 30, 3600).await.unwrap(),
        Claim::Done
    );
    // After the TTL the key counts as absent even if the store has not deleted it yet.
    assert_eq!(
        store.claim(&key, now + 3601, 30, 3600).await.unwrap(),
        Claim::Acquired
    );

    // A released claim can be acquired again at once.
    let key = format!("{ns}#b");
    assert_eq!(
        store.claim(&key, now, 30, 3600).await.unwrap(),
        Claim::Acquired
    );
    store.release(&key).await.unwrap();
    assert_eq!(
        store.claim(&key, now, 30, 3600).await.unwrap(),
        Claim::Acquired
    );

    // A pending claim whose lease ran out (owner crashed) is taken over.
    let key = format!("{ns}#c");
    assert_eq!(
        store.claim(&key, now, 30, 3600).await.unwrap(),
        Claim::Acquired
    );
    assert_eq!(
        store.claim(&key, now + 30, 30, 3600).await.unwrap(),
        Claim::InFlight
    );
    assert_eq!(
        store.claim(&key, now + 31, 30, 3600).await.unwrap(),
        Claim::Acquired
    );

    // Releasing a completed key does not undo the completion.
    let key = format!("{ns}#d");
    store.claim(&key, now, 30, 3600).await.unwrap();
    store.complete(&key, now).await.unwrap();
    store.release(&key).await.unwrap();
    assert_eq!(store.claim(&key, now, 30, 3600).await.unwrap(), Claim::Done);

    // Concurrent claims of one key: exactly one wins.
    let key = format!("{ns}#race");
    let results =
        futures::future::join_all((0..16).map(|_| store.claim(&key, now, 30, 3600))).await;
    let acquired = results
        .iter()
        .filter(|r| matches!(r, Ok(Claim::Acquired)))
        .count();
    assert_eq!(acquired, 1, "{results:?}");
}

/// `received` reads back what the queue holds (the suite cannot know how for each adapter).
pub async fn message_queue<Q: MessageQueue>(queue: &Q, ns: &str) -> Vec<String> {
    let bodies = [format!("{ns}-1"), format!("{{\"n\":\"{ns}\",\"ü\":\"✓\"}}")];
    let mut ids = Vec::new();
    for b in &bodies {
        ids.push(queue.send(b).await.unwrap());
    }
    assert_eq!(ids.len(), 2);
    assert_ne!(ids[0], ids[1], "message ids must be distinct");
    bodies.to_vec()
}

fn event(ns: &str, n: i64, kind: EventKind) -> StoredEvent {
    StoredEvent {
        event: DomainEvent {
            id: format!("{ns}#evt{n}"),
            kind,
            platform: Platform::Shopify,
            topic: Some("orders/create".into()),
            account: Some("acme.myshopify.com".into()),
            subject: Some(n.to_string()),
            received_at: 1_700_000_000 + n,
            data: serde_json::json!({"id": n, "nested": {"list": [1, "two", null], "price": "9.99"}}),
        },
        routed_to: "orders".into(),
        processed_at: 1_700_000_100,
    }
}

pub async fn event_store<S: EventStore>(store: &S, ns: &str) {
    let e1 = event(ns, 1, EventKind::OrderCreated);
    assert_eq!(store.get(&e1.event.id).await.unwrap(), None);
    assert!(store.insert(&e1).await.unwrap());
    assert_eq!(store.get(&e1.event.id).await.unwrap(), Some(e1.clone()));
    // A second insert with the same id changes nothing.
    let mut changed = e1.clone();
    changed.routed_to = "catalog".into();
    assert!(!store.insert(&changed).await.unwrap());
    assert_eq!(
        store.get(&e1.event.id).await.unwrap().unwrap().routed_to,
        "orders"
    );

    // Listing by kind: newest first. Kinds are a closed set shared with suites running in
    // parallel, so look only at this run's namespace.
    for n in 2..=4 {
        store
            .insert(&event(ns, n, EventKind::Unknown))
            .await
            .unwrap();
    }
    let listed: Vec<String> = store
        .list_by_kind("unknown", 1000)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.event.id.starts_with(ns))
        .map(|e| e.event.id)
        .collect();
    assert_eq!(
        listed,
        [
            format!("{ns}#evt4"),
            format!("{ns}#evt3"),
            format!("{ns}#evt2")
        ]
    );
}

pub async fn blob_store<B: BlobStore>(blobs: &B, ns: &str) {
    let key = format!("{ns}/dir/object name+ü.json");
    assert_eq!(blobs.get(&key).await.unwrap(), None);
    let body = Bytes::from_static(b"{\"a\":1}");
    blobs
        .put(&key, body.clone(), "application/json")
        .await
        .unwrap();
    assert_eq!(blobs.get(&key).await.unwrap(), Some(body));
    // Overwrite is allowed and wins.
    blobs
        .put(&key, Bytes::from_static(b"2"), "application/json")
        .await
        .unwrap();
    assert_eq!(
        blobs.get(&key).await.unwrap(),
        Some(Bytes::from_static(b"2"))
    );
}

/// `id` must hold `expected`; `missing` must not exist.
pub async fn secret_source<S: SecretSource>(secrets: &S, id: &str, expected: &str, missing: &str) {
    let s = secrets.secret(id).await.unwrap();
    assert_eq!(s.expose_secret(), expected);
    let err = secrets.secret(missing).await.unwrap_err();
    assert!(
        !err.to_string().contains(expected),
        "error must not echo secret values"
    );
}

/// `key_a` and `key_b` must be two existing keys.
pub async fn key_service<K: KeyService>(keys: &K, key_a: &str, key_b: &str) {
    let a = keys.generate_data_key(key_a).await.unwrap();
    assert_eq!(a.plaintext.expose_secret().len(), 32, "256-bit data keys");
    assert_ne!(
        a.wrapped.as_slice(),
        a.plaintext.expose_secret(),
        "the wrapped key is not the key"
    );
    let back = keys.decrypt_data_key(&a.wrapped).await.unwrap();
    assert_eq!(back.plaintext.expose_secret(), a.plaintext.expose_secret());
    assert_eq!(
        back.key_id, a.key_id,
        "decrypt names the key that wrapped it"
    );
    let b = keys.generate_data_key(key_b).await.unwrap();
    assert_ne!(b.key_id, a.key_id);
    assert_ne!(b.plaintext.expose_secret(), a.plaintext.expose_secret());
    assert_eq!(
        keys.decrypt_data_key(&b.wrapped).await.unwrap().key_id,
        b.key_id
    );
    assert!(keys.decrypt_data_key(b"not a wrapped key").await.is_err());
    assert!(keys.generate_data_key("no-such-key-7d1c").await.is_err());
    // Debug output never shows key material.
    assert!(!format!("{a:?}").contains(&format!("{:?}", a.plaintext.expose_secret())));
}

fn connection(ns: &str) -> StoredConnection {
    use reelcart_domain::connection::{Connection, ConnectionStatus, OAuthPlatform, Sealed};
    StoredConnection {
        connection: Connection {
            id: format!("{ns}#tiktok-shop#7494049642642441621"),
            platform: OAuthPlatform::TiktokShop,
            account_id: "7494049642642441621".into(),
            scopes: vec!["seller.order.info".into(), "seller.product.basic".into()],
            expires_at: Some(1_795_651_200),
            refresh_expires_at: Some(1_800_000_000),
            status: ConnectionStatus::Active,
            last_error: None,
            failures: 0,
            first_failure_at: None,
            retry_after: None,
            last_refreshed_at: Some(1_795_000_000),
            key_id: "arn:aws:kms:us-east-1:123456789012:key/k1".into(),
        },
        tokens: Sealed {
            v: 1,
            key_id: "arn:aws:kms:us-east-1:123456789012:key/k1".into(),
            wrapped_key: "d3JhcHBlZA==".into(),
            nonce: "bm9uY2Vub25jZTEy".into(),
            ciphertext: "Y2lwaGVydGV4dA==".into(),
        },
        version: 1,
        lease_owner: None,
        lease_until: None,
    }
}

pub async fn connection_store<S: ConnectionStore>(store: &S, ns: &str) {
    let rec = connection(ns);
    let id = rec.connection.id.clone();
    let now = 1_795_651_000;
    assert_eq!(store.get(&id).await.unwrap(), None);
    assert_eq!(
        store.acquire_lease(&id, "a", now, 30).await.unwrap(),
        None,
        "no lease on a missing connection"
    );
    store.put(&rec).await.unwrap();
    assert_eq!(store.get(&id).await.unwrap(), Some(rec.clone()));
    assert!(
        store
            .list()
            .await
            .unwrap()
            .iter()
            .any(|r| r.connection.id == id)
    );

    // One holder at a time, until the lease expires.
    let leased = store
        .acquire_lease(&id, "a", now, 30)
        .await
        .unwrap()
        .expect("a takes the lease");
    assert_eq!(leased.lease_owner.as_deref(), Some("a"));
    assert_eq!(leased.tokens, rec.tokens);
    assert_eq!(
        store.acquire_lease(&id, "b", now + 30, 30).await.unwrap(),
        None,
        "held through its last second"
    );
    let taken = store
        .acquire_lease(&id, "b", now + 31, 30)
        .await
        .unwrap()
        .expect("expired lease is taken over");

    // The old holder's late write is refused; the new holder's lands and drops the lease.
    let mut late = leased.clone();
    late.connection.failures = 99;
    assert!(!store.finish(&late, "a").await.unwrap());
    let mut done = taken.clone();
    done.connection.expires_at = Some(now + 7 * 86_400);
    done.tokens.ciphertext = "bmV3Y2lwaGVydGV4dA==".into();
    assert!(store.finish(&done, "b").await.unwrap());
    let after = store.get(&id).await.unwrap().unwrap();
    assert_eq!(after.connection.expires_at, Some(now + 7 * 86_400));
    assert_eq!(after.tokens.ciphertext, "bmV3Y2lwaGVydGV4dA==");
    assert_eq!((after.lease_owner, after.lease_until), (None, None));
    assert!(after.version > rec.version);
    assert!(
        !store.finish(&done, "b").await.unwrap(),
        "a finished lease cannot be finished twice"
    );

    // Many concurrent refreshers: exactly one gets the lease.
    let owners: Vec<String> = (0..10).map(|i| format!("w{i}")).collect();
    let results = futures::future::join_all(
        owners
            .iter()
            .map(|o| store.acquire_lease(&id, o, now + 100, 30)),
    )
    .await;
    let winners = results.iter().filter(|r| matches!(r, Ok(Some(_)))).count();
    assert_eq!(winners, 1, "{results:?}");
}

pub async fn pending_authorizations<S: PendingAuthorizations>(store: &S, ns: &str) {
    use reelcart_domain::connection::OAuthPlatform;
    let now = 1_700_000_000;
    let pending = |nonce: &str, expires_at: i64| PendingAuthorization {
        nonce: format!("{ns}-{nonce}"),
        platform: OAuthPlatform::Tiktok,
        subject: "admin-1".into(),
        redirect_uri: "https://example.com/cb".into(),
        code_verifier: Some("v".repeat(43)),
        expires_at,
    };
    let a = pending("a", now + 600);
    store.put(&a).await.unwrap();
    // Taken once; a replay finds nothing.
    assert_eq!(store.take(&a.nonce, now).await.unwrap(), Some(a.clone()));
    assert_eq!(store.take(&a.nonce, now).await.unwrap(), None);
    // Expired but not yet deleted: refused.
    let b = pending("b", now - 1);
    store.put(&b).await.unwrap();
    assert_eq!(store.take(&b.nonce, now).await.unwrap(), None);
    // Unknown nonce.
    assert_eq!(store.take(&format!("{ns}-zzz"), now).await.unwrap(), None);
    // Concurrent callbacks with the same state: exactly one wins.
    let c = pending("c", now + 600);
    store.put(&c).await.unwrap();
    let results = futures::future::join_all((0..8).map(|_| store.take(&c.nonce, now))).await;
    let won = results
        .into_iter()
        .map(Result::unwrap)
        .filter(Option::is_some)
        .count();
    assert_eq!(won, 1);
    // No secret in Debug output.
    assert!(!format!("{c:?}").contains(&"v".repeat(43)));
}

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

pub async fn media_records<S: MediaRecords>(store: &S, ns: &str) {
    use reelcart_domain::video::{MediaRecord, MediaStatus, SourceRef};
    let now = 1_700_000_000;
    let item = format!("{ns}-media-1");
    let source = SourceRef {
        bucket: "raw".into(),
        key: format!("{ns}/a.mp4"),
        etag: "\"e1\"".into(),
    };
    let record = |attempts: u32, status: MediaStatus, lease: Option<i64>| MediaRecord {
        status,
        lease_until: lease,
        ..MediaRecord::attempt(&item, source.clone(), attempts, 0, now)
    };
    assert_eq!(store.get(&item).await.unwrap(), None);
    let first = record(1, MediaStatus::Transcoding, Some(now + 900));
    assert!(store.begin(&first, now).await.unwrap());
    assert_eq!(store.get(&item).await.unwrap(), Some(first.clone()));
    // A live lease keeps a second attempt out…
    assert!(
        !store
            .begin(
                &record(2, MediaStatus::Transcoding, Some(now + 1000)),
                now + 10
            )
            .await
            .unwrap()
    );
    // …until it expires.
    let second = record(2, MediaStatus::Transcoding, Some(now + 2000));
    assert!(store.begin(&second, now + 900).await.unwrap());
    // The first attempt finishing late does not overwrite the second.
    assert!(
        !store
            .finish(&record(1, MediaStatus::Transcoded, None))
            .await
            .unwrap()
    );
    let done = record(2, MediaStatus::Transcoded, None);
    assert!(store.finish(&done).await.unwrap());
    assert_eq!(store.get(&item).await.unwrap(), Some(done));
    // A settled record has no lease: a new source may begin at once.
    assert!(
        store
            .begin(
                &record(3, MediaStatus::Transcoding, Some(now + 3000)),
                now + 901
            )
            .await
            .unwrap()
    );
}

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

/// The analytics store: sessions dedupe atomically, counters add up, order ledgers are versioned.
pub async fn analytics_store<S: crate::AnalyticsStore>(store: &S, ns: &str) {
    use reelcart_domain::attribution::*;
    let now = 1_800_000_000;
    let session = format!("s-{ns}");
    let touch = |id: &str, at: i64| Touch {
        event_id: id.into(),
        at,
        kind: BeaconKind::ProductClick,
        ugc_id: format!("ugc-{ns}"),
        creator_id: Some("cr".into()),
        platform: Some("instagram".into()),
        placement: "pdp".into(),
        campaign: None,
        sku: Some("TEE".into()),
    };
    let ids = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let fresh = store
        .record_session(
            &session,
            &ids(&["e1", "e2"]),
            &[touch("e1", now - 5)],
            now + 3600,
        )
        .await
        .unwrap();
    assert_eq!(sorted(fresh), ids(&["e1", "e2"]));
    let fresh = store
        .record_session(
            &session,
            &ids(&["e2", "e3"]),
            &[touch("e3", now - 1)],
            now + 3600,
        )
        .await
        .unwrap();
    assert_eq!(fresh, ids(&["e3"]));
    store.forget_events(&session, &ids(&["e3"])).await.unwrap();
    let fresh = store
        .record_session(&session, &ids(&["e3"]), &[], now + 3600)
        .await
        .unwrap();
    assert_eq!(fresh, ids(&["e3"]));
    let t = store.touches(&session, now).await.unwrap();
    assert_eq!(
        t.iter().map(|t| t.event_id.as_str()).collect::<Vec<_>>(),
        ["e1", "e3"]
    );
    assert!(
        store
            .touches(&session, now + 7200)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .touches(&format!("none-{ns}"), now)
            .await
            .unwrap()
            .is_empty()
    );
    // A session over its limits takes no more (and fails nothing).
    let busy = format!("busy-{ns}");
    for chunk in 0..=(crate::SESSION_MAX_EVENTS / 500) {
        let many: Vec<String> = (0..500).map(|i| format!("b{chunk}-{i}")).collect();
        store
            .record_session(&busy, &many, &[], now + 3600)
            .await
            .unwrap();
    }
    assert!(
        store
            .record_session(&busy, &ids(&["late"]), &[], now + 3600)
            .await
            .unwrap()
            .is_empty()
    );

    let day = format!("2099-01-{:02}", (ns.len() % 28) + 1);
    let key = |placement: &str| AggKey {
        day: day.clone(),
        ugc_id: format!("ugc-{ns}"),
        placement: placement.into(),
        campaign: String::new(),
    };
    let delta = |placement: &str, views: i64, revenue: i64| AggDelta {
        key: key(placement),
        creator_id: Some("cr".into()),
        platform: Some("instagram".into()),
        counters: Counters {
            views,
            revenue_cents: revenue,
            ..Counters::default()
        },
    };
    store
        .add(&[delta("pdp", 3, 0), delta("home", 1, 0)])
        .await
        .unwrap();
    store.add(&[delta("pdp", 2, 0)]).await.unwrap();
    let rows: Vec<crate::AggRow> = store
        .aggregates(std::slice::from_ref(&day))
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.key.ugc_id == format!("ugc-{ns}"))
        .collect();
    assert_eq!(rows.len(), 2);
    let pdp = rows.iter().find(|r| r.key.placement == "pdp").unwrap();
    assert_eq!(pdp.counters.views, 5);
    assert_eq!(pdp.creator_id.as_deref(), Some("cr"));
    let totals = store.totals(&[format!("ugc-{ns}")]).await.unwrap();
    assert_eq!(totals[&format!("ugc-{ns}")].views, 6);
    assert!(
        store
            .totals(&[format!("nope-{ns}")])
            .await
            .unwrap()
            .is_empty()
    );

    let order = Order {
        id: format!("shopify:{ns}"),
        placed_at: now,
        total_cents: 1000,
        currency: "USD".into(),
        token: Some(session.clone()),
        discount_codes: vec![],
    };
    let ledger = Ledger::new(order.clone(), vec![]);
    assert!(store.ledger(&order.id).await.unwrap().is_none());
    assert!(
        store
            .apply_order(&ledger, 0, &[delta("pdp", 0, 1000)])
            .await
            .unwrap()
    );
    // The same order again (a redelivery) changes nothing.
    assert!(
        !store
            .apply_order(&ledger, 0, &[delta("pdp", 0, 1000)])
            .await
            .unwrap()
    );
    let (stored, v) = store.ledger(&order.id).await.unwrap().unwrap();
    assert_eq!((stored, v), (ledger.clone(), 1));
    let mut refunded = ledger.clone();
    refunded.refunded_cents = 1000;
    assert!(
        store
            .apply_order(&refunded, 1, &[delta("pdp", 0, -1000)])
            .await
            .unwrap()
    );
    let totals = store.totals(&[format!("ugc-{ns}")]).await.unwrap();
    assert_eq!(totals[&format!("ugc-{ns}")].revenue_cents, 0);

    let code = CreatorCode {
        code: format!("CODE{}", ns.to_uppercase().replace('-', "")),
        creator_id: "cr".into(),
        campaign: None,
        percent: 10,
        store_id: None,
        created_at: 0,
    };
    store.put_creator_code(&code).await.unwrap();
    assert!(store.creator_codes().await.unwrap().contains(&code));
    // Inserting never takes a code someone holds (any case); deleting frees it.
    let mut other = code.clone();
    other.code = other.code.to_lowercase();
    other.creator_id = "someone-else".into();
    assert!(!store.insert_creator_code(&other).await.unwrap());
    assert!(store.creator_codes().await.unwrap().contains(&code));
    store.delete_creator_code(&other.code).await.unwrap();
    assert!(!store.creator_codes().await.unwrap().contains(&code));
    assert!(store.insert_creator_code(&code).await.unwrap());
    assert!(store.creator_codes().await.unwrap().contains(&code));
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

/// Creators: profiles round-trip (payout details included), links by id and by creator.
pub async fn creator_store<S: crate::CreatorStore>(store: &S, ns: &str) {
    use reelcart_domain::creator::*;
    let id = format!("cr-{ns}");
    assert!(store.creator(&id).await.unwrap().is_none());
    let mut c = Creator {
        id: id.clone(),
        display_name: "Maya".into(),
        handles: [("instagram".to_string(), "maya.makes".to_string())].into(),
        commission_rate: 0.1,
        terms: None,
        payout: PayoutDetails([("iban".to_string(), "DE89370400440532013000".to_string())].into()),
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
