//! `kubectl diff -f FILE|DIR|URL|- [-R] [-n NS]`: each object as the cluster has it (LIVE) and
//! as `kubectl apply` would leave it (MERGED: the same apply, sent as a server-side dry run),
//! printed as YAML and compared as kubectl's `diff -u -N` compares its two temporary folders,
//! a file per object named `<group>.<version>.<Kind>.<namespace>.<name>`. kubectl exits 1
//! when there are differences; here the diff is the answer either way, and nothing is changed.

use serde_json::Value;
use similar::TextDiff;

use super::apply::apply_one;
use super::command::Input;
use super::flags::{flag, parse, FlagSpec};
use super::printers::{printable, to_yaml};
use crate::client::{Client, Waiter};
use crate::model::{decode, Object};

pub(super) const FLAGS: &[FlagSpec] =
    &[flag("filename", Some('f'), true), flag("namespace", Some('n'), true), flag("recursive", Some('R'), false)];

pub fn run(
    client: &mut dyn Client,
    waiter: &mut dyn Waiter,
    args: &[&str],
    input: Input<'_>,
) -> Result<String, String> {
    let flags = parse(args, FLAGS)?;
    super::flags::no_arguments(&flags, "diff")?;
    if flags.all("filename").is_empty() {
        return Err("error: must specify one of -f and -k".into());
    }
    let namespace = flags.get("namespace").unwrap_or("default");
    let documents = super::files::documents(&flags, input, Some("creating"))?;
    // os.MkdirTemp's folders, numbered from the simulated clock so a run is repeatable.
    let now = waiter.now();
    let stamp = now.format("%Y-%m-%d %H:%M:%S%.9f %z").to_string();
    let seed = now.timestamp_nanos_opt().unwrap_or_default() as u64;
    let (live_dir, merged_dir) = (format!("/tmp/LIVE-{}", folder(seed)), format!("/tmp/MERGED-{}", folder(!seed)));
    client.set_dry_run(true);
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for (source, doc) in documents {
        let compared = doc.and_then(|doc| {
            let kind = decode::kind_of(&doc).ok();
            let name = doc.pointer("/metadata/name").and_then(|n| n.as_str()).unwrap_or("").to_string();
            let ns = doc.pointer("/metadata/namespace").and_then(|n| n.as_str()).unwrap_or(namespace).to_string();
            let live = kind.and_then(|k| {
                let ns = if k.info().namespaced { ns.as_str() } else { "" };
                client.get(k, ns, &name).ok().map(|r| r.into_body())
            });
            let (_, merged) = apply_one(client, doc, &source, namespace, false)?;
            Ok((live, merged))
        });
        match compared {
            Ok((live, merged)) => {
                let file = file_name(&merged);
                let mut live = live.as_deref().map(printable);
                let mut merged_value = printable(&merged);
                if matches!(*merged, Object::Secret(_)) {
                    mask(live.as_mut(), &mut merged_value);
                }
                let live_text = live.as_ref().map(to_yaml).unwrap_or_default();
                let merged_text = to_yaml(&merged_value);
                if live_text != merged_text {
                    let (from, to) = (format!("{live_dir}/{file}"), format!("{merged_dir}/{file}"));
                    let diff = TextDiff::from_lines(&live_text, &merged_text);
                    let unified = diff
                        .unified_diff()
                        .context_radius(3)
                        .header(
                            &format!("{from}\t{}", if live.is_some() { &stamp } else { ABSENT }),
                            &format!("{to}\t{stamp}"),
                        )
                        .to_string();
                    out.push((file, format!("diff -u -N {from} {to}\n{}", unified.trim_end())));
                }
            }
            Err(e) => errors.push(e),
        }
    }
    client.set_dry_run(false);
    // diff walks the two folders in name order.
    out.sort();
    let mut lines: Vec<String> = out.into_iter().map(|(_, block)| block).collect();
    if errors.is_empty() {
        Ok(lines.join("\n"))
    } else {
        lines.extend(errors);
        Err(lines.join("\n"))
    }
}

/// The time `diff -N` gives a file that is not there (kubectl writes no LIVE file for an
/// object the cluster does not have).
const ABSENT: &str = "1970-01-01 00:00:00.000000000 +0000";

/// A Secret's values are not shown (kubectl's `Masker`): each is `***`, and one that the
/// apply would change is `*** (before)` and `*** (after)`, so the diff still shows it.
fn mask(live: Option<&mut Value>, merged: &mut Value) {
    let data = |v: &Value| v.get("data").and_then(Value::as_object).cloned().unwrap_or_default();
    let before = live.as_deref().map(data).unwrap_or_default();
    let after = data(merged);
    let masked = |v: &str| Value::String(v.to_string());
    if let (Some(live), false) = (live, before.is_empty()) {
        let changed = |k: &String| after.get(k).is_some_and(|a| Some(a) != before.get(k));
        let keys = before.keys().map(|k| (k.clone(), masked(if changed(k) { "*** (before)" } else { "***" })));
        live["data"] = Value::Object(keys.collect());
    }
    if !after.is_empty() {
        let changed = |k: &String| before.get(k).is_some_and(|b| Some(b) != after.get(k));
        let keys = after.keys().map(|k| (k.clone(), masked(if changed(k) { "*** (after)" } else { "***" })));
        merged["data"] = Value::Object(keys.collect());
    }
}

/// kubectl's name for an object's file: `apps.v1.Deployment.default.web`, `v1.Namespace..dev`.
fn file_name(obj: &Object) -> String {
    let info = obj.info();
    let (group, version) = match info.api_version().split_once('/') {
        Some((group, version)) => (format!("{group}."), version.to_string()),
        None => (String::new(), info.api_version()),
    };
    let namespace = if info.namespaced { obj.namespace() } else { "" };
    format!("{group}{version}.{}.{namespace}.{}", info.name, obj.name())
}

/// A folder number as Go's `os.MkdirTemp` makes one: a decimal `uint32`.
fn folder(seed: u64) -> u32 {
    let mut z = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    (z ^ (z >> 31)) as u32
}
