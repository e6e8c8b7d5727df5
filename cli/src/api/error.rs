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
    /// The message (never holds a secret, nor a path of the server's files).
    pub(crate) message: String,
    /// What the server logs instead of the message (never sent): the server-side detail of a
    /// 500 answer, which may name the store's files.
    pub(crate) detail: Option<String>,
}

impl ApiError {
    /// A 400 answer.
    pub(crate) fn client(code: &'static str, message: impl Into<String>) -> Self {
        Self { status: 400, code, message: message.into(), detail: None }
    }

    /// A ValidationException.
    pub(crate) fn validation(message: impl Into<String>) -> Self {
        Self::client("ValidationException", message)
    }

    /// A SerializationException: the body is not the JSON the operation takes.
    pub(crate) fn serialization(message: impl Into<String>) -> Self {
        Self::client("SerializationException", message)
    }

    /// A 500 KMSInternalException (`message` is sent: it must name no file of the server).
    pub(crate) fn internal(message: impl Into<String>) -> Self {
        Self { status: 500, code: "KMSInternalException", message: message.into(), detail: None }
    }

    /// A 500 KMSInternalException that sends `message` and logs `detail` only.
    pub(crate) fn internal_detailed(message: impl Into<String>, detail: impl Into<String>) -> Self {
        Self { detail: Some(detail.into()), ..Self::internal(message) }
    }

    /// What the server logs of this answer.
    pub(crate) fn log_text(&self) -> &str {
        self.detail.as_deref().unwrap_or(&self.message)
    }

    /// The JSON body.
    pub(crate) fn body(&self) -> String {
        serde_json::json!({ "__type": self.code, "message": self.message }).to_string()
    }
}

/// The answer to a network client. The server's own trouble is a 500; where the command
/// line's message may name the store's files (store I/O, a record that fails authentication,
/// internal failures), a fixed text is sent and that message kept for the server's log.
impl From<CliError> for ApiError {
    fn from(e: CliError) -> Self {
        let fixed = match e.class {
            Class::KeyUnavailable => {
                return Self { status: 500, code: e.class.name(), message: e.message, detail: None };
            }
            Class::Internal => "internal error (the server's log has the details)",
            Class::CorruptRecord => {
                "a stored record failed authentication under the root sealing key and is refused (the server's \
                 log names it)"
            }
            Class::Store => "the server cannot use its store (the server's log has the details)",
            _ => return Self { status: 400, code: e.class.name(), message: e.message, detail: None },
        };
        Self { status: 500, code: e.class.name(), message: fixed.to_owned(), detail: Some(e.message) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 500 answer carries no server-side message (which may name the store's files): the
    /// log keeps it. The caller's errors keep theirs.
    #[test]
    fn server_side_messages_stay_in_the_log() {
        for class in [Class::Store, Class::Internal, Class::CorruptRecord] {
            let e = ApiError::from(CliError::new(class, "cannot read /home/u/.coffer/keys/k: EIO"));
            assert_eq!((e.status, e.code), (500, class.name()));
            assert!(!e.message.contains('/') && !e.body().contains("/home"), "{}", e.body());
            assert_eq!(e.log_text(), "cannot read /home/u/.coffer/keys/k: EIO");
        }
        let e = ApiError::from(CliError::new(Class::NotFound, "alias/x is not found"));
        assert_eq!((e.status, e.message.as_str(), e.log_text()), (400, "alias/x is not found", "alias/x is not found"));
        let e = ApiError::internal_detailed("cannot read an access key", "cannot read /s/access-keys/A: EIO");
        assert!(!e.body().contains("/s/"), "{}", e.body());
    }

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
