//! The sample events in `events/moderation-api/` — API Gateway HTTP API requests (payload 2.0)
//! after the `UserJwt` authorizer — are what the handler takes, and get the answers they should.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response};
use moderation_api::Api;
use moderation_api::MemoryPorts;
use reelcart_domain::FixedClock;
use reelcart_domain::content::rights_request::BrandRights;
use reelcart_domain::content::{MediaType, Source, Status, UgcItem};
use reelcart_lambda::auth::Principal;
use reelcart_lambda::router::HttpApi;
use reelcart_lambda::testing::samples;
use reelcart_ports::memory::{
    MemoryBlobs, MemoryCatalog, MemoryCdn, MemoryContent, MemoryMediaRecords,
    MemoryMediaVisibility, MemoryQueue,
};
use reelcart_ports::{BlocklistStore, ItemStore};
use serde_json::Value;
use std::sync::Arc;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../events/moderation-api");
/// When the samples were sent.
const NOW: i64 = 1_764_115_200;
const MODERATOR: &str = "8f2c1e4a-0000-4000-8000-00000000b002";

const SAMPLES: [&str; 3] = [
    "queue.json",
    "transition-reviewing.json",
    "set-blocklist-as-moderator.json",
];

fn text(name: &str) -> String {
    samples::text(DIR.as_ref(), name)
}

fn request(name: &str) -> Request {
    samples::request(DIR.as_ref(), name)
}

fn body(r: &Response<Body>) -> Value {
    samples::json(r)
}

/// The item the samples name: the Instagram mention of media 17887498072083520 (the media of the
/// `webhook-receiver` and `ugc-ingest` samples).
fn mentioned() -> UgcItem {
    UgcItem::new(
        Source::InstagramMention,
        "17887498072083520",
        MediaType::Video,
        "Love my new tee @acme",
        NOW - 3600,
    )
}

#[test]
fn the_directory_holds_exactly_the_samples_tested_here() {
    let found = samples::names(DIR.as_ref());
    let mut expected: Vec<String> = SAMPLES.iter().map(|s| s.to_string()).collect();
    expected.sort();
    assert_eq!(found, expected);
}

#[test]
fn every_sample_is_an_api_gateway_v2_request_on_a_route_of_the_function() {
    let routes: Vec<String> = moderation_api::routes()
        .into_iter()
        .map(|(method, path)| format!("{method} {path}"))
        .collect();
    for name in SAMPLES {
        let raw: Value = serde_json::from_str(&text(name)).unwrap();
        let route_key = raw["routeKey"].as_str().unwrap();
        assert!(routes.iter().any(|r| r == route_key), "{name}: {route_key}");
        assert_eq!(raw["requestContext"]["routeKey"], route_key, "{name}");
        let req = request(name);
        assert!(
            matches!(
                req.request_context_ref(),
                Some(RequestContext::ApiGatewayV2(_))
            ),
            "{name}"
        );
        assert_eq!(req.uri().path(), raw["rawPath"], "{name}");
        let who = Principal::from_request(&req).unwrap();
        assert_eq!(
            (who.subject.as_str(), who.roles),
            (MODERATOR, vec!["moderator".to_string()]),
            "{name}"
        );
    }
    // The path parameter API Gateway extracted is the item the path names.
    let req = request("transition-reviewing.json");
    assert_eq!(
        req.path_parameters().first("id"),
        Some(mentioned().id.as_str())
    );
    assert_eq!(
        req.uri().path(),
        format!("/v1/moderation/items/{}/transitions", mentioned().id)
    );
}

type TestApi = Api<MemoryPorts>;

async fn api() -> Arc<TestApi> {
    let api = Api::<MemoryPorts> {
        content: MemoryContent::default(),
        media: MemoryMediaRecords::default(),
        catalog: MemoryCatalog::default(),
        consent: MemoryBlobs::default(),
        commands: MemoryQueue::default(),
        brand: BrandRights::new("acme", None, "https://example.com/ugc-terms").unwrap(),
        visibility: MemoryMediaVisibility::default(),
        cdn: MemoryCdn::default(),
        files: MemoryBlobs::default(),
        clock: Arc::new(FixedClock::at(NOW)),
    };
    api.content.create_item(&mentioned()).await.unwrap();
    Arc::new(api)
}

#[tokio::test]
async fn the_samples_get_their_answers() {
    let api = api().await;
    let id = mentioned().id;

    let r = api.handle(request("queue.json")).await;
    assert_eq!(r.status(), 200, "{}", body(&r));
    let out = body(&r);
    assert_eq!(out["items"][0]["id"], id.as_str(), "{out}");
    assert_eq!(out["items"][0]["status"], "queued");

    let r = api.handle(request("transition-reviewing.json")).await;
    assert_eq!(r.status(), 200, "{}", body(&r));
    let out = body(&r);
    assert_eq!(out["item"]["status"], "reviewing");
    // The actor of the audit entry is the token's subject.
    assert_eq!(out["audit_entry"]["actor"], MODERATOR);
    let item = api.content.item(&id).await.unwrap().unwrap();
    assert_eq!(item.status, Status::Reviewing);

    // The blocklist is the admin's: a moderator's PUT is refused and changes nothing.
    let r = api.handle(request("set-blocklist-as-moderator.json")).await;
    assert_eq!(r.status(), 403, "{}", body(&r));
    assert_eq!(body(&r)["error"]["code"], "forbidden");
    assert!(api.content.blocklist().await.unwrap().words.is_empty());
}

#[tokio::test]
async fn the_blocklist_sample_body_is_one_an_admin_may_put() {
    // The same request from an admin: the body is what the route takes.
    let mut raw: Value = serde_json::from_str(&text("set-blocklist-as-moderator.json")).unwrap();
    raw["requestContext"]["authorizer"]["jwt"]["claims"]["cognito:groups"] = "[admin]".into();
    let api = api().await;
    let r = api
        .handle(lambda_http::request::from_str(&raw.to_string()).unwrap())
        .await;
    assert_eq!(r.status(), 200, "{}", body(&r));
    let saved = api.content.blocklist().await.unwrap();
    assert_eq!(saved.words, ["giveaway", "dm for promo"]);
    assert_eq!(saved.handles, ["spam.account"]);
}

/// Every route is in `docs/openapi.yaml`, and every answer to every role (with and without a
/// malformed body) is a status it lists.
#[tokio::test]
async fn every_route_and_answer_is_documented() {
    let api = api().await;
    let problems = reelcart_lambda::testing::undocumented(&api).await;
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
