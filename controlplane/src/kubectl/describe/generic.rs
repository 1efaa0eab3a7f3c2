//! The generic describer, for kinds kubectl has no describer for (`genericDescriber` and
//! `printUnstructuredContent`): name, namespace, labels and annotations, then every other
//! field of the object, sorted, one level of indentation per nesting, labelled by its name
//! split at case changes (`creationTimestamp` → `Creation Timestamp`, `uid` → `UID`).

use serde_json::Value;

use super::common::*;
use super::writer::{out, Writer};
use super::Ctx;
use crate::model::{Kind, Object};

const SKIP: &[&str] =
    &[".metadata.managedFields", ".metadata.name", ".metadata.namespace", ".metadata.labels", ".metadata.annotations"];

pub(super) fn describe(ctx: &mut Ctx<'_>, obj: &Object) -> Result<String, String> {
    let events = ctx.events_for(obj);
    let meta = obj.metadata();
    let mut w = Writer::new();
    out!(w, 0, "Name:\t{}\n", obj.name());
    out!(w, 0, "Namespace:\t{}\n", obj.namespace());
    labels_multiline(&mut w, "Labels", meta.labels.as_ref());
    annotations_multiline(&mut w, "Annotations", meta.annotations.as_ref());
    if let Value::Object(mut content) = obj.to_value() {
        if obj.kind() == Kind::Event {
            // Fields the API server always sends for a core/v1 Event (Go omits no struct,
            // and these have no `omitempty`), though kubesim leaves them out when unset.
            for (field, empty) in [
                ("eventTime", Value::Null),
                ("firstTimestamp", Value::Null),
                ("lastTimestamp", Value::Null),
                ("source", Value::Object(Default::default())),
                ("reportingComponent", Value::String(String::new())),
                ("reportingInstance", Value::String(String::new())),
            ] {
                content.entry(field).or_insert(empty);
            }
        }
        print_content(&mut w, 0, &content, "");
    }
    if let Some(mut events) = events {
        describe_events(&mut w, &mut events, ctx.now);
    }
    Ok(w.finish())
}

fn print_content(w: &mut Writer, level: usize, content: &serde_json::Map<String, Value>, skip_prefix: &str) {
    let mut fields: Vec<&String> = content.keys().collect();
    fields.sort();
    for field in fields {
        let skip_expr = format!("{skip_prefix}.{field}");
        if SKIP.contains(&skip_expr.as_str()) {
            continue;
        }
        match &content[field] {
            Value::Object(m) => {
                out!(w, level, "{}:\n", smart_label(field));
                print_content(w, level + 1, m, &skip_expr);
            }
            Value::Array(items) => {
                out!(w, level, "{}:\n", smart_label(field));
                for item in items {
                    match item {
                        Value::Object(m) => print_content(w, level + 1, m, &skip_expr),
                        other => out!(w, level + 1, "{}\n", go_value(other)),
                    }
                }
            }
            other => out!(w, level, "{}:\t{}\n", smart_label(field), go_value(other)),
        }
    }
}

/// Go's `%v` of a decoded JSON scalar.
fn go_value(v: &Value) -> String {
    match v {
        Value::Null => "<nil>".to_string(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// `smartLabelFor`: field names with characters other than letters and `-` stay as they are;
/// others are split where the case changes, each part capitalized, common acronyms in upper
/// case, and joined with spaces.
pub(crate) fn smart_label(field: &str) -> String {
    if field.chars().any(|c| !c.is_alphabetic() && c != '-') {
        return field.to_string();
    }
    const ACRONYMS: &[&str] = &["API", "URL", "UID", "OSB", "GUID"];
    camelcase_split(field)
        .into_iter()
        .filter(|p| p != "_")
        .map(|part| {
            let upper = part.to_uppercase();
            if ACRONYMS.contains(&upper.as_str()) {
                upper
            } else {
                title(&part)
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// `camelcase.Split` (fatih/camelcase): runs of lower-case, upper-case, digits and other
/// characters, with the last capital of an upper-case run moved to a following lower-case run
/// (`PDFLoader` → `PDF`, `Loader`).
fn camelcase_split(s: &str) -> Vec<String> {
    let class = |c: char| {
        if c.is_lowercase() {
            1
        } else if c.is_uppercase() {
            2
        } else if c.is_numeric() {
            3
        } else {
            4
        }
    };
    let mut runs: Vec<Vec<char>> = Vec::new();
    let mut last = 0;
    for c in s.chars() {
        let k = class(c);
        match runs.last_mut() {
            Some(run) if k == last => run.push(c),
            _ => runs.push(vec![c]),
        }
        last = k;
    }
    for i in 0..runs.len().saturating_sub(1) {
        if runs[i][0].is_uppercase() && runs[i + 1][0].is_lowercase() {
            if let Some(c) = runs[i].pop() {
                runs[i + 1].insert(0, c);
            }
        }
    }
    runs.into_iter().filter(|r| !r.is_empty()).map(|r| r.into_iter().collect()).collect()
}

/// `strings.Title`: the first letter of each word in upper case.
fn title(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut prev_letter = false;
    for c in s.chars() {
        if !prev_letter && c.is_alphabetic() {
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
        prev_letter = c.is_alphanumeric() || c == '_';
    }
    out
}

#[cfg(test)]
mod tests {
    use super::smart_label;

    #[test]
    fn labels_from_field_names() {
        for (field, label) in [
            ("apiVersion", "API Version"),
            ("creationTimestamp", "Creation Timestamp"),
            ("uid", "UID"),
            ("holderIdentity", "Holder Identity"),
            ("leaseDurationSeconds", "Lease Duration Seconds"),
            ("podIP", "Pod IP"),
            ("PDFLoader", "PDF Loader"),
            ("ephemeral-storage", "Ephemeral - Storage"),
            ("v1", "v1"),
            ("kubernetes.io/os", "kubernetes.io/os"),
        ] {
            assert_eq!(smart_label(field), label, "{field}");
        }
    }
}
