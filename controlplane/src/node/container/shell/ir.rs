//! The shell's program form: brush-parser's syntax tree lowered to the commands this shell
//! runs, with every word split into its pieces once and shared (`Arc`), so the evaluator's
//! frames hold cheap clones rather than copies of the tree.

use std::sync::Arc;

use brush_parser::ast;
use brush_parser::word::{WordPiece, WordPieceWithSource};
use brush_parser::ParserOptions;

/// A word, as its pieces (text, quotes, `$VAR`, `$(...)`, `$((...))`).
pub type Word = Arc<[WordPiece]>;

#[derive(Debug, Clone)]
pub enum Redir {
    /// `N>file`, `N>>file`, `N<file`.
    File { fd: i32, target: Word, mode: Mode },
    /// `N>&M`, `N<&M`.
    Dup { fd: i32, to: i32 },
    /// `&>file`.
    Both { target: Word, append: bool },
    /// `<<EOF` (the body, expanded when `expand`), `<<<word`.
    Here { fd: i32, body: Word, expand: bool },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Read,
    Write,
    Append,
}

/// One item of a simple command, in source order.
#[derive(Debug, Clone)]
pub enum Item {
    Assign(String, Word),
    Word(Word),
    Redir(Redir),
}

#[derive(Debug)]
pub struct Simple {
    pub items: Vec<Item>,
    /// The command substitutions of its words at top level, in the order expansion meets
    /// them: they run (and may sleep) before the words are expanded.
    pub substs: Vec<Result<Cmd, String>>,
}

/// Command substitutions to run before a word is expanded.
pub type Substs = Arc<[Result<Cmd, String>]>;

#[derive(Debug, Clone)]
pub enum Cmd {
    Simple(Arc<Simple>),
    /// Commands in sequence (`;`, newlines).
    Seq(Arc<[Cmd]>),
    /// `cmd &`
    Background(Arc<Cmd>),
    /// `a && b || c`: the first, then each with `true` for `&&`.
    AndOr(Arc<Cmd>, Arc<[(bool, Cmd)]>),
    Pipeline(Arc<[Cmd]>, bool),
    /// `if c; then b; elif ...; else e; fi`
    If(Arc<[(Cmd, Cmd)]>, Option<Arc<Cmd>>),
    /// `while c; do b; done` (or `until`).
    Loop {
        until: bool,
        cond: Arc<Cmd>,
        body: Arc<Cmd>,
    },
    /// `for v in words; do b; done` (`None`: the positional parameters), with the command
    /// substitutions of its words.
    For {
        var: Arc<str>,
        words: Option<Arc<[Word]>>,
        substs: Substs,
        body: Arc<Cmd>,
    },
    /// `case word in ...`: the word, its command substitutions, the arms.
    Case(Word, Substs, Arc<[(Vec<Word>, Option<Cmd>)]>),
    /// `( ... )`
    Subshell(Arc<Cmd>),
    /// A compound command with redirections.
    Redirected(Arc<Cmd>, Arc<[Redir]>),
    Function(Arc<str>, Arc<Cmd>),
}

/// A parse failure, in the words of busybox ash (`syntax error: unterminated quoted string`).
pub fn parse(text: &str) -> Result<Cmd, String> {
    let opts = options();
    let mut parser = brush_parser::Parser::new(std::io::Cursor::new(text.as_bytes()), &opts);
    let program = parser.parse_program().map_err(|e| syntax_error(&e))?;
    let mut cmds = Vec::new();
    for list in &program.complete_commands {
        cmds.push(compound_list(list)?);
    }
    Ok(seq(cmds))
}

fn options() -> ParserOptions {
    ParserOptions {
        enable_extended_globbing: false,
        posix_mode: true,
        sh_mode: true,
        tilde_expansion_at_word_start: false,
        ..ParserOptions::default()
    }
}

fn syntax_error(e: &brush_parser::ParseError) -> String {
    use brush_parser::TokenizerError as T;
    let what = match e {
        brush_parser::ParseError::Tokenizing { inner, .. } => match inner {
            T::UnterminatedSingleQuote(_) | T::UnterminatedDoubleQuote(_) | T::UnterminatedAnsiCQuote(_) => {
                "unterminated quoted string".to_string()
            }
            T::UnterminatedBackquote(_) => "EOF in backquote substitution".to_string(),
            T::UnterminatedCommandSubstitution => "unexpected end of file (expecting \")\")".to_string(),
            T::UnterminatedVariable => "missing '}'".to_string(),
            T::UnterminatedExpansion => "missing '))'".to_string(),
            other => other.to_string(),
        },
        brush_parser::ParseError::ParsingAtEndOfInput => "unexpected end of file".to_string(),
        brush_parser::ParseError::ParsingNear(pos) => format!("unexpected word (at line {})", pos.line),
    };
    format!("syntax error: {what}")
}

fn seq(mut cmds: Vec<Cmd>) -> Cmd {
    if cmds.len() == 1 {
        cmds.pop().unwrap_or_else(|| Cmd::Seq(Arc::from(Vec::new())))
    } else {
        Cmd::Seq(cmds.into())
    }
}

