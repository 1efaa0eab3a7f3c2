//! `kubectl create -f FILE` and the generators: `create deployment|namespace|serviceaccount|configmap|
//! secret generic|secret tls|service clusterip|service nodeport|service loadbalancer|job|cronjob`
//! (and `create token`, in `create_token.rs`).

use serde_json::{json, Map, Value};

use super::command::Input;
use super::flags::{flag, parse, FlagSpec, Parsed};
use super::resources::{finish, settled, DryRun};
use super::warnings::heard;
use crate::client::{Client, Response, Waiter};
use crate::fileaccess::FileAccess;
use crate::model::{decode, Object};

/// Every flag of `create` and its generators, for completion.
pub(super) const FLAGS: &[FlagSpec] = &[
    COMMON[0],
    COMMON[1],
    COMMON[2],
    COMMON[3],
    flag("image", None, true),
    flag("replicas", Some('r'), true),
    flag("port", None, true),
    DATA_FLAGS[0],
    DATA_FLAGS[1],
    DATA_FLAGS[2],
    flag("type", None, true),
    flag("tcp", None, true),
    flag("clusterip", None, true),
    flag("node-port", None, true),
    flag("schedule", None, true),
    flag("restart", None, true).with_values(&["Always", "Never", "OnFailure"]),
    flag("from", None, true),
    flag("recursive", Some('R'), false),
    flag("cert", None, true),
    flag("key", None, true),
    super::create_token::FLAGS[0],
    super::create_token::FLAGS[1],
    super::create_token::FLAGS[2],
    super::create_token::FLAGS[3],
    super::create_token::FLAGS[4],
];

const COMMON: [FlagSpec; 4] = [
    flag("namespace", Some('n'), true),
    flag("dry-run", None, true),
    flag("output", Some('o'), true),
    flag("filename", Some('f'), true),
];

pub fn run(
    client: &mut dyn Client,
    waiter: &mut dyn Waiter,
    args: &[&str],
    input: Input<'_>,
) -> Result<String, String> {
    let (generator, rest) = match args.split_first() {
        Some((g, rest)) if !g.starts_with('-') => (*g, rest),
        _ => return from_files(client, waiter, args, input),
    };
    match generator {
        "deployment" | "deploy" => deployment(client, waiter, rest),
        "namespace" | "ns" => namespace(client, waiter, rest),
        "serviceaccount" | "sa" => service_account(client, waiter, rest),
        "configmap" | "cm" => configmap(client, waiter, rest, input.files),
        "secret" => match rest.split_first() {
            Some((&"generic", rest)) => secret(client, waiter, rest, input.files),
            Some((&"tls", rest)) => secret_tls(client, waiter, rest, input.files),
            Some((other, _)) => Err(format!(
                "error: \"kubectl create secret {other}\" is not available in kubesim yet (only generic and tls)"
            )),
            None => Err("error: must specify one of generic, docker-registry or tls".into()),
        },
        "service" | "svc" => match rest.split_first() {
            Some((&"clusterip", rest)) => service(client, waiter, rest, "ClusterIP"),
            Some((&"nodeport", rest)) => service(client, waiter, rest, "NodePort"),
            Some((&"loadbalancer", rest)) => service(client, waiter, rest, "LoadBalancer"),
            Some((other, _)) => Err(format!(
                "error: \"kubectl create service {other}\" is not available in kubesim yet (clusterip, nodeport, loadbalancer)"
            )),
            None => Err("error: must specify a service type: clusterip, nodeport, loadbalancer".into()),
        },
        "job" => job(client, waiter, rest),
        "cronjob" | "cj" => cronjob(client, waiter, rest),
        "token" => super::create_token::token(client, rest),
        other => Err(format!("error: unknown command \"{other}\" for \"kubectl create\"")),
    }
}

fn from_files(
    client: &mut dyn Client,
    waiter: &mut dyn Waiter,
    args: &[&str],
    input: Input<'_>,
) -> Result<String, String> {
    let flags = parse(args, &[COMMON[0], COMMON[1], COMMON[3], flag("recursive", Some('R'), false)])?;
    if flags.all("filename").is_empty() {
        return Err("error: must specify one of -f and -k".into());
    }
    let namespace = flags.get("namespace").unwrap_or("default").to_string();
    let dry_run = super::resources::dry_run(&flags, client)?;
    let (mut lines, mut errors) = (Vec::new(), Vec::new());
    for (source, doc) in super::files::documents(&flags, input, Some("creating"))? {
        match doc.and_then(|doc| create_doc(client, doc, &source, &namespace, dry_run)) {
            Ok(line) => lines.push(line),
            Err(e) => errors.push(e),
        }
        if let Err(e) = waiter.settle() {
            errors.push(format!("error: {e}"));
        }
    }
    finish(lines, errors)
}

