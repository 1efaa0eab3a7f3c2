//! The inside of a container: its processes ([`process`]), the shell and busybox applets they
//! run ([`shell`]), its in-memory files ([`fs`]) made from the image's profile ([`image`]),
//! and its log ([`log`]); [`terminal`] is a shell's stdin when someone types into it. Everything runs on the simulated clock: a process stops at a
//! `sleep` or at the end of its step budget and goes on when its owner wakes it.

pub mod certgen;
pub mod fs;
pub mod http;
pub mod image;
pub mod log;
pub mod net;
pub mod process;
pub mod server;
pub mod shell;
pub mod terminal;
pub mod users;

pub use fs::Fs;
pub use process::{ExecOutput, Process};
