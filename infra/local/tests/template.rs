//! Checks on the template after the SAM transform — what CloudFormation receives — for what AWS
//! enforces and the local stack cannot show: each guards a mistake that made a first deploy fail
//! or run blind.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::{Value, json};
use std::collections::BTreeSet;

async fn resources() -> (Value, Value) {
    let t = reelcart_local::iam::transformed(&reelcart_local::default_template())
        .await
        .expect("the SAM transform runs (make venv)");
    (t["Resources"].clone(), t)
}

fn of_type<'a>(res: &'a Value, kind: &'a str) -> impl Iterator<Item = (&'a String, &'a Value)> {
    res.as_object()
        .expect("resources")
        .iter()
        .filter(move |(_, r)| r["Type"] == kind)
}

/// The logical id a `Ref` or `Fn::GetAtt` names.
fn target(v: &Value) -> Option<&str> {
    v["Ref"]
        .as_str()
        .or_else(|| v["Fn::GetAtt"][0].as_str())
        .or_else(|| v["Fn::GetAtt"].as_str()?.split('.').next())
}

fn list(v: &Value) -> Vec<Value> {
    match v {
        Value::Array(a) => a.clone(),
        Value::Null => Vec::new(),
        other => vec![other.clone()],
    }
}

/// Alarms (with actions) on `namespace`/`metric` whose `dimension` names `id`.
fn alarmed(res: &Value, namespace: &str, metric: &str, dimension: &str, id: &str) -> bool {
    of_type(res, "AWS::CloudWatch::Alarm").any(|(_, a)| {
        let p = &a["Properties"];
        p["Namespace"] == namespace
            && p["MetricName"] == metric
            && !list(&p["AlarmActions"]).is_empty()
            && list(&p["Dimensions"])
                .iter()
                .any(|d| d["Name"] == dimension && target(&d["Value"]) == Some(id))
    })
}

#[tokio::test]
async fn alarms_reach_a_topic_cloudwatch_can_publish_to() {
    let (res, _) = resources().await;
    let mut topics = BTreeSet::new();
    for (id, a) in of_type(&res, "AWS::CloudWatch::Alarm") {
        let actions = list(&a["Properties"]["AlarmActions"]);
        assert!(!actions.is_empty(), "{id} has no AlarmActions");
        for t in &actions {
            topics.insert(
                target(t)
                    .unwrap_or_else(|| panic!("{id}: action {t}"))
                    .to_string(),
            );
        }
    }
    for topic in topics {
        let key = &res[&topic]["Properties"]["KmsMasterKeyId"];
        if key.is_null() {
            continue;
        }
        // AWS-managed keys (alias/aws/sns) have policies CloudWatch is not in: alarms never arrive.
        let key_id = target(key).unwrap_or_else(|| {
            panic!("{topic} is encrypted with {key}: use a customer managed key CloudWatch may use")
        });
        let policy = &res[key_id]["Properties"]["KeyPolicy"];
        let allowed = list(&policy["Statement"]).iter().any(|s| {
            let actions: Vec<Value> = list(&s["Action"]);
            s["Effect"] == "Allow"
                && list(&s["Principal"]["Service"]).contains(&json!("cloudwatch.amazonaws.com"))
                && actions.contains(&json!("kms:Decrypt"))
                && actions
                    .iter()
                    .any(|a| a == "kms:GenerateDataKey*" || a == "kms:GenerateDataKey")
        });
        assert!(
            allowed,
            "{topic}'s key {key_id} does not let cloudwatch.amazonaws.com use it"
        );
    }
}

#[tokio::test]
async fn every_function_has_an_errors_alarm() {
    let (res, _) = resources().await;
    for (id, _) in of_type(&res, "AWS::Lambda::Function") {
        assert!(
            alarmed(&res, "AWS/Lambda", "Errors", "FunctionName", id),
            "{id} has no alarm on its Errors"
        );
    }
}