fn create_doc(
    client: &mut dyn Client,
    doc: Value,
    source: &str,
    namespace: &str,
    dry_run: DryRun,
) -> Result<String, String> {
    let obj = decode(doc).map_err(|e| format!("error: error validating {source:?}: {e}"))?;
    if dry_run == DryRun::Client {
        return Ok(format!("{} created (dry run)", obj.type_name()));
    }
    let ns = if obj.info().namespaced && !obj.namespace().is_empty() {
        obj.namespace().to_string()
    } else {
        namespace.to_string()
    };
    let created = client
        .create(&ns, obj)
        .map_err(|e| e.kubectl_message_with_source(Some(&format!("error when creating {source:?}: "))))?;
    Ok(heard(client, format!("{} created{}", created.body.type_name(), dry_run.suffix())))
}

fn flags_with(args: &[&str], extra: &[FlagSpec]) -> Result<Parsed, String> {
    let mut specs: Vec<FlagSpec> = COMMON.to_vec();
    specs.extend_from_slice(extra);
    parse(args, &specs)
}

/// The one NAME argument of a generator.
fn name_arg(flags: &Parsed, what: &str) -> Result<String, String> {
    match flags.positional.as_slice() {
        [name] => Ok(name.clone()),
        [] => Err(format!(
            "error: exactly one NAME is required, got 0\nSee 'kubectl create {what} -h' for help and examples"
        )),
        more => Err(format!(
            "error: exactly one NAME is required, got {}\nSee 'kubectl create {what} -h' for help and examples",
            more.len()
        )),
    }
}

/// Create the generated object (with `--dry-run=server` checked by the API server and not
/// stored), or with `--dry-run=client` only print it (`-o yaml|json|name`).
pub fn submit(
    client: &mut dyn Client,
    waiter: &mut dyn Waiter,
    flags: &Parsed,
    doc: Value,
    verb: &str,
) -> Result<String, String> {
    let namespace = flags.get("namespace").unwrap_or("default").to_string();
    // The server answers in the version it was sent.
    let api_version = doc["apiVersion"].as_str().unwrap_or_default().to_string();
    let mut obj: Object = decode(doc).map_err(|e| format!("error: {e}"))?;
    let dry_run = super::resources::dry_run(flags, client)?;
    if dry_run == DryRun::Client {
        if obj.info().namespaced && flags.get("namespace").is_some() {
            obj.metadata_mut().namespace = Some(namespace.clone());
        }
        return print_object_as(
            &obj,
            flags.get("output"),
            &format!("{} {verb} (dry run)", obj.type_name()),
            &api_version,
        );
    }
    let created = client.create(&namespace, obj).map_err(|e| e.kubectl_message())?;
    let line = format!("{} {verb}{}", created.body.type_name(), dry_run.suffix());
    let line = print_object_as(&created.body, flags.get("output"), &line, &api_version)?;
    let line = heard(client, line);
    settled(waiter, Ok(line))
}

pub(super) fn print_object(obj: &Object, output: Option<&str>, line: &str) -> Result<String, String> {
    Ok(match output {
        None | Some("") => line.to_string(),
        Some("yaml") => super::printers::object_yaml(obj),
        Some("json") => super::printers::object_json(obj),
        Some("name") => super::printers::name(obj),
        Some(other) => return Err(format!("error: unable to match a printer suitable for the output format \"{other}\", allowed formats are: json,name,yaml")),
    })
}

/// [`print_object`] of the object as `api_version` serves it.
fn print_object_as(obj: &Object, output: Option<&str>, line: &str, api_version: &str) -> Result<String, String> {
    let as_served =
        || crate::model::convert::from_stored_version(obj.kind(), super::printers::printable(obj), api_version);
    match output {
        Some("yaml") => Ok(super::printers::to_yaml(&as_served())),
        Some("json") => Ok(super::printers::to_json(&as_served())),
        _ => print_object(obj, output, line),
    }
}

/// A container name from an image, as kubectl derives it (`registry/nginx:1.27` → `nginx`).
pub fn container_name(image: &str) -> String {
    let base = image.rsplit('/').next().unwrap_or(image);
    let base = base.split(['@', ':']).next().unwrap_or(base);
    let cleaned: String =
        base.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' }).collect();
    cleaned.trim_matches('-').to_string()
}

