//! A pod's network namespace as its containers share it: the ports their servers listen on,
//! a connection to one (what the kubelet's tcpSocket and httpGet probes do over the node's
//! network), and `ExecSync` (exec probes), which runs a command to its end at once. And a
//! container's PID namespace: the signals its processes send each other (`kill 1`).

use chrono::Duration;

use super::{advance, Containerd};
use crate::node::container::http::{HttpRequest, HttpResponse};
use crate::node::container::server::{Kind, Server};
use crate::node::container::shell::signal_number;
use crate::node::container::{ExecOutput, Process};
use crate::node::runtime::cri::{ContainerState, CriError, Time};

/// What a connection to a pod's port finds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dial {
    /// Nothing listens: `connect: connection refused`.
    Refused,
    /// A server listens; for an HTTP request, its status code (`None`: it does not speak HTTP).
    Open(Option<u16>),
}

/// What a connection to an address of the pod network finds on this node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Conn {
    /// A pod at the address, but nothing listens on the port.
    Refused,
    /// A server of container `container` listens; its answer to the HTTP request, if one was
    /// sent and the port speaks HTTP, and how long the server took to make it (the CPU a
    /// request costs it, at its CPU limit, after the requests before it). `proxy`: the server
    /// is ingress-nginx on its HTTP(S)
    /// port, whose routing the cluster network does (it knows the Ingresses).
    Open { container: String, answer: Option<HttpResponse>, proxy: bool, took: Duration },
}

impl Containerd {
    /// A connection to `ip:port` from outside the pod, and for `req` the server's answer; the
    /// server logs the request as it does. `None`: no running pod of this node has the address.
    pub fn serve(&mut self, now: Time, ip: &str, port: u16, req: Option<&HttpRequest<'_>>) -> Option<Conn> {
        // A node's address is shared by its host-network pods: there only the ports a program
        // is known to listen on answer.
        let mut sandboxes: Vec<String> = self
            .shims
            .iter()
            .filter(|(id, s)| s.ip == ip && s.status(id, now).state == ContainerState::Running)
            .map(|(_, s)| s.sandbox_id.clone())
            .collect();
        sandboxes.sort();
        sandboxes.dedup();
        if sandboxes.is_empty() {
            return None;
        }
        let host = sandboxes.len() > 1
            || sandboxes.iter().any(|s| self.sandboxes.get(s).is_some_and(|s| s.config.host_network));
        let found: Vec<(&String, &Server)> = sandboxes.iter().flat_map(|s| self.listeners(now, s, "")).collect();
        let exact = found.iter().find(|(_, s)| s.ports.contains(&port));
        let any = found.iter().find(|(_, s)| !host && matches!(s.kind, Kind::Unknown(_)));
        let Some((cid, server)) = exact.or(any).map(|(c, s)| ((*c).clone(), (*s).clone())) else {
            return Some(Conn::Refused);
        };
        let shim = self.shims.get_mut(&cid)?;
        let container = shim.config.name.clone();
        let proxy = server.kind == Kind::IngressNginx && matches!(port, 80 | 443);
        let Some(req) = req else { return Some(Conn::Open { container, answer: None, proxy, took: Duration::zero() }) };
        let since = now - shim.started_at.unwrap_or(now);
        let answer = server.respond(port, req, since, now, &shim.fs, &shim.hostname);
        if let Some(a) = &answer {
            if let Some(line) = server.access_line(now, req.client, req.path, a.status, req.agent) {
                shim.log.push(now, line.as_bytes());
            }
        }
        let took = match server.request_cpu() {
            Some(cpu) if answer.is_some() => shim.work.serve(now, cpu, shim.config.cpu_limit),
            _ => Duration::zero(),
        };
        Some(Conn::Open { container, answer, proxy, took })
    }

    /// Write `line` to the log of the running container `container` of the pod at `ip` (what
    /// a server the cluster network answers for, as ingress-nginx, logs of a request).
    pub fn log_line(&mut self, now: Time, ip: &str, container: &str, line: &str) {
        let found = self.shims.iter_mut().find(|(id, s)| {
            s.ip == ip && s.config.name == container && s.status(id, now).state == ContainerState::Running
        });
        if let Some((_, shim)) = found {
            shim.log.push(now, line.as_bytes());
        }
    }

    /// The servers listening in `sandbox_id` at `now`, other than `except`: (container id, server).
    fn listeners(&self, now: Time, sandbox_id: &str, except: &str) -> Vec<(&String, &Server)> {
        self.shims
            .iter()
            .filter(|(id, s)| s.sandbox_id == sandbox_id && id.as_str() != except)
            .filter(|(id, s)| s.status(id, now).state == ContainerState::Running)
            .filter_map(|(id, s)| s.plan.server.as_ref().map(|srv| (id, srv)))
            .collect()
    }

    /// A port of the container's server that another running container of its pod holds.
    pub(super) fn taken_port(&self, now: Time, id: &str) -> Option<u16> {
        let shim = self.shims.get(id)?;
        let ports = &shim.plan.server.as_ref()?.ports;
        let others = self.listeners(now, &shim.sandbox_id, id);
        ports.iter().copied().find(|p| others.iter().any(|(_, s)| s.ports.contains(p)))
    }

