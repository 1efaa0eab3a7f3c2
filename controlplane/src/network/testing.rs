//! A cluster for the network's tests: the default cluster with every controller, and the
//! informers cluster DNS and NetworkPolicy read.

use chrono::Duration;

use crate::apiserver::WatchEvent;
use crate::controllers::informers::Informers;
use crate::kubectl::apply::apply_text;
use crate::model::{Kind, Object};
use crate::sim::component::{Component, Ctx};
use crate::sim::{Cluster, ClusterConfig};

/// Watches what the network reads, so the shared informers hold it.
struct Watch;

impl Component for Watch {
    fn name(&self) -> &str {
        "network-test"
    }

    fn watches(&self) -> &[Kind] {
        &[Kind::Service, Kind::EndpointSlice, Kind::Namespace, Kind::Pod, Kind::NetworkPolicy]
    }

    fn on_event(&mut self, _: &WatchEvent, _: Option<&Object>, _: &Informers) {}

    fn on_timer(&mut self, _: &str) {}

    fn run(&mut self, _: &mut Ctx<'_>) -> bool {
        false
    }
}

/// The default cluster with `yaml` applied and a minute passed, so pods run and endpoints follow.
pub fn cluster(yaml: &str) -> Cluster {
    let mut c = Cluster::new(ClusterConfig::default());
    c.add_component(Box::new(Watch));
    for outcome in apply_text(&mut c, yaml, "test.yaml", "default") {
        if let Err(e) = outcome {
            panic!("{e}");
        }
    }
    c.advance(Duration::seconds(60)).expect("advances");
    c
}

/// Compare `got` with `controlplane/tests/expected/network/NAME.txt` (`UPDATE_EXPECT=1` rewrites it).
#[track_caller]
pub fn check_expected(name: &str, got: &str) {
    let path =
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/expected/network").join(format!("{name}.txt"));
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("create the expected directory");
        std::fs::write(&path, got).expect("write the expected file");
        return;
    }
    let want =
        std::fs::read_to_string(&path).unwrap_or_else(|_| panic!("no {} (UPDATE_EXPECT=1 writes it)", path.display()));
    assert!(got == want, "output differs from {}\n--- got:\n{got}--- want:\n{want}", path.display());
}

/// A pod's IP and a Service's cluster IP, as the informers have them.
pub fn pod_ip(c: &mut Cluster, key: &str) -> String {
    match c.informers().get(Kind::Pod, key).map(|o| o.as_ref()) {
        Some(Object::Pod(p)) => p.status.as_ref().and_then(|s| s.pod_ip.clone()).unwrap_or_default(),
        _ => panic!("no pod {key}"),
    }
}

pub fn cluster_ip(c: &mut Cluster, key: &str) -> String {
    match c.informers().get(Kind::Service, key).map(|o| o.as_ref()) {
        Some(Object::Service(s)) => s.spec.as_ref().and_then(|s| s.cluster_ip.clone()).unwrap_or_default(),
        _ => panic!("no service {key}"),
    }
}
