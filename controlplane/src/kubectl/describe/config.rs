//! ConfigMaps, Secrets and ServiceAccounts.

use k8s_openapi::api::core::v1::{ConfigMap, Secret, ServiceAccount};

use super::common::*;
use super::writer::{out, Writer};
use super::Ctx;
use crate::model::selector::LabelSelector;
use crate::model::{Kind, Object, Typed};

const SERVICE_ACCOUNT_TOKEN: &str = "kubernetes.io/service-account-token";

pub(super) fn describe_configmap(ctx: &mut Ctx<'_>, obj: &Object) -> Result<String, String> {
    let cm = ConfigMap::from_object(obj).ok_or("not a config map")?;
    let meta = &cm.metadata;
    let mut w = Writer::new();
    out!(w, 0, "Name:\t{}\n", s(&meta.name));
    out!(w, 0, "Namespace:\t{}\n", s(&meta.namespace));
    labels_multiline(&mut w, "Labels", meta.labels.as_ref());
    annotations_multiline(&mut w, "Annotations", meta.annotations.as_ref());
    w.write(0, "\nData\n====\n");
    for (k, v) in strings(&cm.data) {
        out!(w, 0, "{k}:\n----\n");
        out!(w, 0, "{v}\n");
        w.write(0, "\n");
    }
    w.write(0, "\nBinaryData\n====\n");
    for (k, v) in cm.binary_data.iter().flatten() {
        out!(w, 0, "{k}: {} bytes\n", v.0.len());
    }
    w.write(0, "\n");
    if let Some(mut events) = ctx.events_for(obj) {
        describe_events(&mut w, &mut events, ctx.now);
    }
    Ok(w.finish())
}

pub(super) fn describe_secret(_ctx: &mut Ctx<'_>, obj: &Object) -> Result<String, String> {
    let secret = Secret::from_object(obj).ok_or("not a secret")?;
    let meta = &secret.metadata;
    let type_ = s(&secret.type_);
    let mut w = Writer::new();
    out!(w, 0, "Name:\t{}\n", s(&meta.name));
    out!(w, 0, "Namespace:\t{}\n", s(&meta.namespace));
    labels_multiline(&mut w, "Labels", meta.labels.as_ref());
    annotations_multiline(&mut w, "Annotations", meta.annotations.as_ref());
    out!(w, 0, "\nType:\t{type_}\n");
    w.write(0, "\nData\n====\n");
    for (k, v) in secret.data.iter().flatten() {
        if k == "token" && type_ == SERVICE_ACCOUNT_TOKEN {
            out!(w, 0, "{k}:\t{}\n", String::from_utf8_lossy(&v.0));
        } else {
            out!(w, 0, "{k}:\t{} bytes\n", v.0.len());
        }
    }
    Ok(w.finish())
}

pub(super) fn describe_service_account(ctx: &mut Ctx<'_>, obj: &Object) -> Result<String, String> {
    let sa = ServiceAccount::from_object(obj).ok_or("not a service account")?;
    let meta = &sa.metadata;
    let (name, uid) = (s(&meta.name), s(&meta.uid));
    let secrets = ctx.list(Kind::Secret, Some(s(&meta.namespace)), &LabelSelector::everything());
    let mut tokens: Vec<String> = Vec::new();
    let mut existing: Vec<String> = Vec::new();
    for o in &secrets {
        let Some(secret) = Secret::from_object(o) else { continue };
        if s(&secret.type_) == SERVICE_ACCOUNT_TOKEN {
            let annotations = strings(&secret.metadata.annotations);
            let of = |k: &str| annotations.get(k).map(String::as_str).unwrap_or("");
            if of("kubernetes.io/service-account.name") == name && of("kubernetes.io/service-account.uid") == uid {
                tokens.push(s(&secret.metadata.name).to_string());
            }
        }
        existing.push(s(&secret.metadata.name).to_string());
    }
    let pull: Vec<String> = list(&sa.image_pull_secrets).iter().map(|r| r.name.clone()).collect();
    let mount: Vec<String> = list(&sa.secrets).iter().map(|r| s(&r.name).to_string()).collect();
    let missing = |n: &String| !existing.contains(n);
    let events = ctx.events_for(obj);

    let mut w = Writer::new();
    out!(w, 0, "Name:\t{name}\n");
    out!(w, 0, "Namespace:\t{}\n", s(&meta.namespace));
    labels_multiline(&mut w, "Labels", meta.labels.as_ref());
    annotations_multiline(&mut w, "Annotations", meta.annotations.as_ref());
    // kubectl prints the three lists in the order of their (padded) headers.
    for (header, names) in
        [("Image pull secrets:", &pull), ("Mountable secrets: ", &mount), ("Tokens:            ", &tokens)]
    {
        if names.is_empty() {
            out!(w, 0, "{header}\t<none>\n");
            continue;
        }
        let mut prefix = header;
        for n in names {
            if missing(n) {
                out!(w, 0, "{prefix}\t{n} (not found)\n");
            } else {
                out!(w, 0, "{prefix}\t{n}\n");
            }
            prefix = "                   ";
        }
    }
    if let Some(mut events) = events {
        describe_events(&mut w, &mut events, ctx.now);
    }
    Ok(w.finish())
}
