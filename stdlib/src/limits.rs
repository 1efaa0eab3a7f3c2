//! The limits a script runs under beyond Rhai's own: how deep values may nest, and the stack
//! the evaluation runs on, sized so that everything Rhai and kubesim do recursively — parsing,
//! calls, and the printing, copying, comparing and freeing of nested values — fits in it.

use std::any::TypeId;
use std::collections::BTreeMap;
use std::thread::Builder;

use rhai::{Array, Dynamic, Engine, EvalAltResult, FnPtr, Map, Position};

use crate::session::SessionOptions;

/// Stack of the thread a [`Session`](crate::Session) runs on. Rhai's evaluation recurses over
/// calls and expressions, and Rhai and serde over nested values: in a debug build, 48 MiB
/// holds twice the deepest value a script can make (`the_eval_stack_holds_values_past_the_
/// depth_limit`); this leaves five times that. Stack never touched is only address space.
pub const EVAL_STACK_SIZE: usize = 256 * 1024 * 1024;

/// A thread to run a Session on, with [`EVAL_STACK_SIZE`]. Every front-end evaluates on one.
pub fn eval_thread(name: &str) -> Builder {
    Builder::new().name(name.to_string()).stack_size(EVAL_STACK_SIZE)
}

/// Rhai's parse depths (its defaults in a release build; a debug build of Rhai would halve
/// them), so a script parses alike in every build.
pub(crate) const MAX_EXPR_DEPTH: usize = 64;
pub(crate) const MAX_FUNCTION_EXPR_DEPTH: usize = 32;

/// How many variable reads pass between two checks of `this`.
const THIS_CHECKED_EVERY: u32 = 64;

/// Start of the message of a depth error, which travels as Rhai's `ErrorDataTooLarge` (a
/// limit, which `try` cannot catch).
const PREFIX: &str = "script limit: ";

/// Rhai has no limit on how deep values nest, and recurses over them (to print, copy, compare,
/// measure and free them). A value grows deeper only by being put into a new array, map or
/// curried function, and a loop that does so reads a variable each time round: each
/// variable read checks the variable's value (in time proportional to its size), and a
/// too-deep one is dropped (the variable then holds `()`) and stops the script. What one
/// expression can add beyond that is bounded by the expression depth and call limits, which
/// [`EVAL_STACK_SIZE`] leaves room for. A method that deepens `this` in a loop that reads no
/// variable at all is bounded only by time: every step copies and measures the whole value.
pub(crate) fn watch_depth(engine: &mut Engine, limit: usize) {
    let reads = std::cell::Cell::new(0u32);
    #[allow(deprecated)] // Rhai marks `on_var` as an API that may still change.
    engine.on_var(move |name, index, mut ctx| {
        let deep = {
            let scope = ctx.scope();
            let by_index = index.checked_sub(1).and_then(|i| scope.iter_raw().nth(i)).filter(|(n, _, _)| *n == name);
            let value = by_index.map(|(_, _, v)| v).or_else(|| scope.get(name));
            value.is_some_and(|v| !within(v, limit))
        };
        if deep {
            if let Some(value) = ctx.scope_mut().get_mut(name) {
                clear(value);
            }
            return Err(too_deep(limit, &format!("variable {name}")));
        }
        // Inside a method, `this` can be deepened by a loop too; checking it now and then
        // keeps that bounded without walking a large `this` at every read.
        reads.set(reads.get().wrapping_add(1));
        if reads.get().is_multiple_of(THIS_CHECKED_EVERY) {
            if let Some(this) = ctx.this_ptr_mut() {
                if !within(this, limit) {
                    clear(this);
                    return Err(too_deep(limit, "this"));
                }
            }
        }
        Ok(None)
    });
}

/// Free a too-deep value (this stack has room for it) and leave `()`; through a closure's
/// captured variable, for everyone who holds it.
fn clear(value: &mut Dynamic) {
    if let Some(mut inner) = value.write_lock::<Dynamic>() {
        *inner = Dynamic::UNIT;
        return;
    }
    *value = Dynamic::UNIT;
}

/// The message of a value nested deeper than `limit`.
pub(crate) fn depth_message(limit: usize) -> String {
    format!("{PREFIX}a value nested deeper than {limit} levels (max_data_depth)")
}

