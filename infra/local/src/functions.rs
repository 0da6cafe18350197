//! The functions of template.yaml, their event sources, and the handler each one runs locally —
//! the same library code and the same `from_aws` wiring the Lambda binaries use.

use crate::schedule::Schedule;
use crate::template::{Names, Template, resolved_str};
use anyhow::{Context, Result, anyhow, bail};
use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent};
use futures::future::BoxFuture;
use lambda_http::{Body, Request, Response};
use reelcart_domain::{Clock, SystemClock};
use reelcart_lambda::config::Vars;
use reelcart_lambda::router::HttpApi;
use std::collections::HashMap;
use std::sync::Arc;

pub type HttpFn = Arc<dyn Fn(Request) -> BoxFuture<'static, Response<Body>> + Send + Sync>;
pub type SqsFn =
    Arc<dyn Fn(SqsEvent) -> BoxFuture<'static, Result<SqsBatchResponse, String>> + Send + Sync>;
pub type ScheduleFn =
    Arc<dyn Fn(serde_json::Value) -> BoxFuture<'static, Result<(), String>> + Send + Sync>;

/// A function as declared in the template.
#[derive(Debug, Clone)]
pub struct FunctionSpec {
    pub logical_id: String,
    pub binary: String,
    pub env: HashMap<String, String>,
    pub routes: Vec<HttpRoute>,
    pub sqs: Vec<SqsSource>,
    pub schedules: Vec<ScheduleSpec>,
    /// `Timeout` (the function's, else the globals').
    pub timeout: std::time::Duration,
    /// `ReservedConcurrentExecutions`.
    pub reserved: Option<u32>,
}

/// An API Gateway route of a function.
#[derive(Debug, Clone)]
pub struct HttpRoute {
    pub method: String,
    pub path: String,
    /// The authorizer the template puts the route behind (`Auth.Authorizer`), if any.
    pub authorizer: Option<String>,
    /// A function URL with `AuthType: AWS_IAM`, reached through CloudFront's origin access
    /// control: a body is taken only with its SHA-256 in `x-amz-content-sha256`.
    pub signed_body: bool,
}

#[derive(Debug, Clone)]
pub struct SqsSource {
    pub queue_arn: String,
    pub batch_size: i32,
    pub report_batch_item_failures: bool,
    /// `ScalingConfig.MaximumConcurrency`.
    pub max_concurrency: Option<u32>,
}

#[derive(Debug, Clone)]
pub struct ScheduleSpec {
    pub name: String,
    pub schedule: Schedule,
    pub input: Option<String>,
}

/// A function's handlers, by the kind of event they take.
#[derive(Clone, Default)]
pub struct Handlers {
    pub http: Option<HttpFn>,
    pub sqs: Option<SqsFn>,
    pub schedule: Option<ScheduleFn>,
}

impl std::fmt::Debug for Handlers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Handlers")
            .field("http", &self.http.is_some())
            .field("sqs", &self.sqs.is_some())
            .field("schedule", &self.schedule.is_some())
            .finish()
    }
}

