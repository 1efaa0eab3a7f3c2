//! Pictures: values drawn as SVG for a notebook, with a text rendering for the REPL and
//! scripts. `cluster.rs` draws the cluster (`show()`), `timeline.rs` an object's history
//! (`timeline(kind, name)`); `svg.rs` is the writer both use. Output depends only on the
//! cluster, so the same script and seed draw the same bytes.

pub mod cluster;
pub mod svg;
pub mod timeline;

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
    #[error("{function}: cannot write {path:?}: {source}")]
    Write { function: &'static str, path: String, source: std::io::Error },
}

impl Picture {
    /// Write the SVG to `path`; returns `wrote PATH (N bytes)`.
    pub fn save(&self, function: &'static str, path: &str) -> Result<String, PictureError> {
        std::fs::write(path, &self.svg).map_err(|source| PictureError::Write {
            function,
            path: path.to_string(),
            source,
        })?;
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
        let path = dir.join("a.svg");
        let shown = path.display().to_string();
        assert_eq!(p.save("show", &shown).unwrap(), format!("wrote {shown} (6 bytes)"));
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "<svg/>");
        let missing = dir.join("no/such/dir/a.svg").display().to_string();
        let e = p.save("show", &missing).unwrap_err().to_string();
        assert!(e.starts_with(&format!("show: cannot write {missing:?}: ")), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
