//! `kubectl set image KIND/NAME CONTAINER=IMAGE ...` (`*=IMAGE` for every container).

use super::flags::{flag, parse, FlagSpec};
use super::resources::{finish, modify, settled, targets};
use crate::client::{Client, Waiter};
use crate::model::Object;
use k8s_openapi::api::core::v1::PodSpec;

pub(super) const FLAGS: &[FlagSpec] =
    &[flag("namespace", Some('n'), true), flag("all", None, false), flag("selector", Some('l'), true)];

pub fn run(client: &mut dyn Client, waiter: &mut dyn Waiter, args: &[&str]) -> Result<String, String> {
    let (what, rest) =
        args.split_first().ok_or("error: Unexpected args: []\nSee 'kubectl set -h' for help and examples")?;
    match *what {
        "image" => image(client, waiter, rest),
        other => Err(format!("error: \"kubectl set {other}\" is not available in kubesim yet (set image)")),
    }
}

fn image(client: &mut dyn Client, waiter: &mut dyn Waiter, args: &[&str]) -> Result<String, String> {
    let flags = parse(args, FLAGS)?;
    let (pairs, resources): (Vec<&String>, Vec<&String>) = flags.positional.iter().partition(|a| a.contains('='));
    if pairs.is_empty() {
        return Err("error: at least one image update is required".into());
    }
    let updates: Vec<(String, String)> =
        pairs.iter().filter_map(|p| p.split_once('=')).map(|(c, i)| (c.to_string(), i.to_string())).collect();
    let resources: Vec<String> = resources.into_iter().cloned().collect();
    let ns = flags.get("namespace").unwrap_or("default").to_string();
    let (mut lines, mut errors) = (Vec::new(), Vec::new());
    for (kind, name) in targets(&resources)? {
        let Some(name) = name else { return Err("error: resource(s) were provided, but no name was specified".into()) };
        let result = modify(client, kind, &ns, &name, |obj| {
            let shown = obj.type_name();
            let spec = pod_spec(obj).ok_or_else(|| format!("error: {shown} has no pod template"))?;
            for (container, image) in &updates {
                let mut found = false;
                for c in spec.containers.iter_mut().chain(spec.init_containers.iter_mut().flatten()) {
                    if container == "*" || &c.name == container {
                        c.image = Some(image.clone());
                        found = true;
                    }
                }
                if !found {
                    return Err(format!("error: unable to find container named \"{container}\""));
                }
            }
            Ok(())
        });
        match result {
            Ok(o) => lines.push(format!("{} image updated", o.type_name())),
            Err(e) => errors.push(e),
        }
    }
    settled(waiter, finish(lines, errors))
}

/// The pod spec inside an object with containers.
pub fn pod_spec(obj: &mut Object) -> Option<&mut PodSpec> {
    match obj {
        Object::Pod(p) => p.spec.as_mut(),
        Object::Deployment(d) => d.spec.as_mut().and_then(|s| s.template.spec.as_mut()),
        Object::ReplicaSet(r) => r.spec.as_mut().and_then(|s| s.template.as_mut()).and_then(|t| t.spec.as_mut()),
        Object::DaemonSet(d) => d.spec.as_mut().and_then(|s| s.template.spec.as_mut()),
        Object::StatefulSet(s) => s.spec.as_mut().and_then(|s| s.template.spec.as_mut()),
        Object::ReplicationController(r) => {
            r.spec.as_mut().and_then(|s| s.template.as_mut()).and_then(|t| t.spec.as_mut())
        }
        Object::Job(j) => j.spec.as_mut().and_then(|s| s.template.spec.as_mut()),
        Object::CronJob(c) => {
            c.spec.as_mut().and_then(|s| s.job_template.spec.as_mut()).and_then(|s| s.template.spec.as_mut())
        }
        _ => None,
    }
}
