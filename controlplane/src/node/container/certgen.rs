//! kube-webhook-certgen (registry.k8s.io/ingress-nginx/kube-webhook-certgen), which ingress-nginx's
//! Jobs run: `create` makes a CA and a serving certificate and stores them in a Secret (`ca`,
//! `cert`, `key`) unless it exists; `patch` writes that CA into the webhook configuration's
//! `caBundle` (and the failure policy). It talks to the API server as its ServiceAccount,
//! one request at a time ([`NetCall::Api`]), and logs as logrus's JSON formatter does, with
//! the source lines of v1.5.2. A `log.Fatal` exits 1, so its Job's pod is restarted.

use base64::Engine;
use chrono::{DateTime, Utc};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::net::NetCall;

/// The program's name, as its image's entrypoint runs it.
pub const PROGRAM: &str = "kube-webhook-certgen";

const VALIDATING: &str = "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations";
const MUTATING: &str = "/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations";

#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    /// `create`: the Secret's GET, then its POST.
    GetForCreate,
    Created,
    /// `patch`: the Secret's GET, then each configuration's GET and PUT.
    GetForPatch,
    GetHook {
        mutating: bool,
    },
    PutHook {
        mutating: bool,
    },
}

/// A running certgen: its flags and where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Certgen {
    step: Step,
    host: String,
    secret: String,
    namespace: String,
    webhook: String,
    patch_validating: bool,
    patch_mutating: bool,
    failure_policy: String,
    /// The CA read from the Secret (PEM).
    ca: Vec<u8>,
    /// The pod's hostname, which (with the time) makes its certificates.
    hostname: String,
}

/// What the program does next: make a call, or exit with a code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    Call(NetCall),
    Exit(i32),
}

/// One logrus JSON line: the fields in key order (err, level, msg, source, time).
fn log(level: &str, msg: &str, source: &str, err: Option<&str>, now: DateTime<Utc>) -> String {
    let q = |s: &str| Value::String(s.to_string()).to_string();
    let err = err.map(|e| format!("\"err\":{},", q(e))).unwrap_or_default();
    let time = now.format("%Y-%m-%dT%H:%M:%SZ").to_string();
    format!("{{{err}\"level\":{},\"msg\":{},\"source\":{},\"time\":{}}}", q(level), q(msg), q(source), q(&time))
}

