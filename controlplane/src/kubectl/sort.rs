//! `kubectl get --sort-by=<jsonpath>`: kubectl's `SortingPrinter`, `RuntimeSort` and
//! `TableSorter` (`pkg/cmd/get/sorter.go`).
//!
//! The sort key of an object is the first value the expression (written loosely, as for
//! custom columns: `.metadata.name` or `{.metadata.name}`) finds in it. Keys compare as
//! kubectl compares them:
//!
//! - integers with integers and floats with floats, by value;
//! - strings with strings byte-wise, unless both parse as quantities (`500m`, `1Gi`, `2`),
//!   which compare by amount; timestamps are RFC 3339 strings, so they sort in time order;
//! - an object without the field sorts before every object with it;
//! - anything else (a map, a list, a boolean, an integer against a string) cannot be sorted:
//!   kubectl stops with `Field {.x} in *unstructured.Unstructured is an unsortable type:
//!   interface, err: unsortable type: map[string]interface {}` (`in [][][]reflect.Value` for
//!   a table), printed by its logger with a `F1122 01:02:03.456789 pid sorter.go:329]`
//!   header that is left out here.
//!
//! If no object has the field, it is an error: `couldn't find any field with path
//! "{.foo}" in the list of objects`. (In table output kubectl swallows that error and prints
//! nothing for the kind; `get` reproduces that.)
//!
//! The order of objects with equal keys is the one Go's `sort.Sort` leaves, which is not
//! stable: [`go_sort`] is a port of Go's pattern-defeating quicksort (insertion sort up to 12
//! items), so ties come out as kubectl prints them, and missing keys end up in reverse order
//! at the front, as kubectl's "missing is less than anything" comparison makes them.

use std::borrow::Cow;
use std::cmp::Ordering;

use serde_json::Value;

use super::jsonpath;
use super::printers::custom_columns::relaxed_jsonpath;
use crate::gosort::{go_sort, SortData};
use crate::model::quantity::Quantity;
use crate::model::selector::go_quote;

/// The order in which to print `objects` (each an object as JSON) sorted by `field`: indexes
/// into `objects`. The error is kubectl's text without `error: `.
pub fn sort_order(objects: &[Value], field: &str) -> Result<Vec<usize>, String> {
    sort_with(objects, field, "*unstructured.Unstructured")
}

/// [`sort_order`] for the rows of a table, whose unsortable-type message names kubectl's
/// table sorter's type.
pub fn sort_table_order(objects: &[Value], field: &str) -> Result<Vec<usize>, String> {
    sort_with(objects, field, "[][][]reflect.Value")
}

fn sort_with(objects: &[Value], field: &str, go_type: &'static str) -> Result<Vec<usize>, String> {
    let field = relaxed_jsonpath(field)?;
    let parser = jsonpath::parse(&field)?;
    let mut keys: Vec<Option<Cow<'_, Value>>> = Vec::with_capacity(objects.len());
    for obj in objects {
        // The first value of the first action is the key.
        let groups = parser.find_results(obj)?;
        keys.push(groups.into_iter().next().and_then(|g| g.into_iter().next()));
    }
    if !objects.is_empty() && keys.iter().all(Option::is_none) {
        return Err(format!("couldn't find any field with path {} in the list of objects", go_quote(&field)));
    }
    let mut data = Keys { keys, order: (0..objects.len()).collect(), error: None, field: &field, go_type };
    go_sort(&mut data);
    match data.error {
        Some(e) => Err(e),
        None => Ok(data.order),
    }
}

/// The keys being sorted and the permutation applied to them so far.
struct Keys<'a> {
    keys: Vec<Option<Cow<'a, Value>>>,
    order: Vec<usize>,
    error: Option<String>,
    field: &'a str,
    go_type: &'static str,
}

impl SortData for Keys<'_> {
    fn len(&self) -> usize {
        self.keys.len()
    }

    fn less(&mut self, i: usize, j: usize) -> bool {
        let (Some(a), Some(b)) = (&self.keys[i], &self.keys[j]) else {
            // A missing key is less than anything, even another missing key.
            return self.keys[i].is_none();
        };
        match is_less(a, b) {
            Ok(less) => less,
            Err(e) => {
                if self.error.is_none() {
                    self.error = Some(format!(
                        "Field {} in {} is an unsortable type: interface, err: {e}",
                        self.field, self.go_type
                    ));
                }
                false
            }
        }
    }

    fn swap(&mut self, i: usize, j: usize) {
        self.keys.swap(i, j);
        self.order.swap(i, j);
    }
}

