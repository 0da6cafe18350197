//! The sample events in `events/`: every function has some, each parses as JSON, and each is an
//! event template.yaml actually delivers to that function (a route it declares, a queue, a
//! schedule, an EventBridge rule). No stack is started.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use reelcart_local::template::Template;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The names of the directories under `functions/` that are crates.
fn function_crates() -> BTreeSet<String> {
    std::fs::read_dir(root().join("functions"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("Cargo.toml").is_file())
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect()
}

/// The `.json` files of `events/<function>/`, sorted.
fn samples(function: &str) -> Vec<PathBuf> {
    let Ok(dir) = std::fs::read_dir(root().join("events").join(function)) else {
        return Vec::new();
    };
    let mut out: Vec<PathBuf> = dir
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "json"))
        .collect();
    out.sort();
    out
}

fn fail_with(problems: &[String]) {
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}

#[test]
fn every_function_has_sample_events_that_parse_as_json() {
    let crates = function_crates();
    assert!(crates.len() >= 15, "{crates:?}");
    let mut problems = Vec::new();
    for name in &crates {
        let files = samples(name);
        if files.is_empty() {
            problems.push(format!("events/{name}/ has no .json sample"));
        }
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap();
            if let Err(e) = serde_json::from_str::<Value>(&text) {
                problems.push(format!("{}: {e}", f.display()));
            }
        }
    }
    fail_with(&problems);
}

