//! AGE: apimachinery's `duration.HumanDuration`.

use chrono::{DateTime, Duration, Utc};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

pub fn human_duration(d: Duration) -> String {
    let secs = d.num_seconds();
    if secs < -1 {
        return "<invalid>".into();
    }
    let secs = secs.max(0);
    let (m, h, day) = (secs / 60, secs / 3600, secs / 86400);
    if secs < 120 {
        format!("{secs}s")
    } else if m < 10 {
        if secs % 60 == 0 {
            format!("{m}m")
        } else {
            format!("{m}m{}s", secs % 60)
        }
    } else if h < 3 {
        format!("{m}m")
    } else if h < 8 {
        if m % 60 == 0 {
            format!("{h}h")
        } else {
            format!("{h}h{}m", m % 60)
        }
    } else if h < 48 {
        format!("{h}h")
    } else if h < 24 * 8 {
        if h % 24 == 0 {
            format!("{day}d")
        } else {
            format!("{day}d{}h", h % 24)
        }
    } else if h < 24 * 365 * 2 {
        format!("{day}d")
    } else if h < 24 * 365 * 8 {
        let y = day / 365;
        if day % 365 == 0 {
            format!("{y}y")
        } else {
            format!("{y}y{}d", day % 365)
        }
    } else {
        format!("{}y", day / 365)
    }
}

/// The AGE of an object created at `created`, or `<unknown>`.
pub fn age(created: Option<&Time>, now: DateTime<Utc>) -> String {
    match created.and_then(|t| DateTime::from_timestamp(t.0.as_second(), 0)) {
        Some(t) => human_duration(now - t),
        None => "<unknown>".into(),
    }
}
