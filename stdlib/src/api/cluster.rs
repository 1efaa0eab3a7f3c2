//! Working with the cluster: apply manifests, read and delete objects, run kubectl and
//! etcdctl, and make separate clusters.

use controlplane::model::Kind;
use controlplane::sim::ClusterConfig;
use rhai::plugin::*;
use rhai::{Array, Map};

use crate::convert::runtime_error;

/// The namespace objects without one are applied in: the current kubectl context's, else
/// `default`, as `kubectl apply -f -` picks it.
pub fn context_namespace(cluster: &controlplane::sim::Cluster) -> String {
    cluster.kubeconfig().namespace().unwrap_or("default").to_string()
}

/// kubectl's lines for a batch of documents, or all error lines if any failed (the others
/// are applied all the same, as kubectl does).
pub fn join_outcomes(outcomes: Vec<Result<String, String>>) -> Result<String, String> {
    let (ok, errs): (Vec<_>, Vec<_>) = outcomes.into_iter().partition(Result::is_ok);
    if errs.is_empty() {
        Ok(ok.into_iter().flatten().collect::<Vec<_>>().join("\n"))
    } else {
        Err(errs.into_iter().filter_map(Result::err).collect::<Vec<_>>().join("\n"))
    }
}

#[export_module]
pub mod cluster_api {
    use std::rc::Rc;

    use controlplane::apiserver::DeleteOptions;
    use controlplane::kubectl::{self, apply};
    use controlplane::model::Kind;
    use controlplane::sim::Cluster;

    use super::{cluster_config, context_namespace, join_outcomes, resolve, run_kubectl, trim_newline};
    use crate::api::{current, state};
    use crate::clusters::attach;
    use crate::convert::{runtime_error, to_dynamic, to_json};
    use crate::session::ClusterRef;

    /// Applies YAML (one or many documents) to the cluster, as `kubectl apply -f`: objects
    /// without a namespace go to the current context's (`kubectl config set-context --current
    /// --namespace=...`), else `default`. Returns kubectl's lines; throws kubectl's error lines
    /// if a document fails.
    ///
    /// ```rhai
    /// apply(`
    /// apiVersion: v1
    /// kind: ConfigMap
    /// metadata: {name: settings}
    /// data: {color: blue}
    /// `);
    /// ```
    #[rhai_fn(name = "apply", return_raw)]
    pub fn apply_text(ctx: NativeCallContext, yaml: &str) -> Result<String, Box<EvalAltResult>> {
        let cluster = current(&ctx);
        let mut c = cluster.0.borrow_mut();
        let namespace = context_namespace(&c);
        let outcomes = apply::apply_text(&mut c, yaml, "STDIN", &namespace);
        join_outcomes(outcomes).map_err(runtime_error)
    }

    /// Applies an object written as a map.
    ///
    /// ```rhai
    /// apply(#{apiVersion: "v1", kind: "Namespace", metadata: #{name: "shop"}});
    /// ```
    #[rhai_fn(name = "apply", return_raw)]
    pub fn apply_map(ctx: NativeCallContext, obj: Map) -> Result<String, Box<EvalAltResult>> {
        let doc = to_json(&Dynamic::from_map(obj), state(&ctx).borrow().max_data_depth)?;
        let cluster = current(&ctx);
        let mut c = cluster.0.borrow_mut();
        let namespace = context_namespace(&c);
        let outcome = apply::apply_doc(&mut c, doc, "STDIN", &namespace);
        join_outcomes(vec![outcome]).map_err(runtime_error)
    }

    /// Applies each object of an array of maps.
    #[rhai_fn(name = "apply", return_raw)]
    pub fn apply_array(ctx: NativeCallContext, objs: Array) -> Result<String, Box<EvalAltResult>> {
        let cluster = current(&ctx);
        let max_depth = state(&ctx).borrow().max_data_depth;
        let mut c = cluster.0.borrow_mut();
        let namespace = context_namespace(&c);
        let mut outcomes = Vec::new();
        for obj in objs {
            outcomes.push(apply::apply_doc(&mut c, to_json(&obj, max_depth)?, "STDIN", &namespace));
        }
        join_outcomes(outcomes).map_err(runtime_error)
    }

