//! Decoding manifests: YAML or JSON text → documents → typed objects, with the checks the
//! API server makes while decoding (known kind, strict fields, types, quantities: see
//! [`super::value_de`]).

use serde_json::Value;

use super::kinds::{Kind, Object};
use super::quantity::QuantityError;
use super::value_de::{Error, ValueDeserializer};

/// Why a document could not become an object. The texts follow what kubectl prints.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("error converting YAML to JSON: {0}")]
    Syntax(String),
    #[error("Object 'Kind' is missing in '{0}'")]
    MissingKind(String),
    #[error("Object 'apiVersion' is missing in '{0}'")]
    MissingApiVersion(String),
    /// No served kind has this apiVersion and kind.
    #[error("no matches for kind \"{kind}\" in version \"{api_version}\"")]
    NoMatch { api_version: String, kind: String },
    /// Unknown fields (strict field validation, kubectl's default).
    #[error("{kind} in version \"{version}\" cannot be handled as a {kind}: strict decoding error: {}", fields.iter().map(|f| format!("unknown field \"{f}\"")).collect::<Vec<_>>().join(", "))]
    UnknownFields { kind: String, version: String, fields: Vec<String> },
    /// A field of the wrong type, or a value its type cannot hold.
    #[error("{kind} in version \"{version}\" cannot be handled as a {kind}: {path}: {message}")]
    Type { kind: String, version: String, path: String, message: String },
    /// A malformed resource quantity (upstream names no field).
    #[error("{kind} in version \"{version}\" cannot be handled as a {kind}: {error}")]
    Quantity { kind: String, version: String, error: QuantityError },
}

/// Split text into YAML (or JSON) documents, in order. Empty documents are skipped, as kubectl does.
pub fn parse_documents(text: &str) -> Result<Vec<Value>, DecodeError> {
    let mut docs = Vec::new();
    // JSON (one or more values) is read as JSON: YAML readers differ on some JSON escapes.
    if text.trim_start().starts_with('{') {
        let values: Result<Vec<Value>, _> = serde_json::Deserializer::from_str(text).into_iter::<Value>().collect();
        if let Ok(values) = values {
            for v in values {
                push_document(&mut docs, v);
            }
            return Ok(docs);
        }
    }
    for de in serde_yaml::Deserializer::from_str(text) {
        let yaml: serde_yaml::Value =
            serde::Deserialize::deserialize(de).map_err(|e| DecodeError::Syntax(e.to_string()))?;
        if yaml.is_null() {
            continue;
        }
        push_document(&mut docs, yaml_to_json(yaml)?);
    }
    Ok(docs)
}

/// A List (kind: List, items: [...]) stands for its items, as in `kubectl get -o yaml` output.
fn push_document(docs: &mut Vec<Value>, doc: Value) {
    if doc.is_null() {
        return;
    }
    if doc.get("kind").and_then(Value::as_str) == Some("List") {
        if let Some(Value::Array(items)) = doc.get("items") {
            docs.extend(items.iter().cloned());
            return;
        }
    }
    docs.push(doc);
}

fn yaml_to_json(yaml: serde_yaml::Value) -> Result<Value, DecodeError> {
    use serde_yaml::Value as Y;
    Ok(match yaml {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(b),
        Y::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::from(i)
            } else if let Some(u) = n.as_u64() {
                Value::from(u)
            } else {
                let f = n.as_f64().unwrap_or(f64::NAN);
                serde_json::Number::from_f64(f)
                    .map(Value::Number)
                    .ok_or_else(|| DecodeError::Syntax(format!("unsupported number {f}")))?
            }
        }
        Y::String(s) => Value::String(s),
        Y::Sequence(seq) => Value::Array(seq.into_iter().map(yaml_to_json).collect::<Result<_, _>>()?),
        Y::Mapping(map) => {
            let mut out = serde_json::Map::with_capacity(map.len());
            for (k, v) in map {
                let key = match k {
                    Y::String(s) => s,
                    Y::Number(n) => n.to_string(),
                    Y::Bool(b) => b.to_string(),
                    other => return Err(DecodeError::Syntax(format!("unsupported map key {other:?}"))),
                };
                out.insert(key, yaml_to_json(v)?);
            }
            Value::Object(out)
        }
        Y::Tagged(t) => yaml_to_json(t.value)?,
    })
}

/// Which served kind a document is, from its `apiVersion` and `kind`.
pub fn kind_of(doc: &Value) -> Result<Kind, DecodeError> {
    let shown = || serde_json::to_string(doc).unwrap_or_default();
    let kind = doc
        .get("kind")
        .and_then(Value::as_str)
        .filter(|k| !k.is_empty())
        .ok_or_else(|| DecodeError::MissingKind(shown()))?;
    let api_version = doc
        .get("apiVersion")
        .and_then(Value::as_str)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| DecodeError::MissingApiVersion(shown()))?;
    Kind::from_api_version_kind(api_version, kind)
        .ok_or_else(|| DecodeError::NoMatch { api_version: api_version.to_string(), kind: kind.to_string() })
}

