//! `kubectl logs`: the API server asks the pod's kubelet for a container's log.

use super::flags::{flag, parse, FlagSpec};
use crate::client::{Client, Response};
use crate::model::{Kind, Object};
use crate::node::kubelet::logs::LogRequest;

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
    let name = match target.split_once('/') {
        Some((kind, name)) if ["pod", "pods", "po"].contains(&kind) => name.to_string(),
        Some((kind, _)) => {
            return Err(format!(
                "error: cannot get the logs of a {kind:?} in kubesim yet: name a pod (kubectl get pods)"
            ))
        }
        None => target,
    };
    let namespace = flags.get("namespace").unwrap_or("default").to_string();
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
    client.logs(&namespace, &name, &req).map(Response::into_body).map_err(|e| e.kubectl_message())
}