/// Read every function of the template, resolving its environment against the provisioned names.
pub fn specs(template: &Template, names: &Names) -> Result<Vec<FunctionSpec>> {
    let mut out = Vec::new();
    for (id, res) in template.of_kind("AWS::Serverless::Function") {
        // Zip functions name their binary for cargo-lambda; image functions pass it to the
        // Dockerfile.
        let binary = res.metadata["BuildProperties"]["Binary"]
            .as_str()
            .or_else(|| res.metadata["DockerBuildArgs"]["BINARY"].as_str())
            .ok_or_else(|| {
                anyhow!(
                    "{id}: Metadata.BuildProperties.Binary (or DockerBuildArgs.BINARY) is required"
                )
            })?
            .to_string();
        let mut env = HashMap::new();
        for source in [
            &template.globals_function["Environment"]["Variables"],
            &res.properties["Environment"]["Variables"],
        ] {
            if let Some(vars) = source.as_mapping() {
                for (k, v) in vars {
                    let key = k
                        .as_str()
                        .ok_or_else(|| anyhow!("{id}: bad variable name"))?;
                    let value = resolved_str(names, Some(v))
                        .with_context(|| format!("{id}: resolving {key}"))?
                        .unwrap_or_default();
                    env.insert(key.to_string(), value);
                }
            }
        }
        // The emulator needs path-style S3 addressing: a configuration flag, set here only.
        env.insert("S3_FORCE_PATH_STYLE".into(), "true".into());
        let number = |v: &serde_norway::Value, what: &str| -> Result<Option<u32>> {
            resolved_str(names, Some(v))?
                .map(|n| {
                    n.parse::<u32>()
                        .with_context(|| format!("{id}: {what} `{n}` is not a count"))
                })
                .transpose()
        };
        let timeout = number(&res.properties["Timeout"], "Timeout")?
            .or(number(&template.globals_function["Timeout"], "Timeout")?)
            .unwrap_or(3);
        let reserved = number(
            &res.properties["ReservedConcurrentExecutions"],
            "ReservedConcurrentExecutions",
        )?;
        let mut spec = FunctionSpec {
            logical_id: id.clone(),
            binary,
            env,
            routes: Vec::new(),
            sqs: Vec::new(),
            schedules: Vec::new(),
            timeout: std::time::Duration::from_secs(timeout.into()),
            reserved,
        };
        // A function URL: the template's `Metadata.LocalPaths` say where the stack serves it
        // (in AWS it has its own domain, every path).
        if !res.properties["FunctionUrlConfig"].is_null() {
            let signed_body = resolved_str(
                names,
                Some(&res.properties["FunctionUrlConfig"]["AuthType"]),
            )?
            .as_deref()
                == Some("AWS_IAM");
            for route in res.metadata["LocalPaths"]
                .as_sequence()
                .into_iter()
                .flatten()
            {
                let (method, path) = route
                    .as_str()
                    .and_then(|r| r.split_once(' '))
                    .ok_or_else(|| anyhow!("{id}: LocalPaths entries are \"METHOD /path\""))?;
                spec.routes.push(HttpRoute {
                    method: method.to_uppercase(),
                    path: path.to_string(),
                    authorizer: None,
                    signed_body,
                });
            }
            // A function URL takes every method: the function answers the others (`405`).
            let mut paths: Vec<String> = spec.routes.iter().map(|r| r.path.clone()).collect();
            paths.sort();
            paths.dedup();
            for path in paths {
                spec.routes.push(HttpRoute {
                    method: "ANY".into(),
                    path,
                    authorizer: None,
                    signed_body,
                });
            }
        }
        if let Some(events) = res.properties["Events"].as_mapping() {
            for (name, ev) in events {
                let name = name.as_str().unwrap_or_default().to_string();
                let props = &ev["Properties"];
                match ev["Type"].as_str().unwrap_or_default() {
                    "HttpApi" | "Api" => {
                        let method = props["Method"].as_str().unwrap_or("ANY").to_uppercase();
                        let path = props["Path"]
                            .as_str()
                            .ok_or_else(|| anyhow!("{id}.{name}: no Path"))?;
                        let authorizer = props["Auth"]["Authorizer"]
                            .as_str()
                            .filter(|a| *a != "NONE")
                            .map(str::to_string);
                        spec.routes.push(HttpRoute {
                            method,
                            path: path.to_string(),
                            authorizer,
                            signed_body: false,
                        });
                    }
                    "SQS" => {
                        let queue_arn = resolved_str(names, props.get("Queue"))?
                            .ok_or_else(|| anyhow!("{id}.{name}: no Queue"))?;
                        let report =
                            props["FunctionResponseTypes"]
                                .as_sequence()
                                .is_some_and(|s| {
                                    s.iter()
                                        .any(|t| t.as_str() == Some("ReportBatchItemFailures"))
                                });
                        let max_concurrency = number(
                            &props["ScalingConfig"]["MaximumConcurrency"],
                            "MaximumConcurrency",
                        )?;
                        // Lambda's bounds for an SQS source's maximum concurrency.
                        if max_concurrency.is_some_and(|n| !(2..=1000).contains(&n)) {
                            bail!("{id}.{name}: MaximumConcurrency must be 2 to 1000");
                        }
                        spec.sqs.push(SqsSource {
                            max_concurrency,
                            queue_arn,
                            batch_size: props["BatchSize"].as_i64().unwrap_or(10).clamp(1, 10)
                                as i32,
                            report_batch_item_failures: report,
                        });
                    }
                    "Schedule" | "ScheduleV2" => {
                        let expr = props["Schedule"]
                            .as_str()
                            .or_else(|| props["ScheduleExpression"].as_str())
                            .ok_or_else(|| anyhow!("{id}.{name}: no schedule expression"))?;
                        let enabled = props["Enabled"].as_bool().unwrap_or(true)
                            && props["State"].as_str().is_none_or(|s| s == "ENABLED");
                        if enabled {
                            spec.schedules.push(ScheduleSpec {
                                name: format!("{id}.{name}"),
                                schedule: Schedule::parse(expr)
                                    .with_context(|| format!("{id}.{name}"))?,
                                input: props["Input"].as_str().map(str::to_string),
                            });
                        }
                    }
                    // MediaConvert's job-state events: no MediaConvert locally, so none arrive.
                    "EventBridgeRule" => {}
                    other => bail!("{id}.{name}: event type {other} is not supported locally"),
                }
            }
        }
        out.push(spec);
    }
    Ok(out)
}