    /// All objects of a kind (kubectl's names: `pods`, `po`, `deploy`, `deployment.apps`), in
    /// the `default` namespace for namespaced kinds, as maps.
    ///
    /// ```rhai
    /// for n in get("nodes") { print(n.metadata.name); }
    /// ```
    #[rhai_fn(name = "get", return_raw)]
    pub fn get_all(ctx: NativeCallContext, kind: &str) -> Result<Array, Box<EvalAltResult>> {
        let kind = resolve(kind)?;
        let cluster = current(&ctx);
        let ns = kind.info().namespaced.then_some("default");
        let items = cluster.0.borrow_mut().api().list(kubectl::apply::USER, kind, ns, |_| true).items;
        Ok(items.iter().map(|o| to_dynamic(&o.to_value())).collect())
    }

    /// One object by kind and name (in `default` for namespaced kinds), as a map.
    ///
    /// ```rhai
    /// let n = get("node", "node-1");
    /// print(n.status.capacity.cpu);
    /// ```
    #[rhai_fn(name = "get", return_raw)]
    pub fn get_one(ctx: NativeCallContext, kind: &str, name: &str) -> Result<Dynamic, Box<EvalAltResult>> {
        get_in(ctx, kind, name, "default")
    }

    /// One object by kind, name and namespace, as a map.
    ///
    /// ```rhai
    /// let p = get("pod", "etcd-control-plane", "kube-system");
    /// ```
    #[rhai_fn(name = "get", return_raw)]
    pub fn get_in(
        ctx: NativeCallContext,
        kind: &str,
        name: &str,
        namespace: &str,
    ) -> Result<Dynamic, Box<EvalAltResult>> {
        let kind = resolve(kind)?;
        let cluster = current(&ctx);
        let obj = cluster.0.borrow_mut().api().get(kubectl::apply::USER, kind, namespace, name);
        obj.map(|o| to_dynamic(&o.to_value())).map_err(|e| runtime_error(e.kubectl_message()))
    }

    /// Deletes an object (in `default` for namespaced kinds), like `kubectl delete KIND NAME`.
    ///
    /// ```rhai
    /// delete("configmap", "settings");
    /// ```
    #[rhai_fn(name = "delete", return_raw)]
    pub fn delete(ctx: NativeCallContext, kind: &str, name: &str) -> Result<String, Box<EvalAltResult>> {
        delete_in(ctx, kind, name, "default")
    }

    /// Deletes an object in a namespace.
    #[rhai_fn(name = "delete", return_raw)]
    pub fn delete_in(
        ctx: NativeCallContext,
        kind: &str,
        name: &str,
        namespace: &str,
    ) -> Result<String, Box<EvalAltResult>> {
        let kind = resolve(kind)?;
        let cluster = current(&ctx);
        let mut c = cluster.0.borrow_mut();
        c.api()
            .delete(kubectl::apply::USER, kind, namespace, name, DeleteOptions::default())
            .map_err(|e| runtime_error(e.kubectl_message()))?;
        let _ = c.settle();
        Ok(format!("{} \"{name}\" deleted", kind.info().group_singular()))
    }

    /// Runs a kubectl command line and returns what kubectl prints; throws kubectl's error.
    ///
    /// ```rhai
    /// print(kubectl("get nodes"));
    /// ```
    #[rhai_fn(name = "kubectl", return_raw)]
    pub fn kubectl_line(ctx: NativeCallContext, cmdline: &str) -> Result<String, Box<EvalAltResult>> {
        run_kubectl(&ctx, cmdline, None)
    }

