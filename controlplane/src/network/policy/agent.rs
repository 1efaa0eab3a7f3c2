//! The node agent that enforces NetworkPolicy (kind's kindnet has one). Policies are judged
//! as each connection is made (`network::path`), from the shared informers; this component
//! is what keeps those informers fed with policies, namespaces and pods.

use crate::apiserver::WatchEvent;
use crate::controllers::Informers;
use crate::model::{Kind, Object};
use crate::sim::component::{Component, Ctx};

/// kindnet's network-policy controller, as far as the cluster sees it: it watches.
#[derive(Debug, Default)]
pub struct NetworkPolicyAgent;

impl Component for NetworkPolicyAgent {
    fn name(&self) -> &str {
        "kindnet-network-policy"
    }

    fn watches(&self) -> &[Kind] {
        super::WATCHES
    }

    fn on_event(&mut self, _: &WatchEvent, _: Option<&Object>, _: &Informers) {}

    fn on_timer(&mut self, _: &str) {}

    fn run(&mut self, _: &mut Ctx<'_>) -> bool {
        false
    }
}
