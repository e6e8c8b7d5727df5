//! Errors as the AWS JSON 1.1 protocol returns them: `{"__type": NAME, "message": TEXT}` with
//! an HTTP status (400 for the caller's mistakes, 500 for the server's).

use crate::error::{Class, CliError};

/// An error answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiError {
    /// HTTP status.
    pub(crate) status: u16,
    /// The AWS error name (`__type`).
    pub(crate) code: &'static str,
    /// The message (never holds a secret).
    pub(crate) message: String,
}

impl ApiError {
    /// A 400 answer.
    pub(crate) fn client(code: &'static str, message: impl Into<String>) -> Self {
        Self { status: 400, code, message: message.into() }
    }

    /// A ValidationException.
    pub(crate) fn validation(message: impl Into<String>) -> Self {
        Self::client("ValidationException", message)
    }

    /// A SerializationException: the body is not the JSON the operation takes.
    pub(crate) fn serialization(message: impl Into<String>) -> Self {
        Self::client("SerializationException", message)
    }

    /// A 500 KMSInternalException.
    pub(crate) fn internal(message: impl Into<String>) -> Self {
        Self { status: 500, code: "KMSInternalException", message: message.into() }
    }

    /// The JSON body.
    pub(crate) fn body(&self) -> String {
        serde_json::json!({ "__type": self.code, "message": self.message }).to_string()
    }
}

impl From<CliError> for ApiError {
    fn from(e: CliError) -> Self {
        let status = match e.class {
            // The server's own trouble: store files, HSM, a record that fails authentication.
            Class::Internal | Class::KeyUnavailable | Class::CorruptRecord | Class::Store => 500,
            _ => 400,
        };
        Self { status, code: e.class.name(), message: e.message }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The server answers a class with its name; the caller's mistakes (a bad marker among
    /// them) with 400, the server's own trouble with 500.
    #[test]
    fn every_class_has_its_name_and_status() {
        for class in Class::ALL {
            let api = ApiError::from(CliError::new(class, "m"));
            assert_eq!(api.code, class.name());
            let server_side =
                matches!(class, Class::Internal | Class::KeyUnavailable | Class::CorruptRecord | Class::Store);
            assert_eq!(api.status, if server_side { 500 } else { 400 }, "{class:?}");
        }
        let api = ApiError::from(CliError::new(Class::InvalidMarker, "m"));
        assert_eq!((api.status, api.code), (400, "InvalidMarkerException"));
    }
}
