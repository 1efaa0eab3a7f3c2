//! Roles, ClusterRoles, RoleBindings and ClusterRoleBindings.
//!
//! A role's rules are broken down into one rule per group, resource, verb and resource name,
//! then rules for the same group, resource and name are merged again (their verbs in order of
//! first appearance), and the result is sorted by the rule's Go string form
//! (`&PolicyRule{Verbs:[...],APIGroups:[...],...}`), as kubectl's `rbac.CompactRules` and
//! `SortableRuleSlice` do.

use k8s_openapi::api::rbac::v1::{PolicyRule, RoleRef, Subject};

use super::common::*;
use super::writer::{out, Writer};
use super::Ctx;
use crate::model::Object;

pub(super) fn describe_role(_ctx: &mut Ctx<'_>, obj: &Object) -> Result<String, String> {
    let (meta, rules) = match obj {
        Object::Role(r) => (&r.metadata, list(&r.rules)),
        Object::ClusterRole(r) => (&r.metadata, list(&r.rules)),
        _ => return Err("not a role".into()),
    };
    let rules = compact(rules.iter().flat_map(breakdown).collect());
    let mut w = Writer::new();
    out!(w, 0, "Name:\t{}\n", s(&meta.name));
    labels_multiline(&mut w, "Labels", meta.labels.as_ref());
    annotations_multiline(&mut w, "Annotations", meta.annotations.as_ref());
    w.write(0, "PolicyRule:\n");
    w.write(1, "Resources\tNon-Resource URLs\tResource Names\tVerbs\n");
    w.write(1, "---------\t-----------------\t--------------\t-----\n");
    for r in &rules {
        out!(
            w,
            1,
            "{}\t{}\t{}\t{}\n",
            combine_resource_group(list(&r.resources), list(&r.api_groups)),
            go_list(list(&r.non_resource_urls)),
            go_list(list(&r.resource_names)),
            go_list(&r.verbs)
        );
    }
    Ok(w.finish())
}

/// `BreakdownRule`: one rule per group, resource, verb (and resource name); one per
/// non-resource URL and verb.
fn breakdown(rule: &PolicyRule) -> Vec<PolicyRule> {
    let mut out = Vec::new();
    let one = |v: &String| Some(vec![v.clone()]);
    for group in list(&rule.api_groups) {
        for resource in list(&rule.resources) {
            for verb in &rule.verbs {
                let base = PolicyRule {
                    api_groups: one(group),
                    resources: one(resource),
                    verbs: vec![verb.clone()],
                    ..Default::default()
                };
                let names = list(&rule.resource_names);
                if names.is_empty() {
                    out.push(base);
                } else {
                    out.extend(names.iter().map(|n| PolicyRule { resource_names: one(n), ..base.clone() }));
                }
            }
        }
    }
    for url in list(&rule.non_resource_urls) {
        for verb in &rule.verbs {
            out.push(PolicyRule { non_resource_urls: one(url), verbs: vec![verb.clone()], ..Default::default() });
        }
    }
    out
}

/// `CompactRules` and the stable sort that follows it.
fn compact(rules: Vec<PolicyRule>) -> Vec<PolicyRule> {
    let mut other: Vec<PolicyRule> = Vec::new();
    let mut simple: Vec<PolicyRule> = Vec::new();
    for rule in rules {
        if !list(&rule.non_resource_urls).is_empty() {
            other.push(rule);
            continue;
        }
        let key = |r: &PolicyRule| (r.api_groups.clone(), r.resources.clone(), r.resource_names.clone());
        match simple.iter_mut().find(|r| key(r) == key(&rule)) {
            Some(existing) => {
                for verb in rule.verbs {
                    if !existing.verbs.contains(&verb) {
                        existing.verbs.push(verb);
                    }
                }
            }
            None => simple.push(rule),
        }
    }
    other.extend(simple);
    other.sort_by_key(rule_string);
    other
}

/// The generated `PolicyRule.String()`.
fn rule_string(r: &PolicyRule) -> String {
    format!(
        "&PolicyRule{{Verbs:{},APIGroups:{},Resources:{},ResourceNames:{},NonResourceURLs:{},}}",
        go_list(&r.verbs),
        go_list(list(&r.api_groups)),
        go_list(list(&r.resources)),
        go_list(list(&r.resource_names)),
        go_list(list(&r.non_resource_urls))
    )
}

/// `CombineResourceGroup`: `resource.group/subresource`.
fn combine_resource_group(resources: &[String], groups: &[String]) -> String {
    let Some(first) = resources.first() else { return String::new() };
    let (resource, sub) = match first.split_once('/') {
        Some((r, s)) => (r, Some(s)),
        None => (first.as_str(), None),
    };
    let mut out = resource.to_string();
    if let Some(group) = groups.first().filter(|g| !g.is_empty()) {
        out.push('.');
        out.push_str(group);
    }
    if let Some(sub) = sub {
        out.push('/');
        out.push_str(sub);
    }
    out
}

pub(super) fn describe_binding(_ctx: &mut Ctx<'_>, obj: &Object) -> Result<String, String> {
    let (meta, role_ref, subjects): (_, &RoleRef, &[Subject]) = match obj {
        Object::RoleBinding(b) => (&b.metadata, &b.role_ref, list(&b.subjects)),
        Object::ClusterRoleBinding(b) => (&b.metadata, &b.role_ref, list(&b.subjects)),
        _ => return Err("not a role binding".into()),
    };
    let mut w = Writer::new();
    out!(w, 0, "Name:\t{}\n", s(&meta.name));
    labels_multiline(&mut w, "Labels", meta.labels.as_ref());
    annotations_multiline(&mut w, "Annotations", meta.annotations.as_ref());
    w.write(0, "Role:\n");
    out!(w, 1, "Kind:\t{}\n", role_ref.kind);
    out!(w, 1, "Name:\t{}\n", role_ref.name);
    w.write(0, "Subjects:\n");
    w.write(1, "Kind\tName\tNamespace\n");
    w.write(1, "----\t----\t---------\n");
    for subject in subjects {
        out!(w, 1, "{}\t{}\t{}\n", subject.kind, subject.name, s(&subject.namespace));
    }
    Ok(w.finish())
}
