//! The check of `cron.ParseStandard` (robfig/cron v3, which the API server uses for CronJob
//! schedules): five fields or a descriptor, with the parser's own error texts.

struct Bounds {
    min: u32,
    max: u32,
    names: &'static [(&'static str, u32)],
}

const MINUTES: Bounds = Bounds { min: 0, max: 59, names: &[] };
const HOURS: Bounds = Bounds { min: 0, max: 23, names: &[] };
const DOM: Bounds = Bounds { min: 1, max: 31, names: &[] };
const MONTHS: Bounds = Bounds {
    min: 1,
    max: 12,
    names: &[
        ("jan", 1),
        ("feb", 2),
        ("mar", 3),
        ("apr", 4),
        ("may", 5),
        ("jun", 6),
        ("jul", 7),
        ("aug", 8),
        ("sep", 9),
        ("oct", 10),
        ("nov", 11),
        ("dec", 12),
    ],
};
const DOW: Bounds = Bounds {
    min: 0,
    max: 6,
    names: &[("sun", 0), ("mon", 1), ("tue", 2), ("wed", 3), ("thu", 4), ("fri", 5), ("sat", 6)],
};

/// A parsed schedule, as robfig/cron's `Schedule`: the fields of a `SpecSchedule` (one bit
/// per allowed value, and whether day-of-month or day-of-week began with `*` or `?`, which
/// decides between their AND and OR) or an `@every` `ConstantDelaySchedule`; with the
/// location a `TZ=`/`CRON_TZ=` prefix named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CronSpec {
    pub location: Option<String>,
    pub kind: CronKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CronKind {
    /// Minute, hour, day of month, month, day of week: bit `v` set when value `v` matches.
    Fields { fields: [u64; 5], star_dom: bool, star_dow: bool },
    /// `@every <duration>`: whole seconds, at least one.
    Every { seconds: i64 },
}

/// robfig's `starBit`: the field began with `*` or `?` (and had no step above 1).
const STAR: u64 = 1 << 63;

/// `cron.ParseStandard`: the schedule, or the parser's error text.
pub fn parse_standard(spec: &str) -> Result<CronSpec, String> {
    if spec.is_empty() {
        return Err("empty spec string".into());
    }
    let mut spec = spec;
    let mut location = None;
    if spec.starts_with("TZ=") || spec.starts_with("CRON_TZ=") {
        let eq = spec.find('=').unwrap_or(0);
        let space = spec.find(' ').unwrap_or(spec.len());
        let name = if space <= eq { &spec[eq + 1..] } else { &spec[eq + 1..space] };
        if space <= eq {
            return Err(format!("provided bad location {name}: unknown time zone {name}"));
        }
        if let Err(e) = load_location(name) {
            return Err(format!("provided bad location {name}: {e}"));
        }
        location = Some(name.to_string());
        spec = spec[space..].trim();
    }
    if spec.starts_with('@') {
        return descriptor(spec).map(|kind| CronSpec { location, kind });
    }
    let fields: Vec<&str> = spec.split_whitespace().collect();
    if fields.len() != 5 {
        return Err(format!("expected exactly 5 fields, found {}: [{}]", fields.len(), fields.join(" ")));
    }
    let mut bits = [0u64; 5];
    for ((field, bounds), out) in fields.iter().zip([MINUTES, HOURS, DOM, MONTHS, DOW]).zip(bits.iter_mut()) {
        for expr in field.split(',').filter(|e| !e.is_empty()) {
            *out |= range(expr, &bounds)?;
        }
    }
    let (star_dom, star_dow) = (bits[2] & STAR != 0, bits[4] & STAR != 0);
    for b in &mut bits {
        *b &= !STAR;
    }
    Ok(CronSpec { location, kind: CronKind::Fields { fields: bits, star_dom, star_dow } })
}

/// Go's `time.LoadLocation` over the IANA database: `""` and `UTC` are UTC, `Local` the
/// process's zone (UTC here); other names are looked up as written.
pub fn load_location(name: &str) -> Result<chrono_tz::Tz, String> {
    match name {
        "" | "UTC" | "Local" => Ok(chrono_tz::Tz::UTC),
        _ => name.parse().map_err(|_| format!("unknown time zone {name}")),
    }
}

