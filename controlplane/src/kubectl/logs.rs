//! `kubectl logs`: the API server asks the pod's kubelet for a container's log. With `-f` the
//! log is followed while simulated time passes, each new line printed as it comes (as `get -w`
//! follows a watch), until the container ends, the user interrupts, or `--request-timeout`.

use super::flags::{flag, parse, FlagSpec};
use super::stdout::Printed;
use super::Input;
use crate::client::{Client, Response, Waiter};
use crate::controllers::controller_utils::{after_or_zero, creation_time, is_pod_ready, pod_phase, pod_ready_time};
use crate::gosort::{go_sort, SortData};
use crate::model::field_selector::FieldSelector;
use crate::model::selector::LabelSelector;
use crate::model::Pod;
use crate::model::{Kind, Object, Typed};
use crate::node::kubelet::logs::LogRequest;

pub const FLAGS: &[FlagSpec] = &[
    flag("container", Some('c'), true),
    flag("previous", Some('p'), false),
    flag("tail", None, true),
    flag("timestamps", None, false),
    flag("follow", Some('f'), false),
    flag("namespace", Some('n'), true),
    flag("request-timeout", None, true),
];

/// Why following a log without a timeout is refused where nothing can interrupt it.
const NEEDS_TIMEOUT: &str = "error: kubectl logs -f needs --request-timeout in a script: a container that runs on \
would follow its log without end, and nothing can interrupt a script; add e.g. --request-timeout=60s (simulated \
time; the log stops sooner when the container ends)";

const USAGE: &str = "error: expected 'logs [-f] [-p] (POD | TYPE/NAME) [-c CONTAINER]'.\nPOD or TYPE/NAME is a required argument for the logs command\nSee 'kubectl logs -h' for help and examples";

pub fn run(
    client: &mut dyn Client,
    waiter: &mut dyn Waiter,
    args: &[&str],
    input: Input<'_>,
) -> Result<String, String> {
    let flags = parse(args, FLAGS)?;
    let target = match flags.positional.as_slice() {
        [one] => one.clone(),
        [] => return Err(USAGE.into()),
        _ => return Err("error: only one of pod name or TYPE/NAME may be given (use -c for the container)".into()),
    };
    let namespace = flags.get("namespace").unwrap_or("default").to_string();
    let mut notice = String::new();
    let (name, found) = attachable_pod(client, &namespace, &target, "get the logs from")?;
    if found > 1 {
        notice = format!("Found {found} pods, using pod/{name}\n");
    }
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
    if !flags.is_set("follow") || req.previous {
        return Ok(notice + &log);
    }
    let timeout = match flags.get("request-timeout") {
        None | Some("") | Some("0") => None,
        Some(t) => Some(super::watch::request_timeout(t)?),
    };
    if timeout.is_none() && !input.interactive {
        return Err(NEEDS_TIMEOUT.into());
    }
    let mut out = Printed::new(input.stdout);
    out.print(&(notice + &log));
    let follow = Follow { namespace: &namespace, pod: &name, req, timeout };
    match follow.run(client, waiter, &mut out) {
        Ok(()) => Ok(out.done()),
        Err(e) => Err(out.failed(&e)),
    }
}

/// A followed log: the request, where it is, and how long to follow it.
struct Follow<'a> {
    namespace: &'a str,
    pod: &'a str,
    req: LogRequest,
    timeout: Option<chrono::Duration>,
}

