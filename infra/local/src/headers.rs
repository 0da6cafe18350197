//! The consoles' response headers, as CloudFront's response-headers policy adds them in AWS: the
//! template's `AWS::CloudFront::ResponseHeadersPolicy` read and applied to the consoles' files
//! (`/web/console/`, `/web/portal/`, `/web/auth/`), so the browser tests run the consoles under
//! the same content security policy they have in AWS.
//!
//! Each AWS origin the policy names stands for its local counterpart: a distribution or the
//! sign-in domain is the stack itself (`http://<stack>`), a bucket is the emulator (presigned
//! uploads go there, path-style). `https:` (any secure origin: the store's product images) also
//! allows the platform simulator, which serves those origins' stand-ins over plain HTTP.
//! Everything else in the policy is kept as written.

use crate::template::{Template, sub_references};
use anyhow::{Result, anyhow};
use serde_norway::Value;
use std::collections::BTreeSet;

/// `(name, value)` of each header the template's headers policy sets; none without one.
pub fn console_headers(
    template: &Template,
    stack_origin: &str,
    emulator_origin: &str,
    simulator_origin: &str,
) -> Result<Vec<(String, String)>> {
    let Some((id, policy)) = template
        .of_kind("AWS::CloudFront::ResponseHeadersPolicy")
        .next()
    else {
        return Ok(Vec::new());
    };
    let security = &policy.properties["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"];
    let mut out = Vec::new();
    let csp = &security["ContentSecurityPolicy"]["ContentSecurityPolicy"];
    if !csp.is_null() {
        let text = match csp {
            Value::String(s) => s.clone(),
            Value::Tagged(t) => t
                .value
                .as_str()
                .ok_or_else(|| anyhow!("{id}: the CSP is a !Sub of one string"))?
                .to_string(),
            other => return Err(anyhow!("{id}: CSP {other:?}")),
        };
        out.push((
            "content-security-policy".into(),
            localize(
                template,
                &text,
                [stack_origin, emulator_origin, simulator_origin],
            ),
        ));
    }
    let hsts = &security["StrictTransportSecurity"];
    if let Some(age) = hsts["AccessControlMaxAgeSec"].as_u64() {
        let mut v = format!("max-age={age}");
        if hsts["IncludeSubdomains"].as_bool() == Some(true) {
            v.push_str("; includeSubDomains");
        }
        if hsts["Preload"].as_bool() == Some(true) {
            v.push_str("; preload");
        }
        out.push(("strict-transport-security".into(), v));
    }
    if let Some(f) = security["FrameOptions"]["FrameOption"].as_str() {
        out.push(("x-frame-options".into(), f.to_string()));
    }
    if security["ContentTypeOptions"].is_mapping() {
        out.push(("x-content-type-options".into(), "nosniff".into()));
    }
    if let Some(r) = security["ReferrerPolicy"]["ReferrerPolicy"].as_str() {
        out.push(("referrer-policy".into(), r.to_string()));
    }
    Ok(out)
}

/// The policy text with each `https://${…}…` source replaced by its local origin.
fn localize(template: &Template, text: &str, [stack, emulator, sim]: [&str; 3]) -> String {
    let word = |w: &str| -> String {
        // Any HTTPS origin in AWS: locally the simulator's, and the emulator's (signed S3 links).
        if w == "https:" {
            return format!(
                "https: {} {}",
                sim.trim_end_matches('/'),
                emulator.trim_end_matches('/')
            );
        }
        let Some(rest) = w.strip_prefix("https://").filter(|r| r.contains("${")) else {
            return w.to_string();
        };
        let mut refs = BTreeSet::new();
        sub_references(rest, &mut refs);
        let kind = refs
            .iter()
            .find_map(|r| template.resources.get(r).map(|res| res.kind.as_str()));
        match kind {
            Some("AWS::S3::Bucket") => emulator.to_string(),
            _ => stack.to_string(),
        }
    };
    text.split(';')
        .map(|d| {
            // Two AWS origins may become one local origin: each once.
            let mut seen = BTreeSet::new();
            d.split_whitespace()
                .map(word)
                .flat_map(|w| w.split(' ').map(str::to_string).collect::<Vec<_>>())
                .filter(|w| seen.insert(w.clone()))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .filter(|d| !d.is_empty())
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_template_policy_becomes_local_headers() {
        let t = Template::load(&crate::default_template()).unwrap();
        let h = console_headers(
            &t,
            "http://127.0.0.1:3000",
            "http://127.0.0.1:5000",
            "http://127.0.0.1:7000",
        )
        .unwrap();
        let get = |n: &str| h.iter().find(|(k, _)| k == n).map(|(_, v)| v.as_str());
        let csp = get("content-security-policy").unwrap();
        assert!(
            csp.starts_with("default-src 'none'; script-src 'self'; "),
            "{csp}"
        );
        assert!(
            csp.contains("connect-src 'self' http://127.0.0.1:3000 http://127.0.0.1:5000;"),
            "sign-in domain and CDN are the stack, the bucket the emulator: {csp}"
        );
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
        assert!(
            csp.contains(
                "img-src 'self' data: https: http://127.0.0.1:7000 http://127.0.0.1:5000;"
            ),
            "{csp}"
        );
        assert!(!csp.contains("${"), "{csp}");
        assert_eq!(get("x-frame-options"), Some("DENY"));
        assert_eq!(get("x-content-type-options"), Some("nosniff"));
        assert_eq!(get("referrer-policy"), Some("no-referrer"));
        assert_eq!(
            get("strict-transport-security"),
            Some("max-age=63072000; includeSubDomains")
        );
    }
}
