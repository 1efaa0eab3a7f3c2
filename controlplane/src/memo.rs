//! Remembered results of pure functions of a text (a quantity's spelling, an image reference,
//! a user name): a cluster asks the same few again and again, in every pod start, scheduling
//! cycle and request. Each table belongs to one thread and is emptied when it reaches its
//! bound, so what users type can never make it grow without end.

use std::cell::RefCell;
use std::thread::LocalKey;

use crate::fasthash::HashMap;

/// One function's table: `thread_local! { static T: Table<V> = Table::default(); }`.
pub type Table<V> = RefCell<HashMap<Box<str>, V>>;

/// `make()`, the value for `key`, made only when `table` does not hold it. `make` may use
/// other tables, not this one.
pub fn remembered<V: Clone>(
    table: &'static LocalKey<Table<V>>,
    bound: usize,
    key: &str,
    make: impl FnOnce() -> V,
) -> V {
    table.with(|t| {
        if let Some(known) = t.borrow().get(key) {
            return known.clone();
        }
        let value = make();
        let mut t = t.borrow_mut();
        if t.len() >= bound {
            t.clear();
        }
        t.insert(Box::from(key), value.clone());
        value
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    thread_local! {
        static LENGTHS: Table<usize> = Table::default();
        static CALLS: Cell<usize> = const { Cell::new(0) };
    }

    fn length(s: &str) -> usize {
        remembered(&LENGTHS, 3, s, || {
            CALLS.set(CALLS.get() + 1);
            s.len()
        })
    }

    #[test]
    fn a_value_is_made_once_and_the_table_stays_within_its_bound() {
        assert_eq!((length("abc"), length("abc"), length("de")), (3, 3, 2));
        assert_eq!(CALLS.get(), 2, "the second abc was remembered");
        for s in ["f", "gh", "ijk", "lmno"] {
            length(s);
        }
        assert!(LENGTHS.with(|t| t.borrow().len()) <= 3);
        assert_eq!(length("lmno"), 4);
        assert_eq!(CALLS.get(), 6, "the last one made is kept");
    }
}
