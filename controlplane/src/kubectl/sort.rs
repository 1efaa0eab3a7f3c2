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

use super::jsonpath::{self, go_quote};
use super::printers::custom_columns::relaxed_jsonpath;
use crate::model::quantity::Quantity;

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

/// What Go's `sort.Interface` offers.
pub(crate) trait SortData {
    fn len(&self) -> usize;
    fn less(&mut self, i: usize, j: usize) -> bool;
    fn swap(&mut self, i: usize, j: usize);
}

/// Go's `sort.Sort` (Go 1.19 and later): pattern-defeating quicksort, not stable.
pub(crate) fn go_sort<D: SortData>(data: &mut D) {
    let n = data.len();
    if n <= 1 {
        return;
    }
    let limit = bits_len(n);
    pdqsort(data, 0, n, limit);
}

fn bits_len(n: usize) -> usize {
    (usize::BITS - n.leading_zeros()) as usize
}

#[derive(PartialEq, Eq, Clone, Copy)]
enum Hint {
    Unknown,
    Increasing,
    Decreasing,
}

fn insertion_sort<D: SortData>(data: &mut D, a: usize, b: usize) {
    for i in a + 1..b {
        let mut j = i;
        while j > a && data.less(j, j - 1) {
            data.swap(j, j - 1);
            j -= 1;
        }
    }
}

fn sift_down<D: SortData>(data: &mut D, lo: usize, hi: usize, first: usize) {
    let mut root = lo;
    loop {
        let mut child = 2 * root + 1;
        if child >= hi {
            return;
        }
        if child + 1 < hi && data.less(first + child, first + child + 1) {
            child += 1;
        }
        if !data.less(first + root, first + child) {
            return;
        }
        data.swap(first + root, first + child);
        root = child;
    }
}

fn heap_sort<D: SortData>(data: &mut D, a: usize, b: usize) {
    let first = a;
    let hi = b - a;
    for i in (0..=hi.saturating_sub(1) / 2).rev() {
        sift_down(data, i, hi, first);
    }
    for i in (0..hi).rev() {
        data.swap(first, first + i);
        sift_down(data, 0, i, first);
    }
}

fn pdqsort<D: SortData>(data: &mut D, mut a: usize, mut b: usize, mut limit: usize) {
    const MAX_INSERTION: usize = 12;
    let mut was_balanced = true;
    let mut was_partitioned = true;
    loop {
        let length = b - a;
        if length <= MAX_INSERTION {
            insertion_sort(data, a, b);
            return;
        }
        if limit == 0 {
            heap_sort(data, a, b);
            return;
        }
        if !was_balanced {
            break_patterns(data, a, b);
            limit -= 1;
        }
        let (mut pivot, mut hint) = choose_pivot(data, a, b);
        if hint == Hint::Decreasing {
            reverse_range(data, a, b);
            pivot = (b - 1) - (pivot - a);
            hint = Hint::Increasing;
        }
        if was_balanced && was_partitioned && hint == Hint::Increasing && partial_insertion_sort(data, a, b) {
            return;
        }
        if a > 0 && !data.less(a - 1, pivot) {
            a = partition_equal(data, a, b, pivot);
            continue;
        }
        let (mid, already) = partition(data, a, b, pivot);
        was_partitioned = already;
        let (left_len, right_len) = (mid - a, b - mid);
        let balance_threshold = length / 8;
        if left_len < right_len {
            was_balanced = left_len >= balance_threshold;
            pdqsort(data, a, mid, limit);
            a = mid + 1;
        } else {
            was_balanced = right_len >= balance_threshold;
            pdqsort(data, mid + 1, b, limit);
            b = mid;
        }
    }
}

fn partition<D: SortData>(data: &mut D, a: usize, b: usize, pivot: usize) -> (usize, bool) {
    data.swap(a, pivot);
    // i and j are inclusive; j may go one below a+1, so work in isize.
    let (mut i, mut j) = (a as isize + 1, b as isize - 1);
    let a_i = a as isize;
    while i <= j && data.less(i as usize, a) {
        i += 1;
    }
    while i <= j && !data.less(j as usize, a) {
        j -= 1;
    }
    if i > j {
        data.swap(j as usize, a);
        return (j as usize, true);
    }
    data.swap(i as usize, j as usize);
    i += 1;
    j -= 1;
    loop {
        while i <= j && data.less(i as usize, a) {
            i += 1;
        }
        while i <= j && !data.less(j as usize, a) {
            j -= 1;
        }
        if i > j {
            break;
        }
        data.swap(i as usize, j as usize);
        i += 1;
        j -= 1;
    }
    debug_assert!(j >= a_i);
    data.swap(j as usize, a);
    (j as usize, false)
}

fn partition_equal<D: SortData>(data: &mut D, a: usize, b: usize, pivot: usize) -> usize {
    data.swap(a, pivot);
    let (mut i, mut j) = (a as isize + 1, b as isize - 1);
    loop {
        while i <= j && !data.less(a, i as usize) {
            i += 1;
        }
        while i <= j && data.less(a, j as usize) {
            j -= 1;
        }
        if i > j {
            break;
        }
        data.swap(i as usize, j as usize);
        i += 1;
        j -= 1;
    }
    i as usize
}

