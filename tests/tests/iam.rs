//! IAM on the local stack: a function runs with exactly its role's permissions, so a permission
//! taken out of template.yaml is refused as AWS would refuse it — and the suite's IAM check names
//! the function, the action and the resource.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use reelcart_e2e::shopify_webhook;
use reelcart_local::{Options, Stack};
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_permission_taken_from_a_role_is_refused_and_named() {
    let original = std::fs::read_to_string(reelcart_local::default_template()).unwrap();
    // The receiver's role may send to its dead-letter queue instead of its queue.
    let grant = "              Action: [sqs:SendMessage]\n              Resource: !GetAtt WebhookEventQueue.Arn\n";
    assert_eq!(original.matches(grant).count(), 1, "the receiver's grant");
    let cut = original.replace(
        grant,
        &grant.replace("WebhookEventQueue", "WebhookEventDLQ"),
    );
    let dir = tempfile::tempdir().unwrap();
    let template = dir.path().join("template.yaml");
    std::fs::write(&template, cut).unwrap();
    let log = dir.path().join("iam.jsonl");

    let prefix = format!("iam{}", &uuid::Uuid::new_v4().simple().to_string()[..10]);
    let mut opts = Options::new(prefix);
    opts.template = template;
    opts.bind = ([127, 0, 0, 1], 0).into();
    opts.run_schedules = false;
    // Its own emulator: these refusals are this test's, not the suite's.
    opts.own_emulator_iam_log = Some(log.clone());
    let stack = Stack::start(opts).await.unwrap();

    let client = reqwest::Client::new();
    let product = json!({"id": 1, "title": "Tee", "variants": []});
    let status = shopify_webhook(&client, &stack, "products/update", "iam-1", &product).await;
    assert_eq!(
        status, 500,
        "the delivery cannot be enqueued: the platform retries"
    );

    let refused: Vec<Value> = std::fs::read_to_string(&log)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .filter(|r: &Value| r["decision"] != "allow")
        .collect();
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert_eq!(refused[0]["function"], "WebhookReceiverFunction");
    assert_eq!(refused[0]["action"], "sqs:SendMessage");
    let queue = stack.names.resources["WebhookEventQueue"].attributes["Arn"].clone();
    assert_eq!(refused[0]["resource"], queue.as_str());
    // Everything else the receiver did (secrets, the idempotency table) was allowed.
    let allowed = std::fs::read_to_string(&log)
        .unwrap()
        .matches("\"allow\"")
        .count();
    assert!(allowed >= 2, "{allowed}");

    // The suite's IAM check fails on it, naming the function, the action and the resource.
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let out = std::process::Command::new(root.join(".venv/bin/python"))
        .arg(root.join("infra/scripts/iam_report.py"))
        .arg("--log")
        .arg(&log)
        .env("AWS_ENDPOINT_URL", &stack.emulator.endpoint)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains(&format!(
            "WebhookReceiverFunction (role {}): sqs:SendMessage on {queue}",
            stack.physical("WebhookReceiverFunctionRole").unwrap()
        )),
        "{text}"
    );
    stack.stop().await;
}
