//! `kubectl create token SERVICEACCOUNT`: a token from the ServiceAccount's TokenRequest API,
//! printed alone (`--audience`, `--duration`, `--bound-object-kind|name|uid`).

use k8s_openapi::api::authentication::v1::{BoundObjectReference, TokenRequestSpec};

use super::flags::{flag, parse, FlagSpec};
use crate::client::Client;

pub(super) const FLAGS: [FlagSpec; 6] = [
    flag("audience", None, true),
    flag("duration", None, true),
    flag("bound-object-kind", None, true),
    flag("bound-object-name", None, true),
    flag("bound-object-uid", None, true),
    flag("namespace", Some('n'), true),
];

/// The kinds a token may be bound to, and their API versions.
const BOUND_KINDS: &[(&str, &str)] = &[("Node", "v1"), ("Pod", "v1"), ("Secret", "v1")];

pub fn token(client: &mut dyn Client, args: &[&str]) -> Result<String, String> {
    let flags = parse(args, &FLAGS)?;
    let name = match flags.positional.as_slice() {
        [name] => name.clone(),
        more => {
            return Err(format!(
                "error: exactly one NAME is required, got {}\nSee 'kubectl create token -h' for help and examples",
                more.len()
            ))
        }
    };
    let namespace = flags.get("namespace").unwrap_or("default");
    let expiration = match flags.get("duration") {
        None => None,
        // Go reads a negative duration, which kubectl then refuses.
        Some(text) if text.starts_with('-') && crate::sim::parse_duration(&text[1..]).is_ok() => {
            return Err("error: --duration must be greater than or equal to 0".into())
        }
        Some(text) => {
            let d = crate::sim::parse_duration(text).map_err(|_| {
                format!("error: invalid argument \"{text}\" for \"--duration\" flag: time: invalid duration \"{text}\"")
            })?;
            if d < chrono::Duration::zero() {
                return Err("error: --duration must be greater than or equal to 0".into());
            }
            if d.subsec_nanos() != 0 {
                return Err("error: --duration cannot be expressed in units less than seconds".into());
            }
            // 0 leaves the lifetime to the server.
            (d.num_seconds() > 0).then_some(d.num_seconds())
        }
    };
    let bound = match (flags.get("bound-object-kind"), flags.get("bound-object-name")) {
        (None, None) if flags.get("bound-object-uid").is_none() => None,
        (None, Some(_)) => {
            return Err("error: --bound-object-name can only be set if --bound-object-kind is provided".into())
        }
        (None, None) => {
            return Err("error: --bound-object-uid can only be set if --bound-object-kind is provided".into())
        }
        (Some(kind), name) => {
            let Some((kind, version)) = BOUND_KINDS.iter().find(|(k, _)| *k == kind) else {
                let kinds: Vec<&str> = BOUND_KINDS.iter().map(|(k, _)| *k).collect();
                return Err(format!("error: supported --bound-object-kind values are {}", kinds.join(", ")));
            };
            let Some(name) = name else {
                return Err("error: --bound-object-name is required if --bound-object-kind is provided".into());
            };
            Some(BoundObjectReference {
                api_version: Some(version.to_string()),
                kind: Some(kind.to_string()),
                name: Some(name.to_string()),
                uid: flags.get("bound-object-uid").map(str::to_string),
            })
        }
    };
    let spec = TokenRequestSpec {
        audiences: flags.all("audience").to_vec(),
        expiration_seconds: expiration,
        bound_object_ref: bound,
    };
    let answer = client
        .create_token(namespace, &name, &spec)
        .map_err(|e| format!("error: failed to create token: {}", e.message))?;
    Ok(answer.body.status.map(|s| s.token).unwrap_or_default())
}