fn compound_list(list: &ast::CompoundList) -> Result<Cmd, String> {
    let mut cmds = Vec::new();
    for item in &list.0 {
        let c = and_or(&item.0)?;
        cmds.push(match item.1 {
            ast::SeparatorOperator::Async => Cmd::Background(Arc::new(c)),
            ast::SeparatorOperator::Sequence => c,
        });
    }
    Ok(seq(cmds))
}

fn and_or(list: &ast::AndOrList) -> Result<Cmd, String> {
    let first = pipeline(&list.first)?;
    if list.additional.is_empty() {
        return Ok(first);
    }
    let mut rest = Vec::new();
    for a in &list.additional {
        rest.push(match a {
            ast::AndOr::And(p) => (true, pipeline(p)?),
            ast::AndOr::Or(p) => (false, pipeline(p)?),
        });
    }
    Ok(Cmd::AndOr(Arc::new(first), rest.into()))
}

fn pipeline(p: &ast::Pipeline) -> Result<Cmd, String> {
    let mut stages = Vec::new();
    for c in &p.seq {
        stages.push(command(c)?);
    }
    if stages.len() == 1 && !p.bang {
        return Ok(stages.pop().unwrap_or_else(|| seq(Vec::new())));
    }
    Ok(Cmd::Pipeline(stages.into(), p.bang))
}

fn command(c: &ast::Command) -> Result<Cmd, String> {
    match c {
        ast::Command::Simple(s) => simple(s),
        ast::Command::Compound(cc, redirs) => {
            let inner = compound(cc)?;
            match redirs {
                Some(list) if !list.0.is_empty() => {
                    let mut rs = Vec::new();
                    for r in &list.0 {
                        rs.push(redir(r)?);
                    }
                    Ok(Cmd::Redirected(Arc::new(inner), rs.into()))
                }
                _ => Ok(inner),
            }
        }
        ast::Command::Function(f) => {
            let body = compound(&f.body.0)?;
            Ok(Cmd::Function(Arc::from(f.fname.value.as_str()), Arc::new(body)))
        }
        ast::Command::ExtendedTest(..) => Err("syntax error: unexpected \"[[\"".into()),
    }
}

fn compound(cc: &ast::CompoundCommand) -> Result<Cmd, String> {
    Ok(match cc {
        ast::CompoundCommand::BraceGroup(g) => compound_list(&g.list)?,
        ast::CompoundCommand::Subshell(s) => Cmd::Subshell(Arc::new(compound_list(&s.list)?)),
        ast::CompoundCommand::ForClause(f) => {
            let words = match &f.values {
                Some(ws) => Some(ws.iter().map(word).collect::<Result<Vec<_>, _>>()?.into()),
                None => None,
            };
            let mut substs = Vec::new();
            for w in words.iter().flat_map(|ws: &Arc<[Word]>| ws.iter()) {
                collect_substs(w, &mut substs);
            }
            Cmd::For {
                var: Arc::from(f.variable_name.as_str()),
                words,
                substs: substs.into(),
                body: Arc::new(compound_list(&f.body.list)?),
            }
        }
        ast::CompoundCommand::CaseClause(c) => {
            let mut items = Vec::new();
            for item in &c.cases {
                let pats = item.patterns.iter().map(word).collect::<Result<Vec<_>, _>>()?;
                let body = item.cmd.as_ref().map(compound_list).transpose()?;
                items.push((pats, body));
            }
            let value = word(&c.value)?;
            let mut substs = Vec::new();
            collect_substs(&value, &mut substs);
            Cmd::Case(value, substs.into(), items.into())
        }
        ast::CompoundCommand::IfClause(i) => {
            let mut arms = vec![(compound_list(&i.condition)?, compound_list(&i.then)?)];
            let mut els = None;
            for e in i.elses.iter().flatten() {
                match &e.condition {
                    Some(c) => arms.push((compound_list(c)?, compound_list(&e.body)?)),
                    None => els = Some(Arc::new(compound_list(&e.body)?)),
                }
            }
            Cmd::If(arms.into(), els)
        }
        ast::CompoundCommand::WhileClause(w) | ast::CompoundCommand::UntilClause(w) => Cmd::Loop {
            until: matches!(cc, ast::CompoundCommand::UntilClause(_)),
            cond: Arc::new(compound_list(&w.0)?),
            body: Arc::new(compound_list(&w.1.list)?),
        },
        ast::CompoundCommand::Arithmetic(_) | ast::CompoundCommand::ArithmeticForClause(_) => {
            return Err("syntax error: unexpected \"((\"".into())
        }
        ast::CompoundCommand::Coprocess(_) => return Err("syntax error: unexpected word".into()),
    })
}

/// A word's pieces (a word that cannot be split is kept as literal text).
pub fn word(w: &ast::Word) -> Result<Word, String> {
    pieces(&w.value)
}