fn deployment(client: &mut dyn Client, waiter: &mut dyn Waiter, args: &[&str]) -> Result<String, String> {
    // `NAME --image=busybox -- sleep 3600`: every container gets the words after `--` as its
    // command.
    let (args, command) = match args.iter().position(|a| *a == "--") {
        Some(i) => (&args[..i], &args[i + 1..]),
        None => (args, &[][..]),
    };
    let flags =
        flags_with(args, &[flag("image", None, true), flag("replicas", Some('r'), true), flag("port", None, true)])?;
    let name = name_arg(&flags, "deployment")?;
    let images = flags.all("image");
    if images.is_empty() {
        return Err("error: required flag(s) \"image\" not set".into());
    }
    let port: Option<i64> = match flags.get("port") {
        Some(p) => Some(p.parse().map_err(|_| {
            format!(
                "error: invalid argument {p:?} for \"--port\" flag: strconv.ParseInt: parsing {p:?}: invalid syntax"
            )
        })?),
        None => None,
    };
    let replicas: i64 = flags.get("replicas").map_or(Ok(1), |r| {
        r.parse().map_err(|_| format!("error: invalid argument {r:?} for \"-r, --replicas\" flag"))
    })?;
    let containers: Vec<Value> = images
        .iter()
        .map(|image| {
            let mut c = json!({"name": container_name(image), "image": image, "resources": {}});
            if !command.is_empty() {
                c["command"] = json!(command);
            }
            if let Some(p) = port {
                c["ports"] = json!([{"containerPort": p}]);
            }
            c
        })
        .collect();
    let doc = json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "labels": {"app": name}},
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}}, "strategy": {},
            "template": {"metadata": {"labels": {"app": name}}, "spec": {"containers": containers}}},
    });
    submit(client, waiter, &flags, doc, "created")
}

fn namespace(client: &mut dyn Client, waiter: &mut dyn Waiter, args: &[&str]) -> Result<String, String> {
    let flags = flags_with(args, &[])?;
    let name = name_arg(&flags, "namespace")?;
    submit(
        client,
        waiter,
        &flags,
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}),
        "created",
    )
}

fn service_account(client: &mut dyn Client, waiter: &mut dyn Waiter, args: &[&str]) -> Result<String, String> {
    let flags = flags_with(args, &[])?;
    let name = name_arg(&flags, "serviceaccount")?;
    let doc = json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": name}});
    submit(client, waiter, &flags, doc, "created")
}

/// `--from-literal=k=v`, `--from-file=[key=]path`, `--from-env-file=path` into a data map.
fn data_from(flags: &Parsed, files: &FileAccess) -> Result<Map<String, Value>, String> {
    let mut data = Map::new();
    for lit in flags.all("from-literal") {
        let (k, v) =
            lit.split_once('=').ok_or_else(|| format!("error: invalid literal source {lit}, expected key=value"))?;
        data.insert(k.to_string(), Value::String(v.to_string()));
    }
    for f in flags.all("from-file") {
        let (key, path) = match f.split_once('=') {
            Some((k, p)) => (k.to_string(), p.to_string()),
            None => (std::path::Path::new(f).file_name().and_then(|n| n.to_str()).unwrap_or(f).to_string(), f.clone()),
        };
        let text = read_source(files, &path)?;
        data.insert(key, Value::String(text));
    }
    for f in flags.all("from-env-file") {
        let text = read_source(files, f)?;
        for line in text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')) {
            let (k, v) = line.split_once('=').unwrap_or((line, ""));
            data.insert(k.to_string(), Value::String(v.to_string()));
        }
    }
    Ok(data)
}

fn read_source(files: &FileAccess, path: &str) -> Result<String, String> {
    files.read(path).map_err(|e| match e.io_error() {
        Some(io) => format!("error: error reading {path}: {io}"),
        None => format!("error: {e}"),
    })
}

const DATA_FLAGS: [FlagSpec; 3] =
    [flag("from-literal", None, true), flag("from-file", None, true), flag("from-env-file", None, true)];

fn configmap(
    client: &mut dyn Client,
    waiter: &mut dyn Waiter,
    args: &[&str],
    files: &FileAccess,
) -> Result<String, String> {
    let flags = flags_with(args, &DATA_FLAGS)?;
    let name = name_arg(&flags, "configmap")?;
    let data = data_from(&flags, files)?;
    submit(
        client,
        waiter,
        &flags,
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": data}),
        "created",
    )
}