    /// Runs a kubectl command line with `stdin` as its input (for `apply -f -`).
    ///
    /// ```rhai
    /// kubectl("apply -f -", "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}");
    /// ```
    #[rhai_fn(name = "kubectl", return_raw)]
    pub fn kubectl_stdin(ctx: NativeCallContext, cmdline: &str, stdin: &str) -> Result<String, Box<EvalAltResult>> {
        run_kubectl(&ctx, cmdline, Some(stdin))
    }

    /// A read-only etcdctl: `get KEY [--prefix] [--keys-only] [--limit N] [-w json]`.
    ///
    /// ```rhai
    /// print(etcdctl("get /registry/pods --prefix --keys-only"));
    /// ```
    #[rhai_fn(return_raw)]
    pub fn etcdctl(ctx: NativeCallContext, cmdline: &str) -> Result<String, Box<EvalAltResult>> {
        let cluster = current(&ctx);
        let c = cluster.0.borrow();
        kubectl::etcdctl::run_line(&c, cmdline).map(trim_newline).map_err(runtime_error)
    }

    /// Events in all namespaces, oldest first, as maps.
    ///
    /// ```rhai
    /// for e in events() { print(e.reason + ": " + e.message); }
    /// ```
    pub fn events(ctx: NativeCallContext) -> Array {
        let cluster = current(&ctx);
        let mut c = cluster.0.borrow_mut();
        let mut items: Vec<_> = c.api().list(kubectl::apply::USER, Kind::Event, None, |_| true).items;
        // By last occurrence; within one instant, in the order they were written.
        items.sort_by_key(|e| match &**e {
            controlplane::model::Object::Event(ev) => (
                ev.last_timestamp.as_ref().map(|t| t.0).or(ev.metadata.creation_timestamp.as_ref().map(|t| t.0)),
                e.resource_version(),
            ),
            _ => (None, e.resource_version()),
        });
        items.iter().map(|o| to_dynamic(&o.to_value())).collect()
    }