/// The error of a value nested deeper than `limit` found in `place` (which is now `()`).
fn too_deep(limit: usize, place: &str) -> Box<EvalAltResult> {
    limit_error(format!("{}; {place} is now () to free it", depth_message(limit)))
}

/// A limit error with kubesim's message (Rhai's `ErrorDataTooLarge`, which `try` cannot catch).
pub(crate) fn limit_error(message: String) -> Box<EvalAltResult> {
    Box::new(EvalAltResult::ErrorDataTooLarge(message, Position::NONE))
}

/// The message of Rhai's `ErrorDataTooLarge`: the one limit that was passed, with its value.
/// Rhai counts a value's nested arrays (and maps, and strings) together.
pub(crate) fn data_too_large(what: &str, limits: &SessionOptions) -> String {
    match what {
        "Length of string" => format!(
            "{PREFIX}a string longer than {} bytes, counting all the strings in an array or map together (max_string_size)",
            limits.max_string_size
        ),
        "Size of array/BLOB" => format!(
            "{PREFIX}an array of more than {} items, counting the items of the arrays nested in it (max_array_size)",
            limits.max_array_size
        ),
        "Size of BLOB" => format!("{PREFIX}a BLOB of more than {} bytes (max_array_size)", limits.max_array_size),
        "Size of object map" => format!(
            "{PREFIX}an object map of more than {} properties, counting the properties of the maps nested in it (max_map_size)",
            limits.max_map_size
        ),
        ours if ours.starts_with(PREFIX) => ours.to_string(),
        other => format!("{PREFIX}{} over the limit", other.to_lowercase()),
    }
}

/// Whether `value` nests arrays, maps and curried function pointers at most `limit` deep
/// (a scalar is 0 deep, `[]` 1, `[[]]` 2). The walk stops past the limit, so it recurses no
/// deeper than `limit + 1` whatever the value.
pub(crate) fn within(value: &Dynamic, limit: usize) -> bool {
    Walk { limit, shared: BTreeMap::new() }.depth(value, 0).is_some()
}

/// A depth-first walk that gives up past the limit.
struct Walk {
    limit: usize,
    /// The depth below each shared value (a closure's captured variable) already walked,
    /// by its address, so a value reached by many paths is walked once; `None` while it is
    /// being walked (a value that holds itself is not walked again).
    shared: BTreeMap<usize, Option<usize>>,
}

impl Walk {
    /// The depth of `value`, which sits `above` levels down; None past the limit.
    fn depth(&mut self, value: &Dynamic, above: usize) -> Option<usize> {
        if value.is_shared() {
            // Locked for writing by a running call: its holder is checked when read.
            let Some(inner) = value.read_lock::<Dynamic>() else { return Some(0) };
            let key = &*inner as *const Dynamic as usize;
            return match self.shared.get(&key) {
                Some(Some(depth)) => (above + depth <= self.limit).then_some(*depth),
                Some(None) => Some(0),
                None => {
                    self.shared.insert(key, None);
                    let depth = self.depth(&inner, above)?;
                    self.shared.insert(key, Some(depth));
                    Some(depth)
                }
            };
        }
        if let Some(items) = value.read_lock::<Array>() {
            self.children(items.iter(), above)
        } else if let Some(map) = value.read_lock::<Map>() {
            self.children(map.values(), above)
        } else if let Some(f) = value.read_lock::<FnPtr>() {
            self.children(f.iter_curry(), above)
        } else {
            Some(0)
        }
    }

    fn children<'a>(&mut self, items: impl Iterator<Item = &'a Dynamic>, above: usize) -> Option<usize> {
        if above >= self.limit {
            return None;
        }
        let mut deepest = 0;
        for item in items.filter(|item| may_nest(item)) {
            deepest = deepest.max(self.depth(item, above + 1)?);
        }
        Some(deepest + 1)
    }
}

/// Whether a value can hold others (most items of a large value cannot: a quick test first).
fn may_nest(value: &Dynamic) -> bool {
    if value.is_shared() {
        return true;
    }
    let kind = value.type_id();
    kind == TypeId::of::<Array>() || kind == TypeId::of::<Map>() || kind == TypeId::of::<FnPtr>()
}

#[cfg(test)]
#[path = "limits_tests.rs"]
mod tests;
