//! The token subresource of ServiceAccounts (`POST serviceaccounts/NAME/token`, the
//! TokenRequest API): the token issuer signs a JWT for the account, bound to a pod (with its
//! node) when asked. `kubectl create token` and the kubelet's projected token volumes ask it.

use base64::Engine;
use k8s_openapi::api::authentication::v1::{TokenRequest, TokenRequestSpec, TokenRequestStatus};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::error::{quote, ApiError, FieldError, Reason};
use super::{k8s_time, ApiServer, RequestInfo, UserInfo};
use crate::model::Kind;
use crate::node::runtime::images::digest;

/// The issuer (`--service-account-issuer`) and default audience.
const ISSUER: &str = "https://kubernetes.default.svc.cluster.local";
/// What a request without `expirationSeconds` gets.
const DEFAULT_EXPIRATION: i64 = 3600;
/// The kubelet asks for this: its tokens carry a `warnafter` an hour in.
const KUBELET_EXPIRATION: i64 = 3607;

/// The claims of a service account token, in the order of their keys (as a JSON object with
/// sorted keys writes them).
#[derive(serde::Serialize)]
struct Claims<'a> {
    aud: Vec<&'a str>,
    exp: i64,
    iat: i64,
    iss: &'a str,
    jti: String,
    #[serde(rename = "kubernetes.io")]
    kubernetes_io: KubernetesClaims<'a>,
    nbf: i64,
    sub: String,
}

#[derive(serde::Serialize)]
struct KubernetesClaims<'a> {
    namespace: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    node: Option<NameUid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pod: Option<NameUid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    secret: Option<NameUid>,
    serviceaccount: NameUid,
    #[serde(skip_serializing_if = "Option::is_none")]
    warnafter: Option<i64>,
}

#[derive(serde::Serialize)]
struct NameUid {
    name: Option<String>,
    uid: Option<String>,
}

fn invalid(name: &str, field: FieldError) -> ApiError {
    ApiError {
        reason: Reason::Invalid,
        message: format!("TokenRequest.authentication.k8s.io {} is invalid: {field}", quote(name)),
        details_kind: "TokenRequest".into(),
        details_name: name.to_string(),
        causes: vec![field],
    }
}

impl ApiServer {
    /// A token for ServiceAccount `namespace/name`, as `spec` asks: its audiences (the issuer
    /// by default), its lifetime (an hour by default, at least ten minutes) and the pod it is
    /// bound to, if any.
    pub fn create_token(
        &mut self,
        user: impl Into<UserInfo>,
        namespace: &str,
        name: &str,
        spec: &TokenRequestSpec,
    ) -> Result<TokenRequest, ApiError> {
        let req = RequestInfo { verb: "create", info: Kind::ServiceAccount.info(), sub: "token", namespace, name };
        self.serve(user, req, |s, _| s.issue(namespace, name, spec))
    }

    fn issue(&mut self, namespace: &str, name: &str, spec: &TokenRequestSpec) -> Result<TokenRequest, ApiError> {
        let account = self
            .peek(Kind::ServiceAccount, namespace, name)
            .ok_or_else(|| ApiError::not_found(Kind::ServiceAccount.info(), name))?;
        let expiration = spec.expiration_seconds.unwrap_or(DEFAULT_EXPIRATION);
        if expiration < 600 {
            let field = FieldError::invalid(
                "spec.expirationSeconds",
                expiration.to_string(),
                "may not specify a duration less than 10 minutes",
            );
            return Err(invalid(name, field));
        }
        if expiration > 1 << 32 {
            let field = FieldError::invalid(
                "spec.expirationSeconds",
                expiration.to_string(),
                "may not specify a duration larger than 2^32 seconds",
            );
            return Err(invalid(name, field));
        }
        let (mut pod, mut node, mut secret) = (None, None, None);
        if let Some(bound) = &spec.bound_object_ref {
            let kind = match bound.kind.as_deref().unwrap_or("") {
                "Pod" => Kind::Pod,
                "Secret" => Kind::Secret,
                "Node" => Kind::Node,
                other => {
                    let field =
                        FieldError::not_supported("spec.boundObjectRef.kind", other, &["Node", "Pod", "Secret"]);
                    return Err(invalid(name, field));
                }
            };
            let bound_name = bound.name.as_deref().unwrap_or("");
            let ns = if kind == Kind::Node { "" } else { namespace };
            // The object must exist, with the uid given, if one is.
            let found = self
                .peek(kind, ns, bound_name)
                .filter(|o| bound.uid.is_none() || o.metadata().uid == bound.uid)
                .ok_or_else(|| ApiError::not_found(kind.info(), bound_name))?;
            let this = NameUid { name: Some(bound_name.to_string()), uid: found.metadata().uid.clone() };
            match &*found {
                crate::model::Object::Pod(p) => {
                    // A pod's token names its node too.
                    if let Some(n) = p.spec.as_ref().and_then(|s| s.node_name.clone()) {
                        let uid = self.peek(Kind::Node, "", &n).and_then(|o| o.metadata().uid.clone());
                        node = Some(NameUid { name: Some(n), uid: Some(uid.unwrap_or_default()) });
                    }
                    pod = Some(this);
                }
                crate::model::Object::Secret(_) => secret = Some(this),
                _ => node = Some(this),
            }
        }
        let iat = self.now.timestamp();
        // The token's id: the bound pod's and the moment, else the account's and the store's
        // revision, so the same run issues the same tokens.
        let jti = match &pod {
            Some(p) => digest(&format!("{}/{iat}", p.uid.as_deref().unwrap_or(""))),
            None => {
                digest(&format!("{}/{iat}/{}", account.metadata().uid.as_deref().unwrap_or(""), self.store.revision()))
            }
        };
        let audiences: Vec<&str> = match spec.audiences.as_slice() {
            [] => vec![ISSUER],
            some => some.iter().map(String::as_str).collect(),
        };
        let claims = Claims {
            aud: audiences,
            exp: iat + expiration,
            iat,
            iss: ISSUER,
            jti,
            kubernetes_io: KubernetesClaims {
                namespace,
                node,
                warnafter: (pod.is_some() && expiration == KUBELET_EXPIRATION).then_some(iat + 3600),
                pod,
                secret,
                serviceaccount: NameUid {
                    name: Some(name.to_string()),
                    uid: Some(account.metadata().uid.clone().unwrap_or_default()),
                },
            },
            nbf: iat,
            sub: format!("system:serviceaccount:{namespace}:{name}"),
        };
        let token = sign(&claims);
        let expires = self.now + chrono::Duration::seconds(expiration);
        Ok(TokenRequest {
            metadata: ObjectMeta {
                name: Some(name.to_string()),
                namespace: Some(namespace.to_string()),
                creation_timestamp: Some(k8s_time(self.now)),
                ..Default::default()
            },
            spec: TokenRequestSpec { expiration_seconds: Some(expiration), ..spec.clone() },
            status: Some(TokenRequestStatus { token, expiration_timestamp: k8s_time(expires) }),
        })
    }
}