#[test]
fn every_events_directory_belongs_to_a_function() {
    let crates = function_crates();
    let dirs: BTreeSet<String> = std::fs::read_dir(root().join("events"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    let orphans: Vec<&String> = dirs.difference(&crates).collect();
    assert!(orphans.is_empty(), "events/ for no function: {orphans:?}");
}

/// What template.yaml routes to one function.
#[derive(Debug, Default)]
struct Sources {
    /// `METHOD /path` of each HttpApi event, and whether it is behind an authorizer.
    routes: Vec<(String, bool)>,
    function_url: bool,
    sqs: bool,
    /// Each schedule's `Input`, if it has one.
    schedules: Vec<Option<String>>,
    eventbridge_rules: bool,
    /// A user pool names the function as one of its Lambda triggers.
    cognito_trigger: bool,
    /// A CloudFormation custom resource's `ServiceToken` is the function.
    custom_resource: bool,
}

/// Each function of the template by the binary (= crate directory) it runs.
fn template_functions() -> Vec<(String, Sources)> {
    let template = Template::load(&reelcart_local::default_template()).unwrap();
    let mut out = Vec::new();
    for (id, res) in template.of_kind("AWS::Serverless::Function") {
        let binary = res.metadata["BuildProperties"]["Binary"]
            .as_str()
            .or_else(|| res.metadata["DockerBuildArgs"]["BINARY"].as_str())
            .unwrap_or_else(|| panic!("{id}: no binary"))
            .to_string();
        let mut s = Sources {
            function_url: !res.properties["FunctionUrlConfig"].is_null(),
            ..Sources::default()
        };
        if let Some(events) = res.properties["Events"].as_mapping() {
            for (_, ev) in events {
                let props = &ev["Properties"];
                match ev["Type"].as_str().unwrap_or_default() {
                    "HttpApi" => s.routes.push((
                        format!(
                            "{} {}",
                            props["Method"].as_str().unwrap_or("ANY"),
                            props["Path"].as_str().unwrap_or("/")
                        ),
                        !props["Auth"]["Authorizer"].is_null(),
                    )),
                    "SQS" => s.sqs = true,
                    "Schedule" | "ScheduleV2" => {
                        s.schedules
                            .push(props["Input"].as_str().map(str::to_string));
                    }
                    "EventBridgeRule" => s.eventbridge_rules = true,
                    other => panic!("{id}: event type {other} is not known to this test"),
                }
            }
        }
        s.cognito_trigger =
            template
                .of_kind("AWS::Cognito::UserPool")
                .into_iter()
                .any(|(_, pool)| {
                    pool.properties["LambdaConfig"]
                        .as_mapping()
                        .into_iter()
                        .flatten()
                        .any(|(_, v)| format!("{v:?}").contains(&format!("{id}.Arn")))
                });
        s.custom_resource = template.resources.values().any(|r| {
            r.kind.starts_with("Custom::")
                && format!("{:?}", r.properties["ServiceToken"]).contains(&format!("{id}.Arn"))
        });
        out.push((binary, s));
    }
    out
}

/// A route's path (`{name}` is one segment) matches a request path.
fn path_matches(pattern: &str, path: &str) -> bool {
    let (p, r): (Vec<&str>, Vec<&str>) = (pattern.split('/').collect(), path.split('/').collect());
    p.len() == r.len()
        && p.iter()
            .zip(&r)
            .all(|(p, r)| (p.starts_with('{') && p.ends_with('}') && !r.is_empty()) || p == r)
}

/// Why `event` is not something the template delivers to a function with `sources`, if it is not.
fn mismatch(event: &Value, sources: &Sources) -> Option<String> {
    if event["version"] == "2.0" && event.get("routeKey").is_some() {
        // API Gateway HTTP API or a function URL, payload format 2.0.
        let route_key = event["routeKey"].as_str().unwrap_or_default();
        let method = event["requestContext"]["http"]["method"]
            .as_str()
            .unwrap_or_default();
        let raw_path = event["rawPath"].as_str().unwrap_or_default();
        let claims = &event["requestContext"]["authorizer"]["jwt"]["claims"];
        if route_key == "$default" {
            return (!sources.function_url)
                .then(|| "routeKey $default, but the function has no function URL".into());
        }
        let Some((_, authorized)) = sources.routes.iter().find(|(r, _)| r == route_key) else {
            return Some(format!(
                "routeKey `{route_key}` is none of the function's routes {:?}",
                sources.routes
            ));
        };
        let (route_method, route_path) = route_key.split_once(' ').unwrap_or_default();
        if method != route_method || !path_matches(route_path, raw_path) {
            return Some(format!(
                "{method} {raw_path} does not match its routeKey `{route_key}`"
            ));
        }
        // Behind the JWT authorizer a request always carries the validated claims (API Gateway
        // answers 401 itself otherwise); on an open route there are none.
        let has_sub = claims["sub"].as_str().is_some_and(|s| !s.is_empty());
        if *authorized != has_sub {
            return Some(format!(
                "route `{route_key}` is {}behind the authorizer, but the sample {} claims",
                if *authorized { "" } else { "not " },
                if has_sub { "has" } else { "has no" }
            ));
        }
        return None;
    }
    if let Some(records) = event["Records"].as_array() {
        if !sources.sqs {
            return Some("an SQS batch, but the function has no SQS event source".into());
        }
        return records
            .iter()
            .any(|r| r["eventSource"] != "aws:sqs")
            .then(|| "a record whose eventSource is not aws:sqs".into());
    }
    if event.get("triggerSource").is_some() && event.get("userPoolId").is_some() {
        return (!sources.cognito_trigger)
            .then(|| "a Cognito trigger event, but no user pool triggers the function".into());
    }
    if event.get("RequestType").is_some() && event.get("ResponseURL").is_some() {
        return (!sources.custom_resource).then(|| {
            "a custom resource request, but no custom resource's ServiceToken is the function"
                .into()
        });
    }
    if event["detail-type"] == "Scheduled Event" {
        return (!sources.schedules.iter().any(Option::is_none))
            .then(|| "a scheduled event, but the function has no schedule without Input".into());
    }
    if event.get("detail-type").is_some() {
        return (!sources.eventbridge_rules)
            .then(|| "an EventBridge event, but the function has no EventBridge rule".into());
    }
    // A schedule's own Input, or a command an operator invokes the function with.
    (!event.is_object()).then(|| "not a JSON object".into())
}

#[test]
fn the_samples_are_events_the_template_delivers_to_their_function() {
    let functions = template_functions();
    let declared: BTreeSet<String> = functions.iter().map(|(b, _)| b.clone()).collect();
    assert_eq!(
        declared,
        function_crates(),
        "template.yaml's functions are the crates under functions/"
    );
    let mut problems = Vec::new();
    for (binary, sources) in &functions {
        for f in samples(binary) {
            let Ok(event) = serde_json::from_str::<Value>(&std::fs::read_to_string(&f).unwrap())
            else {
                continue; // reported by every_function_has_sample_events_that_parse_as_json
            };
            if let Some(why) = mismatch(&event, sources) {
                problems.push(format!(
                    "events/{binary}/{}: {why}",
                    f.file_name().unwrap().to_string_lossy()
                ));
            }
        }
    }
    fail_with(&problems);
}

#[test]
fn a_schedule_input_sample_is_that_input() {
    // catalog-sync's daily pull is a schedule with an Input: its sample is exactly that Input.
    let functions = template_functions();
    let (_, sync) = functions.iter().find(|(b, _)| b == "catalog-sync").unwrap();
    let inputs: Vec<Value> = sync
        .schedules
        .iter()
        .flatten()
        .map(|i| serde_json::from_str(i).unwrap())
        .collect();
    let sample: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("events/catalog-sync/pull-shopify.json")).unwrap(),
    )
    .unwrap();
    assert!(inputs.contains(&sample), "{inputs:?}");
}

#[test]
fn path_patterns_match_one_segment_per_parameter() {
    assert!(path_matches("/v1/items/{id}", "/v1/items/ugc_1"));
    assert!(!path_matches("/v1/items/{id}", "/v1/items/"));
    assert!(!path_matches("/v1/items/{id}", "/v1/items/a/b"));
    assert!(!path_matches("/v1/items", "/v1/other"));
}

