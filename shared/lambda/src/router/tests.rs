use super::*;
use crate::testing::api_request;
use axum::routing::{get, post};

#[derive(serde::Deserialize)]
struct Note {
    text: String,
}

#[derive(serde::Deserialize)]
struct Page {
    days: Option<String>,
}

fn router() -> Router {
    api(Router::new()
        .route(
            "/v1/things",
            get(|who: Caller<Staff>, Query(q): Query<Page>| async move {
                Ok::<_, ApiError>(crate::http::json(
                    StatusCode::OK,
                    &serde_json::json!({"who": who.subject(), "days": q.days}),
                ))
            })
            .post(|_: Caller<Admin>, Json(n): Json<Note>| async move {
                Ok::<_, ApiError>(crate::http::text(StatusCode::CREATED, n.text))
            }),
        )
        .route(
            "/v1/things/{id}/parts/{part}",
            get(
                |PathParams((id, part)): PathParams<(String, String)>| async move {
                    Ok::<_, ApiError>(crate::http::text(StatusCode::OK, format!("{id}|{part}")))
                },
            ),
        )
        .route(
            "/v1/down",
            post(|| async {
                Err::<Response<Body>, ApiError>(
                    reelcart_ports::PortError::throttled("t.put", "slow down").into(),
                )
            }),
        ))
}

async fn call(
    method: &str,
    uri: &str,
    who: Option<(&str, &str)>,
    body: Option<&[u8]>,
) -> Response<Body> {
    serve(router(), api_request(method, uri, who, &[], body)).await
}

fn error_code(r: &Response<Body>) -> String {
    let v: serde_json::Value = serde_json::from_slice(r.body().as_ref()).unwrap();
    v["error"]["code"].as_str().unwrap().to_string()
}

#[test]
fn routes_are_listed_as_written() {
    let routes = Routes::<()>::default()
        .get("/a", || async { "a" })
        .post("/a", || async { "b" })
        .delete("/b/{id}", || async { "c" });
    assert_eq!(
        routes.list(),
        [
            (Method::GET, "/a"),
            (Method::POST, "/a"),
            (Method::DELETE, "/b/{id}")
        ]
    );
}

#[tokio::test]
async fn unknown_paths_are_404_and_other_methods_405_before_any_token() {
    let r = call("GET", "/v1/nothing", None, None).await;
    assert_eq!(
        (r.status(), error_code(&r)),
        (StatusCode::NOT_FOUND, "not_found".into())
    );
    let r = call("DELETE", "/v1/things", None, None).await;
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(error_code(&r), "method_not_allowed");
    let allow = r.headers()[header::ALLOW].to_str().unwrap();
    assert!(allow.contains("GET") && allow.contains("POST"), "{allow}");
    assert_eq!(
        allowed_methods(&router(), "/v1/things").await,
        ["GET", "POST"]
    );
    assert!(allowed_methods(&router(), "/v1/nothing").await.is_empty());
}

#[tokio::test]
async fn roles_are_extractors_401_then_403_then_the_handler() {
    let r = call("GET", "/v1/things", None, None).await;
    assert_eq!(
        (r.status(), error_code(&r)),
        (StatusCode::UNAUTHORIZED, "unauthorized".into())
    );
    let r = call("GET", "/v1/things", Some(("cr_1", "[creator]")), None).await;
    assert_eq!(
        (r.status(), error_code(&r)),
        (StatusCode::FORBIDDEN, "forbidden".into())
    );
    // A trailing slash is the same route; the query's first value counts.
    let r = call(
        "GET",
        "/v1/things/?days=7&days=9",
        Some(("mod_1", "[moderator]")),
        None,
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let v: serde_json::Value = serde_json::from_slice(r.body().as_ref()).unwrap();
    assert_eq!(v, serde_json::json!({"who": "mod_1", "days": "7"}));
    // A moderator may read but not write; the role is checked before the body is read.
    let r = call(
        "POST",
        "/v1/things",
        Some(("mod_1", "[moderator]")),
        Some(b"{"),
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn bodies_are_typed_malformed_is_400_too_large_413() {
    let admin = Some(("adm", "[admin]"));
    let r = call("POST", "/v1/things", admin, Some(br#"{"text":"hi"}"#)).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    assert!(matches!(r.body(), Body::Text(t) if t == "hi"));
    let r = call("POST", "/v1/things", admin, Some(br#"{"txt":"hi"}"#)).await;
    assert_eq!(
        (r.status(), error_code(&r)),
        (StatusCode::BAD_REQUEST, "malformed".into())
    );
    let big = format!(r#"{{"text":"{}"}}"#, "x".repeat(MAX_BODY));
    let r = call("POST", "/v1/things", admin, Some(big.as_bytes())).await;
    assert_eq!(
        (r.status(), error_code(&r)),
        (StatusCode::PAYLOAD_TOO_LARGE, "too_large".into())
    );
}

#[tokio::test]
async fn path_segments_are_decoded_and_never_empty() {
    let r = call("GET", "/v1/things/a%2Fb/parts/c%20d", None, None).await;
    assert!(
        matches!(r.body(), Body::Text(t) if t == "a/b|c d"),
        "{:?}",
        r.body()
    );
    let r = call("GET", "/v1/things//parts/c", None, None).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_throttled_store_is_503_with_retry_after() {
    let r = call("POST", "/v1/down", None, None).await;
    assert_eq!(
        (r.status(), error_code(&r)),
        (StatusCode::SERVICE_UNAVAILABLE, "unavailable".into())
    );
    assert_eq!(r.headers()[header::RETRY_AFTER], "2");
    let body = String::from_utf8_lossy(r.body().as_ref()).into_owned();
    assert!(
        !body.contains("slow down"),
        "the detail is never sent: {body}"
    );
}

/// A struct is read from an object only (serde would fill one from an array of its fields);
/// arrays still read as sequences, and options, enums and numbers as before.
#[test]
fn a_struct_body_must_be_a_json_object() {
    #[derive(serde::Deserialize, Debug, PartialEq)]
    struct Body {
        #[serde(default)]
        words: Vec<String>,
        mode: Option<String>,
    }
    let read = |b: &str| super::from_json::<Body>(b.as_bytes());
    assert_eq!(
        read(r#"{"words":["a"],"mode":null}"#).unwrap(),
        Body {
            words: vec!["a".into()],
            mode: None
        }
    );
    for bad in ["[]", r#"[["a"], "x"]"#, "null", "1"] {
        assert_eq!(read(bad).unwrap_err().status(), 400, "{bad}");
    }
    assert_eq!(
        super::from_json::<Vec<Body>>(br#"[{"mode":"m"}]"#).unwrap(),
        vec![Body {
            words: vec![],
            mode: Some("m".into())
        }]
    );
}
