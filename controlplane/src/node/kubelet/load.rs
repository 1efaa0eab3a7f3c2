//! What the script says pods use, beside the `kubesim.io/cpu`/`memory` annotations: a usage
//! for each pod a target selects (`set_usage`: a busy loop, a leak), and a total load on a
//! target shared evenly among its Running and Ready pods (`set_load`: requests behind a
//! Service, so more pods means less for each). Rules select pods by name or label selector,
//! so they hold for pods made later too. The kubelets compute usage from them
//! ([`super::Kubelets::pod_usage`]), the one place usage is computed.

use crate::model::Pod;
use k8s_openapi::api::core::v1::Container;

use crate::model::quantity::Quantity;
use crate::model::selector::LabelSelector;

/// An amount of a resource: millicores or bytes, or a percentage of the container's request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Amount {
    Absolute(i64),
    PercentOfRequest(i64),
}

impl Amount {
    /// `"400m"`, `"1.5"`, `"64Mi"` or `"80%"`; `milli` reads a quantity in millis (CPU).
    pub fn parse(text: &str, milli: bool) -> Result<Amount, String> {
        if let Some(p) = text.strip_suffix('%') {
            return p
                .trim()
                .parse::<i64>()
                .ok()
                .filter(|p| *p >= 0)
                .map(Amount::PercentOfRequest)
                .ok_or_else(|| format!("{text:?} is not a percentage"));
        }
        let q = Quantity::parse(text).map_err(|e| format!("{text:?}: {e}"))?;
        if q.nanos() < 0 {
            return Err(format!("{text:?} is negative"));
        }
        let exact = if milli { q.exact_milli_value() } else { q.exact_value() };
        i64::try_from(exact).map(Amount::Absolute).map_err(|_| format!("{text:?} is too large"))
    }

    /// The amount for a container whose request is `request` (same unit).
    fn resolve(self, request: i64) -> i64 {
        match self {
            Amount::Absolute(v) => v,
            Amount::PercentOfRequest(p) => request.saturating_mul(p) / 100,
        }
    }
}

/// What a rule asks for: CPU (millicores) and memory (bytes), each optional.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Demand {
    pub cpu: Option<Amount>,
    pub memory: Option<Amount>,
}

/// Which pods a rule is about, in one namespace.
#[derive(Debug, Clone, PartialEq)]
pub enum Selects {
    Pod(String),
    Labels(LabelSelector),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    /// As the script named it (`deployment/web`): a new rule for it replaces the old.
    pub name: String,
    pub namespace: String,
    pub selects: Selects,
}

impl Target {
    pub fn matches(&self, pod: &Pod) -> bool {
        let meta = &pod.metadata;
        if meta.namespace.as_deref().unwrap_or("") != self.namespace {
            return false;
        }
        match &self.selects {
            Selects::Pod(name) => meta.name.as_deref() == Some(name),
            Selects::Labels(s) => s.matches(meta.labels.as_ref().unwrap_or(&Default::default())),
        }
    }
}

/// The rules, in the order they were set.
#[derive(Debug, Default)]
pub struct Loads {
    usage: Vec<(Target, Demand)>,
    load: Vec<(Target, Demand)>,
}

fn put(rules: &mut Vec<(Target, Demand)>, target: Target, demand: Demand) {
    rules.retain(|(t, _)| !(t.name == target.name && t.namespace == target.namespace));
    if demand != Demand::default() {
        rules.push((target, demand));
    }
}

impl Loads {
    /// What each pod of `target` uses from now on (an empty demand removes the rule).
    pub fn set_usage(&mut self, target: Target, demand: Demand) {
        put(&mut self.usage, target, demand);
    }

    /// The total demand on `target` from now on (an empty demand removes the rule).
    pub fn set_load(&mut self, target: Target, demand: Demand) {
        put(&mut self.load, target, demand);
    }

    pub fn is_empty(&self) -> bool {
        self.usage.is_empty() && self.load.is_empty()
    }

    /// The per-pod usage the latest matching `set_usage` gives.
    pub fn usage_of(&self, pod: &Pod) -> Option<&Demand> {
        self.usage.iter().rev().find(|(t, _)| t.matches(pod)).map(|(_, d)| d)
    }

    /// The load rules that cover `pod`.
    pub fn loads_of<'a>(&'a self, pod: &'a Pod) -> impl Iterator<Item = &'a (Target, Demand)> + 'a {
        self.load.iter().filter(move |(t, _)| t.matches(pod))
    }
}

/// A container's limit of `resource`, if it has one.
pub fn limit(c: &Container, resource: &str) -> Option<Quantity> {
    let q = c.resources.as_ref()?.limits.as_ref()?.get(resource)?;
    Quantity::from_k8s(q).ok()
}

/// A container's request and limit of a resource (`None`: not set), in millis for CPU.
pub fn request_and_limit(c: &Container, resource: &str, milli: bool) -> (i64, Option<i64>) {
    let scale = |q: Quantity| if milli { q.milli_value() } else { q.value() };
    let limit = limit(c, resource).map(scale);
    let requests = c.resources.as_ref().and_then(|r| r.requests.as_ref());
    let request = requests.and_then(|l| l.get(resource)).and_then(|q| Quantity::from_k8s(q).ok()).map(scale);
    // The API server takes a request from the limit when only a limit is given.
    let request = request.or(limit).unwrap_or(0);
    (request, limit)
}

/// What one container is asked to use of a resource: its base (the rule's, else `base`)
/// plus its share of the load. Its limit then throttles CPU and OOM-kills over memory.
pub fn container_usage(base: i64, rule: Option<Amount>, share: i64, request: i64) -> i64 {
    let base = rule.map_or(base, |a| a.resolve(request));
    base.saturating_add(share)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts() {
        assert_eq!(Amount::parse("400m", true), Ok(Amount::Absolute(400)));
        assert_eq!(Amount::parse("1.5", true), Ok(Amount::Absolute(1500)));
        assert_eq!(Amount::parse("64Mi", false), Ok(Amount::Absolute(64 * 1024 * 1024)));
        assert_eq!(Amount::parse("80%", true), Ok(Amount::PercentOfRequest(80)));
        assert!(Amount::parse("-1", true).is_err());
        assert!(Amount::parse("x%", true).is_err());
        assert!(Amount::parse("1e29", true).is_err());
        assert!(Amount::parse("9223372036854775807", true).is_err());
        assert_eq!(Amount::parse("4Ei", false), Ok(Amount::Absolute(4i64 << 60)));
        assert_eq!(container_usage(1, Some(Amount::PercentOfRequest(80)), 0, 200), 160);
        assert_eq!(container_usage(1, None, 900, 200), 901);
        assert_eq!(container_usage(1, Some(Amount::Absolute(5)), 99, 200), 104);
    }
}
