//! `make demo`, the whole story with progress at each step: signed webhooks of every platform
//! accepted, deduped, processed and routed (1–5); platform connections sealed and refreshed (6);
//! the catalog synced to Meta and TikTok Shop (7); the video pipeline (8); then, in
//! [`crate::story`], social posts and their rights, a creator, moderation, and a day of shoppers
//! with the reports (9–12).

use crate::{Stack, simulator};
use anyhow::Result;
use aws_sdk_dynamodb::types::AttributeValue;
use std::time::Duration;

/// A generated clip's bytes (FFmpeg, through a temporary file).
pub(crate) async fn clip(sample: reelcart_media::samples::Sample) -> Result<Vec<u8>> {
    let dir = std::env::temp_dir().join(format!("reelcart-demo-{}-{}", std::process::id(), now()));
    tokio::fs::create_dir_all(&dir).await?;
    let path = dir.join("clip.mp4");
    reelcart_media::samples::generate(std::path::Path::new("ffmpeg"), sample, &path).await?;
    let bytes = tokio::fs::read(&path).await?;
    tokio::fs::remove_dir_all(&dir).await?;
    Ok(bytes)
}

pub(crate) fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

pub(crate) async fn post(
    client: &reqwest::Client,
    base: &str,
    d: &simulator::Delivery,
) -> Result<(u16, String)> {
    let mut req = client
        .post(format!("{base}{}", d.path))
        .body(d.body.clone());
    req = req.header("content-type", "application/json");
    for (k, v) in &d.headers {
        req = req.header(k, v);
    }
    let resp = req.send().await?;
    let status = resp.status().as_u16();
    Ok((status, resp.text().await?))
}

const PLATFORMS: [&str; 5] = [
    "Shopify orders/create",
    "TikTok Shop order status",
    "TikTok authorization.removed",
    "Instagram mention (Meta)",
    "Reviews (Standard Webhooks)",
];

