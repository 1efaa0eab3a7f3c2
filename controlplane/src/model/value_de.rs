//! Decoding typed objects from a JSON value, reading each resource quantity as the API server's
//! decoder does (apimachinery's `Quantity.UnmarshalJSON`): a malformed one fails the decode
//! with upstream's words, a well-formed one is kept in its canonical form (`1.5` is stored as
//! `1500m`, `1024Mi` as `1Gi`). A quantity beyond [`API_MAX_VALUE`], which upstream would keep
//! but cannot count with, is refused with the field it is in.
//!
//! Otherwise this reads a value as serde_json's own `&Value` deserializer does, so errors read
//! the same; k8s-openapi's quantity asks for the newtype struct `Quantity`, which is the hook.

use std::borrow::Cow;
use std::fmt;

use serde::de::value::{MapAccessDeserializer, StrDeserializer};
use serde::de::{self, DeserializeSeed, IntoDeserializer, Visitor};
use serde_json::{Map, Value};

use super::quantity::{Quantity, QuantityError, API_MAX_VALUE};

/// Why a decode failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// What serde_json's decoder says (a wrong type, a bad value).
    Custom(String),
    /// A quantity upstream cannot parse; upstream's message names no field.
    Quantity(QuantityError),
    /// A quantity beyond [`API_MAX_VALUE`]: the field, the value as written, and why.
    OutOfRange(QuantityOutOfRange),
}

/// A quantity too large for an API object, as a field error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuantityOutOfRange {
    /// Upstream's field path (`spec.containers[0].resources.requests[cpu]`).
    pub field: String,
    pub value: String,
    pub negative: bool,
}

impl QuantityOutOfRange {
    /// The bound it crosses, in validation's words.
    pub fn detail(&self) -> String {
        if self.negative {
            format!("must be greater than or equal to -{API_MAX_VALUE}")
        } else {
            format!("must be less than or equal to {API_MAX_VALUE}")
        }
    }
}

impl fmt::Display for QuantityOutOfRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: Invalid value: {:?}: {}", self.field, self.value, self.detail())
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Custom(m) => f.write_str(m),
            Error::Quantity(e) => e.fmt(f),
            Error::OutOfRange(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for Error {}

impl de::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Error::Custom(msg.to_string())
    }
}

/// A quantity as the API server takes it: parsed (surrounding space ignored, as upstream's
/// JSON decoding does) and within [`API_MAX_VALUE`]. `field` names it in the error.
pub fn api_quantity(text: &str, field: &str) -> Result<Quantity, Error> {
    let text = text.trim();
    let out_of_range = || {
        let negative = text.starts_with('-');
        Error::OutOfRange(QuantityOutOfRange { field: field.to_string(), value: text.to_string(), negative })
    };
    match Quantity::parse(text) {
        Ok(q) if q.within_api_range() => Ok(q),
        Ok(_) | Err(QuantityError::OutOfRange) => Err(out_of_range()),
        Err(e) => Err(Error::Quantity(e)),
    }
}

/// Where a value sits in the object, built on the stack as the decoder descends.
#[derive(Clone, Copy)]
enum Path<'v, 'p> {
    Root,
    Field(&'p Path<'v, 'p>, &'v str),
    Key(&'p Path<'v, 'p>, &'v str),
    Index(&'p Path<'v, 'p>, usize),
}

impl fmt::Display for Path<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Path::Root => Ok(()),
            Path::Field(Path::Root, name) => f.write_str(name),
            Path::Field(parent, name) => write!(f, "{parent}.{name}"),
            Path::Key(parent, key) => write!(f, "{parent}[{key}]"),
            Path::Index(parent, i) => write!(f, "{parent}[{i}]"),
        }
    }
}

/// A deserializer over a borrowed JSON value.
pub struct ValueDeserializer<'v, 'p> {
    value: &'v Value,
    path: Path<'v, 'p>,
}

impl<'v, 'p> ValueDeserializer<'v, 'p> {
    pub fn new(value: &'v Value) -> Self {
        ValueDeserializer { value, path: Path::Root }
    }