/// A PEM block of `len` bytes derived from `seed`: stands in for a generated key or certificate.
fn pem(label: &str, seed: &str, len: usize) -> Vec<u8> {
    let mut der = Vec::with_capacity(len + 32);
    let mut block = Sha256::digest(seed.as_bytes()).to_vec();
    while der.len() < len {
        der.extend_from_slice(&block);
        block = Sha256::digest(&block).to_vec();
    }
    der.truncate(len);
    let b64 = base64::engine::general_purpose::STANDARD.encode(&der);
    let lines: Vec<&str> = b64.as_bytes().chunks(64).map(|c| std::str::from_utf8(c).unwrap_or("")).collect();
    format!("-----BEGIN {label}-----\n{}\n-----END {label}-----\n", lines.join("\n")).into_bytes()
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// The `message` of an API error answer (client-go's `StatusError.Error()`).
fn message(body: &str) -> String {
    let v: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    v["message"].as_str().unwrap_or("an error on the server has prevented the request from succeeding").to_string()
}

fn flag_value(args: &[String], name: &str) -> Option<String> {
    let long = format!("--{name}");
    args.iter().enumerate().find_map(|(i, a)| match a.split_once('=') {
        Some((k, v)) if k == long => Some(v.to_string()),
        None if *a == long => args.get(i + 1).cloned(),
        _ => None,
    })
}

fn bool_flag(args: &[String], name: &str, default: bool) -> bool {
    let long = format!("--{name}");
    match args.iter().find_map(|a| if *a == long { Some("true") } else { a.strip_prefix(&format!("{long}=")) }) {
        Some(v) => matches!(v, "1" | "t" | "T" | "TRUE" | "true" | "True"),
        None => default,
    }
}

impl Certgen {
    /// Start with `args` (after the program's name): the first call, or what it prints and its
    /// exit code when the command line is wrong.
    pub fn start(args: &[String], hostname: &str) -> Result<(Certgen, NetCall), (String, i32)> {
        let sub = args.iter().find(|a| !a.starts_with('-')).cloned().unwrap_or_default();
        let required: &[&str] = match sub.as_str() {
            "create" => &["host", "namespace", "secret-name"],
            "patch" => &["namespace", "secret-name"],
            _ => {
                let usage = "Use this to create a ca and signed certificates and patch admission webhooks to allow for quick\n\t           installation and configuration of validating and admission webhooks.\n\nUsage:\n  kube-webhook-certgen [flags]\n  kube-webhook-certgen [command]\n";
                return Err((usage.to_string(), 1));
            }
        };
        let missing: Vec<String> =
            required.iter().filter(|f| flag_value(args, f).is_none()).map(|f| format!("\"{f}\"")).collect();
        if !missing.is_empty() {
            return Err((format!("Error: required flag(s) {} not set\n", missing.join(", ")), 1));
        }
        let value = |name: &str| flag_value(args, name).unwrap_or_default();
        let g = Certgen {
            step: if sub == "create" { Step::GetForCreate } else { Step::GetForPatch },
            host: value("host"),
            secret: value("secret-name"),
            namespace: value("namespace"),
            webhook: value("webhook-name"),
            patch_validating: bool_flag(args, "patch-validating", true),
            patch_mutating: bool_flag(args, "patch-mutating", true),
            failure_policy: value("patch-failure-policy"),
            ca: Vec::new(),
            hostname: hostname.to_string(),
        };
        let call = g.get(&format!("/api/v1/namespaces/{}/secrets/{}", g.namespace, g.secret));
        Ok((g, call))
    }

    fn get(&self, path: &str) -> NetCall {
        NetCall::Api { method: "GET".into(), path: path.into(), body: None }
    }

    fn hook_path(&self, mutating: bool) -> String {
        format!("{}/{}", if mutating { MUTATING } else { VALIDATING }, self.webhook)
    }

    /// The answer to the last call came (`status` 0: no answer): the lines it logs, and what next.
    pub fn answer(&mut self, status: u16, body: &str, now: DateTime<Utc>, out: &mut Vec<String>) -> Next {
        let fatal = |out: &mut Vec<String>, msg: &str, source: &str, err: Option<&str>| {
            out.push(log("fatal", msg, source, err, now));
            Next::Exit(1)
        };
        match self.step.clone() {
            Step::GetForCreate | Step::GetForPatch => {
                let create = self.step == Step::GetForCreate;
                if status == 404 {
                    out.push(log("info", "no secret found", "k8s/k8s.go:229", Some(&message(body)), now));
                    if !create {
                        let msg = format!("no secret with '{}' in '{}'", self.secret, self.namespace);
                        return fatal(out, &msg, "cmd/patch.go:106", None);
                    }
                    out.push(log("info", "creating new secret", "cmd/create.go:28", None, now));
                    return self.post_secret(now);
                }
                if status != 200 {
                    return fatal(out, "error getting secret", "k8s/k8s.go:232", Some(&message(body)));
                }
                let secret: Value = serde_json::from_str(body).unwrap_or(Value::Null);
                let ca = secret["data"]["ca"]
                    .as_str()
                    .and_then(|c| base64::engine::general_purpose::STANDARD.decode(c).ok());
                let Some(ca) = ca else {
                    return fatal(out, "got secret, but it did not contain a 'ca' key", "k8s/k8s.go:237", None);
                };
                if create {
                    out.push(log("info", "secret already exists", "cmd/create.go:33", None, now));
                    return Next::Exit(0);
                }
                if !self.patch_validating && !self.patch_mutating {
                    let msg = "patch-validating=false, patch-mutating=false. You must patch at least one kind of webhook, otherwise this command is a no-op";
                    return fatal(out, msg, "cmd/patch.go:106", None);
                }
                if !matches!(self.failure_policy.as_str(), "" | "Fail" | "Ignore") {
                    let msg = format!("patch-failure-policy {} is not valid", self.failure_policy);
                    return fatal(out, &msg, "cmd/patch.go:106", None);
                }
                self.ca = ca;
                let msg = format!(
                    "patching webhook configurations '{}' mutating={}, validating={}, failurePolicy={}",
                    self.webhook, self.patch_mutating, self.patch_validating, self.failure_policy
                );
                out.push(log("info", &msg, "k8s/k8s.go:118", None, now));
                let mutating = !self.patch_validating;
                self.step = Step::GetHook { mutating };
                Next::Call(self.get(&self.hook_path(mutating)))
            }
            Step::Created => match status {
                201 => Next::Exit(0),
                _ => fatal(out, "failed creating secret", "k8s/k8s.go:256", Some(&message(body))),
            },
            Step::GetHook { mutating } => {
                let kind = if mutating { "mutating" } else { "validating" };
                if status != 200 {
                    let msg = format!("failed getting {kind} webhook");
                    return fatal(out, &msg, "cmd/patch.go:103", Some(&message(body)));
                }
                let mut config: Value = serde_json::from_str(body).unwrap_or(Value::Null);
                // Only objects are indexed: `IndexMut` on another JSON value would panic.
                let hooks = config.get_mut("webhooks").and_then(Value::as_array_mut).into_iter().flatten();
                for h in hooks.filter_map(Value::as_object_mut) {
                    let cc = h.entry("clientConfig").or_insert_with(|| serde_json::json!({}));
                    if let Some(cc) = cc.as_object_mut() {
                        cc.insert("caBundle".into(), Value::String(b64(&self.ca)));
                    }
                    if !self.failure_policy.is_empty() {
                        h.insert("failurePolicy".into(), Value::String(self.failure_policy.clone()));
                    }
                }
                self.step = Step::PutHook { mutating };
                Next::Call(NetCall::Api {
                    method: "PUT".into(),
                    path: self.hook_path(mutating),
                    body: Some(config.to_string()),
                })
            }
            Step::PutHook { mutating } => {
                if status != 200 {
                    let kind = if mutating { "mutating" } else { "validating" };
                    let msg = format!("failed patching {kind} webhook");
                    return fatal(out, &msg, "cmd/patch.go:103", Some(&message(body)));
                }
                if !mutating && self.patch_mutating {
                    self.step = Step::GetHook { mutating: true };
                    return Next::Call(self.get(&self.hook_path(true)));
                }
                out.push(log("info", "Patched hook(s)", "k8s/k8s.go:138", None, now));
                Next::Exit(0)
            }
        }
    }

    fn post_secret(&mut self, now: DateTime<Utc>) -> Next {
        let seed = format!("{} {} {}", self.hostname, self.host, now.timestamp());
        let ca = pem("CERTIFICATE", &format!("ca {seed}"), 388);
        let cert = pem("CERTIFICATE", &format!("cert {seed}"), 467);
        let key = pem("EC PRIVATE KEY", &format!("key {seed}"), 121);
        let secret = serde_json::json!({
            "apiVersion": "v1", "kind": "Secret", "metadata": {"name": self.secret},
            "data": {"ca": b64(&ca), "cert": b64(&cert), "key": b64(&key)},
        });
        self.step = Step::Created;
        let path = format!("/api/v1/namespaces/{}/secrets", self.namespace);
        Next::Call(NetCall::Api { method: "POST".into(), path, body: Some(secret.to_string()) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn create_then_patch() {
        let now = crate::sim::epoch();
        let mut out = Vec::new();
        let (mut c, call) =
            Certgen::start(&args("create --host=a,a.ns.svc --namespace=ns --secret-name=s"), "pod-1").unwrap();
        assert_eq!(
            call,
            NetCall::Api { method: "GET".into(), path: "/api/v1/namespaces/ns/secrets/s".into(), body: None }
        );
        let missing = r#"{"kind":"Status","message":"secrets \"s\" not found","code":404}"#;
        let Next::Call(NetCall::Api { method, body: Some(body), .. }) = c.answer(404, missing, now, &mut out) else {
            panic!("no POST")
        };
        assert_eq!(method, "POST");
        assert!(
            body.contains(r#""name":"s""#) && body.contains(r#""ca":"LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0t"#),
            "{body}"
        );
        assert_eq!(c.answer(201, "{}", now, &mut out), Next::Exit(0));
        assert_eq!(
            out,
            [
                r#"{"err":"secrets \"s\" not found","level":"info","msg":"no secret found","source":"k8s/k8s.go:229","time":"2025-01-01T00:00:00Z"}"#,
                r#"{"level":"info","msg":"creating new secret","source":"cmd/create.go:28","time":"2025-01-01T00:00:00Z"}"#,
            ]
        );

        out.clear();
        let patch = args(
            "patch --webhook-name=w --namespace=ns --patch-mutating=false --secret-name=s --patch-failure-policy=Fail",
        );
        let (mut p, _) = Certgen::start(&patch, "pod-2").unwrap();
        assert_eq!(p.answer(404, missing, now, &mut out), Next::Exit(1));
        assert_eq!(
            out[1],
            r#"{"level":"fatal","msg":"no secret with 's' in 'ns'","source":"cmd/patch.go:106","time":"2025-01-01T00:00:00Z"}"#
        );

        out.clear();
        let (mut p, _) = Certgen::start(&patch, "pod-2").unwrap();
        let secret = r#"{"data":{"ca":"Q0E="}}"#;
        let Next::Call(NetCall::Api { path, .. }) = p.answer(200, secret, now, &mut out) else { panic!("no GET") };
        assert_eq!(path, "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/w");
        let hook = r#"{"metadata":{"name":"w"},"webhooks":[{"name":"x","clientConfig":{}}]}"#;
        let Next::Call(NetCall::Api { method, body: Some(body), .. }) = p.answer(200, hook, now, &mut out) else {
            panic!("no PUT")
        };
        assert_eq!(method, "PUT");
        assert_eq!(
            body,
            r#"{"metadata":{"name":"w"},"webhooks":[{"clientConfig":{"caBundle":"Q0E="},"failurePolicy":"Fail","name":"x"}]}"#
        );
        assert_eq!(p.answer(200, "{}", now, &mut out), Next::Exit(0));
        assert_eq!(
            out,
            [
                r#"{"level":"info","msg":"patching webhook configurations 'w' mutating=false, validating=true, failurePolicy=Fail","source":"k8s/k8s.go:118","time":"2025-01-01T00:00:00Z"}"#,
                r#"{"level":"info","msg":"Patched hook(s)","source":"k8s/k8s.go:138","time":"2025-01-01T00:00:00Z"}"#,
            ]
        );
        // A body that is not what the API server sends ends the program, never panics it.
        let (mut p, _) = Certgen::start(&patch, "pod-2").unwrap();
        p.answer(200, secret, now, &mut out);
        assert!(matches!(p.answer(200, r#"{"webhooks":[1,{"clientConfig":"x"}]}"#, now, &mut out), Next::Call(_)));
        assert!(matches!(p.answer(200, "[]", now, &mut out), Next::Exit(0)));
        assert_eq!(
            Certgen::start(&args("create --namespace=ns"), "p").unwrap_err(),
            ("Error: required flag(s) \"host\", \"secret-name\" not set\n".to_string(), 1)
        );
    }
}
