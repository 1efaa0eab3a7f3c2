//! DefaultBinder: binds the pod to the chosen node through the `pods/binding` subresource.

use crate::apiserver::{ApiError, ApiServer};
use crate::scheduler::framework::PodInfo;

pub const NAME: &str = "DefaultBinder";

pub fn bind(api: &mut ApiServer, user: &str, pod: &PodInfo, node: &str) -> Result<(), ApiError> {
    api.bind(user, &pod.namespace, &pod.name, node).map(|_| ())
}
