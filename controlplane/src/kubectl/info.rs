//! `kubectl api-resources`, `version` and `cluster-info`.

use super::flags::{flag, parse, FlagSpec};
use super::printers::Table;
use crate::model::{KindInfo, KINDS};
use crate::sim::bootstrap::KUBERNETES_VERSION;

/// The kubectl whose output kubesim reproduces.
pub const KUBECTL_VERSION: &str = "v1.32.4";

/// API groups in the order the API server's discovery lists them (core first).
const GROUP_ORDER: &[&str] = &[
    "",
    "apps",
    "events.k8s.io",
    "autoscaling",
    "batch",
    "networking.k8s.io",
    "policy",
    "rbac.authorization.k8s.io",
    "storage.k8s.io",
    "admissionregistration.k8s.io",
    "scheduling.k8s.io",
    "coordination.k8s.io",
    "discovery.k8s.io",
];

pub(super) const API_RESOURCES_FLAGS: &[FlagSpec] = &[
    flag("namespaced", None, true),
    flag("api-group", None, true),
    flag("output", Some('o'), true),
    flag("no-headers", None, false),
    flag("sort-by", None, true),
];

pub(super) const VERSION_FLAGS: &[FlagSpec] = &[flag("client", None, false), flag("output", Some('o'), true)];

pub fn api_resources(args: &[&str]) -> Result<String, String> {
    let flags = parse(args, API_RESOURCES_FLAGS)?;
    let mut kinds: Vec<&KindInfo> = KINDS.iter().collect();
    kinds.sort_by_key(|k| (GROUP_ORDER.iter().position(|g| *g == k.group).unwrap_or(usize::MAX), k.plural));
    if let Some(n) = flags.get("namespaced") {
        let want = n != "false";
        kinds.retain(|k| k.namespaced == want);
    }
    if let Some(g) = flags.get("api-group") {
        kinds.retain(|k| k.group == g);
    }
    match flags.get("sort-by") {
        Some("name") => kinds.sort_by_key(|k| k.plural),
        Some("kind") => kinds.sort_by_key(|k| k.name),
        Some(other) => return Err(format!("error: --sort-by accepts only name or kind, got {other:?}")),
        None => {}
    }
    if flags.get("output") == Some("name") {
        return Ok(kinds
            .iter()
            .map(|k| if k.group.is_empty() { k.plural.to_string() } else { format!("{}.{}", k.plural, k.group) })
            .collect::<Vec<_>>()
            .join("\n"));
    }
    let wide = flags.get("output") == Some("wide");
    let mut headers: Vec<String> =
        ["NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND"].map(String::from).to_vec();
    if wide {
        headers.push("VERBS".into());
    }
    let rows = kinds
        .iter()
        .map(|k| {
            let mut row = vec![
                k.plural.to_string(),
                k.short_names.join(","),
                k.api_version(),
                k.namespaced.to_string(),
                k.name.to_string(),
            ];
            if wide {
                row.push("[create delete deletecollection get list patch update watch]".into());
            }
            row
        })
        .collect();
    let table = Table { headers: if flags.is_set("no-headers") { Vec::new() } else { headers }, rows };
    Ok(table.render())
}

/// `kubectl api-versions`: every group/version the API server serves, sorted as kubectl sorts
/// them (each kind's version and the older ones it still serves, as autoscaling/v1).
pub fn api_versions(args: &[&str]) -> Result<String, String> {
    if let Some(extra) = args.first() {
        return Err(format!(
            "error: unexpected arguments: [{extra}]\nSee 'kubectl api-versions -h' for help and examples"
        ));
    }
    let mut versions: Vec<String> = KINDS
        .iter()
        .flat_map(|k| std::iter::once(k.version).chain(k.other_versions.iter().copied()).map(move |v| (k.group, v)))
        .map(|(group, version)| if group.is_empty() { version.to_string() } else { format!("{group}/{version}") })
        .collect();
    versions.sort();
    versions.dedup();
    Ok(versions.join("\n"))
}

pub fn version(args: &[&str]) -> Result<String, String> {
    let flags = parse(args, VERSION_FLAGS)?;
    let client = format!("Client Version: {KUBECTL_VERSION}\nKustomize Version: v5.5.0");
    Ok(if flags.is_set("client") { client } else { format!("{client}\nServer Version: {KUBERNETES_VERSION}") })
}

pub fn cluster_info(args: &[&str]) -> Result<String, String> {
    if args.first() == Some(&"dump") {
        return Err("error: \"kubectl cluster-info dump\" is not available in kubesim yet".into());
    }
    Ok("Kubernetes control plane is running at https://127.0.0.1:6443\nCoreDNS is running at https://127.0.0.1:6443/api/v1/namespaces/kube-system/services/kube-dns:dns/proxy\n\nTo further debug and diagnose cluster problems, use 'kubectl cluster-info dump'.".into())
}