    /// The hook: a quantity's text, checked and canonical, for k8s-openapi's visitor.
    fn quantity<V: Visitor<'v>>(self, visitor: V) -> Result<V::Value, Error> {
        let text: Cow<'_, str> = match self.value {
            Value::String(s) => Cow::Borrowed(s),
            Value::Number(n) => Cow::Owned(number_text(n)),
            _ => return visitor.visit_newtype_struct(self),
        };
        let q = api_quantity(&text, &self.path.to_string())?;
        visitor.visit_string(q.to_string())
    }
}

/// A JSON number as the text upstream's quantity decoder reads: what kubectl's YAML to JSON
/// conversion writes (Go's `encoding/json`: an exponent from 1e21, or below 1e-6).
fn number_text(n: &serde_json::Number) -> String {
    if n.is_f64() {
        let f = n.as_f64().unwrap_or_default();
        let abs = f.abs();
        if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
            let text = format!("{f:e}");
            return match text.split_once('e') {
                Some((m, e)) if !e.starts_with('-') => format!("{m}e+{e}"),
                _ => text,
            };
        }
        return f.to_string();
    }
    n.to_string()
}

fn visit_array<'v, 'p, V: Visitor<'v>>(array: &'v [Value], path: Path<'v, 'p>, visitor: V) -> Result<V::Value, Error> {
    let len = array.len();
    let mut seq = Seq { iter: array.iter().enumerate(), path: &path };
    let out = visitor.visit_seq(&mut seq)?;
    if seq.iter.len() == 0 {
        Ok(out)
    } else {
        Err(de::Error::invalid_length(len, &"fewer elements in array"))
    }
}

fn visit_object<'v, 'p, V: Visitor<'v>>(
    map: &'v Map<String, Value>,
    path: Path<'v, 'p>,
    fields: bool,
    visitor: V,
) -> Result<V::Value, Error> {
    let len = map.len();
    let mut access = Entries { iter: map.iter(), value: None, path: &path, fields };
    let out = visitor.visit_map(&mut access)?;
    if access.iter.len() == 0 {
        Ok(out)
    } else {
        Err(de::Error::invalid_length(len, &"fewer elements in map"))
    }
}

impl<'v, 'p> de::Deserializer<'v> for ValueDeserializer<'v, 'p> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'v>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.value {
            Value::Null => visitor.visit_unit(),
            Value::Bool(b) => visitor.visit_bool(*b),
            Value::Number(n) => match (n.as_u64(), n.as_i64()) {
                (Some(u), _) => visitor.visit_u64(u),
                (None, Some(i)) => visitor.visit_i64(i),
                _ => visitor.visit_f64(n.as_f64().unwrap_or_default()),
            },
            Value::String(s) => visitor.visit_borrowed_str(s),
            Value::Array(a) => visit_array(a, self.path, visitor),
            Value::Object(m) => visit_object(m, self.path, true, visitor),
        }
    }

    fn deserialize_option<V: Visitor<'v>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.value {
            Value::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'v>>(self, name: &'static str, visitor: V) -> Result<V::Value, Error> {
        if name == "Quantity" {
            self.quantity(visitor)
        } else {
            visitor.visit_newtype_struct(self)
        }
    }

    fn deserialize_map<V: Visitor<'v>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.value {
            Value::Object(m) => visit_object(m, self.path, false, visitor),
            _ => self.deserialize_any(visitor),
        }
    }

    fn deserialize_enum<V: Visitor<'v>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match self.value {
            Value::String(s) => {
                let variant: StrDeserializer<'_, Error> = s.as_str().into_deserializer();
                visitor.visit_enum(variant)
            }
            Value::Object(m) if m.len() == 1 => {
                let access = Entries { iter: m.iter(), value: None, path: &self.path, fields: true };
                visitor.visit_enum(MapAccessDeserializer::new(access))
            }
            _ => self.deserialize_any(visitor),
        }
    }

    fn deserialize_ignored_any<V: Visitor<'v>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_unit()
    }

    /// An integer field. A manifest's plain `0644` is YAML 1.1's octal, which kubectl's YAML
    /// reader (go-yaml v2) reads as 420; the YAML 1.2 reader here leaves it a string, so it is
    /// read as octal here (`defaultMode: 0400`, `mode: 0755`).
    fn deserialize_i32<V: Visitor<'v>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.value {
            Value::String(s) => match yaml11_octal(s) {
                Some(n) => visitor.visit_i64(n),
                None => self.deserialize_any(visitor),
            },
            _ => self.deserialize_any(visitor),
        }
    }

    serde::forward_to_deserialize_any! {
        <W: Visitor<'v>>
        bool i8 i16 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf unit
        unit_struct seq tuple tuple_struct struct identifier
    }
}

