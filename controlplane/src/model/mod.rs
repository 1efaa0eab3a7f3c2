//! The object model: the kinds registry, typed objects over k8s-openapi, decoding of
//! manifests, label and field selectors, and resource quantities.

pub mod convert;
pub mod decode;
mod equality;
pub mod event;
pub mod field_selector;
pub mod fields;
pub mod kinds;
pub mod object;
pub mod quantity;
pub mod selector;
pub mod shared;
pub mod toleration;
pub mod validation;
pub mod value_de;

pub use decode::{decode, parse_documents, DecodeError};
pub use kinds::{Kind, KindInfo, Object, KINDS};
pub use object::Typed;
pub use shared::{CronJob, Job, Pod, Shared};