    /// Connect to `port` of the pod whose container `id` is one of, and for `http` send
    /// `GET path` (from `client`, with `agent` as User-Agent); the server logs the request as
    /// it does. A program kubesim does not know accepts on any port.
    pub fn dial(&mut self, now: Time, id: &str, port: u16, http: Option<(&str, &str, &str)>) -> Dial {
        let Some(sandbox) = self.shims.get(id).map(|s| s.sandbox_id.clone()) else { return Dial::Refused };
        let found = self.listeners(now, &sandbox, "");
        let exact = found.iter().find(|(_, s)| s.ports.contains(&port));
        let any = found.iter().find(|(_, s)| matches!(s.kind, Kind::Unknown(_)));
        let Some((cid, server)) = exact.or(any).map(|(c, s)| ((*c).clone(), (*s).clone())) else {
            return Dial::Refused;
        };
        let Some((path, client, agent)) = http else { return Dial::Open(None) };
        let Some(shim) = self.shims.get_mut(&cid) else { return Dial::Refused };
        let since = now - shim.started_at.unwrap_or(now);
        let status = server.http(port, path, since, &shim.fs);
        if let Some(code) = status {
            if let Some(line) = server.access_line(now, client, path, code, agent) {
                shim.log.push(now, line.as_bytes());
            }
        }
        Dial::Open(status)
    }

    /// `ExecSync`: run `cmd` in the container until it ends or `timeout` passes, as if that
    /// time went by at once (a probe's command normally takes none). The main process is
    /// first brought up to `now`, so the command sees the container as it is.
    pub fn exec_sync(
        &mut self,
        now: Time,
        id: &str,
        cmd: &[String],
        timeout: Duration,
    ) -> Result<ExecOutput, CriError> {
        self.exec_sync_until(now, id, cmd, timeout).map(|(out, _)| out)
    }

    /// [`Containerd::exec_sync`], with the moment the command ended (or its timeout).
    pub fn exec_sync_until(
        &mut self,
        now: Time,
        id: &str,
        cmd: &[String],
        timeout: Duration,
    ) -> Result<(ExecOutput, Time), CriError> {
        let Some(shim) = self.shims.get_mut(id).filter(|s| s.status(id, now).state == ContainerState::Running) else {
            return Err(CriError::not_found(format!("container {id:?} is not running")));
        };
        if advance(shim, now) {
            let uid = self.sandbox_uid(&self.shims[id].sandbox_id.clone());
            self.exited.push(uid);
            return Err(CriError::not_found(format!("container {id:?} is not running")));
        }
        self.schedule(id, now);
        let Some(shim) = self.shims.get_mut(id) else { return Err(CriError::not_found(id.to_string())) };
        shim.ensure_proc();
        let pid = shim.next_pid();
        let mut p = Process::new(cmd, &shim.env, pid);
        let mut out = ExecOutput::default();
        let deadline = now + timeout;
        let mut t = now;
        // Bounded: each round either ends it, moves to its next wake, or spends a slice.
        for _ in 0..64 {
            p.enter(shim.pids, shim.live_pids(true));
            p.set_table(shim.table());
            p.advance_exec(&mut shim.fs, &shim.hostname, t, &mut out);
            shim.pids = p.last_pid();
            match (out.code, out.wake) {
                (Some(_), _) => return Ok((out, t)),
                (None, Some(w)) if w <= deadline => t = w.max(t),
                _ => break,
            }
        }
        out.code = None;
        Ok((out, deadline))
    }
}

impl Containerd {
    /// Deliver `sig` from inside container `id` to its process `pid`. PID 1 gets only the
    /// signals it handles (the kernel protects a namespace's init from the rest): a shell's
    /// trap, a server's SIGTERM, SIGINT or SIGQUIT, on which it shuts down as when stopped.
    pub(super) fn deliver(&mut self, now: Time, id: &str, pid: u32, sig: &'static str) {
        let Some(shim) = self.shims.get_mut(id) else { return };
        if pid != 1 {
            if let Some((p, _)) = shim.execs.values_mut().find(|(p, _)| p.pid() == pid) {
                if !p.signal(sig) {
                    p.kill(now, 128 + signal_number(sig));
                }
                return;
            }
            // A process under the main one or under an exec'd one (`sleep 100 &` in PID 1).
            let (fs, host) = (&mut shim.fs, shim.hostname.as_str());
            let in_main = shim.proc.as_deref_mut().is_some_and(|p| p.signal_descendant(pid, sig, fs, host, now));
            if in_main {
                if advance(shim, now) {
                    let uid = self.sandbox_uid(&self.shims[id].sandbox_id.clone());
                    self.exited.push(uid);
                }
                self.schedule(id, now);
            } else {
                for (p, _) in shim.execs.values_mut() {
                    if p.signal_descendant(pid, sig, fs, host, now) {
                        break;
                    }
                }
            }
            return;
        }
        let Some(started) = shim.started_at else { return };
        let ended = match shim.proc.as_deref_mut() {
            Some(p) => p.signal(sig) && advance(shim, now),
            None if shim.plan.honours_sigterm
                && matches!(sig, "TERM" | "INT" | "QUIT")
                && shim.plan.server.is_some() =>
            {
                if let Some(s) = &shim.plan.server {
                    for line in s.stop_lines(now) {
                        shim.log.push(now, line.as_bytes());
                    }
                }
                let after = now - started + shim.plan.term_delay;
                shim.plan.exits = Some((after, shim.plan.term_code));
                true
            }
            None => false,
        };
        if ended || shim.proc.is_none() && shim.end().is_some_and(|e| e.0 <= now) {
            let uid = self.sandbox_uid(&self.shims[id].sandbox_id.clone());
            self.exited.push(uid);
        }
        self.schedule(id, now);
    }
}
