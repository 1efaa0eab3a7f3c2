//! The Job controller on a cluster with kubelets: pods run their commands on the simulated
//! clock (`sleep 5`, `exit 3`), so counts, conditions and back-off times are the real ones.

use chrono::Duration;
use serde_json::{json, Value};

use crate::model::{decode, Kind, Object};
use crate::sim::{Cluster, ClusterConfig};

const USER: &str = "test";

fn cluster() -> Cluster {
    Cluster::new(ClusterConfig { workers: 2, ..Default::default() })
}

fn job_doc(name: &str, command: &str, spec: Value) -> Value {
    let mut doc = json!({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name},
        "spec": {"template": {"spec": {"restartPolicy": "Never",
            "containers": [{"name": "c", "image": "busybox", "command": ["sh", "-c", command]}]}}}});
    crate::apiserver::patch::merge_patch(&mut doc["spec"], &spec);
    doc
}

fn create(c: &mut Cluster, doc: Value) {
    let obj = decode(doc).expect("decodes");
    c.api().create(USER, "default", obj).expect("created");
}

fn job(c: &mut Cluster, name: &str) -> Value {
    c.api().peek(Kind::Job, "default", name).expect("exists").to_value()
}

fn pods(c: &mut Cluster) -> Vec<Object> {
    let mut pods: Vec<Object> = c.api().peek_list(Kind::Pod, Some("default")).iter().map(|p| (**p).clone()).collect();
    pods.sort_by(|a, b| a.name().cmp(b.name()));
    pods
}

fn conditions(job: &Value) -> Vec<String> {
    let list = job["status"]["conditions"].as_array().cloned().unwrap_or_default();
    list.iter().map(|c| format!("{} {} {}", c["type"], c["status"], c["reason"]).replace('"', "")).collect()
}

fn job_events(c: &mut Cluster) -> Vec<String> {
    let mut events = c.api().peek_list(Kind::Event, Some("default"));
    events.sort_by_key(|e| e.resource_version());
    let v = events.iter().map(|e| e.to_value());
    v.filter(|e| e["involvedObject"]["kind"] == "Job")
        .map(|e| format!("{} {}", e["reason"].as_str().unwrap_or(""), e["message"].as_str().unwrap_or("")))
        .collect()
}

#[test]
fn parallel_completions_complete_with_tracking_finalizers_removed() {
    let mut c = cluster();
    create(&mut c, job_doc("work", "sleep 5", json!({"completions": 4, "parallelism": 2})));
    c.settle().unwrap();
    let made = pods(&mut c);
    assert_eq!(made.len(), 2);
    for p in &made {
        let v = p.to_value();
        assert_eq!(v["metadata"]["finalizers"], json!(["batch.kubernetes.io/job-tracking"]));
        assert_eq!(v["metadata"]["labels"]["job-name"], "work");
        assert_eq!(v["metadata"]["ownerReferences"][0]["kind"], "Job");
    }
    c.advance(Duration::seconds(60)).unwrap();
    let j = job(&mut c, "work");
    assert_eq!(j["status"]["succeeded"], 4);
    assert_eq!(j["status"]["uncountedTerminatedPods"], json!({}));
    assert_eq!(conditions(&j), ["SuccessCriteriaMet True CompletionsReached", "Complete True CompletionsReached"]);
    assert!(j["status"]["completionTime"].is_string());
    let all = pods(&mut c);
    assert_eq!(all.len(), 4);
    assert!(all.iter().all(|p| p.metadata().finalizers.is_none()), "every pod counted");
    assert_eq!(job_events(&mut c).last().map(String::as_str), Some("Completed Job completed"));
}

#[test]
fn backoff_limit_fails_after_limit_plus_one_failures_with_back_off_between() {
    let mut c = cluster();
    create(&mut c, job_doc("fail", "exit 3", json!({"backoffLimit": 2})));
    let start = c.now();
    let mut created: Vec<(String, i64)> = Vec::new();
    for _ in 0..200 {
        c.settle().unwrap();
        for p in pods(&mut c) {
            let at = (c.now() - start).num_seconds();
            if !created.iter().any(|(n, _)| n == p.name()) {
                created.push((p.name().to_string(), at));
            }
        }
        c.advance(Duration::seconds(1)).unwrap();
    }
    let times: Vec<i64> = created.iter().map(|(_, t)| *t).collect();
    assert_eq!(times.len(), 3, "backoffLimit 2: three pods, {times:?}");
    // Each replacement waits 10s, then 20s, after the failure it replaces.
    // The container fails as it starts: each replacement waits 10s, then 20s.
    assert_eq!(times, [0, 10, 30]);
    let j = job(&mut c, "fail");
    assert_eq!(j["status"]["failed"], 3);
    assert_eq!(conditions(&j), ["FailureTarget True BackoffLimitExceeded", "Failed True BackoffLimitExceeded"]);
    assert_eq!(
        job_events(&mut c).last().map(String::as_str),
        Some("BackoffLimitExceeded Job has reached the specified backoff limit")
    );
}

