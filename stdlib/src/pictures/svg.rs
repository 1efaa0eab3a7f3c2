//! A small SVG writer: the elements the pictures use, every text escaped, numbers printed the
//! same way on every machine.

use std::fmt::Write;

use controlplane::sim::history::{ConditionStatus, Phase};

/// The width of one character of the pictures' monospace font at 11px, to fit labels.
pub const CHAR_WIDTH: f64 = 6.7;

/// Text made safe for SVG content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Characters XML 1.0 does not allow.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// `text` cut to `chars` characters, ending in `…` when cut.
pub fn truncate(text: &str, chars: usize) -> String {
    if text.chars().count() <= chars {
        return text.to_string();
    }
    let kept: String = text.chars().take(chars.saturating_sub(1)).collect();
    format!("{kept}…")
}

/// `text` cut to `chars` characters by leaving out its middle, for names whose end tells them
/// apart (`coredns-5…dd4-4kbkm`, `web-7d4b9c…-x2m4p`).
pub fn shorten(text: &str, chars: usize) -> String {
    let count = text.chars().count();
    if count <= chars {
        return text.to_string();
    }
    let keep = chars.saturating_sub(1);
    let head = keep.div_ceil(2);
    let tail = keep - head;
    let start: String = text.chars().take(head).collect();
    let end: String = text.chars().skip(count - tail).collect();
    format!("{start}…{end}")
}

/// How many characters fit in `width` pixels.
pub fn fits(width: f64) -> usize {
    (width / CHAR_WIDTH).max(0.0) as usize
}

/// A number as SVG wants it: at most one decimal, no `-0`.
pub fn num(v: f64) -> String {
    let r = (v * 10.0).round() / 10.0;
    if r == 0.0 {
        "0".into()
    } else if r.fract() == 0.0 {
        format!("{r:.0}")
    } else {
        format!("{r:.1}")
    }
}

/// Colours of pod phases, as a learner reads them: waiting amber, running green, done blue,
/// failed red, unknown grey, going purple.
pub fn phase_colour(p: Phase) -> &'static str {
    match p {
        Phase::Pending => "#f2c94c",
        Phase::Running => "#27ae60",
        Phase::Succeeded => "#2f80ed",
        Phase::Failed => "#eb5757",
        Phase::Unknown => "#9e9e9e",
        Phase::Terminating => "#9b51e0",
    }
}

pub fn condition_colour(c: ConditionStatus) -> &'static str {
    match c {
        ConditionStatus::True => "#27ae60",
        ConditionStatus::False => "#eb5757",
        ConditionStatus::Unknown => "#9e9e9e",
    }
}

/// Distinct colours for lines and categories (Tableau 10).
pub const PALETTE: [&str; 10] =
    ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"];

/// Black or white, whichever reads better on `fill` (a `#rrggbb` colour).
pub fn ink_on(fill: &str) -> &'static str {
    let channel = |i: usize| fill.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()).map_or(0.0, f64::from);
    let luma = 0.299 * channel(1) + 0.587 * channel(3) + 0.114 * channel(5);
    if luma > 150.0 {
        "#1f1f1f"
    } else {
        "#ffffff"
    }
}

/// An SVG document being written.
pub struct Svg {
    body: String,
    width: f64,
    height: f64,
}

const STYLE: &str = "text{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,'DejaVu Sans Mono',monospace;font-size:11px;fill:#1f1f1f}\
.title{font-size:14px;font-weight:bold}.head{font-weight:bold}.small{font-size:10px}.muted{fill:#6b6b6b}";

impl Svg {
    pub fn new(width: f64, height: f64) -> Svg {
        Svg { body: String::new(), width, height }
    }

    pub fn rect(&mut self, x: f64, y: f64, w: f64, h: f64, attrs: &str) {
        let _ = writeln!(
            self.body,
            r#"<rect x="{}" y="{}" width="{}" height="{}" {attrs}/>"#,
            num(x),
            num(y),
            num(w),
            num(h)
        );
    }

    /// A rectangle with a tooltip (an SVG `title`, which notebooks show on hover).
    pub fn rect_titled(&mut self, x: f64, y: f64, w: f64, h: f64, attrs: &str, title: &str) {
        let _ = writeln!(
            self.body,
            r#"<rect x="{}" y="{}" width="{}" height="{}" {attrs}><title>{}</title></rect>"#,
            num(x),
            num(y),
            num(w),
            num(h),
            escape(title)
        );
    }

    pub fn line(&mut self, x1: f64, y1: f64, x2: f64, y2: f64, attrs: &str) {
        let _ = writeln!(
            self.body,
            r#"<line x1="{}" y1="{}" x2="{}" y2="{}" {attrs}/>"#,
            num(x1),
            num(y1),
            num(x2),
            num(y2)
        );
    }

    /// A path through `points`, drawn with `attrs`.
    pub fn polyline(&mut self, points: &[(f64, f64)], attrs: &str) {
        let pts: Vec<String> = points.iter().map(|(x, y)| format!("{},{}", num(*x), num(*y))).collect();
        let _ = writeln!(self.body, r#"<polyline points="{}" fill="none" {attrs}/>"#, pts.join(" "));
    }

    /// Text at (x, y) (its baseline), with a class and more attributes.
    pub fn text(&mut self, x: f64, y: f64, text: &str, attrs: &str) {
        let _ = writeln!(self.body, r#"<text x="{}" y="{}" {attrs}>{}</text>"#, num(x), num(y), escape(text));
    }

    pub fn grow_to(&mut self, height: f64) {
        self.height = self.height.max(height);
    }

    pub fn finish(self) -> String {
        let (w, h) = (num(self.width), num(self.height));
        format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\">\n<style>{STYLE}</style>\n<rect x=\"0\" y=\"0\" width=\"{w}\" height=\"{h}\" fill=\"#ffffff\"/>\n{}</svg>\n",
            self.body
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped() {
        assert_eq!(escape(r#"<a href="x">&'</a>"#), "&lt;a href=&quot;x&quot;&gt;&amp;&apos;&lt;/a&gt;");
        assert_eq!(escape("bell\u{7}"), "bell\u{FFFD}");
    }

    #[test]
    fn labels_are_cut_with_an_ellipsis() {
        assert_eq!(truncate("coredns-5bd45dbdd4-4kbkm", 10), "coredns-5…");
        assert_eq!(truncate("web", 10), "web");
        assert_eq!(truncate("web", 0), "…");
        assert_eq!(shorten("coredns-5bd45dbdd4-4kbkm", 19), "coredns-5…dd4-4kbkm");
        assert_eq!(shorten("a-pod-with-a-rather-long-name-12", 10), "a-pod…e-12");
        assert_eq!(shorten("web", 3), "web");
        assert_eq!(shorten("web", 0), "…");
    }

    #[test]
    fn numbers_print_alike_everywhere() {
        assert_eq!([num(0.0), num(-0.01), num(12.0), num(12.345), num(-3.24)], ["0", "0", "12", "12.3", "-3.2"]);
    }

    #[test]
    fn ink_reads_on_its_fill() {
        assert_eq!(ink_on("#f2c94c"), "#1f1f1f");
        assert_eq!(ink_on("#4e79a7"), "#ffffff");
    }
}
