//! `timeline(kind, name)`: an object's recorded history as a step chart over simulated time.
//! Counts (replicas, restarts, pods on a node) are lines; states (a pod's phase, its node, a
//! node's Ready condition) are bands of colour. A Deployment's chart adds the ready replicas of
//! each of its ReplicaSets, so a rollout shows the old one going down as the new one comes up.

use std::collections::BTreeMap;
use std::fmt::Write;

use chrono::{DateTime, Utc};
use controlplane::model::Kind;
use controlplane::sim::clock::go_duration;
use controlplane::sim::history::{Field, History, Lifecycle, Point, Series, Value};

use super::svg::{self, condition_colour, fits, phase_colour, truncate, Svg, PALETTE};
use super::{Picture, PictureError};

/// The shortest span a chart covers, so that a history of one moment still has a width.
const MIN_SPAN_MS: i64 = 10_000;

/// One object of the chart: the one asked about, or one of a Deployment's ReplicaSets.
struct Part<'a> {
    /// `deployment/web`.
    label: String,
    series: &'a Series,
    /// The fields it contributes (all of them for the object asked about).
    fields: Vec<Field>,
    /// Prefix of its lines' names (a ReplicaSet's name).
    prefix: String,
}

/// A value held from `from` to `to`.
#[derive(Clone, Copy)]
struct Segment {
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    value: Value,
}

/// One field of one object over time.
struct Track {
    label: String,
    field: Field,
    segments: Vec<Segment>,
}

/// An object created again, or deleted.
struct Marker {
    at: DateTime<Utc>,
    text: String,
}

struct Chart<'a> {
    title: String,
    history: &'a History,
    origin: DateTime<Utc>,
    end: DateTime<Utc>,
    parts: Vec<Part<'a>>,
    bands: Vec<Track>,
    lines: Vec<Track>,
    markers: Vec<Marker>,
}

/// The timeline of the `kind` named `name` in `namespace` ("" for a cluster-scoped kind).
pub fn timeline(
    history: &History,
    kind: Kind,
    namespace: &str,
    name: &str,
    now: DateTime<Utc>,
) -> Result<Picture, PictureError> {
    let info = kind.info();
    if !History::records(kind) {
        return Err(PictureError::NotRecorded { plural: info.plural.to_string() });
    }
    let Some(series) = history.series(kind, namespace, name) else {
        return Err(PictureError::NoHistory {
            kind: info.singular.to_string(),
            name: name.to_string(),
            namespace: info.namespaced.then(|| namespace.to_string()),
        });
    };
    let mut parts = vec![Part {
        label: format!("{}/{name}", info.singular),
        series,
        fields: series.fields().to_vec(),
        prefix: String::new(),
    }];
    if kind == Kind::Deployment {
        for (rs, s) in history.owned_by(Kind::ReplicaSet, namespace, "Deployment", name) {
            parts.push(Part {
                label: format!("replicaset/{rs}"),
                series: s,
                fields: vec![Field::Replicas, Field::ReadyReplicas],
                prefix: format!("{rs} "),
            });
        }
    }
    let origin = parts.iter().filter_map(|p| p.series.start()).min().unwrap_or(now);
    let end = now.max(origin.checked_add_signed(chrono::Duration::milliseconds(MIN_SPAN_MS)).unwrap_or(now));
    let shown = if namespace.is_empty() { name.to_string() } else { format!("{namespace}/{name}") };
    let mut chart = Chart {
        title: format!("{} {shown}", info.singular),
        history,
        origin,
        end,
        parts,
        bands: Vec::new(),
        lines: Vec::new(),
        markers: Vec::new(),
    };
    chart.build(now);
    Ok(Picture { text: chart.text(now), svg: chart.draw(now) })
}

