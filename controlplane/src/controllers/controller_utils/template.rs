//! Pods from a controller's template (`GetPodFromTemplate`, `metav1.NewControllerRef`) and
//! `RealPodControl`, the one way the workload controllers create, delete and patch pods, with
//! the `SuccessfulCreate`/`FailedCreate` and `SuccessfulDelete`/`FailedDelete` events upstream
//! records on the controller.

use std::sync::Arc;

use crate::model::Pod;
use k8s_openapi::api::core::v1::PodTemplateSpec;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};

use super::Error;
use crate::apiserver::{ApiError, ApiServer, DeleteOptions, Reason};
use crate::events::{EventRecorder, EventType};
use crate::model::validation::{is_dns1123_subdomain, mask_trailing_dash};
use crate::model::{Kind, Object, Typed};

/// `metav1.NewControllerRef`: a reference to `owner` that marks it as the controller and
/// blocks the owner's foreground deletion until this dependent is gone.
pub fn new_controller_ref(owner: &Object) -> OwnerReference {
    let info = owner.info();
    OwnerReference {
        api_version: info.api_version(),
        kind: info.name.to_string(),
        name: owner.name().to_string(),
        uid: owner.metadata().uid.clone().unwrap_or_default(),
        block_owner_deletion: Some(true),
        controller: Some(true),
    }
}

/// `validateControllerRef`: what a reference needs before pods are created with it.
pub fn validate_controller_ref(controller_ref: &OwnerReference) -> Result<(), Error> {
    if controller_ref.api_version.is_empty() {
        return Err(Error::InvalidControllerRef("controllerRef has empty APIVersion"));
    }
    if controller_ref.kind.is_empty() {
        return Err(Error::InvalidControllerRef("controllerRef has empty Kind"));
    }
    if controller_ref.controller != Some(true) {
        return Err(Error::InvalidControllerRef("controllerRef.Controller is not set to true"));
    }
    if controller_ref.block_owner_deletion != Some(true) {
        return Err(Error::InvalidControllerRef("controllerRef.BlockOwnerDeletion is not set"));
    }
    Ok(())
}

/// What a controller gives the pods it makes beyond its template: a name prefix
/// (`CreatePodsWithGenerateName`) and a finalizer (the Job controller's tracking finalizer,
/// which upstream adds to a copy of the template; added to the pod, the template is not
/// copied).
#[derive(Debug, Default, Clone, Copy)]
pub struct PodExtras<'a> {
    pub generate_name: Option<&'a str>,
    pub finalizer: Option<&'a str>,
}

/// `GetPodFromTemplate`: a pod with the template's labels, annotations, finalizers and spec,
/// named by the API server from the `<parent>-` prefix, controlled by `controller_ref`.
pub fn get_pod_from_template(
    template: &PodTemplateSpec,
    parent: &Object,
    controller_ref: Option<&OwnerReference>,
) -> Pod {
    let meta = template.metadata.as_ref();
    let metadata = ObjectMeta {
        labels: meta.and_then(|m| m.labels.clone()),
        annotations: meta.and_then(|m| m.annotations.clone()),
        finalizers: meta.and_then(|m| m.finalizers.clone()),
        generate_name: Some(pods_prefix(parent.name())),
        owner_references: controller_ref.map(|r| vec![r.clone()]),
        ..ObjectMeta::default()
    };
    Pod::new(metadata, template.spec.clone(), None)
}

/// `getPodsPrefix`: `<controller>-` where that is a valid name prefix, else the bare name.
fn pods_prefix(controller_name: &str) -> String {
    let prefix = format!("{controller_name}-");
    if is_dns1123_subdomain(&mask_trailing_dash(&prefix)).is_empty() {
        prefix
    } else {
        controller_name.to_string()
    }
}

/// Whether a create failed because its namespace is being terminated (the error's
/// `NamespaceTerminating` cause, which this API server states only in its message).
pub fn is_namespace_terminating(e: &ApiError) -> bool {
    e.reason == Reason::Forbidden && e.message.ends_with("because it is being terminated")
}

/// `RealPodControl`: pod writes made as one controller's user, with the events upstream
/// records on the controlling object.
pub struct PodControl {
    user: String,
    recorder: EventRecorder,
}