    /// The API server's audit log: the latest requests (100,000 unless the cluster was made
    /// with another `audit_log` size, e.g. `cluster(#{audit_log: 1000})`), oldest first, as maps with `time`, `user`,
    /// `verb`, `resource`, `namespace`, `name` and `code` (the HTTP status).
    ///
    /// ```rhai
    /// for r in audit_log() { print(`${r.user} ${r.verb} ${r.resource} ${r.name} ${r.code}`); }
    /// ```
    pub fn audit_log(ctx: NativeCallContext) -> Array {
        let cluster = current(&ctx);
        let c = cluster.0.borrow();
        c.api_ref()
            .audit_log()
            .iter()
            .map(|r| {
                let mut m = Map::new();
                m.insert("time".into(), r.time.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true).into());
                m.insert("user".into(), r.user.into());
                m.insert("verb".into(), r.verb.into());
                m.insert("resource".into(), r.resource.into());
                m.insert("namespace".into(), r.namespace.into());
                m.insert("name".into(), r.name.into());
                m.insert("code".into(), (r.code as i64).into());
                Dynamic::from_map(m)
            })
            .collect()
    }

    /// A new, separate default cluster (seed 0, 3 workers).
    ///
    /// ```rhai
    /// let c = cluster();
    /// ```
    #[rhai_fn(name = "cluster", return_raw)]
    pub fn new_default(ctx: NativeCallContext) -> Result<ClusterRef, Box<EvalAltResult>> {
        new_cluster(ctx, Map::new())
    }

    /// A new, separate cluster: `#{workers: 3, seed: 0, cpu: "4", memory: "8Gi", pods: "110",
    /// image_pull_seconds: 2, audit_log: 100000, controllers: ["*"], cloud: false,
    /// lb_pool: "172.18.255.200-172.18.255.250", cloud_controllers: ["*"]}`. `image_pull_seconds` is how
    /// long a kubelet takes to pull an image; `audit_log` how many requests `audit_log()` keeps;
    /// `controllers` is kube-controller-manager's `--controllers`: `"*"` all, `"name"` one on,
    /// `"-name"` one off (the first entry naming a controller decides), by upstream's names or
    /// aliases (`garbagecollector`, `namespace`, `serviceaccount`, `root-ca-cert-publisher`,
    /// `nodelifecycle`, `taint-eviction-controller`, `podgc`, `disruption`).
    /// `cloud: true` runs the cluster in a simulated cloud with a cloud-controller-manager:
    /// LoadBalancer Services get addresses from `lb_pool` (default
    /// `"172.18.255.200-172.18.255.250"`, or a CIDR), nodes get `kubesim://<node>` provider IDs,
    /// the cloud's pod CIDR routes are kept (`cloud_routes()`), and a node whose machine is
    /// removed (`remove_instance`) is deleted. `cloud_controllers` is cloud-controller-manager's
    /// `--controllers` (`cloud-node`, `cloud-node-lifecycle`, `service`, `route`). Without
    /// `cloud`, as in kind, nothing gives a LoadBalancer an address: it stays `<pending>`.
    ///
    /// ```rhai
    /// let big = cluster(#{workers: 10, seed: 7});
    /// use_cluster(big);
    /// let no_podgc = cluster(#{controllers: ["*", "-podgc"]});
    /// let in_a_cloud = cluster(#{cloud: true, lb_pool: "172.18.255.200-172.18.255.210"});
    /// ```
    #[rhai_fn(name = "cluster", return_raw)]
    pub fn new_cluster(ctx: NativeCallContext, opts: Map) -> Result<ClusterRef, Box<EvalAltResult>> {
        let config = cluster_config(&opts).map_err(runtime_error)?;
        let state = state(&ctx);
        let mut st = state.borrow_mut();
        let cluster = attach(Cluster::new(config), &st.interrupt, &st.progress);
        st.made.retain(|c| c.strong_count() > 0);
        st.made.push(Rc::downgrade(&cluster.0));
        Ok(cluster)
    }

    /// Makes `c` the cluster that global functions act on.
    ///
    /// ```rhai
    /// use_cluster(cluster(#{workers: 1}));
    /// ```
    pub fn use_cluster(ctx: NativeCallContext, c: ClusterRef) {
        state(&ctx).borrow_mut().current = c;
    }
}

/// The options of `cluster(#{...})`, each checked before anything is built.
pub fn cluster_config(opts: &Map) -> Result<ClusterConfig, String> {
    let mut config = ClusterConfig::default();
    for (k, v) in opts {
        match k.as_str() {
            "workers" => {
                config.workers = v
                    .as_int()
                    .ok()
                    .filter(|n| (0..=10_000).contains(n))
                    .ok_or("workers must be a number from 0 to 10000")? as usize
            }
            "seed" => {
                config.seed = v.as_int().ok().filter(|n| *n >= 0).ok_or("seed must be a non-negative number")? as u64
            }
            "cpu" => config.cpu = v.to_string(),
            "memory" => config.memory = v.to_string(),
            "pods" => config.pods = v.to_string(),
            "image_pull_seconds" => {
                let secs = v.as_int().map(|n| n as f64).or_else(|_| v.as_float()).ok();
                config.image_pull = secs
                    .filter(|s| (0.0..=86_400.0).contains(s))
                    .map(|s| chrono::Duration::milliseconds((s * 1000.0).round() as i64))
                    .ok_or("image_pull_seconds must be a number of seconds from 0 to 86400")?
            }
            "audit_log" => {
                config.audit_log = v
                    .as_int()
                    .ok()
                    .filter(|n| (1..=10_000_000).contains(n))
                    .ok_or("audit_log must be a number of requests from 1 to 10000000")?
                    as usize
            }
            "ingress" => config.ingress = v.as_bool().map_err(|_| "ingress must be true or false")?,
            "controllers" => {
                let list = v.as_array_ref().map_err(|_| "controllers must be an array of controller names")?;
                config.controllers = list
                    .iter()
                    .map(|c| c.clone().into_immutable_string().map(|s| s.to_string()))
                    .collect::<Result<_, _>>()
                    .map_err(|_| "controllers must be an array of controller names")?;
            }
            "cloud" => config.cloud = v.as_bool().map_err(|_| "cloud must be true or false")?,
            "lb_pool" => {
                config.lb_pool = v.clone().into_immutable_string().map_err(|_| "lb_pool must be a string")?.to_string()
            }
            "cloud_controllers" => {
                let list = v.as_array_ref().map_err(|_| "cloud_controllers must be an array of controller names")?;
                config.cloud_controllers = list
                    .iter()
                    .map(|c| c.clone().into_immutable_string().map(|s| s.to_string()))
                    .collect::<Result<_, _>>()
                    .map_err(|_| "cloud_controllers must be an array of controller names")?;
            }
            other => {
                return Err(format!(
                    "unknown cluster option {other:?} (workers, seed, cpu, memory, pods, image_pull_seconds, audit_log, controllers, cloud, lb_pool, cloud_controllers, ingress)"
                ))
            }
        }
    }
    config.validate().map_err(|e| e.to_string())?;
    Ok(config)
}

