//! Any input to a Session (script, kubectl line, YAML) runs or fails, never panics. It runs on
//! the evaluation thread the front-ends use.
#![no_main]

use libfuzzer_sys::fuzz_target;
use stdlib::{Session, SessionOptions};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let text = text.to_string();
    let run = move || {
        let mut options = SessionOptions::default();
        options.max_operations = 100_000;
        options.cluster.workers = 1;
        let mut session = Session::new(options);
        let _ = session.is_complete(&text);
        let _ = session.execute(&text);
    };
    stdlib::eval_thread("fuzz").spawn(run).expect("an evaluation thread").join().expect("no panic");
});
