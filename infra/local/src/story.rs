//! `make demo`, steps 9–12: the content and creator story on the local stack, through the same
//! APIs the consoles use — a social post ingested and its rights obtained by the creator's reply,
//! a creator onboarding with a link, a discount code and an uploaded video, a moderator
//! publishing both, then a day of shoppers and orders and the reports.

use crate::demo::{now, post};
use crate::{Stack, simulator};
use anyhow::{Result, anyhow, bail};
use reelcart_domain::content::{Source, UgcItem};
use serde_json::{Value, json};
use std::time::Duration;

/// The SKUs the demo maps content to (the seeded catalog's first two).
const SKUS: [&str; 2] = ["TEE-00001", "TEE-00002"];
const CREATOR: &str = "cr_maya";

/// What the steps pass on.
#[derive(Debug)]
pub struct Story {
    mention_item: String,
    upload_item: String,
    link_url: String,
    code: Option<String>,
}

struct Api<'a> {
    http: reqwest::Client,
    base: String,
    stack: &'a Stack,
}

impl Api<'_> {
    async fn call(
        &self,
        method: &str,
        path: &str,
        who: &str,
        body: Option<Value>,
    ) -> Result<(u16, Value)> {
        let (sub, group) = who.split_once(':').unwrap_or((who, who));
        let token = self.stack.token(sub, &[group])?;
        let mut r = self
            .http
            .request(method.parse()?, format!("{}{path}", self.base))
            .bearer_auth(token);
        if let Some(b) = body {
            r = r.json(&b);
        }
        let resp = r.send().await?;
        let status = resp.status().as_u16();
        Ok((status, resp.json().await.unwrap_or(Value::Null)))
    }

    /// A call that must succeed; prints it.
    async fn ok(&self, method: &str, path: &str, who: &str, body: Option<Value>) -> Result<Value> {
        let (status, v) = self.call(method, path, who, body).await?;
        println!("      {method} {path} → {status}");
        if !(200..300).contains(&status) {
            bail!("{method} {path} answered {status}: {v}");
        }
        Ok(v)
    }
}

