//! What a process asks of the cluster network and what it gets back. A program that connects
//! somewhere (`wget`, `curl`, `nc`, `nslookup`) leaves a call with its process tree and waits;
//! the cluster carries it through the network (the runtime knows nothing of Services or DNS)
//! and hands the answer back, to be read when its time comes.

use chrono::{DateTime, Duration, Utc};

/// A call a program makes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NetCall {
    /// An HTTP request (`wget`, `curl`), with its headers, whether the server's certificate
    /// goes unchecked (`curl -k`; busybox's wget checks none), `--cacert`'s path and text
    /// (None when it could not be read), and `--resolve`'s names.
    Http {
        url: String,
        method: String,
        agent: String,
        timeout: Duration,
        headers: Vec<(String, String)>,
        insecure: bool,
        cacert: Option<(String, Option<Vec<u8>>)>,
        resolve: Vec<(String, u16, std::net::Ipv4Addr)>,
    },
    /// A TCP connection, closed at once (`nc -z`).
    Connect { host: String, port: u16, timeout: Duration },
    /// A DNS lookup as busybox's `nslookup` makes it.
    Lookup { name: String },
    /// A request to the API server with the pod's ServiceAccount credentials, as client-go's
    /// in-cluster config makes it (`https://kubernetes.default.svc`): a REST path and a JSON
    /// body. The answer is `Http` with the JSON the API server sent.
    Api { method: String, path: String, body: Option<String> },
}

/// How a call went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NetAnswer {
    /// The server's HTTP answer.
    Http {
        status: u16,
        body: String,
    },
    /// A connection was made (and closed, or the port does not speak HTTP).
    Connected,
    /// The name did not resolve.
    Unresolved,
    Refused,
    TimedOut,
    /// Connected, then failed (TLS): curl's exit code and words.
    Failed {
        code: i32,
        message: String,
    },
    /// `nslookup`'s printed answer, what it wrote to standard error (after the answer when
    /// `errors_last`, else before it), and its exit code.
    Lookup {
        text: String,
        errors: String,
        errors_last: bool,
        code: i32,
    },
}

/// An answer, with the address the name resolved to (`10.96.0.12:80`) and the moment the
/// program sees it (after its timeout, for one that timed out).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answered {
    pub addr: Option<String>,
    pub at: DateTime<Utc>,
    pub answer: NetAnswer,
}