fn vars(env: &HashMap<String, String>) -> Vars<impl Fn(&str) -> Option<String> + '_> {
    Vars(move |k: &str| env.get(k).cloned())
}

/// An HTTP handler calling `f` on a shared `api`.
fn http<T, F, Fut>(api: Arc<T>, f: F) -> Option<HttpFn>
where
    T: Send + Sync + 'static,
    F: Fn(Arc<T>, Request) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = Response<Body>> + Send + 'static,
{
    Some(Arc::new(move |req| Box::pin(f(api.clone(), req))))
}

/// An HTTP function served by its router, built once as its `main.rs` builds it.
fn router(router: reelcart_lambda::router::Router) -> Option<HttpFn> {
    Some(Arc::new(move |req| {
        Box::pin(reelcart_lambda::router::serve(router.clone(), req))
    }))
}

/// An SQS handler calling `f` on a shared `handler` (errors as text).
fn sqs<T, F, Fut, E>(handler: Arc<T>, f: F) -> Option<SqsFn>
where
    T: Send + Sync + 'static,
    F: Fn(Arc<T>, SqsEvent) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<SqsBatchResponse, E>> + Send + 'static,
    E: std::fmt::Display,
{
    let f = Arc::new(f);
    Some(Arc::new(move |event| {
        let fut = f(handler.clone(), event);
        Box::pin(async move { fut.await.map_err(|e| e.to_string()) })
    }))
}

/// A schedule handler calling `f` on a shared `handler` (its report dropped, errors as text).
fn schedule<T, F, Fut, R, E>(handler: Arc<T>, f: F) -> Option<ScheduleFn>
where
    T: Send + Sync + 'static,
    F: Fn(Arc<T>, serde_json::Value) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<R, E>> + Send + 'static,
    E: std::fmt::Display,
{
    Some(Arc::new(move |event| {
        let fut = f(handler.clone(), event);
        Box::pin(async move { fut.await.map(|_| ()).map_err(|e| e.to_string()) })
    }))
}