/// Functions invoked asynchronously (schedules, EventBridge rules): their failures go nowhere
/// unless an on-failure destination (or dead-letter queue) takes them, with an alarm on it and
/// the role allowed to send there.
#[tokio::test]
async fn asynchronously_invoked_functions_have_an_alarmed_failure_destination() {
    let (res, _) = resources().await;
    let mut invoked = BTreeSet::new();
    for (_, s) in of_type(&res, "AWS::Scheduler::Schedule") {
        invoked.insert(target(&s["Properties"]["Target"]["Arn"]).map(str::to_string));
    }
    for (_, r) in of_type(&res, "AWS::Events::Rule") {
        for t in list(&r["Properties"]["Targets"]) {
            invoked.insert(target(&t["Arn"]).map(str::to_string));
        }
    }
    let invoked: BTreeSet<String> = invoked.into_iter().flatten().collect();
    assert!(invoked.len() >= 6, "the schedules and rules: {invoked:?}");
    for f in invoked {
        let on_failure = of_type(&res, "AWS::Lambda::EventInvokeConfig")
            .find(|(_, c)| target(&c["Properties"]["FunctionName"]) == Some(f.as_str()))
            .and_then(|(_, c)| {
                target(&c["Properties"]["DestinationConfig"]["OnFailure"]["Destination"])
            });
        let dlq = target(&res[&f]["Properties"]["DeadLetterConfig"]["TargetArn"]);
        let queue = on_failure
            .or(dlq)
            .unwrap_or_else(|| panic!("{f} is invoked asynchronously with nowhere for failures"));
        assert_eq!(res[queue]["Type"], "AWS::SQS::Queue", "{f}: {queue}");
        assert!(
            alarmed(
                &res,
                "AWS/SQS",
                "ApproximateNumberOfMessagesVisible",
                "QueueName",
                queue
            ),
            "{f}'s failure queue {queue} has no alarm"
        );
        let role = target(&res[&f]["Properties"]["Role"]).expect("role");
        let sends = list(&res[role]["Properties"]["Policies"]).iter().any(|p| {
            list(&p["PolicyDocument"]["Statement"]).iter().any(|s| {
                s["Effect"] == "Allow"
                    && list(&s["Action"]).contains(&json!("sqs:SendMessage"))
                    && list(&s["Resource"])
                        .iter()
                        .any(|r| target(r) == Some(queue))
            })
        });
        assert!(sends, "{f}'s role {role} may not send to {queue}");
    }
}

#[tokio::test]
async fn memory_fits_a_new_account_unless_raised_by_a_parameter() {
    let (res, t) = resources().await;
    for (id, f) in of_type(&res, "AWS::Lambda::Function") {
        let m = &f["Properties"]["MemorySize"];
        let mb = match m["Ref"].as_str() {
            Some(p) => t["Parameters"][p]["Default"].as_u64(),
            None => m.as_u64().or(Some(128)),
        }
        .unwrap_or_else(|| panic!("{id}: MemorySize {m}"));
        // New accounts are often held to 3008 MB until Lambda raises the quota.
        assert!(mb <= 3008, "{id} asks for {mb} MB by default");
    }
}

#[tokio::test]
async fn no_fixed_physical_names() {
    let (res, _) = resources().await;
    let named = [
        ("AWS::Scheduler::Schedule", "Name"),
        ("AWS::Events::EventBus", "Name"),
        ("AWS::Events::Rule", "Name"),
        ("AWS::SQS::Queue", "QueueName"),
        ("AWS::SNS::Topic", "TopicName"),
        ("AWS::DynamoDB::Table", "TableName"),
        ("AWS::S3::Bucket", "BucketName"),
        ("AWS::Lambda::Function", "FunctionName"),
        ("AWS::IAM::Role", "RoleName"),
        ("AWS::Logs::LogGroup", "LogGroupName"),
        ("AWS::CloudWatch::Alarm", "AlarmName"),
        ("AWS::Cognito::UserPool", "UserPoolName"),
        (
            "AWS::CloudFront::OriginAccessControl",
            "OriginAccessControlConfig",
        ),
    ];
    for (kind, prop) in named {
        for (id, r) in of_type(&res, kind) {
            let v = &r["Properties"][prop];
            let v = if prop == "OriginAccessControlConfig" {
                &v["Name"]
            } else {
                v
            };
            // Two stacks (staging beside production) in one account must not collide.
            assert!(
                v.is_null() || v.to_string().contains("AWS::StackName"),
                "{id}.{prop} is fixed: {v}"
            );
        }
    }
}

