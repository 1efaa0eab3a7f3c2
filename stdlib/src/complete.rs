//! Completion: what may come at the cursor. In a script: functions (kubesim's, Rhai's and the
//! user's), variables, keywords and the keys of a map held in a variable; in a `kubectl ...`
//! line or the string of `kubectl("...")`: verbs, kinds, flags and their values, and the names
//! of objects in the current cluster; in `get("...")` and `delete("...")`: kinds and names.
//!
//! Positions are counted in Unicode code points, as Jupyter counts them. Matches are sorted
//! and de-duplicated, so the same input always completes the same way.

use std::collections::BTreeSet;

use controlplane::fileaccess::FileAccess;
use controlplane::kubectl::flags::FlagSpec;
use controlplane::kubectl::{Args, Verb, VERBS};
use controlplane::model::{Kind, KINDS};
use controlplane::sim::Cluster;

use crate::docs::callable;
use crate::session::Session;
use crate::syntax::{is_ident_char, script_tokens, Class, Mode, Token, KEYWORDS};

/// What completes the text between `start` and `end` (code points).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Completions {
    pub start: usize,
    pub end: usize,
    pub matches: Vec<String>,
}

/// The byte offset of code point `cursor` (the end if past it).
pub(crate) fn byte_at(code: &str, cursor: usize) -> usize {
    code.char_indices().nth(cursor).map_or(code.len(), |(i, _)| i)
}

fn code_points(s: &str) -> usize {
    s.chars().count()
}

impl Session {
    /// Completions for `code` with the cursor at code point `cursor`.
    pub fn complete(&self, code: &str, cursor: usize) -> Completions {
        let at = byte_at(code, cursor);
        let prefix = &code[..at];
        let (start, mut matches) = match Mode::of(code) {
            Mode::Kubectl => {
                let cluster = self.cluster();
                let c = cluster.0.borrow();
                let files = self.state.borrow().files.clone();
                kubectl(&c, prefix, &files)
            }
            Mode::Yaml => (at, Vec::new()),
            Mode::Script => self.complete_script(prefix),
        };
        matches.sort();
        matches.dedup();
        Completions { start: code_points(&code[..start]), end: code_points(prefix), matches }
    }

    fn complete_script(&self, prefix: &str) -> (usize, Vec<String>) {
        let tokens = script_tokens(prefix);
        if let Some(last) = tokens.last().filter(|t| t.end == prefix.len()) {
            let text = &prefix[last.start..last.end];
            match last.class {
                Class::Comment if text.starts_with("//") || !last.closed => return (prefix.len(), Vec::new()),
                Class::String if !last.closed => return self.complete_in_string(prefix, &tokens),
                _ => {}
            }
        }
        let start =
            prefix.char_indices().rev().take_while(|(_, c)| is_ident_char(*c)).last().map_or(prefix.len(), |x| x.0);
        let word = &prefix[start..];
        if word.starts_with(|c: char| c.is_ascii_digit()) {
            return (start, Vec::new());
        }
        let before = &prefix[..start];
        if before.ends_with('.') && !before.ends_with("..") {
            return (start, self.complete_member(&before[..before.len() - 1], word));
        }
        let mut names: BTreeSet<String> = self.function_names();
        names.extend(self.scope.iter_raw().map(|(name, _, _)| name.to_string()));
        names.extend(KEYWORDS.iter().map(|k| k.to_string()));
        (start, names.into_iter().filter(|n| n.starts_with(word)).collect())
    }

    /// After `path.`: the keys of the map that `path` (a variable, then keys) names, else the
    /// functions (any function can be called as a method on its first argument).
    fn complete_member(&self, path: &str, word: &str) -> Vec<String> {
        let start = path.char_indices().rev().take_while(|(_, c)| is_ident_char(*c) || *c == '.').last().map(|x| x.0);
        let mut keys = start.map(|s| path[s..].split('.')).into_iter().flatten();
        let value = keys.next().and_then(|root| {
            let (_, _, v) = self.scope.iter_raw().filter(|(name, _, _)| *name == root).last()?;
            keys.try_fold(v.clone(), |v, k| v.read_lock::<rhai::Map>().and_then(|m| m.get(k).cloned()))
        });
        let keys: Option<Vec<String>> =
            value.as_ref().and_then(|v| v.read_lock::<rhai::Map>().map(|m| m.keys().map(|k| k.to_string()).collect()));
        match keys {
            Some(keys) => keys.into_iter().filter(|k| callable(k) && k.starts_with(word)).collect(),
            None => self.function_names().into_iter().filter(|n| n.starts_with(word)).collect(),
        }
    }

