//! `test` / `[`: the expression over its arguments, as POSIX gives its meaning by the number
//! of arguments, with `!`, `-a`, `-o` and parentheses for longer ones.

/// What a path is, if it exists: (directory, size).
type Stat = Option<(bool, usize)>;

pub fn eval(args: &[&str], stat: impl Fn(&str) -> Stat) -> Result<bool, String> {
    let mut p = Parser { args, pos: 0, stat: &stat };
    if args.is_empty() {
        return Ok(false);
    }
    let v = p.or()?;
    match p.args.get(p.pos) {
        None => Ok(v),
        Some(extra) => Err(format!("{extra}: unknown operand")),
    }
}

struct Parser<'a, F: Fn(&str) -> Stat> {
    args: &'a [&'a str],
    pos: usize,
    stat: &'a F,
}

impl<'a, F: Fn(&str) -> Stat> Parser<'a, F> {
    fn peek(&self, off: usize) -> Option<&'a str> {
        self.args.get(self.pos + off).copied()
    }

    fn or(&mut self) -> Result<bool, String> {
        let mut v = self.and()?;
        while self.peek(0) == Some("-o") {
            self.pos += 1;
            v |= self.and()?;
        }
        Ok(v)
    }

    fn and(&mut self) -> Result<bool, String> {
        let mut v = self.not()?;
        while self.peek(0) == Some("-a") {
            self.pos += 1;
            v &= self.not()?;
        }
        Ok(v)
    }

    fn not(&mut self) -> Result<bool, String> {
        if self.peek(0) == Some("!") && self.peek(1).is_some() {
            self.pos += 1;
            return Ok(!self.not()?);
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<bool, String> {
        let Some(a) = self.peek(0) else { return Err("argument expected".into()) };
        if a == "(" && self.args[self.pos..].contains(&")") {
            self.pos += 1;
            let v = self.or()?;
            if self.peek(0) != Some(")") {
                return Err("')' expected".into());
            }
            self.pos += 1;
            return Ok(v);
        }
        if let (Some(op), Some(b)) = (self.peek(1), self.peek(2)) {
            if let Some(v) = binary(a, op, b)? {
                self.pos += 3;
                return Ok(v);
            }
        }
        if a.len() == 2 && a.starts_with('-') && self.peek(1).is_some() && !matches!(a, "-a" | "-o") {
            let b = self.peek(1).unwrap_or_default();
            let st = (self.stat)(b);
            let v = match &a[1..] {
                "n" => !b.is_empty(),
                "z" => b.is_empty(),
                "e" | "r" | "w" => st.is_some(),
                "f" => st.is_some_and(|s| !s.0),
                "d" => st.is_some_and(|s| s.0),
                "s" => st.is_some_and(|s| s.1 > 0),
                "x" => st.is_some_and(|s| s.0),
                "L" | "h" | "p" | "S" | "b" | "c" | "t" => false,
                _ => return Err(format!("{a}: unknown operand")),
            };
            self.pos += 2;
            return Ok(v);
        }
        self.pos += 1;
        Ok(!a.is_empty())
    }
}

fn binary(a: &str, op: &str, b: &str) -> Result<Option<bool>, String> {
    let num = |s: &str| s.trim().parse::<i64>().map_err(|_| format!("invalid number '{s}'"));
    Ok(Some(match op {
        "=" | "==" => a == b,
        "!=" => a != b,
        "<" => a < b,
        ">" => a > b,
        "-eq" => num(a)? == num(b)?,
        "-ne" => num(a)? != num(b)?,
        "-lt" => num(a)? < num(b)?,
        "-le" => num(a)? <= num(b)?,
        "-gt" => num(a)? > num(b)?,
        "-ge" => num(a)? >= num(b)?,
        _ => return Ok(None),
    }))
}
