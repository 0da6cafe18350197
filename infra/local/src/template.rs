//! Reads template.yaml — the one declaration of every table, queue, bucket, secret, function,
//! route, event source and schedule — and resolves the intrinsic functions the local stack needs.

use anyhow::{Context, Result, anyhow, bail};
use serde_norway::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

/// One resource of the template.
#[derive(Debug, Clone)]
pub struct Resource {
    pub kind: String,
    pub properties: Value,
    pub metadata: Value,
    /// The resource's `Condition`: it exists only where that condition holds.
    pub condition: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Template {
    pub resources: BTreeMap<String, Resource>,
    pub parameters: HashMap<String, String>,
    /// `Conditions`, evaluated when an `Fn::If` names one.
    pub conditions: HashMap<String, Value>,
    pub globals_function: Value,
}

/// What `!Ref` and `!GetAtt` of a provisioned resource resolve to.
#[derive(Debug, Clone, Default)]
pub struct Physical {
    pub reference: String,
    pub attributes: HashMap<String, String>,
}

/// Names the resolver knows: provisioned resources and pseudo parameters.
#[derive(Debug, Clone, Default)]
pub struct Names {
    pub resources: HashMap<String, Physical>,
    pub pseudo: HashMap<String, String>,
    pub parameters: HashMap<String, String>,
    pub conditions: HashMap<String, Value>,
}

impl Template {
    pub fn load(path: &Path) -> Result<Self> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        Self::parse(&text).with_context(|| format!("parsing {}", path.display()))
    }

    pub fn parse(text: &str) -> Result<Self> {
        let doc: Value = serde_norway::from_str(text)?;
        let mut resources = BTreeMap::new();
        let Some(map) = doc.get("Resources").and_then(Value::as_mapping) else {
            bail!("template has no Resources");
        };
        for (k, v) in map {
            let id = k
                .as_str()
                .ok_or_else(|| anyhow!("resource id is not a string"))?;
            let kind = v
                .get("Type")
                .and_then(Value::as_str)
                .ok_or_else(|| anyhow!("resource {id} has no Type"))?;
            resources.insert(
                id.to_string(),
                Resource {
                    kind: kind.to_string(),
                    properties: v.get("Properties").cloned().unwrap_or(Value::Null),
                    metadata: v.get("Metadata").cloned().unwrap_or(Value::Null),
                    condition: v
                        .get("Condition")
                        .and_then(Value::as_str)
                        .map(str::to_string),
                },
            );
        }
        let mut parameters = HashMap::new();
        if let Some(params) = doc.get("Parameters").and_then(Value::as_mapping) {
            for (k, v) in params {
                if let (Some(name), Some(default)) = (k.as_str(), v.get("Default")) {
                    parameters.insert(name.to_string(), scalar(default).unwrap_or_default());
                }
            }
        }
        let mut conditions = HashMap::new();
        if let Some(conds) = doc.get("Conditions").and_then(Value::as_mapping) {
            for (k, v) in conds {
                if let Some(name) = k.as_str() {
                    conditions.insert(name.to_string(), v.clone());
                }
            }
        }
        let globals_function = doc
            .get("Globals")
            .and_then(|g| g.get("Function"))
            .cloned()
            .unwrap_or(Value::Null);
        Ok(Self {
            resources,
            parameters,
            conditions,
            globals_function,
        })
    }

    pub fn of_kind<'a>(
        &'a self,
        kind: &'a str,
    ) -> impl Iterator<Item = (&'a String, &'a Resource)> {
        self.resources.iter().filter(move |(_, r)| r.kind == kind)
    }
}

fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// The logical ids a value refers to (`Ref`, `GetAtt`, `${X}` in `Sub`).
pub fn references(v: &Value, out: &mut BTreeSet<String>) {
    match v {
        Value::Tagged(t) => {
            let tag = t.tag.to_string();
            match (tag.trim_start_matches('!'), &t.value) {
                ("Ref", Value::String(s)) => {
                    out.insert(s.clone());
                }
                ("GetAtt", Value::String(s)) => {
                    out.insert(s.split('.').next().unwrap_or_default().to_string());
                }
                ("Sub", Value::String(s)) => sub_references(s, out),
                ("Sub", Value::Sequence(seq)) => sub_list_references(seq, out),
                (_, inner) => references(inner, out),
            }
        }
        Value::Mapping(m) => {
            for (k, val) in m {
                match (k.as_str(), val) {
                    (Some("Ref"), Value::String(s)) => {
                        out.insert(s.clone());
                    }
                    (Some("Fn::GetAtt"), Value::Sequence(seq)) => {
                        if let Some(Value::String(s)) = seq.first() {
                            out.insert(s.clone());
                        }
                    }
                    (Some("Fn::Sub"), Value::String(s)) => sub_references(s, out),
                    (Some("Fn::Sub"), Value::Sequence(seq)) => sub_list_references(seq, out),
                    _ => references(val, out),
                }
            }
        }
        Value::Sequence(seq) => seq.iter().for_each(|x| references(x, out)),
        _ => {}
    }
}

/// `Sub [template, {Name: value}]`: the template's names other than the map's, and the map's
/// values.
fn sub_list_references(seq: &[Value], out: &mut BTreeSet<String>) {
    let vars = seq.get(1).and_then(Value::as_mapping);
    if let Some(text) = seq.first().and_then(Value::as_str) {
        let mut names = BTreeSet::new();
        sub_references(text, &mut names);
        out.extend(
            names
                .into_iter()
                .filter(|n| !vars.is_some_and(|m| m.contains_key(n.as_str()))),
        );
    }
    if let Some(vars) = seq.get(1) {
        references(vars, out);
    }
}

pub(crate) fn sub_references(s: &str, out: &mut BTreeSet<String>) {
    let mut rest = s;
    while let Some(start) = rest.find("${") {
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else { break };
        let name = &after[..end];
        if !name.starts_with("AWS::") && !name.starts_with('!') {
            out.insert(name.split('.').next().unwrap_or_default().to_string());
        }
        rest = &after[end + 1..];
    }
}

impl Names {
    fn lookup_ref(&self, name: &str) -> Result<String> {
        if let Some(p) = self.pseudo.get(name) {
            return Ok(p.clone());
        }
        if let Some(p) = self.parameters.get(name) {
            return Ok(p.clone());
        }
        self.resources
            .get(name)
            .map(|p| p.reference.clone())
            .ok_or_else(|| anyhow!("`{name}` is not provisioned locally"))
    }

    fn lookup_att(&self, name: &str, attr: &str) -> Result<String> {
        self.resources
            .get(name)
            .and_then(|p| p.attributes.get(attr))
            .cloned()
            .ok_or_else(|| anyhow!("`{name}.{attr}` is not known locally"))
    }

    fn sub(&self, s: &str, vars: &HashMap<String, String>) -> Result<String> {
        let mut out = String::new();
        let mut rest = s;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let end = after
                .find('}')
                .ok_or_else(|| anyhow!("unclosed ${{ in `{s}`"))?;
            let name = &after[..end];
            let value = match name.split_once('.') {
                _ if vars.contains_key(name) => vars[name].clone(),
                Some((res, attr)) if !name.starts_with("AWS::") => self.lookup_att(res, attr)?,
                _ => self.lookup_ref(name)?,
            };
            out.push_str(&value);
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }

    /// Resolve intrinsics in `v` to plain values (`Ref AWS::NoValue` removes what holds it).
    pub fn resolve(&self, v: &Value) -> Result<Value> {
        Ok(self.resolve_opt(v)?.unwrap_or(Value::Null))
    }

    /// `None` for `Ref AWS::NoValue`.
    fn resolve_opt(&self, v: &Value) -> Result<Option<Value>> {
        Ok(Some(match v {
            Value::Tagged(t) => {
                let tag = t.tag.to_string();
                let tag = tag.trim_start_matches('!');
                return self.intrinsic(tag, &t.value);
            }
            Value::Mapping(m) => {
                if m.len() == 1
                    && let Some((Value::String(k), inner)) = m.iter().next()
                    && (k == "Ref" || k.starts_with("Fn::"))
                {
                    return self.intrinsic(k.trim_start_matches("Fn::"), inner);
                }
                let mut out = serde_norway::Mapping::new();
                for (k, val) in m {
                    if let Some(val) = self.resolve_opt(val)? {
                        out.insert(k.clone(), val);
                    }
                }
                Value::Mapping(out)
            }
            Value::Sequence(seq) => {
                let mut out = Vec::with_capacity(seq.len());
                for x in seq {
                    out.extend(self.resolve_opt(x)?);
                }
                Value::Sequence(out)
            }
            other => other.clone(),
        }))
    }