    /// Inside a string literal: the arguments of kubectl(), get(), delete() and help().
    fn complete_in_string(&self, prefix: &str, tokens: &[Token]) -> (usize, Vec<String>) {
        let string = tokens[tokens.len() - 1];
        let content_start = string.start + 1;
        let content = &prefix[content_start..];
        let Some((name, args)) = enclosing_call(prefix, &tokens[..tokens.len() - 1]) else {
            return (prefix.len(), Vec::new());
        };
        let cluster = self.cluster();
        let c = cluster.0.borrow();
        let arg = args.len();
        let (start, matches) = match (name, arg) {
            ("kubectl", 0) => {
                let (start, matches) = kubectl(&c, content, &self.files());
                (content_start + start, matches)
            }
            ("get" | "delete", 0) => (content_start, kinds(content)),
            ("get" | "delete", 1) => {
                let kind = args[0].and_then(Kind::from_resource_name);
                let names = kind.map(|k| object_names(&c, k, &Namespace::One("default".into()))).unwrap_or_default();
                (content_start, names)
            }
            ("get" | "delete", 2) => (content_start, object_names(&c, Kind::Namespace, &Namespace::All)),
            ("help", 0) => (content_start, self.function_names().into_iter().collect()),
            _ => return (prefix.len(), Vec::new()),
        };
        (start, matches.into_iter().filter(|m| m.starts_with(&prefix[start..])).collect())
    }

    /// Names of the functions a script can call: kubesim's, Rhai's and the user's.
    pub(crate) fn function_names(&self) -> BTreeSet<String> {
        let mut names: BTreeSet<String> = self
            .engine
            .collect_fn_metadata(None, |f| callable(&f.metadata.name).then(|| f.metadata.name.to_string()), true)
            .into_iter()
            .collect();
        names.extend(self.functions.iter_functions().map(|f| f.name.to_string()));
        names
    }
}

/// The call whose argument list the tokens end in: its name and, for each argument before
/// the current one, its value when it is a plain string literal.
fn enclosing_call<'a>(code: &'a str, tokens: &[Token]) -> Option<(&'a str, Vec<Option<&'a str>>)> {
    let mut depth = 0;
    let mut args = Vec::new();
    let mut arg_start = tokens.len();
    for i in (0..tokens.len()).rev() {
        let t = tokens[i];
        let text = &code[t.start..t.end];
        match (t.class, text) {
            (Class::Bracket, ")" | "]" | "}") => depth += 1,
            (Class::Bracket, _) if depth > 0 => depth -= 1,
            (Class::Bracket, "(") => {
                args.push(string_value(code, &tokens[i + 1..arg_start]));
                args.reverse();
                args.pop();
                let name =
                    tokens.get(i.checked_sub(1)?).filter(|t| matches!(t.class, Class::Function | Class::Ident))?;
                return Some((&code[name.start..name.end], args));
            }
            (Class::Bracket, _) => return None,
            (Class::Operator, ",") if depth == 0 => {
                args.push(string_value(code, &tokens[i + 1..arg_start]));
                arg_start = i;
            }
            (Class::Operator, ";") if depth == 0 => return None,
            _ => {}
        }
    }
    None
}

/// The value of an argument that is one string literal without escapes.
fn string_value<'a>(code: &'a str, tokens: &[Token]) -> Option<&'a str> {
    match tokens {
        [t] if t.class == Class::String && t.closed => {
            let inner = &code[t.start + 1..t.end - 1];
            (!inner.contains(['\\', '$'])).then_some(inner)
        }
        _ => None,
    }
}

/// Which namespace a kubectl line looks in.
enum Namespace {
    All,
    One(String),
}

fn namespace_of(words: &[&str]) -> Namespace {
    let mut ns = Namespace::One("default".into());
    for (i, w) in words.iter().enumerate() {
        let next = words.get(i + 1).map(|s| s.to_string());
        match *w {
            "-A" | "--all-namespaces" | "--all-namespaces=true" => return Namespace::All,
            "-n" | "--namespace" => ns = next.map_or(ns, Namespace::One),
            _ => {
                if let Some(v) = w.strip_prefix("--namespace=").or_else(|| w.strip_prefix("-n")) {
                    ns = Namespace::One(v.trim_start_matches('=').to_string());
                }
            }
        }
    }
    ns
}