/// Every route of `template.yaml` (HttpApi events) is an operation of `docs/openapi.yaml`, and
/// every operation there is a route of the template: the public contract and the deployed API
/// cannot drift (the creator and moderation APIs also hold their own route tables to it).
#[test]
fn every_template_route_is_documented_and_every_documented_route_deployed() {
    let doc = std::fs::read_to_string(root().join("docs/openapi.yaml")).unwrap();
    let documented = reelcart_lambda::routes::openapi_operations(&doc);
    assert!(
        documented.len() > 20,
        "the reader found the document's operations"
    );
    // HttpApi routes, and what function URLs serve (their `Metadata.LocalPaths`, where the local
    // stack serves them; CloudFront routes to them in AWS). CORS preflights are not operations,
    // nor are the `ANY` routes that bring other methods to a function's `405`.
    let template = Template::load(&reelcart_local::default_template()).unwrap();
    let function_urls: Vec<String> = template
        .of_kind("AWS::Serverless::Function")
        .flat_map(|(_, res)| {
            res.metadata["LocalPaths"]
                .as_sequence()
                .into_iter()
                .flatten()
                .filter_map(|p| p.as_str().map(str::to_string))
                .collect::<Vec<_>>()
        })
        .collect();
    let deployed: BTreeSet<(String, String)> = template_functions()
        .into_iter()
        .flat_map(|(_, s)| s.routes.into_iter().map(|(route, _)| route))
        .chain(function_urls)
        .filter_map(|route| {
            let (method, path) = route.split_once(' ')?;
            Some((method.to_ascii_uppercase(), path.to_string()))
        })
        // `ANY` routes only carry other methods to the function (its `405`).
        .filter(|(method, _)| method != "OPTIONS" && method != "ANY")
        .collect();
    let undocumented: Vec<_> = deployed.difference(&documented).collect();
    let undeployed: Vec<_> = documented.difference(&deployed).collect();
    assert!(
        undocumented.is_empty() && undeployed.is_empty(),
        "deployed but not documented: {undocumented:?}; documented but not deployed: {undeployed:?}"
    );
}

/// The Shopify theme app extension is what Shopify's CLI deploys: an app embed targeting the
/// body that loads the widget asset `make shopify-extension` copies, and a product-page app
/// block passing the product id, its variant ids and the store-cart mode; each block's schema is
/// valid JSON with a known target.
#[test]
fn the_shopify_theme_extension_loads_the_widget_and_passes_product_and_variants() {
    let ext = root().join("shopify/extensions/reelcart-feed");
    let toml = std::fs::read_to_string(ext.join("shopify.extension.toml")).unwrap();
    assert!(toml.contains("type = \"theme\""), "{toml}");
    let schema = |file: &str| -> (String, Value) {
        let liquid = std::fs::read_to_string(ext.join("blocks").join(file)).unwrap();
        let start = liquid.find("{% schema %}").unwrap() + "{% schema %}".len();
        let end = liquid.find("{% endschema %}").unwrap();
        (
            liquid.clone(),
            serde_json::from_str(&liquid[start..end]).unwrap(),
        )
    };
    let (embed, embed_schema) = schema("app-embed.liquid");
    assert_eq!(embed_schema["target"], "body", "an app embed");
    assert!(
        embed.contains("{{ 'reelcart-feed.min.js' | asset_url }}"),
        "{embed}"
    );
    assert!(embed.contains("type=\"module\""));
    let makefile = std::fs::read_to_string(root().join("Makefile")).unwrap();
    assert!(
        makefile.contains("cp web/dist/reelcart-feed.min.js web/dist/hls.light.min.js shopify/extensions/reelcart-feed/assets/"),
        "make shopify-extension copies the asset the embed loads"
    );
    let (block, block_schema) = schema("product-feed.liquid");
    assert_eq!(block_schema["target"], "section", "an app block");
    assert_eq!(
        block_schema["enabled_on"]["templates"],
        serde_json::json!(["product"])
    );
    for needed in [
        "product-id=\"{{ product.id }}\"",
        "variant-ids=\"{{ product.variants | map: 'id' | join: ',' }}\"",
        "cart=\"shopify\"",
        "product.selected_or_first_available_variant.sku",
    ] {
        assert!(block.contains(needed), "the block passes {needed}");
    }
    // The app's configuration asks for the scopes the stack uses and subscribes to its topics.
    let app = std::fs::read_to_string(root().join("shopify/shopify.app.toml")).unwrap();
    for topic in [
        "orders/create",
        "refunds/create",
        "products/update",
        "app/uninstalled",
        "bulk_operations/finish",
    ] {
        assert!(
            app.contains(&format!("\"{topic}\"")),
            "subscribed to {topic}"
        );
    }
    assert!(app.contains("read_products,read_inventory,read_orders,write_discounts"));
}
