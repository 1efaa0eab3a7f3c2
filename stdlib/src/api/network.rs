//! The cluster network from a script: requests (`curl`) from a pod, a node or outside, and
//! kube-proxy's rules on a node.

use rhai::plugin::*;
use rhai::{Array, Dynamic, Map};

use controlplane::fileaccess::FileAccess;
use controlplane::network::ingress::tls::Served;
use controlplane::network::path::{Reply, Request, Source};
use controlplane::network::tls::CaFile;

use crate::convert::runtime_error;

/// How long `curl` waits for a connection unless told otherwise.
const DEFAULT_TIMEOUT_SECS: i64 = 10;

/// The reply as the script sees it.
fn reply_map(r: Reply) -> Map {
    let mut m = Map::new();
    let opt = |v: Option<String>| v.map_or(Dynamic::UNIT, Dynamic::from);
    m.insert("ok".into(), r.ok.into());
    m.insert("code".into(), Dynamic::from(i64::from(r.code)));
    m.insert("body".into(), r.body.into());
    m.insert("pod".into(), opt(r.pod));
    m.insert("node".into(), opt(r.node));
    m.insert("client_ip".into(), opt(r.client_ip));
    m.insert("hops".into(), Dynamic::from(r.hops.into_iter().map(Dynamic::from).collect::<Array>()));
    m.insert("error".into(), opt(r.error));
    m.insert("exit".into(), Dynamic::from(i64::from(r.exit)));
    m.insert("certificate".into(), r.certificate.map_or(Dynamic::UNIT, |c| certificate_map(c).into()));
    m
}

/// The certificate an HTTPS server presented: `#{subject, issuer, dns_names, secret}`, the
/// Secret (`namespace/name`) it came from, or `()` for ingress-nginx's default certificate.
fn certificate_map(served: Served) -> Map {
    let mut m = Map::new();
    let c = served.cert;
    m.insert("subject".into(), c.subject.into());
    m.insert("issuer".into(), c.issuer.into());
    m.insert("dns_names".into(), c.dns_names.into_iter().map(Dynamic::from).collect::<Array>().into());
    m.insert("secret".into(), served.secret.map_or(Dynamic::UNIT, Dynamic::from));
    m
}

/// What `nslookup` returns: the first answer's name, its addresses and the alias it went
/// through.
fn lookup_map(found: &controlplane::network::dns::NsLookup) -> Map {
    let mut m = Map::new();
    let answer = found.answer.as_ref();
    m.insert("name".into(), answer.map_or(Dynamic::UNIT, |a| a.name.clone().into()));
    let addresses: Array =
        answer.map(|a| a.addresses.iter().map(|ip| ip.to_string().into()).collect()).unwrap_or_default();
    m.insert("addresses".into(), addresses.into());
    m.insert("cname".into(), answer.and_then(|a| a.cname.clone()).map_or(Dynamic::UNIT, Dynamic::from));
    m
}

/// The options `curl` takes.
const OPTIONS: &[&str] = &["from", "namespace", "method", "headers", "timeout", "insecure", "cacert", "resolve"];

/// `curl(url, opts)`'s options as a request; `files` is where `cacert` is read from.
fn request(url: &str, opts: &Map, files: &FileAccess) -> Result<Request, Box<EvalAltResult>> {
    let text = |key: &str| -> Result<Option<String>, Box<EvalAltResult>> {
        match opts.get(key) {
            None => Ok(None),
            Some(v) if v.is_unit() => Ok(None),
            Some(v) => v
                .clone()
                .into_string()
                .map(Some)
                .map_err(|t| runtime_error(format!("curl option {key}: expected a string, not {t}"))),
        }
    };
    for key in opts.keys() {
        if !OPTIONS.contains(&key.as_str()) {
            return Err(runtime_error(format!(
                "curl: unknown option {key:?} (the options are {})",
                OPTIONS.join(", ")
            )));
        }
    }
    let namespace = text("namespace")?.unwrap_or_else(|| "default".into());
    let from = match text("from")? {
        Some(f) => Source::parse(&f, &namespace).map_err(|e| runtime_error(format!("curl: {e}")))?,
        None => Source::Outside,
    };
    let timeout = match opts.get("timeout") {
        Some(d) => crate::api::time::duration_arg(d)?,
        None => chrono::Duration::seconds(DEFAULT_TIMEOUT_SECS),
    };
    if timeout <= chrono::Duration::zero() {
        return Err(runtime_error("curl option timeout: must be more than zero"));
    }
    let mut headers = Vec::new();
    if let Some(h) = opts.get("headers") {
        let Some(map) = h.read_lock::<Map>() else {
            return Err(runtime_error("curl option headers: expected a map of names to values"));
        };
        for (k, v) in map.iter() {
            headers.push((k.to_string(), v.to_string()));
        }
    }
    let method = text("method")?.unwrap_or_else(|| "GET".into()).to_ascii_uppercase();
    let insecure = match opts.get("insecure") {
        None => false,
        Some(v) => {
            v.as_bool().map_err(|t| runtime_error(format!("curl option insecure: expected true or false, not {t}")))?
        }
    };
    let cacert = match text("cacert")? {
        // A file that is missing or holds no certificate is curl's to refuse (exit 77); one
        // the session may not read is the session's.
        Some(path) => match files.read(&path) {
            Ok(pem) => Some(CaFile::new(&path, Some(pem.as_bytes()))),
            Err(e) if e.io_error().is_some() => Some(CaFile::new(&path, None)),
            Err(e) => return Err(runtime_error(format!("curl option cacert: {e}"))),
        },
        None => None,
    };
    let resolve = match opts.get("resolve") {
        None => Vec::new(),
        Some(v) if v.is_array() => {
            v.clone().into_array().unwrap_or_default().iter().map(resolve_entry).collect::<Result<_, _>>()?
        }
        Some(v) => vec![resolve_entry(v)?],
    };
    let mut req = Request::new(url.to_string(), method, from, timeout, "curl/8.5.0".into());
    req.headers = headers;
    req.insecure = insecure;
    req.cacert = cacert;
    req.resolve = resolve;
    Ok(req)
}

