//! kube-controller-manager's controller descriptors (`ControllerDescriptor`: a canonical name
//! from `names.go`, its aliases, how to start it) and its `--controllers` flag: `*` enables
//! every controller on by default, `foo` enables foo, `-foo` disables it; the first entry that
//! names a controller decides (`IsControllerEnabled`).

use super::runtime::ControllerComponent;
use super::{
    cronjob, daemon, deployment, disruption, endpoint, endpointslice, endpointslicemirroring, garbagecollector, job,
    namespace, nodelifecycle, podautoscaler, podgc, replicaset, rootcacertpublisher, serviceaccount, statefulset,
};
use super::{tainteviction, ttlafterfinished};
use k8s_openapi::api::core::v1::{Service, ServiceSpec};

use crate::apiserver::Unacted;
use crate::model::{Kind, Object, Typed};
use crate::sim::component::Component;

#[derive(Debug)]
pub struct ControllerDescriptor {
    /// The canonical name (`names.go`).
    pub name: &'static str,
    /// Older names `--controllers` accepts too.
    pub aliases: &'static [&'static str],
    pub disabled_by_default: bool,
    start: fn() -> Box<dyn Component>,
}

impl ControllerDescriptor {
    pub fn start(&self) -> Box<dyn Component> {
        (self.start)()
    }
}

/// Every controller kubesim runs, in the order they run.
pub static DESCRIPTORS: &[ControllerDescriptor] = &[
    ControllerDescriptor {
        name: "garbage-collector-controller",
        aliases: &["garbagecollector"],
        disabled_by_default: false,
        start: || Box::new(ControllerComponent::new(garbagecollector::GarbageCollector::new())),
    },
    ControllerDescriptor {
        name: "namespace-controller",
        aliases: &["namespace"],
        disabled_by_default: false,
        start: || Box::new(ControllerComponent::new(namespace::NamespaceController)),
    },
    ControllerDescriptor {
        name: "serviceaccount-controller",
        aliases: &["serviceaccount"],
        disabled_by_default: false,
        start: || Box::new(ControllerComponent::new(serviceaccount::ServiceAccountsController)),
    },
    ControllerDescriptor {
        name: "root-ca-certificate-publisher-controller",
        aliases: &["root-ca-cert-publisher"],
        disabled_by_default: false,
        start: || Box::new(ControllerComponent::new(rootcacertpublisher::RootCaCertPublisher)),
    },
    ControllerDescriptor {
        name: "replicationcontroller-controller",
        aliases: &["replicationcontroller"],
        disabled_by_default: false,
        start: || Box::new(ControllerComponent::new(replicaset::ReplicaSetController::replication_controllers())),
    },
    ControllerDescriptor {
        name: "replicaset-controller",
        aliases: &["replicaset"],
        disabled_by_default: false,
        start: || Box::new(ControllerComponent::new(replicaset::ReplicaSetController::replica_sets())),
    },
    ControllerDescriptor {
        name: "endpoints-controller",
        aliases: &["endpoint"],
        disabled_by_default: false,
        start: || Box::new(ControllerComponent::new(endpoint::EndpointsController::default())),
    },
    ControllerDescriptor {
        name: "endpointslice-controller",
        aliases: &["endpointslice"],
        disabled_by_default: false,
        start: || Box::new(ControllerComponent::new(endpointslice::EndpointSliceController::default())),
    },
    ControllerDescriptor {
        name: "endpointslice-mirroring-controller",
        aliases: &["endpointslicemirroring"],
        disabled_by_default: false,
        start: || {
            Box::new(ControllerComponent::new(endpointslicemirroring::EndpointSliceMirroringController::default()))
        },
    },
    ControllerDescriptor {
        name: "node-lifecycle-controller",
        aliases: &["nodelifecycle"],
        disabled_by_default: false,
        start: || Box::new(ControllerComponent::new(nodelifecycle::NodeLifecycleController::new())),
    },
    ControllerDescriptor {
        name: "taint-eviction-controller",
        aliases: &[],
        disabled_by_default: false,
        start: || Box::new(ControllerComponent::new(tainteviction::TaintEvictionController::new())),
    },
    ControllerDescriptor {
        name: "pod-garbage-collector-controller",
        aliases: &["podgc"],
        disabled_by_default: false,
        start: || Box::new(ControllerComponent::new(podgc::PodGcController::new())),
    },
    ControllerDescriptor {
        name: "daemonset-controller",
        aliases: &["daemonset"],
        disabled_by_default: false,
        start: || Box::new(ControllerComponent::new(daemon::DaemonSetsController::default())),
    },
    ControllerDescriptor {
        name: "deployment-controller",
        aliases: &["deployment"],
        disabled_by_default: false,
        start: || Box::new(ControllerComponent::new(deployment::DeploymentController::default())),
    },
    ControllerDescriptor {
        name: "statefulset-controller",
        aliases: &["statefulset"],
        disabled_by_default: false,
        start: || Box::new(ControllerComponent::new(statefulset::StatefulSetController::default())),
    },
    ControllerDescriptor {
        name: "job-controller",
        aliases: &["job"],
        disabled_by_default: false,
        start: || Box::new(ControllerComponent::new(job::JobController::default())),
    },
    ControllerDescriptor {
        name: "ttl-after-finished-controller",
        aliases: &["ttl-after-finished"],
        disabled_by_default: false,
        start: || Box::new(ControllerComponent::new(ttlafterfinished::TtlAfterFinishedController::default())),
    },
    ControllerDescriptor {
        name: "disruption-controller",
        aliases: &["disruption"],
        disabled_by_default: false,
        start: || Box::new(ControllerComponent::new(disruption::DisruptionController::default())),
    },
    ControllerDescriptor {
        name: "cronjob-controller",
        aliases: &["cronjob"],
        disabled_by_default: false,
        start: || Box::new(ControllerComponent::new(cronjob::CronJobController::default())),
    },
    ControllerDescriptor {
        name: "horizontal-pod-autoscaler-controller",
        aliases: &["horizontalpodautoscaling"],
        disabled_by_default: false,
        start: || Box::new(ControllerComponent::new(podautoscaler::HorizontalController::default())),
    },
];

