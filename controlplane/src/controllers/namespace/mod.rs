//! NamespaceController: a namespace being deleted is emptied of every namespaced object,
//! then its `kubernetes` finalizer is removed and it goes.

use chrono::Duration;

use crate::apiserver::{ApiError, DeleteOptions, WatchEvent};
use crate::controllers::informers::Informers;
use crate::controllers::runtime::{controller_user, Action, Controller};
use crate::model::{Kind, Object, KINDS};
use crate::sim::component::Ctx;

pub struct NamespaceController;

const NAME: &str = "namespace-controller";

impl Controller for NamespaceController {
    fn name(&self) -> &'static str {
        NAME
    }

    fn watches(&self) -> &'static [Kind] {
        &[Kind::Namespace]
    }

    fn keys_for(&mut self, event: &WatchEvent, _old: Option<&Object>, _informers: &Informers) -> Vec<String> {
        if event.object.metadata().deletion_timestamp.is_some() {
            vec![event.object.name().to_string()]
        } else {
            Vec::new()
        }
    }

    fn reconcile(&mut self, name: &str, ctx: &mut Ctx<'_>) -> Result<Action, ApiError> {
        let informers = ctx.informers;
        let Some(ns) = informers.get(Kind::Namespace, name) else { return Ok(Action::AwaitChange) };
        if ns.metadata().deletion_timestamp.is_none() {
            return Ok(Action::AwaitChange);
        }
        let user = controller_user(NAME);
        let mut remaining = 0;
        for info in KINDS.iter().filter(|k| k.namespaced) {
            let items = ctx.api.list(&user, info.kind, Some(name), |_| true).items;
            for obj in items {
                if obj.metadata().deletion_timestamp.is_none() {
                    let _ = ctx.api.delete(&user, info.kind, name, obj.name(), DeleteOptions::default());
                }
                if ctx.api.peek(info.kind, name, obj.name()).is_some() {
                    remaining += 1;
                }
            }
        }
        if remaining > 0 {
            // Check again until the contents are gone (pods wait for their kubelets).
            return Ok(Action::RequeueAfter(Duration::seconds(1)));
        }
        let mut done = (**ns).clone();
        if let Object::Namespace(n) = &mut done {
            if let Some(spec) = n.spec.as_mut() {
                spec.finalizers = None;
            }
        }
        let _ = ctx.api.finalize_namespace(&user, done);
        Ok(Action::AwaitChange)
    }
}
