//! kubectl-style flags: `--flag=value`, `--flag value`, `-n value`, `-nvalue`, booleans,
//! and positional arguments in any order.

use std::collections::BTreeMap;

/// How a command declares a flag.
#[derive(Debug, Clone, Copy)]
pub struct FlagSpec {
    pub long: &'static str,
    pub short: Option<char>,
    /// Whether the flag takes a value (else it is a boolean).
    pub takes_value: bool,
    /// The values it takes, when they are a fixed set (offered by completion).
    pub values: &'static [&'static str],
}

pub const fn flag(long: &'static str, short: Option<char>, takes_value: bool) -> FlagSpec {
    FlagSpec { long, short, takes_value, values: &[] }
}

impl FlagSpec {
    /// The same flag, declaring the fixed set of values it takes.
    pub const fn with_values(self, values: &'static [&'static str]) -> FlagSpec {
        FlagSpec { values, ..self }
    }
}

/// Parsed flags and positional arguments.
#[derive(Debug, Default, Clone)]
pub struct Parsed {
    pub values: BTreeMap<&'static str, Vec<String>>,
    pub positional: Vec<String>,
}

impl Parsed {
    pub fn get(&self, long: &str) -> Option<&str> {
        self.values.get(long).and_then(|v| v.last()).map(String::as_str)
    }

    pub fn all(&self, long: &str) -> &[String] {
        self.values.get(long).map(Vec::as_slice).unwrap_or_default()
    }

    pub fn is_set(&self, long: &str) -> bool {
        self.get(long).is_some_and(|v| v != "false")
    }
}

/// kubectl's refusal of arguments a verb that takes only flags was given (`apply x`).
pub fn no_arguments(flags: &Parsed, verb: &str) -> Result<(), String> {
    match flags.positional.first() {
        Some(extra) => Err(format!("error: Unexpected args: [{extra}]\nSee 'kubectl {verb} -h' for help and examples")),
        None => Ok(()),
    }
}

pub fn parse(args: &[&str], specs: &[FlagSpec]) -> Result<Parsed, String> {
    let mut out = Parsed::default();
    let mut i = 0;
    while i < args.len() {
        let arg = args[i];
        i += 1;
        let (spec, inline) = if let Some(body) = arg.strip_prefix("--") {
            let (name, value) = match body.split_once('=') {
                Some((n, v)) => (n, Some(v.to_string())),
                None => (body, None),
            };
            let spec = specs.iter().find(|s| s.long == name).ok_or_else(|| format!("error: unknown flag: --{name}"))?;
            (spec, value)
        } else if arg.len() > 1 && arg.starts_with('-') && arg != "-" {
            let mut chars = arg[1..].chars();
            let mut c = chars.next().unwrap_or('-');
            let mut spec = specs
                .iter()
                .find(|s| s.short == Some(c))
                .ok_or_else(|| format!("error: unknown shorthand flag: '{c}' in {arg}"))?;
            // pflag: boolean shorthands combine (`-it`); a flag with a value takes the rest.
            while !spec.takes_value && chars.clone().next().is_some_and(|n| n != '=') {
                out.values.entry(spec.long).or_default().push("true".to_string());
                c = chars.next().unwrap_or('-');
                spec = specs
                    .iter()
                    .find(|s| s.short == Some(c))
                    .ok_or_else(|| format!("error: unknown shorthand flag: '{c}' in {arg}"))?;
            }
            let rest: String = chars.collect();
            let rest = rest.strip_prefix('=').map(str::to_string).unwrap_or(rest);
            (spec, if rest.is_empty() { None } else { Some(rest) })
        } else {
            out.positional.push(arg.to_string());
            continue;
        };
        let value = if spec.takes_value {
            match inline {
                Some(v) => v,
                None => {
                    let v = args.get(i).ok_or_else(|| format!("error: flag needs an argument: --{}", spec.long))?;
                    i += 1;
                    v.to_string()
                }
            }
        } else {
            inline.unwrap_or_else(|| "true".to_string())
        };
        out.values.entry(spec.long).or_default().push(value);
    }
    Ok(out)
}
