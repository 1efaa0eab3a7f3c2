//! The handler chain every request passes, in kube-apiserver's order
//! (`DefaultBuildHandlerChain`): authentication (the request's user), audit (the record opened
//! now, written when the response is), authorization, then the verb's handler, which runs
//! admission, validation and storage (`genericregistry.rs`).

use super::audit::AuditEvent;
use super::authorization::{self, Attributes};
use super::error::ApiError;
use super::user::UserInfo;
use super::ApiServer;
use crate::model::{Kind, KindInfo};

/// What a request asks for (`request.RequestInfo`): the verb, the resource and subresource,
/// and the object's namespace and name (empty for lists and cluster-scoped kinds).
#[derive(Debug, Clone, Copy)]
pub struct RequestInfo<'a> {
    pub verb: &'static str,
    pub info: &'static KindInfo,
    pub sub: &'static str,
    pub namespace: &'a str,
    pub name: &'a str,
}

impl ApiServer {
    /// Serve one request: authenticate `user`, open its audit record, authorize it, run
    /// `handler`, and write the record with the response's code. The handler may complete the
    /// record (a create's generated name). A refused request reaches no handler.
    pub(super) fn serve<T>(
        &mut self,
        user: impl Into<UserInfo>,
        request: RequestInfo<'_>,
        handler: impl FnOnce(&mut Self, &mut AuditEvent<'_>) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        let user = user.into();
        let mut event = AuditEvent::open(self.now, &user, &request);
        let result = authorization::authorize(&*self.authorizer, &Attributes { user: &user, request: &request })
            .and_then(|()| handler(self, &mut event));
        let code = match &result {
            Ok(_) if request.verb == "create" => 201,
            Ok(_) => 200,
            Err(e) => e.reason.code(),
        };
        if self.audit_enabled {
            self.audit.push(event.complete(code, self.store.revision()));
        }
        if let Some(warning) = deprecation_warning(request.info.kind) {
            self.warnings.push(warning.to_string());
        }
        result
    }
}

/// The warning every request to a deprecated API version gets (the `deprecation` filter's
/// `Warning` header), as kube-apiserver v1.33 sends it.
fn deprecation_warning(kind: Kind) -> Option<&'static str> {
    match kind {
        Kind::Endpoints => Some("v1 Endpoints is deprecated in v1.33+; use discovery.k8s.io/v1 EndpointSlice"),
        _ => None,
    }
}