/// Poll `f` every 250 ms until it gives a value, for at most `secs`.
async fn wait_for<T, F, Fut>(secs: u64, what: &str, mut f: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Option<T>>>,
{
    let until = std::time::Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = f().await? {
            return Ok(v);
        }
        if std::time::Instant::now() > until {
            bail!("{what}: not within {secs} s");
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// A generated vertical clip's bytes.
async fn clip(secs: f64) -> Result<Vec<u8>> {
    crate::demo::clip(reelcart_media::samples::Sample::new(720, 1280, secs)).await
}

pub async fn run(stack: &Stack) -> Result<()> {
    let api = Api {
        http: reqwest::Client::new(),
        base: stack.url(),
        stack,
    };
    let mention_item = social(stack, &api).await?;
    let (upload_item, link_url, code) = creator(&api).await?;
    let story = Story {
        mention_item,
        upload_item,
        link_url,
        code,
    };
    moderation(&api, &story).await?;
    shoppers(&api, &story).await?;
    Ok(())
}

/// Step 9: a customer's Instagram post mentioning the brand, ingested and transcoded; rights
/// requested by a comment; the creator's `#YesAcme` reply recorded as the consent.
async fn social(stack: &Stack, api: &Api<'_>) -> Result<String> {
    println!("\n[9/12] Social posts: an Instagram mention ingested, rights asked for and given");
    let sim = &stack.sim_url;
    let http = &api.http;
    stack
        .connect_demo(
            reelcart_domain::connection::OAuthPlatform::Meta,
            "1000000000000001",
            None,
        )
        .await?;
    let r = http
        .put(format!("{sim}/_sim/media-files/leo.mp4"))
        .header("content-type", "video/mp4")
        .body(clip(4.0).await?)
        .send()
        .await?;
    if !r.status().is_success() {
        bail!("the simulator refused the clip: {}", r.status());
    }
    let posted: Value = http
        .post(format!("{sim}/_sim/instagram/media"))
        .json(
            &json!({"owner_username": "leo.fits", "caption": "Fit check in the everyday tee @acme",
            "media_type": "VIDEO", "media_url": format!("{sim}/_sim/ig-cdn/leo.mp4")}),
        )
        .send()
        .await?
        .json()
        .await?;
    let media_id = posted["post"]["id"]
        .as_str()
        .ok_or_else(|| anyhow!("no post id: {posted}"))?
        .to_string();
    println!(
        "      @leo.fits posts a video mentioning @acme → Meta's signed `mentions` webhook → {}",
        posted["webhook"]["status"]
    );
    let item_id = UgcItem::id_for(Source::InstagramMention, &media_id);
    let moderator = "demo-moderator:moderator";
    let path = format!("/v1/moderation/items/{item_id}");
    let detail = wait_for(60, "the mention ingested and transcoded", || async {
        let (s, v) = api.call("GET", &path, moderator, None).await?;
        Ok((s == 200 && v["media"]["status"] == "transcoded").then_some(v))
    })
    .await?;
    println!(
        "      ingested as {item_id} ({}), transcoded: {}",
        detail["item"]["status"], detail["media"]["manifest"]["master"]
    );
    let req = api
        .ok(
            "POST",
            &format!("{path}/rights-requests"),
            moderator,
            Some(json!({"license": "site-and-email", "channels": ["site", "email"], "duration_days": 365})),
        )
        .await?;
    println!(
        "      the request comment: {}",
        req["request"]["text"].as_str().unwrap_or_default()
    );
    // ugc-ingest posts it through the API; the creator answers with the approval hashtag.
    wait_for(30, "the request comment posted", || async {
        let ugc: Value = http
            .get(format!("{sim}/_sim/ugc"))
            .send()
            .await?
            .json()
            .await?;
        Ok(ugc["comments"]
            .as_array()
            .and_then(|c| {
                c.iter()
                    .find(|c| c["media_id"] == media_id.as_str() && c["username"] == "acme")
            })
            .map(|_| ()))
    })
    .await?;
    let reply: Value = http
        .post(format!("{sim}/_sim/instagram/comments"))
        .json(&json!({"media_id": media_id, "username": "leo.fits", "text": "Yes, go for it! #YesAcme @acme"}))
        .send()
        .await?
        .json()
        .await?;
    println!(
        "      @leo.fits replies \"Yes, go for it! #YesAcme @acme\" → webhook {}",
        reply["webhook"]["status"]
    );
    let rights = wait_for(30, "the rights recorded from the reply", || async {
        let (_, v) = api.call("GET", &path, moderator, None).await?;
        Ok(v["rights"]
            .as_array()
            .filter(|r| !r.is_empty())
            .map(|r| r[0].clone()))
    })
    .await?;
    println!(
        "      rights recorded from the reply: {} valid now for {}",
        rights["rights"]["license"], rights["valid_now_for"]
    );
    Ok(item_id)
}

/// Step 10: a creator through the portal's API — profile, terms, a link, a discount code made in
/// the store, a generated video uploaded with the presigned POST, ingested and transcoded.
async fn creator(api: &Api<'_>) -> Result<(String, String, Option<String>)> {
    println!("\n[10/12] Creators: onboarding, a trackable link, a discount code, an upload");
    let me = &format!("{CREATOR}:creator");
    let profile = api
        .ok(
            "PUT",
            "/v1/creators/me",
            me,
            Some(json!({"display_name": "Maya Makes", "handles": {"instagram": "maya.makes", "tiktok": "mayamakes"},
                "payout": {"paypal": "maya@example.com"}})),
        )
        .await?;
    let version = profile["terms"]["version"]
        .as_str()
        .ok_or_else(|| anyhow!("no terms version"))?
        .to_string();
    api.ok(
        "POST",
        "/v1/creators/me/terms",
        me,
        Some(json!({ "version": version })),
    )
    .await?;
    let link = api
        .ok(
            "POST",
            "/v1/creators/me/links",
            me,
            Some(json!({"sku": SKUS[0], "campaign": "launch"})),
        )
        .await?;
    let link_url = link["url"]
        .as_str()
        .ok_or_else(|| anyhow!("no link url"))?
        .to_string();
    println!("      link {link_url}");
    let (status, code) = api
        .call(
            "POST",
            "/v1/creators/me/codes",
            me,
            Some(json!({"campaign": "launch"})),
        )
        .await?;
    let code = code["code"]["code"].as_str().map(str::to_string);
    match &code {
        Some(c) => println!(
            "      POST /v1/creators/me/codes → {status}: {c}, created in the Shopify store"
        ),
        None => println!("      POST /v1/creators/me/codes → {status}: no code"),
    }
    let up = api
        .ok(
            "POST",
            "/v1/creators/me/uploads",
            me,
            Some(json!({"content_type": "video/mp4", "caption": "Three ways to wear the everyday tee"})),
        )
        .await?;
    let mut form = reqwest::multipart::Form::new();
    for (k, v) in up["form"]["fields"]
        .as_object()
        .ok_or_else(|| anyhow!("no form fields"))?
    {
        form = form.text(k.clone(), v.as_str().unwrap_or_default().to_string());
    }
    form = form.part(
        "file",
        reqwest::multipart::Part::bytes(clip(6.0).await?)
            .file_name("maya.mp4")
            .mime_str("video/mp4")?,
    );
    let url = up["form"]["url"]
        .as_str()
        .ok_or_else(|| anyhow!("no form url"))?;
    let r = api.http.post(url).multipart(form).send().await?;
    println!(
        "      the video, posted to S3 with the presigned form → {}",
        r.status().as_u16()
    );
    let upload_id = up["upload_id"].as_str().unwrap_or_default();
    let item_id = UgcItem::id_for(Source::Upload, &format!("{CREATOR}/{upload_id}"));
    let seen = std::sync::Mutex::new(Vec::<String>::new());
    let sub = wait_for(90, "the upload ingested and transcoded", || async {
        let (_, v) = api
            .call("GET", "/v1/creators/me/submissions", me, None)
            .await?;
        let s = v["submissions"]
            .as_array()
            .and_then(|s| s.iter().find(|s| s["item_id"] == item_id.as_str()))
            .cloned();
        if let Some(s) = &s {
            let state = format!("{} / {}", s["status"], s["media"]);
            let mut seen = seen.lock().map_err(|_| anyhow!("poisoned"))?;
            if seen.last() != Some(&state) {
                println!("      the creator's submissions: {state}");
                seen.push(state);
            }
        }
        Ok(s.filter(|s| s["media"] == "transcoded"))
    })
    .await?;
    println!("      {item_id}: {}", sub["master"]);
    Ok((item_id, link_url, code))
}

/// Step 11: the moderator's work, through the console's API.
async fn moderation(api: &Api<'_>, story: &Story) -> Result<()> {
    println!("\n[11/12] Moderation: the queue, approve, map to products, publish");
    let base = &api.base;
    println!(
        "      the console: {base}/web/console/index.html (local sign-in: any id, role moderator or admin)"
    );
    let moderator = "demo-moderator:moderator";
    let queue = api
        .ok("GET", "/v1/moderation/items?status=queued", moderator, None)
        .await?;
    for i in queue["items"].as_array().into_iter().flatten() {
        println!(
            "        {} {:<18} rights {:<9} media {}",
            i["id"].as_str().unwrap_or_default(),
            i["source"].as_str().unwrap_or_default(),
            i["summary"]["rights"].as_str().unwrap_or_default(),
            i["summary"]["media"].as_str().unwrap_or_default()
        );
    }
    for (item, skus) in [
        (&story.upload_item, &SKUS[..]),
        (&story.mention_item, &SKUS[..1]),
    ] {
        let path = format!("/v1/moderation/items/{item}");
        for to in ["reviewing", "approved"] {
            api.ok(
                "POST",
                &format!("{path}/transitions"),
                moderator,
                Some(json!({ "to": to })),
            )
            .await?;
        }
        for (n, sku) in skus.iter().enumerate() {
            api.ok(
                "PUT",
                &format!("{path}/mappings"),
                moderator,
                Some(json!({"sku": sku, "placement": "pdp", "pinned": n == 0})),
            )
            .await?;
        }
        api.ok(
            "POST",
            &format!("{path}/transitions"),
            moderator,
            Some(json!({"to": "published"})),
        )
        .await?;
    }
    Ok(())
}

/// Step 12: a day of shoppers on the storefront, link clicks, orders by token, link and code;
/// the funnel, the creator's dashboard and the brand's payout report.
async fn shoppers(api: &Api<'_>, story: &Story) -> Result<()> {
    println!("\n[12/12] Storefront: a day of shoppers, orders, and the reports");
    let base = &api.base;
    let http = &api.http;
    let feed: Value = http
        .get(format!("{base}/v1/feed?placement=pdp&sku={}", SKUS[0]))
        .send()
        .await?
        .json()
        .await?;
    println!(
        "      GET /v1/feed?placement=pdp&sku={} → {} video(s)",
        SKUS[0],
        feed["items"].as_array().map_or(0, Vec::len)
    );
    let t = now();
    // 60 sessions: each sees both videos; some watch, click a product, add to cart.
    let mut carts = Vec::new();
    for n in 0..60u32 {
        // Each shopper's widget asks the collector for a signed session token.
        let session: Value = http
            .post(format!("{base}/v1/sessions"))
            .header("x-amz-content-sha256", crate::server::content_sha256(b""))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        let session = session["token"]
            .as_str()
            .ok_or_else(|| anyhow::anyhow!("no session token"))?
            .to_string();
        let (item, creator, platform) = if n % 3 == 0 {
            (&story.mention_item, None, "instagram_mention")
        } else {
            (&story.upload_item, Some(CREATOR), "upload")
        };
        let mut events = vec![("impression", None)];
        if n % 2 == 0 {
            events.push(("view", None));
        }
        if n % 4 == 0 {
            events.push(("product_click", Some(SKUS[0])));
        }
        if n % 8 == 0 {
            events.push(("add_to_cart", Some(SKUS[0])));
            carts.push(session.clone());
        }
        let events: Vec<Value> = events
            .into_iter()
            .enumerate()
            .map(|(k, (kind, sku))| {
                json!({"event_id": format!("ev{n:04}{k}{t}"), "type": kind,
                "session_id": session, "ugc_id": item, "creator_id": creator, "platform": platform,
                "placement": "pdp", "sku": sku})
            })
            .collect();
        let body = json!({ "events": events }).to_string();
        http.post(format!("{base}/v1/events"))
            .header(
                "x-amz-content-sha256",
                crate::server::content_sha256(body.as_bytes()),
            )
            .body(body)
            .send()
            .await?
            .error_for_status()?;
    }
    println!(
        "      60 shoppers' beacons → POST /v1/events ({} carts)",
        carts.len()
    );
    // Three shoppers follow Maya's link from her bio.
    let no_follow = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let mut link_token = None;
    for _ in 0..3 {
        let r = no_follow.get(&story.link_url).send().await?;
        let location = r
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        link_token = location
            .rsplit_once("rc_token=")
            .map(|(_, t)| t.to_string());
    }
    println!(
        "      3 clicks on {} → 302 to the product with UTM and rc_token",
        story.link_url
    );
    // Touches are counted before the orders that they credit.
    let admin = "demo-admin:admin";
    let (from, to) = (
        reelcart_domain::attribution::day_of(t),
        reelcart_domain::attribution::day_of(t + 86_400),
    );
    let funnel_path = format!("/v1/analytics/funnel?from={from}&to={to}&by=creator");
    let adds = |v: &Value| {
        v["rows"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|r| r["add_to_carts"].as_i64().unwrap_or(0))
            .sum::<i64>()
    };
    wait_for(30, "the shoppers' beacons counted", || async {
        let (_, v) = api.call("GET", &funnel_path, admin, None).await?;
        Ok((adds(&v) >= carts.len() as i64).then_some(()))
    })
    .await?;
    let mut orders: Vec<(String, Value)> = carts
        .iter()
        .take(4)
        .enumerate()
        .map(|(n, token)| {
            (
                format!("cart token {n}"),
                json!({"note_attributes": [{"name": "reelcart_token", "value": token}], "total_price": "29.99"}),
            )
        })
        .collect();
    if let Some(token) = link_token {
        orders.push((
            "Maya's link".into(),
            json!({"note_attributes": [{"name": "reelcart_token", "value": token}], "total_price": "54.00"}),
        ));
    }
    if let Some(code) = &story.code {
        orders.push((
            format!("code {code}"),
            json!({"discount_codes": [{"code": code, "amount": "3.60", "type": "percentage"}], "total_price": "32.40"}),
        ));
    }
    let expected = orders.len();
    for (n, (what, mut order)) in orders.into_iter().enumerate() {
        order["id"] = json!(t * 100 + n as i64);
        let at = time::UtcDateTime::from_unix_timestamp(now())?;
        order["created_at"] = json!(at.format(&time::format_description::well_known::Rfc3339)?);
        order["currency"] = json!("USD");
        let d = simulator::shopify(
            crate::seed::DEMO_SHOPIFY_WEBHOOK_SECRET,
            "reelcart-demo.myshopify.com",
            "orders/create",
            &format!("demo-order-{t}-{n}"),
            &order.to_string(),
        );
        let (status, _) = post(http, base, &d).await?;
        println!(
            "      Shopify orders/create ({what}, {}) → {status}",
            order["total_price"]
        );
    }
    let funnel = wait_for(30, "the orders credited", || async {
        let (_, v) = api.call("GET", &funnel_path, admin, None).await?;
        let orders: f64 = v["rows"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|r| r["orders"].as_f64().unwrap_or(0.0))
            .sum();
        Ok((orders >= expected as f64 - 0.001).then_some(v))
    })
    .await?;
    println!("      funnel by creator ({from}..{to}):");
    for r in funnel["rows"].as_array().into_iter().flatten() {
        println!(
            "        {:<12} {} impressions → {} views → {} clicks → {} adds → {} orders, revenue {}",
            r["key"]
                .as_str()
                .filter(|k| !k.is_empty())
                .unwrap_or("(no creator)"),
            r["impressions"],
            r["views"],
            r["product_clicks"],
            r["add_to_carts"],
            r["orders"],
            r["revenue"]
        );
    }
    let dash = api
        .ok(
            "GET",
            "/v1/creators/me/dashboard?days=2",
            &format!("{CREATOR}:creator"),
            None,
        )
        .await?;
    println!(
        "      Maya's dashboard: {} clicks, {} orders, revenue {}",
        dash["totals"]["product_clicks"], dash["totals"]["orders"], dash["totals"]["revenue"]
    );
    let report = api
        .ok(
            "GET",
            &format!("/v1/creators/payouts?from={from}&to={to}"),
            admin,
            None,
        )
        .await?;
    for r in report["rows"].as_array().into_iter().flatten() {
        println!(
            "      payout report: {} attributed {} × {} = {}",
            r["creator_id"].as_str().unwrap_or_default(),
            r["attributed_revenue"],
            r["commission_rate"],
            r["payout"]
        );
    }
    println!("\n      Open:");
    println!(
        "        storefront         {base}/web/demo/index.html?page=product&sku={}",
        SKUS[0]
    );
    println!("        moderation console {base}/web/console/index.html");
    println!("        creator portal     {base}/web/portal/index.html (sign in as {CREATOR})");
    Ok(())
}
