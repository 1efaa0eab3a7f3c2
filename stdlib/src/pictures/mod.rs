//! Pictures: values drawn as SVG for a notebook, with a text rendering for the REPL and
//! scripts. `cluster.rs` draws the cluster (`show()`), `timeline.rs` an object's history
//! (`timeline(kind, name)`); `svg.rs` is the writer both use. Output depends only on the
//! cluster, so the same script and seed draw the same bytes.

pub mod cluster;
pub mod svg;
pub mod timeline;

use controlplane::fileaccess::{FileAccess, FileError};

/// A drawing: a notebook shows the SVG, the REPL prints the text.
#[derive(Debug, Clone, PartialEq)]
pub struct Picture {
    pub text: String,
    pub svg: String,
}

/// Why a picture could not be drawn or saved.
#[derive(Debug, thiserror::Error)]
pub enum PictureError {
    #[error("timeline: no history of {kind} \"{name}\"{}", namespace.as_ref().map(|ns| format!(" in namespace \"{ns}\"")).unwrap_or_default())]
    NoHistory { kind: String, name: String, namespace: Option<String> },
    #[error("timeline: kubesim keeps no history of {plural}; it follows deployments, replicasets, statefulsets, daemonsets, jobs, pods and nodes")]
    NotRecorded { plural: String },
    #[error("{function}: {source}")]
    Write { function: &'static str, source: FileError },
}

impl Picture {
    /// Write the SVG to `path`, where the session may write; returns `wrote PATH (N bytes)`.
    pub fn save(&self, function: &'static str, path: &str, files: &FileAccess) -> Result<String, PictureError> {
        files.write(path, self.svg.as_bytes()).map_err(|source| PictureError::Write { function, source })?;
        Ok(format!("wrote {path} ({} bytes)", self.svg.len()))
    }
}

#[cfg(test)]
pub(crate) mod tests {
    /// The SVG parses as XML, with an `svg` root in the SVG namespace.
    pub fn well_formed(svg: &str) {
        let doc = match roxmltree::Document::parse(svg) {
            Ok(doc) => doc,
            Err(e) => panic!("the SVG is not well-formed XML: {e}\n{svg}"),
        };
        let root = doc.root_element();
        assert_eq!(root.tag_name().name(), "svg");
        assert_eq!(root.tag_name().namespace(), Some("http://www.w3.org/2000/svg"));
    }

    #[test]
    fn saving_says_what_was_written_or_why_not() {
        let p = super::Picture { text: "t".into(), svg: "<svg/>".into() };
        let dir = std::env::temp_dir().join(format!("kubesim-pictures-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let files = super::FileAccess::working_directory(&dir);
        let path = dir.join("a.svg");
        let shown = path.display().to_string();
        assert_eq!(p.save("show", &shown, &files).unwrap(), format!("wrote {shown} (6 bytes)"));
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "<svg/>");
        assert_eq!(p.save("show", "b.svg", &files).unwrap(), "wrote b.svg (6 bytes)");
        assert!(dir.join("b.svg").is_file(), "relative to the working directory");
        let missing = dir.join("no/such/dir/a.svg").display().to_string();
        let e = p.save("show", &missing, &files).unwrap_err().to_string();
        assert!(e.starts_with(&format!("show: cannot write {missing:?}: ")), "{e}");
        // issue 10: nothing is written outside the working directory.
        let e = p.save("timeline", "../x.svg", &files).unwrap_err().to_string();
        assert_eq!(e, "timeline: writing ../x.svg is not allowed: kubesim may write only under the working directory; run kubesim with --allow-write=../x.svg to allow it");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
