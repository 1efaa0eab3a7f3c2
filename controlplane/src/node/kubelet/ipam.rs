//! Pod addresses from the node's pod CIDR, as the host-local IPAM plugin hands them out: the
//! next free address after the last one given, so a recreated pod gets a new address.

use std::collections::BTreeSet;

#[derive(Debug, Clone)]
pub struct Ipam {
    /// The first three octets of the /24 (`10.244.1`), if the node has a pod CIDR.
    prefix: Option<String>,
    in_use: BTreeSet<u8>,
    last: u8,
}

impl Ipam {
    /// From `spec.podCIDR` (`10.244.1.0/24`); other prefix lengths use their first /24.
    pub fn new(cidr: Option<&str>) -> Self {
        let prefix = cidr.and_then(|c| {
            let addr = c.split('/').next()?;
            let octets: Vec<&str> = addr.split('.').collect();
            (octets.len() == 4 && octets.iter().all(|o| o.parse::<u8>().is_ok())).then(|| octets[..3].join("."))
        });
        Ipam { prefix, in_use: BTreeSet::new(), last: 1 }
    }

    pub fn has_range(&self) -> bool {
        self.prefix.is_some()
    }

    /// The next free address (skipping .0, the gateway .1 and broadcast .255), or `None` when
    /// the range is full or there is none.
    pub fn allocate(&mut self) -> Option<String> {
        let prefix = self.prefix.as_ref()?;
        for step in 1..=253i32 {
            let candidate = ((i32::from(self.last) - 2 + step).rem_euclid(253) + 2) as u8;
            if self.in_use.insert(candidate) {
                self.last = candidate;
                return Some(format!("{prefix}.{candidate}"));
            }
        }
        None
    }

    pub fn release(&mut self, ip: &str) {
        if let Some(last) = ip.rsplit('.').next().and_then(|o| o.parse::<u8>().ok()) {
            if self.prefix.as_ref().is_some_and(|p| ip.starts_with(p.as_str())) {
                self.in_use.remove(&last);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_free_after_last() {
        let mut ipam = Ipam::new(Some("10.244.1.0/24"));
        assert_eq!(ipam.allocate().as_deref(), Some("10.244.1.2"));
        assert_eq!(ipam.allocate().as_deref(), Some("10.244.1.3"));
        ipam.release("10.244.1.2");
        assert_eq!(ipam.allocate().as_deref(), Some("10.244.1.4"));
        let mut full = Ipam::new(Some("10.244.2.0/24"));
        let all: Vec<_> = (0..253).map(|_| full.allocate().unwrap()).collect();
        assert_eq!(all.last().map(String::as_str), Some("10.244.2.254"));
        assert_eq!(full.allocate(), None);
        full.release("10.244.2.7");
        assert_eq!(full.allocate().as_deref(), Some("10.244.2.7"));
        assert_eq!(Ipam::new(None).allocate(), None);
    }
}
