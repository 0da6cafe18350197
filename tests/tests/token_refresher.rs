//! `token-refresher` on the local stack: the template's schedule fired through the stack, KMS and
//! DynamoDB on the emulator, the platform simulator's token endpoints over HTTP.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use reelcart_domain::connection::OAuthPlatform;
use reelcart_e2e::*;

async fn fire(client: &reqwest::Client, stack: &reelcart_local::Stack) -> u16 {
    fire_with_body(client, stack).await.0
}

async fn fire_with_body(client: &reqwest::Client, stack: &reelcart_local::Stack) -> (u16, String) {
    let r = client
        .post(format!(
            "{}/_local/schedules/TokenRefresherFunction.Sweep",
            stack.url()
        ))
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

fn attr(
    item: &std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>,
    k: &str,
) -> String {
    match item.get(k) {
        Some(aws_sdk_dynamodb::types::AttributeValue::S(s)) => s.clone(),
        Some(aws_sdk_dynamodb::types::AttributeValue::N(n)) => n.clone(),
        other => format!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_schedule_refreshes_what_expires_and_marks_revoked_grants() {
    let stack = start_stack().await;
    let client = reqwest::Client::new();
    let shop = stack
        .connect_demo(OAuthPlatform::TiktokShop, "7494049642642441621", Some(300))
        .await
        .unwrap();
    let fresh = stack
        .connect_demo(OAuthPlatform::TiktokShop, "7494049642642441622", None)
        .await
        .unwrap();
    let creator = stack
        .connect_demo(OAuthPlatform::Tiktok, "act.creator", Some(60))
        .await
        .unwrap();
    stack.sim.revoke("tiktok", "act.creator");
    // An operator's rule: every connections event of the bus to a queue.
    let inbox = stack
        .clients
        .sqs
        .create_queue()
        .queue_name(format!(
            "{}-ops-inbox",
            stack.physical("ConnectionsTable").unwrap()
        ))
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let events = aws_sdk_eventbridge::Client::new(&stack.emulator.sdk);
    let bus = stack.physical("EventBus").unwrap().to_string();
    events
        .put_rule()
        .event_bus_name(&bus)
        .name("ops")
        .event_pattern(r#"{"source":["reelcart.connections"]}"#)
        .send()
        .await
        .unwrap();
    let inbox_arn = format!(
        "arn:aws:sqs:us-east-1:123456789012:{}",
        inbox.rsplit('/').next().unwrap()
    );
    events
        .put_targets()
        .event_bus_name(&bus)
        .rule("ops")
        .targets(
            aws_sdk_eventbridge::types::Target::builder()
                .id("inbox")
                .arn(inbox_arn)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();

    // The revoked grant is a failed refresh: the run fails, so Lambda counts an error (the
    // function's Errors alarm fires); its retry finds nothing due (the grant is marked) and ends
    // well, so nothing reaches the on-failure queue.
    assert_eq!(fire(&client, &stack).await, 200);
    assert_eq!(stack.errors.count("TokenRefresherFunction"), 1);
    let got = stack
        .clients
        .sqs
        .receive_message()
        .queue_url(&inbox)
        .wait_time_seconds(2)
        .send()
        .await
        .unwrap();
    let body = got
        .messages
        .unwrap_or_default()
        .first()
        .and_then(|m| m.body.clone())
        .unwrap_or_default();
    assert!(
        body.contains("Connection Needs Reauthorization") && body.contains("act.creator"),
        "{body}"
    );
    assert_eq!(
        stack.sim.calls("tiktok-shop"),
        1,
        "only the expiring shop was refreshed"
    );
    assert_eq!(stack.sim.calls("tiktok"), 1);

    let items = scan(&stack, "ConnectionsTable").await;
    let by_id = |id: &str| items.iter().find(|i| attr(i, "id") == id).unwrap().clone();
    let shop_item = by_id(&shop);
    let expires: i64 = attr(&shop_item, "expires_at").parse().unwrap();
    assert!(expires > now() + 6 * 86_400, "a new 7-day token: {expires}");
    assert_eq!(attr(&shop_item, "status"), "active");
    assert_eq!(
        attr(&by_id(&fresh), "version"),
        "1",
        "a fresh connection is left alone"
    );
    let creator_item = by_id(&creator);
    assert_eq!(attr(&creator_item, "status"), "needs_reauth");
    assert!(format!("{creator_item:?}").contains("invalid_grant"));
    // Nothing at rest is a token the simulator issued.
    let raw = format!("{items:?}");
    assert!(
        !raw.contains("TTP.") && !raw.contains("rft.") && !raw.contains("act.0"),
        "{raw}"
    );

    // Again: nothing is due, no platform call, no error.
    assert_eq!(fire(&client, &stack).await, 200);
    assert_eq!(stack.errors.count("TokenRefresherFunction"), 1);
    assert_eq!(stack.sim.calls("tiktok-shop"), 1);
    assert_eq!(stack.sim.calls("tiktok"), 1);
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_deauthorization_webhook_revokes_the_connection_end_to_end() {
    let stack = start_stack().await;
    let client = reqwest::Client::new();
    let creator = stack
        .connect_demo(OAuthPlatform::Tiktok, "act.leaving-creator", None)
        .await
        .unwrap();
    let shop = stack
        .connect_demo(OAuthPlatform::TiktokShop, "7494049642642449999", None)
        .await
        .unwrap();
    let now = now();
    let removed = reelcart_local::simulator::tiktok(
        reelcart_local::seed::DEMO_TIKTOK_CLIENT_SECRET,
        now,
        &format!(
            r#"{{"client_key":"demo-client-key","event":"authorization.removed","create_time":{now},"user_openid":"act.leaving-creator","content":"{{\"reason\":1}}"}}"#
        ),
    );
    let deauthorized = reelcart_local::simulator::tiktok_shop(
        reelcart_local::seed::DEMO_TIKTOK_SHOP_APP_KEY,
        reelcart_local::seed::DEMO_TIKTOK_SHOP_APP_SECRET,
        &format!(
            r#"{{"type":6,"tts_notification_id":"deauth-{now}","shop_id":"7494049642642449999","timestamp":{now},"data":{{"message":"deauthorized"}}}}"#
        ),
    );
    for d in [&removed, &deauthorized] {
        assert_eq!(deliver(&client, &stack, d).await.1["status"], "accepted");
    }
    // receiver → WebhookEventQueue → processor → ConnectionsQueue → connection-events
    eventually(
        std::time::Duration::from_secs(30),
        "both connections revoked",
        || async {
            let items = scan(&stack, "ConnectionsTable").await;
            let revoked = items
                .iter()
                .filter(|i| attr(i, "status") == "revoked")
                .count();
            (revoked == 2).then_some(())
        },
    )
    .await;
    let items = scan(&stack, "ConnectionsTable").await;
    for id in [&creator, &shop] {
        let item = items.iter().find(|i| &attr(i, "id") == id).unwrap();
        assert!(format!("{item:?}").contains("revoked"));
    }
    assert_eq!(queue_depth(&stack, "ConnectionsDLQ").await, 0);
    stack.stop().await;
}

/// A run that keeps failing (its table is gone): every attempt fails, and Lambda's record of it
/// reaches the on-failure queue, sent as the function's role.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_that_keeps_failing_reaches_the_on_failure_queue() {
    let stack = start_stack().await;
    let client = reqwest::Client::new();
    let table = stack.physical("ConnectionsTable").unwrap().to_string();
    stack
        .clients
        .dynamodb
        .delete_table()
        .table_name(&table)
        .send()
        .await
        .unwrap();
    let (status, body) = fire_with_body(&client, &stack).await;
    assert_eq!(status, 500, "{body}");
    // MaximumRetryAttempts: 2 — three attempts, three errors.
    assert_eq!(stack.errors.count("TokenRefresherFunction"), 3);
    let dlq = stack.physical("TokenRefresherDLQ").unwrap().to_string();
    let got = stack
        .clients
        .sqs
        .receive_message()
        .queue_url(&dlq)
        .wait_time_seconds(2)
        .send()
        .await
        .unwrap();
    let messages = got.messages.unwrap_or_default();
    assert_eq!(messages.len(), 1);
    let record: serde_json::Value =
        serde_json::from_str(messages[0].body.as_deref().unwrap()).unwrap();
    assert_eq!(record["requestContext"]["condition"], "RetriesExhausted");
    assert_eq!(record["requestContext"]["approximateInvokeCount"], 3);
    assert_eq!(record["requestPayload"]["detail-type"], "Scheduled Event");
    let error = record["responsePayload"]["errorMessage"].as_str().unwrap();
    assert!(error.contains("ResourceNotFound"), "{error}");
    stack.stop().await;
}