fn secret(
    client: &mut dyn Client,
    waiter: &mut dyn Waiter,
    args: &[&str],
    files: &FileAccess,
) -> Result<String, String> {
    let mut extra: Vec<FlagSpec> = DATA_FLAGS.to_vec();
    extra.push(flag("type", None, true));
    let flags = flags_with(args, &extra)?;
    let name = name_arg(&flags, "secret generic")?;
    let data = data_from(&flags, files)?;
    let type_ = flags.get("type").unwrap_or("Opaque");
    submit(
        client,
        waiter,
        &flags,
        json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name}, "type": type_, "stringData": data}),
        "created",
    )
}

/// `kubectl create secret tls NAME --cert=PATH --key=PATH`: a `kubernetes.io/tls` Secret, once
/// the two files are a key pair (`tls.X509KeyPair`).
fn secret_tls(
    client: &mut dyn Client,
    waiter: &mut dyn Waiter,
    args: &[&str],
    files: &FileAccess,
) -> Result<String, String> {
    use base64::Engine;
    let flags = flags_with(args, &[flag("cert", None, true), flag("key", None, true)])?;
    let name = name_arg(&flags, "secret tls")?;
    let (Some(cert), Some(key)) =
        (flags.get("cert").filter(|c| !c.is_empty()), flags.get("key").filter(|k| !k.is_empty()))
    else {
        return Err("error: key and cert must be specified".into());
    };
    let read = |path: &str| {
        files.read(path).map_err(|e| match e.io_error() {
            Some(io) => format!("error: {}", super::get::go_open_error(path, io)),
            None => format!("error: {e}"),
        })
    };
    let (crt, tls_key) = (read(cert)?, read(key)?);
    crate::network::ingress::cert::key_pair(crt.as_bytes(), tls_key.as_bytes()).map_err(|e| format!("error: {e}"))?;
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    let doc = json!({
        "apiVersion": "v1", "kind": "Secret", "metadata": {"name": name}, "type": "kubernetes.io/tls",
        "data": {"tls.crt": b64(&crt), "tls.key": b64(&tls_key)},
    });
    submit(client, waiter, &flags, doc, "created")
}

fn service(client: &mut dyn Client, waiter: &mut dyn Waiter, args: &[&str], type_: &str) -> Result<String, String> {
    // Each generator takes its own flags: `--clusterip` is clusterip's, `--node-port` nodeport's.
    let mut specs = vec![flag("tcp", None, true)];
    match type_ {
        "ClusterIP" => specs.push(flag("clusterip", None, true)),
        "NodePort" => specs.push(flag("node-port", None, true)),
        _ => {}
    }
    let flags = flags_with(args, &specs)?;
    let what = match type_ {
        "NodePort" => "service nodeport",
        "LoadBalancer" => "service loadbalancer",
        _ => "service clusterip",
    };
    let name = name_arg(&flags, what)?;
    let mut ports = Vec::new();
    for spec in flags.all("tcp").iter().flat_map(|t| t.split(',')) {
        let (port, target) = spec.split_once(':').unwrap_or((spec, spec));
        let p: i64 = port.parse().map_err(|_| format!("error: invalid port {port:?} in --tcp={spec}"))?;
        let target_value = target.parse::<i64>().map(Value::from).unwrap_or_else(|_| Value::String(target.to_string()));
        let mut entry =
            json!({"name": format!("{port}-{target}"), "port": p, "protocol": "TCP", "targetPort": target_value});
        if let Some(np) = flags.get("node-port") {
            entry["nodePort"] =
                Value::from(np.parse::<i64>().map_err(|_| format!("error: invalid --node-port {np:?}"))?);
        }
        ports.push(entry);
    }
    let headless = flags.get("clusterip") == Some("None");
    if ports.is_empty() && !headless {
        return Err("error: at least one port must be specified with --tcp".into());
    }
    let mut spec = json!({"type": type_, "selector": {"app": name}, "ports": ports});
    if let Some(ip) = flags.get("clusterip") {
        spec["clusterIP"] = Value::String(ip.to_string());
    }
    submit(
        client,
        waiter,
        &flags,
        json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "labels": {"app": name}}, "spec": spec}),
        "created",
    )
}

