//! The triggers over a recording fake of the user pool.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::*;
use std::sync::Mutex;

#[derive(Default)]
struct Fake {
    added: Mutex<Vec<(String, String, String)>>,
    totp: bool,
    fail: bool,
}

impl UserPool for &Fake {
    async fn add_to_group(&self, pool: &str, user: &str, group: &str) -> Result<(), String> {
        if self.fail {
            return Err("TooManyRequestsException".into());
        }
        self.added
            .lock()
            .unwrap()
            .push((pool.into(), user.into(), group.into()));
        Ok(())
    }

    async fn has_totp(&self, _pool: &str, _user: &str) -> Result<bool, String> {
        Ok(self.totp)
    }
}

fn sample(name: &str) -> Value {
    let text = match name {
        "post-confirmation" => {
            include_str!("../../../events/identity-triggers/post-confirmation.json")
        }
        _ => include_str!("../../../events/identity-triggers/pre-token-generation.json"),
    };
    serde_json::from_str(text).unwrap()
}

#[tokio::test]
async fn a_confirmed_sign_up_joins_the_creators_and_the_event_comes_back_unchanged() {
    let fake = Fake::default();
    let h = Handler {
        pool: &fake,
        admin_totp_required: true,
    };
    let event = sample("post-confirmation");
    assert_eq!(
        h.handle(event.clone()).await.unwrap(),
        event,
        "Cognito expects its event back"
    );
    assert_eq!(
        fake.added.lock().unwrap().clone(),
        [(
            "us-east-1_Ab12Cd34E".into(),
            "4b2c1f7e-5a43-4c1e-9d55-2f0a3b6c8e11".into(),
            "creator".into()
        )]
    );
}

#[tokio::test]
async fn a_password_reset_changes_nothing_and_a_failure_fails_the_confirmation() {
    let fake = Fake::default();
    let h = Handler {
        pool: &fake,
        admin_totp_required: true,
    };
    let mut reset = sample("post-confirmation");
    reset["triggerSource"] = "PostConfirmation_ConfirmForgotPassword".into();
    assert_eq!(h.handle(reset.clone()).await.unwrap(), reset);
    assert!(fake.added.lock().unwrap().is_empty());
    assert!(matches!(
        h.handle(json!({"hello": 1})).await,
        Err(TriggerError::Malformed(_))
    ));
    let failing = Fake {
        fail: true,
        ..Fake::default()
    };
    let h = Handler {
        pool: &failing,
        admin_totp_required: true,
    };
    assert!(matches!(
        h.handle(sample("post-confirmation")).await,
        Err(TriggerError::Pool(_))
    ));
}

#[tokio::test]
async fn an_admin_without_totp_gets_no_admin_in_the_token() {
    let groups = |e: &Value| {
        e["response"]["claimsAndScopeOverrideDetails"]["groupOverrideDetails"]["groupsToOverride"]
            .clone()
    };
    let without = Fake::default();
    let out = Handler {
        pool: &without,
        admin_totp_required: true,
    }
    .handle(sample("pre-token-generation"))
    .await
    .unwrap();
    assert_eq!(groups(&out), json!(["moderator"]));
    // With TOTP, or with the requirement off, the token says what the groups say.
    let with = Fake {
        totp: true,
        ..Fake::default()
    };
    let event = sample("pre-token-generation");
    assert_eq!(
        Handler {
            pool: &with,
            admin_totp_required: true
        }
        .handle(event.clone())
        .await
        .unwrap(),
        event
    );
    assert_eq!(
        Handler {
            pool: &without,
            admin_totp_required: false
        }
        .handle(event.clone())
        .await
        .unwrap(),
        event
    );
}
