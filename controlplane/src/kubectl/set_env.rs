//! `kubectl set env RESOURCE/NAME KEY=VAL ... KEY- [-c CONTAINERS] [--from=configmap/x|secret/x
//! [--keys=a,b] [--prefix=P]] [--overwrite=false] [--list]`: environment variables of a pod
//! template's containers set, taken from a ConfigMap or Secret, removed, or listed.

use k8s_openapi::api::core::v1::{
    ConfigMapKeySelector, Container, EnvVar, EnvVarSource, ObjectFieldSelector, ResourceFieldSelector,
    SecretKeySelector,
};

use super::command::Input;
use super::flags::parse;
use super::resources::targets;
use super::set_image::{pod_spec, select_containers, select_objects, update_objects, Unchanged, FLAGS};
use crate::client::{Client, Response, Waiter};
use crate::model::validation::is_env_var_name;
use crate::model::Object;

pub fn run(
    client: &mut dyn Client,
    waiter: &mut dyn Waiter,
    args: &[&str],
    input: Input<'_>,
) -> Result<String, String> {
    let flags = parse(args, FLAGS)?;
    let (resources, env_args) = split_env(&flags.positional)?;
    if flags.is_set("list") && flags.get("output").is_some() {
        return Err("error: --list and --output may not be specified together".into());
    }
    if flags.get("keys").is_some() && flags.get("from").is_none() {
        return Err("error: when specifying --keys, a configmap or secret must be provided with --from".into());
    }
    let mut specs: Vec<String> = flags.all("env").to_vec();
    specs.extend(env_args.iter().cloned());
    let (mut env, remove) = parse_env(&specs)?;
    let mut warnings = Vec::new();
    if let Some(from) = flags.get("from") {
        let keys: Vec<&str> = flags.get("keys").map(|k| k.split(',').collect()).unwrap_or_default();
        env.extend(from_resource(client, &flags, from, &keys, &mut warnings)?);
    }
    if let Some(prefix) = flags.get("prefix") {
        for e in &mut env {
            e.name = format!("{prefix}{}", e.name);
        }
    }
    let pattern = flags.get("containers").unwrap_or("*").to_string();
    // `--overwrite` is on unless turned off.
    let overwrite = flags.get("overwrite") != Some("false");
    let change = |obj: &mut Object, warnings: &mut Vec<String>, listing: &mut String| {
        let (kind, name) = (obj.kind().info().name, obj.name().to_string());
        let spec = pod_spec(obj).ok_or_else(|| format!("error: {kind}/{name} has no pod template"))?;
        let containers = select_containers(spec, &pattern);
        if containers.is_empty() {
            warnings.push(format!("Warning: {kind}/{name} does not have any containers matching \"{pattern}\""));
        }
        for c in containers {
            if !overwrite {
                no_overwrites(c, &env)?;
            }
            let updated = update_env(c.env.take().unwrap_or_default(), &env, &remove);
            c.env = (!updated.is_empty()).then_some(updated);
            listing.push_str(&list_env(kind, &name, c));
        }
        Ok(())
    };
    let mut listing = String::new();
    if flags.is_set("list") {
        // The environment with the changes made, and nothing sent.
        let (objects, mut errors) = select_objects(client, &flags, input, &resources)?;
        for obj in objects {
            if let Err(e) = change(&mut (*obj).clone(), &mut warnings, &mut listing) {
                errors.push(e);
            }
        }
        let text = format!("{}{}", lines(&warnings), listing.trim_end_matches('\n'));
        return if errors.is_empty() { Ok(text) } else { Err(format!("{text}\n{}", errors.join("\n"))) };
    }
    let result = update_objects(client, waiter, &flags, input, &resources, "env updated", Unchanged::Silent, |obj| {
        change(obj, &mut warnings, &mut listing)
    });
    if result.as_ref().is_ok_and(|r| !r.is_empty()) && env.is_empty() && env_args.is_empty() {
        return Err("error: at least one environment variable must be provided".into());
    }
    let warned = lines(&warnings);
    match result {
        Ok(text) => Ok(format!("{warned}{text}")),
        Err(e) => Err(format!("{warned}{e}")),
    }
}

fn lines(warnings: &[String]) -> String {
    warnings.iter().map(|w| format!("{w}\n")).collect()
}

/// Resources come first, then `KEY=VALUE` and `KEY-` (kubectl's SplitEnvironmentFromResources).
fn split_env(args: &[String]) -> Result<(Vec<String>, Vec<String>), String> {
    let is_env = |s: &str| s.contains('=') || s.ends_with('-');
    let first_env = args.iter().position(|a| is_env(a)).unwrap_or(args.len());
    if args[first_env..].iter().any(|a| !is_env(a)) {
        return Err(format!("error: all resources must be specified before environment changes: {}", args.join(" ")));
    }
    Ok((args[..first_env].to_vec(), args[first_env..].to_vec()))
}

