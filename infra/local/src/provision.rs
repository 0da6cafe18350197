//! Creates every table, queue, bucket and secret of template.yaml on the emulator, under a name
//! prefix (so parallel test runs and a running demo never share data). Idempotent.

use crate::seed;
use crate::template::{Names, Physical, Resource, Template, references, resolved_str};
use anyhow::{Context, Result, anyhow, bail};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, TimeToLiveSpecification,
};
use aws_sdk_sqs::types::QueueAttributeName;
use serde_norway::Value;
use std::collections::{BTreeSet, HashMap};

pub const ACCOUNT_ID: &str = "123456789012";

/// Resource types the local stack provisions; everything else (API, alarms, topics, policies,
/// functions) has no local counterpart or is served by the stack itself.
const PROVISIONED: [&str; 9] = [
    "AWS::DynamoDB::Table",
    "AWS::SQS::Queue",
    "AWS::S3::Bucket",
    "AWS::SecretsManager::Secret",
    "AWS::KMS::Key",
    "AWS::Events::EventBus",
    // The functions' execution roles (see `iam`): each function runs as its own.
    "AWS::IAM::Role",
    // Stands for the local stack's CDN route, `/_local/cdn/`, over its origin bucket.
    "AWS::CloudFront::Distribution",
    // Stands for the local managed login (`oauth`): its id and ARN, for the policies naming it.
    "AWS::Cognito::UserPool",
];

#[derive(Debug, Clone)]
pub struct Clients {
    pub dynamodb: aws_sdk_dynamodb::Client,
    pub sqs: aws_sdk_sqs::Client,
    pub s3: aws_sdk_s3::Client,
    pub secrets: aws_sdk_secretsmanager::Client,
    pub kms: aws_sdk_kms::Client,
    pub events: aws_sdk_eventbridge::Client,
    pub iam: aws_sdk_iam::Client,
}

impl Clients {
    pub fn new(sdk: &aws_config::SdkConfig) -> Self {
        Self {
            dynamodb: aws_sdk_dynamodb::Client::new(sdk),
            sqs: aws_sdk_sqs::Client::new(sdk),
            s3: reelcart_aws::s3_client(sdk, true),
            secrets: aws_sdk_secretsmanager::Client::new(sdk),
            kms: aws_sdk_kms::Client::new(sdk),
            events: aws_sdk_eventbridge::Client::new(sdk),
            iam: aws_sdk_iam::Client::new(sdk),
        }
    }
}

/// Provision the template under `prefix`; returns what every `!Ref`/`!GetAtt` resolves to.
pub async fn provision(
    template: &Template,
    clients: &Clients,
    prefix: &str,
    region: &str,
) -> Result<Names> {
    check_prefix(prefix)?;
    let mut names = Names {
        parameters: template.parameters.clone(),
        conditions: template.conditions.clone(),
        ..Names::default()
    };
    for (k, v) in [
        ("AWS::Region", region.to_string()),
        ("AWS::AccountId", ACCOUNT_ID.to_string()),
        ("AWS::StackName", prefix.to_string()),
        ("AWS::URLSuffix", "amazonaws.com".to_string()),
        ("AWS::Partition", "aws".to_string()),
    ] {
        names.pseudo.insert(k.to_string(), v);
    }

    // SAM makes `{Function}Url` for a function with `FunctionUrlConfig`; locally every function
    // URL is the stack's own port (put in by `Stack::start` once it is bound).
    for (id, res) in template.of_kind("AWS::Serverless::Function") {
        if !res.properties["FunctionUrlConfig"].is_null() {
            names.resources.insert(
                format!("{id}Url"),
                Physical {
                    reference: format!("{id}Url"),
                    attributes: [("FunctionUrl".to_string(), LOCAL_FUNCTION_URL.to_string())]
                        .into(),
                },
            );
        }
    }
    // A resource whose `Condition` does not hold does not exist.
    let mut absent = BTreeSet::new();
    for (id, r) in &template.resources {
        if let Some(c) = &r.condition
            && !names.named_condition(c)?
        {
            absent.insert(id.clone());
        }
    }
    let provisioned =
        |id: &String, r: &Resource| PROVISIONED.contains(&r.kind.as_str()) && !absent.contains(id);
    let mut pending: Vec<(&String, &Resource)> = template
        .resources
        .iter()
        .filter(|(id, r)| provisioned(id, r))
        .collect();
    // Dependency order: a queue's dead-letter queue before the queue, and so on.
    while !pending.is_empty() {
        let before = pending.len();
        let mut next = Vec::new();
        for (id, res) in pending {
            let mut deps = BTreeSet::new();
            references(&res.properties, &mut deps);
            let ready = deps.iter().all(|d| {
                names.resources.contains_key(d)
                    || names.parameters.contains_key(d)
                    || !template.resources.get(d).is_some_and(|r| provisioned(d, r))
            });
            if ready {
                let physical = provision_one(clients, &names, prefix, region, id, res)
                    .await
                    .with_context(|| format!("provisioning {id} ({})", res.kind))?;
                names.resources.insert(id.clone(), physical);
            } else {
                next.push((id, res));
            }
        }
        if next.len() == before {
            bail!(
                "circular references among {:?}",
                next.iter().map(|(id, _)| id).collect::<Vec<_>>()
            );
        }
        pending = next;
    }
    Ok(names)
}

