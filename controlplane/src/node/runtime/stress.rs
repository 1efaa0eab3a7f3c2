//! The load generators of the docs' resource pages, which use what they are told to:
//! `polinux/stress`'s `stress --vm 1 --vm-bytes 150M --vm-hang 1` (Assign Memory Resources)
//! and `vish/stress -cpus 2` (Assign CPU Resources). Their use is what `kubectl top` shows,
//! and memory over the container's limit is an OOM kill ([`Ramp::exceeds`]).

use chrono::Duration;

use crate::model::quantity::Quantity;
use crate::node::container::server::flag;
use crate::sim::clock::go_duration;

/// Memory a program allocates: `step` bytes every `every`, until it holds `total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ramp {
    pub total: i64,
    pub step: i64,
    pub every: Duration,
}

impl Ramp {
    /// All at once.
    fn whole(total: i64) -> Self {
        Ramp { total, step: total, every: Duration::zero() }
    }

    /// How many allocations it makes.
    fn steps(&self) -> i64 {
        if self.step <= 0 {
            0
        } else {
            self.total / self.step
        }
    }

    /// What it holds `since` its start.
    pub fn at(&self, since: Duration) -> i64 {
        let n = self.steps();
        if n == 0 || since < Duration::zero() {
            return 0;
        }
        let done = match self.every.num_milliseconds() {
            0 => n,
            ms => (since.num_milliseconds() / ms + 1).min(n),
        };
        done.saturating_mul(self.step)
    }

    /// How long after its start it first holds more than `limit`, if ever.
    pub fn exceeds(&self, limit: i64) -> Option<Duration> {
        let n = self.steps();
        // The first allocation that goes over: k steps hold k * step.
        let k = (limit.max(0) / self.step.max(1)) + 1;
        (n > 0 && k <= n).then(|| self.every * i32::try_from(k - 1).unwrap_or(i32::MAX))
    }

    /// When it has allocated all it will.
    fn done_after(&self) -> Duration {
        self.every * i32::try_from(self.steps()).unwrap_or(i32::MAX)
    }
}

/// What a load generator uses while it runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Uses {
    pub millicpu: i64,
    pub memory: Ramp,
}

/// A stress program's run: its use, what it prints (after how long, and for vish/stress the
/// glog `file:line`), and when it ends by itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stress {
    pub uses: Uses,
    pub lines: Vec<(Duration, String)>,
    /// glog lines (vish/stress logs with glog to stderr): after how long, `file:line`, text.
    pub glog: Vec<(Duration, &'static str, String)>,
    pub exits: Option<(Duration, i32)>,
}

/// What `words` run, if they are one of the stress programs (`image` is the short name).
pub fn detect(image: &str, words: &[&str]) -> Option<Stress> {
    let program = words.first().map(|w| w.rsplit('/').next().unwrap_or(w))?;
    if program != "stress" {
        return None;
    }
    if image == "stress" && words.first().is_some_and(|w| *w == "/stress") {
        return Some(vish(&words[1..]));
    }
    stress(&words[1..])
}

/// A number and the unit letters after it (`150M`, `10s`).
fn number_and_unit(text: &str) -> Option<(i64, &str)> {
    let at = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (digits, unit) = text.split_at(at);
    Some((digits.parse().ok()?, unit))
}

/// stress's size arguments: a number with `b`, `k`, `m` or `g` (powers of 1024).
fn size(text: &str) -> Option<i64> {
    let (n, unit) = number_and_unit(text)?;
    let mult = match unit {
        "" | "b" | "B" => 1,
        "k" | "K" => 1 << 10,
        "m" | "M" => 1 << 20,
        "g" | "G" => 1 << 30,
        _ => return None,
    };
    n.checked_mul(mult)
}

/// stress's `--timeout`: seconds, or with `s`, `m`, `h`, `d` or `y`.
fn seconds(text: &str) -> Option<i64> {
    let (n, unit) = number_and_unit(text)?;
    let mult = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "y" => 31_536_000,
        _ => return None,
    };
    n.checked_mul(mult)
}

/// polinux/stress (stress 1.0): `--cpu N` workers spin, `--vm N` workers each hold
/// `--vm-bytes` (256M by default) and spin touching it unless `--vm-hang` makes them sleep.
/// None when the arguments are not ones it runs with (it would print its usage).
fn stress(args: &[&str]) -> Option<Stress> {
    let (mut cpu, mut io, mut vm, mut hdd) = (0i64, 0i64, 0i64, 0i64);
    let mut vm_bytes: i64 = 256 << 20;
    let mut hang = false;
    let mut timeout = None;
    let mut i = 0;
    while i < args.len() {
        let (name, inline) = match args[i].split_once('=') {
            Some((k, v)) => (k, Some(v)),
            None => (args[i], None),
        };
        let takes = !matches!(name, "-q" | "--quiet" | "-v" | "--verbose" | "-n" | "--dry-run" | "--vm-keep");
        let value = match (takes, inline) {
            (false, _) => "",
            (true, Some(v)) => v,
            (true, None) => {
                i += 1;
                args.get(i).copied()?
            }
        };
        match name {
            "-c" | "--cpu" => cpu = value.parse().ok()?,
            "-i" | "--io" => io = value.parse().ok()?,
            "-m" | "--vm" => vm = value.parse().ok()?,
            "-d" | "--hdd" => hdd = value.parse().ok()?,
            "--vm-bytes" => vm_bytes = size(value)?,
            "--vm-hang" => hang = true,
            "-t" | "--timeout" => timeout = Some(seconds(value)?),
            "--vm-stride" | "--hdd-bytes" | "--backoff" => {}
            "-q" | "--quiet" | "-v" | "--verbose" | "-n" | "--dry-run" | "--vm-keep" => {}
            _ => return None,
        }
        i += 1;
    }
    if cpu + io + vm + hdd == 0 || [cpu, io, vm, hdd].iter().any(|n| *n < 0) {
        return None;
    }
    let spinning = cpu + if hang { 0 } else { vm };
    let mut lines =
        vec![(Duration::zero(), format!("stress: info: [1] dispatching hogs: {cpu} cpu, {io} io, {vm} vm, {hdd} hdd"))];
    let exits = timeout.map(|t| {
        let after = Duration::seconds(t);
        lines.push((after, format!("stress: info: [1] successful run completed in {t}s")));
        (after, 0)
    });
    Some(Stress {
        uses: Uses { millicpu: spinning.saturating_mul(1000), memory: Ramp::whole(vm.saturating_mul(vm_bytes)) },
        lines,
        glog: Vec::new(),
        exits,
    })
}

