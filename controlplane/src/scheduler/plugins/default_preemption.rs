//! DefaultPreemption (PostFilter): when no node fits, find nodes where evicting pods of lower
//! priority would let the pod fit, pick the victims on each (as few and as unimportant as
//! possible, sparing PodDisruptionBudgets where it can), choose one node by upstream's
//! criteria (fewest budget violations first), and nominate the pod there.

use std::collections::BTreeSet;
use std::sync::Arc;

use crate::model::selector::LabelSelector;
use crate::model::Object;

use crate::scheduler::cache::NodeInfo;
use crate::scheduler::framework::{Args, Code, CycleState, PodInfo, Status};
use crate::scheduler::profile::Profile;

pub const NAME: &str = "DefaultPreemption";
pub const NOT_HELPFUL: &str = "Preemption is not helpful for scheduling";
pub const NO_VICTIMS: &str = "No preemption victims found for incoming pod";

pub enum Outcome {
    /// Preempt `victims` on `node`, and nominate the pod there.
    Nominated { node: Arc<str>, victims: Vec<Arc<PodInfo>> },
    /// The pod may not preempt (`not eligible due to ...`): the nomination stays as it is.
    NotEligible(String),
    /// No node would do: the per-node statuses of the dry run.
    NoCandidates(Vec<Status>),
}

/// Run the Filter plugins on a (changed) node, stopping at the first failure.
fn filters(profile: &Profile, args: &Args<'_>, state: &CycleState, node: &NodeInfo) -> Status {
    for (i, f) in profile.filter.iter().enumerate() {
        if state.skip_filter & (1 << i) != 0 {
            continue;
        }
        let s = f.filter(args, state, node);
        if !s.is_success() {
            return s;
        }
    }
    Status::SUCCESS
}

/// `MoreImportantPod`: higher priority, then the one that started earlier.
fn more_important_first(a: &Arc<PodInfo>, b: &Arc<PodInfo>) -> std::cmp::Ordering {
    b.priority.cmp(&a.priority).then(a.start_time().cmp(&b.start_time()))
}

/// The victims on one node, and how many of them a disruption budget protects.
type Victims = (Vec<Arc<PodInfo>>, usize);

/// A PodDisruptionBudget as preemption weighs it.
struct Budget {
    namespace: String,
    selector: LabelSelector,
    allowed: i32,
    disrupted: BTreeSet<String>,
}

fn budgets(args: &Args<'_>) -> Vec<Budget> {
    args.cache
        .pdbs()
        .filter_map(|o| match &**o {
            Object::PodDisruptionBudget(p) => {
                let selector = p.spec.as_ref().and_then(|s| s.selector.as_ref())?;
                let selector = LabelSelector::from_k8s(selector).ok().filter(|s| !s.is_empty())?;
                let status = p.status.as_ref();
                Some(Budget {
                    namespace: o.namespace().to_string(),
                    selector,
                    allowed: status.map_or(0, |s| s.disruptions_allowed),
                    disrupted: status
                        .and_then(|s| s.disrupted_pods.as_ref())
                        .into_iter()
                        .flatten()
                        .map(|(k, _)| k.clone())
                        .collect(),
                })
            }
            _ => None,
        })
        .collect()
}

/// `filterPodsWithPDBViolation`: the pods whose eviction would take a budget below zero
/// (counting down each budget as its pods are taken), and the rest.
fn split_by_budget(pods: Vec<Arc<PodInfo>>, budgets: &[Budget]) -> (Vec<Arc<PodInfo>>, Vec<Arc<PodInfo>>) {
    let mut allowed: Vec<i32> = budgets.iter().map(|b| b.allowed).collect();
    let (mut violating, mut other) = (Vec::new(), Vec::new());
    for p in pods {
        let mut violated = false;
        if !p.labels.is_empty() {
            for (i, b) in budgets.iter().enumerate() {
                if b.namespace != p.namespace || !b.selector.matches(&p.labels) || b.disrupted.contains(&p.name) {
                    continue;
                }
                allowed[i] -= 1;
                violated |= allowed[i] < 0;
            }
        }
        if violated {
            violating.push(p);
        } else {
            other.push(p);
        }
    }
    (violating, other)
}

