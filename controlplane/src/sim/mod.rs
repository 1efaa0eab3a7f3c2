//! The simulation: the clock and timer queue, the component model, the default cluster,
//! object histories, and `Cluster`, the composition root that moves time.

pub mod bootstrap;
pub mod clock;
pub mod cluster;
pub mod component;
pub mod history;
pub mod undo;

pub use clock::{epoch, parse_duration, Clock};
pub use cluster::{Cluster, ClusterConfig, Progress, SimError};