#[tokio::test]
async fn stateful_resources_are_retained() {
    let (res, _) = resources().await;
    for kind in [
        "AWS::DynamoDB::Table",
        "AWS::S3::Bucket",
        "AWS::Cognito::UserPool",
        "AWS::KMS::Key",
        "AWS::SecretsManager::Secret",
        "AWS::SQS::Queue",
        "AWS::Logs::LogGroup",
    ] {
        for (id, r) in of_type(&res, kind) {
            assert_eq!(
                r["DeletionPolicy"], "Retain",
                "{id} ({kind}) DeletionPolicy"
            );
            assert_eq!(
                r["UpdateReplacePolicy"], "Retain",
                "{id} ({kind}) UpdateReplacePolicy"
            );
        }
    }
}

#[tokio::test]
async fn every_function_logs_to_a_group_with_the_retention_parameter() {
    let (res, _) = resources().await;
    for (id, f) in of_type(&res, "AWS::Lambda::Function") {
        let group = target(&f["Properties"]["LoggingConfig"]["LogGroup"])
            .unwrap_or_else(|| panic!("{id} logs to a group nobody set a retention on"));
        assert_eq!(res[group]["Type"], "AWS::Logs::LogGroup", "{id}");
        assert_eq!(
            res[group]["Properties"]["RetentionInDays"],
            json!({"Ref": "LogRetentionDays"}),
            "{id}: {group}"
        );
    }
}

#[tokio::test]
async fn queues_stay_invisible_six_times_their_consumers_timeout() {
    let (res, _) = resources().await;
    let mut n = 0;
    for (id, m) in of_type(&res, "AWS::Lambda::EventSourceMapping") {
        let queue = target(&m["Properties"]["EventSourceArn"]).expect("queue");
        let f = target(&m["Properties"]["FunctionName"]).expect("function");
        let timeout = res[f]["Properties"]["Timeout"].as_u64().unwrap_or(3);
        let window = m["Properties"]["MaximumBatchingWindowInSeconds"]
            .as_u64()
            .unwrap_or(0);
        let visibility = res[queue]["Properties"]["VisibilityTimeout"]
            .as_u64()
            .unwrap_or(30);
        // Lambda's SQS integration: at least six times the function's timeout (plus the window).
        assert!(
            visibility >= 6 * timeout + window,
            "{id}: {queue} visibility {visibility} s < 6 × {f}'s {timeout} s (+{window} s)"
        );
        n += 1;
    }
    assert!(n >= 8, "{n} SQS sources");
}

/// A small evaluator for the outputs, with values as AWS gives them (a function URL ends in "/").
fn eval(v: &Value) -> String {
    if let Some(s) = v.as_str() {
        return s.to_string();
    }
    if let Some(r) = v["Ref"].as_str() {
        return match r {
            "AWS::Region" => "us-east-1".into(),
            "AWS::URLSuffix" => "amazonaws.com".into(),
            "AWS::StackName" => "reelcart".into(),
            other => format!("{}id", other.to_lowercase()),
        };
    }
    if let Some(a) = v["Fn::GetAtt"].as_array() {
        return match a[1].as_str() {
            Some("FunctionUrl") => "https://abcdefghij.lambda-url.us-east-1.on.aws/".into(),
            Some("DomainName") => "d111111abcdef8.cloudfront.net".into(),
            other => panic!("GetAtt {other:?}"),
        };
    }
    if let Some(s) = v["Fn::Sub"].as_str() {
        let mut out = String::new();
        let mut rest = s;
        while let Some(i) = rest.find("${") {
            out.push_str(&rest[..i]);
            let end = rest[i..].find('}').expect("}") + i;
            let name = &rest[i + 2..end];
            out.push_str(&match name.split_once('.') {
                Some((r, a)) if !name.starts_with("AWS::") => eval(&json!({"Fn::GetAtt": [r, a]})),
                _ => eval(&json!({"Ref": name})),
            });
            rest = &rest[end + 1..];
        }
        return out + rest;
    }
    if let Some(a) = v["Fn::Join"].as_array() {
        let parts: Vec<String> = list(&a[1]).iter().map(eval).collect();
        return parts.join(a[0].as_str().unwrap_or_default());
    }
    if let Some(a) = v["Fn::Select"].as_array() {
        let i = a[0]
            .as_u64()
            .or_else(|| a[0].as_str()?.parse().ok())
            .expect("index") as usize;
        let s = &a[1]["Fn::Split"];
        let whole = eval(&s[1]);
        return whole
            .split(s[0].as_str().expect("delimiter"))
            .nth(i)
            .expect("part")
            .to_string();
    }
    panic!("cannot evaluate {v}")
}