/// The kinds a learner waits on something to act on, each with the kube-controller-manager
/// controller that does upstream (None: an add-on, such as an ingress controller, or the API
/// server's MutatingAdmissionWebhook plugin, which kubesim lacks) and what its absence means.
static AWAITED: &[(Kind, Option<&str>, &str)] = &[
    (Kind::Deployment, Some("deployment-controller"), "no ReplicaSets or pods will be made for it"),
    (Kind::ReplicaSet, Some("replicaset-controller"), "no pods will be made for it"),
    (Kind::ReplicationController, Some("replicationcontroller-controller"), "no pods will be made for it"),
    (Kind::DaemonSet, Some("daemonset-controller"), "no pods will be made for it"),
    (Kind::StatefulSet, Some("statefulset-controller"), "no pods will be made for it"),
    (Kind::Job, Some("job-controller"), "no pods will be made for it"),
    (Kind::CronJob, Some("cronjob-controller"), "no Jobs will be made for it"),
    (Kind::PersistentVolumeClaim, Some("persistentvolume-binder-controller"), "it will stay Pending"),
    (Kind::Ingress, None, "it will get no address and route nothing"),
    (Kind::MutatingWebhookConfiguration, None, "its webhooks will not be called"),
];

/// The kinds no controller of kubesim acts on, with the warning the API server gives when
/// one is created: `nothing in kubesim acts on Ingresses yet: it will get no address and route nothing`.
pub fn unacted_kinds() -> Vec<Unacted> {
    let built = |name: &str| DESCRIPTORS.iter().any(|d| d.name == name);
    AWAITED
        .iter()
        .filter(|(_, controller, _)| !controller.is_some_and(built))
        .map(|(kind, _, means)| Unacted {
            kind: *kind,
            applies: None,
            warning: format!("nothing in kubesim acts on {} yet: {means}", plural(*kind)),
        })
        .collect()
}

/// Services of type LoadBalancer nothing gives an address: all of them without a
/// cloud-controller-manager's service controller (`balanced` false, as in kind), and those
/// with a `loadBalancerClass` (another implementation's, which kubesim does not run).
pub fn unbalanced_services(balanced: bool) -> Unacted {
    fn load_balancer(obj: &Object) -> Option<&ServiceSpec> {
        Service::from_object(obj)?.spec.as_ref().filter(|s| s.type_.as_deref() == Some("LoadBalancer"))
    }
    if balanced {
        return Unacted {
            kind: Kind::Service,
            applies: Some(|o| load_balancer(o).is_some_and(|s| s.load_balancer_class.is_some())),
            warning: "nothing in kubesim acts on a loadBalancerClass: its EXTERNAL-IP will stay <pending>".into(),
        };
    }
    Unacted {
        kind: Kind::Service,
        applies: Some(|o| load_balancer(o).is_some()),
        warning: "nothing in kubesim gives LoadBalancer Services an address outside a cloud (cluster(#{cloud: true})): its EXTERNAL-IP will stay <pending>".into(),
    }
}

/// A kind's plural as prose: `StatefulSets`, `Ingresses`.
fn plural(kind: Kind) -> String {
    let name = kind.info().name;
    if name.ends_with('s') {
        format!("{name}es")
    } else {
        format!("{name}s")
    }
}

