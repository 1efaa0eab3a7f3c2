//! `kubectl logs`: the API server asks the pod's kubelet for a container's log.

use super::flags::{flag, parse, FlagSpec};
use crate::client::{Client, Response};
use crate::controllers::controller_utils::{after_or_zero, creation_time, is_pod_ready, pod_phase, pod_ready_time};
use crate::gosort::{go_sort, SortData};
use crate::model::field_selector::FieldSelector;
use crate::model::selector::LabelSelector;
use crate::model::{Kind, Object, Typed};
use crate::node::kubelet::logs::LogRequest;
use k8s_openapi::api::core::v1::Pod;

pub const FLAGS: &[FlagSpec] = &[
    flag("container", Some('c'), true),
    flag("previous", Some('p'), false),
    flag("tail", None, true),
    flag("timestamps", None, false),
    flag("follow", Some('f'), false),
    flag("namespace", Some('n'), true),
];

const USAGE: &str = "error: expected 'logs [-f] [-p] (POD | TYPE/NAME) [-c CONTAINER]'.\nPOD or TYPE/NAME is a required argument for the logs command\nSee 'kubectl logs -h' for help and examples";

pub fn run(client: &mut dyn Client, args: &[&str]) -> Result<String, String> {
    let flags = parse(args, FLAGS)?;
    if flags.is_set("follow") {
        return Err("error: \"kubectl logs -f\" is not available in kubesim: a log is read at one moment of simulated time; advance the clock and read it again".into());
    }
    let target = match flags.positional.as_slice() {
        [one] => one.clone(),
        [] => return Err(USAGE.into()),
        _ => return Err("error: only one of pod name or TYPE/NAME may be given (use -c for the container)".into()),
    };
    let namespace = flags.get("namespace").unwrap_or("default").to_string();
    let mut notice = String::new();
    let name = match target.split_once('/') {
        Some((kind, name)) => match super::resources::resolve(kind)? {
            Kind::Pod => name.to_string(),
            kind => {
                let (pod, found) = first_pod(client, kind, &namespace, name)?;
                if found > 1 {
                    notice = format!("Found {found} pods, using pod/{pod}\n");
                }
                pod
            }
        },
        None => target,
    };
    let tail = match flags.get("tail") {
        None | Some("-1") => None,
        Some(n) => Some(n.parse::<usize>().map_err(|_| format!("error: invalid argument \"{n}\" for \"--tail\" flag: strconv.ParseInt: parsing \"{n}\": invalid syntax"))?),
    };
    let obj = client.get(Kind::Pod, &namespace, &name).map(Response::into_body).map_err(|e| e.kubectl_message())?;
    let Object::Pod(pod) = &*obj else { return Err(format!("error: {name} is not a pod")) };
    let spec = pod.spec.clone().unwrap_or_default();
    let container = match flags.get("container") {
        Some(c) => c.to_string(),
        None => pod
            .metadata
            .annotations
            .as_ref()
            .and_then(|a| a.get("kubectl.kubernetes.io/default-container"))
            .cloned()
            .or_else(|| spec.containers.first().map(|c| c.name.clone()))
            .unwrap_or_default(),
    };
    let req = LogRequest {
        container: Some(container),
        previous: flags.is_set("previous"),
        tail,
        timestamps: flags.is_set("timestamps"),
    };
    let log = client.logs(&namespace, &name, &req).map(Response::into_body).map_err(|e| e.kubectl_message())?;
    Ok(notice + &log)
}

/// `AttachablePodForObject`: the first pod (`GetFirstPod`, in `podutils.ByLogging` order) of
/// what a workload or Service selects, and how many it selects.
fn first_pod(client: &mut dyn Client, kind: Kind, namespace: &str, name: &str) -> Result<(String, usize), String> {
    let obj = client.get(kind, namespace, name).map(Response::into_body).map_err(|e| e.kubectl_message())?;
    let selector = pod_selector(&obj).ok_or_else(|| {
        format!("error: cannot get the logs from {}: name a pod or a workload (kubectl get pods)", obj.info().name)
    })?;
    let list = client
        .list(Kind::Pod, Some(namespace), &selector, &FieldSelector::everything())
        .map(Response::into_body)
        .map_err(|e| e.kubectl_message())?;
    let pods: Vec<&Pod> = list.items.iter().filter_map(|p| Pod::from_object(p)).collect();
    let mut order = ByLogging(pods);
    go_sort(&mut order);
    let first = order.0.first().ok_or("error: timed out waiting for the condition")?;
    Ok((first.metadata.name.clone().unwrap_or_default(), order.0.len()))
}

/// The pods a workload's or a Service's selector chooses.
fn pod_selector(obj: &Object) -> Option<LabelSelector> {
    let from = |s: Option<&k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector>| {
        s.and_then(|s| LabelSelector::from_k8s(s).ok())
    };
    match obj {
        Object::Job(j) => from(j.spec.as_ref().and_then(|s| s.selector.as_ref())),
        Object::Deployment(d) => from(d.spec.as_ref().map(|s| &s.selector)),
        Object::ReplicaSet(r) => from(r.spec.as_ref().map(|s| &s.selector)),
        Object::StatefulSet(s) => from(s.spec.as_ref().map(|s| &s.selector)),
        Object::DaemonSet(d) => from(d.spec.as_ref().map(|s| &s.selector)),
        Object::ReplicationController(r) => {
            r.spec.as_ref().and_then(|s| s.selector.as_ref()).map(LabelSelector::from_labels)
        }
        Object::Service(s) => s.spec.as_ref().and_then(|s| s.selector.as_ref()).map(LabelSelector::from_labels),
        _ => None,
    }
}

/// `podutils.ByLogging`: scheduled first; Running (and, as Go's map lookup gives 0, Succeeded
/// and Failed) before Unknown before Pending; ready first, longer ready first; more restarts
/// first; older first.
struct ByLogging<'a>(Vec<&'a Pod>);

impl SortData for ByLogging<'_> {
    fn len(&self) -> usize {
        self.0.len()
    }

    fn less(&mut self, i: usize, j: usize) -> bool {
        let (a, b) = (self.0[i], self.0[j]);
        let node = |p: &Pod| p.spec.as_ref().and_then(|s| s.node_name.clone()).unwrap_or_default();
        if node(a) != node(b) && (node(a).is_empty() || node(b).is_empty()) {
            return !node(a).is_empty();
        }
        let rank = |p: &Pod| match pod_phase(p) {
            "Unknown" => 1,
            "Pending" => 2,
            _ => 0,
        };
        if rank(a) != rank(b) {
            return rank(a) < rank(b);
        }
        if is_pod_ready(a) != is_pod_ready(b) {
            return is_pod_ready(a);
        }
        if is_pod_ready(a) && is_pod_ready(b) && pod_ready_time(a) != pod_ready_time(b) {
            return after_or_zero(pod_ready_time(b), pod_ready_time(a));
        }
        if max_restarts(a) != max_restarts(b) {
            return max_restarts(a) > max_restarts(b);
        }
        creation_time(a) != creation_time(b) && after_or_zero(creation_time(b), creation_time(a))
    }

    fn swap(&mut self, i: usize, j: usize) {
        self.0.swap(i, j);
    }
}

fn max_restarts(pod: &Pod) -> i32 {
    let statuses = pod.status.as_ref().and_then(|s| s.container_statuses.as_ref());
    statuses.into_iter().flatten().map(|c| c.restart_count).max().unwrap_or(0)
}