/// `parseDescriptor`: the macros as robfig expands them (`@weekly` is Sunday at midnight;
/// `@midnight` is `@daily`), and `@every`.
fn descriptor(whole: &str) -> Result<CronKind, String> {
    let fields = |minute: u64, hour: u64, dom: u64, month: u64, dow: u64, star_dom, star_dow| {
        Ok(CronKind::Fields { fields: [minute, hour, dom, month, dow], star_dom, star_dow })
    };
    let all = |b: &Bounds| bits(b.min, b.max, 1);
    match whole {
        "@yearly" | "@annually" => fields(1, 1, 1 << 1, 1 << 1, all(&DOW), false, true),
        "@monthly" => fields(1, 1, 1 << 1, all(&MONTHS), all(&DOW), false, true),
        "@weekly" => fields(1, 1, all(&DOM), all(&MONTHS), 1, true, false),
        "@daily" | "@midnight" => fields(1, 1, all(&DOM), all(&MONTHS), all(&DOW), true, true),
        "@hourly" => fields(1, all(&HOURS), all(&DOM), all(&MONTHS), all(&DOW), true, true),
        _ => match whole.strip_prefix("@every ") {
            Some(dur) => match go_duration_seconds(dur) {
                // `Every`: at least a second, and whole seconds.
                Some(secs) => Ok(CronKind::Every { seconds: secs.max(1) }),
                None => Err(format!("failed to parse duration {whole}: time: invalid duration {}", quote(dur))),
            },
            None => Err(format!("unrecognized descriptor: {whole}")),
        },
    }
}

fn quote(s: &str) -> String {
    crate::apiserver::error::quote(s)
}

/// Go's `time.ParseDuration`: one or more `<number><unit>`, or `0`; whole seconds, rounded
/// toward zero as `Every` truncates.
fn go_duration_seconds(s: &str) -> Option<i64> {
    let (sign, s) = match s.strip_prefix('-') {
        Some(rest) => (-1.0, rest),
        None => (1.0, s.strip_prefix('+').unwrap_or(s)),
    };
    if s == "0" {
        return Some(0);
    }
    let mut rest = s;
    if rest.is_empty() {
        return None;
    }
    let mut total = 0f64;
    while !rest.is_empty() {
        let n = rest.bytes().take_while(|c| c.is_ascii_digit() || *c == b'.').count();
        let number: f64 = rest[..n].parse().ok()?;
        rest = &rest[n..];
        let units = [
            ("ns", 1e-9),
            ("us", 1e-6),
            ("µs", 1e-6),
            ("μs", 1e-6),
            ("ms", 1e-3),
            ("s", 1.0),
            ("m", 60.0),
            ("h", 3600.0),
        ];
        let (unit, scale) = units.iter().find(|(u, _)| rest.starts_with(*u))?;
        rest = &rest[unit.len()..];
        total += number * scale;
    }
    // Go refuses what overflows its int64 nanoseconds.
    (total <= 9.2e9).then_some((sign * total).trunc() as i64)
}

/// Bits `min..=max` by `step` (`getBits`).
fn bits(min: u32, max: u32, step: u32) -> u64 {
    (min..=max).step_by(step as usize).fold(0, |acc, v| acc | 1 << v)
}

/// `getRange`: the bits of one comma-separated part.
fn range(expr: &str, b: &Bounds) -> Result<u64, String> {
    let range_and_step: Vec<&str> = expr.split('/').collect();
    let low_high: Vec<&str> = range_and_step[0].split('-').collect();
    let single = low_high.len() == 1;
    let star = low_high[0] == "*" || low_high[0] == "?";
    let mut extra = if star { STAR } else { 0 };
    let (start, mut end) = if star {
        (b.min, b.max)
    } else {
        let start = int_or_name(low_high[0], b)?;
        match low_high.len() {
            1 => (start, start),
            2 => (start, int_or_name(low_high[1], b)?),
            _ => return Err(format!("too many hyphens: {expr}")),
        }
    };
    let step = match range_and_step.len() {
        1 => 1,
        2 => {
            let step = must_parse_int(range_and_step[1])?;
            if single {
                end = b.max;
            }
            if step > 1 {
                extra = 0;
            }
            step
        }
        _ => return Err(format!("too many slashes: {expr}")),
    };
    if start < b.min {
        return Err(format!("beginning of range ({start}) below minimum ({}): {expr}", b.min));
    }
    if end > b.max {
        return Err(format!("end of range ({end}) above maximum ({}): {expr}", b.max));
    }
    if start > end {
        return Err(format!("beginning of range ({start}) beyond end of range ({end}): {expr}"));
    }
    if step == 0 {
        return Err(format!("step of range should be a positive number: {expr}"));
    }
    Ok(bits(start, end, step) | extra)
}