/// The flag a word names, if it is a flag of `verb` given without its value.
fn flag_awaiting_value(verb: &Verb, word: &str) -> Option<&'static FlagSpec> {
    let spec = if let Some(long) = word.strip_prefix("--") {
        verb.flags.iter().find(|f| f.long == long)
    } else {
        let mut chars = word.strip_prefix('-')?.chars();
        let c = chars.next()?;
        chars.next().is_none().then(|| verb.flags.iter().find(|f| f.short == Some(c))).flatten()
    };
    spec.filter(|f| f.takes_value)
}

/// Completions in a kubectl command line (with or without its leading `kubectl`): the byte
/// offset in `text` where the completed word starts, and the matches.
fn kubectl(cluster: &Cluster, text: &str, files: &FileAccess) -> (usize, Vec<String>) {
    let start = text.rfind(|c: char| c.is_ascii_whitespace()).map_or(0, |i| i + 1);
    let current = &text[start..];
    let mut words: Vec<&str> = text[..start].split_ascii_whitespace().collect();
    if words.first() == Some(&"kubectl") {
        words.remove(0);
    }
    let filter = |all: Vec<String>, prefix: &str| all.into_iter().filter(|m| m.starts_with(prefix)).collect::<Vec<_>>();
    let Some((&verb, rest)) = words.split_first() else {
        return (start, filter(VERBS.iter().map(|v| v.name.to_string()).collect(), current));
    };
    let Some(verb) = VERBS.iter().find(|v| v.name == verb) else {
        return (start, Vec::new());
    };
    let ns = namespace_of(rest);
    if let Some(spec) = rest.last().and_then(|w| flag_awaiting_value(verb, w)) {
        return (start, filter(flag_values(cluster, spec, current, files), current));
    }
    if let Some((name, value)) = current.strip_prefix("--").and_then(|b| b.split_once('=')) {
        let Some(spec) = verb.flags.iter().find(|f| f.long == name && f.takes_value) else {
            return (start, Vec::new());
        };
        return (start + 3 + name.len(), filter(flag_values(cluster, spec, value, files), value));
    }
    if current.starts_with('-') {
        let mut all = Vec::new();
        for f in verb.flags {
            all.push(format!("--{}", f.long));
            all.extend(f.short.map(|s| format!("-{s}")));
        }
        return (start, filter(all, current));
    }
    let mut positional = Vec::new();
    let mut i = 0;
    while i < rest.len() {
        if flag_awaiting_value(verb, rest[i]).is_some() {
            i += 1;
        } else if !rest[i].starts_with('-') {
            positional.push(rest[i]);
        }
        i += 1;
    }
    match verb.args {
        Args::Nothing => (start, Vec::new()),
        Args::Nodes => {
            // `taint nodes NAME`: the kind first, then node names.
            if verb.name == "taint" && positional.is_empty() {
                return (start, filter(vec!["node".into(), "nodes".into()], current));
            }
            (start, filter(object_names(cluster, Kind::Node, &Namespace::All), current))
        }
        Args::Subcommand(subs) => match positional.first() {
            None => (start, filter(subs.iter().map(|s| s.to_string()).collect(), current)),
            // `rollout status deploy/web`, `set image deployment/web`: resources after the subcommand.
            Some(_) if ["rollout", "set"].contains(&verb.name) => {
                if let Some((kind, _)) = current.split_once('/') {
                    let names =
                        Kind::from_resource_name(kind).map(|k| object_names(cluster, k, &ns)).unwrap_or_default();
                    return (start, filter(names.into_iter().map(|n| format!("{kind}/{n}")).collect(), current));
                }
                (start, kinds(current))
            }
            Some(_) => (start, Vec::new()),
        },
        Args::Resources => {
            if let Some((kind, _)) = current.split_once('/') {
                let names = Kind::from_resource_name(kind).map(|k| object_names(cluster, k, &ns)).unwrap_or_default();
                let all = names.into_iter().map(|n| format!("{kind}/{n}")).collect();
                return (start, filter(all, current));
            }
            match positional.first() {
                Some(first) if !first.contains('/') => {
                    let mut names = Vec::new();
                    for k in first.split(',').filter_map(Kind::from_resource_name) {
                        names.extend(object_names(cluster, k, &ns));
                    }
                    (start, filter(names, current))
                }
                _ => {
                    let comma = current.rfind(',').map_or(0, |i| i + 1);
                    (start + comma, kinds(&current[comma..]))
                }
            }
        }
    }
}

