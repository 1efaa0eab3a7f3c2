//! Authorization, as k8s.io/apiserver's `authorizer.Authorizer`: after authentication and
//! before admission, each request is allowed or refused by who asks (name and groups) and what
//! for (verb, resource, subresource, namespace, name). A refused request is answered 403 and
//! changes nothing. kube-apiserver runs its authorizers in turn until one decides; a request
//! no authorizer allows is refused.

use super::error::{quote, ApiError};
use super::handler::RequestInfo;
use super::user::UserInfo;

/// An authorizer's answer (`authorizer.Decision`), with its reason for the error message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Allow,
    Deny(String),
    /// Neither: the next authorizer decides.
    NoOpinion(String),
}

/// What an authorizer sees of a request (`authorizer.Attributes`).
pub struct Attributes<'a> {
    pub user: &'a UserInfo,
    pub request: &'a RequestInfo<'a>,
}

impl Attributes<'_> {
    pub fn verb(&self) -> &str {
        self.request.verb
    }
    pub fn api_group(&self) -> &str {
        self.request.info.group
    }
    pub fn resource(&self) -> &str {
        self.request.info.plural
    }
    pub fn subresource(&self) -> &str {
        self.request.sub
    }
    pub fn namespace(&self) -> &str {
        self.request.namespace
    }
    pub fn name(&self) -> &str {
        self.request.name
    }
}

pub trait Authorizer {
    fn authorize(&self, attrs: &Attributes<'_>) -> Decision;
}

/// Allows every request (`--authorization-mode=AlwaysAllow`).
#[derive(Debug, Clone, Copy, Default)]
pub struct AlwaysAllow;

impl Authorizer for AlwaysAllow {
    fn authorize(&self, _attrs: &Attributes<'_>) -> Decision {
        Decision::Allow
    }
}

/// Run the request past `authorizer`: Ok to go on, or the Forbidden error kube-apiserver
/// answers with (`responsewriters.forbiddenMessage`).
pub fn authorize(authorizer: &dyn Authorizer, attrs: &Attributes<'_>) -> Result<(), ApiError> {
    let reason = match authorizer.authorize(attrs) {
        Decision::Allow => return Ok(()),
        Decision::Deny(reason) | Decision::NoOpinion(reason) => reason,
    };
    let mut resource = attrs.resource().to_string();
    if !attrs.subresource().is_empty() {
        resource = format!("{resource}/{}", attrs.subresource());
    }
    let scope = match attrs.namespace() {
        "" => "at the cluster scope".to_string(),
        ns => format!("in the namespace {}", quote(ns)),
    };
    let mut why = format!(
        "User {} cannot {} resource {} in API group {} {scope}",
        quote(&attrs.user.name),
        attrs.verb(),
        quote(&resource),
        quote(attrs.api_group())
    );
    if !reason.is_empty() {
        why = format!("{why}: {reason}");
    }
    Err(ApiError::forbidden(attrs.request.info, attrs.name(), why))
}
