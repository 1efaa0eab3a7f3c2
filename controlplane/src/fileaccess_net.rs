//! Fetching a manifest by URL, as kubectl's `-f https://...` does (cli-runtime's
//! `readHttpWithRetries`): a GET, tried again a second later on a server error, whose body
//! counts only with 200 OK. Each hop of a redirect is checked against the hosts the policy
//! allows, so an allowed host cannot send the fetch somewhere else.

use std::io::Read;
use std::time::Duration;

use ureq::http::{StatusCode, Uri};

use super::{FileAccess, FileError, READ_LIMIT};

/// The hosts the Kubernetes documentation's example links go through (`https://k8s.io/examples/…`
/// redirects to `kubernetes.io`; the raw files of its repositories are on GitHub's), and kind's
/// (its ingress guide applies `https://kind.sigs.k8s.io/examples/ingress/…`).
const DOCS_HOSTS: [&str; 4] = ["k8s.io", "kubernetes.io", "raw.githubusercontent.com", "kind.sigs.k8s.io"];

/// kubectl's tries for a server error, a second apart.
const ATTEMPTS: u32 = 3;
/// Redirects followed before giving up (Go's `http.Client` stops after 10).
const MAX_REDIRECTS: usize = 10;
/// How long one request may take in all.
const TIMEOUT: Duration = Duration::from_secs(30);

/// The hosts a session may fetch from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Hosts {
    Any,
    Only(Vec<String>),
}

impl Hosts {
    /// The documentation's hosts, which a session may fetch from unless told otherwise.
    pub(super) fn docs() -> Hosts {
        Hosts::Only(DOCS_HOSTS.iter().map(|h| h.to_string()).collect())
    }

    /// `--allow-net`: any host (`None`), or these as well.
    pub(super) fn widen(&mut self, hosts: Option<&[String]>) {
        match (hosts, &mut *self) {
            (None, _) => *self = Hosts::Any,
            (Some(_), Hosts::Any) => {}
            (Some(new), Hosts::Only(list)) => {
                for host in new {
                    let host = host.to_ascii_lowercase();
                    if !list.contains(&host) {
                        list.push(host);
                    }
                }
            }
        }
    }

    fn allows(&self, host: &str) -> bool {
        match self {
            Hosts::Any => true,
            Hosts::Only(list) => list.iter().any(|h| h.eq_ignore_ascii_case(host)),
        }
    }

    /// "k8s.io, kubernetes.io", for the refusal.
    fn describe(&self) -> String {
        match self {
            Hosts::Any => "any host".into(),
            Hosts::Only(list) if list.is_empty() => "no host".into(),
            Hosts::Only(list) => list.join(", "),
        }
    }
}

/// Whether kubectl takes `arg` of `-f` as a URL to fetch rather than a path.
pub fn is_url(arg: &str) -> bool {
    arg.starts_with("http://") || arg.starts_with("https://")
}

impl FileAccess {
    /// The text at `url`, of at most [`READ_LIMIT`] bytes, fetched with GET from hosts the
    /// policy allows. Errors are kubectl's words without its `error: `.
    pub fn fetch(&self, url: &str) -> Result<String, FileError> {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .max_redirects(0)
            .http_status_as_error(false)
            .timeout_global(Some(TIMEOUT))
            .build()
            .into();
        let mut current = url.to_string();
        for _ in 0..=MAX_REDIRECTS {
            let uri: Uri = current.parse().map_err(|e| FileError::Fetch(format!("parse {current:?}: {e}")))?;
            let host = uri.host().unwrap_or("");
            if !self.net.allows(host) {
                return Err(FileError::NetDenied {
                    url: current.clone(),
                    host: host.into(),
                    allowed: self.net.describe(),
                });
            }
            let mut tries = 1;
            let mut response = loop {
                let response =
                    agent.get(&current).call().map_err(|e| FileError::Fetch(format!("Get {current:?}: {e}")))?;
                if !response.status().is_server_error() || tries == ATTEMPTS {
                    break response;
                }
                tries += 1;
                // The host's network, not the simulated cluster's: its waits are real time, as a
                // file read's are, and no simulated clock moves.
                std::thread::sleep(Duration::from_secs(1));
            };
            let status = response.status();
            let location = response.headers().get("location").and_then(|l| l.to_str().ok());
            if let (true, Some(location)) = (status.is_redirection(), location) {
                current = join(&uri, location);
                continue;
            }
            if status != StatusCode::OK {
                let code = status.as_u16();
                let reason = status.canonical_reason().map(|r| format!(" {r}")).unwrap_or_default();
                return Err(FileError::Fetch(format!(
                    "unable to read URL {url:?}, server reported {code}{reason}, status code={code}"
                )));
            }
            let mut body = Vec::new();
            let read = response.body_mut().as_reader().take(READ_LIMIT + 1).read_to_end(&mut body);
            read.map_err(|e| FileError::Fetch(format!("unable to read URL {url:?}: {e}")))?;
            if body.len() as u64 > READ_LIMIT {
                return Err(FileError::TooLarge { path: url.into(), size: body.len() as u64 });
            }
            return String::from_utf8(body)
                .map_err(|_| FileError::Fetch(format!("unable to read URL {url:?}: it is not UTF-8 text")));
        }
        Err(FileError::Fetch(format!("Get {url:?}: stopped after {MAX_REDIRECTS} redirects")))
    }
}

/// Where a redirect's `Location` points, taken against the URL that answered.
fn join(base: &Uri, location: &str) -> String {
    let scheme = base.scheme_str().unwrap_or("https");
    let authority = base.authority().map(|a| a.as_str()).unwrap_or("");
    if is_url(location) {
        location.to_string()
    } else if let Some(rest) = location.strip_prefix("//") {
        format!("{scheme}://{rest}")
    } else if location.starts_with('/') {
        format!("{scheme}://{authority}{location}")
    } else {
        let path = base.path();
        let dir = &path[..path.rfind('/').map_or(0, |i| i + 1)];
        let dir = if dir.is_empty() { "/" } else { dir };
        format!("{scheme}://{authority}{dir}{location}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirects_are_taken_against_the_url_that_answered() {
        let base: Uri = "https://k8s.io/examples/pods/simple-pod.yaml".parse().unwrap();
        for (location, to) in [
            (
                "https://kubernetes.io/examples/pods/simple-pod.yaml",
                "https://kubernetes.io/examples/pods/simple-pod.yaml",
            ),
            ("//kubernetes.io/x.yaml", "https://kubernetes.io/x.yaml"),
            ("/examples/other.yaml", "https://k8s.io/examples/other.yaml"),
            ("other.yaml", "https://k8s.io/examples/pods/other.yaml"),
        ] {
            assert_eq!(join(&base, location), to, "{location}");
        }
    }

    #[test]
    fn hosts_widen_and_name_themselves() {
        let mut hosts = Hosts::docs();
        assert!(hosts.allows("K8S.io") && !hosts.allows("example.com"));
        hosts.widen(Some(&["Example.com".to_string(), "k8s.io".to_string()]));
        assert!(hosts.allows("example.com"));
        assert_eq!(hosts.describe(), "k8s.io, kubernetes.io, raw.githubusercontent.com, kind.sigs.k8s.io, example.com");
        hosts.widen(None);
        assert!(hosts.allows("anything.test"));
        assert_eq!(Hosts::Only(Vec::new()).describe(), "no host");
        assert!(!FileAccess::none().net.allows("k8s.io"), "a policy that allows nothing fetches nothing");
    }
}
