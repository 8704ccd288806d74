//! One typed error for every layer. Provider error codes are kept verbatim in `code`;
//! `kind` is what callers branch on (and what the Python and JS bindings map to exceptions).
//!
//! Messages must never contain a secret, a session token or a signature-bearing URL: build
//! them from redacted URLs ([`crate::core::http::Request::redacted_url`]) and provider
//! messages only.

use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// Object, bucket or upload does not exist (S3 NoSuchKey/NoSuchBucket/NoSuchUpload, 404).
    NotFound,
    /// Creating something that exists (BucketAlreadyExists, a `create`-mode write).
    AlreadyExists,
    /// The request was refused for its credentials: bad signature, unknown key, access denied.
    PermissionDenied,
    /// An If-Match / If-None-Match condition failed (412).
    PreconditionFailed,
    /// The caller's input is invalid: malformed URL, bad key, bad range, bad option.
    InvalidInput,
    /// The server answered something we cannot understand: malformed XML/JSON, missing fields.
    InvalidResponse,
    /// The body was shorter than announced or failed a checksum.
    Integrity,
    /// The operation conflicts with state: bucket not empty, path is a directory, ...
    Conflict,
    /// The backend cannot do this (e.g. presigning on `memory://`).
    NotSupported,
    /// Network failure or local file-system failure.
    Io,
    /// A connect, request or stalled-body timeout.
    Timeout,
    /// The caller cancelled the operation (a JS `AbortSignal`).
    Cancelled,
    /// Any other error the provider reported (5xx, throttling, unknown codes).
    Service,
}

