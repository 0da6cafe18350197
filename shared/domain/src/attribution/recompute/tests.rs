//! The online figures equal the recomputation, for random streams.
#![allow(clippy::unwrap_used)]

use super::super::*;
use super::*;
use proptest::prelude::*;

const NOW: i64 = 1_795_676_400;

/// One beacon of session `s`, event `n`, on content `u` at `NOW - back`.
fn event(s: u8, n: u8, kind: u8, u: u8, back: i64) -> Event {
    let kind = [
        BeaconKind::Impression,
        BeaconKind::View,
        BeaconKind::ProductClick,
        BeaconKind::AddToCart,
    ][usize::from(kind % 4)];
    Event {
        beacon: Beacon {
            event_id: format!("evt-{n:04}"),
            kind,
            session_id: format!("s{s}"),
            ugc_id: format!("u{u}"),
            creator_id: Some(format!("cr{u}")),
            platform: Some("upload".into()),
            placement: "pdp".into(),
            campaign: None,
            sku: Some(format!("S{u}")),
            ts: None,
        },
        at: NOW - back,
    }
}

/// What the collector is sent, in the order it arrives.
#[derive(Debug, Clone)]
enum Op {
    /// A batch of beacons (the same event may come again, in this or another batch).
    Beacons(Vec<Event>),
    /// Order `o` placed (redeliveries included).
    Order(usize),
    /// A refund of `cents` of line `line` of order `o`, with its id.
    Refund(usize, usize, i64, u8),
    Cancel(usize),
}

fn orders(nets: &[Vec<(u8, i64)>]) -> Vec<Order> {
    nets.iter()
        .enumerate()
        .map(|(i, lines)| {
            let lines: Vec<OrderLine> = lines
                .iter()
                .enumerate()
                .map(|(k, (sku, net))| OrderLine {
                    id: format!("l{k}"),
                    product_id: None,
                    variant_id: None,
                    sku: Some(format!("S{sku}")),
                    quantity: 1,
                    net_cents: *net,
                    cost_cents: (net % 3 != 0).then_some(net / 3),
                    product_skus: vec![],
                    whole_order: false,
                })
                .collect();
            Order {
                id: format!("shopify:{i}"),
                placed_at: NOW,
                total_cents: lines.iter().map(|l| l.net_cents).sum(),
                currency: if i % 2 == 0 { "USD" } else { "EUR" }.into(),
                token: Some(format!("s{}", i % 3)),
                discount_codes: if i == 2 { vec!["CODE2".into()] } else { vec![] },
                lines,
                channel: None,
            }
        })
        .collect()
}

