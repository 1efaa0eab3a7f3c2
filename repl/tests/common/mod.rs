//! A kubesim kernel process and a client of it over ZeroMQ, for the kernel tests. Every wait
//! is bounded, so a hang fails fast. (Each test file uses a part of it.)
#![allow(dead_code)]

use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use jupyter_protocol::{
    ConnectionInfo, ExecuteRequest, InputReply, JupyterMessage, JupyterMessageContent, KernelInfoRequest, ReplyStatus,
    Transport,
};
use jupyter_zmq_client::{
    create_client_control_connection, create_client_iopub_connection, create_client_shell_connection_with_identity,
    create_client_stdin_connection_with_identity, peek_ports, peer_identity_for_session, wait_for_iopub_welcome,
    ClientControlConnection, ClientIoPubConnection, ClientShellConnection, ClientStdinConnection,
};
use tokio::time::timeout;

pub const WAIT: Duration = Duration::from_secs(20);

/// A kernel process on its own connection file; killed when dropped.
pub struct Kernel {
    pub child: Child,
    pub info: ConnectionInfo,
    file: PathBuf,
    log: PathBuf,
}

impl Drop for Kernel {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Kernel {
    pub async fn start(test: &str) -> Kernel {
        let ports = peek_ports(IpAddr::V4(Ipv4Addr::LOCALHOST), 5).await.expect("free ports");
        let info = ConnectionInfo {
            transport: Transport::TCP,
            ip: "127.0.0.1".to_string(),
            shell_port: ports[0],
            iopub_port: ports[1],
            stdin_port: ports[2],
            control_port: ports[3],
            hb_port: ports[4],
            signature_scheme: "hmac-sha256".to_string(),
            key: format!("key-{test}-{}", std::process::id()),
            kernel_name: Some("kubesim".to_string()),
        };
        let dir = std::env::temp_dir().join(format!("kubesim-kernel-{}-{test}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a temporary directory");
        let file = dir.join("connection.json");
        std::fs::write(&file, serde_json::to_string(&info).expect("JSON")).expect("the connection file");
        let log = dir.join("kernel.log");
        let child = spawn(&file, &log);
        Kernel { child, info, file, log }
    }

    /// Start the kernel again on the same connection file (what a client's restart does).
    pub fn restart(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.child = spawn(&self.file, &self.log);
    }

    /// The kernel's log once it has `line` (the sockets are served concurrently).
    pub async fn wait_for_log(&self, line: &str) -> String {
        let mut log = String::new();
        for _ in 0..100 {
            log = std::fs::read_to_string(&self.log).unwrap_or_default();
            if log.contains(line) {
                return log;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the kernel's log never said {line:?}:\n{log}");
    }

    pub async fn client(&self) -> Client {
        let session = format!("client-{}", std::process::id());
        Client::connect(&self.info, &session).await
    }
}

fn spawn(file: &PathBuf, log: &PathBuf) -> Child {
    Command::new(env!("CARGO_BIN_EXE_kubesim"))
        .args(["kernel", "--connection-file"])
        .arg(file)
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(log).expect("a log file"))
        .spawn()
        .expect("the kernel starts")
}

pub struct Client {
    pub shell: ClientShellConnection,
    pub control: ClientControlConnection,
    pub iopub: ClientIoPubConnection,
    /// On the shell's identity, so the kernel's input requests reach this client.
    pub stdin: ClientStdinConnection,
}

impl Client {
    pub async fn connect(info: &ConnectionInfo, session: &str) -> Client {
        // The kernel may still be binding its sockets: connecting retries until it answers.
        let identity = peer_identity_for_session(session).expect("an identity");
        let shell = create_client_shell_connection_with_identity(info, session, identity.clone()).await.expect("shell");
        let stdin = create_client_stdin_connection_with_identity(info, session, identity).await.expect("stdin");
        let control = create_client_control_connection(info, session).await.expect("control");
        let mut iopub = create_client_iopub_connection(info, "", session).await.expect("iopub");
        let welcome = wait_for_iopub_welcome(&mut iopub, WAIT).await.expect("iopub reads");
        assert_eq!(welcome.as_deref(), Some(""), "the kernel welcomes a subscriber");
        Client { shell, control, iopub, stdin }
    }

    pub async fn kernel_info(&mut self) {
        let request: JupyterMessage = KernelInfoRequest {}.into();
        let id = request.header.msg_id.clone();
        self.shell.send(request).await.expect("sent");
        let reply = self.shell_reply(&id).await;
        let JupyterMessageContent::KernelInfoReply(info) = reply.content else { panic!("{reply:?}") };
        assert_eq!(info.language_info.name, "rhai");
    }

    pub async fn shell_reply(&mut self, id: &str) -> JupyterMessage {
        loop {
            let msg = timeout(WAIT, self.shell.read()).await.expect("a shell reply in time").expect("a shell reply");
            if msg.parent_header.as_ref().is_some_and(|h| h.msg_id == id) {
                return msg;
            }
        }
    }

    /// Send a cell; its id.
    pub async fn send_execute(&mut self, code: &str) -> String {
        let request: JupyterMessage = ExecuteRequest::new(code.to_string()).into();
        let id = request.header.msg_id.clone();
        self.shell.send(request).await.expect("sent");
        id
    }

    /// Send a cell whose request allows input requests (`allow_stdin`); its id.
    pub async fn send_execute_with_stdin(&mut self, code: &str) -> String {
        let mut request = ExecuteRequest::new(code.to_string());
        request.allow_stdin = true;
        let request: JupyterMessage = request.into();
        let id = request.header.msg_id.clone();
        self.shell.send(request).await.expect("sent");
        id
    }

    /// The kernel's next input request: its prompt and the message.
    pub async fn input_request(&mut self) -> (String, JupyterMessage) {
        let msg = timeout(WAIT, self.stdin.read()).await.expect("an input request in time").expect("a stdin message");
        let JupyterMessageContent::InputRequest(r) = &msg.content else { panic!("not an input request: {msg:?}") };
        assert!(!r.password);
        (r.prompt.clone(), msg)
    }

    /// Answer `request` with `value`.
    pub async fn input_reply(&mut self, request: &JupyterMessage, value: &str) {
        let answer = InputReply { value: value.to_string(), status: ReplyStatus::Ok, error: None };
        let mut reply = JupyterMessage::new(answer, Some(request));
        reply.zmq_identities.clear();
        self.stdin.send(reply).await.expect("sent");
    }

    /// Answer the open input request with a reply that names no parent, as jupyter_client's
    /// `input()` sends it.
    pub async fn input_reply_without_parent(&mut self, value: &str) {
        let answer = InputReply { value: value.to_string(), status: ReplyStatus::Ok, error: None };
        self.stdin.send(JupyterMessage::new(answer, None)).await.expect("sent");
    }

    /// Run a cell: its reply and the IOPub messages parented to it, up to idle.
    pub async fn execute(&mut self, code: &str) -> (JupyterMessage, Vec<JupyterMessage>) {
        let id = self.send_execute(code).await;
        let reply = self.shell_reply(&id).await;
        (reply, self.outputs(&id).await)
    }

    pub async fn outputs(&mut self, id: &str) -> Vec<JupyterMessage> {
        let mut all = Vec::new();
        loop {
            let msg = timeout(WAIT, self.iopub.read()).await.expect("iopub in time").expect("an iopub message");
            if msg.parent_header.as_ref().is_none_or(|h| h.msg_id != id) {
                continue;
            }
            let idle = matches!(&msg.content, JupyterMessageContent::Status(s) if format!("{:?}", s.execution_state) == "Idle");
            all.push(msg);
            if idle {
                return all;
            }
        }
    }

    pub async fn result_text(&mut self, code: &str) -> String {
        let (reply, outputs) = self.execute(code).await;
        let JupyterMessageContent::ExecuteReply(r) = &reply.content else { panic!("{reply:?}") };
        assert_eq!(r.status, ReplyStatus::Ok, "{code}: {reply:?}");
        outputs
            .iter()
            .find_map(|m| match &m.content {
                JupyterMessageContent::ExecuteResult(r) => serde_json::to_value(&r.data).ok(),
                _ => None,
            })
            .and_then(|data| data["text/plain"].as_str().map(str::to_string))
            .unwrap_or_else(|| panic!("{code}: no result in {outputs:?}"))
    }
}

pub fn kinds(outputs: &[JupyterMessage]) -> Vec<&str> {
    outputs.iter().map(|m| m.header.msg_type.as_str()).collect()
}