pub fn pieces(text: &str) -> Result<Word, String> {
    match brush_parser::word::parse(text, &options()) {
        Ok(ps) => Ok(ps.into_iter().map(|p: WordPieceWithSource| p.piece).collect::<Vec<_>>().into()),
        Err(_) => Err("syntax error: bad substitution".into()),
    }
}

fn redir(r: &ast::IoRedirect) -> Result<Redir, String> {
    use ast::IoFileRedirectKind as K;
    use ast::IoFileRedirectTarget as T;
    Ok(match r {
        ast::IoRedirect::File(fd, kind, target) => {
            let (default_fd, mode) = match kind {
                K::Read | K::DuplicateInput | K::ReadAndWrite => (0, Mode::Read),
                K::Write | K::Clobber | K::DuplicateOutput => (1, Mode::Write),
                K::Append => (1, Mode::Append),
            };
            let fd = fd.unwrap_or(default_fd);
            match target {
                T::Fd(to) => Redir::Dup { fd, to: *to },
                T::Duplicate(w) => match w.value.parse::<i32>() {
                    Ok(to) => Redir::Dup { fd, to },
                    Err(_) if w.value == "-" => Redir::Dup { fd, to: -1 },
                    Err(_) => Redir::File { fd, target: word(w)?, mode },
                },
                T::Filename(w) => Redir::File { fd, target: word(w)?, mode },
                T::ProcessSubstitution(..) => return Err("syntax error: unexpected \"(\"".into()),
            }
        }
        ast::IoRedirect::HereDocument(fd, doc) => {
            let body = if doc.requires_expansion {
                brush_parser::word::parse_heredoc(&doc.doc.value, &options())
                    .map(|ps| ps.into_iter().map(|p| p.piece).collect::<Vec<_>>().into())
                    .map_err(|_| "syntax error: bad substitution".to_string())?
            } else {
                Arc::from(vec![WordPiece::SingleQuotedText(doc.doc.value.clone())])
            };
            Redir::Here { fd: fd.unwrap_or(0), body, expand: true }
        }
        ast::IoRedirect::HereString(fd, w) => Redir::Here { fd: fd.unwrap_or(0), body: word(w)?, expand: false },
        ast::IoRedirect::OutputAndError(w, append) => Redir::Both { target: word(w)?, append: *append },
    })
}

fn simple(s: &ast::SimpleCommand) -> Result<Cmd, String> {
    let mut items = Vec::new();
    let add = |i: &ast::CommandPrefixOrSuffixItem, items: &mut Vec<Item>| -> Result<(), String> {
        match i {
            ast::CommandPrefixOrSuffixItem::IoRedirect(r) => items.push(Item::Redir(redir(r)?)),
            ast::CommandPrefixOrSuffixItem::Word(w) => items.push(Item::Word(word(w)?)),
            ast::CommandPrefixOrSuffixItem::AssignmentWord(a, w) => match (&a.name, &a.value) {
                (ast::AssignmentName::VariableName(n), ast::AssignmentValue::Scalar(v))
                    if !items.iter().any(|i| matches!(i, Item::Word(_))) =>
                {
                    items.push(Item::Assign(n.clone(), word(v)?))
                }
                _ => items.push(Item::Word(word(w)?)),
            },
            ast::CommandPrefixOrSuffixItem::ProcessSubstitution(..) => {
                return Err("syntax error: unexpected \"(\"".into())
            }
        }
        Ok(())
    };
    for i in s.prefix.iter().flat_map(|p| &p.0) {
        add(i, &mut items)?;
    }
    if let Some(w) = &s.word_or_name {
        items.push(Item::Word(word(w)?));
    }
    for i in s.suffix.iter().flat_map(|p| &p.0) {
        add(i, &mut items)?;
    }
    let mut substs = Vec::new();
    for item in &items {
        let w = match item {
            Item::Assign(_, w) | Item::Word(w) => w,
            Item::Redir(Redir::File { target, .. } | Redir::Both { target, .. }) => target,
            Item::Redir(Redir::Here { body, .. }) => body,
            Item::Redir(Redir::Dup { .. }) => continue,
        };
        collect_substs(w, &mut substs);
    }
    Ok(Cmd::Simple(Arc::new(Simple { items, substs })))
}

/// The command substitutions of a word at top level (and inside double quotes), parsed.
fn collect_substs(w: &[WordPiece], out: &mut Vec<Result<Cmd, String>>) {
    for p in w {
        match p {
            WordPiece::CommandSubstitution(src) | WordPiece::BackquotedCommandSubstitution(src) => out.push(parse(src)),
            WordPiece::DoubleQuotedSequence(inner) | WordPiece::GettextDoubleQuotedSequence(inner) => {
                let inner: Vec<WordPiece> = inner.iter().map(|p| p.piece.clone()).collect();
                collect_substs(&inner, out);
            }
            _ => {}
        }
    }
}

/// A simple command of literal words (a container's `command` run without a shell).
pub fn literal(words: &[String]) -> Cmd {
    let items = words.iter().map(|w| Item::Word(Arc::from(vec![WordPiece::SingleQuotedText(w.clone())]))).collect();
    Cmd::Simple(Arc::new(Simple { items, substs: Vec::new() }))
}