pub async fn run(stack: &Stack) -> Result<()> {
    let base = stack.url();
    let client = reqwest::Client::new();
    let tag = format!("demo{}", now());
    let deliveries: Vec<_> = (0..5).map(|n| simulator::sample(n, &tag, now())).collect();

    println!("\n[1/12] Meta subscription handshake");
    let resp = client
        .get(format!(
            "{base}/webhooks/meta?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token={}",
            crate::seed::DEMO_META_VERIFY_TOKEN
        ))
        .send()
        .await?;
    println!(
        "      GET /webhooks/meta → {} {}",
        resp.status().as_u16(),
        resp.text().await?
    );

    println!("\n[2/12] One signed webhook from every platform");
    for (d, name) in deliveries.iter().zip(PLATFORMS) {
        let (status, body) = post(&client, &base, d).await?;
        println!("      {name:<30} POST {:<28} → {status} {body}", d.path);
    }

    println!("\n[3/12] The platforms retry: the same deliveries again");
    for (d, name) in deliveries.iter().zip(PLATFORMS) {
        let (status, body) = post(&client, &base, d).await?;
        println!("      {name:<30} → {status} {body}");
    }

    println!("\n[4/12] A forged delivery (signed with the wrong secret) and a stale replay");
    let forged = simulator::shopify(
        "not-the-secret",
        "reelcart-demo.myshopify.com",
        "orders/create",
        "forged-1",
        r#"{"id":1}"#,
    );
    let (status, body) = post(&client, &base, &forged).await?;
    println!("      forged Shopify order           → {status} {body}");
    let stale = simulator::sample(4, &format!("{tag}-stale"), now() - 3600);
    let (status, body) = post(&client, &base, &stale).await?;
    println!("      review signed an hour ago      → {status} {body}");

    println!("\n[5/12] The processor normalizes, records and routes each event");
    let mut items = Vec::new();
    for _ in 0..100 {
        items = scan_tag(stack, "EventsTable", &tag).await?;
        if items.len() >= 5 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for (id, kind, routed) in &items {
        println!("      {kind:<20} → {routed:<12} {id}");
    }
    println!(
        "      {} events processed from 10 accepted-or-duplicate deliveries (expected 5)",
        items.len()
    );
    for q in [
        "OrdersQueue",
        "CatalogQueue",
        "ContentQueue",
        "ConnectionsQueue",
    ] {
        if let Some(url) = stack.physical(q) {
            let attrs = stack
                .clients
                .sqs
                .get_queue_attributes()
                .queue_url(url)
                .attribute_names(
                    aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessages,
                )
                .send()
                .await?;
            let n = attrs
                .attributes
                .and_then(|a| {
                    a.get(&aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessages)
                        .cloned()
                })
                .unwrap_or_default();
            println!("      {q:<18} holds {n} message(s) for its capability");
        }
    }
    connections(stack).await?;
    catalog(stack).await?;
    video(stack).await?;
    crate::story::run(stack).await?;
    Ok(())
}

/// Step 8: a phone-shaped clip through the transcode queue, and a corrupt one.
async fn video(stack: &Stack) -> Result<()> {
    use reelcart_domain::video::MediaStatus;
    use reelcart_ports::MediaRecords;
    println!(
        "\n[8/12] Video pipeline: an upload becomes a vertical HLS ladder, poster, preview and manifest"
    );
    let s3 = reelcart_aws::s3_client(&stack.emulator.sdk, true);
    let raw = stack
        .physical("RawMediaBucket")
        .ok_or_else(|| anyhow::anyhow!("no RawMediaBucket"))?
        .to_string();
    let queue = stack
        .physical("TranscodeQueue")
        .ok_or_else(|| anyhow::anyhow!("no TranscodeQueue"))?
        .to_string();
    let records = reelcart_aws::DynamoMediaRecords::new(
        aws_sdk_dynamodb::Client::new(&stack.emulator.sdk),
        stack
            .physical("ContentTable")
            .ok_or_else(|| anyhow::anyhow!("no ContentTable"))?,
    );
    let bytes = clip(reelcart_media::samples::Sample::new(1080, 1920, 8.0)).await?;
    let items = [
        ("demo_clip", bytes.clone()),
        ("demo_corrupt", reelcart_media::samples::corrupt(&bytes)),
    ];
    for (item, body) in &items {
        let key = format!("uploads/{item}/clip.mp4");
        s3.put_object()
            .bucket(&raw)
            .key(&key)
            .content_type("video/mp4")
            .body(aws_sdk_s3::primitives::ByteStream::from(body.clone()))
            .send()
            .await?;
        stack
            .clients
            .sqs
            .send_message()
            .queue_url(&queue)
            .message_body(
                serde_json::json!({"item_id": item, "bucket": raw, "key": key}).to_string(),
            )
            .send()
            .await?;
        println!("      {key} ({} KiB) → TranscodeQueue", body.len() / 1024);
    }
    for (item, _) in &items {
        let mut settled = None;
        for _ in 0..600 {
            if let Some(r) = records.get(item).await?
                && matches!(r.status, MediaStatus::Transcoded | MediaStatus::Failed)
            {
                settled = Some(r);
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        let r = settled.ok_or_else(|| anyhow::anyhow!("{item} was not transcoded in 2 minutes"))?;
        match (&r.manifest, &r.failure) {
            (Some(m), _) => {
                let rungs: Vec<String> = m
                    .renditions
                    .iter()
                    .map(|x| {
                        format!(
                            "{}x{} {:.1} Mbit/s",
                            x.width,
                            x.height,
                            x.bandwidth as f64 / 1e6
                        )
                    })
                    .collect();
                println!(
                    "      {item}: {} {:.1} s, {}",
                    m.aspect_ratio,
                    m.duration_secs,
                    rungs.join(" / ")
                );
                println!("      timings (ms): {:?}", r.timings_ms);
                println!("      master:   {}", m.master);
                println!("      poster:   {}", m.poster);
                if let Some(p) = &m.preview {
                    println!("      preview:  {p}");
                }
            }
            (None, Some(reason)) => println!("      {item}: refused — {reason}"),
            (None, None) => println!("      {item}: {:?}", r.status),
        }
    }
    Ok(())
}

async fn scan_tag(stack: &Stack, table: &str, tag: &str) -> Result<Vec<(String, String, String)>> {
    let mut out = Vec::new();
    for item in stack.scan(table).await? {
        let s = |k: &str| {
            item.get(k)
                .and_then(|v: &AttributeValue| v.as_s().ok())
                .cloned()
                .unwrap_or_default()
        };
        let data = item
            .get("data")
            .map(|d| format!("{d:?}"))
            .unwrap_or_default();
        if s("id").contains(tag) || data.contains(tag) {
            out.push((s("id"), s("kind"), s("routed_to")));
        }
    }
    Ok(out)
}

/// Step 6: a connected demo shop and creator, a scheduled refresh, a revoked grant.
async fn connections(stack: &Stack) -> Result<()> {
    use reelcart_domain::connection::OAuthPlatform;
    println!("\n[6/12] Platform connections: tokens sealed with KMS, refreshed ahead of expiry");
    let flow = stack.connect_as_admin(OAuthPlatform::Instagram).await?;
    println!("      an admin connects Instagram (JWT role admin):");
    println!(
        "        POST {}/v1/connections/instagram/authorize",
        stack.url()
    );
    println!("        consent screen  {}", shorten(&flow.authorize_url));
    println!("        callback        {}", shorten(&flow.callback_url));
    println!("        connected       {}", flow.connection_id);
    let shop = stack
        .connect_demo(OAuthPlatform::TiktokShop, "7494049642642441621", Some(300))
        .await?;
    let creator = stack
        .connect_demo(OAuthPlatform::Tiktok, "act.demo-creator", Some(600))
        .await?;
    show(
        stack,
        "connected (shop token expires in 5 min, creator's in 10)",
    )
    .await?;
    let fire = |name: &'static str| async move {
        match stack.fire_schedule(name).await {
            Some(Ok(())) => Ok(()),
            Some(Err(e)) => Err(anyhow::anyhow!(e)),
            None => Err(anyhow::anyhow!("no schedule {name}")),
        }
    };
    fire("TokenRefresherFunction.Sweep").await?;
    show(
        stack,
        "after the token-refresher schedule fired (both were within the 15-min margin)",
    )
    .await?;
    // The creator removes the app on TikTok: TikTok revokes the grant and sends a signed
    // authorization.removed webhook, which reaches connection-events through the webhook flow.
    stack.sim.revoke("tiktok", "act.demo-creator");
    let t = now();
    let removed = simulator::tiktok(
        crate::seed::DEMO_TIKTOK_CLIENT_SECRET,
        t,
        &format!(
            r#"{{"client_key":"demo-client-key","event":"authorization.removed","create_time":{t},"user_openid":"act.demo-creator","content":"{{\"reason\":1}}"}}"#
        ),
    );
    let (status, body) = post(&reqwest::Client::new(), &stack.url(), &removed).await?;
    println!("      TikTok authorization.removed webhook → {status} {body}");
    for _ in 0..100 {
        let items = stack.scan("ConnectionsTable").await?;
        let revoked = items
            .iter()
            .any(|i| matches!(i.get("status"), Some(AttributeValue::S(s)) if s == "revoked"));
        if revoked {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    show(
        stack,
        "after the webhook: receiver → processor → connection-events",
    )
    .await?;
    println!("      ({shop} and {creator}: the raw DynamoDB items hold only sealed ciphertext)");
    Ok(())
}

/// A URL with its long query values cut, for the console.
fn shorten(url: &str) -> String {
    match url.split_once('?') {
        Some((base, query)) => {
            let q: Vec<String> = query
                .split('&')
                .map(|kv| match kv.split_once('=') {
                    Some((k, v)) if v.len() > 16 => {
                        format!("{k}={}…", v.chars().take(12).collect::<String>())
                    }
                    _ => kv.to_string(),
                })
                .collect();
            format!("{base}?{}", q.join("&"))
        }
        None => url.to_string(),
    }
}

async fn show(stack: &Stack, heading: &str) -> Result<()> {
    println!("      {heading}:");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    for item in stack.scan("ConnectionsTable").await? {
        let s = |k: &str| match item.get(k) {
            Some(AttributeValue::S(v)) | Some(AttributeValue::N(v)) => v.clone(),
            _ => String::new(),
        };
        let expires = s("expires_at").parse::<i64>().map(|e| e - now).unwrap_or(0);
        let remediation = match item.get("last_error") {
            Some(AttributeValue::M(m)) => match m.get("remediation") {
                Some(AttributeValue::S(r)) => format!(" — {r}"),
                _ => String::new(),
            },
            _ => String::new(),
        };
        println!(
            "        {:<36} {:<13} token expires in {:>6} min{remediation}",
            s("id"),
            s("status"),
            expires / 60
        );
    }
    Ok(())
}

/// Step 7: a catalog imported from a file, synced by diff to Meta and TikTok Shop.
async fn catalog(stack: &Stack) -> Result<()> {
    use reelcart_domain::catalog::Product;
    use reelcart_domain::connection::OAuthPlatform;
    use reelcart_ports::CatalogStore;
    println!("\n[7/12] Catalog sync: the store's catalog to Meta and TikTok Shop, by diff");
    stack.connect_as_admin(OAuthPlatform::Meta).await?;
    let catalog = reelcart_aws::DynamoCatalog::new(
        stack.clients.dynamodb.clone(),
        stack
            .physical("CatalogTable")
            .ok_or_else(|| anyhow::anyhow!("no CatalogTable"))?,
    );
    let product = |i: usize| -> Result<Product> {
        let mut p = crate::seed::catalog_product(i, &stack.sim_url);
        if i < 3 {
            p.variants[0].gtin = Some("6291041500214".into()); // wrong check digit
        }
        Ok(p)
    };
    let products = (0..500).map(product).collect::<Result<Vec<_>>>()?;
    let file = |ps: &[Product]| -> Result<String> {
        Ok(ps
            .iter()
            .map(serde_json::to_string)
            .collect::<Result<Vec<_>, _>>()?
            .join("\n"))
    };
    let s3 = reelcart_aws::s3_client(&stack.emulator.sdk, true);
    let bucket = stack
        .physical("ImportBucket")
        .ok_or_else(|| anyhow::anyhow!("no ImportBucket"))?;
    let drop_file = |key: &'static str, body: String| {
        let s3 = s3.clone();
        async move {
            s3.put_object()
                .bucket(bucket)
                .key(key)
                .content_type("application/x-ndjson")
                .body(body.into_bytes().into())
                .send()
                .await
                .map_err(|e| anyhow::anyhow!(aws_sdk_s3::error::DisplayErrorContext(e)))
        }
    };
    drop_file("imports/demo-catalog.jsonl", file(&products)?).await?;
    let wait_for = |n: usize| {
        let catalog = catalog.clone();
        async move {
            for _ in 0..300 {
                if catalog.products().await?.len() >= n {
                    return Ok(());
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(anyhow::anyhow!("the import did not arrive"))
        }
    };
    wait_for(500).await?;
    println!(
        "      imports/demo-catalog.jsonl → 500 products in the catalog (S3 → SQS → catalog-sync)"
    );
    let sync = || async {
        match stack.fire_schedule("CatalogSyncFunction.Sync").await {
            Some(Ok(())) => Ok(()),
            Some(Err(e)) => Err(anyhow::anyhow!(e)),
            None => Err(anyhow::anyhow!("no catalog sync schedule")),
        }
    };
    let counts = || stack.sim.catalog_json()["counts"].clone();
    sync().await?;
    let c = counts();
    println!(
        "      first sync: Meta {} items created in {} batches, TikTok Shop {} products created ({} images uploaded)",
        c["meta.create"], c["meta.batches"], c["tts.create"], c["tts.images"]
    );
    for q in catalog
        .quarantined(reelcart_domain::catalog::Channel::Meta)
        .await?
    {
        let reasons: Vec<String> = q
            .problems
            .iter()
            .map(|p| format!("{} {}", p.field, p.code))
            .collect();
        println!("      quarantined {}: {}", q.key, reasons.join(", "));
    }
    let mut changed = Vec::new();
    for i in 100..105 {
        let mut p = product(i)?;
        p.variants[0].price.amount = rust_decimal::Decimal::new(1490, 2);
        changed.push(p);
    }
    drop_file("imports/demo-prices.jsonl", file(&changed)?).await?;
    for _ in 0..300 {
        let ps = catalog.products().await?;
        if ps
            .iter()
            .any(|p| p.id == "8000104" && p.variants[0].price.amount_2dp() == "14.90")
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let before = counts();
    sync().await?;
    let after = counts();
    let d = |k: &str| after[k].as_u64().unwrap_or(0) - before[k].as_u64().unwrap_or(0);
    println!(
        "      5 prices changed → Meta {} updates, TikTok Shop {} price-only updates, {} creates, {} full edits",
        d("meta.update"),
        d("tts.prices"),
        d("meta.create") + d("tts.create"),
        d("tts.edit")
    );
    println!(
        "      report: GET {}/v1/catalog/quarantine and /v1/catalog/sync (JWT, admin or moderator)",
        stack.url()
    );
    Ok(())
}
