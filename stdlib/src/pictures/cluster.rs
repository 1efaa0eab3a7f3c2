//! `show()`: the cluster as a picture. Each node is a box holding its pods as blocks coloured
//! by phase; the control plane stands apart from the workers; pods no node was chosen for wait
//! in their own area. Big clusters are cut short, saying how much is left out.

use std::collections::BTreeMap;
use std::fmt::Write;

use controlplane::model::{Kind, Object};
use controlplane::sim::history::sample::{node_ready, pod_node, pod_phase};
use controlplane::sim::history::{ConditionStatus, Phase};
use controlplane::sim::Cluster;

use super::svg::{self, fits, phase_colour, shorten, truncate, Svg};
use super::Picture;

/// Pods drawn (and listed) per node, nodes per section and pending pods, before "+N more".
const MAX_PODS: usize = 20;
const MAX_NODES: usize = 60;
const MAX_PENDING: usize = 60;

const NODE_ROLE_CONTROL_PLANE: &str = "node-role.kubernetes.io/control-plane";

struct PodView {
    namespace: String,
    name: String,
    phase: Phase,
}

/// How a node is: its Ready condition, or gone (pods are still bound to a deleted node).
#[derive(Clone, Copy, PartialEq)]
enum NodeState {
    Ready(ConditionStatus),
    Gone,
}

struct NodeView {
    name: String,
    state: NodeState,
    cordoned: bool,
    control_plane: bool,
    pods: Vec<PodView>,
}

impl NodeView {
    /// kubectl's STATUS column: `Ready`, `NotReady`, `Unknown`, then `SchedulingDisabled`.
    fn status(&self) -> String {
        let ready = match self.state {
            NodeState::Ready(ConditionStatus::True) => "Ready",
            NodeState::Ready(ConditionStatus::False) => "NotReady",
            NodeState::Ready(ConditionStatus::Unknown) => "NotReady",
            NodeState::Gone => "gone",
        };
        if self.cordoned {
            format!("{ready},SchedulingDisabled")
        } else {
            ready.to_string()
        }
    }
}

/// The cluster as the picture shows it.
struct View {
    now: String,
    nodes: Vec<NodeView>,
    pending: Vec<PodView>,
}

impl View {
    fn read(cluster: &Cluster) -> View {
        let api = cluster.api_ref();
        let mut nodes: BTreeMap<String, NodeView> = BTreeMap::new();
        for n in api.peek_list(Kind::Node, None) {
            let Object::Node(node) = &*n else { continue };
            let view = NodeView {
                name: n.name().to_string(),
                state: NodeState::Ready(node_ready(&n)),
                cordoned: node.spec.as_ref().and_then(|s| s.unschedulable).unwrap_or(false),
                control_plane: n.labels().contains_key(NODE_ROLE_CONTROL_PLANE),
                pods: Vec::new(),
            };
            nodes.insert(view.name.clone(), view);
        }
        let mut pending = Vec::new();
        for p in api.peek_list(Kind::Pod, None) {
            let pod =
                PodView { namespace: p.namespace().to_string(), name: p.name().to_string(), phase: pod_phase(&p) };
            match pod_node(&p) {
                None => pending.push(pod),
                Some(node) => nodes
                    .entry(node.to_string())
                    .or_insert_with(|| NodeView {
                        name: node.to_string(),
                        state: NodeState::Gone,
                        cordoned: false,
                        control_plane: false,
                        pods: Vec::new(),
                    })
                    .pods
                    .push(pod),
            }
        }
        View {
            now: cluster.now().format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            nodes: nodes.into_values().collect(),
            pending,
        }
    }

    fn pods(&self) -> impl Iterator<Item = &PodView> {
        self.nodes.iter().flat_map(|n| &n.pods).chain(&self.pending)
    }

    /// `10 pods: 8 Running, 2 Pending`.
    fn summary(&self) -> String {
        let mut by_phase: BTreeMap<Phase, usize> = BTreeMap::new();
        for p in self.pods() {
            *by_phase.entry(p.phase).or_default() += 1;
        }
        let total: usize = by_phase.values().sum();
        let parts: Vec<String> = by_phase.iter().map(|(p, n)| format!("{n} {}", p.as_str())).collect();
        let nodes = plural(self.nodes.iter().filter(|n| n.state != NodeState::Gone).count(), "node");
        if parts.is_empty() {
            format!("{nodes}, no pods")
        } else {
            format!("{nodes}, {}: {}", plural(total, "pod"), parts.join(", "))
        }
    }

