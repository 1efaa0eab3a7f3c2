//! ingress-nginx's default load balancing, `round_robin`: each upstream's ready endpoints in
//! turn. The controller's balancer for an upstream is made again when its endpoints change;
//! it starts at one of them drawn from the cluster's seeded source.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;

use rand_chacha::rand_core::Rng;

/// The most upstreams remembered; past it the oldest-named balancer is dropped (it is made
/// again, with a new start, if its upstream is used again).
const MAX_BALANCERS: usize = 4096;

#[derive(Debug, Default)]
pub struct Balancers {
    /// By (controller pod `namespace/name`, upstream name).
    upstreams: BTreeMap<(String, String), RoundRobin>,
}

#[derive(Debug)]
struct RoundRobin {
    endpoints: Vec<(Ipv4Addr, u16)>,
    next: usize,
}

impl Balancers {
    /// The index in `endpoints` (not empty) of the one the controller `pod` sends the next
    /// request for `upstream` to.
    pub fn pick(&mut self, pod: &str, upstream: &str, endpoints: &[(Ipv4Addr, u16)], rng: &mut impl Rng) -> usize {
        let key = (pod.to_string(), upstream.to_string());
        let fresh = self.upstreams.get(&key).is_none_or(|b| b.endpoints != endpoints);
        if fresh {
            let start = (rng.next_u32() as usize) % endpoints.len().max(1);
            self.upstreams.insert(key.clone(), RoundRobin { endpoints: endpoints.to_vec(), next: start });
            while self.upstreams.len() > MAX_BALANCERS {
                self.upstreams.pop_first();
            }
        }
        let Some(b) = self.upstreams.get_mut(&key) else { return 0 };
        let i = b.next % b.endpoints.len().max(1);
        b.next = (i + 1) % b.endpoints.len().max(1);
        i
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::rand_core::SeedableRng;

    #[test]
    fn endpoints_in_turn_from_a_drawn_start_and_anew_when_they_change() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let mut b = Balancers::default();
        let three: Vec<(Ipv4Addr, u16)> = (1..=3).map(|i| (Ipv4Addr::new(10, 244, 1, i), 80)).collect();
        let picks: Vec<usize> = (0..6).map(|_| b.pick("ingress-nginx/c", "default-web-80", &three, &mut rng)).collect();
        let start = picks[0];
        assert_eq!(picks, (0..6).map(|i| (start + i) % 3).collect::<Vec<_>>());
        // Another upstream has its own turn.
        let other = b.pick("ingress-nginx/c", "default-api-80", &three, &mut rng);
        assert!(other < 3);
        assert_eq!(b.pick("ingress-nginx/c", "default-web-80", &three, &mut rng), (start + 6) % 3);
        // One endpoint fewer: a new balancer over the two.
        let two = &three[..2];
        let next: Vec<usize> = (0..4).map(|_| b.pick("ingress-nginx/c", "default-web-80", two, &mut rng)).collect();
        assert_eq!(next, (0..4).map(|i| (next[0] + i) % 2).collect::<Vec<_>>());
    }
}