    /// Evaluate a condition (`Fn::Equals`, `Fn::Not`, `Fn::And`, `Fn::Or`, `Condition`).
    fn condition(&self, v: &Value) -> Result<bool> {
        let (name, arg) = match v {
            Value::Tagged(t) => (
                t.tag.to_string().trim_start_matches('!').to_string(),
                &t.value,
            ),
            Value::Mapping(m) if m.len() == 1 => match m.iter().next() {
                Some((Value::String(k), arg)) => (k.trim_start_matches("Fn::").to_string(), arg),
                _ => bail!("bad condition"),
            },
            _ => bail!("bad condition"),
        };
        let list = || arg.as_sequence().cloned().unwrap_or_default();
        Ok(match name.as_str() {
            "Condition" => {
                let n = arg.as_str().ok_or_else(|| anyhow!("bad Condition"))?;
                self.named_condition(n)?
            }
            "Equals" => {
                let l = list();
                let (a, b) = (l.first(), l.get(1));
                resolved_str(self, a)? == resolved_str(self, b)?
            }
            "Not" => !self.condition(list().first().ok_or_else(|| anyhow!("bad Not"))?)?,
            "And" => list()
                .iter()
                .map(|c| self.condition(c))
                .collect::<Result<Vec<_>>>()?
                .into_iter()
                .all(|b| b),
            "Or" => list()
                .iter()
                .map(|c| self.condition(c))
                .collect::<Result<Vec<_>>>()?
                .into_iter()
                .any(|b| b),
            other => bail!("condition function `{other}` is not supported locally"),
        })
    }

    /// Whether the template's condition `name` holds.
    pub fn named_condition(&self, name: &str) -> Result<bool> {
        let c = self
            .conditions
            .get(name)
            .ok_or_else(|| anyhow!("no condition `{name}`"))?;
        self.condition(c)
    }

    fn intrinsic(&self, name: &str, arg: &Value) -> Result<Option<Value>> {
        if name == "If" {
            let l = arg.as_sequence().cloned().unwrap_or_default();
            let (Some(cond), Some(a), Some(b)) =
                (l.first().and_then(Value::as_str), l.get(1), l.get(2))
            else {
                bail!("bad Fn::If");
            };
            return self.resolve_opt(if self.named_condition(cond)? { a } else { b });
        }
        let s = match (name, arg) {
            ("Ref", Value::String(r)) if r == "AWS::NoValue" => return Ok(None),
            ("Ref", Value::String(r)) => self.lookup_ref(r)?,
            ("GetAtt", Value::String(s)) => {
                let (res, attr) = s
                    .split_once('.')
                    .ok_or_else(|| anyhow!("bad GetAtt `{s}`"))?;
                self.lookup_att(res, attr)?
            }
            ("GetAtt", Value::Sequence(seq)) => {
                let res = seq.first().and_then(Value::as_str).unwrap_or_default();
                let attr = seq.get(1).and_then(Value::as_str).unwrap_or_default();
                self.lookup_att(res, attr)?
            }
            ("Sub", Value::String(s)) => self.sub(s, &HashMap::new())?,
            // `!Sub [template, {Name: value}]`: the names are looked up there first.
            ("Sub", Value::Sequence(seq)) => {
                let text = seq.first().and_then(Value::as_str).unwrap_or_default();
                let mut vars = HashMap::new();
                for (k, v) in seq.get(1).and_then(Value::as_mapping).into_iter().flatten() {
                    if let (Some(k), Some(v)) = (k.as_str(), resolved_str(self, Some(v))?) {
                        vars.insert(k.to_string(), v);
                    }
                }
                self.sub(text, &vars)?
            }
            _ => bail!("intrinsic `{name}` is not supported by the local stack here"),
        };
        Ok(Some(Value::String(s)))
    }
}