#[tokio::test]
async fn output_urls_can_be_used_as_printed() {
    let (_, t) = resources().await;
    for (name, path) in [
        ("FeedUrl", "/v1/feed"),
        ("EventsUrl", "/v1/events"),
        ("ApiUrl", "/webhooks/meta"),
        ("MediaBaseUrl", "/media/x/media_manifest.json"),
    ] {
        let url = eval(&t["Outputs"][name]["Value"]);
        // The widget and the docs append paths: `<FeedUrl>/v1/feed`.
        assert!(url.starts_with("https://"), "{name} = {url}");
        assert!(!url.ends_with('/'), "{name} = {url} ends in '/'");
        assert!(!format!("{url}{path}")[8..].contains("//"), "{name}{path}");
    }
}

/// Sign-in and the hosted consoles, as CloudFormation receives them: the three groups, the
/// triggers, managed login, two public code+PKCE clients the authorizer takes (and only those),
/// the consoles' bucket readable only by their distribution, the API on the consoles' origin,
/// the headers policy on every behaviour, and config.json written at deploy.
#[tokio::test]
async fn sign_in_and_the_hosted_consoles_are_wired_as_aws_needs_them() {
    let (res, t) = resources().await;
    let groups: BTreeSet<&str> = of_type(&res, "AWS::Cognito::UserPoolGroup")
        .filter_map(|(_, g)| g["Properties"]["GroupName"].as_str())
        .collect();
    assert_eq!(groups, BTreeSet::from(["admin", "moderator", "creator"]));
    let pool = &res["UserPool"]["Properties"];
    assert_eq!(
        pool["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"], false,
        "creators sign up"
    );
    assert_eq!(pool["AutoVerifiedAttributes"], json!(["email"]));
    assert_eq!(pool["EnabledMfas"], json!(["SOFTWARE_TOKEN_MFA"]));
    let lambda = &pool["LambdaConfig"];
    assert_eq!(
        target(&lambda["PostConfirmation"]),
        Some("IdentityTriggersFunction")
    );
    assert_eq!(
        target(&lambda["PreTokenGenerationConfig"]["LambdaArn"]),
        Some("IdentityTriggersFunction")
    );
    assert_eq!(lambda["PreTokenGenerationConfig"]["LambdaVersion"], "V2_0");
    assert_eq!(res["LoginDomain"]["Properties"]["ManagedLoginVersion"], 2);
    for client in ["ConsoleClient", "PortalClient"] {
        let c = &res[client]["Properties"];
        assert_eq!(
            (
                &c["GenerateSecret"],
                &c["AllowedOAuthFlows"],
                &c["EnableTokenRevocation"]
            ),
            (&json!(false), &json!(["code"]), &json!(true)),
            "{client}: a public client, code flow (PKCE), revocable refresh tokens"
        );
        assert_eq!(
            c["AllowedOAuthScopes"],
            json!(["openid", "email", "profile"])
        );
        let branded = of_type(&res, "AWS::Cognito::ManagedLoginBranding")
            .any(|(_, b)| target(&b["Properties"]["ClientId"]) == Some(client));
        assert!(branded, "{client} has managed-login pages");
    }
    // The authorizer: exactly the two clients (access tokens' client_id) from the pool's issuer.
    let jwt = &res["ReelcartApi"]["Properties"]["Body"]["components"]["securitySchemes"]["UserJwt"]
        ["x-amazon-apigateway-authorizer"]["jwtConfiguration"];
    let audience = list(&jwt["audience"]["Fn::If"][2]);
    let audience: Vec<Option<&str>> = audience.iter().map(target).collect();
    assert_eq!(audience, [Some("ConsoleClient"), Some("PortalClient")]);

    // Hosting: a private bucket only the consoles' distribution reads, through OAC.
    let bucket = &res["ConsoleBucket"]["Properties"];
    assert_eq!(
        bucket["PublicAccessBlockConfiguration"]["RestrictPublicBuckets"],
        true
    );
    let dist = &res["ConsoleDistribution"]["Properties"]["DistributionConfig"];
    let origins = list(&dist["Origins"]);
    let site = origins
        .iter()
        .find(|o| o["Id"] == "site")
        .expect("the bucket origin");
    assert_eq!(target(&site["DomainName"]), Some("ConsoleBucket"));
    assert_eq!(
        target(&site["OriginAccessControlId"]),
        Some("ConsoleOriginAccessControl")
    );
    let policy = format!(
        "{}",
        res["ConsoleBucketPolicy"]["Properties"]["PolicyDocument"]
    );
    assert!(
        policy.contains("cloudfront.amazonaws.com") && policy.contains("ConsoleDistribution"),
        "{policy}"
    );
    // The API on the consoles' origin: not cached, the token passed on.
    let api = origins
        .iter()
        .find(|o| o["Id"] == "api")
        .expect("the API origin");
    assert!(format!("{}", api["DomainName"]).contains("ReelcartApi"));
    let v1 = list(&dist["CacheBehaviors"])
        .into_iter()
        .find(|b| b["PathPattern"] == "/v1/*")
        .expect("/v1/*");
    assert_eq!(v1["TargetOriginId"], "api");
    assert_eq!(
        v1["CachePolicyId"], "4135ea2d-6df8-44a3-9df3-4b5a84be39ad",
        "CachingDisabled"
    );
    assert_eq!(
        v1["OriginRequestPolicyId"], "b689b0a8-53d0-40ab-baf2-68738e2966ac",
        "AllViewerExceptHostHeader"
    );
    for b in [&dist["DefaultCacheBehavior"], &v1] {
        assert_eq!(
            target(&b["ResponseHeadersPolicyId"]),
            Some("ConsoleHeadersPolicy")
        );
    }
    // The headers: a CSP naming the sign-in domain, the media CDN and the upload bucket; HSTS;
    // no framing.
    let sec = &res["ConsoleHeadersPolicy"]["Properties"]["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"];
    let csp = sec["ContentSecurityPolicy"]["ContentSecurityPolicy"]["Fn::Sub"]
        .as_str()
        .expect("a CSP");
    let connect = csp
        .split(';')
        .find(|d| d.trim().starts_with("connect-src"))
        .unwrap();
    for origin in [
        "'self'",
        "https://${LoginDomain}.auth.${AWS::Region}.amazoncognito.com",
        "https://${MediaDistribution.DomainName}",
        "https://${RawMediaBucket.RegionalDomainName}",
        // Moderators' previews: signed links straight to the media bucket.
        "https://${MediaBucket.RegionalDomainName}",
    ] {
        assert!(
            connect.contains(origin),
            "connect-src has {origin}: {connect}"
        );
    }
    assert_eq!(
        connect.split_whitespace().count(),
        6,
        "exactly those: {connect}"
    );
    for d in [
        "default-src 'none'",
        "script-src 'self'",
        "frame-ancestors 'none'",
        "object-src 'none'",
    ] {
        assert!(csp.contains(d), "{d}: {csp}");
    }
    assert_eq!(sec["FrameOptions"]["FrameOption"], "DENY");
    assert!(sec["StrictTransportSecurity"]["AccessControlMaxAgeSec"].as_u64() >= Some(31_536_000));
    // config.json at deploy, from what the stack made; the clients' URLs include the hosted pages.
    let config = &res["ConsoleConfig"];
    assert_eq!(config["Type"], "Custom::ConsoleConfig");
    assert_eq!(
        target(&config["Properties"]["ServiceToken"]),
        Some("ConsoleConfigFunction")
    );
    let consoles = list(&config["Properties"]["Consoles"]);
    let clients: Vec<Option<&str>> = consoles.iter().map(|c| target(&c["ClientId"])).collect();
    assert_eq!(clients, [Some("ConsoleClient"), Some("PortalClient")]);
    for out in [
        "ConsoleUrl",
        "PortalUrl",
        "LoginDomainUrl",
        "ConsoleClientId",
        "PortalClientId",
    ] {
        assert!(t["Outputs"][out].is_object(), "output {out}");
    }
}

