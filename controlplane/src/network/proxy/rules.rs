//! Typed iptables rules, as kube-proxy's iptables mode writes them, and their text as
//! `iptables-save` prints it (options in the kernel's order, counters `[0:0]`).

use std::fmt::Write as _;
use std::net::{Ipv4Addr, SocketAddrV4};

use crate::network::Protocol;

pub use crate::network::cidr::Cidr;

/// A match module of a rule (`-m ...`), in the order the rule has them.
#[derive(Debug, Clone, PartialEq)]
pub enum Match {
    Comment(String),
    /// `-m addrtype --src-type LOCAL` (src) or `--dst-type LOCAL`.
    AddrTypeLocal {
        src: bool,
    },
    /// `-m statistic --mode random --probability P`, kept as the kernel's 31-bit threshold.
    Statistic {
        threshold: u32,
    },
    /// `-m recent --rcheck --seconds N --reap --name NAME`: the source was seen by `--set`
    /// under this name within N seconds.
    RecentCheck {
        name: String,
        seconds: u32,
    },
    /// `-m recent --set --name NAME`: remember the source now.
    RecentSet {
        name: String,
    },
    /// `-m tcp [--dport N]` (or udp, sctp).
    Port {
        protocol: Protocol,
        dport: Option<u16>,
    },
    /// `-m conntrack [!] --ctstate STATES`.
    Conntrack {
        negated: bool,
        states: &'static str,
    },
    /// `-m mark [!] --mark VALUE/MASK`.
    Mark {
        negated: bool,
        value: u32,
        mask: u32,
    },
}

/// What a rule does when it matches.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    Jump(String),
    Dnat(SocketAddrV4),
    /// `REJECT --reject-with icmp-port-unreachable`: the client's connection is refused.
    Reject,
    Drop,
    Accept,
    Return,
    /// `MARK --set-xmark VALUE/MASK` (what `--or-mark` and `--xor-mark` are saved as).
    SetXmark {
        value: u32,
        mask: u32,
    },
    /// `MASQUERADE --random-fully`.
    Masquerade,
    /// No `-j`: the rule only counts packets (KUBE-FW's last rule, whose comment explains).
    None,
}

/// One rule of a chain.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    /// `-s`, and whether it is negated (`! -s`).
    pub src: Option<(bool, Cidr)>,
    pub dst: Option<Cidr>,
    pub protocol: Option<Protocol>,
    pub matches: Vec<Match>,
    pub target: Target,
}

impl Rule {
    pub fn new(target: Target) -> Rule {
        Rule { src: None, dst: None, protocol: None, matches: Vec::new(), target }
    }

    pub fn jump(chain: &str) -> Rule {
        Rule::new(Target::Jump(chain.to_string()))
    }

    pub fn src(mut self, negated: bool, cidr: Cidr) -> Rule {
        self.src = Some((negated, cidr));
        self
    }

    pub fn dst(mut self, ip: Ipv4Addr) -> Rule {
        self.dst = Some(Cidr::host(ip));
        self
    }

    pub fn dst_cidr(mut self, cidr: Cidr) -> Rule {
        self.dst = Some(cidr);
        self
    }

    /// `-m comment --comment TEXT`.
    pub fn comment(mut self, text: impl Into<String>) -> Rule {
        self.matches.push(Match::Comment(text.into()));
        self
    }

    pub fn with(mut self, m: Match) -> Rule {
        self.matches.push(m);
        self
    }

    /// `-m PROTO -p PROTO [--dport N]`.
    pub fn proto(mut self, protocol: Protocol, dport: Option<u16>) -> Rule {
        self.protocol = Some(protocol);
        self.matches.push(Match::Port { protocol, dport });
        self
    }

    /// The rule as iptables-save prints it, after `-A CHAIN`.
    pub fn save(&self, chain: &str, out: &mut String) {
        let _ = write!(out, "-A {chain}");
        if let Some((negated, cidr)) = &self.src {
            let _ = write!(out, "{} -s {cidr}", if *negated { " !" } else { "" });
        }
        if let Some(cidr) = &self.dst {
            let _ = write!(out, " -d {cidr}");
        }
        if let Some(p) = self.protocol {
            let _ = write!(out, " -p {}", p.lower());
        }
        for m in &self.matches {
            match m {
                Match::Comment(text) => {
                    out.push_str(" -m comment --comment");
                    save_string(text, out);
                }
                Match::AddrTypeLocal { src } => {
                    let _ = write!(out, " -m addrtype --{}-type LOCAL", if *src { "src" } else { "dst" });
                }
                Match::Statistic { threshold } => {
                    let p = super::names::probability_text(*threshold);
                    let _ = write!(out, " -m statistic --mode random --probability {p}");
                }
                Match::RecentCheck { name, seconds } => {
                    let _ = write!(
                        out,
                        " -m recent --rcheck --seconds {seconds} --reap --name {name} --mask 255.255.255.255 --rsource"
                    );
                }
                Match::RecentSet { name } => {
                    let _ = write!(out, " -m recent --set --name {name} --mask 255.255.255.255 --rsource");
                }
                Match::Port { protocol, dport } => {
                    let _ = write!(out, " -m {}", protocol.lower());
                    if let Some(port) = dport {
                        let _ = write!(out, " --dport {port}");
                    }
                }
                Match::Conntrack { negated, states } => {
                    let _ = write!(out, " -m conntrack{} --ctstate {states}", if *negated { " !" } else { "" });
                }
                Match::Mark { negated, value, mask } => {
                    let _ = write!(out, " -m mark{} --mark {value:#x}/{mask:#x}", if *negated { " !" } else { "" });
                }
            }
        }
        match &self.target {
            Target::Jump(chain) => {
                let _ = write!(out, " -j {chain}");
            }
            Target::Dnat(to) => {
                let _ = write!(out, " -j DNAT --to-destination {to}");
            }
            Target::Reject => out.push_str(" -j REJECT --reject-with icmp-port-unreachable"),
            Target::Drop => out.push_str(" -j DROP"),
            Target::Accept => out.push_str(" -j ACCEPT"),
            Target::Return => out.push_str(" -j RETURN"),
            Target::SetXmark { value, mask } => {
                let _ = write!(out, " -j MARK --set-xmark {value:#x}/{mask:#x}");
            }
            Target::Masquerade => out.push_str(" -j MASQUERADE --random-fully"),
            Target::None => {}
        }
        out.push('\n');
    }
}

/// libxtables' `xtables_save_string`: a word of letters, digits, `_` and `-` as is, anything
/// else in double quotes with `"` and `\` escaped.
fn save_string(text: &str, out: &mut String) {
    let plain = !text.is_empty() && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    out.push(' ');
    if plain {
        out.push_str(text);
        return;
    }
    out.push('"');
    for c in text.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
}

/// The two tables kube-proxy writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Table {
    Filter,
    Nat,
}

impl Table {
    pub fn name(self) -> &'static str {
        match self {
            Table::Filter => "filter",
            Table::Nat => "nat",
        }
    }

    /// The table's built-in chains, in the kernel's hook order.
    pub fn builtin(self) -> &'static [&'static str] {
        match self {
            Table::Filter => &["INPUT", "FORWARD", "OUTPUT"],
            Table::Nat => &["PREROUTING", "INPUT", "OUTPUT", "POSTROUTING"],
        }
    }
}