pub fn resolve(kind: &str) -> Result<Kind, Box<EvalAltResult>> {
    Kind::from_resource_name(kind)
        .ok_or_else(|| runtime_error(format!("error: the server doesn't have a resource type \"{kind}\"")))
}

/// What kubectl prints, without its final newline (as a shell's `$(kubectl ...)` gives it).
fn trim_newline(mut s: String) -> String {
    while s.ends_with('\n') {
        s.pop();
    }
    s
}

/// Run kubectl for a script: the text without its final newline; tables are remembered so the
/// value can still be shown as a table.
///
/// A watch (`get -w`, `rollout status`) in a script prints nothing itself: its lines are the
/// value, as `$(kubectl ...)` gives them in a shell, so `print(kubectl(...))` shows them once.
/// Interrupted, it prints the lines it saw (they would be lost with the value) and the input
/// stops there.
fn run_kubectl(ctx: &NativeCallContext, cmdline: &str, stdin: Option<&str>) -> Result<String, Box<EvalAltResult>> {
    let cluster = crate::api::current(ctx);
    let state = crate::api::state(ctx);
    let (files, interactive, interrupt) = {
        let state = state.borrow();
        (state.files.clone(), state.interactive, state.interrupt.clone())
    };
    let output = {
        let mut c = cluster.0.borrow_mut();
        let input = controlplane::kubectl::Input {
            stdin,
            files: &files,
            interactive,
            stdout: Default::default(),
            terminal: Default::default(),
            namespace_from_context: false,
        };
        match controlplane::kubectl::run_line_output(&mut c, cmdline, input) {
            Ok(output) => output,
            // A watch stopped part-way may end as an error that carries what it saw: the
            // interrupt is what stopped it.
            Err(text) if interrupt.load(std::sync::atomic::Ordering::Relaxed) => {
                controlplane::kubectl::Output { text, ..Default::default() }
            }
            Err(e) => return Err(runtime_error(e)),
        }
    };
    if interrupt.load(std::sync::atomic::Ordering::Relaxed) {
        let mut st = state.borrow_mut();
        st.write(crate::session::Stream::Stdout, &output.text);
        if !output.text.is_empty() && !output.text.ends_with('\n') {
            st.write(crate::session::Stream::Stdout, "\n");
        }
        return Err(Box::new(EvalAltResult::ErrorTerminated(Dynamic::from("interrupted"), Position::NONE)));
    }
    let text = trim_newline(output.text);
    crate::api::state(ctx).borrow_mut().remember_tables(&text, output.tables);
    Ok(text)
}
