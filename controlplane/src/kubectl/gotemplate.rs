//! `-o go-template=…`, `-o go-template-file=…` and `--template`: Go's text/template over the
//! object as kubectl gives it to the engine — the JSON form read back into maps, lists,
//! strings, booleans and float64 numbers — with kubectl's two functions, `exists` and
//! `base64decode`, and its missing-key rule (`<no value>`, or an error with
//! `--allow-missing-template-keys=false`). The engine is the `gotmpl` crate, a port of Go's.

use std::collections::BTreeMap;
use std::sync::Arc;

use base64::Engine as _;
use gotmpl::{MissingKey, Template, TemplateError, Value};

/// How many iterations a `range` may make: a template over a list never needs more than the
/// objects there are, and a bound keeps a hostile one from running on.
const MAX_RANGE_ITERS: u64 = 10_000_000;

/// A parsed template, ready for any number of objects.
pub struct GoTemplate {
    raw: String,
    template: Template,
}

impl GoTemplate {
    /// Parse as kubectl's `GoTemplatePrintFlags` does, with its error text.
    pub fn parse(raw: &str, allow_missing_keys: bool) -> Result<GoTemplate, String> {
        let missing = if allow_missing_keys { MissingKey::Invalid } else { MissingKey::Error };
        let template = Template::new("output")
            .missing_key(missing)
            .max_range_iters(MAX_RANGE_ITERS)
            .func("exists", exists)
            .func("base64decode", base64decode)
            .parse(raw)
            .map_err(|e| format!("error: error parsing template {raw}, {e}\n"))?;
        Ok(GoTemplate { raw: raw.to_string(), template })
    }

    /// The text for `value` (an object, or a `List` of them), or kubectl's error: what it
    /// prints for debugging, then `error executing template "…": …`.
    pub fn execute(&self, value: &serde_json::Value) -> Result<String, String> {
        let data = to_value(value);
        self.template.execute_to_string(&data).map_err(|e| {
            format!(
                "Error executing template: {e}. Printing more information for debugging the template:\n\ttemplate was:\n\t\t{}\n\traw data was:\n\t\t{value}\n\tobject given to template engine was:\n\t\t{data}\n\nerror: error executing template {:?}: {e}",
                self.raw, self.raw
            )
        })
    }
}

/// The object as Go's `json.Unmarshal` into `interface{}` leaves it: numbers are float64.
fn to_value(v: &serde_json::Value) -> Value {
    match v {
        serde_json::Value::Null => Value::Nil,
        serde_json::Value::Bool(b) => Value::Bool(*b),
        serde_json::Value::Number(n) => Value::Float(n.as_f64().unwrap_or(0.0)),
        serde_json::Value::String(s) => Value::String(Arc::from(s.as_str())),
        serde_json::Value::Array(items) => Value::List(items.iter().map(to_value).collect()),
        serde_json::Value::Object(map) => Value::Map(Arc::new(
            map.iter().map(|(k, v)| (Arc::from(k.as_str()), to_value(v))).collect::<BTreeMap<_, _>>(),
        )),
    }
}

/// kubectl's `exists ITEM INDEX...`: whether each index leads somewhere, through maps by key
/// and lists by position.
fn exists(args: &[Value]) -> Result<Value, TemplateError> {
    let Some((mut item, indices)) = args.split_first().map(|(first, rest)| (first.clone(), rest)) else {
        return Ok(Value::Bool(false));
    };
    for index in indices {
        let next = match (&item, index) {
            (Value::Map(m), Value::String(k)) => m.get(k).cloned(),
            (Value::List(l), Value::Int(i)) => usize::try_from(*i).ok().and_then(|i| l.get(i).cloned()),
            (Value::List(l), Value::Uint(i)) => usize::try_from(*i).ok().and_then(|i| l.get(i).cloned()),
            _ => None,
        };
        match next {
            Some(v) => item = v,
            None => return Ok(Value::Bool(false)),
        }
    }
    Ok(Value::Bool(true))
}

/// kubectl's `base64decode STRING`.
fn base64decode(args: &[Value]) -> Result<Value, TemplateError> {
    let [Value::String(s)] = args else {
        return Err(TemplateError::Exec("base64decode takes one string".into()));
    };
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(s.as_bytes())
        .map_err(|e| TemplateError::Exec(format!("base64 decode failed: {e}")))?;
    Ok(Value::String(Arc::from(String::from_utf8_lossy(&bytes).as_ref())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(template: &str, data: serde_json::Value, want: &str) {
        let t = GoTemplate::parse(template, true).unwrap_or_else(|e| panic!("{template}: {e}"));
        assert_eq!(t.execute(&data).unwrap_or_else(|e| panic!("{template}: {e}")), want, "{template}");
    }

    #[test]
    fn renders_as_kubectl_does() {
        let list = json!({"items": [{"metadata": {"name": "a", "labels": {"z": "1", "app": "web"}}, "spec": {"replicas": 3}},
                                    {"metadata": {"name": "b"}, "spec": {"replicas": 1}}]});
        check("{{range .items}}{{.metadata.name}}{{\"\\n\"}}{{end}}", list.clone(), "a\nb\n");
        check("{{range .items}}{{.spec.replicas}} {{end}}", list.clone(), "3 1 ");
        // Maps walk in key order and print as Go's map[k:v].
        check("{{(index .items 0).metadata.labels}}", list.clone(), "map[app:web z:1]");
        check(
            "{{range $k, $v := (index .items 0).metadata.labels}}{{$k}}={{$v}};{{end}}",
            list.clone(),
            "app=web;z=1;",
        );
        check("{{len .items}}", list.clone(), "2");
        check("{{.missing}}", list.clone(), "<no value>");
        check("{{if exists . \"items\"}}yes{{end}}{{if not (exists . \"nope\")}} no{{end}}", list, "yes no");
        check("{{.data.k | base64decode}}", json!({"data": {"k": "aGVsbG8="}}), "hello");
    }

    #[test]
    fn errors_are_kubectls() {
        let e = GoTemplate::parse("{{.metadata.name", true).err().unwrap();
        assert!(e.starts_with("error: error parsing template {{.metadata.name, template: output:"), "{e}");
        let t = GoTemplate::parse("{{.nope.deeper}}", false).unwrap();
        let e = t.execute(&json!({"a": 1})).unwrap_err();
        assert!(e.contains("error: error executing template \"{{.nope.deeper}}\": "), "{e}");
        let t = GoTemplate::parse("{{.k | base64decode}}", true).unwrap();
        assert!(t.execute(&json!({"k": "!!"})).unwrap_err().contains("base64 decode failed"));
    }
}