/// One `--resolve HOST:PORT:ADDRESS`.
fn resolve_entry(v: &Dynamic) -> Result<(String, u16, std::net::Ipv4Addr), Box<EvalAltResult>> {
    let text = v.to_string();
    let bad = || runtime_error(format!("curl option resolve: {text:?}: expected \"HOST:PORT:ADDRESS\""));
    let mut parts = text.splitn(3, ':');
    let (Some(host), Some(port), Some(addr)) = (parts.next(), parts.next(), parts.next()) else { return Err(bad()) };
    let port = port.parse::<u16>().map_err(|_| bad())?;
    let addr = addr.parse().map_err(|_| bad())?;
    Ok((host.to_ascii_lowercase(), port, addr))
}

#[export_module]
pub mod network_api {
    use controlplane::model::Kind;
    use controlplane::network::proxy::KubeProxies;

    use super::{reply_map, request};
    use crate::api::current;
    use crate::convert::runtime_error;

    /// An HTTP request from outside the cluster, as `curl` on the host of a kind cluster makes
    /// it: only node addresses (NodePorts) and LoadBalancer and Ingress addresses answer.
    /// Returns `#{ok, code, body, pod, node, client_ip, hops, error}`; `hops` is the way it
    /// went. A connection nothing answers times out after 10s of simulated time.
    ///
    /// ```rhai
    /// let r = curl("http://172.18.0.3:30080");
    /// print(r.body);
    /// ```
    #[rhai_fn(return_raw)]
    pub fn curl(ctx: NativeCallContext, url: &str) -> Result<Map, Box<EvalAltResult>> {
        curl_with(ctx, url, Map::new())
    }

    /// A request with options: `from` (`"pod/NAME"`, `"node/NAME"` or `"outside"`, the
    /// default), `namespace` (of the pod, `default`), `method` (`GET`), `headers` (a map;
    /// cookies as a `Cookie` header), `timeout` (how long to wait for a connection: `"5s"` or
    /// seconds, 10 by default), and for HTTPS `insecure` (curl's `-k`: the certificate goes
    /// unchecked), `cacert` (curl's `--cacert FILE`: the certificates to trust) and `resolve`
    /// (curl's `--resolve HOST:PORT:ADDRESS`, one or a list). The reply's `exit` is curl's
    /// exit code (60: the certificate could not be verified) and `certificate` what an HTTPS
    /// server presented (`#{subject, issuer, dns_names, secret}`).
    ///
    /// ```rhai
    /// let r = curl("http://web", #{from: "pod/client"});
    /// print(`${r.code} from ${r.pod}`);
    /// let s = curl("https://shop.example.com/", #{resolve: "shop.example.com:443:172.18.0.2", insecure: true});
    /// print(s.certificate.subject);
    /// ```
    #[rhai_fn(name = "curl", return_raw)]
    pub fn curl_with(ctx: NativeCallContext, url: &str, opts: Map) -> Result<Map, Box<EvalAltResult>> {
        let files = crate::api::state(&ctx).borrow().files.clone();
        let req = request(url, &opts, &files)?;
        let cluster = current(&ctx);
        let mut c = cluster.0.borrow_mut();
        c.settle().map_err(crate::api::time::sim_error)?;
        let reply = c.dataplane(|dp| dp.request(&req)).ok_or_else(|| runtime_error("this cluster has no nodes"))?;
        if reply.elapsed > chrono::Duration::zero() {
            c.advance(reply.elapsed).map_err(crate::api::time::sim_error)?;
        }
        // kubectl port-forward, running in the background, prints as it takes the connection.
        if let Some(line) = &reply.port_forward {
            crate::api::state(&ctx).borrow_mut().write(crate::session::Stream::Stdout, &format!("{line}\n"));
        }
        Ok(reply_map(reply))
    }

