//! busybox's `df` and `mount`: the container's mount table (its own tree as the overlay on
//! `/`, then each volume), in busybox's columns and `/proc/mounts` lines.

use super::{Shell, Sys};
use crate::node::container::fs::{self, MountSource};

/// The block size the simulated file systems report.
const BLOCK: usize = 4096;

/// One line of the mount table.
struct Entry {
    device: &'static str,
    fstype: &'static str,
    dir: String,
    read_only: bool,
    capacity: usize,
    used: usize,
}

fn table(sys: &Sys<'_>) -> Vec<Entry> {
    let root = sys.fs.root();
    let mut out = vec![Entry {
        device: "overlay",
        fstype: "overlay",
        dir: "/".into(),
        read_only: false,
        capacity: root.capacity(),
        used: root.used(),
    }];
    for m in sys.fs.mounts() {
        let t = m.tree.lock();
        let (device, fstype) = match m.source {
            MountSource::Disk => ("/dev/vda1", "ext4"),
            MountSource::Tmpfs => ("tmpfs", "tmpfs"),
        };
        out.push(Entry {
            device,
            fstype,
            dir: m.at.clone(),
            read_only: m.read_only,
            capacity: t.capacity(),
            used: t.used(),
        });
    }
    out
}

/// `make_human_readable_str` with no display unit: `16.0M`, `0`.
fn human(bytes: usize) -> String {
    if bytes == 0 {
        return "0".into();
    }
    let (mut val, mut frac, mut unit) = (bytes as u64, 0u64, 0usize);
    while val >= 1024 {
        frac = ((val % 1024) * 10 + 512) / 1024;
        val /= 1024;
        unit += 1;
    }
    if frac >= 10 {
        val += 1;
        frac = 0;
    }
    match unit {
        0 => val.to_string(),
        u => format!("{val}.{frac}{}", ['K', 'M', 'G', 'T'][(u - 1).min(3)]),
    }
}

impl Shell {
    pub(super) fn df(&mut self, args: &[String], sys: &mut Sys<'_>) -> i32 {
        let human_readable = args.iter().any(|a| a.starts_with('-') && a.contains('h'));
        let paths: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
        let all = table(sys);
        let mut chosen: Vec<&Entry> = Vec::new();
        let mut code = 0;
        for p in &paths {
            let path = fs::normalize(&self.cwd, p);
            if sys.fs.get(&path).is_none() {
                let msg = format!("df: {p}: No such file or directory\n");
                self.err(msg.as_bytes(), sys);
                code = 1;
                continue;
            }
            let under = |e: &&Entry| e.dir == "/" || path == e.dir || path.starts_with(&format!("{}/", e.dir));
            if let Some(e) = all.iter().filter(under).max_by_key(|e| e.dir.len()) {
                chosen.push(e);
            }
        }
        if paths.is_empty() {
            chosen = all.iter().collect();
        }
        let unit = if human_readable { "     Size" } else { "1K-blocks" };
        let mut out = format!("Filesystem           {unit:<15}Used Available Use% Mounted on\n");
        for e in chosen {
            let used = e.used.div_ceil(BLOCK) * BLOCK;
            let total = e.capacity.max(used);
            let avail = total - used;
            let pct = (used * 100 + total / 2).checked_div(total).unwrap_or(0);
            let (t, u, a) = if human_readable {
                (human(total), human(used), human(avail))
            } else {
                ((total / 1024).to_string(), (used / 1024).to_string(), (avail / 1024).to_string())
            };
            out.push_str(&format!("{:<20} {t:>9} {u:>9} {a:>9} {pct:>3}% {}\n", e.device, e.dir));
        }
        self.out(out.as_bytes(), sys);
        code
    }

    /// `mount` with no arguments lists the table; mounting needs privileges a container
    /// does not have.
    pub(super) fn mount(&mut self, args: &[String], sys: &mut Sys<'_>) -> i32 {
        if !args.is_empty() {
            self.err(b"mount: permission denied (are you root?)\n", sys);
            return 1;
        }
        let mut out = String::new();
        for e in table(sys) {
            let rw = if e.read_only { "ro" } else { "rw" };
            let opts = match e.fstype {
                "tmpfs" => format!("{rw},relatime,size={}k", e.capacity / 1024),
                _ => format!("{rw},relatime"),
            };
            out.push_str(&format!("{} on {} type {} ({opts})\n", e.device, e.dir, e.fstype));
        }
        self.out(out.as_bytes(), sys);
        0
    }
}
