//! IAM on the local stack, as in AWS: every function calls AWS as a session of its own role — the
//! role CloudFormation creates from the template after the SAM transform (SAM's generated roles
//! with their inline policies and managed policies, and the template's own roles). The emulator
//! (`infra/scripts/moto_server.py`) authorizes each of those calls, action and resource, against
//! the role's policies and the KMS key policy, and refuses what AWS would refuse.

use crate::provision::ACCOUNT_ID;
use crate::template::{Physical, Resource, Template};
use anyhow::{Context, Result, anyhow, bail};
use aws_config::SdkConfig;
use aws_credential_types::provider::SharedCredentialsProvider;
use serde_norway::Value;
use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The template after the SAM transform, made offline by samtranslator
/// (`infra/scripts/sam_transform.py`, from the repo's `.venv`) and cached by the content of the
/// template and the script.
pub async fn transformed(template: &Path) -> Result<serde_json::Value> {
    let root = repo_root();
    let script = root.join("infra/scripts/sam_transform.py");
    let mut input =
        std::fs::read(template).with_context(|| format!("reading {}", template.display()))?;
    input.extend(std::fs::read(&script).with_context(|| format!("reading {}", script.display()))?);
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &input);
    let cache = std::env::temp_dir().join(format!(
        "reelcart-sam-{}.json",
        hex::encode(&digest.as_ref()[..12])
    ));
    if let Ok(bytes) = std::fs::read(&cache)
        && let Ok(v) = serde_json::from_slice(&bytes)
    {
        return Ok(v);
    }
    let python = root.join(".venv/bin/python");
    if !python.exists() {
        bail!("the SAM transform needs the repo's .venv (samtranslator): run `make venv`");
    }
    let out = tokio::process::Command::new(&python)
        .arg(&script)
        .arg(template)
        .arg(&cache)
        .output()
        .await
        .context("running infra/scripts/sam_transform.py")?;
    if !out.status.success() {
        bail!(
            "the SAM transform failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    let bytes = std::fs::read(&cache).with_context(|| format!("reading {}", cache.display()))?;
    Ok(serde_json::from_slice(&bytes)?)
}

/// Takes the transformed template's execution roles into `template` (in place of the template's
/// own role declarations, which the transform leaves as they are) and answers each function's
/// role. Roles no function runs as (MediaConvert's, the schedulers') are services' roles: the
/// local stack has no such service and does not create them.
pub fn adopt_roles(
    template: &mut Template,
    transformed: &serde_json::Value,
) -> Result<HashMap<String, String>> {
    let resources = transformed["Resources"]
        .as_object()
        .ok_or_else(|| anyhow!("the transformed template has no Resources"))?;
    let mut roles = HashMap::new();
    for (id, r) in resources {
        if r["Type"] != "AWS::Lambda::Function" {
            continue;
        }
        let role = r["Properties"]["Role"]["Fn::GetAtt"][0]
            .as_str()
            .ok_or_else(|| anyhow!("{id}: Role is not a role of the template (Fn::GetAtt)"))?;
        roles.insert(id.clone(), role.to_string());
    }
    let used: BTreeSet<&String> = roles.values().collect();
    template
        .resources
        .retain(|id, r| r.kind != "AWS::IAM::Role" || used.contains(id));
    for id in used {
        let r = &resources[id.as_str()];
        template.resources.insert(
            id.clone(),
            Resource {
                kind: "AWS::IAM::Role".to_string(),
                properties: serde_norway::to_value(&r["Properties"])?,
                metadata: Value::Null,
                condition: r["Condition"].as_str().map(str::to_string),
            },
        );
    }
    Ok(roles)
}

/// IAM allows 64 characters in a role name.
fn role_name(prefix: &str, id: &str) -> String {
    format!("{prefix}-{id}").chars().take(64).collect()
}

fn json(v: &Value) -> Result<String> {
    Ok(serde_json::to_string(v)?)
}

/// A policy without `Version` (SAM writes some) is of IAM's language 2008-10-17, which AWS accepts
/// and the emulator refuses. Without policy variables the two read the same: it is passed as
/// 2012-10-17.
fn versioned(doc: &Value) -> Result<String> {
    let text = json(doc)?;
    if doc.get("Version").is_some() || text.contains("${") {
        return Ok(text);
    }
    let mut doc = doc.clone();
    if let Value::Mapping(m) = &mut doc {
        m.insert("Version".into(), "2012-10-17".into());
    }
    json(&doc)
}

/// Create (or update) a role with its trust policy, inline policies and managed policies, as
/// resolved from the transformed template.
pub async fn role(
    iam: &aws_sdk_iam::Client,
    prefix: &str,
    id: &str,
    props: &Value,
) -> Result<Physical> {
    use aws_sdk_iam::error::DisplayErrorContext;
    use aws_sdk_iam::types::Tag;
    let name = role_name(prefix, id);
    let tag = |k: &str, v: &str| Tag::builder().key(k).value(v).build();
    match iam
        .create_role()
        .role_name(&name)
        .assume_role_policy_document(json(&props["AssumeRolePolicyDocument"])?)
        .tags(tag("reelcart:logical-id", id)?)
        .tags(tag("reelcart:stack", prefix)?)
        .send()
        .await
    {
        Ok(_) => {}
        Err(e)
            if e.as_service_error()
                .is_some_and(|e| e.is_entity_already_exists_exception()) => {}
        Err(e) => return Err(anyhow!(DisplayErrorContext(e))),
    }
    for p in props["Policies"].as_sequence().into_iter().flatten() {
        let policy_name = p["PolicyName"]
            .as_str()
            .ok_or_else(|| anyhow!("{id}: a policy without PolicyName"))?;
        iam.put_role_policy()
            .role_name(&name)
            .policy_name(policy_name)
            .policy_document(versioned(&p["PolicyDocument"])?)
            .send()
            .await
            .map_err(|e| anyhow!(DisplayErrorContext(e)))
            .with_context(|| format!("{id}: policy {policy_name}"))?;
    }
    for arn in props["ManagedPolicyArns"]
        .as_sequence()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
    {
        iam.attach_role_policy()
            .role_name(&name)
            .policy_arn(arn)
            .send()
            .await
            .map_err(|e| anyhow!(DisplayErrorContext(e)))
            .with_context(|| format!("{id}: managed policy {arn}"))?;
    }
    Ok(Physical {
        reference: name.clone(),
        attributes: HashMap::from([(
            "Arn".to_string(),
            format!("arn:aws:iam::{ACCOUNT_ID}:role/{name}"),
        )]),
    })
}

/// The SDK configuration a function runs with: `sdk`'s endpoint and region, and the credentials
/// of a session of `role_arn` named after the function (refreshed before they expire), as Lambda
/// gives a function its execution role's.
pub async fn as_role(sdk: &SdkConfig, role_arn: &str, function: &str) -> SdkConfig {
    let provider = aws_config::sts::AssumeRoleProvider::builder(role_arn)
        .session_name(function.chars().take(64).collect::<String>())
        .configure(sdk)
        .build()
        .await;
    sdk.to_builder()
        .credentials_provider(SharedCredentialsProvider::new(provider))
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_names_fit_iam() {
        let long = "x".repeat(30);
        assert_eq!(
            role_name(&long, "AttributionCollectorFunctionRole").len(),
            63
        );
        assert!(role_name(&long, "RightsEnforcerFunctionEnforceRoleXX").len() <= 64);
    }
}
