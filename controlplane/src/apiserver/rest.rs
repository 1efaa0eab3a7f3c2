//! The API's REST paths, for clients that speak HTTP: a program in a container calling the
//! API server with its ServiceAccount's credentials (`rest.InClusterConfig`). `GET` reads one
//! object, `POST` creates, `PUT` replaces; bodies and answers are JSON, errors a
//! `metav1.Status`. Only what in-cluster programs here need; lists and watches are not served.

use super::error::{ApiError, Reason};
use super::{ApiServer, UserInfo};
use crate::model::{decode, KindInfo, KINDS};

/// A request's answer: the HTTP status and the JSON body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    pub body: String,
}

/// What a path names: the kind, the namespace and the object's name (none for a collection).
fn route(path: &str) -> Option<(&'static KindInfo, String, Option<String>)> {
    let path = path.split('?').next().unwrap_or(path);
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let (group, version, rest) = match parts.as_slice() {
        ["api", version, rest @ ..] => ("", *version, rest),
        ["apis", group, version, rest @ ..] => (*group, *version, rest),
        _ => return None,
    };
    let (namespace, rest) = match rest {
        ["namespaces", ns, plural, rest @ ..] => (ns.to_string(), [&[*plural][..], rest].concat()),
        _ => (String::new(), rest.to_vec()),
    };
    let (plural, name) = match rest.as_slice() {
        [plural] => (*plural, None),
        [plural, name] => (*plural, Some(name.to_string())),
        _ => return None,
    };
    let info = KINDS.iter().find(|k| {
        k.group == group && k.plural == plural && (k.version == version || k.other_versions.contains(&version))
    })?;
    if info.namespaced == namespace.is_empty() {
        return None;
    }
    Some((info, namespace, name))
}

fn status(e: &ApiError) -> Answer {
    let body = serde_json::json!({
        "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": e.message, "reason": e.reason.as_str(), "code": e.reason.code(),
    });
    Answer { status: e.reason.code(), body: body.to_string() }
}

impl ApiServer {
    /// Serve one HTTP request from `user`.
    pub fn rest(&mut self, user: &UserInfo, method: &str, path: &str, body: Option<&str>) -> Answer {
        let Some((info, namespace, name)) = route(path) else {
            return status(&ApiError::new(Reason::NotFound, "the server could not find the requested resource"));
        };
        let object = || -> Result<crate::model::Object, ApiError> {
            let value: serde_json::Value = serde_json::from_str(body.unwrap_or(""))
                .map_err(|e| ApiError::bad_request(format!("the body of the request was in an unknown format: {e}")))?;
            decode::decode(value).map_err(|e| ApiError::bad_request(e.to_string()))
        };
        let result = match (method, name) {
            ("GET", Some(name)) => self.get(user, info.kind, &namespace, &name).map(|o| (200, o)),
            ("POST", None) => object().and_then(|o| self.create(user, &namespace, o)).map(|o| (201, o)),
            ("PUT", Some(_)) => object().and_then(|o| self.update(user, o)).map(|o| (200, o)),
            _ => Err(ApiError::new(
                Reason::MethodNotAllowed,
                "the server does not allow this method on the requested resource",
            )),
        };
        match result {
            Ok((code, obj)) => Answer { status: code, body: obj.to_value().to_string() },
            Err(e) => status(&e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Kind;

    #[test]
    fn routes() {
        let r = route("/api/v1/namespaces/ingress-nginx/secrets/x").unwrap();
        assert_eq!((r.0.kind, r.1.as_str(), r.2.as_deref()), (Kind::Secret, "ingress-nginx", Some("x")));
        let r = route("/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/w").unwrap();
        assert_eq!((r.0.kind, r.1.as_str(), r.2.as_deref()), (Kind::ValidatingWebhookConfiguration, "", Some("w")));
        assert!(route("/api/v1/secrets/x").is_none());
        assert!(route("/apis/nope/v1/things").is_none());
    }

    #[test]
    fn create_and_get() {
        let mut api = ApiServer::new(0, crate::sim::epoch());
        let user = UserInfo::authenticated("system:serviceaccount:default:robot");
        let ns = r#"{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"default"}}"#;
        assert_eq!(api.rest(&user, "POST", "/api/v1/namespaces", Some(ns)).status, 201);
        let missing = api.rest(&user, "GET", "/api/v1/namespaces/default/secrets/s", None);
        assert_eq!(missing.status, 404);
        assert!(missing.body.contains(r#""message":"secrets \"s\" not found""#), "{}", missing.body);
        let secret = r#"{"apiVersion":"v1","kind":"Secret","metadata":{"name":"s"},"data":{"ca":"Q0E="}}"#;
        assert_eq!(api.rest(&user, "POST", "/api/v1/namespaces/default/secrets", Some(secret)).status, 201);
        let got = api.rest(&user, "GET", "/api/v1/namespaces/default/secrets/s", None);
        assert_eq!(got.status, 200);
        assert!(got.body.contains(r#""ca":"Q0E=""#), "{}", got.body);
    }
}