/// Build the handlers of one function. Each binary registers here with the same constructor its
/// `main.rs` calls.
pub async fn build(spec: &FunctionSpec, sdk: &aws_config::SdkConfig) -> Result<Handlers> {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let v = vars(&spec.env);
    let mut h = Handlers::default();
    let err = |e: &dyn std::fmt::Display| anyhow!("{e}");
    match spec.binary.as_str() {
        "webhook-receiver" => {
            let config = webhook_receiver::Config::from_vars(&v)?;
            let r = Arc::new(webhook_receiver::from_aws(&config, sdk, clock).await?);
            h.http = http(r, |r, req| async move { r.handle(req).await });
        }
        "webhook-processor" => {
            let config = webhook_processor::Config::from_vars(&v)?;
            let p = Arc::new(webhook_processor::from_aws(&config, sdk, clock));
            h.sqs = sqs(p, |p, event| async move { p.handle(event).await });
        }
        "token-refresher" => {
            let handler = Arc::new(token_refresher::from_aws(&v, sdk, clock).await?);
            h.schedule = schedule(handler, |t, event| async move { t.handle(event).await });
        }
        "connections-api" => {
            let api = Arc::new(
                connections_api::from_aws(&v, sdk, clock)
                    .await
                    .map_err(|e| err(&e))?,
            );
            h.http = router(api.router());
        }
        "catalog-api" => {
            let api = Arc::new(catalog_api::from_aws(&v, sdk)?);
            h.http = router(api.router());
        }
        "catalog-sync" => {
            let handler = Arc::new(
                catalog_sync::from_aws(&v, sdk, clock)
                    .await
                    .map_err(|e| err(&e))?,
            );
            // Lambda's deadline for the invocation: the function's timeout from now.
            let timeout = spec.timeout;
            h.sqs = sqs(handler.clone(), move |c, event| async move {
                c.handle_sqs(event, Some(std::time::Instant::now() + timeout))
                    .await
            });
            h.schedule = schedule(handler, |c, event| async move {
                c.handle_schedule_event(&event, None).await
            });
        }
        "moderation-api" => {
            let api = Arc::new(moderation_api::from_aws(&v, sdk, clock)?);
            h.http = router(api.router());
        }
        "rights-enforcer" => {
            let enforcer = Arc::new(rights_enforcer::from_aws(&v, sdk, clock)?);
            h.schedule = schedule(enforcer, |e, _| async move { e.run().await });
        }
        "publisher" => {
            let publisher = Arc::new(publisher::from_aws(&v, sdk, clock)?);
            h.schedule = schedule(publisher, |p, _| async move { p.run().await });
        }
        "transcoder" => {
            let handler = Arc::new(transcoder::from_aws(&v, sdk, clock)?);
            h.sqs = sqs(handler, |t, event| async move { t.handle_sqs(event).await });
        }
        "creator-api" => {
            let api = Arc::new(
                creator_api::from_aws(&v, sdk, clock)
                    .await
                    .map_err(|e| err(&e))?,
            );
            h.http = router(api.router());
        }
        "feed-api" => {
            let api = Arc::new(feed_api::from_aws(&v, sdk, clock)?);
            h.http = router(api.router());
        }
        "attribution-collector" => {
            let c = Arc::new(attribution_collector::from_aws(&v, sdk, clock).await?);
            h.sqs = sqs(
                c.clone(),
                |c, event| async move { c.handle_sqs(event).await },
            );
            h.http = http(c, |c, req| async move { c.handle_http(req).await });
        }
        // The user pool's trigger: Cognito invokes it, so the stack gives it no event source.
        "identity-triggers" => {
            identity_triggers::from_aws(&v, sdk)?;
        }
        // The consoles' deploy-time custom resource: CloudFormation invokes it; locally the
        // stack serves the same config.json itself (`console_config::document`).
        "console-config" => {
            console_config::from_aws(&v, sdk)?;
        }
        "shop-orders" => {
            let handler = Arc::new(shop_orders::from_aws(&v, sdk, clock).await?);
            h.sqs = sqs(handler, |s, event| async move { s.handle(event).await });
        }
        "conversions" => {
            let sender = Arc::new(conversions::from_aws(&v, sdk, clock).await?);
            h.sqs = sqs(sender, |s, event| async move { s.handle(event).await });
        }
        "ugc-ingest" => {
            let handler = Arc::new(
                ugc_ingest::from_aws(&v, sdk, clock)
                    .await
                    .map_err(|e| err(&e))?,
            );
            h.sqs = sqs(handler.clone(), |u, event| async move {
                u.handle_sqs(event).await
            });
            h.schedule = schedule(handler, |u, _| async move { u.poll().await });
        }
        "connection-events" => {
            let handler = Arc::new(connection_events::from_aws(&v, sdk, clock)?);
            h.sqs = sqs(handler, |c, event| async move { c.handle(event).await });
        }
        other => bail!(
            "{}: no local handler for binary `{other}`; register it in infra/local/src/functions.rs",
            spec.logical_id
        ),
    }
    Ok(h)
}

/// Does `pattern` (`/webhooks/standard/{source}`) match `path`?
pub fn path_matches(pattern: &str, path: &str) -> bool {
    let p: Vec<&str> = pattern.trim_end_matches('/').split('/').collect();
    let a: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    if let Some(last) = p.last()
        && last.starts_with('{')
        && last.ends_with("+}")
    {
        return a.len() >= p.len() && p[..p.len() - 1].iter().zip(&a).all(|(x, y)| seg(x, y));
    }
    p.len() == a.len() && p.iter().zip(&a).all(|(x, y)| seg(x, y))
}

fn seg(pattern: &str, actual: &str) -> bool {
    (pattern.starts_with('{') && pattern.ends_with('}') && !actual.is_empty()) || pattern == actual
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn route_patterns() {
        assert!(path_matches("/webhooks/meta", "/webhooks/meta"));
        assert!(path_matches(
            "/webhooks/standard/{source}",
            "/webhooks/standard/reviews"
        ));
        assert!(!path_matches(
            "/webhooks/standard/{source}",
            "/webhooks/standard/"
        ));
        assert!(!path_matches(
            "/webhooks/standard/{source}",
            "/webhooks/standard/a/b"
        ));
        assert!(path_matches("/media/{proxy+}", "/media/a/b/c"));
        assert!(!path_matches("/webhooks/meta", "/webhooks/shopify"));
    }
}