fn ops() -> impl Strategy<Value = (Vec<Order>, Vec<Op>, Model)> {
    let events = proptest::collection::vec((0u8..3, 0u8..24, 0u8..4, 0u8..3, 0i64..200_000), 1..40);
    let nets = proptest::collection::vec(
        proptest::collection::vec((0u8..4, 0i64..50_000), 1..4),
        1..4,
    );
    (
        events,
        nets,
        proptest::collection::vec((0usize..4, 0usize..4, 0i64..60_000, 0u8..4, 0u8..10), 0..12),
        any::<bool>(),
        any::<u64>(),
    )
        .prop_map(|(evs, nets, extra, linear, seed)| {
            let events: Vec<Event> = evs
                .iter()
                .map(|(s, n, k, u, b)| event(*s, *n, *k, *u, *b))
                .collect();
            let orders = orders(&nets);
            let mut ops: Vec<Op> = events.chunks(5).map(|c| Op::Beacons(c.to_vec())).collect();
            // The first batch again (a redelivery), and every order placed (one twice).
            ops.push(Op::Beacons(events.iter().take(3).cloned().collect()));
            for o in 0..orders.len() {
                ops.push(Op::Order(o));
            }
            ops.push(Op::Order(0));
            for (o, l, cents, rid, what) in extra {
                let o = o % orders.len();
                ops.push(match what {
                    0 => Op::Cancel(o),
                    _ => Op::Refund(o, l, cents, rid),
                });
            }
            // Shuffle deterministically from the seed: beacons, orders and refunds interleave,
            // refunds may come before their order (late events are dropped online, and so in
            // the ledger), orders before the beacons that touched them.
            let mut s = seed;
            for i in (1..ops.len()).rev() {
                s = s
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                ops.swap(i, (s >> 33) as usize % (i + 1));
            }
            (
                orders,
                ops,
                if linear {
                    Model::Linear
                } else {
                    Model::LastTouch
                },
            )
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]
    #[test]
    fn online_figures_equal_the_recomputation((orders, ops, model) in ops()) {
        let codes = [CreatorCode {
            code: "CODE2".into(), creator_id: "cr_code".into(), campaign: None, percent: 10,
            store_id: None, created_at: 0, skus: vec![],
            ..Default::default()
        }];
        let mut online: BTreeMap<AggKey, Counters> = BTreeMap::new();
        let mut online_entries: Vec<CreditEntry> = Vec::new();
        let mut seen: HashSet<(String, String)> = HashSet::new();
        let mut raw: Vec<Event> = Vec::new();
        let mut touches: BTreeMap<String, Vec<Touch>> = BTreeMap::new();
        let mut ledgers: BTreeMap<String, Ledger> = BTreeMap::new();
        let add = |online: &mut BTreeMap<AggKey, Counters>, deltas: Vec<AggDelta>| {
            for d in deltas {
                online.entry(d.key).or_default().add(&d.counters);
            }
        };
        for op in ops {
            match op {
                Op::Beacons(batch) => {
                    // As `count` does: kept raw, deduped per session, the new ones added.
                    raw.extend(batch.iter().cloned());
                    let new: Vec<Event> = dedupe(batch)
                        .into_iter()
                        .filter(|e| seen.insert((e.beacon.session_id.clone(), e.beacon.event_id.clone())))
                        .collect();
                    for e in &new {
                        if let Some(mut t) = Touch::from_event(e) {
                            t.skus = Some(vec![format!("S{}", &e.beacon.ugc_id[1..])]);
                            touches.entry(e.beacon.session_id.clone()).or_default().push(t);
                        }
                    }
                    add(&mut online, aggregate(new.iter()));
                }
                Op::Order(o) => {
                    let order = &orders[o];
                    if ledgers.contains_key(&order.id) {
                        continue;
                    }
                    let t = touches.get(order.token.as_deref().unwrap_or("")).cloned().unwrap_or_default();
                    let credits = attribute(order, &t, &codes, Windows::default(), model);
                    add(&mut online, deltas_of(order, &credits));
                    online_entries.extend(credit_entries(order, &credits));
                    ledgers.insert(order.id.clone(), Ledger::new(order.clone(), credits));
                }
                Op::Refund(o, l, cents, rid) => {
                    let Some(ledger) = ledgers.get_mut(&orders[o].id) else { continue };
                    let back = ledger.refund(&format!("r{rid}"), &Refunded::Lines(vec![(format!("l{l}"), cents)]));
                    add(&mut online, deltas_of(&ledger.order, &back));
                    online_entries.extend(credit_entries(&ledger.order, &back));
                }
                Op::Cancel(o) => {
                    let Some(ledger) = ledgers.get_mut(&orders[o].id) else { continue };
                    let back = ledger.refund("cancel", &Refunded::Everything);
                    add(&mut online, deltas_of(&ledger.order, &back));
                    online_entries.extend(credit_entries(&ledger.order, &back));
                }
            }
        }
        online.retain(|_, c| !c.is_zero());
        let ledgers: Vec<Ledger> = ledgers.into_values().collect();
        let recomputed: BTreeMap<AggKey, Counters> = aggregates(&raw, &ledgers)
            .into_iter()
            .map(|(k, r)| (k, r.counters))
            .collect();
        prop_assert_eq!(&online, &recomputed);
        let mut a = per_creator(&online_entries);
        a.retain(|_, v| *v != [0; 4]);
        let mut b = per_creator(&entries(&ledgers));
        b.retain(|_, v| *v != [0; 4]);
        prop_assert_eq!(a, b);
    }
}