impl Follow<'_> {
    /// Print each new line as time passes, until the container ends, an interrupt, or the
    /// timeout.
    fn run(&self, client: &mut dyn Client, waiter: &mut dyn Waiter, out: &mut Printed<'_>) -> Result<(), String> {
        let end = match self.timeout {
            Some(t) => Some(waiter.deadline(t).map_err(|e| format!("error: {e}"))?),
            None => None,
        };
        // The lines are compared with their times: the log only grows at its end and loses
        // lines at its start.
        let stamped = LogRequest { timestamps: true, tail: None, ..self.req.clone() };
        let mut seen = self.lines(client, &stamped)?;
        if self.ended(client)? {
            return Ok(());
        }
        loop {
            let moved = super::watch::step(waiter, end)?;
            let ended = self.ended(client)?;
            let now = self.lines(client, &stamped)?;
            let fresh = after(&seen, &now);
            for line in fresh {
                out.print(&format!("{}\n", if self.req.timestamps { line } else { strip_time(line) }));
            }
            seen = now;
            if ended || moved != super::watch::Moved::On {
                return Ok(());
            }
        }
    }

    fn lines(&self, client: &mut dyn Client, req: &LogRequest) -> Result<Vec<String>, String> {
        let log =
            client.logs(self.namespace, self.pod, req).map(Response::into_body).map_err(|e| e.kubectl_message())?;
        Ok(log.lines().map(str::to_string).collect())
    }

    /// Whether the followed container has stopped (or its pod is gone): the stream closes.
    fn ended(&self, client: &mut dyn Client) -> Result<bool, String> {
        let obj = match client.get(Kind::Pod, self.namespace, self.pod) {
            Ok(r) => r.into_body(),
            Err(e) if e.reason == crate::apiserver::Reason::NotFound => return Ok(true),
            Err(e) => return Err(e.kubectl_message()),
        };
        let Object::Pod(pod) = &*obj else { return Ok(true) };
        let status = pod.status.clone().unwrap_or_default();
        let mut all = status.container_statuses.iter().flatten().chain(status.init_container_statuses.iter().flatten());
        let name = self.req.container.as_deref().unwrap_or_default();
        let state = all.find(|c| c.name == name).and_then(|c| c.state.clone());
        Ok(state.is_some_and(|s| s.terminated.is_some()))
    }
}

/// The lines of `now` after those of `seen`: after the place where `seen`'s last line is.
fn after<'a>(seen: &[String], now: &'a [String]) -> &'a [String] {
    let Some(last) = seen.last() else { return now };
    // Where `seen` ended, if nothing was dropped from the start; else its last line again.
    let at = if now.get(seen.len() - 1) == Some(last) {
        Some(seen.len())
    } else {
        now.iter().rposition(|l| l == last).map(|i| i + 1)
    };
    &now[at.unwrap_or(0).min(now.len())..]
}

/// A `--timestamps` line without its time.
fn strip_time(line: &str) -> &str {
    line.split_once(' ').map(|(_, rest)| rest).unwrap_or(line)
}

/// The pod that `logs`, `exec`, `attach` and `port-forward` reach for `target`: a pod by name
/// (`web`, `pod/web`), or the first pod of a workload or Service (`deploy/web`); and how many
/// pods it chose from. `doing` names the command in the error for a kind that selects no pods
/// (`attach to`).
pub(super) fn attachable_pod(
    client: &mut dyn Client,
    namespace: &str,
    target: &str,
    doing: &str,
) -> Result<(String, usize), String> {
    match target.split_once('/') {
        Some((kind, name)) => match super::resources::resolve(kind)? {
            Kind::Pod => Ok((name.to_string(), 1)),
            kind => first_pod(client, kind, namespace, name, doing),
        },
        None => Ok((target.to_string(), 1)),
    }
}

/// `AttachablePodForObject`: the first pod (`GetFirstPod`, in `podutils.ByLogging` order) of
/// what a workload or Service selects, and how many it selects.
fn first_pod(
    client: &mut dyn Client,
    kind: Kind,
    namespace: &str,
    name: &str,
    doing: &str,
) -> Result<(String, usize), String> {
    let obj = client.get(kind, namespace, name).map(Response::into_body).map_err(|e| e.kubectl_message())?;
    let selector = pod_selector(&obj).ok_or_else(|| {
        format!("error: cannot {doing} {}: name a pod or a workload (kubectl get pods)", obj.info().name)
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