    /// The node's kube-proxy rules as `iptables-save` prints them: the filter and nat tables
    /// with KUBE-SERVICES (a rule per ClusterIP, externalIP and LoadBalancer address),
    /// KUBE-SVC-… (the choice among endpoints, `-m statistic --mode random --probability`),
    /// KUBE-SEP-… (the DNAT to one endpoint), KUBE-NODEPORTS, KUBE-EXT-… and KUBE-SVL-… (for
    /// `Local` traffic policies), and the REJECT/DROP rules for Services without (local)
    /// endpoints. Chain names are upstream's hashes of the service port's name. The rules are
    /// written by the node's kube-proxy pod: empty before it first ran; if it stops they stay
    /// as they were, no longer updated. A change reaches them at once, then at most once a
    /// second (`minSyncPeriod`).
    ///
    /// ```rhai
    /// print(proxy_rules("node-1"));
    /// ```
    #[rhai_fn(return_raw)]
    pub fn proxy_rules(ctx: NativeCallContext, node: &str) -> Result<String, Box<EvalAltResult>> {
        let cluster = current(&ctx);
        let mut c = cluster.0.borrow_mut();
        if c.api_ref().peek(Kind::Node, "", node).is_none() {
            return Err(runtime_error(format!("Error from server (NotFound): nodes \"{node}\" not found")));
        }
        let _ = c.settle();
        let proxies =
            c.component_mut::<KubeProxies>().ok_or_else(|| runtime_error("this cluster runs no kube-proxy"))?;
        Ok(proxies.iptables_save(node).unwrap_or_default())
    }

    /// Looks a name up through cluster DNS as busybox's `nslookup` does, printing what it
    /// prints (its `Server:` lines, each answer, `** server can't find NAME: NXDOMAIN`, or
    /// `;; connection timed out; no servers could be reached` when no CoreDNS pod answers,
    /// after 5s of simulated time). Asked as a pod of the `default` namespace would ask it.
    /// Returns `#{name, addresses, cname}`.
    ///
    /// ```rhai
    /// nslookup("kubernetes.default.svc.cluster.local");
    /// ```
    #[rhai_fn(return_raw)]
    pub fn nslookup(ctx: NativeCallContext, name: &str) -> Result<Map, Box<EvalAltResult>> {
        nslookup_with(ctx, name, Map::new())
    }

    /// `nslookup` with options: `from` (`"pod/NAME"` or `"node/NAME"`: that pod's or node's
    /// resolv.conf and network) and `namespace` (the pod's, `default`).
    ///
    /// ```rhai
    /// nslookup("web", #{from: "pod/client"});
    /// ```
    #[rhai_fn(name = "nslookup", return_raw)]
    pub fn nslookup_with(ctx: NativeCallContext, name: &str, opts: Map) -> Result<Map, Box<EvalAltResult>> {
        use controlplane::network::path::Source;
        for key in opts.keys() {
            if !["from", "namespace"].contains(&key.as_str()) {
                return Err(runtime_error(format!(
                    "nslookup: unknown option {key:?} (the options are from and namespace)"
                )));
            }
        }
        let text = |key: &str| opts.get(key).filter(|v| !v.is_unit()).map(|v| v.to_string());
        let namespace = text("namespace").unwrap_or_else(|| "default".into());
        let from = match text("from") {
            Some(f) => Some(Source::parse(&f, &namespace).map_err(|e| runtime_error(format!("nslookup: {e}")))?),
            None => None,
        };
        if from == Some(Source::Outside) {
            return Err(runtime_error("nslookup: cluster DNS answers only inside the cluster: from a pod or a node"));
        }
        let cluster = current(&ctx);
        let found = {
            let mut c = cluster.0.borrow_mut();
            c.settle().map_err(crate::api::time::sim_error)?;
            let (found, waited) = c
                .dataplane(|dp| dp.nslookup(from.as_ref(), &namespace, name))
                .ok_or_else(|| runtime_error("this cluster has no nodes"))?;
            if waited > chrono::Duration::zero() {
                c.advance(waited).map_err(crate::api::time::sim_error)?;
            }
            found.map_err(|e| runtime_error(format!("nslookup: {e}")))?
        };
        let state = crate::api::state(&ctx);
        let mut state = state.borrow_mut();
        state.write(crate::session::Stream::Stderr, &found.errors);
        state.write(crate::session::Stream::Stdout, &found.text);
        drop(state);
        Ok(super::lookup_map(&found))
    }
}
