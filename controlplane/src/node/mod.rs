//! What runs on a node: the kubelet ([`kubelet`]), one per node, and the container runtime it
//! drives through CRI-shaped calls ([`runtime`]: a simulated containerd with a shim per
//! container).
//!
//! Architecture Invariant: the kubelet knows the cluster only through the API server (watch
//! and requests, audited as `system:node:<node>`), and containers only through the runtime's
//! CRI traits. The runtime knows nothing of the API server or of pods as API objects.

pub mod container;
pub mod kubelet;
pub mod runtime;
pub mod trace;
