//! The object model: the kinds registry, typed objects over k8s-openapi, label and field
//! selectors, and resource quantities.

pub mod kinds;
pub mod object;

pub use kinds::{Kind, KindInfo, Object, KINDS};
