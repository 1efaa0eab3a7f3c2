//! `/proc/1/status` of a container: its main process's identity, capabilities and security
//! flags, as the Configure a Security Context page reads them (`CapPrm`, `CapEff`). Only the
//! lines kubesim models are written.

use super::cri::Security;
use crate::node::container::fs::Creds;

/// Linux capabilities by number (`include/uapi/linux/capability.h`), without `CAP_`.
const CAPABILITIES: &[&str] = &[
    "CHOWN",
    "DAC_OVERRIDE",
    "DAC_READ_SEARCH",
    "FOWNER",
    "FSETID",
    "KILL",
    "SETGID",
    "SETUID",
    "SETPCAP",
    "LINUX_IMMUTABLE",
    "NET_BIND_SERVICE",
    "NET_BROADCAST",
    "NET_ADMIN",
    "NET_RAW",
    "IPC_LOCK",
    "IPC_OWNER",
    "SYS_MODULE",
    "SYS_RAWIO",
    "SYS_CHROOT",
    "SYS_PTRACE",
    "SYS_PACCT",
    "SYS_ADMIN",
    "SYS_BOOT",
    "SYS_NICE",
    "SYS_RESOURCE",
    "SYS_TIME",
    "SYS_TTY_CONFIG",
    "MKNOD",
    "LEASE",
    "AUDIT_WRITE",
    "AUDIT_CONTROL",
    "SETFCAP",
    "MAC_OVERRIDE",
    "MAC_ADMIN",
    "SYSLOG",
    "WAKE_ALARM",
    "BLOCK_SUSPEND",
    "AUDIT_READ",
    "PERFMON",
    "BPF",
    "CHECKPOINT_RESTORE",
];

/// containerd's default set (`oci.DefaultCapabilities`).
const DEFAULT: &[&str] = &[
    "CHOWN",
    "DAC_OVERRIDE",
    "FSETID",
    "FOWNER",
    "MKNOD",
    "NET_RAW",
    "SETGID",
    "SETUID",
    "SETFCAP",
    "SETPCAP",
    "NET_BIND_SERVICE",
    "SYS_CHROOT",
    "KILL",
    "AUDIT_WRITE",
];

fn bit(name: &str) -> Option<u64> {
    let name = name.strip_prefix("CAP_").unwrap_or(name).to_ascii_uppercase();
    CAPABILITIES.iter().position(|c| *c == name).map(|i| 1u64 << i)
}

impl Security {
    /// The bounding set: containerd's defaults, all for a privileged container, with the adds
    /// and drops applied as the runtime does (`ALL` in either).
    pub fn bounding(&self) -> u64 {
        let all = (1u64 << CAPABILITIES.len()) - 1;
        if self.privileged {
            return all;
        }
        let mut set: u64 = DEFAULT.iter().filter_map(|c| bit(c)).fold(0, |a, b| a | b);
        let has_all = |list: &[String]| list.iter().any(|c| c.eq_ignore_ascii_case("ALL"));
        if has_all(&self.add) {
            set = all;
        }
        set |= self.add.iter().filter_map(|c| bit(c)).fold(0, |a, b| a | b);
        if has_all(&self.drop) {
            set = self.add.iter().filter_map(|c| bit(c)).fold(0, |a, b| a | b);
        }
        set & !self.drop.iter().filter_map(|c| bit(c)).fold(0, |a, b| a | b)
    }
}

/// The status file of the container's PID 1 running `name` as `creds`.
pub fn status(name: &str, creds: &Creds, security: &Security) -> String {
    let bounding = security.bounding();
    // A process of another user than root keeps no permitted or effective capabilities.
    let held = if creds.uid == 0 { bounding } else { 0 };
    let groups: String = creds.groups.iter().map(|g| format!("{g} ")).collect();
    let (uid, gid) = (creds.uid, creds.gid);
    format!(
        "Name:\t{name}\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t1\nNgid:\t0\nPid:\t1\nPPid:\t0\nTracerPid:\t0\n\
         Uid:\t{uid}\t{uid}\t{uid}\t{uid}\nGid:\t{gid}\t{gid}\t{gid}\t{gid}\nFDSize:\t64\nGroups:\t{groups}\n\
         NStgid:\t1\nNSpid:\t1\nNSpgid:\t1\nNSsid:\t1\nThreads:\t1\n\
         CapInh:\t0000000000000000\nCapPrm:\t{held:016x}\nCapEff:\t{held:016x}\nCapBnd:\t{bounding:016x}\n\
         CapAmb:\t0000000000000000\nNoNewPrivs:\t{}\nSeccomp:\t{}\nSeccomp_filters:\t{}\n",
        u8::from(security.no_new_privs),
        if security.seccomp { 2 } else { 0 },
        u8::from(security.seccomp),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capability_sets_as_the_security_context_page_shows_them() {
        let mut s = Security::default();
        assert_eq!(format!("{:016x}", s.bounding()), "00000000a80425fb");
        s.add = vec!["NET_ADMIN".into(), "SYS_TIME".into()];
        assert_eq!(format!("{:016x}", s.bounding()), "00000000aa0435fb");
        s.drop = vec!["ALL".into()];
        assert_eq!(format!("{:016x}", s.bounding()), "0000000002001000");
        let privileged = Security { privileged: true, ..Security::default() };
        assert_eq!(format!("{:016x}", privileged.bounding()), "000001ffffffffff");
        let user = Creds { uid: 1000, gid: 3000, groups: vec![2000, 3000] };
        let text = status("sleep", &user, &Security::default());
        assert!(text.contains("CapPrm:\t0000000000000000\nCapEff:\t0000000000000000\nCapBnd:\t00000000a80425fb\n"));
        assert!(text.contains("Uid:\t1000\t1000\t1000\t1000\nGid:\t3000\t3000\t3000\t3000\n"));
        assert!(text.contains("Groups:\t2000 3000 \n"));
    }
}
