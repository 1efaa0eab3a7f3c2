//! `kubectl config`: the kubeconfig's contexts, and the namespace each makes the default
//! (`config set-context --current --namespace=dev`). kind's kubeconfig has one cluster and one
//! user, `kind-kind`; contexts over them can be added and switched between.

use serde_json::{json, Value};

use super::flags::{flag, parse, FlagSpec};
use super::printers::yaml::{to_json, to_yaml};
use super::tabwriter::TabWriter;
use crate::client::kubeconfig::{Context, Kubeconfig, KIND};
use crate::client::Client;

pub(super) const FLAGS: &[FlagSpec] = &[
    flag("current", None, false),
    flag("namespace", Some('n'), true),
    flag("cluster", None, true),
    flag("user", None, true),
    flag("minify", None, false),
    flag("raw", None, false),
    flag("output", Some('o'), true),
];

/// `kubectl config get-contexts`' table: `printers.GetNewTabWriter` (minwidth 10, padding 3).
const CONTEXTS: TabWriter = TabWriter { min_width: 10, padding: 3 };

pub fn run(client: &mut dyn Client, args: &[&str]) -> Result<String, String> {
    let Some((sub, rest)) = args.split_first() else {
        return Err("error: a subcommand is required: current-context, get-contexts, get-clusters, get-users, set-context, use-context, view".into());
    };
    let flags = parse(rest, FLAGS)?;
    let mut config = client.kubeconfig();
    match *sub {
        "current-context" => Ok(config.current.clone()),
        "get-contexts" => {
            let mut rows = vec![vec!["CURRENT", "NAME", "CLUSTER", "AUTHINFO", "NAMESPACE"].into_iter().map(String::from).collect::<Vec<_>>()];
            let names: Vec<&String> = match flags.positional.first() {
                Some(n) if config.contexts.contains_key(n) => vec![n],
                Some(n) => return Err(format!("error: context {n} not found")),
                None => config.contexts.keys().collect(),
            };
            for name in names {
                let c = &config.contexts[name];
                let current = if *name == config.current { "*" } else { "" };
                rows.push(vec![current.into(), name.clone(), c.cluster.clone(), c.user.clone(), c.namespace.clone().unwrap_or_default()]);
            }
            Ok(CONTEXTS.align(&rows, false))
        }
        "get-clusters" | "get-users" => Ok(format!("NAME\n{KIND}")),
        "use-context" => {
            let Some(name) = flags.positional.first() else {
                return Err("error: Unexpected args: []".into());
            };
            if !config.contexts.contains_key(name) {
                return Err(format!("error: no context exists with the name: {name:?}"));
            }
            config.current = name.clone();
            client.set_kubeconfig(config);
            Ok(format!("Switched to context {name:?}."))
        }
        "set-context" => {
            let name = match (flags.get("current").is_some(), flags.positional.first()) {
                (true, None) => config.current.clone(),
                (false, Some(n)) => n.clone(),
                (true, Some(_)) => return Err("error: you cannot specify a context name and --current".into()),
                (false, None) => return Err("error: you must specify a non-empty context name or --current".into()),
            };
            for (flag, value) in [("cluster", flags.get("cluster")), ("user", flags.get("user"))] {
                if let Some(v) = value.filter(|v| *v != KIND) {
                    return Err(format!("error: kubesim's kubeconfig has one cluster and one user, {KIND:?}, not the {flag} {v:?}"));
                }
            }
            let created = !config.contexts.contains_key(&name);
            let c = config.contexts.entry(name.clone()).or_insert_with(|| Context {
                cluster: KIND.into(),
                user: KIND.into(),
                namespace: None,
            });
            if let Some(ns) = flags.get("namespace") {
                c.namespace = (!ns.is_empty()).then(|| ns.to_string());
            }
            client.set_kubeconfig(config);
            Ok(format!("Context {name:?} {}.", if created { "created" } else { "modified" }))
        }
        "view" => view(&config, flags.get("minify").is_some(), flags.get("raw").is_some(), flags.get("output")),
        other => Err(format!(
            "error: \"kubectl config {other}\" is not available in kubesim (current-context, get-contexts, get-clusters, get-users, set-context, use-context, view)"
        )),
    }
}

/// The kubeconfig as `config view` prints it, certificates as `DATA+OMITTED`: kubesim's
/// in-process cluster has no certificates for `--raw` to show.
fn view(config: &Kubeconfig, minify: bool, raw: bool, output: Option<&str>) -> Result<String, String> {
    if raw {
        return Err("error: kubesim's cluster runs in this process and has no certificates for \"config view --raw\" to show; \"config view\" shows the rest".into());
    }
    let data = "DATA+OMITTED";
    let contexts: Vec<Value> = config
        .contexts
        .iter()
        .filter(|(name, _)| !minify || **name == config.current)
        .map(|(name, c)| {
            let mut context = json!({"cluster": c.cluster, "user": c.user});
            if let Some(ns) = &c.namespace {
                context["namespace"] = json!(ns);
            }
            json!({"context": context, "name": name})
        })
        .collect();
    let doc = json!({
        "apiVersion": "v1",
        "clusters": [{"cluster": {"certificate-authority-data": data, "server": "https://127.0.0.1:6443"}, "name": KIND}],
        "contexts": contexts,
        "current-context": config.current,
        "kind": "Config",
        "preferences": {},
        "users": [{"name": KIND, "user": {"client-certificate-data": data, "client-key-data": data}}],
    });
    match output {
        None | Some("yaml") => Ok(to_yaml(&doc).trim_end().to_string()),
        Some("json") => Ok(to_json(&doc).trim_end().to_string()),
        Some(o) if o.starts_with("jsonpath=") => super::jsonpath::print(&o["jsonpath=".len()..], &doc, false, false),
        Some(o) => Err(format!("error: unable to match a printer suitable for the output format {o:?}, allowed formats are: json,jsonpath,yaml")),
    }
}
