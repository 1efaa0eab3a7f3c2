//! API errors: the `metav1.Status` an apiserver returns, and how kubectl prints it.

use std::fmt;

use crate::model::KindInfo;

/// `metav1.StatusReason`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    NotFound,
    AlreadyExists,
    Conflict,
    Invalid,
    Forbidden,
    BadRequest,
    Gone,
    MethodNotAllowed,
    InternalError,
    TooManyRequests,
    RequestEntityTooLarge,
    /// No reason given (`StatusReasonUnknown`), as when the API server cannot reach a kubelet.
    Unknown,
}

impl Reason {
    pub fn code(self) -> u16 {
        match self {
            Reason::NotFound => 404,
            Reason::AlreadyExists | Reason::Conflict => 409,
            Reason::Invalid => 422,
            Reason::Forbidden => 403,
            Reason::BadRequest => 400,
            Reason::Gone => 410,
            Reason::MethodNotAllowed => 405,
            Reason::InternalError => 500,
            Reason::TooManyRequests => 429,
            Reason::RequestEntityTooLarge => 413,
            Reason::Unknown => 500,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Reason::NotFound => "NotFound",
            Reason::AlreadyExists => "AlreadyExists",
            Reason::Conflict => "Conflict",
            Reason::Invalid => "Invalid",
            Reason::Forbidden => "Forbidden",
            Reason::BadRequest => "BadRequest",
            Reason::Gone => "Gone",
            Reason::MethodNotAllowed => "MethodNotAllowed",
            Reason::InternalError => "InternalError",
            Reason::TooManyRequests => "TooManyRequests",
            Reason::RequestEntityTooLarge => "RequestEntityTooLarge",
            Reason::Unknown => "",
        }
    }
}

/// One validation failure, as apimachinery's `field.Error`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub error_type: FieldErrorType,
    /// Path such as `spec.template.spec.containers[0].name`.
    pub field: String,
    /// The bad value, already formatted as upstream prints it (`"Foo"`, `-1`); empty when not shown.
    pub value: String,
    pub detail: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldErrorType {
    NotFound,
    Required,
    Invalid,
    Duplicate,
    NotSupported,
    Forbidden,
    TooLong,
    TooMany,
}

impl FieldError {
    pub fn required(field: impl Into<String>, detail: impl Into<String>) -> Self {
        FieldError {
            error_type: FieldErrorType::Required,
            field: field.into(),
            value: String::new(),
            detail: detail.into(),
        }
    }
    /// An invalid value; `value` is shown as given (quote strings with [`quote`]).
    pub fn invalid(field: impl Into<String>, value: impl Into<String>, detail: impl Into<String>) -> Self {
        FieldError {
            error_type: FieldErrorType::Invalid,
            field: field.into(),
            value: value.into(),
            detail: detail.into(),
        }
    }
    pub fn duplicate(field: impl Into<String>, value: impl Into<String>) -> Self {
        FieldError {
            error_type: FieldErrorType::Duplicate,
            field: field.into(),
            value: value.into(),
            detail: String::new(),
        }
    }
    /// A value outside a fixed set; `supported` are listed quoted, as upstream does.
    pub fn not_supported(field: impl Into<String>, value: impl Into<String>, supported: &[&str]) -> Self {
        let detail = if supported.is_empty() {
            String::new()
        } else {
            format!("supported values: {}", supported.iter().map(|s| quote(s)).collect::<Vec<_>>().join(", "))
        };
        FieldError { error_type: FieldErrorType::NotSupported, field: field.into(), value: value.into(), detail }
    }
    pub fn forbidden(field: impl Into<String>, detail: impl Into<String>) -> Self {
        FieldError {
            error_type: FieldErrorType::Forbidden,
            field: field.into(),
            value: String::new(),
            detail: detail.into(),
        }
    }
    /// A value too long; upstream (v1.33) never shows the value itself.
    pub fn too_long(field: impl Into<String>, max: usize) -> Self {
        FieldError {
            error_type: FieldErrorType::TooLong,
            field: field.into(),
            value: String::new(),
            detail: format!("may not be more than {max} bytes"),
        }
    }
    /// A reference to something that does not exist (`field.NotFound`), e.g. an undefined volume.
    pub fn not_found(field: impl Into<String>, value: impl Into<String>) -> Self {
        FieldError {
            error_type: FieldErrorType::NotFound,
            field: field.into(),
            value: value.into(),
            detail: String::new(),
        }
    }
    /// A list with too many items: `Too many: 21: must have at most 20 items`.
    pub fn too_many(field: impl Into<String>, actual: usize, max: usize) -> Self {
        FieldError {
            error_type: FieldErrorType::TooMany,
            field: field.into(),
            value: actual.to_string(),
            detail: format!("must have at most {max} items"),
        }
    }