/// `SelectVictimsOnNode`: remove every lower-priority pod; if the pod fits, reprieve as many
/// as possible, most important first — those a disruption budget protects before the others.
/// Returns the victims and how many of them violate a budget.
fn select_victims(
    profile: &Profile,
    args: &Args<'_>,
    state: &CycleState,
    node: &NodeInfo,
    budgets: &[Budget],
) -> Result<Victims, Status> {
    let mut potential: Vec<Arc<PodInfo>> =
        node.pods.iter().filter(|p| p.priority < args.pod.priority).cloned().collect();
    if potential.is_empty() {
        return Err(Status::unresolvable(NO_VICTIMS));
    }
    potential.sort_by(more_important_first);
    let mut trial = node.clone();
    for p in &potential {
        trial.remove_pod(&p.key);
    }
    let s = filters(profile, args, state, &trial);
    if !s.is_success() {
        return Err(s);
    }
    let (violating, other) = split_by_budget(potential, budgets);
    let mut victims = Vec::new();
    let mut violations = 0;
    for (group, counts) in [(violating, true), (other, false)] {
        for p in group {
            trial.add_pod(p.clone());
            if !filters(profile, args, state, &trial).is_success() {
                trial.remove_pod(&p.key);
                victims.push(p);
                violations += usize::from(counts);
            }
        }
    }
    Ok((victims, violations))
}

/// Whether the pod may preempt at all (`PodEligibleToPreemptOthers`).
fn eligible(args: &Args<'_>, statuses: &[(usize, Status)]) -> Result<(), String> {
    if args.pod.preemption_policy() == "Never" {
        return Err("not eligible due to preemptionPolicy=Never.".into());
    }
    let nominated = args.pod.pod().status.as_ref().and_then(|s| s.nominated_node_name.as_deref()).unwrap_or("");
    if let Some(node) = args.cache.node(nominated) {
        let still_unschedulable =
            statuses.iter().any(|(i, s)| &*args.cache.node_at(*i).name == nominated && s.code == Code::Unschedulable);
        let terminating =
            node.pods.iter().any(|p| p.obj.metadata().deletion_timestamp.is_some() && p.priority < args.pod.priority);
        if still_unschedulable && terminating {
            return Err("not eligible due to a terminating pod on the nominated node.".into());
        }
    }
    Ok(())
}

/// `statuses` is each node's Filter status (by position in the cache's node order).
pub fn preempt(
    profile: &Profile,
    args: &Args<'_>,
    state: &CycleState,
    statuses: &[(usize, Status)],
    offset: usize,
) -> Outcome {
    if let Err(why) = eligible(args, statuses) {
        return Outcome::NotEligible(why);
    }
    let n = statuses.len();
    let mut out: Vec<Status> = vec![Status::SUCCESS; n];
    let budgets = budgets(args);
    let mut candidates: Vec<(usize, Victims)> = Vec::new();
    for k in 0..n {
        let j = (offset + k) % n;
        let (i, status) = &statuses[j];
        if status.code != Code::Unschedulable {
            out[j] = Status::unresolvable(NOT_HELPFUL);
            continue;
        }
        match select_victims(profile, args, state, args.cache.node_at(*i), &budgets) {
            Ok(victims) => candidates.push((*i, victims)),
            Err(s) => out[j] = s,
        }
    }
    // Upstream's criteria, in order; the first candidate wins the remaining ties.
    let key = |(v, violations): &Victims| {
        let highest = v.iter().map(|p| p.priority).max().unwrap_or(i32::MIN);
        let sum: i64 = v.iter().map(|p| p.priority as i64 + i32::MAX as i64 + 1).sum();
        let earliest_of_highest = v.iter().filter(|p| p.priority == highest).map(|p| p.start_time()).min().unwrap_or(0);
        (*violations, highest, sum, v.len(), std::cmp::Reverse(earliest_of_highest))
    };
    let best = candidates.into_iter().min_by(|(_, a), (_, b)| key(a).cmp(&key(b)));
    match best {
        Some((i, (mut victims, _))) => {
            victims.sort_by(more_important_first);
            Outcome::Nominated { node: args.cache.node_at(i).name.clone(), victims }
        }
        None => Outcome::NoCandidates(out),
    }
}