/// `0[0-7]+`: an octal integer in YAML 1.1.
fn yaml11_octal(s: &str) -> Option<i64> {
    let digits = s.strip_prefix('0').filter(|d| !d.is_empty() && d.len() <= 11)?;
    digits.bytes().all(|b| (b'0'..=b'7').contains(&b)).then(|| i64::from_str_radix(digits, 8).ok())?
}

struct Seq<'v, 'p, 'a> {
    iter: std::iter::Enumerate<std::slice::Iter<'v, Value>>,
    path: &'a Path<'v, 'p>,
}

impl<'v> de::SeqAccess<'v> for Seq<'v, '_, '_> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'v>>(&mut self, seed: T) -> Result<Option<T::Value>, Error> {
        match self.iter.next() {
            Some((i, value)) => {
                seed.deserialize(ValueDeserializer { value, path: Path::Index(self.path, i) }).map(Some)
            }
            None => Ok(None),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.iter.len())
    }
}

/// The entries of an object: a struct's fields (`.name` in paths) or a map's keys (`[key]`).
struct Entries<'v, 'p, 'a> {
    iter: serde_json::map::Iter<'v>,
    value: Option<(&'v str, &'v Value)>,
    path: &'a Path<'v, 'p>,
    fields: bool,
}

impl<'v> de::MapAccess<'v> for Entries<'v, '_, '_> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'v>>(&mut self, seed: K) -> Result<Option<K::Value>, Error> {
        match self.iter.next() {
            Some((key, value)) => {
                self.value = Some((key, value));
                let key: StrDeserializer<'_, Error> = key.as_str().into_deserializer();
                seed.deserialize(key).map(Some)
            }
            None => Ok(None),
        }
    }

    fn next_value_seed<T: DeserializeSeed<'v>>(&mut self, seed: T) -> Result<T::Value, Error> {
        let (key, value) = self.value.take().ok_or_else(|| de::Error::custom("value is missing"))?;
        let path = if self.fields { Path::Field(self.path, key) } else { Path::Key(self.path, key) };
        seed.deserialize(ValueDeserializer { value, path })
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.iter.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Kind;
    use crate::model::Object;

    /// Decodes a pod given as JSON; its first container's requests, or the error's text.
    fn requests(pod: Value) -> Result<String, String> {
        let obj = Object::deserialize_kind(Kind::Pod, ValueDeserializer::new(&pod)).map_err(|e| e.to_string())?;
        let Object::Pod(p) = obj else { unreachable!("decoded as a pod") };
        let res = p.spec.unwrap_or_default().containers[0].resources.clone().unwrap_or_default();
        Ok(serde_json::to_string(&res.requests).unwrap_or_default())
    }

    fn pod(requests: Value) -> Value {
        serde_json::json!({"metadata": {"name": "p"}, "spec": {"containers": [{"name": "c", "resources": {"requests": requests}}]}})
    }

    #[test]
    fn quantities_are_checked_and_canonical() {
        let table = [
            (serde_json::json!({"cpu": "1.5", "memory": "1024Mi"}), Ok(r#"{"cpu":"1500m","memory":"1Gi"}"#)),
            (serde_json::json!({"cpu": 2, "memory": 0.5}), Ok(r#"{"cpu":"2","memory":"500m"}"#)),
            (serde_json::json!({"cpu": " +1 "}), Ok(r#"{"cpu":"+1"}"#)),
            // Upstream caps binary-suffixed values at 2^63-1.
            (serde_json::json!({"memory": "99999999999999999999Ei"}), Ok(r#"{"memory":"9223372036854775807"}"#)),
            (serde_json::json!({"memory": "8Ei"}), Ok(r#"{"memory":"9223372036854775807"}"#)),
            (serde_json::json!({"cpu": "9223372036854775807"}), Ok(r#"{"cpu":"9223372036854775807"}"#)),
            (
                serde_json::json!({"cpu": "abc"}),
                Err("quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"),
            ),
            (serde_json::json!({"cpu": "1kM"}), Err("unable to parse quantity's suffix")),
            (
                serde_json::json!({"cpu": "1e400"}),
                Err(
                    r#"spec.containers[0].resources.requests[cpu]: Invalid value: "1e400": must be less than or equal to 9223372036854775807"#,
                ),
            ),
            (
                serde_json::json!({"cpu": "9223372036854775808"}),
                Err(
                    r#"spec.containers[0].resources.requests[cpu]: Invalid value: "9223372036854775808": must be less than or equal to 9223372036854775807"#,
                ),
            ),
            (
                serde_json::json!({"example.com/gpu": "-1e29"}),
                Err(
                    r#"spec.containers[0].resources.requests[example.com/gpu]: Invalid value: "-1e29": must be greater than or equal to -9223372036854775807"#,
                ),
            ),
            // A number is read as kubectl's YAML to JSON conversion writes it.
            (
                serde_json::json!({"cpu": 1e29}),
                Err(
                    r#"spec.containers[0].resources.requests[cpu]: Invalid value: "1e+29": must be less than or equal to 9223372036854775807"#,
                ),
            ),
            (serde_json::json!({"cpu": true}), Err("invalid type: boolean `true`, expected Quantity")),
        ];
        for (input, want) in table {
            let got = requests(pod(input.clone()));
            assert_eq!(got.as_deref(), want.map_err(|e| e.to_string()).as_deref(), "{input}");
        }
    }

    proptest::proptest! {
        /// Any text is refused (malformed, or past the bound) or kept canonical and in range.
        #[test]
        fn quantity_text_is_refused_or_kept_canonical(text in "[-+ ]?[0-9.]{0,32}[eEinumkKMGTP]{0,3}[-+]?[0-9]{0,4} ?") {
            let parsed = Quantity::parse(text.trim());
            match api_quantity(&text, "f") {
                Ok(q) => {
                    proptest::prop_assert!(q.within_api_range());
                    proptest::prop_assert_eq!(api_quantity(&q.to_string(), "f"), Ok(q));
                }
                Err(Error::OutOfRange(_)) => proptest::prop_assert!(parsed.map_or(true, |q| !q.within_api_range())),
                Err(e) => proptest::prop_assert_eq!(Err(e), parsed.map_err(Error::Quantity)),
            }
        }
    }

    #[test]
    fn fields_outside_maps_are_named_like_upstream() {
        let doc = serde_json::json!({"metadata": {"name": "p"}, "spec": {"containers": [], "volumes": [
            {"name": "a", "emptyDir": {}},
            {"name": "b", "emptyDir": {"sizeLimit": "2e20"}},
        ]}});
        let err = Object::deserialize_kind(Kind::Pod, ValueDeserializer::new(&doc)).map(|_| ()).unwrap_err();
        assert_eq!(
            err.to_string(),
            r#"spec.volumes[1].emptyDir.sizeLimit: Invalid value: "2e20": must be less than or equal to 9223372036854775807"#
        );
    }

    #[test]
    fn other_values_read_as_serde_json_reads_them() {
        let docs = [
            serde_json::json!({"metadata": {"name": "p", "labels": {"a": "b"}}, "spec": {"containers": [{"name": "c", "ports": [{"containerPort": 80}]}]}}),
            serde_json::json!({"spec": {"containers": [{"name": "c", "ports": [{"containerPort": "80"}]}]}}),
            serde_json::json!({"spec": {"containers": [{"name": "c", "ports": [{"containerPort": 99999999999i64}]}]}}),
            serde_json::json!({"spec": {"containers": {"name": "c"}}}),
            serde_json::json!({"spec": {"containers": [{"name": "c"}], "activeDeadlineSeconds": -1.5}}),
            serde_json::json!({"metadata": {"name": null, "labels": [1]}}),
            serde_json::json!([1, 2]),
        ];
        for doc in docs {
            let ours = Object::deserialize_kind(Kind::Pod, ValueDeserializer::new(&doc)).map_err(|e| e.to_string());
            let theirs = Object::deserialize_kind(Kind::Pod, &doc).map_err(|e| e.to_string());
            assert_eq!(ours, theirs, "{doc}");
        }
    }
}
