//! The contract suite every adapter of the analytics port passes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
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
        skus: Some(vec!["TEE".into()]),
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
        creator: String::new(),
        currency: String::new(),
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
    // Creators who share a day, a placement and a campaign (codes, links) never share a row.
    let by_code = |creator: &str, revenue: i64| AggDelta {
        key: AggKey {
            ugc_id: String::new(),
            placement: format!("code-{ns}"),
            creator: creator.into(),
            ..key("code")
        },
        creator_id: Some(creator.into()),
        platform: None,
        counters: Counters {
            revenue_cents: revenue,
            ..Counters::default()
        },
    };
    store
        .add(&[by_code("cr_ana", 3000), by_code("cr_ben", 5000)])
        .await
        .unwrap();
    store.add(&[by_code("cr_ana", 2000)]).await.unwrap();
    let mut coded: Vec<(String, Option<String>, i64)> = store
        .aggregates(std::slice::from_ref(&day))
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.key.placement == format!("code-{ns}"))
        .map(|r| (r.key.creator, r.creator_id, r.counters.revenue_cents))
        .collect();
    coded.sort();
    assert_eq!(
        coded,
        [
            ("cr_ana".into(), Some("cr_ana".into()), 5000),
            ("cr_ben".into(), Some("cr_ben".into()), 5000)
        ]
    );
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
        // On the test's own day.
        placed_at: orders::rfc3339(&format!("{day}T12:00:00Z")).unwrap(),
        total_cents: 1000,
        currency: "USD".into(),
        token: Some(session.clone()),
        discount_codes: vec![],
        lines: vec![],
        channel: None,
    };
    let credit = |revenue: i64| Credit {
        ugc_id: Some(format!("ugc-{ns}")),
        creator_id: Some("cr".into()),
        platform: Some("instagram".into()),
        placement: "pdp".into(),
        campaign: None,
        line_id: String::new(),
        orders_milli: 0,
        revenue_cents: revenue,
        cost_cents: Some(revenue / 4),
        via: Via::Code { code: "X".into() },
    };
    let ledger = Ledger::new(order.clone(), vec![]);
    assert!(store.ledger(&order.id).await.unwrap().is_none());
    assert!(
        store
            .apply_order(&ledger, 0, &[credit(1000)])
            .await
            .unwrap()
    );
    // The same order again (a redelivery) changes nothing.
    assert!(
        !store
            .apply_order(&ledger, 0, &[credit(1000)])
            .await
            .unwrap()
    );
    let (stored, v) = store.ledger(&order.id).await.unwrap().unwrap();
    assert_eq!((stored, v), (ledger.clone(), 1));
    let mut refunded = ledger.clone();
    refunded.refunded_cents = 1000;
    assert!(
        store
            .apply_order(&refunded, 1, &[credit(-1000)])
            .await
            .unwrap()
    );
    let totals = store.totals(&[format!("ugc-{ns}")]).await.unwrap();
    assert_eq!(totals[&format!("ugc-{ns}")].revenue_cents, 0);
    // The ledger's entries: the order's credit, then its refund's reversal; the redelivery
    // wrote none.
    let entries: Vec<(i64, i64)> = store
        .credit_entries(std::slice::from_ref(&day))
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.order_id == order.id)
        .map(|e| {
            assert_eq!(
                (e.creator_id.as_str(), e.day.as_str()),
                ("cr", day.as_str())
            );
            assert_eq!(e.currency, "USD");
            (e.revenue_cents, e.cost_cents)
        })
        .collect();
    let mut sorted = entries.clone();
    sorted.sort();
    assert_eq!(sorted, [(-1000, -250), (1000, 250)]);
    // The order's row carries its currency and cost.
    let order_rows: Vec<(String, i64, i64)> = store
        .aggregates(std::slice::from_ref(&day))
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.key.ugc_id == format!("ugc-{ns}") && !r.key.currency.is_empty())
        .map(|r| {
            (
                r.key.currency,
                r.counters.revenue_cents,
                r.counters.cost_cents,
            )
        })
        .collect();
    assert_eq!(order_rows, [("USD".into(), 0, 0)]);

    let code = CreatorCode {
        code: format!("CODE{}", ns.to_uppercase().replace('-', "")),
        creator_id: "cr".into(),
        campaign: None,
        percent: 10,
        store_id: None,
        created_at: 0,
        skus: vec!["TEE".into()],
        ..Default::default()
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