impl PodControl {
    /// Writes as `user`, events from `recorder` (the controller's, so repeats fold together).
    pub fn new(user: &str, recorder: EventRecorder) -> Self {
        PodControl { user: user.to_string(), recorder }
    }

    /// The controller's event recorder, for events about other things than pods.
    pub fn recorder(&mut self) -> &mut EventRecorder {
        &mut self.recorder
    }

    /// `CreatePods` (and `CreatePodsWithGenerateName` when `extras` names a prefix): create a
    /// pod from `template` in `namespace`, controlled by `controller_ref`.
    pub fn create_pods(
        &mut self,
        api: &mut ApiServer,
        namespace: &str,
        template: &PodTemplateSpec,
        controller: &Object,
        controller_ref: &OwnerReference,
        extras: PodExtras<'_>,
    ) -> Result<Arc<Object>, Error> {
        validate_controller_ref(controller_ref)?;
        let mut pod = get_pod_from_template(template, controller, Some(controller_ref));
        if let Some(name) = extras.generate_name.filter(|n| !n.is_empty()) {
            pod.metadata.generate_name = Some(name.to_string());
        }
        if let Some(finalizer) = extras.finalizer {
            let finalizers = pod.metadata.finalizers.get_or_insert_with(Vec::new);
            if !finalizers.iter().any(|f| f == finalizer) {
                finalizers.push(finalizer.to_string());
            }
        }
        if pod.metadata.labels.as_ref().is_none_or(|l| l.is_empty()) {
            return Err(Error::NoLabels);
        }
        match api.create(&self.user, namespace, pod.into_object()) {
            Ok(created) => {
                let message = format!("Created pod: {}", created.name());
                self.recorder.record(api, controller, None, EventType::Normal, "SuccessfulCreate", &message);
                Ok(created)
            }
            Err(e) => {
                // Upstream skips the event when the namespace is terminating.
                if !is_namespace_terminating(&e) {
                    let message = format!("Error creating: {}", e.message);
                    self.recorder.record(api, controller, None, EventType::Warning, "FailedCreate", &message);
                }
                Err(e.into())
            }
        }
    }