/// Decode one document into a typed object: converts other served versions to the stored one,
/// rejects unknown fields and wrongly typed values.
pub fn decode(doc: Value) -> Result<Object, DecodeError> {
    let kind = kind_of(&doc)?;
    let info = kind.info();
    let mut doc = doc;
    let given_version = doc.get("apiVersion").and_then(Value::as_str).unwrap_or_default().to_string();
    if given_version != info.api_version() {
        doc = super::convert::to_stored_version(kind, doc);
    }
    let (kind_name, version) = (info.name.to_string(), info.version.to_string());
    let obj = match kind_decode(kind, &doc) {
        Ok(obj) => obj,
        Err((_, Error::Quantity(error))) => return Err(DecodeError::Quantity { kind: kind_name, version, error }),
        Err((_, Error::OutOfRange(e))) => {
            let message = format!("Invalid value: {:?}: {}", e.value, e.detail());
            return Err(DecodeError::Type { kind: kind_name, version, path: e.field, message });
        }
        Err((path, Error::Custom(message))) => {
            return Err(DecodeError::Type { kind: kind_name, version, path, message })
        }
    };
    let mut unknown = Vec::new();
    unknown_fields(&doc, &obj.to_value(), &mut String::new(), &mut unknown);
    if !unknown.is_empty() {
        return Err(DecodeError::UnknownFields {
            kind: info.name.to_string(),
            version: info.version.to_string(),
            fields: unknown,
        });
    }
    Ok(obj)
}

/// Decode text with exactly one document.
pub fn decode_one(text: &str) -> Result<Object, DecodeError> {
    let mut docs = parse_documents(text)?;
    match docs.len() {
        1 => decode(docs.remove(0)),
        n => Err(DecodeError::Syntax(format!("expected one document, found {n}"))),
    }
}

fn kind_decode(kind: Kind, doc: &Value) -> Result<Object, (String, Error)> {
    // Decode through serde_path_to_error to say where a wrong type is.
    let mut track = serde_path_to_error::Track::new();
    let de = serde_path_to_error::Deserializer::new(ValueDeserializer::new(doc), &mut track);
    let result = Object::deserialize_kind(kind, de);
    result.map_err(|e| (track.path().to_string(), e))
}

/// Collect the paths of fields present in `input` but dropped by the typed round trip.
fn unknown_fields(input: &Value, decoded: &Value, path: &mut String, out: &mut Vec<String>) {
    match (input, decoded) {
        (Value::Object(i), Value::Object(d)) => {
            for (k, v) in i {
                if v.is_null() {
                    continue;
                }
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(k);
                match d.get(k) {
                    Some(dv) => unknown_fields(v, dv, path, out),
                    None => out.push(path.clone()),
                }
                path.truncate(len);
            }
        }
        (Value::Array(i), Value::Array(d)) => {
            for (n, (iv, dv)) in i.iter().zip(d).enumerate() {
                let len = path.len();
                path.push_str(&format!("[{n}]"));
                unknown_fields(iv, dv, path, out);
                path.truncate(len);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str, expect: &str) {
        let got = match parse_documents(text).and_then(|mut d| decode(d.remove(0))) {
            Ok(obj) => format!("ok {}", obj.type_name()),
            Err(e) => e.to_string(),
        };
        assert_eq!(got, expect, "{text}");
    }

    #[test]
    fn issue_14_a_plain_leading_zero_mode_is_octal_as_in_yaml_1_1() {
        let text = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: c, image: nginx}]\n  volumes: [{name: s, secret: {secretName: x, defaultMode: 0400, items: [{key: a, path: a, mode: 0755}]}}]\n";
        let pod = decode(parse_documents(text).unwrap().remove(0)).unwrap();
        let Object::Pod(pod) = pod else { panic!("a pod") };
        let secret = pod.spec.as_deref().cloned().unwrap().volumes.unwrap()[0].secret.clone().unwrap();
        assert_eq!(secret.default_mode, Some(0o400));
        assert_eq!(secret.items.unwrap()[0].mode, Some(0o755));
        // Not an octal number: still a type error, as upstream.
        check(
            "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c, image: nginx}], volumes: [{name: s, secret: {defaultMode: '0900'}}]}",
            &decode(serde_json::json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": [{"name": "c", "image": "nginx"}], "volumes": [{"name": "s", "secret": {"defaultMode": "0900"}}]}})).unwrap_err().to_string(),
        );
    }

    #[test]
    fn decodes_and_rejects() {
        check(
            "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c, image: nginx}]}",
            "ok pod/p",
        );
        check("{ apiVersion: \"apps/v1\", kind: \"Deployment\", metadata: { name: \"d\" } }", "ok deployment.apps/d");
        check(
            "apiVersion: policy/v1beta1\nkind: PodSecurityPolicy\nmetadata: {name: x}",
            "no matches for kind \"PodSecurityPolicy\" in version \"policy/v1beta1\"",
        );
        check(
            "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c, image: nginx, foo: 1}], bar: 2}",
            "Pod in version \"v1\" cannot be handled as a Pod: strict decoding error: unknown field \"spec.bar\", unknown field \"spec.containers[0].foo\"",
        );
        check(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec: {replicas: many}",
            "Deployment in version \"v1\" cannot be handled as a Deployment: spec.replicas: invalid type: string \"many\", expected i32",
        );
        check(
            "kind: Pod\nmetadata: {name: p}",
            "Object 'apiVersion' is missing in '{\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\"}}'",
        );
    }

    #[test]
    fn documents_and_lists() {
        let docs = parse_documents("---\na: 1\n---\n---\nkind: List\nitems: [{b: 2}, {c: 3}]\n").unwrap();
        assert_eq!(docs.len(), 3);
        assert!(parse_documents("a: [1\n").is_err());
        let json =
            parse_documents("{\"kind\": \"ConfigMap\", \"data\": {\"e\": \"\\ud83d\\ude00\"}}\n{\"a\": 1}").unwrap();
        assert_eq!(json.len(), 2);
        assert_eq!(json[0]["data"]["e"], "\u{1F600}", "surrogate pairs in JSON escapes");
    }
}