/// The values a flag takes: its fixed set, namespaces, or file names.
fn flag_values(cluster: &Cluster, spec: &FlagSpec, current: &str, files: &FileAccess) -> Vec<String> {
    match spec.long {
        _ if !spec.values.is_empty() => spec.values.iter().map(|v| v.to_string()).collect(),
        "namespace" => object_names(cluster, Kind::Namespace, &Namespace::All),
        "filename" => paths(current, files),
        _ => Vec::new(),
    }
}

/// Kind names kubectl accepts that start with `prefix`: plural, singular and short names, and
/// group-qualified names (`deployment.apps`) once the prefix has a dot.
fn kinds(prefix: &str) -> Vec<String> {
    let lower = prefix.to_ascii_lowercase();
    let mut out = Vec::new();
    for k in KINDS {
        let mut names: Vec<String> = vec![k.plural.into(), k.singular.into()];
        names.extend(k.short_names.iter().map(|s| s.to_string()));
        if prefix.contains('.') && !k.group.is_empty() {
            names.push(k.group_resource());
            names.push(k.group_singular());
        }
        out.extend(names.into_iter().filter(|n| n.starts_with(&lower)));
    }
    out
}

/// Names of the objects of a kind (in one namespace, or all), read without a request.
fn object_names(cluster: &Cluster, kind: Kind, ns: &Namespace) -> Vec<String> {
    let namespace = match ns {
        Namespace::One(n) if kind.info().namespaced => Some(n.as_str()),
        _ => None,
    };
    cluster.api_ref().peek_list(kind, namespace).iter().map(|o| o.metadata().name.clone().unwrap_or_default()).collect()
}

