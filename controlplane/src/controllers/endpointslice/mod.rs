//! The EndpointSlice controller (`endpointslice-controller`, pkg/controller/endpointslice):
//! for each Service with a selector (not ExternalName), the slices that list its pods'
//! addresses with their ready, serving and terminating conditions, labelled
//! `kubernetes.io/service-name` and owned by the Service (the garbage collector removes them
//! with it). `reconciler.rs` decides the writes; `util.rs` is shared with the Endpoints
//! controller.

pub(crate) mod reconciler;
pub mod util;

pub use self::reconciler::{CONTROLLER_NAME, LABEL_MANAGED_BY, LABEL_SERVICE_NAME, MAX_ENDPOINTS_PER_SLICE};
use self::util::{
    managed_slices, selects_pods, service_and_pods, services_for_pod, slice_service_keys, TriggerTimeTracker,
};
use super::informers::Informers;
use super::runtime::{controller_user, Action, Controller};
use crate::apiserver::{ApiError, WatchEvent};
use crate::events::{EventRecorder, EventType};
use crate::model::{Kind, Object};
use crate::sim::component::Ctx;

pub struct EndpointSliceController {
    user: String,
    recorder: EventRecorder,
    triggers: TriggerTimeTracker,
}

impl Default for EndpointSliceController {
    fn default() -> Self {
        let user = controller_user("endpointslice-controller");
        let recorder = EventRecorder::new("endpoint-slice-controller", None, &user);
        EndpointSliceController { user, recorder, triggers: TriggerTimeTracker::default() }
    }
}

impl Controller for EndpointSliceController {
    fn name(&self) -> &'static str {
        "endpointslice-controller"
    }

    fn watches(&self) -> &'static [Kind] {
        &[Kind::Service, Kind::Pod, Kind::EndpointSlice, Kind::Node]
    }

    fn keys_for(&mut self, event: &WatchEvent, old: Option<&Object>, informers: &Informers) -> Vec<String> {
        match &*event.object {
            Object::Service(_) => vec![event.object.key()],
            Object::Pod(_) => services_for_pod(informers, &event.object, old),
            // A slice changed or deleted by someone else is put right; a change of its
            // manager or Service concerns both the old and the new Service.
            Object::EndpointSlice(_) => slice_service_keys(&event.object, old, CONTROLLER_NAME),
            _ => Vec::new(),
        }
    }

    fn reconcile(&mut self, key: &str, ctx: &mut Ctx<'_>) -> Result<Action, ApiError> {
        let informers = ctx.informers;
        let Some((service, pods)) = service_and_pods(informers, key) else {
            // Its slices go with it, by their owner references.
            self.triggers.delete_service(key);
            return Ok(Action::AwaitChange);
        };
        if !selects_pods(service) {
            return Ok(Action::AwaitChange);
        }
        let name = service.metadata.name.as_deref().unwrap_or("");
        let namespace = service.metadata.namespace.as_deref().unwrap_or("");
        let existing = managed_slices(informers, key, CONTROLLER_NAME);
        let trigger = self.triggers.compute(key, service, &pods);
        let Some(service_obj) = informers.get(Kind::Service, key).cloned() else { return Ok(Action::AwaitChange) };
        if let Err(e) = reconciler::reconcile(ctx.api, &self.user, informers, &service_obj, &pods, existing, trigger) {
            let message = format!("Error updating Endpoint Slices for Service {namespace}/{name}: {}", e.message);
            self.recorder.record(
                ctx.api,
                &service_obj,
                None,
                EventType::Warning,
                "FailedToUpdateEndpointSlices",
                &message,
            );
            return Err(e);
        }
        Ok(Action::AwaitChange)
    }
}
