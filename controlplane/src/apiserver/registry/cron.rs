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

/// `Ok` when the schedule parses; otherwise the parser's error text.
pub fn parse_standard(spec: &str) -> Result<(), String> {
    if spec.is_empty() {
        return Err("empty spec string".into());
    }
    let mut spec = spec;
    if spec.starts_with("TZ=") || spec.starts_with("CRON_TZ=") {
        let eq = spec.find('=').unwrap_or(0);
        let space = spec.find(' ').unwrap_or(spec.len());
        if space <= eq {
            return Err(format!("provided bad location {}: unknown time zone", &spec[eq + 1..]));
        }
        spec = spec[space..].trim();
    }
    if let Some(d) = spec.strip_prefix('@') {
        return descriptor(d, spec);
    }
    let fields: Vec<&str> = spec.split_whitespace().collect();
    if fields.len() != 5 {
        return Err(format!("expected exactly 5 fields, found {}: [{}]", fields.len(), fields.join(" ")));
    }
    for (field, bounds) in fields.iter().zip([MINUTES, HOURS, DOM, MONTHS, DOW]) {
        for expr in field.split(',').filter(|e| !e.is_empty()) {
            range(expr, &bounds)?;
        }
    }
    Ok(())
}

fn descriptor(d: &str, whole: &str) -> Result<(), String> {
    match d {
        "yearly" | "annually" | "monthly" | "weekly" | "daily" | "midnight" | "hourly" => Ok(()),
        _ => match d.strip_prefix("every ") {
            Some(dur) if is_go_duration(dur) => Ok(()),
            Some(dur) => Err(format!("failed to parse duration {whole}: time: invalid duration {}", quote(dur))),
            None => Err(format!("unrecognized descriptor: {whole}")),
        },
    }
}

fn quote(s: &str) -> String {
    crate::apiserver::error::quote(s)
}

/// Go's `time.ParseDuration` syntax: one or more `<number><unit>`, or `0`.
fn is_go_duration(s: &str) -> bool {
    let s = s.strip_prefix(['+', '-']).unwrap_or(s);
    if s == "0" {
        return true;
    }
    let mut rest = s;
    if rest.is_empty() {
        return false;
    }
    while !rest.is_empty() {
        let n = rest.bytes().take_while(|c| c.is_ascii_digit() || *c == b'.').count();
        if n == 0 {
            return false;
        }
        rest = &rest[n..];
        let unit = ["ns", "us", "µs", "μs", "ms", "s", "m", "h"].iter().find(|u| rest.starts_with(**u));
        match unit {
            Some(u) => rest = &rest[u.len()..],
            None => return false,
        }
    }
    true
}

fn range(expr: &str, b: &Bounds) -> Result<(), String> {
    let range_and_step: Vec<&str> = expr.split('/').collect();
    let low_high: Vec<&str> = range_and_step[0].split('-').collect();
    let single = low_high.len() == 1;
    let (start, mut end) = if low_high[0] == "*" || low_high[0] == "?" {
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
    Ok(())
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
    use super::parse_standard;

    #[test]
    fn schedules() {
        for ok in ["*/5 * * * *", "0 3 * * 1-5", "@hourly", "@every 1h30m", "0 0 1 jan,jul sun", "TZ=UTC 0 0 * * *"] {
            assert_eq!(parse_standard(ok), Ok(()), "{ok}");
        }
        assert_eq!(parse_standard("* * * *"), Err("expected exactly 5 fields, found 4: [* * * *]".into()));
        assert_eq!(parse_standard("61 * * * *"), Err("end of range (61) above maximum (59): 61".into()));
        assert_eq!(
            parse_standard("x * * * *"),
            Err("failed to parse int from x: strconv.Atoi: parsing \"x\": invalid syntax".into())
        );
        assert_eq!(parse_standard("@sometimes"), Err("unrecognized descriptor: @sometimes".into()));
    }
}