/// What a function URL resolves to until the stack's address is known.
/// The domain of a distribution in front of function URLs, replaced by the stack's address.
pub const LOCAL_EDGE_DOMAIN: &str = "local-edge.invalid";
pub const LOCAL_FUNCTION_URL: &str = "http://local-function-url.invalid/";

fn check_prefix(prefix: &str) -> Result<()> {
    let ok = !prefix.is_empty()
        && prefix.len() <= 30
        && prefix
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !prefix.starts_with('-');
    if ok {
        Ok(())
    } else {
        bail!("prefix `{prefix}` must be 1-30 of [a-z0-9-]")
    }
}

async fn provision_one(
    c: &Clients,
    names: &Names,
    prefix: &str,
    region: &str,
    id: &str,
    res: &Resource,
) -> Result<Physical> {
    let name = format!("{prefix}-{id}");
    match res.kind.as_str() {
        "AWS::DynamoDB::Table" => table(c, &name, &names.resolve(&res.properties)?, region).await,
        "AWS::SQS::Queue" => queue(c, &name, &names.resolve(&res.properties)?, region).await,
        // The key policy names the roles that may use the key; the emulator enforces it.
        "AWS::KMS::Key" => {
            let policy = names.resolve(&res.properties["KeyPolicy"])?;
            kms_key(c, &name, &policy).await
        }
        "AWS::IAM::Role" => {
            crate::iam::role(&c.iam, prefix, id, &names.resolve(&res.properties)?).await
        }
        "AWS::Events::EventBus" => event_bus(c, &name, region).await,
        "AWS::Cognito::UserPool" => {
            let pool_id = format!("{region}_{}", id.to_lowercase());
            Ok(Physical {
                attributes: HashMap::from([(
                    "Arn".to_string(),
                    format!("arn:aws:cognito-idp:{region}:{ACCOUNT_ID}:userpool/{pool_id}"),
                )]),
                reference: pool_id,
            })
        }
        "AWS::S3::Bucket" => {
            let physical = bucket(c, &name.to_lowercase()).await?;
            let props = names.resolve(&res.properties)?;
            notifications(c, &physical.reference, &props).await?;
            cors(c, &physical.reference, &props).await?;
            Ok(physical)
        }
        "AWS::SecretsManager::Secret" => {
            let value =
                seed::secret_value(id, resolved_str(names, res.properties.get("SecretString"))?);
            secret(c, &format!("{prefix}/{id}"), &value).await
        }
        "AWS::CloudFront::Distribution" => {
            let mut origins = BTreeSet::new();
            references(
                &res.properties["DistributionConfig"]["Origins"],
                &mut origins,
            );
            let bucket = origins
                .iter()
                .filter_map(|o| names.resources.get(o))
                .find(|p| {
                    p.attributes
                        .get("Arn")
                        .is_some_and(|a| a.starts_with("arn:aws:s3:::"))
                });
            // In front of function URLs: the stack's own port serves their routes, so the
            // distribution's domain is the stack's address (set once it listens).
            let Some(bucket) = bucket else {
                let urls = origins.iter().any(|o| {
                    names
                        .resources
                        .get(o)
                        .is_some_and(|p| p.attributes.contains_key("FunctionUrl"))
                });
                if !urls {
                    return Err(anyhow!(
                        "{id}: neither an S3 bucket nor a function URL origin"
                    ));
                }
                return Ok(Physical {
                    reference: name.clone(),
                    attributes: HashMap::from([(
                        "DomainName".to_string(),
                        LOCAL_EDGE_DOMAIN.to_string(),
                    )]),
                });
            };
            Ok(Physical {
                reference: name.clone(),
                attributes: HashMap::from([
                    // Replaced by the stack's own address once it listens (see `Stack::start`).
                    (
                        "DomainName".to_string(),
                        format!("{}.cdn.localhost", name.to_lowercase()),
                    ),
                    ("OriginBucket".to_string(), bucket.reference.clone()),
                ]),
            })
        }
        other => Err(anyhow!("unsupported type {other}")),
    }
}