/// The public storefront routes are reachable only through CloudFront: the function URLs take
/// IAM-signed requests, the distribution signs with an origin access control for Lambda, and
/// CloudFront may invoke each function both ways Lambda requires for URLs made since
/// October 2025; the feed is cached by what it varies on; WAF limits beacons, links and the feed
/// per address; the widget's URLs are the distribution's.
#[tokio::test]
async fn the_storefront_routes_are_behind_cloudfront_oac_and_waf() {
    let (res, t) = resources().await;
    let dist = &res["StorefrontDistribution"]["Properties"]["DistributionConfig"];
    for f in ["FeedApiFunction", "AttributionCollectorFunction"] {
        let url = of_type(&res, "AWS::Lambda::Url")
            .find(|(_, u)| target(&u["Properties"]["TargetFunctionArn"]) == Some(f))
            .unwrap_or_else(|| panic!("{f} has no URL"));
        assert_eq!(url.1["Properties"]["AuthType"], "AWS_IAM", "{f}");
        // No public permission left from AuthType NONE (API Gateway's, for an API route, stays).
        assert!(
            of_type(&res, "AWS::Lambda::Permission").all(|(_, p)| {
                target(&p["Properties"]["FunctionName"]) != Some(f)
                    || p["Properties"]["Principal"] != "*"
            }),
            "{f} can be invoked by anyone"
        );
        let actions: BTreeSet<String> = of_type(&res, "AWS::Lambda::Permission")
            .filter(|(_, p)| target(&p["Properties"]["FunctionName"]) == Some(f))
            .filter(|(_, p)| {
                p["Properties"]["SourceArn"]
                    .to_string()
                    .contains("StorefrontDistribution")
            })
            .map(|(_, p)| {
                let p = &p["Properties"];
                if p["Action"] == "lambda:InvokeFunction" {
                    assert_eq!(p["InvokedViaFunctionUrl"], true, "{f}");
                }
                p["Action"].as_str().unwrap().to_string()
            })
            .collect();
        assert_eq!(
            actions,
            ["lambda:InvokeFunction", "lambda:InvokeFunctionUrl"]
                .map(String::from)
                .into(),
            "{f}"
        );
        let origin = dist["Origins"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["DomainName"].to_string().contains(&format!("{f}Url")))
            .unwrap_or_else(|| panic!("no origin for {f}"));
        let oac = target(&origin["OriginAccessControlId"]).unwrap();
        let config = &res[oac]["Properties"]["OriginAccessControlConfig"];
        assert_eq!(
            (
                &config["OriginAccessControlOriginType"],
                &config["SigningBehavior"]
            ),
            (&json!("lambda"), &json!("always"))
        );
    }
    let feed = dist["CacheBehaviors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["PathPattern"] == "/v1/feed")
        .expect("a /v1/feed behaviour");
    let policy = &res[target(&feed["CachePolicyId"]).unwrap()]["Properties"]["CachePolicyConfig"]["ParametersInCacheKeyAndForwardedToOrigin"];
    assert_eq!(policy["HeadersConfig"]["Headers"], json!(["Origin"]));
    for q in ["placement", "sku", "collection", "limit", "cursor"] {
        assert!(
            list(&policy["QueryStringsConfig"]["QueryStrings"]).contains(&json!(q)),
            "{q}"
        );
    }
    let rules = list(&res["StorefrontWebAcl"]["Properties"]["Rules"]);
    let limited: Vec<String> = rules
        .iter()
        .map(|r| r["Statement"]["RateBasedStatement"]["ScopeDownStatement"].to_string())
        .collect();
    for path in ["/v1/events", "/v1/sessions", "/r/", "/v1/feed"] {
        assert!(
            limited.iter().any(|s| s.contains(path)),
            "{path} is not rate limited"
        );
    }
    for output in ["FeedUrl", "EventsUrl"] {
        assert_eq!(
            eval(&t["Outputs"][output]["Value"]),
            "https://d111111abcdef8.cloudfront.net"
        );
    }
}

/// Webhooks keep executions of their own; the public functions have a ceiling; together they
/// leave Lambda's 100 unreserved in an account with the default quota of 1,000, and each can be
/// switched off by a parameter. Every queue's consumer has a maximum concurrency.
#[tokio::test]
async fn concurrency_is_reserved_for_webhooks_and_capped_at_the_edge_and_queues() {
    let (res, t) = resources().await;
    let default = |v: &Value| -> u64 {
        let cond = &v["Fn::If"];
        let p = cond[1]["Ref"].as_str().expect("a parameter");
        assert_eq!(cond[2]["Ref"], "AWS::NoValue", "0 switches it off");
        t["Parameters"][p]["Default"].as_u64().expect("a default")
    };
    let mut reserved = 0;
    for f in [
        "WebhookReceiverFunction",
        "FeedApiFunction",
        "AttributionCollectorFunction",
    ] {
        let n = default(&res[f]["Properties"]["ReservedConcurrentExecutions"]);
        assert!(n > 0, "{f}");
        reserved += n;
    }
    assert!(reserved <= 900, "{reserved} reserved of 1000");
    for (id, m) in of_type(&res, "AWS::Lambda::EventSourceMapping") {
        let max = &m["Properties"]["ScalingConfig"]["MaximumConcurrency"];
        let n = max
            .as_u64()
            .or_else(|| t["Parameters"][max["Ref"].as_str()?]["Default"].as_u64())
            .unwrap_or_else(|| panic!("{id} has no maximum concurrency"));
        assert!((2..=1000).contains(&n), "{id}: {n}");
    }
}

/// The dashboard is valid JSON once CloudFormation substitutes it, and shows every function
/// and every queue; queues' age, webhook throttles and the API's 5xx are alarmed.
#[tokio::test]
async fn the_dashboard_shows_everything_and_the_operations_alarms_exist() {
    let (res, _) = resources().await;
    let body = res["OperationsDashboard"]["Properties"]["DashboardBody"]["Fn::Sub"]
        .as_str()
        .expect("a substituted body");
    let mut named = BTreeSet::new();
    let mut plain = String::new();
    let mut rest = body;
    while let Some(i) = rest.find("${") {
        plain.push_str(&rest[..i]);
        let end = rest[i..].find('}').unwrap() + i;
        let name = &rest[i + 2..end];
        named.insert(name.split('.').next().unwrap().to_string());
        plain.push('x');
        rest = &rest[end + 1..];
    }
    plain.push_str(rest);
    let dashboard: Value = serde_json::from_str(&plain).expect("the dashboard is JSON");
    assert!(dashboard["widgets"].as_array().unwrap().len() >= 10);
    for (id, _) in of_type(&res, "AWS::Lambda::Function") {
        assert!(named.contains(id.as_str()), "{id} is not on the dashboard");
    }
    for (id, q) in of_type(&res, "AWS::SQS::Queue") {
        assert!(named.contains(id.as_str()), "{id} is not on the dashboard");
        if !q["Properties"]["RedrivePolicy"].is_null() {
            assert!(
                alarmed(
                    &res,
                    "AWS/SQS",
                    "ApproximateAgeOfOldestMessage",
                    "QueueName",
                    id
                ),
                "{id}'s age is not alarmed"
            );
        }
    }
    for metric in ["WebhookDeliveries", "TranscodeSeconds", "SyncItems"] {
        assert!(body.contains(metric), "{metric}");
    }
    assert!(alarmed(
        &res,
        "AWS/Lambda",
        "Throttles",
        "FunctionName",
        "WebhookReceiverFunction"
    ));
    assert!(alarmed(
        &res,
        "AWS/ApiGateway",
        "5xx",
        "ApiId",
        "ReelcartApi"
    ));
}

/// The token key is for connection tokens only: no statement lets a function make a data key
/// without the vault's `purpose`, or open one sealed for another (spec: KMS encryption context).
#[tokio::test]
async fn the_token_key_is_used_only_under_the_vaults_encryption_context() {
    let (res, _) = resources().await;
    let purpose = json!(reelcart_vault::PURPOSE);
    let statements = list(&res["TokenKey"]["Properties"]["KeyPolicy"]["Statement"]);
    let uses: Vec<&Value> = statements
        .iter()
        .filter(|s| {
            list(&s["Action"])
                .iter()
                .any(|a| a == "kms:Decrypt" || a == "kms:GenerateDataKey" || a == "kms:*")
        })
        .collect();
    assert!(!uses.is_empty(), "nothing may use the token key");
    for s in uses {
        let actions = list(&s["Action"]);
        let (op, want) = if actions.contains(&json!("kms:GenerateDataKey")) {
            ("StringEquals", "GenerateDataKey")
        } else {
            ("StringEqualsIfExists", "Decrypt")
        };
        assert_eq!(
            s["Condition"][op]["kms:EncryptionContext:purpose"], purpose,
            "{want}: {s}"
        );
        assert_eq!(actions.len(), 1, "one action a statement: {s}");
    }
}
