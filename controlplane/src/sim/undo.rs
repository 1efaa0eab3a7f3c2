//! The writes of a step made of several requests (a node joining: the Node, its status, its
//! Lease), kept so that a failure part-way takes them all back and the
//! step changes nothing.

use std::sync::Arc;

use crate::apiserver::{ApiServer, DeleteOptions};
use crate::model::Object;

enum Write {
    Created(Arc<Object>),
    /// The object as it was before it was replaced.
    Replaced(Arc<Object>),
}

#[derive(Default)]
pub struct Undo {
    user: String,
    writes: Vec<Write>,
}

impl Undo {
    /// Writes made as `user`, who also takes them back.
    pub fn new(user: &str) -> Self {
        Undo { user: user.to_string(), writes: Vec::new() }
    }

    pub fn created(&mut self, obj: &Arc<Object>) {
        self.writes.push(Write::Created(obj.clone()));
    }

    pub fn replaced(&mut self, before: Arc<Object>) {
        self.writes.push(Write::Replaced(before));
    }

    /// Take everything back, the newest write first: created objects are deleted at once,
    /// replaced ones are put back as they were.
    pub fn rollback(self, api: &mut ApiServer) {
        for write in self.writes.into_iter().rev() {
            match write {
                Write::Created(obj) => {
                    let opts = DeleteOptions {
                        grace_period_seconds: Some(0),
                        uid: obj.metadata().uid.clone(),
                        ..Default::default()
                    };
                    let _ = api.delete(&self.user, obj.kind(), obj.namespace(), obj.name(), opts);
                }
                Write::Replaced(before) => {
                    let mut obj = (*before).clone();
                    obj.set_resource_version(None);
                    let _ = api.update(&self.user, obj);
                }
            }
        }
    }
}
