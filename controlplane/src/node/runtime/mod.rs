//! The container runtime: CRI-shaped traits ([`cri`]) and a simulated containerd behind them
//! ([`containerd`]), with a shim per container whose main process follows what its command
//! says ([`behaviour`]), and image references resolved as containerd does ([`images`]).

pub mod behaviour;
pub mod containerd;
pub mod cri;
pub mod images;
pub mod perl;
pub mod procfs;
pub mod stress;

pub use containerd::{Conn, Containerd, CriCall, PendingCall};
pub use cri::{ImageService, RuntimeService};