/// The JWT: header, claims and a signature. An RS256 signature is 256 bytes; these are drawn
/// from a hash of the claims (splitmix64 seeded with it), not a real signature. Written into
/// one buffer: the kubelet asks for a token for every pod it starts.
fn sign(claims: &Claims<'_>) -> String {
    use std::hash::BuildHasher;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    static HEADER: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        let kid = &digest("kubesim-sa-key")[..43];
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{{\"alg\":\"RS256\",\"kid\":\"{kid}\"}}"))
    });
    let mut json = Vec::with_capacity(640);
    // Serializing plain structs into memory cannot fail.
    let _ = serde_json::to_writer(&mut json, claims);
    let mut token = String::with_capacity(HEADER.len() + json.len() * 4 / 3 + 348);
    token.push_str(&HEADER);
    token.push('.');
    b64.encode_string(&json, &mut token);
    let mut state = foldhash::quality::FixedState::with_seed(0).hash_one((HEADER.as_str(), &token[HEADER.len() + 1..]));
    let mut sig = [0u8; 256];
    for chunk in sig.chunks_exact_mut(8) {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        chunk.copy_from_slice(&(z ^ (z >> 31)).to_le_bytes());
    }
    token.push('.');
    b64.encode_string(sig, &mut token);
    token
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::decode::decode_one;
    use k8s_openapi::api::authentication::v1::BoundObjectReference;

    /// The claims of the token the server issues for `spec` to the default account.
    fn claims(api: &mut ApiServer, spec: TokenRequestSpec) -> Result<String, String> {
        let t = api.create_token("kubectl", "default", "default", &spec).map_err(|e| e.message)?;
        let token = t.status.map(|s| s.token).unwrap_or_default();
        let body = token.split('.').nth(1).unwrap_or_default();
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(body).map_err(|e| e.to_string())?;
        let v: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| e.to_string())?;
        // The ids are hashes: only their presence is checked.
        let mut v = v;
        v["jti"] = serde_json::Value::from(v["jti"].as_str().map(str::len));
        for who in ["serviceaccount", "pod", "node"] {
            if let Some(uid) = v.get_mut("kubernetes.io").and_then(|k| k.get_mut(who)).and_then(|w| w.get_mut("uid")) {
                *uid = serde_json::Value::from(uid.as_str().map(str::len));
            }
        }
        Ok(v.to_string())
    }

    #[test]
    fn tokens_carry_the_accounts_claims_and_their_binding() {
        let mut api = super::super::tests::server();
        let got = claims(&mut api, TokenRequestSpec::default()).unwrap();
        assert_eq!(
            got,
            r#"{"aud":["https://kubernetes.default.svc.cluster.local"],"exp":1735693200,"iat":1735689600,"iss":"https://kubernetes.default.svc.cluster.local","jti":64,"kubernetes.io":{"namespace":"default","serviceaccount":{"name":"default","uid":36}},"nbf":1735689600,"sub":"system:serviceaccount:default:default"}"#
        );
        let short = TokenRequestSpec { expiration_seconds: Some(300), ..Default::default() };
        assert_eq!(
            claims(&mut api, short).unwrap_err(),
            "TokenRequest.authentication.k8s.io \"default\" is invalid: spec.expirationSeconds: Invalid value: 300: may not specify a duration less than 10 minutes"
        );
        let pod = decode_one("apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec: {nodeName: n1, containers: [{name: c, image: nginx}]}").unwrap();
        api.create("kubectl", "default", pod).unwrap();
        let bound = |name: &str| TokenRequestSpec {
            audiences: vec!["vault".into()],
            expiration_seconds: Some(3607),
            bound_object_ref: Some(BoundObjectReference {
                kind: Some("Pod".into()),
                name: Some(name.into()),
                ..Default::default()
            }),
        };
        let got = claims(&mut api, bound("web")).unwrap();
        assert!(got.contains(r#""aud":["vault"],"exp":1735693207"#), "{got}");
        // The kubelet's lifetime: a warning an hour in. The node is named, even unknown here.
        assert!(got.contains(r#""node":{"name":"n1","uid":0},"pod":{"name":"web","uid":36}"#), "{got}");
        assert!(got.contains(r#""warnafter":1735693200"#), "{got}");
        assert_eq!(claims(&mut api, bound("gone")).unwrap_err(), "pods \"gone\" not found");
    }
}