/// kubectl's `isLess` for two values of a decoded object.
fn is_less(a: &Value, b: &Value) -> Result<bool, String> {
    match (a, b) {
        (Value::Null, Value::Null) => Ok(false),
        (Value::Null, _) => Ok(true),
        (_, Value::Null) => Ok(false),
        (Value::Number(x), Value::Number(y)) => match (x.as_i64(), y.as_i64()) {
            (Some(x), Some(y)) => Ok(x < y),
            (None, None) => Ok(x.as_f64() < y.as_f64()),
            _ => Err("unsortable interface: interface".into()),
        },
        (Value::String(x), Value::String(y)) => match (Quantity::parse(x), Quantity::parse(y)) {
            (Ok(qx), Ok(qy)) => Ok(qx.cmp(&qy) == Ordering::Less),
            _ => Ok(x < y),
        },
        (Value::Number(_) | Value::String(_), _) => Err("unsortable interface: interface".into()),
        (Value::Bool(_), _) => Err("unsortable type: bool".into()),
        (Value::Array(_), _) => Err("unsortable type: []interface {}".into()),
        (Value::Object(_), _) => Err("unsortable type: map[string]interface {}".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Sort objects `{"n": name, "k": key}` (a missing key when `key` is absent) by `field` and
    /// compare the names in order with `expect`, or the error with `error: <message>`.
    #[track_caller]
    fn check(objects: &[Value], field: &str, expect: &str) {
        let got = match sort_order(objects, field) {
            Ok(order) => order.iter().map(|&i| objects[i]["n"].as_str().unwrap_or("?")).collect::<Vec<_>>().join(" "),
            Err(e) => format!("error: {e}"),
        };
        assert_eq!(got, expect, "sort by {field}");
    }

    fn objs(keys: &[(&str, Value)]) -> Vec<Value> {
        keys.iter().map(|(n, k)| if k.is_null() { json!({"n": n}) } else { json!({"n": n, "k": k}) }).collect()
    }

    #[test]
    fn keys_compare_as_kubectl_compares_them() {
        let numbers = objs(&[("a", json!(3)), ("b", json!(1)), ("c", json!(2))]);
        check(&numbers, ".k", "b c a");
        check(&numbers, "{.k}", "b c a");
        check(&numbers, "k", "b c a");
        let floats = objs(&[("a", json!(1.5)), ("b", json!(0.5))]);
        check(&floats, ".k", "b a");
        let quantities = objs(&[("a", json!("1Gi")), ("b", json!("500Mi")), ("c", json!("2"))]);
        check(&quantities, ".k", "c b a");
        let strings = objs(&[("a", json!("web")), ("b", json!("db")), ("c", json!("Zeta"))]);
        check(&strings, ".k", "c b a");
        let times = objs(&[
            ("a", json!("2025-01-01T10:00:00Z")),
            ("b", json!("2025-01-01T09:00:00Z")),
            ("c", json!("2024-12-31T23:59:59Z")),
        ]);
        check(&times, ".k", "c b a");
        // Missing keys go first, in reverse order.
        let missing = objs(&[("a", json!(2)), ("b", Value::Null), ("c", json!(1)), ("d", Value::Null)]);
        check(&missing, ".k", "d b c a");
        // Ties keep their order when there are few objects.
        let ties = objs(&[("a", json!(1)), ("b", json!(0)), ("c", json!(1)), ("d", json!(0))]);
        check(&ties, ".k", "b d a c");
    }

    #[test]
    fn errors() {
        let numbers = objs(&[("a", json!(3)), ("b", json!(1))]);
        check(&numbers, ".nope", "error: couldn't find any field with path \"{.nope}\" in the list of objects");
        check(&numbers, "{.a}{.b}", "error: unexpected path string, expected a 'name1.name2' or '.name1.name2' or '{name1.name2}' or '{.name1.name2}'");
        check(&numbers, ".k[", "error: unterminated array");
        let maps = objs(&[("a", json!({"x": 1})), ("b", json!({"x": 2}))]);
        check(
            &maps,
            ".k",
            "error: Field {.k} in *unstructured.Unstructured is an unsortable type: interface, err: unsortable type: map[string]interface {}",
        );
        let mixed = objs(&[("a", json!(1)), ("b", json!("x"))]);
        check(&mixed, ".k", "error: Field {.k} in *unstructured.Unstructured is an unsortable type: interface, err: unsortable interface: interface");
        check(&[], ".k", "");
    }
}
