//! Reelcart's local stack.
//!
//! Starts (or connects to) the AWS emulator, provisions every table, queue, bucket and secret by
//! reading template.yaml, and runs every function's handler — the same library code the Lambda
//! binaries run, wired by the same `from_aws` constructors — behind one HTTP port, with SQS event
//! sources delivering real `SqsEvent` batches and schedules firing on their timetable.

pub mod cdn;
pub mod concurrency;
pub mod connect;
pub mod demo;
pub mod emulator;
pub mod functions;
pub mod headers;
pub mod iam;
pub mod invoke;

/// The Meta catalog id the local stack's catalog sync uses.
pub const LOCAL_META_CATALOG: &str = "local-catalog";
/// The hashtag the local brand collects (the `UgcHashtags` parameter in AWS).
pub const LOCAL_UGC_HASHTAGS: &str = "acmestyle";
pub mod idp;
pub mod oauth;
pub mod provision;
pub mod pump;
pub mod schedule;
pub mod seed;
pub mod server;
pub mod simulator;
pub mod story;
pub mod template;

use anyhow::{Context, Result, anyhow};
use emulator::Emulator;
use functions::FunctionSpec;
use provision::Clients;
use server::{Route, Routes};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use template::{Names, Template};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// How to start the stack.
#[derive(Debug, Clone)]
pub struct Options {
    pub template: PathBuf,
    /// Prefix of every physical name (tables, queues, buckets, secrets): one per stack.
    pub prefix: String,
    pub bind: SocketAddr,
    /// Seconds before a failed SQS message is delivered again.
    pub retry_delay_secs: i32,
    /// Fire schedules on their timetable (tests turn this off and fire them by hand).
    pub run_schedules: bool,
    /// Start an emulator of the stack's own that logs its IAM decisions here, instead of the one
    /// `AWS_ENDPOINT_URL` names (a test that provokes refusals keeps them out of the suite's check).
    pub own_emulator_iam_log: Option<PathBuf>,
    /// The account's Lambda concurrency quota (`REELCART_ACCOUNT_CONCURRENCY`, else AWS's
    /// default of 1,000): the template's reservations are checked and enforced against it.
    pub account_concurrency: u32,
    /// Template parameters other than their defaults (as `sam deploy --parameter-overrides`).
    pub parameters: HashMap<String, String>,
}

impl Options {
    pub fn new(prefix: impl Into<String>) -> Self {
        Self {
            template: default_template(),
            prefix: prefix.into(),
            bind: SocketAddr::from(([127, 0, 0, 1], 3000)),
            retry_delay_secs: 1,
            run_schedules: true,
            own_emulator_iam_log: None,
            account_concurrency: std::env::var("REELCART_ACCOUNT_CONCURRENCY")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(concurrency::DEFAULT_ACCOUNT_LIMIT),
            parameters: HashMap::new(),
        }
    }
}

/// The repository's template.yaml.
/// The repository's `web/` folder (`REELCART_WEB_DIR` overrides).
pub fn default_web_dir() -> PathBuf {
    std::env::var_os("REELCART_WEB_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../web"))
}

pub fn default_template() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../template.yaml")
}