#[test]
fn active_deadline_fails_the_job_and_deletes_its_pods() {
    let mut c = cluster();
    create(&mut c, job_doc("slow", "sleep 600", json!({"activeDeadlineSeconds": 20})));
    c.advance(Duration::seconds(19)).unwrap();
    assert_eq!(conditions(&job(&mut c, "slow")), Vec::<String>::new());
    c.advance(Duration::seconds(60)).unwrap();
    let j = job(&mut c, "slow");
    assert_eq!(conditions(&j), ["FailureTarget True DeadlineExceeded", "Failed True DeadlineExceeded"]);
    assert_eq!(j["status"]["failed"], 1);
    assert!(pods(&mut c).is_empty(), "the deleted pod is gone once its finalizer is removed");
}

#[test]
fn suspend_deletes_pods_and_resume_restarts_the_clock() {
    let mut c = cluster();
    create(&mut c, job_doc("s", "sleep 100", json!({"parallelism": 2, "completions": 2})));
    c.advance(Duration::seconds(5)).unwrap();
    assert_eq!(pods(&mut c).len(), 2);
    let patch = json!({"spec": {"suspend": true}});
    c.api().patch(USER, Kind::Job, "default", "s", crate::apiserver::PatchType::Merge, &patch).unwrap();
    c.advance(Duration::seconds(40)).unwrap();
    let j = job(&mut c, "s");
    assert_eq!(conditions(&j), ["Suspended True JobSuspended"]);
    assert!(j["status"]["active"].is_null());
    let patch = json!({"spec": {"suspend": false}});
    c.api().patch(USER, Kind::Job, "default", "s", crate::apiserver::PatchType::Merge, &patch).unwrap();
    c.settle().unwrap();
    let j = job(&mut c, "s");
    assert_eq!(conditions(&j), ["Suspended False JobResumed"]);
    assert_eq!(j["status"]["active"], 2);
    assert_eq!(j["status"]["startTime"], json!(crate::apiserver::k8s_time(c.now())));
    let events = job_events(&mut c);
    assert!(
        events.contains(&"Suspended Job suspended".to_string()) && events.contains(&"Resumed Job resumed".to_string())
    );
}

#[test]
fn indexed_jobs_run_each_index_once() {
    let mut c = cluster();
    create(&mut c, job_doc("ix", "sleep 5", json!({"completions": 3, "parallelism": 3, "completionMode": "Indexed"})));
    c.settle().unwrap();
    let made = pods(&mut c);
    let mut seen: Vec<(String, String, String)> = made
        .iter()
        .map(|p| {
            let v = p.to_value();
            let ix = v["metadata"]["annotations"]["batch.kubernetes.io/job-completion-index"]
                .as_str()
                .unwrap_or("")
                .to_string();
            assert_eq!(v["metadata"]["labels"]["batch.kubernetes.io/job-completion-index"], json!(ix));
            assert!(p.name().starts_with(&format!("ix-{ix}-")), "{}", p.name());
            let env = &v["spec"]["containers"][0]["env"][0];
            assert_eq!(env["name"], "JOB_COMPLETION_INDEX");
            assert_eq!(
                env["valueFrom"]["fieldRef"]["fieldPath"],
                "metadata.labels['batch.kubernetes.io/job-completion-index']"
            );
            (ix, v["spec"]["hostname"].as_str().unwrap_or("").to_string(), String::new())
        })
        .collect();
    seen.sort();
    assert_eq!(seen.iter().map(|s| s.1.as_str()).collect::<Vec<_>>(), ["ix-0", "ix-1", "ix-2"]);
    c.advance(Duration::seconds(30)).unwrap();
    let j = job(&mut c, "ix");
    assert_eq!(j["status"]["completedIndexes"], "0-2");
    assert_eq!(j["status"]["succeeded"], 3);
}

#[test]
fn an_orphaned_pod_loses_its_finalizer() {
    let mut c = cluster();
    create(&mut c, job_doc("o", "sleep 300", json!({})));
    c.advance(Duration::seconds(5)).unwrap();
    let opts = crate::apiserver::DeleteOptions {
        propagation_policy: Some(crate::apiserver::Propagation::Orphan),
        ..Default::default()
    };
    c.api().delete(USER, Kind::Job, "default", "o", opts).unwrap();
    c.settle().unwrap();
    let left = pods(&mut c);
    assert_eq!(left.len(), 1);
    assert!(left[0].metadata().finalizers.is_none(), "{:?}", left[0].metadata().finalizers);
}

