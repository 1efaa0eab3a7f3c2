//! The texts a recorder's events share (see `model::event`): each written once and handed
//! to every event that needs it.

use crate::fasthash::HashSet;

use crate::model::event::{ObjectReference, Text};
use crate::model::{KindInfo, Object};

/// Distinct texts kept at most; past it the table starts again (events keep theirs).
const MOST_TEXTS: usize = 1024;

#[derive(Default)]
pub(super) struct Texts {
    /// Texts of few values: types, reasons, namespaces.
    common: HashSet<Text>,
    /// Each kind's apiVersion and name, by `Kind` (made when first needed).
    kinds: Vec<Option<(Text, Text)>>,
    /// The object of the last event, by its identity (kind, namespace, name, uid): the events
    /// about one object come in runs (a container's Pulled, Created and Started).
    last: Option<(String, ObjectReference)>,
}

impl Texts {
    /// `s`, shared.
    pub(super) fn common(&mut self, s: &str) -> Text {
        if let Some(t) = self.common.get(s) {
            return t.clone();
        }
        if self.common.len() >= MOST_TEXTS {
            self.common.clear();
        }
        let t = Text::from(s);
        self.common.insert(t.clone());
        t
    }

    /// The reference to `object` (whose identity is `identity`), at `field_path`.
    pub(super) fn involved(
        &mut self,
        identity: &str,
        object: &Object,
        info: &KindInfo,
        field_path: Option<&str>,
    ) -> ObjectReference {
        let rv = object.resource_version_str();
        let same = |t: &Option<Text>, s: Option<&str>| t.as_deref() == s;
        let last = self.last.as_ref().filter(|(last, _)| last == identity).map(|(_, r)| r);
        if let Some(r) = last.filter(|r| same(&r.field_path, field_path) && same(&r.resource_version, rv)) {
            return r.clone();
        }
        let text = |kept: Option<&Option<Text>>, s: Option<&str>| match kept {
            Some(t) if same(t, s) => t.clone(),
            _ => s.map(Text::from),
        };
        let r = match last {
            // The same object at another version or field: only those are new.
            Some(r) => ObjectReference {
                resource_version: text(Some(&r.resource_version), rv),
                field_path: text(Some(&r.field_path), field_path),
                ..r.clone()
            },
            None => {
                let i = info.kind as usize;
                if self.kinds.len() <= i {
                    self.kinds.resize(i + 1, None);
                }
                let (api_version, kind) =
                    self.kinds[i].get_or_insert_with(|| (info.api_version_name.into(), info.name.into())).clone();
                ObjectReference {
                    api_version: Some(api_version),
                    kind: Some(kind),
                    name: Some(object.name().into()),
                    namespace: info.namespaced.then(|| self.common(object.namespace())),
                    uid: object.metadata().uid.as_deref().map(Text::from),
                    resource_version: text(None, rv),
                    field_path: text(None, field_path),
                }
            }
        };
        match &mut self.last {
            Some((last, kept)) => {
                if last != identity {
                    last.clear();
                    last.push_str(identity);
                }
                *kept = r.clone();
            }
            None => self.last = Some((identity.to_string(), r.clone())),
        }
        r
    }
}