fn str_of<'a>(v: &'a Value, key: &str) -> Result<&'a str> {
    v.get(key)
        .and_then(Value::as_str)
        .ok_or_else(|| anyhow!("missing {key}"))
}

fn key_schema(v: &Value) -> Result<Vec<KeySchemaElement>> {
    let Some(seq) = v.as_sequence() else {
        bail!("KeySchema is not a list")
    };
    seq.iter()
        .map(|k| {
            Ok(KeySchemaElement::builder()
                .attribute_name(str_of(k, "AttributeName")?)
                .key_type(KeyType::from(str_of(k, "KeyType")?))
                .build()?)
        })
        .collect()
}

async fn table(c: &Clients, name: &str, props: &Value, region: &str) -> Result<Physical> {
    let mut req = c
        .dynamodb
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .set_key_schema(Some(key_schema(&props["KeySchema"])?));
    for a in props["AttributeDefinitions"]
        .as_sequence()
        .into_iter()
        .flatten()
    {
        req = req.attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name(str_of(a, "AttributeName")?)
                .attribute_type(ScalarAttributeType::from(str_of(a, "AttributeType")?))
                .build()?,
        );
    }
    for g in props["GlobalSecondaryIndexes"]
        .as_sequence()
        .into_iter()
        .flatten()
    {
        let projection = Projection::builder()
            .projection_type(ProjectionType::from(
                g["Projection"]["ProjectionType"].as_str().unwrap_or("ALL"),
            ))
            .set_non_key_attributes(g["Projection"]["NonKeyAttributes"].as_sequence().map(|s| {
                s.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            }))
            .build();
        req = req.global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name(str_of(g, "IndexName")?)
                .set_key_schema(Some(key_schema(&g["KeySchema"])?))
                .projection(projection)
                .build()?,
        );
    }
    match req.send().await {
        Ok(_) => {}
        Err(e)
            if e.as_service_error()
                .is_some_and(|e| e.is_resource_in_use_exception()) => {}
        Err(e) => return Err(anyhow!(aws_sdk_dynamodb::error::DisplayErrorContext(e))),
    }
    if let Some(ttl) = props.get("TimeToLiveSpecification")
        && ttl["Enabled"].as_bool() == Some(true)
    {
        // Recorded for fidelity; the emulator never expires items (adapters treat expired
        // items as absent, so behaviour does not depend on deletion).
        c.dynamodb
            .update_time_to_live()
            .table_name(name)
            .time_to_live_specification(
                TimeToLiveSpecification::builder()
                    .attribute_name(str_of(ttl, "AttributeName")?)
                    .enabled(true)
                    .build()?,
            )
            .send()
            .await
            .map_err(|e| anyhow!(aws_sdk_dynamodb::error::DisplayErrorContext(e)))?;
    }
    let arn = format!("arn:aws:dynamodb:{region}:{ACCOUNT_ID}:table/{name}");
    Ok(Physical {
        reference: name.to_string(),
        attributes: [("Arn".to_string(), arn)].into(),
    })
}