fn int_or_name(expr: &str, b: &Bounds) -> Result<u32, String> {
    let lower = expr.to_lowercase();
    match b.names.iter().find(|(n, _)| *n == lower) {
        Some((_, v)) => Ok(*v),
        None => must_parse_int(expr),
    }
}

fn must_parse_int(expr: &str) -> Result<u32, String> {
    let num: i64 = match expr.parse() {
        Ok(n) => n,
        Err(_) => {
            let why = if expr.trim_start_matches(['+', '-']).bytes().all(|c| c.is_ascii_digit()) && !expr.is_empty() {
                "value out of range"
            } else {
                "invalid syntax"
            };
            return Err(format!("failed to parse int from {expr}: strconv.Atoi: parsing {}: {why}", quote(expr)));
        }
    };
    if num < 0 {
        return Err(format!("negative number ({num}) not allowed: {expr}"));
    }
    u32::try_from(num).map_err(|_| format!("end of range ({num}) above maximum: {expr}"))
}

#[cfg(test)]
mod tests {
    use super::{parse_standard, CronKind};

    #[test]
    fn schedules() {
        for ok in [
            "*/5 * * * *",
            "0 3 * * 1-5",
            "@hourly",
            "@every 1h30m",
            "0 0 1 jan,jul sun",
            "TZ=UTC 0 0 * * *",
            "CRON_TZ=Europe/Berlin @daily",
        ] {
            assert!(parse_standard(ok).is_ok(), "{ok}");
        }
        assert_eq!(parse_standard("* * * *"), Err("expected exactly 5 fields, found 4: [* * * *]".into()));
        assert_eq!(parse_standard("61 * * * *"), Err("end of range (61) above maximum (59): 61".into()));
        assert_eq!(
            parse_standard("x * * * *"),
            Err("failed to parse int from x: strconv.Atoi: parsing \"x\": invalid syntax".into())
        );
        assert_eq!(parse_standard("@sometimes"), Err("unrecognized descriptor: @sometimes".into()));
        assert_eq!(
            parse_standard("TZ=Mars/Olympus 0 * * * *"),
            Err("provided bad location Mars/Olympus: unknown time zone Mars/Olympus".into())
        );
    }

    fn fields(spec: &str) -> ([u64; 5], bool, bool) {
        match parse_standard(spec).map(|s| s.kind) {
            Ok(CronKind::Fields { fields, star_dom, star_dow }) => (fields, star_dom, star_dow),
            other => panic!("{spec}: {other:?}"),
        }
    }

    #[test]
    fn bits_and_stars_as_robfig() {
        // `N/step` runs to the field's maximum; a step above 1 is no longer a star.
        let (f, star_dom, star_dow) = fields("5/20 1-5/2 */2 jan-mar ?");
        assert_eq!(f[0], 1 << 5 | 1 << 25 | 1 << 45);
        assert_eq!(f[1], 1 << 1 | 1 << 3 | 1 << 5);
        assert_eq!(f[3], 0b1110);
        assert_eq!(f[4], 0x7f);
        assert!(!star_dom && star_dow);
        assert!(fields("0 0 */1 * 1").1);
        assert_eq!(fields("@weekly"), ([1, 1, 0xffff_fffe, 0x1ffe, 1], true, false));
        assert_eq!(parse_standard("@every 90s").map(|s| s.kind), Ok(CronKind::Every { seconds: 90 }));
        assert_eq!(parse_standard("@every 100ms").map(|s| s.kind), Ok(CronKind::Every { seconds: 1 }));
        assert_eq!(parse_standard("@every 1h30m").map(|s| s.kind), Ok(CronKind::Every { seconds: 5400 }));
    }
}
