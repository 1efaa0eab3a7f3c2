//! `import "path"`: Rhai modules, read through the session's file-access policy (Rhai's own
//! file resolver would run any `.rhai` file the process can read).

use std::cell::Cell;
use std::path::Path;
use std::rc::Rc;

use controlplane::fileaccess::FileAccess;
use rhai::{Engine, EvalAltResult, Module, ModuleResolver, Position, Scope};

/// How deep modules may import modules: a module that imports itself would otherwise recurse
/// until the stack runs out.
const MAX_DEPTH: usize = 16;

pub struct Resolver {
    files: Rc<FileAccess>,
    depth: Cell<usize>,
    /// Set when an import went too deep, so the error is told once, at the first import.
    too_deep: Cell<bool>,
}

impl Resolver {
    pub fn new(files: Rc<FileAccess>) -> Resolver {
        Resolver { files, depth: Cell::new(0), too_deep: Cell::new(false) }
    }
}

impl ModuleResolver for Resolver {
    /// As Rhai's file resolver: `.rhai` is appended, and a relative path is relative to the
    /// importing module's folder, or else to the working directory.
    fn resolve(
        &self,
        engine: &Engine,
        source: Option<&str>,
        path: &str,
        pos: Position,
    ) -> Result<Rc<Module>, Box<EvalAltResult>> {
        let folder = source.and_then(|s| Path::new(s).parent());
        let mut file = match folder {
            Some(dir) if Path::new(path).is_relative() => dir.join(path),
            _ => Path::new(path).to_path_buf(),
        };
        file.set_extension("rhai");
        let file = file.display().to_string();
        if self.depth.get() == 0 {
            self.too_deep.set(false);
        }
        if self.depth.get() >= MAX_DEPTH {
            self.too_deep.set(true);
            return Err(EvalAltResult::ErrorRuntime(().into(), pos).into());
        }
        let text = self.files.read(&file).map_err(|e| match e.io_error() {
            Some(io) if io.kind() == std::io::ErrorKind::NotFound => {
                Box::new(EvalAltResult::ErrorModuleNotFound(path.to_string(), pos))
            }
            _ => Box::new(EvalAltResult::ErrorRuntime(format!("import {path:?}: {e}").into(), pos)),
        })?;
        let in_module = |e: Box<EvalAltResult>| Box::new(EvalAltResult::ErrorInModule(path.to_string(), e, pos));
        let mut ast = engine.compile(text).map_err(|e| in_module(e.into()))?;
        ast.set_source(file);
        self.depth.set(self.depth.get() + 1);
        let module = Module::eval_ast_as_new(Scope::new(), &ast, engine);
        self.depth.set(self.depth.get() - 1);
        match module {
            Ok(module) => Ok(module.into()),
            Err(_) if self.too_deep.get() && self.depth.get() == 0 => {
                let message = format!(
                    "import {path:?}: modules import modules more than {MAX_DEPTH} deep (do they import each other?)"
                );
                Err(EvalAltResult::ErrorRuntime(message.into(), pos).into())
            }
            Err(e) if self.too_deep.get() => Err(e),
            Err(e) => Err(in_module(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::{Session, SessionOptions};
    use controlplane::fileaccess::FileAccess;

    /// issue 10: `import` reads modules only where the session may read, and a cycle of
    /// imports is an error, not a stack overflow.
    #[test]
    fn issue_10_imports_follow_the_policy() {
        let dir = std::env::temp_dir().join(format!("kubesim-modules-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let work = dir.join("work");
        std::fs::create_dir_all(work.join("lib")).unwrap();
        std::fs::write(work.join("lib/greet.rhai"), "import \"names\" as n;\nfn hello() { `hello ${n::WHO}` }")
            .unwrap();
        std::fs::write(work.join("lib/names.rhai"), "export const WHO = \"world\";").unwrap();
        std::fs::write(work.join("self.rhai"), "import \"self\" as me;").unwrap();
        std::fs::write(work.join("bad.rhai"), "let = ;").unwrap();
        std::fs::write(dir.join("outside.rhai"), "export const X = 1;").unwrap();
        let files = FileAccess::working_directory(&work);
        let mut s = Session::new(SessionOptions { files, ..SessionOptions::default() });
        let got: Vec<String> = [
            "import \"lib/greet\" as g; g::hello()",
            "import \"../outside\" as o; o::X",
            "import \"/etc/x\" as x;",
            "import \"missing\" as m;",
            "import \"self\" as me;",
            "import \"bad\" as b;",
        ]
        .iter()
        .map(|input| {
            let out = s.execute(input);
            match (out.result, out.error) {
                (_, Some(e)) => format!("{input} → error: {}", e.message),
                (r, None) => format!("{input} → {}", r.unwrap_or_default()),
            }
        })
        .collect();
        let expect = r#"
import "lib/greet" as g; g::hello() → hello world
import "../outside" as o; o::X → error: import "../outside": reading ../outside.rhai is not allowed: kubesim may read only under the working directory; run kubesim with --allow-read=../outside.rhai to allow it
import "/etc/x" as x; → error: import "/etc/x": reading /etc/x.rhai is not allowed: kubesim may read only under the working directory; run kubesim with --allow-read=/etc/x.rhai to allow it
import "missing" as m; → error: Module not found: missing
import "self" as me; → error: import "self": modules import modules more than 16 deep (do they import each other?)
import "bad" as b; → error: Syntax error: ...
"#;
        let got = got.join("\n");
        for (g, e) in got.lines().zip(expect.trim().lines()) {
            match e.strip_suffix("...") {
                Some(prefix) => assert!(g.starts_with(prefix), "{g}\nexpected {e}"),
                None => assert_eq!(g, e),
            }
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
