//! The server's warnings as kubectl prints them (client-go's deduplicating `WarningWriter`):
//! `Warning: <text>` lines, each message once a command, before what the command prints.
//! The client notes the warnings of every answer, failures too; a command that prints lines
//! as it goes (apply, create, get) takes them where they belong, and whatever is left is
//! printed before the command's output or error (`run_line_with`).

use crate::client::Client;

/// `Warning:` lines for `warnings`.
pub(super) fn lines(warnings: &[String]) -> String {
    warnings.iter().map(|w| format!("Warning: {w}\n")).collect()
}

/// The warnings `client` heard since they were last taken, before `text`.
pub(super) fn heard(client: &mut dyn Client, text: String) -> String {
    let mut out = lines(&client.take_warnings());
    out.push_str(&text);
    out
}
