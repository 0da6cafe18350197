//! The custom resource over recording fakes: what it writes, what it sets, what it answers.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::*;
use std::sync::Mutex;

#[derive(Default)]
struct Fake {
    files: Mutex<Vec<(String, String, Value)>>,
    deleted: Mutex<Vec<String>>,
    urls: Mutex<Vec<(String, String, Vec<String>)>>,
    answers: Mutex<Vec<(String, Value)>>,
    fail_cognito: bool,
    fail_delete: bool,
}

impl Site for &Fake {
    async fn put_json(&self, bucket: &str, key: &str, body: Vec<u8>) -> Result<(), String> {
        let v = serde_json::from_slice(&body).unwrap();
        self.files
            .lock()
            .unwrap()
            .push((bucket.into(), key.into(), v));
        Ok(())
    }
    async fn delete(&self, _bucket: &str, key: &str) -> Result<(), String> {
        if self.fail_delete {
            return Err("NoSuchBucket".into());
        }
        self.deleted.lock().unwrap().push(key.into());
        Ok(())
    }
    async fn set_client_urls(
        &self,
        pool: &str,
        client: &str,
        urls: &[String],
    ) -> Result<(), String> {
        if self.fail_cognito {
            return Err("AccessDeniedException".into());
        }
        self.urls
            .lock()
            .unwrap()
            .push((pool.into(), client.into(), urls.to_vec()));
        Ok(())
    }
}

impl Responder for &Fake {
    async fn respond(&self, url: &str, body: Vec<u8>) -> Result<(), String> {
        self.answers
            .lock()
            .unwrap()
            .push((url.into(), serde_json::from_slice(&body).unwrap()));
        Ok(())
    }
}

/// A request as CloudFormation sends it (the template's properties arrive as strings and lists).
fn request(kind: &str) -> Value {
    let mut r = json!({
        "RequestType": kind,
        "ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:console-config",
        "ResponseURL": "https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/x?X-Amz-Signature=y",
        "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/shop/abc",
        "RequestId": "req-1",
        "ResourceType": "Custom::ConsoleConfig",
        "LogicalResourceId": "ConsoleConfig",
        "ResourceProperties": {
            "ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:console-config",
            "Bucket": "shop-consolebucket-1",
            "Api": "https://d111.cloudfront.net",
            "Issuer": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Abc",
            "LoginDomainUrl": "https://reelcart-abc.auth.us-east-1.amazoncognito.com",
            "UserPoolId": "us-east-1_Abc",
            "Consoles": [
                {"Name": "console", "ClientId": "c1", "Url": "https://d111.cloudfront.net/console/index.html",
                 "OtherUrls": ["http://localhost:3000/web/console/index.html", ""]},
                {"Name": "portal", "ClientId": "p1", "Url": "https://d111.cloudfront.net/portal/index.html",
                 "OtherUrls": ["https://d111.cloudfront.net/portal/index.html"]}
            ],
            "ClientSettings": "x"
        }
    });
    if kind != "Create" {
        r["PhysicalResourceId"] = json!("console-config:shop-consolebucket-1");
    }
    if kind == "Update" {
        r["OldResourceProperties"] = r["ResourceProperties"].clone();
    }
    r
}

