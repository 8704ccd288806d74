//! Provider-neutral results shared by parsers, stores and the facade.

use chrono::{DateTime, Utc};

/// One object (or, in a delimited listing, one common prefix) as a store reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectMeta {
    /// The key within its bucket (decoded).
    pub key: String,
    pub size: u64,
    pub last_modified: Option<DateTime<Utc>>,
    /// The entity tag, quotes stripped.
    pub etag: Option<String>,
    pub storage_class: Option<String>,
    pub content_type: Option<String>,
    pub version: Option<String>,
    /// User metadata (S3 `x-amz-meta-*`, GCS `metadata`, Azure `x-ms-meta-*`), sorted by name;
    /// the names of S3 and Azure (headers) lower-cased, GCS's as stored. A HEAD or GET fills
    /// it; listings of S3 and Azure do not carry it, GCS's do.
    pub metadata: Vec<(String, String)>,
    /// The base64 MD5 of the whole content, where the service keeps one and said so (Azure's
    /// `Content-MD5`): what proves a write whose answer was lost was carried out.
    pub content_md5: Option<String>,
}

impl ObjectMeta {
    pub fn new(key: impl Into<String>, size: u64) -> Self {
        ObjectMeta {
            key: key.into(),
            size,
            last_modified: None,
            etag: None,
            storage_class: None,
            content_type: None,
            version: None,
            metadata: Vec::new(),
            content_md5: None,
        }
    }
}

/// What a store can do, so generic code (and the behaviour suite) can adapt honestly.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Capabilities {
    /// Presigned URLs ([`Store::presign`](crate::fs::Store::presign)).
    pub presign: bool,
    /// Keys may contain empty segments (`a//b`) and `.`/`..` segments.
    pub any_key: bool,
    /// How the service takes an object in pieces: S3's numbered parts, Azure's blocks, GCS's
    /// resumable chunks, with their size and count limits.
    pub upload: crate::core::upload::UploadModel,
    /// Most keys one batch delete may carry.
    pub max_delete_batch: usize,
    /// Conditional writes (`If-None-Match: *`, `If-Match`) are enforced.
    pub conditional_put: bool,
    /// ETags follow S3's convention: the hex MD5 of a single PUT's bytes; for a multipart
    /// object, the MD5 of the parts' MD5s followed by `-` and the part count.
    pub s3_etags: bool,
}

/// One page of a listing.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ListPage {
    pub objects: Vec<ObjectMeta>,
    /// Common prefixes (decoded, ending with the delimiter) when a delimiter was given.
    pub prefixes: Vec<String>,
    /// Opaque token for the next page; `None` when this was the last page.
    pub next_token: Option<String>,
}

/// What to list.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ListRequest {
    pub prefix: String,
    /// Group keys by `/` into common prefixes (one level).
    pub delimited: bool,
    /// The continuation token from the previous page.
    pub token: Option<String>,
    /// List keys strictly after this one (first page only).
    pub start_after: Option<String>,
    /// Page size; `None` lets the server choose (1000 on S3).
    pub max_keys: Option<u32>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BucketInfo {
    pub name: String,
    pub created: Option<DateTime<Utc>>,
}

/// An inclusive-exclusive byte range `[start, end)`; `end: None` reads to the end.
/// Suffix ranges (`last n bytes`) have their own variant because S3 supports them natively.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ByteRange {
    /// `[start, end)`, or `[start, ..)` when `end` is `None`.
    From { start: u64, end: Option<u64> },
    /// The last `n` bytes.
    Suffix(u64),
}

impl ByteRange {
    /// The HTTP `Range` header value, or `None` when the range is empty and no request is needed.
    pub fn to_header(self) -> Option<String> {
        match self {
            ByteRange::From { start, end: None } => Some(format!("bytes={start}-")),
            ByteRange::From { start, end: Some(end) } if end > start => Some(format!("bytes={start}-{}", end - 1)),
            ByteRange::From { .. } => None,
            ByteRange::Suffix(0) => None,
            ByteRange::Suffix(n) => Some(format!("bytes=-{n}")),
        }
    }

    /// Resolve against an object size to absolute `[start, end)`, clamped.
    pub fn resolve(self, size: u64) -> (u64, u64) {
        match self {
            ByteRange::From { start, end } => {
                let end = end.unwrap_or(size).min(size);
                (start.min(end), end)
            }
            ByteRange::Suffix(n) => (size.saturating_sub(n), size),
        }
    }
}

/// Options for a write.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PutOptions {
    pub content_type: Option<String>,
    /// Refuse to overwrite an existing object (`If-None-Match: *`).
    pub if_none_match_any: bool,
    /// Only overwrite the object with this ETag.
    pub if_match: Option<String>,
}

/// What a resumable session holds after a chunk (or when asked): the first `committed` bytes,
/// and the object once the last chunk made it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChunkAck {
    pub committed: u64,
    pub object: Option<ObjectMeta>,
}

/// Where a server-side copy stands after one call: done, or to be called again with this
/// token (a GCS rewrite of a large or cross-location object takes several calls).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Copied {
    Done,
    Again(String),
    /// The service copies on its own and is not done (an Azure copy left `pending`): ask again
    /// with this token after a pause, longer each time.
    Pending(String),
}

/// One key a batch delete could not remove.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeleteFailure {
    pub key: String,
    pub code: String,
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn range_headers() {
        assert_eq!(ByteRange::From { start: 0, end: Some(10) }.to_header().as_deref(), Some("bytes=0-9"));
        assert_eq!(ByteRange::From { start: 5, end: None }.to_header().as_deref(), Some("bytes=5-"));
        assert_eq!(ByteRange::From { start: 5, end: Some(5) }.to_header(), None);
        assert_eq!(ByteRange::Suffix(3).to_header().as_deref(), Some("bytes=-3"));
        assert_eq!(ByteRange::Suffix(30).resolve(10), (0, 10));
        assert_eq!(ByteRange::From { start: 8, end: Some(20) }.resolve(10), (8, 10));
    }
}