async fn queue(c: &Clients, name: &str, props: &Value, region: &str) -> Result<Physical> {
    let mut req = c.sqs.create_queue().queue_name(name);
    for (prop, attr) in [
        ("VisibilityTimeout", QueueAttributeName::VisibilityTimeout),
        (
            "MessageRetentionPeriod",
            QueueAttributeName::MessageRetentionPeriod,
        ),
        ("DelaySeconds", QueueAttributeName::DelaySeconds),
        (
            "ReceiveMessageWaitTimeSeconds",
            QueueAttributeName::ReceiveMessageWaitTimeSeconds,
        ),
    ] {
        if let Some(v) = props.get(prop).and_then(|v| v.as_u64()) {
            req = req.attributes(attr, v.to_string());
        }
    }
    if let Some(redrive) = props.get("RedrivePolicy") {
        let json = serde_json::json!({
            "deadLetterTargetArn": str_of(redrive, "deadLetterTargetArn")?,
            "maxReceiveCount": redrive["maxReceiveCount"].as_u64().unwrap_or(5),
        });
        req = req.attributes(QueueAttributeName::RedrivePolicy, json.to_string());
    }
    let out = req
        .send()
        .await
        .map_err(|e| anyhow!(aws_sdk_sqs::error::DisplayErrorContext(e)))?;
    let url = out.queue_url.ok_or_else(|| anyhow!("no queue url"))?;
    let arn = format!("arn:aws:sqs:{region}:{ACCOUNT_ID}:{name}");
    Ok(Physical {
        reference: url.clone(),
        attributes: HashMap::from([
            ("Arn".to_string(), arn),
            ("QueueName".to_string(), name.to_string()),
            ("QueueUrl".to_string(), url),
        ]),
    })
}

/// The bucket's `NotificationConfiguration.QueueConfigurations` (object events to SQS), as S3
/// would deliver them (the emulator sends them to its queues).
async fn notifications(c: &Clients, bucket: &str, props: &Value) -> Result<()> {
    use aws_sdk_s3::types::{
        Event, FilterRule, FilterRuleName, NotificationConfiguration,
        NotificationConfigurationFilter, QueueConfiguration, S3KeyFilter,
    };
    let Some(queues) = props["NotificationConfiguration"]["QueueConfigurations"].as_sequence()
    else {
        return Ok(());
    };
    let mut config = NotificationConfiguration::builder();
    for q in queues {
        let mut rules = Vec::new();
        for r in q["Filter"]["S3Key"]["Rules"]
            .as_sequence()
            .map(Vec::as_slice)
            .unwrap_or_default()
        {
            rules.push(
                FilterRule::builder()
                    .name(FilterRuleName::from(
                        str_of(r, "Name")?.to_lowercase().as_str(),
                    ))
                    .value(str_of(r, "Value")?)
                    .build(),
            );
        }
        let mut qc = QueueConfiguration::builder()
            .queue_arn(str_of(q, "Queue")?)
            .events(Event::from(str_of(q, "Event")?));
        if !rules.is_empty() {
            qc = qc.filter(
                NotificationConfigurationFilter::builder()
                    .key(S3KeyFilter::builder().set_filter_rules(Some(rules)).build())
                    .build(),
            );
        }
        config = config.queue_configurations(qc.build().map_err(|e| anyhow!("{e}"))?);
    }
    c.s3.put_bucket_notification_configuration()
        .bucket(bucket)
        .notification_configuration(config.build())
        .send()
        .await
        .map_err(|e| anyhow!(aws_sdk_s3::error::DisplayErrorContext(e)))?;
    Ok(())
}

