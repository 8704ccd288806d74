//! ETags as every store keeps them: what S3 computes for a plain PUT, and the one way an answer's
//! tag is unquoted.

use md5::{Digest, Md5};

/// The ETag S3 gives an object written by one plain PUT (no SSE-KMS): the hex MD5 of its bytes.
pub fn md5_hex(data: &[u8]) -> String {
    format!("{:x}", Md5::digest(data))
}

/// A tag as stores compare and keep it (`ObjectMeta::etag`): a strong tag loses its quotes,
/// `"abc"` → `abc`; one already unquoted stays as it is.
///
/// A weak tag (`W/"abc"`) is kept whole. If-Match compares strongly (RFC 9110 §13.1.1), where a
/// weak tag matches nothing, so it must not turn into the strong `abc`; kept whole it also goes
/// back to a server verbatim (the S3 builders quote only a tag that lacks quotes and `W/`).
/// Anything else that is not one quoted string (a lone `"`) is returned as is rather than guessed at.
pub fn unquote(tag: &str) -> &str {
    let tag = tag.trim();
    if tag.starts_with("W/") {
        return tag;
    }
    tag.strip_prefix('"').and_then(|t| t.strip_suffix('"')).unwrap_or(tag)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unquoting() {
        assert_eq!(unquote("\"abc\""), "abc");
        assert_eq!(unquote("abc"), "abc");
        assert_eq!(unquote(" \"abc\" "), "abc");
        assert_eq!(unquote("W/\"abc\""), "W/\"abc\"", "weak tags stay weak");
        assert_eq!(unquote("\"\""), "");
        assert_eq!(unquote("\""), "\"", "a lone quote is not a quoted empty tag");
        assert_eq!(unquote("\"abc-3\""), "abc-3");
    }

    #[test]
    fn md5_is_lower_hex() {
        assert_eq!(md5_hex(b""), "d41d8cd98f00b204e9800998ecf8427e");
        assert_eq!(md5_hex(b"abc"), "900150983cd24fb0d6963f7d28e17f72");
    }
}
