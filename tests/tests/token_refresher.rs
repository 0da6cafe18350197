//! `token-refresher` on the local stack: the template's schedule fired through the stack, KMS and
//! DynamoDB on the emulator, the platform simulator's token endpoints over HTTP.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use reelcart_domain::connection::OAuthPlatform;
use reelcart_e2e::*;

async fn fire(client: &reqwest::Client, stack: &reelcart_local::Stack) -> u16 {
    client
        .post(format!(
            "{}/_local/schedules/TokenRefresherFunction.Sweep",
            stack.url()
        ))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
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

    assert_eq!(fire(&client, &stack).await, 200);
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

    // Again: nothing is due, no platform call.
    assert_eq!(fire(&client, &stack).await, 200);
    assert_eq!(stack.sim.calls("tiktok-shop"), 1);
    assert_eq!(stack.sim.calls("tiktok"), 1);
    stack.stop().await;
}