/// A running local stack.
pub struct Stack {
    pub addr: SocketAddr,
    pub names: Names,
    pub functions: Vec<FunctionSpec>,
    pub clients: Clients,
    pub emulator: Emulator,
    /// The platform simulator every function's platform base URLs point at.
    pub sim: reelcart_platform_sim::Sim,
    pub sim_url: String,
    /// Issues the tokens the admin, moderator and creator routes take (see [`idp`]).
    pub idp: idp::Idp,
    routes: Arc<Routes>,
    /// Failed asynchronous invocations per function (CloudWatch's `Errors`).
    pub errors: invoke::Errors,
    /// The account's Lambda concurrency, with each function's throttles.
    pub concurrency: concurrency::Concurrency,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl std::fmt::Debug for Stack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stack")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl Stack {
    pub async fn start(opts: Options) -> Result<Self> {
        // The functions' embedded-metric lines, kept as CloudWatch would extract them.
        reelcart_lambda::metrics::install_sink();
        let mut template = Template::load(&opts.template)?;
        for (name, value) in &opts.parameters {
            if !template.parameters.contains_key(name) {
                return Err(anyhow!("the template has no parameter {name}"));
            }
            template.parameters.insert(name.clone(), value.clone());
        }
        // Each function runs as the role CloudFormation would give it (see `iam`).
        let transformed = iam::transformed(&opts.template).await?;
        let roles = iam::adopt_roles(&mut template, &transformed)?;
        let emulator = match &opts.own_emulator_iam_log {
            Some(log) => Emulator::start_own(log).await?,
            None => Emulator::ensure().await?,
        };
        let clients = Clients::new(&emulator.sdk);
        let names =
            provision::provision(&template, &clients, &opts.prefix, &emulator.region).await?;
        // The platforms are simulated: their base URLs are configuration, pointed here.
        let sim = reelcart_platform_sim::Sim::default();
        let sim_addr = sim.serve(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
        let sim_url = format!("http://{sim_addr}");
        let mut functions = functions::specs(&template, &names)?;
        let concurrency = concurrency::Concurrency::new(
            opts.account_concurrency,
            &functions
                .iter()
                .filter_map(|f| Some((f.logical_id.clone(), f.reserved?)))
                .collect(),
        )?;
        // Browsers reach the functions' routes at the stack's one port: bound now, served below.
        let listener = tokio::net::TcpListener::bind(opts.bind)
            .await
            .with_context(|| format!("binding {}", opts.bind))?;
        let addr = listener.local_addr()?;
        for f in &mut functions {
            for (var, url) in reelcart_platform_sim::platform_vars(&sim_url) {
                f.env.insert(var.to_string(), url);
            }
            // CloudFront's stand-in: the stack serves the media bucket at /_local/cdn/.
            if f.env.contains_key("MEDIA_BASE_URL") {
                f.env.insert(
                    "MEDIA_BASE_URL".to_string(),
                    format!("http://{addr}/_local/cdn"),
                );
            }
            // No CloudFront locally: invalidations are recorded in the content table instead.
            if f.env.contains_key("CDN_DISTRIBUTION_ID") {
                f.env
                    .insert("CDN_INVALIDATIONS".to_string(), "record".to_string());
            }
            // The simulated brand account on Instagram, its demo hashtag, and the simulator's
            // media host (in AWS the allow-list is the platforms' CDNs).
            if f.env.get("IG_USER_ID").is_some_and(String::is_empty) {
                f.env.insert(
                    "IG_USER_ID".to_string(),
                    reelcart_platform_sim::default_account("instagram").to_string(),
                );
            }
            if f.env.get("UGC_HASHTAGS").is_some_and(String::is_empty) {
                f.env
                    .insert("UGC_HASHTAGS".to_string(), LOCAL_UGC_HASHTAGS.to_string());
            }
            // Function URLs, and the distribution in front of them, are the stack's own port.
            for v in f.env.values_mut() {
                if v == provision::LOCAL_FUNCTION_URL {
                    *v = format!("http://{addr}/");
                }
                let edge = format!("https://{}", provision::LOCAL_EDGE_DOMAIN);
                if v.contains(&edge) {
                    *v = v.replace(&edge, &format!("http://{addr}"));
                }
            }
            // The storefronts: the demo page the stack serves, and the simulated Shopify store's.
            if f.env.get("ALLOWED_ORIGINS").is_some_and(String::is_empty) {
                f.env.insert(
                    "ALLOWED_ORIGINS".to_string(),
                    format!("http://{addr},{sim_url}"),
                );
            }
            if f.binary == "ugc-ingest" {
                f.env.insert("MEDIA_HOSTS".to_string(), sim_url.clone());
            }
            // The simulated Meta catalog the demo shop syncs to (a template parameter in AWS).
            if f.env.get("META_CATALOG_ID").is_some_and(String::is_empty) {
                f.env.insert(
                    "META_CATALOG_ID".to_string(),
                    LOCAL_META_CATALOG.to_string(),
                );
            }
        }
        // Instagram's webhooks (mentions) go to the stack's receiver, signed with the app secret.
        let meta_secret = std::env::var("META_APP_SECRET")
            .ok()
            .and_then(|v| v.split(',').next().map(|s| s.trim().to_string()))
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| seed::DEMO_META_APP_SECRET.to_string());
        sim.subscribe(
            "instagram",
            &format!("http://{addr}/webhooks/meta"),
            &meta_secret,
        );
        // The simulated Shopify store: the theme's app embed points at this stack's widget, feed
        // and collector; its webhooks come here, signed with the app's secret.
        sim.set_storefront_theme(
            &format!("http://{addr}/web/dist/reelcart-feed.min.js"),
            &format!("http://{addr}"),
            &format!("http://{addr}"),
        );
        sim.subscribe_webhooks(
            &format!("http://{addr}/webhooks/shopify"),
            seed::DEMO_SHOPIFY_WEBHOOK_SECRET,
        );
        // TikTok Shop sends sellers back to the redirect URI registered for the app.
        sim.register_redirect(
            "tiktok-shop",
            &format!("http://{addr}/v1/connections/tiktok-shop/callback"),
        );
        let (stop, stop_rx) = watch::channel(false);
        let mut tasks = Vec::new();
        // The consoles' app clients, as the template's `ConsoleClient` and `PortalClient`: the
        // stack's managed-login stand-in signs users in to them, and the authorizer takes their
        // tokens.
        let idp = idp::Idp::new(format!("http://{addr}/_local/idp"))?
            .with_clients(&[oauth::CONSOLE_CLIENT, oauth::PORTAL_CLIENT]);
        let login = oauth::Server::new(
            idp.clone(),
            vec![
                oauth::Client {
                    id: oauth::CONSOLE_CLIENT.into(),
                    redirect_uris: vec![format!("http://{addr}/web/console/index.html")],
                },
                oauth::Client {
                    id: oauth::PORTAL_CLIENT.into(),
                    redirect_uris: vec![format!("http://{addr}/web/portal/index.html")],
                },
            ],
            true,
        );
        // `/_local/cdn/` is the media distribution: the one the functions' MEDIA_BASE_URL names
        // (the consoles' distribution is the stack's own `/web/` and `/v1/`).
        let mut media = std::collections::BTreeSet::new();
        for (_, f) in template.of_kind("AWS::Serverless::Function") {
            template::references(
                &f.properties["Environment"]["Variables"]["MEDIA_BASE_URL"],
                &mut media,
            );
        }
        let cdn_bucket = template
            .of_kind("AWS::CloudFront::Distribution")
            .filter(|(id, _)| media.contains(*id))
            .filter_map(|(id, _)| names.resources.get(id)?.attributes.get("OriginBucket"))
            .next()
            .cloned();
        let console_headers = headers::console_headers(
            &template,
            &format!("http://{addr}"),
            &emulator.endpoint,
            &sim_url,
        )?;
        let catalog = names.resources.get("CatalogTable").map(|t| {
            reelcart_aws::DynamoCatalog::new(clients.dynamodb.clone(), t.reference.clone())
        });
        let mut routes = Routes {
            idp: Some(idp.clone()),
            login: Some(login),
            cdn: cdn_bucket.map(|bucket| cdn::Cdn {
                s3: clients.s3.clone(),
                bucket,
                gate: cdn::Gate::from_template(&template, &media),
            }),
            catalog,
            web: Some(default_web_dir()),
            console_headers,
            concurrency: Some(concurrency.clone()),
            ..Routes::default()
        };
        let errors = invoke::Errors::default();
        let queue_urls: HashMap<String, String> = names
            .resources
            .values()
            .filter_map(|p| {
                Some((
                    p.attributes.get("Arn")?.clone(),
                    p.attributes.get("QueueUrl")?.clone(),
                ))
            })
            .collect();

        for spec in &functions {
            let role_arn = roles
                .get(&spec.logical_id)
                .and_then(|r| names.resources.get(r))
                .and_then(|p| p.attributes.get("Arn"))
                .ok_or_else(|| anyhow!("{}: its role was not provisioned", spec.logical_id))?;
            let sdk = iam::as_role(&emulator.sdk, role_arn, &spec.logical_id).await;
            let handlers = functions::build(spec, &sdk)
                .await
                .with_context(|| format!("building {}", spec.logical_id))?;
            for r in &spec.routes {
                let handler = handlers
                    .http
                    .clone()
                    .ok_or_else(|| anyhow!("{} has routes but no HTTP handler", spec.logical_id))?;
                routes.http.push(Route {
                    method: r.method.clone(),
                    pattern: r.path.clone(),
                    function: spec.logical_id.clone(),
                    authorizer: r.authorizer.clone(),
                    signed_body: r.signed_body,
                    handler,
                });
            }
            for source in &spec.sqs {
                let handler = handlers.sqs.clone().ok_or_else(|| {
                    anyhow!("{} has an SQS source but no SQS handler", spec.logical_id)
                })?;
                let queue_url = queue_urls.get(&source.queue_arn).ok_or_else(|| {
                    anyhow!(
                        "{}: queue {} is not provisioned",
                        spec.logical_id,
                        source.queue_arn
                    )
                })?;
                let pump = pump::Pump {
                    sqs: aws_sdk_sqs::Client::new(&sdk),
                    local_sqs: clients.sqs.clone(),
                    queue_url: queue_url.clone(),
                    source: source.clone(),
                    region: emulator.region.clone(),
                    retry_delay_secs: opts.retry_delay_secs,
                    function: spec.logical_id.clone(),
                    concurrency: concurrency.clone(),
                };
                pump.check()
                    .await
                    .with_context(|| format!("{}'s SQS source", spec.logical_id))?;
                tasks.push(tokio::spawn(pump.run(handler, stop_rx.clone())));
            }
            if !spec.schedules.is_empty() {
                let handler = handlers.schedule.clone().ok_or_else(|| {
                    anyhow!("{} has a schedule but no schedule handler", spec.logical_id)
                })?;
                // Scheduler invokes asynchronously: retries, the Errors count, and the on-failure
                // destination, sent to as the function's role.
                let handler = invoke::asynchronous(
                    handler,
                    spec.logical_id.clone(),
                    format!(
                        "arn:aws:lambda:{}:{}:function:{}-{}",
                        emulator.region,
                        provision::ACCOUNT_ID,
                        opts.prefix,
                        spec.logical_id
                    ),
                    invoke::config(&transformed, &names, &spec.logical_id)?,
                    aws_sdk_sqs::Client::new(&sdk),
                    errors.clone(),
                );
                for s in &spec.schedules {
                    routes
                        .schedules
                        .insert(s.name.clone(), (handler.clone(), s.input.clone()));
                }
            }
        }
        let routes = Arc::new(routes);
        if opts.run_schedules {
            for spec in &functions {
                for s in &spec.schedules {
                    tasks.push(tokio::spawn(run_schedule(
                        routes.clone(),
                        s.name.clone(),
                        s.schedule.clone(),
                        stop_rx.clone(),
                    )));
                }
            }
        }

        let app = server::router(routes.clone());
        let mut server_stop = stop_rx.clone();
        tasks.push(tokio::spawn(async move {
            let shutdown = async move {
                if server_stop.changed().await.is_err() {
                    std::future::pending::<()>().await;
                }
            };
            if let Err(e) = axum::serve(listener, app)
                .with_graceful_shutdown(shutdown)
                .await
            {
                tracing::error!(error = %e, "local HTTP server failed");
            }
        }));
        Ok(Self {
            addr,
            names,
            functions,
            clients,
            emulator,
            sim,
            sim_url,
            idp,
            routes,
            errors,
            concurrency,
            stop,
            tasks,
        })
    }

