//! Reading messages off a socket. `Connection::read` of jupyter-zmq-client gives up on a
//! message whose content does not parse, losing its header too; here the frames are checked
//! (signature first) and decoded by hand, so a request with odd content still gets an error
//! reply, and optional fields some clients leave out get their defaults.

use jupyter_protocol::{Header, JupyterMessage, JupyterMessageContent};
use jupyter_zmq_client::{Connection, RawMessage, RuntimeError};
use serde_json::{json, Map, Value};
use zeromq::SocketRecv;

/// What came in on a socket.
pub enum Incoming {
    Message(Box<JupyterMessage>),
    /// Signed correctly, with a header, but content that is not a valid request of its type.
    Malformed {
        parent: Box<JupyterMessage>,
        error: String,
    },
    /// Nothing usable (logged): a bad signature, missing frames, a read error.
    Dropped,
}

/// The next message on `connection`; `channel` names the socket in the log.
pub async fn read<S: SocketRecv>(connection: &mut Connection<S>, channel: &str) -> Incoming {
    let frames = match connection.socket.recv().await {
        Ok(frames) => frames,
        Err(e) => {
            log(&format!("read error on {channel}: {e}"));
            return Incoming::Dropped;
        }
    };
    let raw = match RawMessage::from_multipart(frames, &connection.mac) {
        Ok(raw) => raw,
        Err(RuntimeError::VerifyError(_)) => {
            log(&format!("dropped a message on {channel} with a wrong signature"));
            return Incoming::Dropped;
        }
        Err(e) => {
            log(&format!("dropped a malformed message on {channel}: {e}"));
            return Incoming::Dropped;
        }
    };
    decode(raw, channel)
}

/// Check and decode a message's frames as they came off a socket (what [`read`] does after
/// the read), with the connection's key ("" for none).
pub fn parse(frames: Vec<bytes::Bytes>, key: &str) -> Incoming {
    let Ok(frames) = zeromq::ZmqMessage::try_from(frames) else { return Incoming::Dropped };
    let mac = (!key.is_empty()).then(|| ring::hmac::Key::new(ring::hmac::HMAC_SHA256, key.as_bytes()));
    match RawMessage::from_multipart(frames, &mac) {
        Ok(raw) => decode(raw, "fuzz"),
        Err(_) => Incoming::Dropped,
    }
}

fn decode(raw: RawMessage, channel: &str) -> Incoming {
    let header: Header = match serde_json::from_slice(&raw.jparts[0]) {
        Ok(header) => header,
        Err(e) => {
            log(&format!("dropped a message on {channel} whose header does not parse: {e}"));
            return Incoming::Dropped;
        }
    };
    // An empty parent header is `{}`, which is no Header.
    let parent_header = serde_json::from_slice(&raw.jparts[1]).ok();
    let metadata = serde_json::from_slice(&raw.jparts[2]).unwrap_or_else(|_| json!({}));
    let content = serde_json::from_slice::<Value>(&raw.jparts[3])
        .map_err(|e| format!("its content is not JSON: {e}"))
        .and_then(|content| {
            JupyterMessageContent::from_type_and_content(&header.msg_type, with_defaults(&header.msg_type, content))
                .map_err(|e| e.to_string())
        });
    let msg_type = header.msg_type.clone();
    let mut message = JupyterMessage {
        zmq_identities: raw.zmq_identities,
        header,
        parent_header,
        metadata,
        content: JupyterMessageContent::KernelInfoRequest(Default::default()),
        buffers: raw.jparts.get(4..).map(<[_]>::to_vec).unwrap_or_default(),
        channel: None,
    };
    match content {
        Ok(content) => {
            message.content = content;
            Incoming::Message(Box::new(message))
        }
        Err(error) => {
            log(&format!("a {msg_type} on {channel} does not parse: {error}"));
            Incoming::Malformed { parent: Box::new(message), error }
        }
    }
}

/// The request's content with the optional fields the protocol lets clients leave out.
fn with_defaults(msg_type: &str, content: Value) -> Value {
    let Value::Object(mut map) = content else { return content };
    let defaults: &[(&str, Value)] = match msg_type {
        "execute_request" => &[
            ("silent", Value::Bool(false)),
            ("store_history", Value::Bool(true)),
            ("user_expressions", Value::Object(Map::new())),
            ("allow_stdin", Value::Bool(false)),
            ("stop_on_error", Value::Bool(true)),
        ],
        "history_request" => &[
            ("output", Value::Bool(false)),
            ("raw", Value::Bool(true)),
            // Range without bounds: everything. Search without `n` or `unique`: all matches.
            ("start", json!(0)),
            ("stop", json!(0)),
            ("n", json!(0)),
            ("unique", Value::Bool(false)),
            ("pattern", json!("*")),
        ],
        "shutdown_request" => &[("restart", Value::Bool(false))],
        _ => &[],
    };
    for (key, value) in defaults {
        if map.get(*key).is_none_or(Value::is_null) {
            map.insert((*key).to_string(), value.clone());
        }
    }
    if matches!(msg_type, "complete_request" | "inspect_request") && map.get("cursor_pos").is_none_or(Value::is_null) {
        // No cursor: at the end of the code, as the protocol's older clients meant.
        let end = map.get("code").and_then(Value::as_str).map_or(0, |c| c.chars().count());
        map.insert("cursor_pos".to_string(), json!(end));
    }
    Value::Object(map)
}

/// A line in the kernel's log (stderr, which Jupyter shows in its own log).
pub fn log(message: &str) {
    eprintln!("kubesim kernel: {message}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_history_search_without_unique_or_n_parses() {
        let content = json!({"hist_access_type": "search", "pattern": "1*", "output": false, "raw": true});
        let parsed =
            JupyterMessageContent::from_type_and_content("history_request", with_defaults("history_request", content));
        assert!(matches!(parsed, Ok(JupyterMessageContent::HistoryRequest(_))), "{parsed:?}");
    }

    #[test]
    fn an_execute_request_with_only_code_parses() {
        let parsed = JupyterMessageContent::from_type_and_content(
            "execute_request",
            with_defaults("execute_request", json!({"code": "1"})),
        );
        let Ok(JupyterMessageContent::ExecuteRequest(req)) = parsed else { panic!("{parsed:?}") };
        assert!(req.store_history && !req.silent);
    }

    #[test]
    fn a_completion_without_cursor_completes_at_the_end() {
        let parsed = with_defaults("complete_request", json!({"code": "adv"}));
        assert_eq!(parsed["cursor_pos"], json!(3));
    }
}
