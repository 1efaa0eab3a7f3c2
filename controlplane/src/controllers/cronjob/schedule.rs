//! The time maths of a CronJob's schedule (`utils.go`): robfig/cron's `Schedule.Next` over the
//! fields the API server's parser read (in UTC by walking the fields' bits as robfig does; in
//! another time zone the croner crate walks the calendar), and upstream's count of missed
//! schedule times.
//!
//! Around daylight-saving changes croner and robfig part ways, and robfig's answer is the one
//! a cluster gives: robfig only ever returns a time whose wall clock matches the fields, so a
//! time in a spring-forward gap (`30 2 * * *` on the day 02:00 jumps to 03:00) is skipped,
//! where croner runs it at the end of the gap; and robfig walks absolute time, so a wall time
//! in a fall-back hour that happens twice (`30 1 * * *`) fires twice, where croner fires once.

use std::cell::Cell;

use chrono::{DateTime, Datelike, Duration, Months, Offset, TimeZone, Timelike, Utc};
use chrono_tz::Tz;
use croner::parser::{CronParser, Seconds, Year};
use croner::Cron;

use crate::apiserver::registry::cron::{load_location, parse_standard, CronKind};

/// `nextScheduleDelta`: a requeue lands this long after the schedule time.
pub const NEXT_SCHEDULE_DELTA: Duration = Duration::milliseconds(100);

/// More missed times than this is `TooManyMissedTimes`.
const MANY_MISSED: i64 = 100;

/// A schedule that can say when it next fires.
pub enum Schedule {
    /// A `SpecSchedule`: the cron fields in a time zone; `cron` is `None` when no date can match.
    Spec { cron: Option<Box<Cron>>, tz: Tz, fields: [u64; 5], dom_and_dow: bool, recent: Recent },
    /// `@every`: a `ConstantDelaySchedule`.
    Every(Duration),
}

/// `formatSchedule` then `cron.ParseStandard`: the spec's time zone becomes a `TZ=` prefix,
/// unless the schedule names one itself or the zone is unknown.
pub fn parse(schedule: &str, time_zone: Option<&str>) -> Result<Schedule, String> {
    let formatted = match time_zone {
        Some(tz) if !schedule.contains("TZ") && load_location(tz).is_ok() => format!("TZ={tz} {schedule}"),
        _ => schedule.to_string(),
    };
    let spec = parse_standard(&formatted)?;
    let tz = load_location(spec.location.as_deref().unwrap_or(""))?;
    Ok(match spec.kind {
        CronKind::Every { seconds } => Schedule::Every(Duration::seconds(seconds)),
        CronKind::Fields { fields, star_dom, star_dow } => {
            let dom_and_dow = star_dom || star_dow;
            Schedule::Spec { cron: to_croner(fields, dom_and_dow), tz, fields, dom_and_dow, recent: Recent::default() }
        }
    })
}

/// The fields as lists of values for croner; robfig ANDs the day fields when either began with
/// a star and ORs them otherwise, which croner does with lists and `dom_and_dow`.
fn to_croner(fields: [u64; 5], dom_and_dow: bool) -> Option<Box<Cron>> {
    if !may_match(fields, dom_and_dow) {
        return None;
    }
    let list =
        |bits: u64| (0..64).filter(|v| bits & (1 << v) != 0).map(|v: u32| v.to_string()).collect::<Vec<_>>().join(",");
    // A whole minute, hour or month field is `*` (shorter to parse); the day fields stay lists,
    // since croner's own star rule for them is not robfig's.
    let [minutes, hours, days, months, weekdays] = fields;
    let whole = |bits: u64, full: u64| if bits == full { "*".to_string() } else { list(bits) };
    let pattern =
        [whole(minutes, (1 << 60) - 1), whole(hours, (1 << 24) - 1), list(days), whole(months, 0x1ffe), list(weekdays)]
            .join(" ");
    let parser =
        CronParser::builder().seconds(Seconds::Disallowed).year(Year::Disallowed).dom_and_dow(dom_and_dow).build();
    parser.parse(&pattern).ok().map(Box::new)
}