    /// The cause text without the field: `Invalid value: "Foo": detail`.
    pub fn message(&self) -> String {
        let kind = match self.error_type {
            FieldErrorType::NotFound => "Not found",
            FieldErrorType::Required => "Required value",
            FieldErrorType::Invalid => "Invalid value",
            FieldErrorType::Duplicate => "Duplicate value",
            FieldErrorType::NotSupported => "Unsupported value",
            FieldErrorType::Forbidden => "Forbidden",
            FieldErrorType::TooLong => "Too long",
            FieldErrorType::TooMany => "Too many",
        };
        let mut s = kind.to_string();
        let shows_value = matches!(
            self.error_type,
            FieldErrorType::Invalid
                | FieldErrorType::Duplicate
                | FieldErrorType::NotSupported
                | FieldErrorType::NotFound
                | FieldErrorType::TooMany
        );
        if shows_value && !self.value.is_empty() {
            s.push_str(": ");
            s.push_str(&self.value);
        }
        if !self.detail.is_empty() {
            s.push_str(": ");
            s.push_str(&self.detail);
        }
        s
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message())
    }
}

/// A Go `%q`-style quoted string, as upstream shows string values.
pub fn quote(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| format!("\"{s}\""))
}

/// An error from the API server: a `metav1.Status` with reason, message and, for Invalid,
/// the field causes and the kind and name they are about.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ApiError {
    pub reason: Reason,
    pub message: String,
    /// For Invalid: the kind (without group) and name in `details`, and the causes.
    pub details_kind: String,
    pub details_name: String,
    pub causes: Vec<FieldError>,
}

impl ApiError {
    pub fn new(reason: Reason, message: impl Into<String>) -> Self {
        ApiError {
            reason,
            message: message.into(),
            details_kind: String::new(),
            details_name: String::new(),
            causes: Vec::new(),
        }
    }

    pub fn not_found(info: &KindInfo, name: &str) -> Self {
        Self::new(Reason::NotFound, format!("{} {} not found", info.group_resource(), quote(name)))
    }

    pub fn already_exists(info: &KindInfo, name: &str) -> Self {
        Self::new(Reason::AlreadyExists, format!("{} {} already exists", info.group_resource(), quote(name)))
    }

    pub fn conflict(info: &KindInfo, name: &str) -> Self {
        Self::conflict_because(
            info,
            name,
            "the object has been modified; please apply your changes to the latest version and try again",
        )
    }

    /// A Conflict for another reason, such as a failed precondition.
    pub fn conflict_because(info: &KindInfo, name: &str, why: &str) -> Self {
        Self::new(
            Reason::Conflict,
            format!("Operation cannot be fulfilled on {} {}: {why}", info.group_resource(), quote(name)),
        )
    }

    pub fn forbidden(info: &KindInfo, name: &str, why: impl fmt::Display) -> Self {
        Self::new(Reason::Forbidden, format!("{} {} is forbidden: {why}", info.group_resource(), quote(name)))
    }