/// vish/stress (`/stress -logtostderr`): `-cpus N` threads copy /dev/zero, and memory is
/// allocated `-mem-alloc-size` (4Ki) at a time with `-mem-alloc-sleep` (1ms) between, up to
/// `-mem-total` (0); then it waits forever.
fn vish(args: &[&str]) -> Stress {
    let quantity = |name: &str, default: &str| {
        let text = flag(args, name).unwrap_or(default);
        Quantity::parse(text).ok().map(|q| (q.value(), q.to_string())).unwrap_or((0, text.to_string()))
    };
    let (total, total_text) = quantity("mem-total", "0");
    let (step, step_text) = quantity("mem-alloc-size", "4Ki");
    let every = flag(args, "mem-alloc-sleep")
        .and_then(|t| crate::sim::clock::parse_duration(t).ok())
        .unwrap_or(Duration::milliseconds(1));
    let cpus: i64 = flag(args, "cpus").and_then(|c| c.parse().ok()).unwrap_or(0).max(0);
    let ramp = Ramp { total, step, every };
    let mut glog = vec![(
        Duration::zero(),
        "main.go:26",
        format!(
            "Allocating {total_text:?} memory, in {step_text:?} chunks, with a {} sleep between allocations",
            go_duration(every)
        ),
    )];
    for _ in 0..cpus.min(64) {
        glog.push((Duration::zero(), "main.go:39", "Spawning a thread to consume CPU".into()));
    }
    glog.push((ramp.done_after(), "main.go:29", format!("Allocated {total_text:?} memory")));
    Stress { uses: Uses { millicpu: cpus.saturating_mul(1000), memory: ramp }, lines: Vec::new(), glog, exits: None }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(image: &str, words: &[&str], expect: &str) {
        let got = match detect(image, words) {
            None => "not stress".to_string(),
            Some(s) => {
                let lines: Vec<&str> =
                    s.lines.iter().map(|(_, l)| l.as_str()).chain(s.glog.iter().map(|g| g.2.as_str())).collect();
                format!(
                    "cpu {}m, memory {} every {}ms, exits {:?}, {lines:?}",
                    s.uses.millicpu,
                    s.uses.memory.total,
                    s.uses.memory.every.num_milliseconds(),
                    s.exits.map(|e| e.0.num_seconds())
                )
            }
        };
        assert_eq!(got, expect, "{words:?}");
    }

    #[test]
    fn programs() {
        check(
            "stress",
            &["stress", "--vm", "1", "--vm-bytes", "150M", "--vm-hang", "1"],
            "cpu 0m, memory 157286400 every 0ms, exits None, [\"stress: info: [1] dispatching hogs: 0 cpu, 0 io, 1 vm, 0 hdd\"]",
        );
        check(
            "stress",
            &["stress", "--cpu", "2", "--timeout", "1m"],
            "cpu 2000m, memory 0 every 0ms, exits Some(60), [\"stress: info: [1] dispatching hogs: 2 cpu, 0 io, 0 vm, 0 hdd\", \"stress: info: [1] successful run completed in 60s\"]",
        );
        check("stress", &["stress", "--vm", "2"], "cpu 2000m, memory 536870912 every 0ms, exits None, [\"stress: info: [1] dispatching hogs: 0 cpu, 0 io, 2 vm, 0 hdd\"]");
        check("stress", &["stress"], "not stress");
        check("stress", &["stress", "--vm", "1", "--vm-bytes", "lots"], "not stress");
        check(
            "stress",
            &["/stress", "-logtostderr", "-cpus", "2"],
            "cpu 2000m, memory 0 every 1ms, exits None, [\"Allocating \\\"0\\\" memory, in \\\"4Ki\\\" chunks, with a 1ms sleep between allocations\", \"Spawning a thread to consume CPU\", \"Spawning a thread to consume CPU\", \"Allocated \\\"0\\\" memory\"]",
        );
        check("nginx", &["nginx"], "not stress");
    }

    #[test]
    fn ramps() {
        let mi = 1 << 20;
        let r = Ramp { total: 250 * mi, step: 10 * mi, every: Duration::seconds(1) };
        assert_eq!(r.at(Duration::zero()), 10 * mi);
        assert_eq!(r.at(Duration::milliseconds(4500)), 50 * mi);
        assert_eq!(r.at(Duration::hours(1)), 250 * mi);
        // Over 100Mi on the eleventh allocation, ten seconds in.
        assert_eq!(r.exceeds(100 * mi), Some(Duration::seconds(10)));
        assert_eq!(r.exceeds(300 * mi), None);
        assert_eq!(Ramp::whole(150 * mi).exceeds(200 * mi), None);
        assert_eq!(Ramp::whole(250 * mi).exceeds(100 * mi), Some(Duration::zero()));
        assert_eq!(Ramp::whole(0).exceeds(0), None);
    }
}
