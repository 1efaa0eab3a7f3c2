//! Streams into a running container, as the CRI's streaming server serves them: `exec` (a
//! new process, its output and exit code) and `attach` (the main process's output from the
//! moment of attaching, and its stdin when the container keeps it open). A client polls a
//! stream for what it gave since the last poll and sends its stdin as [`Input`].

use super::{Containerd, CriError, ExecOutput, Process, Shim, Time};
use crate::node::container::terminal::Input;
use crate::node::runtime::cri::{ContainerState, Streams};

/// The most one stream keeps for its client between polls; more is dropped, as a client
/// that stops reading stops the writer.
const KEEP_CAP: usize = 1 << 20;

/// Clients attached to one container at once; the oldest is let go past this.
const ATTACH_CAP: usize = 8;

/// Keep what a process wrote on `stream` (0 stdout, 1 stderr) for the client.
pub(super) fn keep(out: &mut ExecOutput, stream: usize, data: &[u8]) {
    let buf = if stream == 0 { &mut out.stdout } else { &mut out.stderr };
    let room = KEEP_CAP.saturating_sub(buf.len());
    buf.extend_from_slice(&data[..data.len().min(room)]);
}

impl Containerd {
    fn running(&mut self, now: Time, id: &str) -> Result<&mut Shim, CriError> {
        let shim = self.shims.get_mut(id).filter(|s| s.status(id, now).state == ContainerState::Running);
        shim.map(|s| &mut **s).ok_or_else(|| CriError::not_found(format!("container {id:?} is not running")))
    }

    /// Start `cmd` in a running container (CRI's `Exec`); the stream's id.
    pub fn exec_start(&mut self, now: Time, id: &str, cmd: &[String], streams: Streams) -> Result<u64, CriError> {
        self.next_exec += 1;
        let exec = self.next_exec;
        let shim = self.running(now, id)?;
        shim.ensure_proc();
        let pid = shim.next_pid();
        let p = if streams.stdin {
            Process::with_stdin(cmd, &shim.env, pid, streams.tty)
        } else {
            Process::new(cmd, &shim.env, pid)
        };
        shim.execs.insert(exec, (p, ExecOutput::default()));
        Ok(exec)
    }

    /// Attach to a running container's main process (CRI's `Attach`); the stream's id. A
    /// shell waiting at its prompt on a TTY draws it again for the client.
    pub fn attach(&mut self, now: Time, id: &str, streams: Streams) -> Result<u64, CriError> {
        self.next_exec += 1;
        let stream = self.next_exec;
        let shim = self.running(now, id)?;
        while shim.attached.len() >= ATTACH_CAP {
            shim.attached.pop_first();
        }
        shim.attached.insert(stream, ExecOutput::default());
        if streams.stdin && shim.stdin_stream.is_none() {
            shim.stdin_stream = Some(stream);
        }
        if streams.stdin && streams.tty && shim.config.tty {
            if let Some(p) = shim.proc.as_deref_mut() {
                p.redraw();
            }
        }
        self.run_now(now, id);
        Ok(stream)
    }

    /// A stream's output since the last poll, and its exit code once the process ended (or
    /// when it runs next). An exec is run up to `now` here; the main process runs on the
    /// runtime's own timers. An ended stream is forgotten.
    pub fn exec_poll(&mut self, now: Time, id: &str, stream: u64) -> Result<ExecOutput, CriError> {
        let shim = self.shims.get_mut(id).ok_or_else(|| CriError::not_found(format!("container {id:?} not found")))?;
        if let Some((mut p, mut out)) = shim.execs.remove(&stream) {
            p.enter(shim.pids, shim.live_pids(true));
            p.set_table(shim.table());
            p.advance_exec(&mut shim.fs, &shim.hostname, now, &mut out);
            shim.pids = p.last_pid();
            let signals = p.take_signals();
            let calls = p.take_net_calls();
            if out.code.is_none() {
                shim.execs.insert(stream, (p, ExecOutput { code: None, wake: out.wake, ..ExecOutput::default() }));
            }
            // Signals it sent to the container's other processes (`kill 1`).
            for (pid, sig) in signals {
                self.deliver(now, id, pid, sig);
            }
            if out.code.is_none() {
                self.keep_net_calls(id, Some(stream), calls);
            }
            return Ok(out);
        }
        let end = shim.end().filter(|e| e.0 <= now).map(|e| e.1);
        let wake = shim.proc.as_deref().and_then(|p| p.wake).or(shim.end().map(|e| e.0)).filter(|_| end.is_none());
        let Some(out) = shim.attached.get_mut(&stream) else {
            return Err(CriError::not_found(format!("stream {stream} not found")));
        };
        let out = ExecOutput { code: end, wake, ..std::mem::take(out) };
        if end.is_some() {
            shim.attached.remove(&stream);
        }
        Ok(out)
    }

    /// What the client sent to a stream's stdin. On a TTY attached to the main process, what
    /// is typed is echoed into the container's log, as the terminal echoes it.
    pub fn exec_input(&mut self, now: Time, id: &str, stream: u64, input: Input) -> Result<(), CriError> {
        let shim = self.running(now, id)?;
        if let Some((p, _)) = shim.execs.get_mut(&stream) {
            p.input(input);
            return Ok(());
        }
        if !shim.attached.contains_key(&stream) {
            return Err(CriError::not_found(format!("stream {stream} not found")));
        }
        // Without `stdin: true` in its spec, or after `stdinOnce` closed it, the container's
        // stdin is closed: input goes nowhere.
        if !shim.config.stdin || shim.stdin_closed {
            return Ok(());
        }
        if let (Input::Data(data), true) = (&input, shim.config.tty) {
            shim.log.write(now, 0, data);
        }
        if let Some(p) = shim.proc.as_deref_mut() {
            p.input(input);
        }
        self.run_now(now, id);
        Ok(())
    }

    /// A client let go of a stream. When it held the stdin of a `stdinOnce` container, the
    /// stdin closes: a shell reading it sees the end of its input and exits.
    pub fn detach(&mut self, now: Time, id: &str, stream: u64) {
        let Some(shim) = self.shims.get_mut(id) else { return };
        shim.attached.remove(&stream);
        shim.execs.remove(&stream);
        if shim.stdin_stream == Some(stream) {
            shim.stdin_stream = None;
            if shim.config.stdin_once && !shim.stdin_closed {
                shim.stdin_closed = true;
                if let Some(p) = shim.proc.as_deref_mut() {
                    p.input(Input::Eof);
                }
                self.run_now(now, id);
            }
        }
    }

    /// Have the main process run at `now`, on the runtime's timer, so that the kubelet learns
    /// at once when it ends.
    fn run_now(&mut self, now: Time, id: &str) {
        if let Some(shim) = self.shims.get_mut(id) {
            if shim.proc.is_some() {
                shim.scheduled = Some(now);
                self.wakes.push((now, id.to_string()));
            }
        }
    }
}
