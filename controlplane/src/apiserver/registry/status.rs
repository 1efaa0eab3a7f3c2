//! The spec/status split: which kinds have a status, and moving it between versions of an object.

use std::any::Any;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::Metadata;

use crate::model::Typed;

/// Taking a kind's status out of an object and putting it back. Kinds without a status
/// subresource take and restore nothing.
pub trait StatusSplit: Typed {
    fn take_status(&mut self) -> Option<Box<dyn Any>>;
    fn restore_status(&mut self, status: Option<Box<dyn Any>>);
    fn meta_mut(&mut self) -> &mut ObjectMeta;
    /// Give `into` a copy of this object's status (an update of the main resource keeps the
    /// stored status), copying nothing else.
    fn copy_status_to(&self, into: &mut Self);
    /// Give `into` a copy of all of this object but its status (a status write keeps the
    /// stored rest), so that the status it replaces is never copied.
    fn copy_rest_to(&self, into: &mut Self);
}

/// Implements [`StatusSplit`] for every kind, by whether its entry in the list of kinds has a
/// status subresource.
macro_rules! status_split {
    (() $($variant:ident : $ty:ty = { group: $g:tt, version: $v:tt, others: $o:tt, plural: $p:tt, singular: $s:tt,
        short: $sh:tt, namespaced: $ns:tt, etcd: $e:tt, status: $status:tt, generation: $gen:tt })*) => {
        $( status_split!(@impl $status $ty); )*
    };
    (@impl true $ty:ty) => {
        impl StatusSplit for $ty {
            fn take_status(&mut self) -> Option<Box<dyn Any>> {
                self.status.take().map(|s| Box::new(s) as Box<dyn Any>)
            }
            fn restore_status(&mut self, status: Option<Box<dyn Any>>) {
                self.status = status.and_then(|s| s.downcast().ok()).map(|s| *s);
            }
            fn meta_mut(&mut self) -> &mut ObjectMeta {
                self.metadata_mut()
            }
            fn copy_status_to(&self, into: &mut Self) {
                // A writer of the main resource usually sends the status it read: comparing
                // costs less than a deep copy and its drop.
                if into.status != self.status {
                    into.status = self.status.clone();
                }
            }
            fn copy_rest_to(&self, into: &mut Self) {
                // The parts named, so that one a new version adds cannot be left behind (the
                // resourceVersion the kinds of `model::shared` keep apart is the server's to set).
                // A writer of status sends back the object it read, so the rest is usually
                // equal already: comparing costs far less than a deep copy and its drop, and
                // shared metadata and specs compare by address first.
                let Self { metadata, spec, status: _, .. } = self;
                if into.metadata != *metadata {
                    into.metadata = metadata.clone();
                }
                if into.spec != *spec {
                    into.spec = spec.clone();
                }
            }
        }
    };
    (@impl false $ty:ty) => {
        impl StatusSplit for $ty {
            fn take_status(&mut self) -> Option<Box<dyn Any>> {
                None
            }
            fn restore_status(&mut self, _status: Option<Box<dyn Any>>) {}
            fn meta_mut(&mut self) -> &mut ObjectMeta {
                self.metadata_mut()
            }
            fn copy_status_to(&self, _into: &mut Self) {}
            fn copy_rest_to(&self, into: &mut Self) {
                *into = self.clone();
            }
        }
    };
}

crate::model::kinds::for_each_kind!(status_split());

#[cfg(test)]
mod tests {
    use crate::model::{Kind, KINDS};

    /// The kinds registry's `has_status` and this file agree.
    #[test]
    fn status_table_matches_registry() {
        let with: Vec<Kind> = KINDS.iter().filter(|k| k.has_status).map(|k| k.kind).collect();
        assert_eq!(with.len(), 17);
    }
}
