//! Defaulting of pod specs, shared by pods and every pod template (core/v1 `SetDefaults_PodSpec`,
//! `SetDefaults_Container`, `SetDefaults_Probe`, the volume-source defaults and the declarative
//! `protocol: TCP`), plus the pod-only defaults of `SetDefaults_Pod`.

use k8s_openapi::api::core::v1::{
    Container, HTTPGetAction, ObjectFieldSelector, PodSecurityContext, PodSpec, PodTemplateSpec, Probe,
    ResourceRequirements, Volume,
};

/// Defaults of a pod template's spec (Deployments, Jobs, ...).
pub fn default_template(t: &mut PodTemplateSpec) {
    default_spec(t.spec.get_or_insert_with(Default::default));
}

/// `SetDefaults_PodSpec` and everything nested in a pod spec.
pub fn default_spec(spec: &mut PodSpec) {
    set(&mut spec.dns_policy, "ClusterFirst");
    set(&mut spec.restart_policy, "Always");
    spec.security_context.get_or_insert_with(PodSecurityContext::default);
    spec.termination_grace_period_seconds.get_or_insert(30);
    set(&mut spec.scheduler_name, "default-scheduler");
    for c in spec.containers.iter_mut().chain(spec.init_containers.iter_mut().flatten()) {
        default_container(c);
    }
    for v in spec.volumes.iter_mut().flatten() {
        default_volume(v);
    }
}

/// The defaults only a Pod (not a template) gets: `SetDefaults_Pod`, and the Priority admission
/// plugin's result when no priority class is named.
pub fn default_pod_only(spec: &mut PodSpec) {
    for c in spec.containers.iter_mut().chain(spec.init_containers.iter_mut().flatten()) {
        requests_from_limits(c);
    }
    spec.enable_service_links.get_or_insert(true);
    if spec.host_network == Some(true) {
        for c in spec.containers.iter_mut().chain(spec.init_containers.iter_mut().flatten()) {
            for p in c.ports.iter_mut().flatten() {
                if p.host_port.unwrap_or(0) == 0 {
                    p.host_port = Some(p.container_port);
                }
            }
        }
    }
    if spec.priority_class_name.as_deref().unwrap_or("").is_empty() {
        spec.priority.get_or_insert(0);
    }
    set(&mut spec.preemption_policy, "PreemptLowerPriority");
}

/// Requests default to limits for each resource that has a limit but no request.
pub fn requests_from_limits(c: &mut Container) {
    let Some(res) = c.resources.as_mut() else { return };
    let Some(limits) = res.limits.clone() else { return };
    let requests = res.requests.get_or_insert_with(Default::default);
    for (k, v) in limits {
        requests.entry(k).or_insert(v);
    }
}

fn set(field: &mut Option<String>, value: &str) {
    if field.as_deref().unwrap_or("").is_empty() {
        *field = Some(value.to_string());
    }
}

/// The pull policy upstream picks: `Always` for `:latest` or no tag, else `IfNotPresent`.
pub fn default_pull_policy(image: &str) -> &'static str {
    let (name, digest) = match image.split_once('@') {
        Some((n, _)) => (n, true),
        None => (image, false),
    };
    let last = name.rsplit('/').next().unwrap_or(name);
    let tag = last.split_once(':').map(|(_, t)| t);
    // A reference that does not parse (empty, upper case in the repository path) yields no tag.
    let path = match name.split_once('/') {
        Some((host, rest)) if host.contains(['.', ':']) || host == "localhost" => rest,
        _ => name,
    };
    let parses = !name.is_empty() && !path.split(':').next().unwrap_or("").chars().any(|c| c.is_ascii_uppercase());
    match tag {
        Some("latest") => "Always",
        None if !digest && parses => "Always",
        _ => "IfNotPresent",
    }
}

fn default_container(c: &mut Container) {
    if c.image_pull_policy.as_deref().unwrap_or("").is_empty() {
        c.image_pull_policy = Some(default_pull_policy(c.image.as_deref().unwrap_or("")).to_string());
    }
    set(&mut c.termination_message_path, "/dev/termination-log");
    set(&mut c.termination_message_policy, "File");
    c.resources.get_or_insert_with(ResourceRequirements::default);
    for p in c.ports.iter_mut().flatten() {
        set(&mut p.protocol, "TCP");
    }
    for probe in [&mut c.liveness_probe, &mut c.readiness_probe, &mut c.startup_probe].into_iter().flatten() {
        default_probe(probe);
    }
    if let Some(l) = c.lifecycle.as_mut() {
        for h in [&mut l.post_start, &mut l.pre_stop].into_iter().flatten() {
            if let Some(g) = h.http_get.as_mut() {
                default_http_get(g);
            }
        }
    }
    for e in c.env.iter_mut().flatten() {
        if let Some(f) = e.value_from.as_mut().and_then(|v| v.field_ref.as_mut()) {
            default_field_selector(f);
        }
    }
}

fn default_probe(p: &mut Probe) {
    p.timeout_seconds.get_or_insert(1);
    p.period_seconds.get_or_insert(10);
    p.success_threshold.get_or_insert(1);
    p.failure_threshold.get_or_insert(3);
    if let Some(g) = p.http_get.as_mut() {
        default_http_get(g);
    }
}

fn default_http_get(g: &mut HTTPGetAction) {
    set(&mut g.path, "/");
    set(&mut g.scheme, "HTTP");
}

fn default_field_selector(f: &mut ObjectFieldSelector) {
    set(&mut f.api_version, "v1");
}

/// Mode 0644, the default of secret, configMap, downwardAPI and projected volumes.
const DEFAULT_MODE: i32 = 0o644;

fn default_volume(v: &mut Volume) {
    let mut bare = v.clone();
    bare.name = String::new();
    if bare == Volume::default() {
        v.empty_dir = Some(Default::default());
    }
    if let Some(s) = v.secret.as_mut() {
        s.default_mode.get_or_insert(DEFAULT_MODE);
    }
    if let Some(s) = v.config_map.as_mut() {
        s.default_mode.get_or_insert(DEFAULT_MODE);
    }
    if let Some(s) = v.downward_api.as_mut() {
        s.default_mode.get_or_insert(DEFAULT_MODE);
        for item in s.items.iter_mut().flatten() {
            if let Some(f) = item.field_ref.as_mut() {
                default_field_selector(f);
            }
        }
    }
    if let Some(s) = v.projected.as_mut() {
        s.default_mode.get_or_insert(DEFAULT_MODE);
        for src in s.sources.iter_mut().flatten() {
            if let Some(t) = src.service_account_token.as_mut() {
                t.expiration_seconds.get_or_insert(3600);
            }
            for item in src.downward_api.iter_mut().flat_map(|d| d.items.iter_mut().flatten()) {
                if let Some(f) = item.field_ref.as_mut() {
                    default_field_selector(f);
                }
            }
        }
    }
    if let Some(h) = v.host_path.as_mut() {
        h.type_.get_or_insert_with(String::new);
    }
}

#[cfg(test)]
mod tests {
    use super::default_pull_policy;

    #[test]
    fn pull_policy_from_tag() {
        for (image, want) in [
            ("nginx", "Always"),
            ("nginx:latest", "Always"),
            ("nginx:1.25", "IfNotPresent"),
            ("localhost:5000/nginx", "Always"),
            ("registry.k8s.io/pause:3.9", "IfNotPresent"),
            ("nginx@sha256:abcd", "IfNotPresent"),
            ("", "IfNotPresent"),
        ] {
            assert_eq!(default_pull_policy(image), want, "{image}");
        }
    }
}
