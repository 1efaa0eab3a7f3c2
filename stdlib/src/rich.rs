//! Values a notebook shows richly beyond their text: a list of Kubernetes objects (what
//! `get("pods")` returns) as an HTML table of kind, namespace, name and phase.

use controlplane::kubectl::printers::Table;
use rhai::{Dynamic, Map};

/// The HTML of an array whose items are all Kubernetes objects (maps with `kind` and
/// `metadata.name`); None for anything else.
pub fn object_list_html(value: &Dynamic) -> Option<String> {
    let items = value.read_lock::<rhai::Array>()?;
    if items.is_empty() {
        return None;
    }
    let mut rows = Vec::with_capacity(items.len());
    for item in items.iter() {
        let object = item.read_lock::<Map>()?;
        let kind = field(&object, &["kind"])?;
        let name = field(&object, &["metadata", "name"])?;
        let namespace = field(&object, &["metadata", "namespace"]).unwrap_or_default();
        let status = field(&object, &["status", "phase"]).unwrap_or_default();
        rows.push(vec![kind, namespace, name, status]);
    }
    let headers = ["KIND", "NAMESPACE", "NAME", "PHASE"].map(String::from).to_vec();
    Some(Table { headers, rows }.render_html())
}

/// The string at `path` in a map of maps.
fn field(map: &Map, path: &[&str]) -> Option<String> {
    let (first, rest) = path.split_first()?;
    let value = map.get(*first)?;
    if rest.is_empty() {
        value.read_lock::<rhai::ImmutableString>().map(|s| s.to_string())
    } else {
        field(&*value.read_lock::<Map>()?, rest)
    }
}

#[cfg(test)]
mod tests {
    use crate::{Session, SessionOptions};

    #[test]
    fn an_object_list_is_an_html_table() {
        let mut s = Session::new(SessionOptions::default());
        let out = s.execute("get(\"nodes\")");
        let html = out.result_html.expect("a list of nodes has HTML");
        assert!(html.starts_with("<table class=\"kubesim-table\">"), "{html}");
        assert!(html.contains("<td style=\"text-align:left\">Node</td><td style=\"text-align:left\"></td><td style=\"text-align:left\">control-plane</td>"), "{html}");
        assert_eq!(s.execute("[1, 2]").result_html, None);
        assert_eq!(s.execute("[]").result_html, None);
    }
}
