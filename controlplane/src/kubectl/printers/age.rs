//! Durations as kubectl prints them (AGE, LAST SEEN, DURATION, `N (5m ago)`): apimachinery's
//! `duration.HumanDuration` in `k8s.io/apimachinery/pkg/util/duration/duration.go`.

use chrono::{DateTime, Duration, Utc};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, Time};
use k8s_openapi::jiff::Timestamp;

/// A succinct duration with about two significant figures: `45s`, `2m5s`, `17m`, `5h3m`, `20h`,
/// `3d4h`, `100d`, `3y20d`, `10y`. Up to one second in the future prints `0s` (clock skew);
/// further in the future prints `<invalid>`.
pub fn human_duration(d: Duration) -> String {
    // Go's time.Duration is int64 nanoseconds: a longer span saturates (`time.Time.Sub`).
    let d = d.clamp(Duration::nanoseconds(i64::MIN), Duration::nanoseconds(i64::MAX));
    // `int(d.Seconds())` truncates toward zero, as `num_seconds` does.
    let seconds = d.num_seconds();
    if seconds < -1 {
        return "<invalid>".to_string();
    }
    if seconds < 0 {
        return "0s".to_string();
    }
    if seconds < 60 * 2 {
        return format!("{seconds}s");
    }
    let minutes = seconds / 60;
    if minutes < 10 {
        let s = seconds % 60;
        return if s == 0 { format!("{minutes}m") } else { format!("{minutes}m{s}s") };
    }
    if minutes < 60 * 3 {
        return format!("{minutes}m");
    }
    let hours = seconds / 3600;
    if hours < 8 {
        let m = minutes % 60;
        return if m == 0 { format!("{hours}h") } else { format!("{hours}h{m}m") };
    }
    if hours < 48 {
        return format!("{hours}h");
    }
    if hours < 24 * 8 {
        let h = hours % 24;
        return if h == 0 { format!("{}d", hours / 24) } else { format!("{}d{h}h", hours / 24) };
    }
    if hours < 24 * 365 * 2 {
        return format!("{}d", hours / 24);
    }
    if hours < 24 * 365 * 8 {
        let dy = (hours / 24) % 365;
        return if dy == 0 { format!("{}y", hours / 24 / 365) } else { format!("{}y{dy}d", hours / 24 / 365) };
    }
    format!("{}y", hours / 24 / 365)
}

/// The AGE column: time since `created`, or `<unknown>` when the object has no creation
/// timestamp (kubectl's `translateTimestampSince`).
pub fn age(created: Option<&Time>, now: DateTime<Utc>) -> String {
    match created {
        Some(t) => since(t.0, now),
        None => "<unknown>".to_string(),
    }
}

/// Like [`age`], for the microsecond timestamps of events.
pub(crate) fn micro_age(t: Option<&MicroTime>, now: DateTime<Utc>) -> String {
    match t {
        Some(t) => since(t.0, now),
        None => "<unknown>".to_string(),
    }
}

/// `human_duration(now - t)`.
pub(crate) fn since(t: Timestamp, now: DateTime<Utc>) -> String {
    human_duration(now - to_chrono(t))
}

/// A k8s-openapi timestamp on the simulated clock's type.
pub(crate) fn to_chrono(t: Timestamp) -> DateTime<Utc> {
    DateTime::from_timestamp(t.as_second(), t.subsec_nanosecond().unsigned_abs()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `span` is "<seconds>" or "<seconds>.<millis>", negative allowed.
    fn check(span: &str, expect: &str) {
        let millis: i64 = match span.split_once('.') {
            Some((s, ms)) => {
                let sign = if s.starts_with('-') { -1 } else { 1 };
                s.parse::<i64>().unwrap() * 1000 + sign * ms.parse::<i64>().unwrap()
            }
            None => span.parse::<i64>().unwrap() * 1000,
        };
        assert_eq!(human_duration(Duration::milliseconds(millis)), expect, "{span}s");
    }

    #[test]
    fn every_boundary() {
        const M: i64 = 60;
        const H: i64 = 3600;
        const D: i64 = 24 * H;
        const Y: i64 = 365 * D;
        let cases: &[(i64, &str)] = &[
            // Clock skew: up to a second in the future is "now".
            (-3, "<invalid>"),
            (-2, "<invalid>"),
            (-1, "0s"),
            (0, "0s"),
            (1, "1s"),
            // Seconds up to two minutes.
            (59, "59s"),
            (60, "60s"),
            (119, "119s"),
            // Minutes and seconds below ten minutes, seconds dropped when zero.
            (2 * M, "2m"),
            (2 * M + 1, "2m1s"),
            (9 * M + 59, "9m59s"),
            // Minutes below three hours.
            (10 * M, "10m"),
            (10 * M + 59, "10m"),
            (3 * H - 1, "179m"),
            // Hours and minutes below eight hours, minutes dropped when zero.
            (3 * H, "3h"),
            (3 * H + M, "3h1m"),
            (3 * H + M + 59, "3h1m"),
            (8 * H - 1, "7h59m"),
            // Hours below two days.
            (8 * H, "8h"),
            (47 * H + 59 * M, "47h"),
            // Days and hours below eight days, hours dropped when zero.
            (2 * D, "2d"),
            (2 * D + H, "2d1h"),
            (8 * D - 1, "7d23h"),
            // Days below two years.
            (8 * D, "8d"),
            (2 * Y - 1, "729d"),
            // Years and days below eight years, days dropped when zero.
            (2 * Y, "2y"),
            (2 * Y + D, "2y1d"),
            (8 * Y - 1, "7y364d"),
            // Years.
            (8 * Y, "8y"),
            (100 * Y + 200 * D, "100y"),
        ];
        for (secs, expect) in cases {
            check(&secs.to_string(), expect);
        }
        // Fractions truncate toward zero, as Go's int(d.Seconds()).
        check("-2.500", "<invalid>");
        check("-1.999", "0s");
        check("-0.500", "0s");
        check("119.999", "119s");
        check("599.999", "9m59s");
        // Go durations saturate at about 292 years.
        assert_eq!(human_duration(Duration::days(1000 * 365)), "292y");
        assert_eq!(human_duration(Duration::days(-1000 * 365)), "<invalid>");
    }

    #[test]
    fn ages() {
        let now = DateTime::parse_from_rfc3339("2025-01-01T01:00:00Z").unwrap().with_timezone(&Utc);
        let t = |s: &str| Time(s.parse().unwrap());
        assert_eq!(age(None, now), "<unknown>");
        assert_eq!(age(Some(&t("2025-01-01T00:00:00Z")), now), "60m");
        assert_eq!(age(Some(&t("2025-01-01T00:59:30Z")), now), "30s");
        assert_eq!(age(Some(&t("2025-01-01T01:00:01Z")), now), "0s");
        assert_eq!(age(Some(&t("2025-01-01T01:00:02Z")), now), "<invalid>");
        assert_eq!(micro_age(Some(&MicroTime("2024-12-31T21:59:59.5Z".parse().unwrap())), now), "3h");
        assert_eq!(micro_age(None, now), "<unknown>");
    }
}