#[tokio::test]
async fn create_writes_both_configs_sets_the_clients_urls_and_answers_success() {
    let f = Fake::default();
    let h = Handler {
        site: &f,
        responder: &f,
    };
    h.handle(request("Create")).await.unwrap();
    let files = f.files.lock().unwrap().clone();
    assert_eq!(files.len(), 2);
    let (bucket, key, console) = &files[0];
    assert_eq!(
        (bucket.as_str(), key.as_str()),
        ("shop-consolebucket-1", "console/config.json")
    );
    assert_eq!(
        console,
        &json!({
            "api": "https://d111.cloudfront.net",
            "issuer": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Abc",
            "authorize": "https://reelcart-abc.auth.us-east-1.amazoncognito.com/oauth2/authorize",
            "token": "https://reelcart-abc.auth.us-east-1.amazoncognito.com/oauth2/token",
            "revoke": "https://reelcart-abc.auth.us-east-1.amazoncognito.com/oauth2/revoke",
            "logout": "https://reelcart-abc.auth.us-east-1.amazoncognito.com/logout",
            "signup": "https://reelcart-abc.auth.us-east-1.amazoncognito.com/signup",
            "client_id": "c1",
            "redirect_uri": "https://d111.cloudfront.net/console/index.html",
            "scope": "openid email profile",
        })
    );
    assert_eq!(files[1].1, "portal/config.json");
    assert_eq!(files[1].2["client_id"], "p1");
    // The hosted page first, then the others, each once, no empty one.
    assert_eq!(
        f.urls.lock().unwrap().clone(),
        vec![
            (
                "us-east-1_Abc".to_string(),
                "c1".to_string(),
                vec![
                    "https://d111.cloudfront.net/console/index.html".to_string(),
                    "http://localhost:3000/web/console/index.html".to_string()
                ]
            ),
            (
                "us-east-1_Abc".to_string(),
                "p1".to_string(),
                vec!["https://d111.cloudfront.net/portal/index.html".to_string()]
            ),
        ]
    );
    let answers = f.answers.lock().unwrap().clone();
    assert_eq!(answers.len(), 1);
    let (url, a) = &answers[0];
    assert!(url.starts_with("https://cloudformation-custom-resource-response"));
    assert_eq!(a["Status"], "SUCCESS");
    assert_eq!(
        a["PhysicalResourceId"],
        "console-config:shop-consolebucket-1"
    );
    assert_eq!(
        (&a["StackId"], &a["RequestId"], &a["LogicalResourceId"]),
        (
            &json!("arn:aws:cloudformation:us-east-1:123456789012:stack/shop/abc"),
            &json!("req-1"),
            &json!("ConsoleConfig")
        )
    );
}

#[tokio::test]
async fn a_failure_is_answered_failed_with_its_reason_never_left_waiting() {
    let f = Fake {
        fail_cognito: true,
        ..Fake::default()
    };
    let h = Handler {
        site: &f,
        responder: &f,
    };
    h.handle(request("Update")).await.unwrap();
    let a = f.answers.lock().unwrap()[0].1.clone();
    assert_eq!(a["Status"], "FAILED");
    assert!(
        a["Reason"]
            .as_str()
            .unwrap()
            .contains("AccessDeniedException"),
        "{a}"
    );
    assert_eq!(
        a["PhysicalResourceId"], "console-config:shop-consolebucket-1",
        "an update keeps its id"
    );

    // Properties that do not parse: FAILED too, with what is wrong.
    let f = Fake::default();
    let h = Handler {
        site: &f,
        responder: &f,
    };
    let mut r = request("Create");
    r["ResourceProperties"]["Consoles"] = json!("console");
    h.handle(r).await.unwrap();
    let a = f.answers.lock().unwrap()[0].1.clone();
    assert_eq!(a["Status"], "FAILED");
    assert!(
        a["Reason"].as_str().unwrap().starts_with("properties:"),
        "{a}"
    );
    assert!(f.files.lock().unwrap().is_empty());

    // Not a custom resource request at all: the invocation fails (there is nobody to answer).
    assert!(matches!(
        h.handle(json!({"Records": []})).await,
        Err(Error::Malformed(_))
    ));
}

#[tokio::test]
async fn delete_removes_the_configs_and_never_blocks_the_stack_deletion() {
    let f = Fake::default();
    let h = Handler {
        site: &f,
        responder: &f,
    };
    h.handle(request("Delete")).await.unwrap();
    assert_eq!(
        f.deleted.lock().unwrap().clone(),
        ["console/config.json", "portal/config.json"]
    );
    assert!(
        f.urls.lock().unwrap().is_empty(),
        "the clients go with the stack"
    );
    assert_eq!(f.answers.lock().unwrap()[0].1["Status"], "SUCCESS");

    let f = Fake {
        fail_delete: true,
        ..Fake::default()
    };
    let h = Handler {
        site: &f,
        responder: &f,
    };
    h.handle(request("Delete")).await.unwrap();
    assert_eq!(f.answers.lock().unwrap()[0].1["Status"], "SUCCESS");
}