/// A string property, resolved.
pub fn resolved_str(names: &Names, v: Option<&Value>) -> Result<Option<String>> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(v) => Ok(scalar(&names.resolve(v)?)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: &str = r#"
Parameters:
  Level: {Type: String, Default: INFO}
Resources:
  Q:
    Type: AWS::SQS::Queue
    Properties:
      RedrivePolicy: {deadLetterTargetArn: !GetAtt D.Arn, maxReceiveCount: 3}
  D:
    Type: AWS::SQS::Queue
  F:
    Type: AWS::Serverless::Function
    Properties:
      Environment:
        Variables:
          URL: !Ref Q
          LONG: {"Fn::GetAtt": [D, Arn]}
          SUB: !Sub "${D.Arn}/x/${AWS::Region}/${Level}"
"#;

    #[test]
    fn resolves_ref_getatt_sub_in_both_forms() {
        let t = Template::parse(T).unwrap();
        let mut names = Names::default();
        names.resources.insert(
            "Q".into(),
            Physical {
                reference: "http://q".into(),
                attributes: HashMap::new(),
            },
        );
        names.resources.insert(
            "D".into(),
            Physical {
                reference: "http://d".into(),
                attributes: [("Arn".to_string(), "arn:d".to_string())].into(),
            },
        );
        names
            .pseudo
            .insert("AWS::Region".into(), "us-east-1".into());
        names.parameters = t.parameters.clone();
        let f = &t.resources["F"].properties;
        let vars = names.resolve(&f["Environment"]["Variables"]).unwrap();
        assert_eq!(vars["URL"].as_str(), Some("http://q"));
        assert_eq!(vars["LONG"].as_str(), Some("arn:d"));
        assert_eq!(vars["SUB"].as_str(), Some("arn:d/x/us-east-1/INFO"));
    }

    #[test]
    fn finds_dependencies() {
        let t = Template::parse(T).unwrap();
        let mut deps = BTreeSet::new();
        references(&t.resources["Q"].properties, &mut deps);
        assert_eq!(deps.into_iter().collect::<Vec<_>>(), ["D"]);
        let mut deps = BTreeSet::new();
        references(&t.resources["F"].properties, &mut deps);
        assert_eq!(deps.into_iter().collect::<Vec<_>>(), ["D", "Level", "Q"]);
    }

    #[test]
    fn no_value_removes_what_holds_it_and_sub_takes_a_variable_map() {
        let mut names = Names::default();
        names.resources.insert(
            "T".into(),
            Physical {
                reference: "t1".into(),
                attributes: [("Arn".to_string(), "arn:t1".to_string())].into(),
            },
        );
        names.conditions.insert(
            "Off".into(),
            serde_norway::from_str("!Equals [a, b]").unwrap(),
        );
        let v: Value = serde_norway::from_str(
            r#"
Policies:
  - PolicyName: kept
    Arn: {"Fn::Sub": ["${Base}/index/${Index}", {Base: {"Fn::GetAtt": [T, Arn]}, Index: by_x}]}
  - {"Fn::If": [Off, {PolicyName: dropped}, {Ref: "AWS::NoValue"}]}
Extra: !If [Off, x, !Ref AWS::NoValue]
"#,
        )
        .unwrap();
        let out = names.resolve(&v).unwrap();
        let policies = out["Policies"].as_sequence().unwrap();
        assert_eq!(policies.len(), 1);
        assert_eq!(policies[0]["Arn"].as_str(), Some("arn:t1/index/by_x"));
        assert!(out.get("Extra").is_none());
        let mut deps = BTreeSet::new();
        references(&v, &mut deps);
        assert!(deps.contains("T") && !deps.contains("Base"), "{deps:?}");
    }

    #[test]
    fn unknown_names_are_errors_that_say_which() {
        let names = Names::default();
        let v: Value = serde_norway::from_str("!Ref Nope").unwrap();
        assert!(names.resolve(&v).unwrap_err().to_string().contains("Nope"));
    }

    #[test]
    fn the_project_template_parses() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../template.yaml");
        let t = Template::load(&path).unwrap();
        assert!(t.of_kind("AWS::Serverless::Function").count() >= 2);
        assert!(t.of_kind("AWS::DynamoDB::Table").count() >= 2);
    }
}