impl ErrorKind {
    /// The kind's stable name (`"NotFound"`, ...): what the JS `kind` and the Python mapping
    /// use. Never changes for a kind once published.
    pub fn name(self) -> &'static str {
        match self {
            ErrorKind::NotFound => "NotFound",
            ErrorKind::AlreadyExists => "AlreadyExists",
            ErrorKind::PermissionDenied => "PermissionDenied",
            ErrorKind::PreconditionFailed => "PreconditionFailed",
            ErrorKind::InvalidInput => "InvalidInput",
            ErrorKind::InvalidResponse => "InvalidResponse",
            ErrorKind::Integrity => "Integrity",
            ErrorKind::Conflict => "Conflict",
            ErrorKind::NotSupported => "NotSupported",
            ErrorKind::Io => "Io",
            ErrorKind::Timeout => "Timeout",
            ErrorKind::Cancelled => "Cancelled",
            ErrorKind::Service => "Service",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[derive(Clone, PartialEq, Eq)]
pub struct Error {
    pub kind: ErrorKind,
    /// Human-readable; free of secrets.
    pub message: String,
    /// HTTP status, when the error came from a response.
    pub status: Option<u16>,
    /// The provider's error code (`NoSuchKey`, `SignatureDoesNotMatch`, ...).
    pub code: Option<String>,
    /// The provider's request id, useful in support tickets.
    pub request_id: Option<String>,
    /// Whether repeating the same request may succeed (5xx, throttling, resets).
    pub retryable: bool,
    /// How long the server asked us to wait (`Retry-After`).
    pub retry_after: Option<std::time::Duration>,
    /// The request may have reached the server before it failed (a reset or timeout after
    /// sending): repeating a non-idempotent request could then do its work twice.
    pub outcome_unknown: bool,
    /// The bucket and key (empty: the bucket itself) the failed operation concerned; boxed to
    /// keep `Result`s small. See [`Error::bucket`], [`Error::key`].
    concerns: Option<Box<(String, String)>>,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: message.into(),
            status: None,
            code: None,
            request_id: None,
            retryable: false,
            retry_after: None,
            outcome_unknown: false,
            concerns: None,
        }
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::NotFound, message)
    }

    pub fn invalid_input(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidInput, message)
    }

    pub fn invalid_response(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidResponse, message)
    }

    pub fn not_supported(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::NotSupported, message)
    }

    pub fn with_status(mut self, status: u16) -> Self {
        self.status = Some(status);
        self
    }

    pub fn with_code(mut self, code: impl Into<String>) -> Self {
        self.code = Some(code.into());
        self
    }

    pub fn with_request_id(mut self, id: impl Into<String>) -> Self {
        self.request_id = Some(id.into());
        self
    }

    pub fn retryable(mut self, yes: bool) -> Self {
        self.retryable = yes;
        self
    }

    /// Prefix the message with context (an operation and a path), keeping everything else.
    pub fn context(mut self, ctx: impl fmt::Display) -> Self {
        self.message = format!("{ctx}: {}", self.message);
        self
    }

    /// Say which bucket and key (empty: none) the error concerns, unless it already says.
    pub fn at(mut self, bucket: &str, key: &str) -> Self {
        if self.concerns.is_none() && !bucket.is_empty() {
            self.concerns = Some(Box::new((bucket.to_string(), key.to_string())));
        }
        self
    }

    /// The bucket (container) the failed operation concerned, when it concerned one.
    pub fn bucket(&self) -> Option<&str> {
        self.concerns.as_deref().map(|(b, _)| b.as_str())
    }

    /// The key within [`Error::bucket`], when the operation concerned one object.
    pub fn key(&self) -> Option<&str> {
        self.concerns.as_deref().map(|(_, k)| k.as_str()).filter(|k| !k.is_empty())
    }

    pub fn is_not_found(&self) -> bool {
        self.kind == ErrorKind::NotFound
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.kind)?;
        match (self.bucket(), self.key()) {
            (Some(b), Some(k)) => write!(f, "{b}/{k}: ")?,
            (Some(b), None) => write!(f, "{b}: ")?,
            _ => {}
        }
        f.write_str(&self.message)?;
        if let Some(code) = &self.code {
            write!(f, " (code {code}")?;
            if let Some(s) = self.status {
                write!(f, ", HTTP {s}")?;
            }
            write!(f, ")")?;
        } else if let Some(s) = self.status {
            write!(f, " (HTTP {s})")?;
        }
        if let Some(id) = &self.request_id {
            write!(f, " [request id {id}]")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for Error {}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        use std::io::ErrorKind as K;
        let kind = match e.kind() {
            K::NotFound => ErrorKind::NotFound,
            K::PermissionDenied => ErrorKind::PermissionDenied,
            K::AlreadyExists => ErrorKind::AlreadyExists,
            K::InvalidInput | K::InvalidData => ErrorKind::InvalidInput,
            K::TimedOut => ErrorKind::Timeout,
            K::UnexpectedEof => ErrorKind::Integrity,
            K::DirectoryNotEmpty | K::IsADirectory | K::NotADirectory => ErrorKind::Conflict,
            _ => ErrorKind::Io,
        };
        Error::new(kind, e.to_string())
    }
}

impl From<Error> for std::io::Error {
    fn from(e: Error) -> Self {
        use std::io::ErrorKind as K;
        let kind = match e.kind {
            ErrorKind::NotFound => K::NotFound,
            ErrorKind::PermissionDenied => K::PermissionDenied,
            ErrorKind::AlreadyExists => K::AlreadyExists,
            ErrorKind::InvalidInput => K::InvalidInput,
            ErrorKind::InvalidResponse | ErrorKind::Integrity => K::InvalidData,
            ErrorKind::Timeout => K::TimedOut,
            _ => K::Other,
        };
        std::io::Error::new(kind, e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_their_object_and_kind() {
        let e = Error::not_found("The specified key does not exist.").with_code("NoSuchKey").with_status(404).at("b", "k/x");
        assert_eq!(e.to_string(), "NotFound: b/k/x: The specified key does not exist. (code NoSuchKey, HTTP 404)");
        assert_eq!((e.bucket(), e.key(), e.kind.name()), (Some("b"), Some("k/x"), "NotFound"));
        // The first (innermost) location wins; a bucket-level error has no key.
        let e = Error::new(ErrorKind::Conflict, "not empty").at("b", "").at("other", "k");
        assert_eq!((e.bucket(), e.key()), (Some("b"), None));
        assert_eq!(e.to_string(), "Conflict: b: not empty");
        assert!(std::mem::size_of::<Error>() <= 128, "keep Result<T, Error> small");
    }
}