/// Whether some date matches (`59 23 31 2 *` never does; robfig finds nothing and gives the
/// zero time).
fn may_match(fields: [u64; 5], dom_and_dow: bool) -> bool {
    let [minutes, hours, days, months, weekdays] = fields;
    if minutes == 0 || hours == 0 || months == 0 {
        return false;
    }
    if !dom_and_dow && weekdays != 0 {
        return true;
    }
    const LONGEST: [u32; 13] = [0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    weekdays != 0 && (1..=12).any(|m| months & (1 << m) != 0 && (1..=LONGEST[m]).any(|d| days & (1 << d) != 0))
}

/// The last two answers of a schedule's `next`, the time asked about first. A sync asks for the
/// time after the last schedule time and the one after that, twice, and every sync of the
/// same CronJob until its next schedule time asks the same: the calendar is walked once.
#[derive(Default)]
pub struct Recent(Cell<[Option<Answer>; 2]>);

/// A time asked about and the next time after it (`None`: never again).
type Answer = (DateTime<Utc>, Option<DateTime<Utc>>);

impl Recent {
    fn get(&self, t: DateTime<Utc>) -> Option<Option<DateTime<Utc>>> {
        self.0.get().into_iter().flatten().find(|(asked, _)| *asked == t).map(|(_, next)| next)
    }

    fn put(&self, t: DateTime<Utc>, next: Option<DateTime<Utc>>) {
        let [newest, _] = self.0.get();
        self.0.set([Some((t, next)), newest]);
    }
}

impl Schedule {
    /// `Next`: the first activation after `t` (to the second), or `None` when there is none in
    /// the next five years (robfig's zero time).
    pub fn next(&self, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let Schedule::Spec { recent, .. } = self else { return self.walk(t) };
        if let Some(next) = recent.get(t) {
            return next;
        }
        let next = self.walk(t);
        recent.put(t, next);
        next
    }

    /// `next` without the memory of recent answers.
    fn walk(&self, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let whole = t - Duration::nanoseconds(t.timestamp_subsec_nanos().into());
        match self {
            Schedule::Every(delay) => whole.checked_add_signed(*delay),
            Schedule::Spec { cron, tz, fields, dom_and_dow, .. } => {
                let cron = cron.as_ref()?;
                let limit = five_years_after(t)?;
                if *tz == Tz::UTC {
                    return next_in_utc(t, limit, *fields, *dom_and_dow);
                }
                next_by_croner(cron, *tz, t, limit, *fields, *dom_and_dow)
            }
        }
    }
}

/// How far `Next` looks: five years on (robfig's limit).
fn five_years_after(t: DateTime<Utc>) -> Option<DateTime<Utc>> {
    t.with_year(t.year() + 5).or_else(|| t.checked_add_months(Months::new(60)))
}

/// robfig's `Next` by croner's walk of the calendar in `tz`, each time it finds checked against
/// robfig's rules (a gap's time skipped, a repeated hour's time found).
fn next_by_croner(
    cron: &Cron,
    tz: Tz,
    t: DateTime<Utc>,
    limit: DateTime<Utc>,
    fields: [u64; 5],
    dom_and_dow: bool,
) -> Option<DateTime<Utc>> {
    let matches = |at: DateTime<Utc>| wall_clock_matches(&at.with_timezone(&tz), fields, dom_and_dow);
    let mut from = t - Duration::nanoseconds(t.timestamp_subsec_nanos().into());
    // Each pass skips one gap time; a handful of passes is more than any zone needs.
    for _ in 0..8 {
        let next = cron.find_next_occurrence(&from.with_timezone(&tz), false).ok()?.with_timezone(&Utc);
        let next = repeated_wall_time(tz, from, next, &matches).unwrap_or(next);
        if next > limit {
            return None;
        }
        if matches(next) {
            return Some(next);
        }
        from = next;
    }
    None
}

/// robfig's `Next` where the wall clock is UTC (no offset ever changes, so no gap and no
/// repeated hour): the first whole minute after `t` whose fields match, found a month, a day,
/// an hour or a minute at a time as robfig walks them, without a calendar crate in the loop (a
/// CronJob of every minute asks for each of its times once). `None` past `limit`.
fn next_in_utc(t: DateTime<Utc>, limit: DateTime<Utc>, fields: [u64; 5], dom_and_dow: bool) -> Option<DateTime<Utc>> {
    let [minutes, hours, days, months, weekdays] = fields;
    let bit = |set: u64, v: u32| set & (1 << v) != 0;
    // The first whole minute strictly after `t` (robfig: the next second, then seconds at 0).
    let mut at = DateTime::from_timestamp((t.timestamp().div_euclid(60) + 1) * 60, 0)?;
    while at <= limit {
        let date = at.date_naive();
        if !bit(months, at.month()) {
            let first = date.with_day(1)?.checked_add_months(Months::new(1))?;
            at = first.and_hms_opt(0, 0, 0)?.and_utc();
            continue;
        }
        let (dom, dow) = (bit(days, at.day()), bit(weekdays, at.weekday().num_days_from_sunday()));
        if !(if dom_and_dow { dom && dow } else { dom || dow }) {
            at = date.succ_opt()?.and_hms_opt(0, 0, 0)?.and_utc();
            continue;
        }
        if !bit(hours, at.hour()) {
            at = date.and_hms_opt(at.hour(), 0, 0)?.and_utc() + Duration::hours(1);
            continue;
        }
        if !bit(minutes, at.minute()) {
            at += Duration::minutes(1);
            continue;
        }
        return Some(at);
    }
    None
}

/// Whether a local time matches the fields, as robfig reads them (`dayMatches`: the day
/// fields ANDed when either began with a star, else ORed).
fn wall_clock_matches(at: &DateTime<Tz>, fields: [u64; 5], dom_and_dow: bool) -> bool {
    let [minutes, hours, days, months, weekdays] = fields;
    let bit = |set: u64, v: u32| set & (1 << v) != 0;
    let dom = bit(days, at.day());
    let dow = bit(weekdays, at.weekday().num_days_from_sunday());
    let day = if dom_and_dow { dom && dow } else { dom || dow };
    at.second() == 0 && bit(minutes, at.minute()) && bit(hours, at.hour()) && bit(months, at.month()) && day
}

/// The offset from UTC in `tz` at `at`, in seconds.
fn offset(tz: Tz, at: DateTime<Utc>) -> i64 {
    i64::from(tz.offset_from_utc_datetime(&at.naive_utc()).fix().local_minus_utc())
}

/// The earliest whole minute after `from` and before `next` whose wall clock matches and
/// that lies in an hour a fall-back repeats, which robfig returns and croner may not.
fn repeated_wall_time(
    tz: Tz,
    from: DateTime<Utc>,
    next: DateTime<Utc>,
    matches: &dyn Fn(DateTime<Utc>) -> bool,
) -> Option<DateTime<Utc>> {
    // Offset changes between the two, found a week at a time (no zone changes twice within
    // a week), each then narrowed to the second it happens.
    let week = Duration::days(7);
    let mut start = from;
    while start < next {
        let end = (start + week).min(next);
        let (before, after) = (offset(tz, start), offset(tz, end));
        if after < before {
            let (mut lo, mut hi) = (start, end);
            while hi - lo > Duration::seconds(1) {
                let mid = lo + (hi - lo) / 2;
                if offset(tz, mid) == before {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            // Wall times in [change - back, change + back) happen twice.
            let back = Duration::seconds(before - after);
            let first = (hi - back).max(from + Duration::seconds(1));
            let mut at = first + Duration::seconds((60 - first.timestamp().rem_euclid(60)) % 60);
            while at < hi + back && at < next {
                if matches(at) {
                    return Some(at);
                }
                at += Duration::minutes(1);
            }
        }
        start = end;
    }
    None
}

/// `missedSchedulesType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Missed {
    None,
    Few,
    Many,
}

/// What `mostRecentScheduleTime` finds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MostRecent {
    /// The last schedule time, or the creation time (later the starting deadline).
    pub earliest: DateTime<Utc>,
    /// The latest time a Job should have started, at or before now.
    pub most_recent: Option<DateTime<Utc>>,
    pub missed: Missed,
}

/// The error of a schedule whose two next times are less than a second apart (or never come).
pub const TOO_CLOSE: &str = "time difference between two schedules is less than 1 second";

/// `mostRecentScheduleTime`: from `earliest` (the last schedule time or creation, moved up to
/// `now - startingDeadlineSeconds` when `deadline` is given), the latest time at or before now,
/// and how many were missed, counted roughly as upstream does: the gap between the next two
/// times, fitted into the time since the first.
pub fn most_recent_schedule_time(
    earliest: DateTime<Utc>,
    deadline: Option<i64>,
    now: DateTime<Utc>,
    schedule: &Schedule,
) -> Result<MostRecent, String> {
    let mut earliest = earliest;
    if let Some(seconds) = deadline {
        let scheduling_deadline = now - Duration::seconds(seconds);
        if scheduling_deadline > earliest {
            earliest = scheduling_deadline;
        }
    }
    let none = |missed| MostRecent { earliest, most_recent: None, missed };
    let t1 = schedule.next(earliest);
    let t2 = t1.and_then(|t| schedule.next(t));
    match (t1, t2) {
        (Some(t1), _) if now < t1 => return Ok(none(Missed::None)),
        (Some(t1), Some(t2)) if now < t2 => {
            return Ok(MostRecent { earliest, most_recent: Some(t1), missed: Missed::None })
        }
        _ => {}
    }
    let (Some(t1), Some(t2)) = (t1, t2) else { return Err(TOO_CLOSE.into()) };
    // `t2.Sub(t1).Round(time.Second)`.
    let between = (t2 - t1 + Duration::milliseconds(500)).num_seconds();
    if between < 1 {
        return Err(TOO_CLOSE.into());
    }
    let elapsed = (now - t1).num_seconds();
    let number_missed = elapsed / between + 1;
    // One interval further back than the estimate, then the schedule's own steps up to now.
    let potential_earliest = t1 + Duration::seconds((number_missed - 2) * between);
    let mut most_recent = None;
    let mut t = schedule.next(potential_earliest);
    while let Some(at) = t.filter(|at| *at <= now) {
        most_recent = Some(at);
        t = schedule.next(at);
    }
    let missed = if number_missed > MANY_MISSED { Missed::Many } else { Missed::Few };
    Ok(MostRecent { earliest, most_recent, missed })
}

/// `nextScheduleTimeDuration`: how long until the sync after the next schedule time (plus
/// the delta); `None` when the schedule never fires again.
pub fn next_schedule_time_duration(
    earliest: DateTime<Utc>,
    now: DateTime<Utc>,
    schedule: &Schedule,
) -> Option<Duration> {
    let from = match most_recent_schedule_time(earliest, None, now, schedule) {
        Err(_) => now,
        Ok(MostRecent { most_recent: Some(t), .. }) => t,
        Ok(MostRecent { missed: Missed::None, earliest, .. }) => earliest,
        Ok(_) => now,
    };
    let next = schedule.next(from)?;
    Some((next + NEXT_SCHEDULE_DELTA - now).max(Duration::zero()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).expect("a time").with_timezone(&Utc)
    }

    fn next(schedule: &str, tz: Option<&str>, from: &str) -> Option<String> {
        let s = parse(schedule, tz).expect("parses");
        s.next(at(from)).map(|t| t.to_rfc3339())
    }

    /// A set of one to three values of `range`, as a field's bits.
    fn bits(range: std::ops::Range<u32>) -> impl proptest::strategy::Strategy<Value = u64> {
        use proptest::strategy::Strategy;
        proptest::collection::vec(range, 1..4).prop_map(|vs| vs.into_iter().fold(0, |set, v| set | 1 << v))
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]
        /// In UTC the fields walked directly give what croner's calendar walk gives.
        #[test]
        fn utc_walks_as_croner(
            minutes in bits(0..60), hours in bits(0..24), days in bits(1..32), months in bits(1..13),
            weekdays in bits(0..7), dense in 0usize..32, dom_and_dow: bool,
            from in 1_700_000_000i64..1_900_000_000, nanos in 0u32..1_000_000_000,
        ) {
            // Sparse fields mostly (a few values each, so dates that never or seldom match come
            // up), and now and then one whole.
            let whole = |i: usize, set: u64, all: u64| if dense & (1 << i) != 0 { all } else { set };
            let fields = [
                whole(0, minutes, (1 << 60) - 1),
                whole(1, hours, (1 << 24) - 1),
                whole(2, days, ((1 << 32) - 1) & !1),
                whole(3, months, 0x1ffe),
                whole(4, weekdays, 0x7f),
            ];
            let cron = to_croner(fields, dom_and_dow);
            let t = DateTime::from_timestamp(from, nanos).expect("a time");
            let limit = five_years_after(t).expect("a time");
            let by_croner = cron.as_ref().and_then(|cron| next_by_croner(cron, Tz::UTC, t, limit, fields, dom_and_dow));
            let direct = cron.as_ref().and_then(|_| next_in_utc(t, limit, fields, dom_and_dow));
            proptest::prop_assert_eq!(direct, by_croner);
        }
    }

    #[test]
    fn next_times_as_robfig() {
        let n = |s, from| next(s, None, from).unwrap_or_default();
        assert_eq!(n("*/5 * * * *", "2025-01-01T00:00:00Z"), "2025-01-01T00:05:00+00:00");
        // Strictly after, to the second: a requeue lands 100ms past the time.
        assert_eq!(n("*/5 * * * *", "2025-01-01T00:05:00.100Z"), "2025-01-01T00:10:00+00:00");
        assert_eq!(n("@hourly", "2025-01-01T00:00:00Z"), "2025-01-01T01:00:00+00:00");
        assert_eq!(n("@midnight", "2025-01-01T10:00:00Z"), "2025-01-02T00:00:00+00:00");
        // 2025-01-01 is a Wednesday: @weekly is Sunday midnight.
        assert_eq!(n("@weekly", "2025-01-01T10:00:00Z"), "2025-01-05T00:00:00+00:00");
        assert_eq!(n("@monthly", "2025-01-01T10:00:00Z"), "2025-02-01T00:00:00+00:00");
        assert_eq!(n("@yearly", "2025-01-01T10:00:00Z"), "2026-01-01T00:00:00+00:00");
        assert_eq!(n("0 9 * * mon-fri", "2025-01-03T10:00:00Z"), "2025-01-06T09:00:00+00:00");
        // Both day fields restricted: either matches (the 15th, or a Friday).
        assert_eq!(n("0 0 15 * fri", "2025-01-01T00:00:00Z"), "2025-01-03T00:00:00+00:00");
        // A starred day field with a step of 1 still ANDs (robfig's star bit).
        assert_eq!(n("0 0 */1 * fri", "2025-01-01T00:00:00Z"), "2025-01-03T00:00:00+00:00");
        assert_eq!(n("0 0 ? * 0", "2025-01-01T00:00:00Z"), "2025-01-05T00:00:00+00:00");
        // A step above 1 is no star: OR with Friday.
        assert_eq!(n("0 0 */10 * fri", "2025-01-01T01:00:00Z"), "2025-01-03T00:00:00+00:00");
        assert_eq!(n("30/15 * * * *", "2025-01-01T00:50:00Z"), "2025-01-01T01:30:00+00:00");
        assert_eq!(n("0 0 29 2 *", "2025-01-01T00:00:00Z"), "2028-02-29T00:00:00+00:00");
        assert_eq!(next("59 23 31 2 *", None, "2025-01-01T00:00:00Z"), None);
        assert_eq!(n("@every 90s", "2025-01-01T00:00:00.500Z"), "2025-01-01T00:01:30+00:00");
    }

    #[test]
    fn time_zones() {
        let n = |s, tz, from| next(s, Some(tz), from).unwrap_or_default();
        assert_eq!(n("0 9 * * *", "Europe/Berlin", "2025-01-01T00:00:00Z"), "2025-01-01T08:00:00+00:00");
        assert_eq!(n("0 9 * * *", "Europe/Berlin", "2025-07-01T00:00:00Z"), "2025-07-01T07:00:00+00:00");
        assert_eq!(n("0 0 * * *", "Asia/Kolkata", "2025-01-01T00:00:00Z"), "2025-01-01T18:30:00+00:00");
        // Spring forward (America/New_York, 2025-03-09 02:00 EST → 03:00 EDT): 02:30 does not
        // exist that day and robfig skips it; an hourly :30 runs at 03:30.
        assert_eq!(n("30 2 * * *", "America/New_York", "2025-03-08T08:00:00Z"), "2025-03-10T06:30:00+00:00");
        assert_eq!(n("30 * * * *", "America/New_York", "2025-03-09T06:30:00Z"), "2025-03-09T07:30:00+00:00");
        assert_eq!(n("0 3 * * *", "America/New_York", "2025-03-09T06:00:00Z"), "2025-03-09T07:00:00+00:00");
        // Fall back (2025-11-02 02:00 EDT → 01:00 EST): 01:30 happens twice and runs twice.
        assert_eq!(n("30 1 * * *", "America/New_York", "2025-11-02T04:00:00Z"), "2025-11-02T05:30:00+00:00");
        assert_eq!(n("30 1 * * *", "America/New_York", "2025-11-02T05:30:00Z"), "2025-11-02T06:30:00+00:00");
        assert_eq!(n("30 1 * * *", "America/New_York", "2025-11-02T06:30:00Z"), "2025-11-03T06:30:00+00:00");
        assert_eq!(n("0 2 * * *", "America/New_York", "2025-11-02T05:30:00Z"), "2025-11-02T07:00:00+00:00");
        // A schedule that runs every 20 minutes walks absolute time through the repeated hour.
        assert_eq!(n("*/20 * * * *", "America/New_York", "2025-11-02T05:40:00Z"), "2025-11-02T06:00:00+00:00");
        // An unknown zone is left out, as `formatSchedule` does (the sync refuses it first).
        assert_eq!(n("0 9 * * *", "Mars/Olympus", "2025-01-01T00:00:00Z"), "2025-01-01T09:00:00+00:00");
    }

    fn recent(schedule: &str, earliest: &str, deadline: Option<i64>, now: &str) -> (Option<String>, Missed) {
        let s = parse(schedule, None).expect("parses");
        let r = most_recent_schedule_time(at(earliest), deadline, at(now), &s).expect("a schedule");
        (r.most_recent.map(|t| t.to_rfc3339()), r.missed)
    }

    #[test]
    fn missed_schedules_as_upstream_counts_them() {
        let t0 = "2025-01-01T00:00:00Z";
        assert_eq!(recent("*/5 * * * *", t0, None, "2025-01-01T00:04:59Z"), (None, Missed::None));
        assert_eq!(
            recent("*/5 * * * *", t0, None, "2025-01-01T00:05:00.100Z"),
            (Some("2025-01-01T00:05:00+00:00".into()), Missed::None)
        );
        assert_eq!(
            recent("*/5 * * * *", t0, None, "2025-01-01T00:17:00Z"),
            (Some("2025-01-01T00:15:00+00:00".into()), Missed::Few)
        );
        // 101 minutes past: more than 100 missed.
        assert_eq!(
            recent("* * * * *", t0, None, "2025-01-01T01:41:00Z"),
            (Some("2025-01-01T01:41:00+00:00".into()), Missed::Many)
        );
        assert_eq!(
            recent("* * * * *", t0, None, "2025-01-01T01:40:00Z"),
            (Some("2025-01-01T01:40:00+00:00".into()), Missed::Few)
        );
        // The starting deadline moves the earliest time up: nothing is missed before it.
        assert_eq!(
            recent("* * * * *", t0, Some(200), "2025-01-01T05:00:30Z"),
            (Some("2025-01-01T05:00:00+00:00".into()), Missed::Few)
        );
        // An irregular schedule: the estimate starts one gap early, the schedule finds the time.
        assert_eq!(
            recent("30 6-16/4 * * 1-5", t0, None, "2025-01-03T12:00:00Z"),
            (Some("2025-01-03T10:30:00+00:00".into()), Missed::Few)
        );
        let never = parse("59 23 31 2 *", None).expect("parses");
        assert_eq!(most_recent_schedule_time(at(t0), None, at(t0), &never), Err(TOO_CLOSE.to_string()));
    }

    #[test]
    fn requeue_after_the_next_time() {
        let s = parse("*/5 * * * *", None).expect("parses");
        let t0 = at("2025-01-01T00:00:00Z");
        let d = |now: &str| next_schedule_time_duration(t0, at(now), &s).map(|d| d.num_milliseconds());
        assert_eq!(d("2025-01-01T00:00:00Z"), Some(300_100));
        assert_eq!(d("2025-01-01T00:05:00.100Z"), Some(300_000));
        assert_eq!(d("2025-01-01T00:17:00Z"), Some(180_100));
    }
}
