//! `kubectl get -o go-template=…` with any template over a pod and a list: parsed and run, or
//! refused with kubectl's error, never a panic and never without end.
#![no_main]

use controlplane::kubectl::gotemplate::GoTemplate;
use libfuzzer_sys::fuzz_target;
use serde_json::json;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let object = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web", "labels": {"app": "web"}},
        "spec": {"containers": [{"name": "c", "image": "nginx"}], "terminationGracePeriodSeconds": 30},
        "data": {"k": "aGVsbG8="}});
    let list = json!({"apiVersion": "v1", "kind": "List", "items": [object.clone(), object.clone()]});
    for allow in [true, false] {
        if let Ok(t) = GoTemplate::parse(text, allow) {
            let _ = t.execute(&object);
            let _ = t.execute(&list);
        }
    }
});