/// Files and directories (with a trailing `/`) whose path starts with `prefix`, listed only
/// where the file-access policy lets the session read.
fn paths(prefix: &str, files: &FileAccess) -> Vec<String> {
    let (dir, base) = match prefix.rfind('/') {
        Some(i) => (&prefix[..=i], &prefix[i + 1..]),
        None => ("", prefix),
    };
    let Ok(entries) = files.read_dir(if dir.is_empty() { "." } else { dir }) else {
        return Vec::new();
    };
    entries
        .into_iter()
        .filter(|e| e.name.starts_with(base) && (!e.name.starts_with('.') || base.starts_with('.')))
        .map(|e| format!("{dir}{}{}", e.name, if e.is_dir { "/" } else { "" }))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SessionOptions;

    /// Completes `input` at the `|` in it (or at its end) after running `setup`; `expect` is
    /// the replaced text and the matches, `text → a b c`.
    fn check(setup: &str, input: &str, expect: &str) {
        // The session works in this crate's folder.
        let files = FileAccess::working_directory(std::path::Path::new(env!("CARGO_MANIFEST_DIR")));
        let mut s = Session::new(SessionOptions { files, ..SessionOptions::default() });
        if !setup.is_empty() {
            let out = s.execute(setup);
            assert_eq!(out.error, None, "{setup}");
        }
        let cursor = input.find('|').map_or(input.chars().count(), |b| input[..b].chars().count());
        let code = input.replacen('|', "", 1);
        let c = s.complete(&code, cursor);
        assert_eq!(c.end, cursor, "{input}");
        let replaced: String = code.chars().skip(c.start).take(c.end - c.start).collect();
        let got = format!("{replaced} → {}", c.matches.join(" "));
        assert_eq!(got.trim(), expect, "{input}");
    }

    const WEB: &str = "apply(`
apiVersion: v1
kind: Pod
metadata: {name: web-7d4b9c}
spec: {containers: [{name: c, image: nginx}]}
`);
apply(`
apiVersion: v1
kind: Pod
metadata: {name: worker}
spec: {containers: [{name: c, image: nginx}]}
`);
apply(`
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 0
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: c, image: nginx}]}
`);";

    #[test]
    fn script_names() {
        check("", "adv", "adv → advance");
        check("", "run_u", "run_u → run_until");
        check("", "let x = kub|", "kub → kubectl");
        check("", "wh", "wh → while");
        check("let webserver = 1; fn wobble(x) { x }", "we", "we → webserver");
        check("let webserver = 1; fn wobble(x) { x }", "wo", "wo → wobble");
        check("", "w", "w → while write_ascii write_be write_le write_utf8");
        check("", "x.to_up", "to_up → to_upper");
        check("", "1.5", "5 →");
        check("", "// adv", "→");
        check("", "\"adv", "→");
        check("", "\"größe\"; adv", "adv → advance");
        check("let gross = 1;", "\"größe\" + gr| + 1", "gr → gross");
    }

    #[test]
    fn map_keys() {
        check("let n = get(\"node\", \"node-1\");", "n.st", "st → status");
        check("let n = get(\"node\", \"node-1\");", "n.status.capacity.c", "c → cpu");
        check("let m = #{alpha: 1, beta: #{gamma: 2}, \"not ok\": 3};", "m.", "→ alpha beta");
        check("let m = #{alpha: 1, beta: #{gamma: 2}};", "m.beta.", "→ gamma");
    }

    #[test]
    fn kubectl_lines() {
        check("", "kubectl ", "→ annotate api-resources api-versions apply attach autoscale cluster-info config cordon cp create delete describe diff drain edit events exec explain expose get label logs patch port-forward replace rollout run scale set taint top uncordon version wait");
        check("", "kubectl g", "g → get");
        check("", "kubectl get deploy", "deploy → deploy deployment deployments");
        check("", "kubectl get deployment.", "deployment. → deployment.apps");
        check("", "kubectl get deployments.", "deployments. → deployments.apps");
        check("", "kubectl get pods,s", "s → sa sc secret secrets service serviceaccount serviceaccounts services statefulset statefulsets storageclass storageclasses sts svc");
        check(WEB, "kubectl get pods we", "we → web-7d4b9c");
        check(WEB, "kubectl get pods -n default w", "w → web-7d4b9c worker");
        check(WEB, "kubectl get pods -n kube-system etcd", "etcd → etcd-control-plane");
        check(WEB, "kubectl get pods etcd", "etcd →");
        check(WEB, "kubectl get pods -A etcd", "etcd → etcd-control-plane");
        check(WEB, "kubectl get pod/w", "pod/w → pod/web-7d4b9c pod/worker");
        check(WEB, "kubectl get deploy,po w", "w → web web-7d4b9c worker");
        check("", "kubectl get node n", "n → node-1 node-2 node-3");
        check("", "kubectl get -n kube-", "kube- → kube-node-lease kube-public kube-system");
        check("", "kubectl get pods --namespace=kube-p", "kube-p → kube-public");
        check(
            "",
            "kubectl get pods -o ",
            "→ custom-columns-file= custom-columns= json jsonpath-as-json= jsonpath-file= jsonpath= name wide yaml",
        );
        check("", "kubectl get pods --output=y", "y → yaml");
        check("", "kubectl get pods --sh", "--sh → --show-labels");
        check("", "kubectl get pods -", "- → --all-namespaces --allow-missing-template-keys --field-selector --filename --ignore-not-found --namespace --no-headers --output --recursive --request-timeout --selector --show-labels --sort-by --template --watch --watch-only -A -R -f -l -n -o -w");
        check("", "kubectl apply -", "- → --dry-run --filename --namespace --output --recursive -R -f -n -o");
        check("", "kubectl apply -f ../stdlib/Cargo.t", "../stdlib/Cargo.t → ../stdlib/Cargo.toml");
        // issue 10: nothing is listed where the session may not read.
        check("", "kubectl apply -f ../Cargo.t", "../Cargo.t →");
        check("", "kubectl apply -f /et", "/et →");
        check("", "kubectl apply x", "x →");
        check("", "kubectl frobnicate p", "p →");
        check(
            "",
            "kubectl get n|odes",
            "n → namespace namespaces netpol networkpolicies networkpolicy no node nodes ns",
        );
    }

    #[test]
    fn strings_of_calls() {
        check(WEB, "kubectl(\"get pods we", "we → web-7d4b9c");
        check(WEB, "print(kubectl(\"get po/w", "po/w → po/web-7d4b9c po/worker");
        check("", "kubectl(\"ge", "ge → get");
        check("", "kubectl(`get no", "no → no node nodes");
        check("", "let c = cluster(); c.kubectl(\"get nodes n", "n → node-1 node-2 node-3");
        check("", "get(\"deploym", "deploym → deployment deployments");
        check(WEB, "get(\"pods\", \"w", "w → web-7d4b9c worker");
        check(WEB, "delete(\"deploy\", \"", "→ web");
        check(WEB, "get(\"pod\", \"etcd", "etcd →");
        check("", "get(\"pod\", \"etcd-control-plane\", \"kube-s", "kube-s → kube-system");
        check("", "help(\"adv", "adv → advance");
        check("", "print(\"adv", "→");
        check("", "f(1); kubectl(\"x\"); \"ge", "→");
    }

    #[test]
    fn yaml_has_no_completions() {
        check("", "apiVersion: v1\nki", "→");
    }
}