    /// `DeletePod`: delete one of `controller`'s pods. A pod already gone is a NotFound error,
    /// without an event.
    pub fn delete_pod(
        &mut self,
        api: &mut ApiServer,
        namespace: &str,
        name: &str,
        controller: &Object,
    ) -> Result<(), Error> {
        match api.delete(&self.user, Kind::Pod, namespace, name, DeleteOptions::default()) {
            Ok(_) => {
                let message = format!("Deleted pod: {name}");
                self.recorder.record(api, controller, None, EventType::Normal, "SuccessfulDelete", &message);
                Ok(())
            }
            Err(e) if e.reason == Reason::NotFound => Err(e.into()),
            Err(e) => {
                let message = format!("Error deleting: {}", e.message);
                self.recorder.record(api, controller, None, EventType::Warning, "FailedDelete", &message);
                Err(e.into())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::controllers::controller_utils::tests::{events, pod_requests, rs, server, template, USER};

    #[test]
    fn controller_refs_name_the_owner_as_controller() {
        let owner = rs("web", "u-1", &[("app", "web")]);
        let r = new_controller_ref(&owner);
        assert_eq!(
            (r.api_version.as_str(), r.kind.as_str(), r.name.as_str(), r.uid.as_str()),
            ("apps/v1", "ReplicaSet", "web", "u-1")
        );
        assert_eq!((r.controller, r.block_owner_deletion), (Some(true), Some(true)));
        assert_eq!(validate_controller_ref(&r), Ok(()));
        let check = |edit: fn(&mut OwnerReference), want: &str| {
            let mut bad = r.clone();
            edit(&mut bad);
            assert_eq!(validate_controller_ref(&bad).unwrap_err().to_string(), want);
        };
        check(|r| r.api_version.clear(), "controllerRef has empty APIVersion");
        check(|r| r.kind.clear(), "controllerRef has empty Kind");
        check(|r| r.controller = None, "controllerRef.Controller is not set to true");
        check(|r| r.block_owner_deletion = Some(false), "controllerRef.BlockOwnerDeletion is not set");
    }

    #[test]
    fn pods_from_a_template_copy_its_metadata_and_spec() {
        let owner = rs("web", "u-1", &[("app", "web")]);
        let mut t = template(&[("app", "web"), ("tier", "fe")]);
        let meta = t.metadata.get_or_insert_with(Default::default);
        meta.annotations = Some([("a".to_string(), "1".to_string())].into());
        meta.finalizers = Some(vec!["example.com/keep".into()]);
        meta.name = Some("ignored".into());
        let r = new_controller_ref(&owner);
        let pod = get_pod_from_template(&t, &owner, Some(&r));
        assert_eq!(pod.metadata.generate_name.as_deref(), Some("web-"));
        assert_eq!(pod.metadata.name, None, "the template's name is not the pod's");
        assert_eq!(pod.metadata.labels, t.metadata.as_ref().unwrap().labels);
        assert_eq!(pod.metadata.annotations, t.metadata.as_ref().unwrap().annotations);
        assert_eq!(pod.metadata.finalizers, Some(vec!["example.com/keep".to_string()]));
        assert_eq!(pod.metadata.owner_references, Some(vec![r]));
        assert_eq!(pod.spec.as_deref(), t.spec.as_ref());
        assert_eq!(get_pod_from_template(&t, &owner, None).metadata.owner_references, None);
    }

    #[test]
    fn pod_name_prefixes() {
        let check = |name: &str, want: &str| assert_eq!(pods_prefix(name), want, "{name}");
        check("web", "web-");
        check(&"a".repeat(253), &format!("{}-", "a".repeat(253)));
        check(&"a".repeat(254), &"a".repeat(254));
        // maskTrailingDash drops the last two bytes, not one, as upstream does.
        let check = |name: &str, want: &str| assert_eq!(mask_trailing_dash(name), want, "{name}");
        check("web-", "wea");
        check("-", "-");
        check("web", "web");
    }

    #[test]
    fn create_pods_creates_through_the_api_server_with_events() {
        let mut api = server();
        let owner = api.create(USER, "default", rs("web", "", &[("app", "web")])).unwrap();
        let r = new_controller_ref(&owner);
        let mut control = PodControl::new(USER, EventRecorder::new("replicaset-controller", None, USER));
        let pod = control
            .create_pods(&mut api, "default", &template(&[("app", "web")]), &owner, &r, PodExtras::default())
            .unwrap();
        assert!(pod.name().starts_with("web-") && pod.name().len() == "web-".len() + 5, "{}", pod.name());
        assert_eq!(pod.metadata().owner_references, Some(vec![r.clone()]));
        let named = control.create_pods(
            &mut api,
            "default",
            &template(&[("app", "web")]),
            &owner,
            &r,
            PodExtras { generate_name: Some("web-0-"), ..Default::default() },
        );
        assert!(named.unwrap().name().starts_with("web-0-"));

        let no_labels = control.create_pods(&mut api, "default", &template(&[]), &owner, &r, PodExtras::default());
        assert_eq!(no_labels.unwrap_err(), Error::NoLabels);
        let mut bad = r.clone();
        bad.controller = None;
        assert!(matches!(
            control.create_pods(&mut api, "default", &template(&[("app", "web")]), &owner, &bad, PodExtras::default()),
            Err(Error::InvalidControllerRef(_))
        ));
        let missing =
            control.create_pods(&mut api, "nowhere", &template(&[("app", "web")]), &owner, &r, PodExtras::default());
        assert!(matches!(missing, Err(Error::Api(_))));

        control.delete_pod(&mut api, "default", pod.name(), &owner).unwrap();
        let gone = control.delete_pod(&mut api, "default", pod.name(), &owner).unwrap_err();
        assert!(gone.is_reason(Reason::NotFound));

        let reasons = events(&api);
        assert_eq!(reasons, ["SuccessfulCreate", "SuccessfulCreate", "FailedCreate", "SuccessfulDelete"]);
        let requests = pod_requests(&api);
        let want = [
            "create replicasets.apps web 201".to_string(),
            format!("create pods {} 201", pod.name()),
            format!("create pods {} 201", requests[2].split(' ').nth(2).unwrap_or("")),
            "create pods  404".to_string(),
            format!("delete pods {} 200", pod.name()),
            format!("delete pods {} 404", pod.name()),
        ];
        assert_eq!(requests, want, "every write as the controller's user; no request for a pod without labels");
    }
}
