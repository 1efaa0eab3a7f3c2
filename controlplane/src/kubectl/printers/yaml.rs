//! `-o yaml`, `-o json`, `-o name`.

use std::sync::Arc;

use serde_json::{json, Value};

use crate::model::Object;

/// Print objects in `format`; one object alone (asked for by name) prints bare, else as a List.
pub fn print(objects: &[Arc<Object>], format: &str, single: bool) -> Result<String, String> {
    let value = if single && objects.len() == 1 {
        objects[0].to_value()
    } else {
        json!({"apiVersion": "v1", "items": objects.iter().map(|o| o.to_value()).collect::<Vec<_>>(), "kind": "List", "metadata": {"resourceVersion": ""}})
    };
    match format {
        "yaml" => serde_yaml::to_string(&value).map_err(|e| e.to_string()),
        "json" => Ok(json_4(&value) + "\n"),
        "name" => Ok(objects.iter().map(|o| o.type_name() + "\n").collect()),
        other => Err(format!("unable to match a printer suitable for the output format \"{other}\", allowed formats are: json,name,wide,yaml")),
    }
}

/// JSON indented by four spaces, as kubectl prints it.
fn json_4(value: &Value) -> String {
    let mut buf = Vec::new();
    let fmt = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut ser = serde_json::Serializer::with_formatter(&mut buf, fmt);
    serde::Serialize::serialize(value, &mut ser).expect("JSON values serialise");
    String::from_utf8(buf).unwrap_or_default()
}