    fn sections(&self) -> [(&'static str, Vec<&NodeView>); 2] {
        [
            ("control plane", self.nodes.iter().filter(|n| n.control_plane).collect()),
            ("workers", self.nodes.iter().filter(|n| !n.control_plane).collect()),
        ]
    }
}

/// How many of `total` items are listed when at most `max` lines fit: all, or one line fewer
/// to say how many more there are.
fn shown(total: usize, max: usize) -> usize {
    if total > max {
        max - 1
    } else {
        total
    }
}

fn plural(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

/// The cluster now, as a picture.
pub fn show(cluster: &Cluster) -> Picture {
    let view = View::read(cluster);
    Picture { text: text(&view), svg: draw(&view) }
}

fn text(view: &View) -> String {
    let mut out = format!("cluster at {}: {}\n", view.now, view.summary());
    let pod_line = |out: &mut String, p: &PodView| {
        let _ = writeln!(out, "  {:<12} {}/{}", p.phase.as_str(), p.namespace, p.name);
    };
    for (section, nodes) in view.sections() {
        for n in nodes.iter().take(shown(nodes.len(), MAX_NODES)) {
            let role = if section == "control plane" { "  control-plane" } else { "" };
            let _ = writeln!(out, "{}  {}{role}  {}", n.name, n.status(), plural(n.pods.len(), "pod"));
            for p in n.pods.iter().take(shown(n.pods.len(), MAX_PODS)) {
                pod_line(&mut out, p);
            }
            more(&mut out, n.pods.len(), MAX_PODS, "pod");
        }
        if nodes.len() > MAX_NODES {
            let _ = writeln!(out, "+{} more {section} nodes", nodes.len() - shown(nodes.len(), MAX_NODES));
        }
    }
    let _ = writeln!(out, "pending (not scheduled)  {}", plural(view.pending.len(), "pod"));
    for p in view.pending.iter().take(shown(view.pending.len(), MAX_PENDING)) {
        pod_line(&mut out, p);
    }
    more(&mut out, view.pending.len(), MAX_PENDING, "pod");
    out.truncate(out.trim_end().len());
    out
}

fn more(out: &mut String, total: usize, max: usize, what: &str) {
    if total > max {
        let _ = writeln!(out, "  +{} more {what}s", total - shown(total, max));
    }
}

// The drawing's geometry, in pixels.
const MARGIN: f64 = 16.0;
const COLUMNS: usize = 3;
const BOX_W: f64 = 300.0;
const GAP: f64 = 16.0;
const HEADER_H: f64 = 44.0;
const PAD: f64 = 8.0;
const BLOCK_H: f64 = 18.0;
const BLOCK_GAP: f64 = 4.0;
const WIDTH: f64 = MARGIN * 2.0 + BOX_W * COLUMNS as f64 + GAP * (COLUMNS as f64 - 1.0);

/// Pod blocks in `columns` columns `block_w` wide from (x, y); returns the height used. At most
/// `max` are drawn; the last row says how many more there are.
fn blocks(svg: &mut Svg, pods: &[PodView], x: f64, y: f64, block_w: f64, columns: usize, max: usize) -> f64 {
    let shown = shown(pods.len(), max);
    let mut rows = shown.div_ceil(columns);
    for (i, p) in pods.iter().take(shown).enumerate() {
        let bx = x + (i % columns) as f64 * (block_w + BLOCK_GAP);
        let by = y + (i / columns) as f64 * (BLOCK_H + BLOCK_GAP);
        let fill = phase_colour(p.phase);
        let tip = format!("{}/{} {}", p.namespace, p.name, p.phase.as_str());
        svg.rect_titled(bx, by, block_w, BLOCK_H, &format!(r#"rx="3" fill="{fill}""#), &tip);
        let label = shorten(&p.name, fits(block_w - 8.0));
        svg.text(bx + 4.0, by + 13.0, &label, &format!(r#"fill="{}""#, svg::ink_on(fill)));
    }
    if pods.len() > shown {
        let i = shown;
        let bx = x + (i % columns) as f64 * (block_w + BLOCK_GAP);
        let by = y + (i / columns) as f64 * (BLOCK_H + BLOCK_GAP);
        svg.text(bx + 4.0, by + 13.0, &format!("+{} more", pods.len() - shown), r#"class="muted""#);
        rows = (shown + 1).div_ceil(columns);
    }
    if rows == 0 {
        0.0
    } else {
        rows as f64 * (BLOCK_H + BLOCK_GAP) - BLOCK_GAP
    }
}

fn node_height(n: &NodeView) -> f64 {
    let shown = n.pods.len().min(MAX_PODS);
    let rows = shown.div_ceil(2).max(1);
    HEADER_H + rows as f64 * (BLOCK_H + BLOCK_GAP) - BLOCK_GAP + PAD
}

fn node_box(svg: &mut Svg, n: &NodeView, x: f64, y: f64, h: f64) {
    let (stroke, dash) = match n.state {
        NodeState::Ready(ConditionStatus::True) => ("#8c8c8c", ""),
        NodeState::Ready(ConditionStatus::False) => ("#eb5757", ""),
        NodeState::Ready(ConditionStatus::Unknown) => ("#eb5757", r#" stroke-dasharray="6 3""#),
        NodeState::Gone => ("#9e9e9e", r#" stroke-dasharray="2 3""#),
    };
    let fill = if n.cordoned { "#fff4e5" } else { "#f7f7f7" };
    svg.rect(x, y, BOX_W, h, &format!(r#"rx="6" fill="{fill}" stroke="{stroke}" stroke-width="1.5"{dash}"#));
    svg.text(x + PAD, y + 16.0, &shorten(&n.name, fits(BOX_W - 2.0 * PAD) - 1), r#"class="head""#);
    let dot = match n.state {
        NodeState::Ready(c) => svg::condition_colour(c),
        NodeState::Gone => "#9e9e9e",
    };
    svg.rect(x + PAD, y + 25.0, 9.0, 9.0, &format!(r#"rx="4.5" fill="{dot}""#));
    let mut status = n.status();
    if n.state == NodeState::Gone {
        status = "gone: the Node object is deleted".into();
    }
    let line = format!("{status} · {}", plural(n.pods.len(), "pod"));
    svg.text(x + PAD + 14.0, y + 33.5, &truncate(&line, fits(BOX_W - 2.0 * PAD - 14.0)), r#"class="small""#);
    let block_w = (BOX_W - 2.0 * PAD - BLOCK_GAP) / 2.0;
    if n.pods.is_empty() {
        svg.text(x + PAD, y + HEADER_H + 13.0, "no pods", r#"class="muted small""#);
    }
    blocks(svg, &n.pods, x + PAD, y + HEADER_H, block_w, 2, MAX_PODS);
}

fn legend(svg: &mut Svg, y: f64) {
    let mut x = MARGIN;
    for p in Phase::ALL {
        svg.rect(x, y - 9.0, 12.0, 12.0, &format!(r#"rx="2" fill="{}""#, phase_colour(p)));
        svg.text(x + 16.0, y + 1.0, p.as_str(), "");
        x += 16.0 + p.as_str().len() as f64 * svg::CHAR_WIDTH + 18.0;
    }
}

fn draw(view: &View) -> String {
    let mut svg = Svg::new(WIDTH, 0.0);
    svg.text(MARGIN, 26.0, &format!("cluster at {}", view.now), r#"class="title""#);
    svg.text(MARGIN, 44.0, &view.summary(), r#"class="muted""#);
    legend(&mut svg, 66.0);
    let mut y = 84.0;
    for (section, nodes) in view.sections() {
        if nodes.is_empty() {
            continue;
        }
        svg.text(MARGIN, y + 12.0, section, r#"class="head muted""#);
        y += 20.0;
        for row in nodes.iter().take(shown(nodes.len(), MAX_NODES)).collect::<Vec<_>>().chunks(COLUMNS) {
            let h = row.iter().map(|n| node_height(n)).fold(0.0, f64::max);
            for (i, n) in row.iter().enumerate() {
                node_box(&mut svg, n, MARGIN + i as f64 * (BOX_W + GAP), y, h);
            }
            y += h + GAP;
        }
        if nodes.len() > MAX_NODES {
            svg.text(
                MARGIN,
                y + 4.0,
                &format!("+{} more {section} nodes", nodes.len() - shown(nodes.len(), MAX_NODES)),
                r#"class="muted""#,
            );
            y += 20.0;
        }
        y += 4.0;
    }
    // Pending pods: outside every node, in a dashed area.
    let columns = 6;
    let block_w = (WIDTH - 2.0 * MARGIN - 2.0 * PAD - (columns as f64 - 1.0) * BLOCK_GAP) / columns as f64;
    svg.text(
        MARGIN,
        y + 12.0,
        &format!("pending (not scheduled): {}", plural(view.pending.len(), "pod")),
        r#"class="head muted""#,
    );
    y += 20.0;
    let inner = if view.pending.is_empty() {
        BLOCK_H
    } else {
        let mut probe = Svg::new(0.0, 0.0);
        blocks(&mut probe, &view.pending, 0.0, 0.0, block_w, columns, MAX_PENDING)
    };
    svg.rect(
        MARGIN,
        y,
        WIDTH - 2.0 * MARGIN,
        inner + 2.0 * PAD,
        r##"rx="6" fill="#fffdf5" stroke="#c9a227" stroke-width="1.5" stroke-dasharray="6 3""##,
    );
    if view.pending.is_empty() {
        svg.text(MARGIN + PAD, y + PAD + 13.0, "none", r#"class="muted small""#);
    }
    blocks(&mut svg, &view.pending, MARGIN + PAD, y + PAD, block_w, columns, MAX_PENDING);
    y += inner + 2.0 * PAD + MARGIN;
    svg.grow_to(y);
    svg.finish()
}

#[cfg(test)]
mod tests {
    use controlplane::kubectl::apply::apply_text;
    use controlplane::sim::ClusterConfig;

    use super::*;
    use crate::pictures::tests::well_formed;

    #[test]
    fn the_default_cluster() {
        let c = Cluster::new(ClusterConfig::default());
        let p = show(&c);
        assert_eq!(
            p.text,
            "cluster at 2025-01-01T00:00:00Z: 4 nodes, 10 pods: 10 Running
control-plane  Ready  control-plane  5 pods
  Running      kube-system/etcd-control-plane
  Running      kube-system/kube-apiserver-control-plane
  Running      kube-system/kube-controller-manager-control-plane
  Running      kube-system/kube-proxy-7w9dt
  Running      kube-system/kube-scheduler-control-plane
node-1  Ready  2 pods
  Running      kube-system/coredns-5bd45dbdd4-2hdbl
  Running      kube-system/kube-proxy-xjdw9
node-2  Ready  1 pod
  Running      kube-system/kube-proxy-rsw7s
node-3  Ready  2 pods
  Running      kube-system/coredns-5bd45dbdd4-t9gfl
  Running      kube-system/kube-proxy-gdh8v
pending (not scheduled)  0 pods"
        );
        well_formed(&p.svg);
        assert!(p.svg.contains("control plane") && p.svg.contains(">node-3<"), "{}", p.svg);
    }

    #[test]
    fn many_pods_are_cut_short() {
        let mut c = Cluster::new(ClusterConfig::default());
        let mut yaml = String::new();
        for i in 0..30 {
            let _ = write!(
                yaml,
                "---\napiVersion: v1\nkind: Pod\nmetadata: {{name: a-pod-with-a-rather-long-name-{i}}}\nspec: {{nodeName: node-1, containers: [{{name: c, image: nginx}}]}}\n"
            );
        }
        // Far more than any node holds: most wait, unscheduled.
        for i in 0..70 {
            let _ = write!(
                yaml,
                "---\napiVersion: v1\nkind: Pod\nmetadata: {{name: big-{i}}}\nspec: {{containers: [{{name: c, image: nginx, resources: {{requests: {{cpu: '64'}}}}}}]}}\n"
            );
        }
        apply_text(&mut c, &yaml, "pods.yaml", "default");
        c.settle().unwrap();
        let p = show(&c);
        assert!(p.text.contains("node-1  Ready  32 pods\n"), "{}", p.text);
        assert!(p.text.contains("  +13 more pods\nnode-2"), "{}", p.text);
        assert!(p.text.contains("pending (not scheduled)  70 pods\n"), "{}", p.text);
        assert!(p.text.ends_with("  +11 more pods"), "{}", p.text);
        well_formed(&p.svg);
        assert!(p.svg.contains(">+13 more<") && p.svg.contains(">+11 more<"), "{}", p.svg);
        assert!(p.svg.contains(">a-pod-wit…ng-name-2<"), "{}", p.svg);
    }
}