/// `KEY=VALUE` to set and `KEY-` to remove (kubectl's ParseEnv).
fn parse_env(specs: &[String]) -> Result<(Vec<EnvVar>, Vec<String>), String> {
    let (mut env, mut remove) = (Vec::new(), Vec::new());
    for spec in specs {
        if let Some((name, value)) = spec.split_once('=') {
            let errs = is_env_var_name(name);
            if !errs.is_empty() {
                return Err(format!("error: {name:?} is not a valid key name: {}", errs.join(";")));
            }
            env.push(EnvVar { name: name.to_string(), value: Some(value.to_string()), ..Default::default() });
        } else if spec == "-" {
            return Err("error: reading environment variables from standard input (-) is not available in kubesim; name them as KEY=VALUE".into());
        } else if let Some(name) = spec.strip_suffix('-') {
            remove.push(name.to_string());
        } else {
            return Err(format!("error: unknown environment variable: {spec}"));
        }
    }
    Ok((env, remove))
}

/// One variable per key of the ConfigMap or Secret `from` names (those in `keys`, when given),
/// referring to it; keys in name order.
fn from_resource(
    client: &mut dyn Client,
    flags: &super::flags::Parsed,
    from: &str,
    keys: &[&str],
    warnings: &mut Vec<String>,
) -> Result<Vec<EnvVar>, String> {
    let ns = flags.get("namespace").unwrap_or("default");
    let mut env = Vec::new();
    for (kind, name) in targets(&[from.to_string()])? {
        let Some(name) = name else { return Err("error: resource(s) were provided, but no name was specified".into()) };
        let obj = client.get(kind, ns, &name).map(Response::into_body).map_err(|e| e.kubectl_message())?;
        let data_keys: Vec<String> = match &*obj {
            Object::ConfigMap(c) => c.data.iter().flatten().map(|(k, _)| k.clone()).collect(),
            Object::Secret(s) => s.data.iter().flatten().map(|(k, _)| k.clone()).collect(),
            _ => return Err("error: unsupported resource specified in --from".into()),
        };
        for key in data_keys.into_iter().filter(|k| keys.is_empty() || keys.contains(&k.as_str())) {
            let env_name: String =
                key.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '_' }).collect();
            let env_name = env_name.to_uppercase();
            if env_name != key {
                warnings.push(format!("Warning: key {key} transferred to {env_name}"));
            }
            let source = match &*obj {
                Object::Secret(_) => EnvVarSource {
                    secret_key_ref: Some(SecretKeySelector { name: name.clone(), key, optional: None }),
                    ..Default::default()
                },
                _ => EnvVarSource {
                    config_map_key_ref: Some(ConfigMapKeySelector { name: name.clone(), key, optional: None }),
                    ..Default::default()
                },
            };
            env.push(EnvVar { name: env_name, value: None, value_from: Some(source) });
        }
    }
    Ok(env)
}

fn no_overwrites(c: &Container, env: &[EnvVar]) -> Result<(), String> {
    for e in env {
        if let Some(current) = c.env.iter().flatten().find(|x| x.name == e.name) {
            if current.value != e.value {
                let value = current.value.as_deref().unwrap_or_default();
                return Err(format!("'{}' already has a value ({value}), and --overwrite is false", current.name));
            }
        }
    }
    Ok(())
}

/// kubectl's updateEnv: existing variables in place (replaced when set again), removed ones
/// dropped, new ones after them.
fn update_env(existing: Vec<EnvVar>, env: &[EnvVar], remove: &[String]) -> Vec<EnvVar> {
    let mut covered: Vec<String> = remove.to_vec();
    let mut out = Vec::new();
    for e in existing {
        if covered.contains(&e.name) {
            continue;
        }
        match env.iter().rev().find(|n| n.name == e.name) {
            Some(newer) => {
                covered.push(e.name.clone());
                out.push(newer.clone());
            }
            None => out.push(e),
        }
    }
    for e in env {
        if !covered.contains(&e.name) {
            covered.push(e.name.clone());
            out.push(e.clone());
        }
    }
    out
}

/// `--list`: `# Deployment web, container nginx`, then `KEY=VALUE` or `# KEY from ...` lines.
fn list_env(kind: &str, name: &str, c: &Container) -> String {
    let mut out = format!("# {kind} {name}, container {}\n", c.name);
    for e in c.env.iter().flatten() {
        match &e.value_from {
            None => out.push_str(&format!("{}={}\n", e.name, e.value.as_deref().unwrap_or_default())),
            Some(from) => out.push_str(&format!("# {} from {}\n", e.name, ref_string(from))),
        }
    }
    out
}

/// kubectl's GetEnvVarRefString.
fn ref_string(from: &EnvVarSource) -> String {
    if let Some(r) = &from.config_map_key_ref {
        return format!("configmap {}, key {}", r.name, r.key);
    }
    if let Some(r) = &from.secret_key_ref {
        return format!("secret {}, key {}", r.name, r.key);
    }
    if let Some(ObjectFieldSelector { field_path, .. }) = &from.field_ref {
        return format!("field path {field_path}");
    }
    if let Some(ResourceFieldSelector { container_name, resource, .. }) = &from.resource_field_ref {
        let prefix = container_name.as_deref().filter(|c| !c.is_empty()).map(|c| format!("{c}/")).unwrap_or_default();
        return format!("resource field {prefix}{resource}");
    }
    "invalid valueFrom".to_string()
}
