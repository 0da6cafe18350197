//! The diff of a 100,000-product catalog with 1 % changed, next to a full re-upload measured in
//! the same run: time, peak memory (VmHWM of this process), and the bytes each would send.
//! Release build (`make bench`); figures, not assertions.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use reelcart_domain::catalog::diff::{self, Hashes, Now};
use reelcart_domain::catalog::{Product, meta, tiktok};
use std::collections::BTreeMap;
use std::time::Instant;

/// Products in the catalog (a thousand in the short mode).
fn n() -> usize {
    if reelcart_bench::full_run() {
        100_000
    } else {
        1_000
    }
}

fn vm_hwm_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn catalog(changed: bool) -> Vec<Product> {
    (0..n())
        .map(|i| {
            let mut p = reelcart_ports::contract::sample_product("bench", i);
            p.images[0].width = 1000;
            p.images[0].height = 1000;
            p.tiktok_category_id = Some("601226".into());
            p.variants[0].weight = Some(reelcart_domain::catalog::Weight {
                value: "0.3".parse().unwrap(),
                unit: "KILOGRAM".into(),
            });
            if changed && i % 100 == 0 {
                if i % 200 == 0 {
                    p.variants[0].price.amount = "18.00".parse().unwrap();
                } else {
                    p.title.push_str(" v2");
                }
            }
            p
        })
        .collect()
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let rules = tiktok::Rules {
        region: "US".into(),
        warehouse_id: "WH".into(),
    };
    let before = catalog(false);
    // What was synced: the hashes of yesterday's catalog.
    let synced_meta: BTreeMap<String, Hashes> = before
        .iter()
        .flat_map(meta::project)
        .map(|(k, r)| (k, meta::hashes(&r.unwrap())))
        .collect();
    let synced_tts: BTreeMap<String, Hashes> = before
        .iter()
        .map(|p| {
            (
                p.id.clone(),
                tiktok::hashes(&tiktok::project(p, &rules).unwrap()),
            )
        })
        .collect();
    drop(before);
    let today = catalog(true);
    let base_rss = vm_hwm_kib();

    println!("\n== Catalog diff: {} products, 1 % changed ==", n());
    // Diff: project, hash, plan; bytes of what is sent.
    let t = Instant::now();
    let mut now_meta = BTreeMap::new();
    let mut items = BTreeMap::new();
    for p in &today {
        for (k, r) in meta::project(p) {
            let item = r.unwrap();
            now_meta.insert(k.clone(), Now::Valid(meta::hashes(&item)));
            items.insert(k, item);
        }
    }
    let plan = diff::plan(&now_meta, &synced_meta);
    let diff_bytes: usize = plan
        .iter()
        .map(|(k, _)| serde_json::to_vec(&items[k]).unwrap().len())
        .sum();
    let meta_diff = t.elapsed();
    let t = Instant::now();
    let mut now_tts = BTreeMap::new();
    for p in &today {
        now_tts.insert(
            p.id.clone(),
            Now::Valid(tiktok::hashes(&tiktok::project(p, &rules).unwrap())),
        );
    }
    let tts_plan = diff::plan(&now_tts, &synced_tts);
    let tts_diff = t.elapsed();
    let diff_rss = vm_hwm_kib();

    // Baseline: a full re-upload serializes every item.
    let t = Instant::now();
    let full_bytes: usize = items
        .values()
        .map(|i| serde_json::to_vec(i).unwrap().len())
        .sum();
    let full = t.elapsed();

    let prices = tts_plan
        .iter()
        .filter(|(_, a)| *a == diff::Action::Price)
        .count();
    println!(
        "Meta diff (project + hash + plan + encode changes)  {:>8.1} ms   {} of {} items, {:.2} MiB to send",
        meta_diff.as_secs_f64() * 1e3,
        plan.len(),
        items.len(),
        diff_bytes as f64 / 1048576.0
    );
    println!(
        "Meta full re-upload (encode every item, baseline)     {:>8.1} ms   {} items, {:.2} MiB to send ({:.0}× the diff)",
        full.as_secs_f64() * 1e3,
        items.len(),
        full_bytes as f64 / 1048576.0,
        full_bytes as f64 / diff_bytes.max(1) as f64
    );
    println!(
        "TikTok Shop diff (project + hash + plan)              {:>8.1} ms   {} changes: {} price-only, {} full edits",
        tts_diff.as_secs_f64() * 1e3,
        tts_plan.len(),
        prices,
        tts_plan.len() - prices
    );
    println!(
        "peak memory: {:.1} MiB with the catalog and yesterday's hashes loaded, {:.1} MiB after both diffs",
        base_rss as f64 / 1024.0,
        diff_rss as f64 / 1024.0
    );
}
