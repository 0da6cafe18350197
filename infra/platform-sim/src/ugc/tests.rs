use super::*;
use axum::http::{HeaderMap, StatusCode};
use std::sync::{Arc, Mutex};

async fn serve() -> (Sim, String, reqwest::Client) {
    let sim = Sim::default();
    let addr = sim.serve(([127, 0, 0, 1], 0).into()).await.unwrap();
    (sim, format!("http://{addr}"), reqwest::Client::new())
}

async fn post_media(c: &reqwest::Client, base: &str, body: Value) -> Value {
    let r = c
        .post(format!("{base}/_sim/instagram/media"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

async fn get(c: &reqwest::Client, url: &str, token: &str) -> (u16, Value) {
    let r = c.get(url).bearer_auth(token).send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

/// A webhook receiver: every request's signature header and raw body.
async fn receiver() -> (String, Arc<Mutex<Vec<(String, Bytes)>>>) {
    let got: Arc<Mutex<Vec<(String, Bytes)>>> = Arc::default();
    let seen = got.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: Bytes| {
            let seen = seen.clone();
            async move {
                let sig = headers
                    .get("x-hub-signature-256")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_string();
                assert_eq!(headers.get("content-type").unwrap(), "application/json");
                seen.lock().unwrap().push((sig, body));
                StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}/hook"), got)
}

#[test]
fn graph_timestamps() {
    assert_eq!(graph_time(1_795_676_400), "2026-11-26T07:00:00+0000");
    assert_eq!(graph_time(0), "1970-01-01T00:00:00+0000");
    assert_eq!(graph_time(951_782_400), "2000-02-29T00:00:00+0000");
    assert_eq!(graph_time(1_709_251_199), "2024-02-29T23:59:59+0000");
    assert_eq!(graph_time(1_709_251_200), "2024-03-01T00:00:00+0000");
    assert_eq!(graph_time(1_677_628_800), "2023-03-01T00:00:00+0000");
    assert_eq!(graph_time(-1), "1969-12-31T23:59:59+0000");
}

#[test]
fn field_expressions() {
    let f =
        parse_fields("mentioned_media.media_id(179){caption,media_type,children{id,media_url}},id");
    assert_eq!(f.len(), 2);
    assert_eq!(f[0].name, "mentioned_media");
    assert_eq!(f[0].arg("media_id"), Some("179"));
    let sub = f[0].sub.as_ref().unwrap();
    assert_eq!(sub[2].name, "children");
    assert_eq!(sub[2].sub.as_ref().unwrap().len(), 2);
    assert_eq!(f[1].name, "id");
    let f = parse_fields(" mentioned_comment.comment_id( 42 ) ");
    assert_eq!(f[0].arg("comment_id"), Some("42"));
    assert!(f[0].sub.is_none());
    // Unbalanced input still parses.
    let f = parse_fields("a{b,c");
    assert_eq!(f[0].sub.as_ref().unwrap().len(), 2);
    assert_eq!(parse_fields("),}x").len(), 1);
}

#[test]
fn hashtag_and_mention_tokens() {
    assert!(has_hashtag("Love it #SummerDrop!", "summerdrop"));
    assert!(!has_hashtag("#summerdrops", "summerdrop"));
    assert!(!has_hashtag("#summerdrop_2", "summerdrop"));
    assert!(mentions("thanks @Acme.", "acme"));
    assert!(!mentions("thanks @acme.shop", "acme"));
    assert!(!mentions("mail hi@acme.com", "acme"));
}

#[tokio::test]
async fn hashtag_search_recent_and_top_media() {
    let (sim, base, c) = serve().await;
    let token = sim.seed("meta", "1000000000000001", None).access_token;
    for (i, caption) in ["new #SummerDrop", "#summerdrop again", "#SUMMERDROP!"]
        .iter()
        .enumerate()
    {
        post_media(
            &c,
            &base,
            json!({"owner_username": format!("creator{i}"), "caption": caption,
                   "media_type": "VIDEO", "like_count": i * 10, "age_secs": 60 * (3 - i)}),
        )
        .await;
    }
    post_media(
        &c,
        &base,
        json!({"owner_username": "old", "caption": "#summerdrop",
        "like_count": 1000, "age_secs": 25 * 3600}),
    )
    .await;
    post_media(
        &c,
        &base,
        json!({"owner_username": "x", "caption": "#summerdrops #other"}),
    )
    .await;
    post_media(&c, &base, json!({"owner_username": "y", "caption": "#SummerDrop carousel",
        "media_type": "CAROUSEL_ALBUM", "age_secs": 30 * 3600,
        "children": [{"media_url": "https://cdn/a.jpg"}, {"media_type": "VIDEO", "media_url": "https://cdn/b.mp4"}]}))
        .await;

    // No token: Graph's error.
    let r = c
        .get(format!("{base}/ig_hashtag_search?user_id=1&q=summerdrop"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let e: Value = r.json().await.unwrap();
    assert_eq!(e["error"]["code"], 190);

    let (st, v) = get(
        &c,
        &format!("{base}/ig_hashtag_search?user_id=17841400000000001&q=%23SummerDrop"),
        &token,
    )
    .await;
    assert_eq!(st, 200);
    let id = v["data"][0]["id"].as_str().unwrap().to_string();
    let (_, again) = get(
        &c,
        &format!("{base}/ig_hashtag_search?user_id=17841400000000001&q=summerdrop"),
        &token,
    )
    .await;
    assert_eq!(again["data"][0]["id"], id, "stable id, case-insensitive");

    let url = format!(
        "{base}/{id}/recent_media?user_id=17841400000000001&fields=id,caption,username,timestamp,like_count,media_type&limit=2"
    );
    let (st, page1) = get(&c, &url, &token).await;
    assert_eq!(st, 200, "{page1}");
    let data = page1["data"].as_array().unwrap();
    assert_eq!(data.len(), 2);
    assert_eq!(data[0]["caption"], "#SUMMERDROP!", "newest first");
    assert_eq!(data[1]["caption"], "#summerdrop again");
    assert!(
        data.iter().all(|m| m.get("username").is_none()),
        "no username"
    );
    assert!(data[0]["timestamp"].as_str().unwrap().ends_with("+0000"));
    assert_eq!(data[0]["media_type"], "VIDEO");
    let next = page1["paging"]["next"].as_str().unwrap();
    assert!(page1["paging"]["cursors"]["after"].is_string());
    let (_, page2) = get(&c, next, &token).await;
    let data = page2["data"].as_array().unwrap();
    assert_eq!(data.len(), 1, "the 25 h old posts are out: {page2}");
    assert_eq!(data[0]["caption"], "new #SummerDrop");
    assert!(page2.get("paging").is_none());

    // Older than 24 h: gone from recent_media once the clock moves on.
    sim.advance(86_400);
    let (_, later) = get(&c, &url, &token).await;
    assert_eq!(later["data"].as_array().unwrap().len(), 0);

    let (_, top) = get(
        &c,
        &format!("{base}/{id}/top_media?user_id=1&fields=id,like_count,children{{id,media_url}},media_type"),
        &token,
    )
    .await;
    let likes: Vec<u64> = top["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["like_count"].as_u64().unwrap())
        .collect();
    assert_eq!(likes, vec![1000, 20, 10, 0, 0]);
    let carousel = top["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["media_type"] == "CAROUSEL_ALBUM")
        .unwrap();
    assert_eq!(
        carousel["children"]["data"][1]["media_url"],
        "https://cdn/b.mp4"
    );
    assert!(top["data"][0].get("children").is_none());

    let (st, e) = get(
        &c,
        &format!("{base}/17843999/recent_media?user_id=1"),
        &token,
    )
    .await;
    assert_eq!(st, 400);
    assert_eq!(e["error"]["code"], 100);

    let ugc = sim.ugc_json();
    assert_eq!(ugc["hashtag_queries"].as_array().unwrap().len(), 2);
    assert_eq!(ugc["hashtag_queries"][0]["hashtag"], "summerdrop");
    assert_eq!(ugc["hashtag_queries"][0]["user_id"], "17841400000000001");
    assert_eq!(ugc["posts"], 6);
}

#[tokio::test]
async fn mentions_tags_and_signed_webhooks() {
    let (sim, base, c) = serve().await;
    let token = sim.seed("meta", "1000000000000001", None).access_token;
    let (hook, got) = receiver().await;
    let r = c
        .post(format!("{base}/_sim/subscriptions"))
        .json(&json!({"object": "instagram", "callback_url": hook, "secret": "s3cret"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let brand = "17841400000000001";

    let plain = post_media(
        &c,
        &base,
        json!({"owner_username": "bob", "caption": "no brand here"}),
    )
    .await;
    assert!(plain["webhook"].is_null());
    let plain_id = plain["post"]["id"].as_str().unwrap().to_string();

    let mention = post_media(
        &c,
        &base,
        json!({"owner_username": "alice", "caption": "Loving my @Acme jacket",
               "media_type": "VIDEO", "media_url": "https://cdn.example/v.mp4"}),
    )
    .await;
    assert_eq!(mention["webhook"]["status"], 200);
    assert_eq!(mention["post"]["username"], "alice");
    assert!(
        mention["post"]["permalink"]
            .as_str()
            .unwrap()
            .starts_with("https://www.instagram.com/p/")
    );
    let media_id = mention["post"]["id"].as_str().unwrap().to_string();

    // The delivery: signed with the secret over the raw body.
    let (sig, body) = got.lock().unwrap()[0].clone();
    {
        use hmac::{Hmac, KeyInit, Mac};
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(b"s3cret").unwrap();
        mac.update(&body);
        assert_eq!(
            sig,
            format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
        );
    }
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(body["object"], "instagram");
    assert_eq!(body["entry"][0]["id"], brand);
    assert_eq!(body["entry"][0]["changes"][0]["field"], "mentions");
    assert_eq!(
        body["entry"][0]["changes"][0]["value"]["media_id"],
        media_id
    );

    let (st, m) = get(
        &c,
        &format!("{base}/{brand}?fields=mentioned_media.media_id({media_id}){{caption,media_type,media_url,permalink,timestamp,username}}"),
        &token,
    )
    .await;
    assert_eq!(st, 200, "{m}");
    assert_eq!(m["id"], brand);
    assert_eq!(m["mentioned_media"]["id"], media_id);
    assert_eq!(m["mentioned_media"]["username"], "alice");
    assert_eq!(
        m["mentioned_media"]["media_url"],
        "https://cdn.example/v.mp4"
    );
    assert!(m["mentioned_media"].get("like_count").is_none());
    // No inner list: the default set.
    let (_, d) = get(
        &c,
        &format!("{base}/{brand}?fields=mentioned_media.media_id({media_id})"),
        &token,
    )
    .await;
    assert_eq!(d["mentioned_media"]["caption"], "Loving my @Acme jacket");
    // Media that does not mention the brand.
    let (st, e) = get(
        &c,
        &format!("{base}/{brand}?fields=mentioned_media.media_id({plain_id}){{caption}}"),
        &token,
    )
    .await;
    assert_eq!((st, e["error"]["code"].as_i64()), (400, Some(100)));

    // A comment mentioning the brand (the creator's approval reply).
    let r: Value = c
        .post(format!("{base}/_sim/instagram/comments"))
        .json(&json!({"media_id": plain_id, "username": "bob", "text": "@acme #YesAcme"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["webhook"]["status"], 200);
    let comment_id = r["comment"]["id"].as_str().unwrap().to_string();
    let delivered: Value = serde_json::from_slice(&got.lock().unwrap()[1].1).unwrap();
    assert_eq!(
        delivered["entry"][0]["changes"][0]["value"],
        json!({"media_id": plain_id, "comment_id": comment_id})
    );
    let (st, mc) = get(
        &c,
        &format!("{base}/{brand}?fields=mentioned_comment.comment_id({comment_id}){{id,text,timestamp,username,media{{id,permalink}}}}"),
        &token,
    )
    .await;
    assert_eq!(st, 200, "{mc}");
    assert_eq!(mc["mentioned_comment"]["text"], "@acme #YesAcme");
    assert_eq!(mc["mentioned_comment"]["username"], "bob");
    assert_eq!(mc["mentioned_comment"]["media"]["id"], plain_id);
    assert!(mc["mentioned_comment"]["media"]["permalink"].is_string());
    let (_, dc) = get(
        &c,
        &format!("{base}/{brand}?fields=mentioned_comment.comment_id({comment_id})"),
        &token,
    )
    .await;
    assert_eq!(dc["mentioned_comment"]["media"]["id"], plain_id);
    // A comment without the mention.
    let r: Value = c
        .post(format!("{base}/_sim/instagram/comments"))
        .json(&json!({"media_id": plain_id, "username": "eve", "text": "nice"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(r["webhook"].is_null());
    let other = r["comment"]["id"].as_str().unwrap();
    let (st, _) = get(
        &c,
        &format!("{base}/{brand}?fields=mentioned_comment.comment_id({other}){{id}}"),
        &token,
    )
    .await;
    assert_eq!(st, 400);

    // Tagged media, newest first, with username.
    let tagged = post_media(
        &c,
        &base,
        json!({"owner_username": "carol", "caption": "fit check",
        "tagged": [brand], "age_secs": 10}),
    )
    .await;
    let tagged_id = tagged["post"]["id"].as_str().unwrap().to_string();
    let (_, tags) = get(
        &c,
        &format!("{base}/{brand}/tags?fields=id,username,caption&limit=5"),
        &token,
    )
    .await;
    assert_eq!(
        tags["data"],
        json!([{"id": tagged_id, "username": "carol", "caption": "fit check"}])
    );

    // Replies: on mentioning or tagging media only.
    let r = c
        .post(format!("{base}/{brand}/mentions"))
        .bearer_auth(&token)
        .form(&[
            ("media_id", media_id.as_str()),
            ("message", "May we share this? Reply #YesAcme"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let reply: Value = r.json().await.unwrap();
    assert!(reply["id"].is_string());
    let r = c
        .post(format!("{base}/{brand}/mentions"))
        .bearer_auth(&token)
        .query(&[("media_id", tagged_id.as_str()), ("message", "thanks!")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = c
        .post(format!("{base}/{brand}/mentions"))
        .bearer_auth(&token)
        .form(&[("media_id", plain_id.as_str()), ("message", "hi")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400, "unrelated media refused");
    let e: Value = r.json().await.unwrap();
    assert_eq!(e["error"]["code"], 100);
    // ... unless replying to a comment there that mentions the brand.
    let r = c
        .post(format!("{base}/{brand}/mentions"))
        .bearer_auth(&token)
        .form(&[
            ("media_id", plain_id.as_str()),
            ("comment_id", comment_id.as_str()),
            ("message", "thank you"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = c
        .post(format!("{base}/{brand}/mentions"))
        .form(&[("media_id", media_id.as_str()), ("message", "no token")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);

    let ugc = sim.ugc_json();
    let comments = ugc["comments"].as_array().unwrap();
    let by_brand: Vec<&Value> = comments
        .iter()
        .filter(|c| c["username"] == "acme")
        .collect();
    assert_eq!(by_brand.len(), 3);
    assert_eq!(by_brand[0]["media_id"], media_id);
    assert_eq!(by_brand[2]["parent_id"], comment_id);
    assert_eq!(ugc["deliveries"].as_array().unwrap().len(), 2);
    assert_eq!(ugc["deliveries"][0]["status"], 200);

    // Another brand account.
    let r = c
        .post(format!("{base}/_sim/instagram/brand"))
        .json(&json!({"ig_user_id": "17841499999999999", "username": "other.brand"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let (st, _) = get(
        &c,
        &format!("{base}/{brand}?fields=mentioned_media.media_id({media_id}){{caption}}"),
        &token,
    )
    .await;
    assert_eq!(st, 400);
    let (st, u) = get(
        &c,
        &format!("{base}/17841499999999999?fields=id,username"),
        &token,
    )
    .await;
    assert_eq!(st, 200);
    assert_eq!(u["username"], "other.brand");
}

#[tokio::test]
async fn existing_routes_still_win() {
    let (sim, base, c) = serve().await;
    let token = sim.seed("meta", "1000000000000001", None).access_token;
    let (st, me) = get(&c, &format!("{base}/me?access_token={token}"), "x").await;
    assert_eq!((st, me["id"].as_str()), (200, Some("1000000000000001")));
    let (st, e) = get(
        &c,
        &format!("{base}/123/check_batch_request_status?handle=nope"),
        &token,
    )
    .await;
    assert_eq!(
        (st, e["error"]["message"].as_str()),
        (400, Some("(#100) Invalid handle"))
    );
    let (st, e) = get(&c, &format!("{base}/123/unknown_edge"), &token).await;
    assert_eq!((st, e["error"]["code"].as_i64()), (400, Some(100)));
}

#[tokio::test]
async fn media_files_are_served() {
    let (_sim, base, c) = serve().await;
    let r = c
        .put(format!("{base}/_sim/media-files/clip.mp4"))
        .header("content-type", "video/mp4")
        .body(b"0123456789".to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let r = c
        .get(format!("{base}/_sim/ig-cdn/clip.mp4"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "video/mp4");
    assert_eq!(r.headers()["content-length"], "10");
    assert_eq!(r.bytes().await.unwrap().as_ref(), b"0123456789");
    let r = c
        .get(format!("{base}/_sim/ig-cdn/clip.mp4"))
        .header("range", "bytes=2-4")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 206);
    assert_eq!(r.headers()["content-range"], "bytes 2-4/10");
    assert_eq!(r.bytes().await.unwrap().as_ref(), b"234");
    let r = c
        .get(format!("{base}/_sim/ig-cdn/nope.mp4"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn display_api_video_list() {
    let (sim, base, c) = serve().await;
    let open_id = "act.sim-creator-0001";
    let token = sim.seed("tiktok", open_id, None).access_token;
    let mut ids = Vec::new();
    for i in 0..5 {
        let v: Value = c
            .post(format!("{base}/_sim/tiktok/videos"))
            .json(
                &json!({"open_id": open_id, "video_description": format!("video {i}"),
                   "duration": 12, "cover_image_url": "https://p16.example/c.jpg",
                   "age_secs": if i < 3 { 100 } else { 0 }}),
            )
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(
            v["share_url"],
            format!(
                "https://www.tiktok.com/@{open_id}/video/{}",
                v["id"].as_str().unwrap()
            )
        );
        ids.push(v["id"].as_str().unwrap().to_string());
    }
    c.post(format!("{base}/_sim/tiktok/videos"))
        .json(&json!({"open_id": "someone-else"}))
        .send()
        .await
        .unwrap();

    let list = |body: Value, token: String| {
        let c = c.clone();
        let base = base.clone();
        async move {
            let r = c
                .post(format!(
                    "{base}/v2/video/list/?fields=id,create_time,share_url,embed_link,duration,video_description"
                ))
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };
    let (st, p1) = list(json!({"max_count": 2}), token.clone()).await;
    assert_eq!(st, 200, "{p1}");
    assert_eq!(p1["error"]["code"], "ok");
    let v1 = p1["data"]["videos"].as_array().unwrap();
    assert_eq!(v1.len(), 2);
    // Same second: the later-created is newer.
    assert_eq!(v1[0]["id"], ids[4]);
    assert_eq!(v1[1]["id"], ids[3]);
    assert_eq!(
        v1[0]["embed_link"],
        format!("https://www.tiktok.com/player/v1/{}", ids[4])
    );
    assert!(v1[0].get("view_count").is_none(), "only requested fields");
    assert_eq!(p1["data"]["has_more"], true);
    let cursor = p1["data"]["cursor"].as_i64().unwrap();
    let (_, p2) = list(json!({"cursor": cursor, "max_count": 2}), token.clone()).await;
    let v2: Vec<&Value> = p2["data"]["videos"].as_array().unwrap().iter().collect();
    assert_eq!(v2.len(), 2);
    assert_eq!(v2[0]["id"], ids[2]);
    assert!(v2[0]["create_time"].as_i64().unwrap() * 1000 < cursor);
    let cursor = p2["data"]["cursor"].as_i64().unwrap();
    let (_, p3) = list(json!({"cursor": cursor}), token.clone()).await;
    assert_eq!(p3["data"]["videos"].as_array().unwrap().len(), 1);
    assert_eq!(p3["data"]["videos"][0]["id"], ids[0]);
    assert_eq!(p3["data"]["has_more"], false);

    let (st, e) = list(json!({"max_count": 21}), token.clone()).await;
    assert_eq!(st, 400);
    assert_eq!(e["error"]["code"], "invalid_params");
    let (st, e) = list(json!({}), "act.bogus".into()).await;
    assert_eq!(st, 401);
    assert_eq!(e["error"]["code"], "access_token_invalid");
    assert_eq!(e["data"], json!({}));
    sim.advance(2 * 86_400);
    let (st, e) = list(json!({}), token).await;
    assert_eq!(
        (st, e["error"]["code"].as_str()),
        (401, Some("access_token_invalid"))
    );
    assert_eq!(sim.ugc_json()["display_calls"], 6);
}
