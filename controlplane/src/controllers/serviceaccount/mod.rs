//! ServiceAccountsController: every active namespace has a `default` service account.

use crate::apiserver::{ApiError, WatchEvent};
use crate::controllers::informers::Informers;
use crate::controllers::runtime::{controller_user, namespace_key, Action, Controller};
use crate::model::{Kind, Object};
use crate::sim::component::Ctx;

pub struct ServiceAccountsController;

const NAME: &str = "serviceaccount-controller";

impl Controller for ServiceAccountsController {
    fn name(&self) -> &'static str {
        NAME
    }

    fn watches(&self) -> &'static [Kind] {
        &[Kind::Namespace, Kind::ServiceAccount]
    }

    fn keys_for(&mut self, event: &WatchEvent, _old: Option<&Object>, _informers: &Informers) -> Vec<String> {
        namespace_key(event, Kind::ServiceAccount, "default")
    }

    fn reconcile(&mut self, namespace: &str, ctx: &mut Ctx<'_>) -> Result<Action, ApiError> {
        let informers = ctx.informers;
        let Some(ns) = informers.get(Kind::Namespace, namespace) else { return Ok(Action::AwaitChange) };
        if ns.metadata().deletion_timestamp.is_some() {
            return Ok(Action::AwaitChange);
        }
        if informers.get(Kind::ServiceAccount, &format!("{namespace}/default")).is_none() {
            let sa = Object::named(Kind::ServiceAccount, Some(namespace), "default");
            // AlreadyExists means the cache lagged: the account is there.
            let _ = ctx.api.create(&controller_user(NAME), namespace, sa);
        }
        Ok(Action::AwaitChange)
    }
}