/// The words after `--`: the container's command.
fn command_after_dashes<'a>(args: &[&'a str]) -> (Vec<String>, Vec<&'a str>) {
    match args.iter().position(|a| *a == "--") {
        Some(i) => (args[i + 1..].iter().map(|s| s.to_string()).collect(), args[..i].to_vec()),
        None => (Vec::new(), args.to_vec()),
    }
}

fn job(client: &mut dyn Client, waiter: &mut dyn Waiter, args: &[&str]) -> Result<String, String> {
    let (command, args) = command_after_dashes(args);
    let flags = flags_with(&args, &[flag("image", None, true), flag("from", None, true)])?;
    let name = name_arg(&flags, "job")?;
    if let Some(from) = flags.get("from") {
        return job_from_cronjob(client, waiter, &flags, &name, from);
    }
    let image = flags.get("image").ok_or("error: required flag(s) \"image\" not set")?;
    let mut container = json!({"name": name, "image": image, "resources": {}});
    if !command.is_empty() {
        container["command"] = json!(command);
    }
    let doc = json!({
        "apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name},
        "spec": {"template": {"spec": {"containers": [container], "restartPolicy": "Never"}}},
    });
    submit(client, waiter, &flags, doc, "created")
}

fn job_from_cronjob(
    client: &mut dyn Client,
    waiter: &mut dyn Waiter,
    flags: &Parsed,
    name: &str,
    from: &str,
) -> Result<String, String> {
    let cj_name = from
        .strip_prefix("cronjob/")
        .or_else(|| from.strip_prefix("cronjob.batch/"))
        .ok_or_else(|| format!("error: from must be an existing cronjob: {from}"))?;
    let ns = flags.get("namespace").unwrap_or("default");
    let cj = client
        .get(crate::model::Kind::CronJob, ns, cj_name)
        .map(Response::into_body)
        .map_err(|e| e.kubectl_message())?;
    let Object::CronJob(c) = &*cj else { return Err("error: not a cronjob".into()) };
    let template =
        c.spec.as_ref().map(|s| serde_json::to_value(&s.job_template).unwrap_or_default()).unwrap_or_default();
    let uid = cj.metadata().uid.clone().unwrap_or_default();
    // `createJobFromCronJob`: the template's annotations over the manual mark, its labels.
    let mut annotations = json!({"cronjob.kubernetes.io/instantiate": "manual"});
    if let Some(own) = template.pointer("/metadata/annotations").and_then(|a| a.as_object()) {
        annotations.as_object_mut().into_iter().for_each(|a| a.extend(own.clone()));
    }
    let mut metadata = json!({"name": name, "annotations": annotations,
        "ownerReferences": [{"apiVersion": "batch/v1", "kind": "CronJob", "name": cj_name, "uid": uid, "controller": true}]});
    if let Some(labels) = template.pointer("/metadata/labels") {
        metadata["labels"] = labels.clone();
    }
    let doc = json!({
        "apiVersion": "batch/v1", "kind": "Job", "metadata": metadata,
        "spec": template.get("spec").cloned().unwrap_or_default(),
    });
    submit(client, waiter, flags, doc, "created")
}

fn cronjob(client: &mut dyn Client, waiter: &mut dyn Waiter, args: &[&str]) -> Result<String, String> {
    let (command, args) = command_after_dashes(args);
    let flags =
        flags_with(&args, &[flag("image", None, true), flag("schedule", None, true), flag("restart", None, true)])?;
    let name = name_arg(&flags, "cronjob")?;
    let image = flags.get("image").ok_or("error: required flag(s) \"image\" not set")?;
    let schedule = flags.get("schedule").ok_or("error: required flag(s) \"schedule\" not set")?;
    let restart = flags.get("restart").unwrap_or("OnFailure");
    let mut container = json!({"name": name, "image": image, "resources": {}});
    if !command.is_empty() {
        container["command"] = json!(command);
    }
    let doc = json!({
        "apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": name},
        "spec": {"schedule": schedule, "jobTemplate": {"metadata": {"name": name},
            "spec": {"template": {"spec": {"containers": [container], "restartPolicy": restart}}}}},
    });
    submit(client, waiter, &flags, doc, "created")
}

#[cfg(test)]
mod tests {
    use super::container_name;

    #[test]
    fn container_names_from_images() {
        assert_eq!(container_name("nginx"), "nginx");
        assert_eq!(container_name("nginx:1.27"), "nginx");
        assert_eq!(container_name("registry.k8s.io/pause:3.10"), "pause");
        assert_eq!(container_name("busybox@sha256:abc"), "busybox");
    }
}