/// The bucket's `CorsConfiguration` (browsers post uploads straight to the raw media bucket).
async fn cors(c: &Clients, bucket: &str, props: &Value) -> Result<()> {
    use aws_sdk_s3::types::{CorsConfiguration, CorsRule};
    let Some(rules) = props["CorsConfiguration"]["CorsRules"].as_sequence() else {
        return Ok(());
    };
    let list = |r: &Value, key: &str| -> Vec<String> {
        r[key]
            .as_sequence()
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect()
    };
    let mut config = CorsConfiguration::builder();
    for r in rules {
        let mut rule = CorsRule::builder()
            .set_allowed_methods(Some(list(r, "AllowedMethods")))
            .set_allowed_origins(Some(list(r, "AllowedOrigins")))
            .set_allowed_headers(Some(list(r, "AllowedHeaders")))
            .set_expose_headers(Some(list(r, "ExposedHeaders")));
        if let Some(age) = r["MaxAge"].as_i64() {
            rule = rule.max_age_seconds(i32::try_from(age).unwrap_or(i32::MAX));
        }
        config = config.cors_rules(rule.build().map_err(|e| anyhow!("{e}"))?);
    }
    c.s3.put_bucket_cors()
        .bucket(bucket)
        .cors_configuration(config.build().map_err(|e| anyhow!("{e}"))?)
        .send()
        .await
        .map_err(|e| anyhow!(aws_sdk_s3::error::DisplayErrorContext(e)))?;
    Ok(())
}

async fn bucket(c: &Clients, name: &str) -> Result<Physical> {
    match c.s3.create_bucket().bucket(name).send().await {
        Ok(_) => {}
        Err(e)
            if e.as_service_error().is_some_and(|e| {
                e.is_bucket_already_owned_by_you() || e.is_bucket_already_exists()
            }) => {}
        Err(e) => return Err(anyhow!(aws_sdk_s3::error::DisplayErrorContext(e))),
    }
    Ok(Physical {
        reference: name.to_string(),
        attributes: HashMap::from([
            ("Arn".to_string(), format!("arn:aws:s3:::{name}")),
            ("DomainName".to_string(), format!("{name}.s3.amazonaws.com")),
        ]),
    })
}

async fn kms_key(c: &Clients, name: &str, policy: &Value) -> Result<Physical> {
    let policy = (!policy.is_null())
        .then(|| serde_json::to_string(policy))
        .transpose()?;
    let out = c
        .kms
        .create_key()
        .description(name)
        .set_policy(policy)
        .send()
        .await
        .map_err(|e| anyhow!(aws_sdk_kms::error::DisplayErrorContext(e)))?;
    let meta = out.key_metadata.ok_or_else(|| anyhow!("no key metadata"))?;
    let arn = meta.arn.ok_or_else(|| anyhow!("no key arn"))?;
    Ok(Physical {
        reference: meta.key_id,
        attributes: HashMap::from([("Arn".to_string(), arn)]),
    })
}

async fn event_bus(c: &Clients, name: &str, region: &str) -> Result<Physical> {
    match c.events.create_event_bus().name(name).send().await {
        Ok(_) => {}
        Err(e)
            if e.as_service_error()
                .is_some_and(|e| e.is_resource_already_exists_exception()) => {}
        Err(e) => return Err(anyhow!(aws_sdk_eventbridge::error::DisplayErrorContext(e))),
    }
    Ok(Physical {
        reference: name.to_string(),
        attributes: HashMap::from([(
            "Arn".to_string(),
            format!("arn:aws:events:{region}:{ACCOUNT_ID}:event-bus/{name}"),
        )]),
    })
}

async fn secret(c: &Clients, name: &str, value: &str) -> Result<Physical> {
    let arn = match c
        .secrets
        .create_secret()
        .name(name)
        .secret_string(value)
        .send()
        .await
    {
        Ok(out) => out.arn,
        Err(e)
            if e.as_service_error()
                .is_some_and(|e| e.is_resource_exists_exception()) =>
        {
            let out = c
                .secrets
                .put_secret_value()
                .secret_id(name)
                .secret_string(value)
                .send()
                .await
                .map_err(|e| anyhow!(aws_sdk_secretsmanager::error::DisplayErrorContext(e)))?;
            out.arn
        }
        Err(e) => {
            return Err(anyhow!(aws_sdk_secretsmanager::error::DisplayErrorContext(
                e
            )));
        }
    };
    let arn = arn.ok_or_else(|| anyhow!("no secret arn"))?;
    Ok(Physical {
        reference: arn.clone(),
        attributes: HashMap::from([("Arn".to_string(), arn)]),
    })
}
