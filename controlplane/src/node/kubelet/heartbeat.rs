//! The node's heartbeats, as the kubelet sends them since node leases: the Lease in
//! `kube-node-lease` is renewed every 10s (`nodeLeaseDurationSeconds` 40); the Node's status
//! is written when it changed (conditions, images) or every 5 minutes
//! (`nodeStatusReportFrequency`), though it is computed every 10s (`nodeStatusUpdateFrequency`).
//! The Lease is owned by the Node, so that the garbage collector removes it with the Node.

use std::sync::Arc;

use crate::model::shared::Node;
use chrono::Duration;
use k8s_openapi::api::coordination::v1::LeaseSpec;
use k8s_openapi::api::core::v1::{ContainerImage, NodeCondition};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta};

use super::Kubelet;
use crate::apiserver::{k8s_time, ApiServer, Reason};
use crate::model::shared::Lease;
use crate::model::{Kind, Object};
use crate::node::runtime::ImageService;

pub const LEASE_RENEW: i64 = 10;
pub const STATUS_UPDATE: i64 = 10;
pub const STATUS_REPORT: i64 = 300;
pub const LEASE_DURATION: i32 = 40;
const MAX_IMAGES: usize = 50;

fn micro(t: chrono::DateTime<chrono::Utc>) -> MicroTime {
    let nanos = t.timestamp_nanos_opt().unwrap_or(0);
    MicroTime(k8s_openapi::jiff::Timestamp::from_nanosecond(i128::from(nanos / 1000 * 1000)).unwrap_or_default())
}

impl Kubelet {
    /// Renew the node's Lease (creating it if it is missing).
    pub fn renew_lease(&mut self, api: &mut ApiServer) {
        let now = api.now();
        let current = match self.lease.take() {
            Some(l) => Some(l),
            None => match api.get(&self.user, Kind::Lease, "kube-node-lease", &self.node) {
                Ok(l) => Some(l),
                Err(e) if e.reason == Reason::NotFound => None,
                Err(_) => return,
            },
        };
        let mut lease = match current.as_deref() {
            Some(Object::Lease(l)) => (**l).clone(),
            _ => Lease::new(
                ObjectMeta {
                    name: Some(self.node.clone()),
                    namespace: Some("kube-node-lease".into()),
                    ..Default::default()
                },
                None,
            ),
        };
        if lease.metadata.owner_references.as_deref().unwrap_or_default().is_empty() {
            // Set at each renewal until the Node can be read (`setNodeOwnerFunc`).
            if let Ok(node) = api.get(&self.user, Kind::Node, "", &self.node) {
                lease.metadata.owner_references = Some(vec![super::mirror::node_owner(&node, false)]);
            }
        }
        let spec = lease.spec.get_or_insert_with(LeaseSpec::default);
        if spec.holder_identity.as_deref() != Some(self.node.as_str()) {
            spec.holder_identity = Some(self.node.clone());
        }
        spec.lease_duration_seconds = Some(LEASE_DURATION);
        spec.renew_time = Some(micro(now));
        let obj = Object::Lease(Box::new(lease));
        let result = if current.is_some() {
            api.update(&self.user, obj)
        } else {
            api.create(&self.user, "kube-node-lease", obj)
        };
        self.lease = result.ok();
    }

    /// Compute the node's status; write it if it changed or the report is due (or `force`).
    pub fn sync_node_status(&mut self, api: &mut ApiServer, force: bool) {
        let now = api.now();
        let images = self.runtime.image_count(now);
        let due = self.last_report.is_none_or(|t| now - t >= Duration::seconds(STATUS_REPORT));
        if !force && !due && images == self.images_reported {
            return;
        }
        let Ok(current) = api.get(&self.user, Kind::Node, "", &self.node) else { return };
        let Object::Node(node) = &*current else { return };
        let mut node: Node = (**node).clone();
        let status = node.status.get_or_insert_with(Default::default);
        let t = k8s_time(now);
        let mut transitions = Vec::new();
        let mut conditions: Vec<NodeCondition> = status.conditions.clone().unwrap_or_default();
        // The kubelet's condition setters, and the event each records when its condition
        // changes (after a node comes back, every one of them).
        for (type_, reason, message, event) in [
            (
                "MemoryPressure",
                "KubeletHasSufficientMemory",
                "kubelet has sufficient memory available",
                "NodeHasSufficientMemory",
            ),
            ("DiskPressure", "KubeletHasNoDiskPressure", "kubelet has no disk pressure", "NodeHasNoDiskPressure"),
            ("PIDPressure", "KubeletHasSufficientPID", "kubelet has sufficient PID available", "NodeHasSufficientPID"),
            ("Ready", "KubeletReady", "kubelet is posting ready status", "NodeReady"),
        ] {
            let healthy = if type_ == "Ready" { "True" } else { "False" };
            let c = match conditions.iter_mut().find(|c| c.type_ == type_) {
                Some(c) => c,
                None => {
                    conditions.push(NodeCondition { type_: type_.into(), ..Default::default() });
                    conditions.last_mut().expect("just pushed")
                }
            };
            if c.status != healthy {
                c.status = healthy.into();
                c.last_transition_time = Some(t.clone());
                transitions.push(event);
            }
            c.reason = Some(reason.into());
            c.message = Some(message.into());
            c.last_heartbeat_time = Some(t.clone());
        }
        status.conditions = Some(conditions);
        let mut list = self.runtime.list_images(now);
        list.sort_by(|a, b| b.size.cmp(&a.size).then(a.repo_tag.cmp(&b.repo_tag)));
        list.truncate(MAX_IMAGES);
        status.images = Some(
            list.into_iter()
                .map(|i| ContainerImage {
                    names: Some(vec![i.repo_digest, i.repo_tag]),
                    size_bytes: Some(i.size as i64),
                })
                .collect(),
        );
        node.resource_version = None;
        if let Ok(written) = api.update_status(&self.user, Object::Node(Box::new(node))) {
            self.last_report = Some(now);
            self.images_reported = images;
            for event in transitions {
                let message = format!("Node {} status is now: {event}", self.node);
                self.recorder.record(api, &written, None, crate::events::EventType::Normal, event, &message);
            }
        }
    }

    /// The lease this kubelet last wrote, if any.
    pub fn lease(&self) -> Option<&Arc<Object>> {
        self.lease.as_ref()
    }
}