impl Chart<'_> {
    /// Tracks and markers from the parts' points.
    fn build(&mut self, now: DateTime<Utc>) {
        for (index, part) in self.parts.iter().enumerate() {
            let mut tracks: Vec<Track> = part
                .fields
                .iter()
                .map(|&field| Track { label: format!("{}{}", part.prefix, field.name()), field, segments: Vec::new() })
                .collect();
            let mut open: Vec<Option<(DateTime<Utc>, Value)>> = vec![None; tracks.len()];
            let mut born = false;
            for p in part.series.points() {
                match (p.field, p.value) {
                    (Field::Object, Value::Lifecycle(l)) => {
                        if l == Lifecycle::Deleted {
                            for (t, o) in tracks.iter_mut().zip(&mut open) {
                                if let Some((from, value)) = o.take() {
                                    t.segments.push(Segment { from, to: p.at, value });
                                }
                            }
                        }
                        // The first creation of the object asked about is where the chart
                        // starts; every other one is worth a mark.
                        if born || index > 0 || l == Lifecycle::Deleted {
                            let verb = if l == Lifecycle::Deleted { "deleted" } else { "created" };
                            let text = if index == 0 { verb.to_string() } else { format!("{} {verb}", part.label) };
                            self.markers.push(Marker { at: p.at, text });
                        }
                        born = true;
                    }
                    (field, value) => {
                        let Some(i) = part.fields.iter().position(|f| *f == field) else { continue };
                        if let Some((from, was)) = open[i].replace((p.at, value)) {
                            tracks[i].segments.push(Segment { from, to: p.at, value: was });
                        }
                    }
                }
            }
            for (t, o) in tracks.iter_mut().zip(open) {
                if let Some((from, value)) = o {
                    t.segments.push(Segment { from, to: now, value });
                }
            }
            for t in tracks {
                if t.field.is_count() {
                    self.lines.push(t);
                } else {
                    self.bands.push(t);
                }
            }
        }
        self.markers.sort_by_key(|m| m.at);
    }

    /// The changes as a table: one row per change, oldest first.
    fn text(&self, now: DateTime<Utc>) -> String {
        let mut rows: Vec<(DateTime<Utc>, usize, usize, &str, String)> = Vec::new();
        for (i, part) in self.parts.iter().enumerate() {
            for (j, p) in part.series.points().iter().enumerate() {
                if p.field == Field::Object || part.fields.contains(&p.field) {
                    rows.push((p.at, i, j, part.label.as_str(), self.value_of(p)));
                }
            }
        }
        // By time, then the object asked about before its ReplicaSets, then as recorded.
        rows.sort_by_key(|r| (r.0, r.1, r.2));
        let several = self.parts.len() > 1;
        let mut table: Vec<Vec<String>> = vec![if several {
            vec!["TIME".into(), "OBJECT".into(), "FIELD".into(), "VALUE".into()]
        } else {
            vec!["TIME".into(), "FIELD".into(), "VALUE".into()]
        }];
        for (at, i, j, label, value) in rows {
            let field = self.parts[i].series.points()[j].field.name().to_string();
            let time = go_duration(at - self.origin);
            table.push(if several { vec![time, label.to_string(), field, value] } else { vec![time, field, value] });
        }
        let mut out = format!(
            "{}: {} changes from {} (0s) to now, {} ({})\n",
            self.title,
            table.len() - 1,
            rfc3339(self.origin),
            rfc3339(now),
            go_duration(now - self.origin)
        );
        let forgotten: usize = self.parts.iter().map(|p| p.series.forgotten()).sum();
        if forgotten > 0 {
            // The history keeps an object's latest changes; the first rows are the state then.
            out.push_str(&format!("({forgotten} older changes forgotten; the first rows are the state they led to)\n"));
        }
        out.push_str(&columns(&table));
        out.truncate(out.trim_end().len());
        out
    }

    fn value_of(&self, p: &Point) -> String {
        self.history.value_text(p.value)
    }
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Rows as columns three spaces apart, as kubectl prints tables.
fn columns(table: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = Vec::new();
    for row in table {
        for (i, cell) in row.iter().enumerate() {
            let w = cell.chars().count();
            match widths.get_mut(i) {
                Some(x) => *x = (*x).max(w),
                None => widths.push(w),
            }
        }
    }
    let mut out = String::new();
    for row in table {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            if i + 1 < row.len() {
                let _ = write!(line, "{cell:<w$}   ", w = widths[i]);
            } else {
                line.push_str(cell);
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// A tick label, in whole seconds: `0s`, `30s`, `1m30s`, `5m`, `2h`, `1h30m`, `3d`.
pub fn tick_label(ms: i64) -> String {
    let s = ms / 1000;
    let (d, h, m, sec) = (s / 86_400, s / 3600 % 24, s / 60 % 60, s % 60);
    let mut out = String::new();
    for (n, unit) in [(d, "d"), (h, "h"), (m, "m"), (sec, "s")] {
        if n != 0 {
            let _ = write!(out, "{n}{unit}");
        }
    }
    if out.is_empty() {
        "0s".into()
    } else {
        out
    }
}

/// The step between ticks: the smallest round one that leaves at most eight ticks.
fn tick_step(span_ms: i64) -> i64 {
    const STEPS: [i64; 20] = [
        1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10_800, 21_600, 43_200, 86_400, 172_800, 604_800,
    ];
    STEPS.iter().map(|s| s * 1000).find(|s| span_ms / s <= 8).unwrap_or(span_ms.max(1))
}

/// A round upper bound for counts up to `max`, and the step of its gridlines (in i64: a count
/// can be as large as an int32 allows).
fn count_scale(max: i32) -> (i64, i64) {
    let max = i64::from(max.max(1));
    let mut base = 1;
    // 1, 2, 5, 10, 20, 50, ...: the smallest that leaves at most five gridlines.
    loop {
        for step in [base, base * 2, base * 5] {
            if max / step <= 5 {
                return ((max + step - 1) / step * step, step);
            }
        }
        base *= 10;
    }
}

// The chart's geometry, in pixels.
const WIDTH: f64 = 900.0;
const LEFT: f64 = 150.0;
const RIGHT: f64 = 24.0;
const BAND_H: f64 = 20.0;
const BAND_GAP: f64 = 6.0;
const PLOT_H: f64 = 200.0;

/// Colours of a band's values; a pod's nodes take the palette in the order they appear.
struct BandColours {
    nodes: BTreeMap<Value, &'static str>,
}

impl BandColours {
    fn of(&mut self, field: Field, value: Value) -> &'static str {
        match value {
            Value::Phase(p) => phase_colour(p),
            Value::Condition(c) => condition_colour(c),
            Value::Flag(true) if field == Field::Unschedulable => "#f2994a",
            Value::Flag(true) => "#27ae60",
            Value::Flag(false) => "#e0e0e0",
            Value::Node(None) => "#e0e0e0",
            Value::Node(Some(_)) => {
                let next = PALETTE[self.nodes.len() % PALETTE.len()];
                self.nodes.entry(value).or_insert(next)
            }
            Value::Count(_) | Value::Lifecycle(_) => "#e0e0e0",
        }
    }
}

impl Chart<'_> {
    fn x(&self, t: DateTime<Utc>) -> f64 {
        let span = (self.end - self.origin).num_milliseconds().max(1) as f64;
        let at = (t - self.origin).num_milliseconds() as f64;
        LEFT + (WIDTH - LEFT - RIGHT) * (at / span).clamp(0.0, 1.0)
    }

    fn draw(&self, now: DateTime<Utc>) -> String {
        let mut svg = Svg::new(WIDTH, 0.0);
        svg.text(16.0, 26.0, &self.title, r#"class="title""#);
        let subtitle = format!(
            "simulated time from {} (0s) to {} ({})",
            rfc3339(self.origin),
            rfc3339(now),
            go_duration(now - self.origin)
        );
        svg.text(16.0, 44.0, &subtitle, r#"class="muted""#);
        let (left, right) = (LEFT, WIDTH - RIGHT);
        let top = 84.0;
        let mut y = top;
        let mut colours = BandColours { nodes: BTreeMap::new() };
        let mut legend: Vec<(String, &'static str, bool)> = Vec::new();
        for band in &self.bands {
            svg.text(left - 8.0, y + 14.0, &truncate(&band.label, fits(left - 24.0)), r#"text-anchor="end""#);
            svg.rect(left, y, right - left, BAND_H, r##"fill="#fafafa" stroke="#e6e6e6""##);
            for s in &band.segments {
                let (x0, x1) = (self.x(s.from), self.x(s.to));
                let fill = colours.of(band.field, s.value);
                let text = self.history.value_text(s.value);
                let tip = format!("{} {text} from {} to {}", band.label, self.offset(s.from), self.offset(s.to));
                svg.rect_titled(x0, y, (x1 - x0).max(1.0), BAND_H, &format!(r#"fill="{fill}""#), &tip);
                if x1 - x0 > 3.0 * svg::CHAR_WIDTH {
                    let label = truncate(&text, fits(x1 - x0 - 6.0));
                    svg.text(x0 + 3.0, y + 14.0, &label, &format!(r#"fill="{}""#, svg::ink_on(fill)));
                }
                let item = (format!("{} {text}", band.label), fill, false);
                if !legend.contains(&item) {
                    legend.push(item);
                }
            }
            y += BAND_H + BAND_GAP;
        }
        if !self.lines.is_empty() {
            y += 24.0;
            let max = self
                .lines
                .iter()
                .flat_map(|t| &t.segments)
                .map(|s| if let Value::Count(n) = s.value { n } else { 0 })
                .max()
                .unwrap_or(0);
            let (ceiling, step) = count_scale(max);
            // Counts that stay at zero or one need little room.
            let plot_h = if ceiling <= 1 { PLOT_H / 3.0 } else { PLOT_H };
            let (plot_top, plot_bottom) = (y, y + plot_h);
            let ys = |v: i64| plot_bottom - plot_h * v.max(0) as f64 / ceiling as f64;
            let mut v = 0;
            while v <= ceiling {
                svg.line(left, ys(v), right, ys(v), r##"stroke="#ececec""##);
                svg.text(left - 8.0, ys(v) + 4.0, &v.to_string(), r#"text-anchor="end" class="small muted""#);
                v += step;
            }
            svg.text(left - 8.0, plot_top - 12.0, "count", r#"text-anchor="end" class="small muted""#);
            svg.line(left, plot_bottom, right, plot_bottom, r##"stroke="#8c8c8c""##);
            let n = self.lines.len() as f64;
            for (i, track) in self.lines.iter().enumerate() {
                let colour = PALETTE[i % PALETTE.len()];
                // Lines with equal values would hide one another: each sits a little apart.
                let nudge = (i as f64 - (n - 1.0) / 2.0) * 1.5;
                let mut path: Vec<(f64, f64)> = Vec::new();
                let mut last_to: Option<DateTime<Utc>> = None;
                for s in &track.segments {
                    let Value::Count(c) = s.value else { continue };
                    if last_to.is_some_and(|t| t != s.from) && !path.is_empty() {
                        svg.polyline(&path, &line_attrs(colour));
                        path.clear();
                    }
                    let yv = ys(i64::from(c)) + nudge;
                    if let Some(&(_, py)) = path.last() {
                        path.push((self.x(s.from), py));
                    }
                    path.push((self.x(s.from), yv));
                    path.push((self.x(s.to), yv));
                    last_to = Some(s.to);
                }
                if !path.is_empty() {
                    svg.polyline(&path, &line_attrs(colour));
                }
                legend.push((track.label.clone(), colour, true));
            }
            y = plot_bottom;
        } else {
            y -= BAND_GAP;
        }
        // Markers across the chart, their labels in two rows above it so that neighbours do
        // not overwrite each other, and turned left at the right edge.
        let mut row_ends = [f64::MIN; 2];
        for m in &self.markers {
            let x = self.x(m.at);
            let w = m.text.chars().count() as f64 * svg::CHAR_WIDTH * 10.0 / 11.0;
            let (start, anchor) = if x + 3.0 + w > WIDTH - 4.0 { (x - 3.0 - w, "end") } else { (x + 3.0, "start") };
            let row = row_ends.iter().position(|end| start > end + 6.0).unwrap_or(1);
            row_ends[row] = start + w;
            let label_y = top - 6.0 - row as f64 * 12.0;
            svg.line(x, label_y + 2.0, x, y, r##"stroke="#555555" stroke-dasharray="4 3""##);
            let tx = if anchor == "end" { x - 3.0 } else { x + 3.0 };
            svg.text(tx, label_y, &m.text, &format!(r#"class="small" text-anchor="{anchor}""#));
        }
        // The time axis.
        let span = (self.end - self.origin).num_milliseconds();
        let step = tick_step(span);
        let mut t = 0;
        while t <= span {
            let x = self.x(self.origin + chrono::Duration::milliseconds(t));
            svg.line(x, y, x, y + 5.0, r##"stroke="#8c8c8c""##);
            svg.text(x, y + 18.0, &tick_label(t), r#"text-anchor="middle" class="small""#);
            t += step;
        }
        y += 40.0;
        // The legend, flowing left to right.
        let mut x = 16.0;
        for (label, colour, is_line) in &legend {
            let w = 22.0 + label.chars().count() as f64 * svg::CHAR_WIDTH + 16.0;
            if x + w > WIDTH - 16.0 && x > 16.0 {
                x = 16.0;
                y += 18.0;
            }
            if *is_line {
                svg.line(x, y - 4.0, x + 16.0, y - 4.0, &format!(r#"stroke="{colour}" stroke-width="2.5""#));
            } else {
                svg.rect(x, y - 10.0, 16.0, 11.0, &format!(r##"fill="{colour}" stroke="#d0d0d0""##));
            }
            svg.text(x + 22.0, y, label, "");
            x += w;
        }
        svg.grow_to(y + 16.0);
        svg.finish()
    }

    fn offset(&self, t: DateTime<Utc>) -> String {
        go_duration(t - self.origin)
    }
}

fn line_attrs(colour: &str) -> String {
    format!(r#"stroke="{colour}" stroke-width="2" stroke-linejoin="round""#)
}

#[cfg(test)]
mod tests {
    use chrono::Duration;
    use controlplane::kubectl::apply::apply_text;
    use controlplane::sim::{Cluster, ClusterConfig};

    use super::*;
    use crate::pictures::tests::well_formed;

    fn picture(c: &mut Cluster, kind: Kind, namespace: &str, name: &str) -> Result<Picture, String> {
        let now = c.now();
        let history = c.history().expect("the cluster records histories");
        timeline(history, kind, namespace, name, now).map_err(|e| e.to_string())
    }

    #[test]
    fn ticks_are_round_and_readable() {
        let labels: Vec<String> = [0, 30_000, 90_000, 300_000, 5_400_000, 7_200_000, 90_000_000].map(tick_label).into();
        assert_eq!(labels, ["0s", "30s", "1m30s", "5m", "1h30m", "2h", "1d1h"]);
        assert_eq!(tick_step(10_000), 2_000);
        assert_eq!(tick_step(180_000), 30_000);
        assert_eq!(tick_step(3_600_000), 600_000);
        assert_eq!(tick_step(0), 1_000);
    }

    #[test]
    fn count_axes_end_on_round_numbers() {
        assert_eq!(count_scale(0), (1, 1));
        assert_eq!(count_scale(5), (5, 1));
        assert_eq!(count_scale(7), (8, 2));
        assert_eq!(count_scale(110), (120, 20));
        assert_eq!(count_scale(150_000), (150_000, 50_000));
        assert_eq!(count_scale(i32::MAX), (2_500_000_000, 500_000_000));
    }

    #[test]
    fn a_pod_from_pending_to_succeeded() {
        let mut c = Cluster::new(ClusterConfig::default());
        c.advance(Duration::seconds(60)).unwrap();
        let pod = "apiVersion: v1\nkind: Pod\nmetadata: {name: once}\nspec: {restartPolicy: Never, nodeName: node-1, containers: [{name: c, image: busybox, command: [sleep, '5']}]}\n";
        apply_text(&mut c, pod, "pod.yaml", "default");
        c.advance(Duration::seconds(30)).unwrap();
        let p = picture(&mut c, Kind::Pod, "default", "once").unwrap();
        assert_eq!(
            p.text,
            "pod default/once: 9 changes from 2025-01-01T00:01:00Z (0s) to now, 2025-01-01T00:01:30Z (30s)
TIME   FIELD      VALUE
0s     object     created
0s     phase      Pending
0s     ready      false
0s     restarts   0
0s     node       node-1
2s     phase      Running
2s     ready      true
7s     phase      Succeeded
7s     ready      false"
        );
        well_formed(&p.svg);
        assert!(p.svg.contains(">Succeeded<") && p.svg.contains(">30s<"), "{}", p.svg);
        assert_eq!(p, picture(&mut c, Kind::Pod, "default", "once").unwrap(), "the same picture twice");
    }

    #[test]
    fn a_deployment_shows_its_replicasets() {
        let mut c = Cluster::new(ClusterConfig::default());
        let p = picture(&mut c, Kind::Deployment, "kube-system", "coredns").unwrap();
        assert!(p.text.contains("0s     replicaset/coredns-5bd45dbdd4   status.readyReplicas       2"), "{}", p.text);
        well_formed(&p.svg);
        assert!(p.svg.contains(">coredns-5bd45dbdd4 status.readyReplicas<"), "{}", p.svg);
    }

    #[test]
    fn what_has_no_history_says_so() {
        let mut c = Cluster::new(ClusterConfig::default());
        let err = |c: &mut Cluster, kind, ns, name| picture(c, kind, ns, name).unwrap_err();
        assert_eq!(
            err(&mut c, Kind::Deployment, "default", "web"),
            r#"timeline: no history of deployment "web" in namespace "default""#
        );
        assert_eq!(err(&mut c, Kind::Node, "", "node-9"), r#"timeline: no history of node "node-9""#);
        assert_eq!(
            err(&mut c, Kind::Secret, "default", "x"),
            "timeline: kubesim keeps no history of secrets; it follows deployments, replicasets, statefulsets, daemonsets, jobs, pods and nodes"
        );
    }
}
