//! The regular expressions of busybox `grep`: basic (`-E` extended) syntax without groups or
//! back-references: literals, `.`, `[...]`, `*` (and `+`, `?` with `-E`), `^`, `$` and, with
//! `-E`, `|` at the top level. Patterns are bounded in length, so matching stays cheap.

const MAX_ATOMS: usize = 256;

#[derive(Debug, Clone)]
enum Atom {
    Char(char),
    Any,
    Class(Vec<(char, char)>, bool),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rep {
    One,
    Star,
    Plus,
    Opt,
}

#[derive(Debug, Clone)]
struct Branch {
    anchored: bool,
    end: bool,
    atoms: Vec<(Atom, Rep)>,
}

#[derive(Debug, Clone)]
pub struct Regex {
    branches: Vec<Branch>,
    icase: bool,
}

impl Regex {
    pub fn new(pattern: &str, extended: bool, fixed: bool, icase: bool) -> Result<Regex, String> {
        let pattern = if icase { pattern.to_lowercase() } else { pattern.to_string() };
        let alts: Vec<String> =
            if extended && !fixed { pattern.split('|').map(str::to_string).collect() } else { vec![pattern] };
        let mut branches = Vec::new();
        for alt in alts {
            branches.push(if fixed {
                Branch { anchored: false, end: false, atoms: alt.chars().map(|c| (Atom::Char(c), Rep::One)).collect() }
            } else {
                branch(&alt, extended)?
            });
        }
        Ok(Regex { branches, icase })
    }

    pub fn is_match(&self, line: &str) -> bool {
        let text: Vec<char> = if self.icase { line.to_lowercase().chars().collect() } else { line.chars().collect() };
        self.branches.iter().any(|b| {
            let starts = if b.anchored { 0..=0 } else { 0..=text.len() };
            starts.into_iter().any(|s| matches(&b.atoms, &text[s..], b.end))
        })
    }
}

fn branch(p: &str, extended: bool) -> Result<Branch, String> {
    let mut chars: Vec<char> = p.chars().collect();
    let anchored = chars.first() == Some(&'^');
    if anchored {
        chars.remove(0);
    }
    let end = chars.last() == Some(&'$') && !(chars.len() >= 2 && chars[chars.len() - 2] == '\\');
    if end {
        chars.pop();
    }
    let mut atoms: Vec<(Atom, Rep)> = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let rep = |a: &mut Vec<(Atom, Rep)>, r: Rep| match a.last_mut() {
            Some(last) => {
                last.1 = r;
                true
            }
            None => false,
        };
        match c {
            '*' if rep(&mut atoms, Rep::Star) => {}
            '+' if extended && rep(&mut atoms, Rep::Plus) => {}
            '?' if extended && rep(&mut atoms, Rep::Opt) => {}
            '\\' if i + 1 < chars.len() => {
                i += 1;
                let e = chars[i];
                match e {
                    '+' if !extended && rep(&mut atoms, Rep::Plus) => {}
                    '?' if !extended && rep(&mut atoms, Rep::Opt) => {}
                    _ => atoms.push((Atom::Char(e), Rep::One)),
                }
            }
            '.' => atoms.push((Atom::Any, Rep::One)),
            '[' => {
                let mut j = i + 1;
                let negate = chars.get(j) == Some(&'^');
                if negate {
                    j += 1;
                }
                let mut set = Vec::new();
                let mut first = true;
                loop {
                    let Some(&c) = chars.get(j) else { return Err("Unmatched [, [^, [:, [., or [=".into()) };
                    if c == ']' && !first {
                        break;
                    }
                    first = false;
                    if chars.get(j + 1) == Some(&'-') && chars.get(j + 2).is_some_and(|c| *c != ']') {
                        set.push((c, chars[j + 2]));
                        j += 3;
                    } else {
                        set.push((c, c));
                        j += 1;
                    }
                }
                atoms.push((Atom::Class(set, negate), Rep::One));
                i = j;
            }
            c => atoms.push((Atom::Char(c), Rep::One)),
        }
        i += 1;
        if atoms.len() > MAX_ATOMS {
            return Err("regular expression too big".into());
        }
    }
    Ok(Branch { anchored, end, atoms })
}

fn one(a: &Atom, c: char) -> bool {
    match a {
        Atom::Char(x) => *x == c,
        Atom::Any => true,
        Atom::Class(set, negate) => set.iter().any(|(lo, hi)| *lo <= c && c <= *hi) != *negate,
    }
}

/// Whether `atoms` match at the start of `text` (to its end when `end`).
fn matches(atoms: &[(Atom, Rep)], text: &[char], end: bool) -> bool {
    let Some(((atom, rep), rest)) = atoms.split_first() else { return !end || text.is_empty() };
    let (min, max) = match rep {
        Rep::One => (1, 1),
        Rep::Star => (0, usize::MAX),
        Rep::Plus => (1, usize::MAX),
        Rep::Opt => (0, 1),
    };
    let mut n = 0;
    while n < max && n < text.len() && one(atom, text[n]) {
        n += 1;
    }
    if n < min {
        return false;
    }
    (min..=n).rev().any(|k| matches(rest, &text[k..], end))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grep_patterns() {
        let m = |p: &str, e: bool, s: &str| Regex::new(p, e, false, false).unwrap().is_match(s);
        assert!(m("hel*o", false, "say heo"));
        assert!(m("^a.c$", false, "abc"));
        assert!(!m("^a.c$", false, "abcd"));
        assert!(m("[0-9][0-9]*", false, "x42"));
        assert!(m("a+b", true, "aab"));
        assert!(!m("a+b", false, "aab"));
        assert!(m("cat|dog", true, "hotdog"));
        assert!(Regex::new("HELLO", false, false, true).unwrap().is_match("hello"));
        assert!(Regex::new("a.b", false, true, false).unwrap().is_match("xa.b"));
        assert!(!Regex::new("a.b", false, true, false).unwrap().is_match("axb"));
    }
}