    /// A token for `sub` with `groups` (roles), as the stack's identity provider signs them.
    pub fn token(&self, sub: &str, groups: &[&str]) -> Result<String> {
        let groups: Vec<String> = groups.iter().map(|g| g.to_string()).collect();
        self.idp.issue(sub, &groups, 3600)
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Physical name (what `!Ref` gives) of a template resource.
    pub fn physical(&self, logical_id: &str) -> Option<&str> {
        self.names
            .resources
            .get(logical_id)
            .map(|p| p.reference.as_str())
    }

    /// Every item of a template table (demo output, tests).
    pub async fn scan(
        &self,
        logical_table: &str,
    ) -> Result<Vec<HashMap<String, aws_sdk_dynamodb::types::AttributeValue>>> {
        let table = self
            .physical(logical_table)
            .ok_or_else(|| anyhow!("no table {logical_table} in the template"))?;
        let mut out = Vec::new();
        let mut start = None;
        loop {
            let page = self
                .clients
                .dynamodb
                .scan()
                .table_name(table)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(|e| anyhow!(aws_sdk_dynamodb::error::DisplayErrorContext(e)))?;
            out.extend(page.items.unwrap_or_default());
            start = page.last_evaluated_key;
            if start.is_none() {
                return Ok(out);
            }
        }
    }

    /// Fire a schedule now (`Function.Event` as named in the template).
    pub async fn fire_schedule(&self, name: &str) -> Option<Result<(), String>> {
        server::fire(&self.routes, name).await
    }

    pub fn routes(&self) -> Vec<(String, String, String)> {
        self.routes
            .http
            .iter()
            .map(|r| (r.method.clone(), r.pattern.clone(), r.function.clone()))
            .collect()
    }

    /// Stop pollers, schedules and the server; stop the emulator if this stack started it.
    pub async fn stop(self) {
        if self.stop.send(true).is_err() {
            tracing::debug!("nothing was listening for stop");
        }
        for t in self.tasks {
            if tokio::time::timeout(Duration::from_secs(5), t)
                .await
                .is_err()
            {
                tracing::warn!("a local task did not stop within 5 s");
            }
        }
        self.emulator.stop().await;
    }
}

async fn run_schedule(
    routes: Arc<Routes>,
    name: String,
    schedule: schedule::Schedule,
    mut stop: watch::Receiver<bool>,
) {
    let now = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64)
    };
    let start = now();
    loop {
        let Some(next) = schedule.next_after(start, now()) else {
            return;
        };
        let wait = Duration::from_secs(u64::try_from(next - now()).unwrap_or(0));
        tokio::select! {
            _ = stop.changed() => return,
            _ = tokio::time::sleep(wait) => {
                match server::fire(&routes, &name).await {
                    Some(Ok(())) => tracing::info!(schedule = %name, "schedule fired"),
                    Some(Err(e)) => tracing::error!(schedule = %name, error = %e, "scheduled run failed"),
                    None => return,
                }
            }
        }
    }
}