#[test]
fn restart_policy_on_failure_counts_restarts_toward_the_backoff_limit() {
    let mut c = cluster();
    let mut doc = job_doc("restarts", "exit 1", json!({"backoffLimit": 2}));
    doc["spec"]["template"]["spec"]["restartPolicy"] = json!("OnFailure");
    create(&mut c, doc);
    // The kubelet restarts the container in place, with its own back-off between restarts.
    c.advance(Duration::seconds(8)).unwrap();
    let pod = pods(&mut c)[0].to_value();
    assert_eq!(pod["status"]["containerStatuses"][0]["restartCount"], 1);
    assert_eq!(conditions(&job(&mut c, "restarts")), Vec::<String>::new());
    c.advance(Duration::seconds(60)).unwrap();
    let j = job(&mut c, "restarts");
    assert_eq!(conditions(&j), ["FailureTarget True BackoffLimitExceeded", "Failed True BackoffLimitExceeded"]);
    assert_eq!(j["status"]["failed"], 1, "one pod, restarted in place, deleted and counted as failed");
    assert!(pods(&mut c).is_empty(), "never replaced");
}

#[test]
fn backoff_limit_per_index_fails_indexes_then_the_job() {
    let mut c = cluster();
    let spec = json!({"completions": 2, "parallelism": 2, "completionMode": "Indexed", "backoffLimitPerIndex": 1});
    create(&mut c, job_doc("per-index", "exit 1", spec));
    c.advance(Duration::seconds(120)).unwrap();
    let j = job(&mut c, "per-index");
    assert_eq!(j["status"]["failedIndexes"], "0,1");
    assert_eq!(j["status"]["failed"], 4, "two tries of each index");
    assert_eq!(conditions(&j), ["FailureTarget True FailedIndexes", "Failed True FailedIndexes"]);
    let counts: Vec<String> = pods(&mut c)
        .iter()
        .map(|p| {
            let a = &p.to_value()["metadata"]["annotations"];
            format!(
                "{}:{}",
                a["batch.kubernetes.io/job-completion-index"].as_str().unwrap_or(""),
                a["batch.kubernetes.io/job-index-failure-count"].as_str().unwrap_or("")
            )
        })
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    assert_eq!(counts, ["0:0", "0:1", "1:0", "1:1"]);

    let spec = json!({"completions": 3, "parallelism": 1, "completionMode": "Indexed", "backoffLimitPerIndex": 0,
        "maxFailedIndexes": 0});
    create(&mut c, job_doc("max-failed", "exit 1", spec));
    c.advance(Duration::seconds(30)).unwrap();
    let j = job(&mut c, "max-failed");
    assert_eq!(conditions(&j), ["FailureTarget True MaxFailedIndexesExceeded", "Failed True MaxFailedIndexesExceeded"]);
}

#[test]
fn a_fail_job_rule_fails_the_job_on_an_exit_code() {
    let mut c = cluster();
    let spec = json!({"podFailurePolicy": {"rules": [
        {"action": "FailJob", "onExitCodes": {"containerName": "c", "operator": "In", "values": [42]}}]}});
    create(&mut c, job_doc("fatal", "exit 42", spec));
    c.advance(Duration::seconds(10)).unwrap();
    let j = job(&mut c, "fatal");
    assert_eq!(conditions(&j), ["FailureTarget True PodFailurePolicy", "Failed True PodFailurePolicy"]);
    let message = j["status"]["conditions"][1]["message"].as_str().unwrap_or("").to_string();
    assert!(
        message.starts_with("Container c for pod default/fatal-")
            && message.ends_with(" failed with exit code 42 matching FailJob rule at index 0"),
        "{message}"
    );
    assert_eq!(j["status"]["failed"], 1);
}

#[test]
fn a_success_policy_ends_an_indexed_job_early() {
    let mut c = cluster();
    let spec = json!({"completions": 4, "parallelism": 2, "completionMode": "Indexed",
        "successPolicy": {"rules": [{"succeededIndexes": "0"}]}});
    let mut doc = job_doc("leader", "sleep 5", spec);
    // Indexes 0 and 1 run first; once index 0 has succeeded the rule is met, and indexes 2
    // and 3 never run.
    doc["spec"]["template"]["metadata"] = json!({"annotations": {"kubesim.io/run-seconds": "2"}});
    create(&mut c, doc);
    c.advance(Duration::seconds(60)).unwrap();
    let j = job(&mut c, "leader");
    assert_eq!(conditions(&j), ["SuccessCriteriaMet True SuccessPolicy", "Complete True SuccessPolicy"]);
    assert_eq!(j["status"]["conditions"][1]["message"], "Matched rules at index 0");
    assert_eq!(j["status"]["completedIndexes"], "0,1");
    assert_eq!(pods(&mut c).len(), 2);
}
