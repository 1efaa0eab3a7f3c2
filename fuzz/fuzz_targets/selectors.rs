//! Label selectors, field selectors, quantities and durations parse or fail, never panic.
#![no_main]

use controlplane::model::{field_selector::FieldSelector, quantity::Quantity, selector::LabelSelector};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(sel) = LabelSelector::parse(text) {
        let _ = LabelSelector::parse(&sel.to_string()).expect("a printed selector parses again");
    }
    if let Ok(sel) = FieldSelector::parse(text) {
        let _ = sel.to_string();
    }
    if let Ok(q) = Quantity::parse(text) {
        assert_eq!(Quantity::parse(&q.to_string()).expect("a printed quantity parses again"), q);
    }
    let _ = controlplane::sim::parse_duration(text);
});