/// The default of `--controllers`.
pub fn default_controllers() -> Vec<String> {
    vec!["*".to_string()]
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ControllersError {
    #[error("{0:?} is not in the list of known controllers (known: {1})")]
    Unknown(String, String),
}

/// A controller manager's controller, as its `--controllers` flag names it.
pub trait Named {
    fn name(&self) -> &'static str;
    fn aliases(&self) -> &'static [&'static str];
    fn disabled_by_default(&self) -> bool;
}

impl Named for ControllerDescriptor {
    fn name(&self) -> &'static str {
        self.name
    }
    fn aliases(&self) -> &'static [&'static str] {
        self.aliases
    }
    fn disabled_by_default(&self) -> bool {
        self.disabled_by_default
    }
}

/// The controllers `--controllers` enables, in run order; an unknown name is an error.
pub fn enabled(controllers: &[String]) -> Result<Vec<&'static ControllerDescriptor>, ControllersError> {
    select(DESCRIPTORS, controllers)
}

/// The entries of `table` that `--controllers` enables, in the table's order.
pub fn select<'a, D: Named>(table: &'a [D], controllers: &[String]) -> Result<Vec<&'a D>, ControllersError> {
    let descriptor = |name: &str| table.iter().find(|d| d.name() == name || d.aliases().contains(&name));
    let known = || {
        let mut names: Vec<&str> =
            table.iter().flat_map(|d| std::iter::once(d.name()).chain(d.aliases().iter().copied())).collect();
        names.sort_unstable();
        names.join(", ")
    };
    // Aliases become canonical names first, as the flag's validation does.
    let mut choices: Vec<(bool, Option<&'static str>)> = Vec::new();
    for entry in controllers {
        if entry == "*" {
            choices.push((true, None));
            continue;
        }
        let (on, name) = match entry.strip_prefix('-') {
            Some(name) => (false, name),
            None => (true, entry.as_str()),
        };
        let d = descriptor(name).ok_or_else(|| ControllersError::Unknown(entry.clone(), known()))?;
        choices.push((on, Some(d.name())));
    }
    let is_enabled = |d: &D| {
        let mut star = false;
        for (on, name) in &choices {
            match name {
                Some(n) if *n == d.name() => return *on,
                Some(_) => {}
                None => star = true,
            }
        }
        star && !d.disabled_by_default()
    };
    Ok(table.iter().filter(|d| is_enabled(d)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<&'static str> {
        let list: Vec<String> = list.iter().map(|s| s.to_string()).collect();
        enabled(&list).expect("known names").iter().map(|d| d.name).collect()
    }

    #[test]
    fn star_enables_all_and_the_first_choice_wins() {
        assert_eq!(names(&["*"]).len(), DESCRIPTORS.len());
        assert!(names(&[]).is_empty());
        let without = names(&["*", "-podgc"]);
        assert!(!without.contains(&"pod-garbage-collector-controller"));
        assert_eq!(without.len(), DESCRIPTORS.len() - 1);
        assert_eq!(
            names(&["podgc", "namespace-controller"]),
            ["namespace-controller", "pod-garbage-collector-controller"]
        );
        // The first entry naming a controller decides, alias or canonical name alike.
        assert_eq!(names(&["podgc", "-pod-garbage-collector-controller"]), ["pod-garbage-collector-controller"]);
        assert_eq!(names(&["-podgc", "*", "podgc"]).len(), DESCRIPTORS.len() - 1);
    }

    #[test]
    fn kinds_without_a_controller_are_named_in_a_warning() {
        let unacted = unacted_kinds();
        let warning = |kind: Kind| unacted.iter().find(|u| u.kind == kind).map(|u| u.warning.as_str());
        assert_eq!(
            warning(Kind::PersistentVolumeClaim),
            Some("nothing in kubesim acts on PersistentVolumeClaims yet: it will stay Pending")
        );
        assert_eq!(
            warning(Kind::Ingress),
            Some("nothing in kubesim acts on Ingresses yet: it will get no address and route nothing")
        );
        assert_eq!(
            warning(Kind::MutatingWebhookConfiguration),
            Some("nothing in kubesim acts on MutatingWebhookConfigurations yet: its webhooks will not be called")
        );
        assert_eq!(warning(Kind::ValidatingWebhookConfiguration), None);
        assert_eq!(warning(Kind::ReplicaSet), None);
        assert_eq!(warning(Kind::ReplicationController), None);
        assert_eq!(warning(Kind::StatefulSet), None);
    }

    #[test]
    fn an_unknown_name_is_an_error_naming_the_known_ones() {
        let err = enabled(&["*".to_string(), "-replicasets".to_string()]).unwrap_err().to_string();
        assert!(err.starts_with("\"-replicasets\" is not in the list of known controllers (known: "), "{err}");
        assert!(err.contains("podgc") && err.contains("garbage-collector-controller"), "{err}");
    }
}