fn partial_insertion_sort<D: SortData>(data: &mut D, a: usize, b: usize) -> bool {
    const MAX_STEPS: usize = 5;
    const SHORTEST_SHIFTING: usize = 50;
    let mut i = a + 1;
    for _ in 0..MAX_STEPS {
        while i < b && !data.less(i, i - 1) {
            i += 1;
        }
        if i == b {
            return true;
        }
        if b - a < SHORTEST_SHIFTING {
            return false;
        }
        data.swap(i, i - 1);
        if i - a >= 2 {
            let mut j = i - 1;
            while j >= 1 {
                if !data.less(j, j - 1) {
                    break;
                }
                data.swap(j, j - 1);
                j -= 1;
            }
        }
        if b - i >= 2 {
            let mut j = i + 1;
            while j < b {
                if !data.less(j, j - 1) {
                    break;
                }
                data.swap(j, j - 1);
                j += 1;
            }
        }
    }
    false
}

fn break_patterns<D: SortData>(data: &mut D, a: usize, b: usize) {
    let length = b - a;
    if length >= 8 {
        let mut random = length as u64;
        let modulus = 1usize << bits_len(length);
        let start = a + (length / 4) * 2 - 1;
        for idx in start..=a + (length / 4) * 2 + 1 {
            random ^= random << 13;
            random ^= random >> 7;
            random ^= random << 17;
            let mut other = (random as usize) & (modulus - 1);
            if other >= length {
                other -= length;
            }
            data.swap(idx, a + other);
        }
    }
}

fn choose_pivot<D: SortData>(data: &mut D, a: usize, b: usize) -> (usize, Hint) {
    const SHORTEST_NINTHER: usize = 50;
    const MAX_SWAPS: usize = 4 * 3;
    let l = b - a;
    let mut swaps = 0;
    let mut i = a + l / 4;
    let mut j = a + l / 4 * 2;
    let mut k = a + l / 4 * 3;
    if l >= 8 {
        if l >= SHORTEST_NINTHER {
            i = median_adjacent(data, i, &mut swaps);
            j = median_adjacent(data, j, &mut swaps);
            k = median_adjacent(data, k, &mut swaps);
        }
        j = median(data, i, j, k, &mut swaps);
    }
    match swaps {
        0 => (j, Hint::Increasing),
        MAX_SWAPS => (j, Hint::Decreasing),
        _ => (j, Hint::Unknown),
    }
}

fn order2<D: SortData>(data: &mut D, a: usize, b: usize, swaps: &mut usize) -> (usize, usize) {
    if data.less(b, a) {
        *swaps += 1;
        return (b, a);
    }
    (a, b)
}

fn median<D: SortData>(data: &mut D, a: usize, b: usize, c: usize, swaps: &mut usize) -> usize {
    let (a, b) = order2(data, a, b, swaps);
    let (b, c) = order2(data, b, c, swaps);
    let _ = c;
    let (_a, b) = order2(data, a, b, swaps);
    b
}

fn median_adjacent<D: SortData>(data: &mut D, a: usize, swaps: &mut usize) -> usize {
    median(data, a - 1, a, a + 1, swaps)
}

fn reverse_range<D: SortData>(data: &mut D, a: usize, b: usize) {
    let (mut i, mut j) = (a, b - 1);
    while i < j {
        data.swap(i, j);
        i += 1;
        j -= 1;
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

    /// The quicksort paths (more than 12 items, sorted, reversed, all equal) sort and permute.
    #[test]
    fn large_inputs_are_sorted() {
        struct Ints(Vec<(i64, usize)>);
        impl SortData for Ints {
            fn len(&self) -> usize {
                self.0.len()
            }
            fn less(&mut self, i: usize, j: usize) -> bool {
                self.0[i].0 < self.0[j].0
            }
            fn swap(&mut self, i: usize, j: usize) {
                self.0.swap(i, j);
            }
        }
        for n in [0usize, 1, 2, 13, 50, 51, 200, 1000] {
            let mut data = Ints((0..n).map(|i| (((i * 7919) % 13) as i64, i)).collect());
            go_sort(&mut data);
            assert!(data.0.windows(2).all(|w| w[0].0 <= w[1].0), "sorted for n={n}");
            let mut seen: Vec<usize> = data.0.iter().map(|p| p.1).collect();
            seen.sort();
            assert_eq!(seen, (0..n).collect::<Vec<_>>());
        }
        // Reverse-sorted input exercises the decreasing hint; all-equal the equal partition.
        let mut rev = Ints((0..100).rev().map(|i| (i, 0)).collect());
        go_sort(&mut rev);
        assert!(rev.0.windows(2).all(|w| w[0].0 <= w[1].0));
        let mut same = Ints((0..100).map(|i| (5, i)).collect());
        go_sort(&mut same);
        assert_eq!(same.0.len(), 100);
    }
}
