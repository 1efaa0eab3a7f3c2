//! The REPL's own commands: `:help`, `:help NAME`, `:load FILE`, `:reset`, `:clusters`, `:quit`.

use stdlib::Session;

/// The commands, for completion.
pub const NAMES: &[&str] = &[":clusters", ":help", ":load", ":quit", ":reset"];

#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    Continue,
    Quit,
}

const HELP: &str = "\
Type Rhai (`get(\"pods\")`, `advance(\"5m\")`), a kubectl line (`kubectl get nodes`) or a YAML
document (it starts with `apiVersion:` and ends at an empty line). Tab completes; an open
bracket or string continues on the next line; Ctrl-C stops a running input; Ctrl-D exits.

  :help          this, and the list of functions
  :help NAME     a function's doc and example (also `help(\"NAME\")` in scripts)
  :load FILE     run a script file in this session
  :reset         a fresh default cluster; variables and functions cleared
  :clusters      the clusters of this session (`cluster()` makes more)
  :quit          exit (or Ctrl-D)
";

/// Run one command line (without its leading `:`).
pub fn run(session: &mut Session, line: &str, colour: bool) -> Outcome {
    let line = line.trim();
    let (name, arg) = match line.split_once(char::is_whitespace) {
        Some((n, a)) => (n, a.trim()),
        None => (line, ""),
    };
    match name {
        "help" | "h" | "?" if arg.is_empty() => {
            println!("{HELP}");
            println!("{}", session.help("").unwrap_or_default());
        }
        "help" | "h" | "?" => match session.help(arg) {
            Some(text) => print!("{text}"),
            None => error(&format!("no function named {arg:?} (:help lists them)"), colour),
        },
        "load" if arg.is_empty() => error(":load needs a file: :load FILE", colour),
        "load" => load(session, arg, colour),
        "reset" => {
            session.reset();
            println!("A fresh default cluster; variables and functions cleared.");
        }
        "clusters" => print!("{}", clusters(session)),
        "quit" | "q" | "exit" => return Outcome::Quit,
        other => error(&format!("unknown command :{other} (:help lists the commands)"), colour),
    }
    Outcome::Continue
}

fn error(message: &str, colour: bool) {
    if colour {
        eprintln!("\x1b[31m{message}\x1b[0m");
    } else {
        eprintln!("{message}");
    }
}

/// `:load FILE`: the file runs as one input; its value is shown, and an error says where.
/// The file is read as scripts read files: where the session may read.
fn load(session: &mut Session, file: &str, colour: bool) {
    let code = match session.files().read(file) {
        Ok(code) => code,
        Err(e) => return error(&format!(":load: {e}"), colour),
    };
    let out = session.execute(&code);
    if let Some(result) = out.result {
        println!("{}", result.trim_end_matches('\n'));
    }
    if let Some(e) = out.error {
        let at = match (e.line, e.column) {
            (Some(l), Some(c)) => format!("{file}:{l}:{c}: "),
            _ => format!("{file}: "),
        };
        error(&format!("{at}{}", e.message), colour);
    }
}

/// `:clusters`: one row per cluster, the current one marked with `*`.
fn clusters(session: &Session) -> String {
    let rows: Vec<[String; 6]> = session
        .clusters()
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let name = if c.default { "default".to_string() } else { format!("#{i}") };
            let mark = if c.current { "*" } else { " " };
            [
                format!("{mark} {name}"),
                c.nodes.to_string(),
                c.pods.to_string(),
                c.seed.to_string(),
                c.now.clone(),
                c.variables.join(", "),
            ]
        })
        .collect();
    let header = ["  CLUSTER", "NODES", "PODS", "SEED", "NOW", "VARIABLES"].map(String::from);
    let all: Vec<&[String; 6]> = std::iter::once(&header).chain(rows.iter()).collect();
    let widths: Vec<usize> = (0..6).map(|c| all.iter().map(|r| r[c].chars().count()).max().unwrap_or(0)).collect();
    let mut out = String::new();
    for row in all {
        let line: Vec<String> = row.iter().zip(&widths).map(|(cell, w)| format!("{cell:w$}")).collect();
        out.push_str(line.join("   ").trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use stdlib::SessionOptions;

    fn check(setup: &str, expect: &str) {
        let mut s = Session::new(SessionOptions::default());
        assert_eq!(s.execute(setup).error, None);
        assert_eq!(clusters(&s), expect);
    }

    #[test]
    fn cluster_table() {
        check(
            "let big = cluster(#{workers: 5, seed: 7}); use_cluster(big);",
            "  CLUSTER   NODES   PODS   SEED   NOW                    VARIABLES
  default   4       10     0      2025-01-01T00:00:00Z
* #1        6       12     7      2025-01-01T00:00:00Z   big
",
        );
    }
}
