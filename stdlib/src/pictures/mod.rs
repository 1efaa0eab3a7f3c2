//! Pictures: values drawn as SVG for a notebook, with a text rendering for the REPL and
//! scripts.

/// A drawing: a notebook shows the SVG, the REPL prints the text.
#[derive(Debug, Clone, PartialEq)]
pub struct Picture {
    pub text: String,
    pub svg: String,
}