    /// A request body over kube-apiserver's `MaxRequestBodyBytes` (3 MiB).
    pub fn request_entity_too_large(limit: u64) -> Self {
        Self::new(Reason::RequestEntityTooLarge, format!("Request entity too large: limit is {limit}"))
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(Reason::BadRequest, message)
    }

    /// `Deployment.apps "web" is invalid: ...`, with the causes kept for kubectl's printing.
    pub fn invalid(info: &KindInfo, name: &str, causes: Vec<FieldError>) -> Self {
        let qualified =
            if info.group.is_empty() { info.name.to_string() } else { format!("{}.{}", info.name, info.group) };
        let aggregate = match causes.len() {
            1 => causes[0].to_string(),
            _ => format!("[{}]", causes.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")),
        };
        ApiError {
            reason: Reason::Invalid,
            message: format!("{qualified} {} is invalid: {aggregate}", quote(name)),
            details_kind: info.name.to_string(),
            details_name: name.to_string(),
            causes,
        }
    }

    /// The text kubectl prints for this error: `Error from server (NotFound): ...`, or for
    /// Invalid `The Pod "x" is invalid: ...` with one cause per line when there are several.
    pub fn kubectl_message(&self) -> String {
        self.kubectl_message_with_source(None)
    }

    /// As [`kubectl_message`](Self::kubectl_message), with kubectl apply's `error when creating "f.yaml": ` context.
    pub fn kubectl_message_with_source(&self, context: Option<&str>) -> String {
        if self.reason == Reason::Invalid && !self.causes.is_empty() {
            let head = format!("The {} {} is invalid: ", self.details_kind, quote(&self.details_name));
            let mut seen = Vec::new();
            for c in &self.causes {
                let line = c.to_string();
                if !seen.contains(&line) {
                    seen.push(line);
                }
            }
            return if seen.len() == 1 {
                format!("{head}{}", seen[0])
            } else {
                format!("{head}\n{}", seen.iter().map(|c| format!("* {c}")).collect::<Vec<_>>().join("\n"))
            };
        }
        let reason = match self.reason {
            Reason::Unknown => String::new(),
            r => format!(" ({})", r.as_str()),
        };
        format!("Error from server{reason}: {}{}", context.unwrap_or_default(), self.message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Kind;

    #[test]
    fn kubectl_texts() {
        let deploy = Kind::Deployment.info();
        assert_eq!(
            ApiError::not_found(Kind::Pod.info(), "x").kubectl_message(),
            "Error from server (NotFound): pods \"x\" not found"
        );
        assert_eq!(
            ApiError::conflict(deploy, "web").kubectl_message(),
            "Error from server (Conflict): Operation cannot be fulfilled on deployments.apps \"web\": the object has been modified; please apply your changes to the latest version and try again"
        );
        let one = ApiError::invalid(deploy, "web", vec![FieldError::required("spec.selector", "")]);
        assert_eq!(one.message, "Deployment.apps \"web\" is invalid: spec.selector: Required value");
        assert_eq!(one.kubectl_message(), "The Deployment \"web\" is invalid: spec.selector: Required value");
        let two = ApiError::invalid(
            deploy,
            "web",
            vec![
                FieldError::invalid("spec.replicas", "-1", "must be greater than or equal to 0"),
                FieldError::required("spec.selector", ""),
            ],
        );
        assert_eq!(
            two.kubectl_message(),
            "The Deployment \"web\" is invalid: \n* spec.replicas: Invalid value: -1: must be greater than or equal to 0\n* spec.selector: Required value"
        );
        assert_eq!(
            FieldError::not_supported("spec.restartPolicy", quote("Sometimes"), &["Always", "Never", "OnFailure"]).to_string(),
            "spec.restartPolicy: Unsupported value: \"Sometimes\": supported values: \"Always\", \"Never\", \"OnFailure\""
        );
    }
}
