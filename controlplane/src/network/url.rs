//! The URLs clients take (`http://web`, `web:8080/path`, `https://10.96.0.1`): scheme, host,
//! port and path, with the errors curl gives for what it cannot take.

/// A parsed URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Url {
    pub scheme: String,
    pub host: String,
    pub port: u16,
    /// The path with its query, `/` at least.
    pub path: String,
}

impl Url {
    /// As curl reads it: no scheme means http.
    pub fn parse(text: &str) -> Result<Url, String> {
        let text = text.trim();
        let (scheme, rest) = match text.split_once("://") {
            Some((s, r)) => (s.to_ascii_lowercase(), r),
            None => ("http".to_string(), text),
        };
        let default_port = match scheme.as_str() {
            "http" => 80,
            "https" => 443,
            _ => return Err(format!("Protocol \"{scheme}\" not supported")),
        };
        let (authority, path) = match rest.find(['/', '?']) {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        let path = if path.starts_with('?') { format!("/{path}") } else { path.to_string() };
        // Credentials before `@` play no part here.
        let authority = authority.rsplit_once('@').map_or(authority, |(_, a)| a);
        let (host, port) = match authority.rsplit_once(':') {
            Some((h, p)) => match p.parse::<u16>() {
                Ok(p) if p > 0 => (h, p),
                _ => return Err("URL rejected: Port number was not a decimal number between 0 and 65535".into()),
            },
            None => (authority, default_port),
        };
        let valid = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '.' || c == '_';
        if host.is_empty() || !host.chars().all(valid) {
            return Err("URL rejected: Bad hostname".into());
        }
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        Ok(Url { scheme, host, port, path })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_as_curl_takes_them() {
        let u = Url::parse("web").unwrap();
        assert_eq!((u.scheme.as_str(), u.host.as_str(), u.port, u.path.as_str()), ("http", "web", 80, "/"));
        let u = Url::parse("https://Web.Default.svc:8443/a/b?x=1").unwrap();
        assert_eq!((u.host.as_str(), u.port, u.path.as_str()), ("web.default.svc", 8443, "/a/b?x=1"));
        let u = Url::parse("http://10.96.0.1?x").unwrap();
        assert_eq!(u.path, "/?x");
        assert!(Url::parse("ftp://x").unwrap_err().contains("not supported"));
        assert!(Url::parse("http://x:99999").is_err());
        assert!(Url::parse("http://").is_err());
        assert!(Url::parse("http://a b").is_err());
    }
}
