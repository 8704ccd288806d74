//! The object-store contract the facade is written against.
//!
//! Every backend (memory, file, S3, and later GCS and Azure) looks like buckets of keys. The
//! facade ([`super::FileSystem`]) turns these few primitives into fsspec semantics: implicit
//! directories, recursive operations, globbing, file objects. A store implements only what
//! its service does natively; paging, batching and multipart sizing are the facade's or the
//! core's business.
//!
//! No `Send` bound anywhere: the same trait serves single-threaded wasm32.

use std::time::Duration;

use bytes::Bytes;

use crate::core::error::Result;
use crate::core::http::Method;
pub use crate::core::types::DeleteFailure;
use crate::core::types::{BucketInfo, ByteRange, ListPage, ListRequest, ObjectMeta, PutOptions};

/// What a store can do, so generic code (and the behaviour suite) can adapt honestly.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Capabilities {
    /// Presigned URLs ([`Store::presign`]).
    pub presign: bool,
    /// Keys may contain empty segments (`a//b`) and `.`/`..` segments.
    pub any_key: bool,
    /// Smallest non-final multipart part the service accepts.
    pub min_part_size: u64,
    /// Most keys one batch delete may carry.
    pub max_delete_batch: usize,
    /// Conditional writes (`If-None-Match: *`, `If-Match`) are enforced.
    pub conditional_put: bool,
}

/// Result of a single-object read.
#[derive(Clone, Debug)]
pub struct GetResult {
    /// The object's metadata (size is the whole object's size, not the range's).
    pub meta: ObjectMeta,
    pub data: Bytes,
}

#[allow(async_fn_in_trait)]
pub trait Store {
    /// Short backend name, as used in URLs: `memory`, `file`, `s3`.
    fn protocol(&self) -> &'static str;

    fn capabilities(&self) -> Capabilities;

    async fn list_buckets(&self) -> Result<Vec<BucketInfo>>;
    async fn create_bucket(&self, bucket: &str) -> Result<()>;
    /// Removes an empty bucket; a non-empty one is an `ErrorKind::Conflict`.
    async fn delete_bucket(&self, bucket: &str) -> Result<()>;
    /// Whether the bucket exists (and is reachable with these credentials).
    async fn bucket_exists(&self, bucket: &str) -> Result<bool>;

    /// One page of keys in lexicographic (byte) order.
    async fn list_page(&self, bucket: &str, req: &ListRequest) -> Result<ListPage>;
    async fn head(&self, bucket: &str, key: &str) -> Result<ObjectMeta>;
    async fn get(&self, bucket: &str, key: &str, range: Option<ByteRange>) -> Result<GetResult>;
    async fn put(&self, bucket: &str, key: &str, data: Bytes, opts: &PutOptions) -> Result<ObjectMeta>;
    /// Server-side copy within or across buckets of the same store.
    async fn copy(&self, src_bucket: &str, src_key: &str, dst_bucket: &str, dst_key: &str) -> Result<()>;
    /// Delete up to `capabilities().max_delete_batch` keys. Missing keys are not failures.
    async fn delete_batch(&self, bucket: &str, keys: &[String]) -> Result<Vec<DeleteFailure>>;

    /// Start a multipart upload; returns its id.
    async fn create_multipart(&self, bucket: &str, key: &str, opts: &PutOptions) -> Result<String>;
    /// Upload part `part_number` (1-based); returns its ETag.
    async fn upload_part(&self, bucket: &str, key: &str, upload_id: &str, part_number: u32, data: Bytes) -> Result<String>;
    /// Assemble the parts, in order. The write conditions of `opts` (`if_none_match_any`,
    /// `if_match`) are checked here, when the object comes into being. The returned size may
    /// be 0 where the store does not report it (S3): the writer fills it in.
    async fn complete_multipart(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        parts: &[(u32, String)],
        opts: &PutOptions,
    ) -> Result<ObjectMeta>;
    async fn abort_multipart(&self, bucket: &str, key: &str, upload_id: &str) -> Result<()>;

    /// A presigned URL valid for `expires`. `ErrorKind::NotSupported` where there is no such thing.
    fn presign(&self, method: Method, bucket: &str, key: &str, expires: Duration) -> Result<String>;
}

/// Where a listing resumes: strictly after this string (the continuation token, else
/// `start_after`).
pub fn list_after(req: &ListRequest) -> String {
    req.token.clone().or_else(|| req.start_after.clone()).unwrap_or_default()
}

/// S3's listing rules over objects already sorted by key and positioned after
/// [`list_after`]: prefix filter, `/` grouping into common prefixes, pages of `max_keys`
/// entries (objects and prefixes both count). Used by the stores that have no server to do it.
///
/// The continuation token is the last key returned, or for a common prefix the prefix
/// followed by the highest code point, so that every key below the prefix sorts before it.
pub fn paginate(sorted: impl Iterator<Item = ObjectMeta>, req: &ListRequest) -> ListPage {
    let max = req.max_keys.unwrap_or(1000).clamp(1, 1000) as usize;
    let mut page = ListPage::default();
    let mut count = 0;
    let mut last = String::new();
    for meta in sorted {
        if !meta.key.starts_with(&req.prefix) {
            if meta.key.as_str() > req.prefix.as_str() {
                break;
            }
            continue;
        }
        let rest = &meta.key[req.prefix.len()..];
        let common = match rest.find('/') {
            Some(i) if req.delimited => Some(format!("{}{}", req.prefix, &rest[..=i])),
            _ => None,
        };
        if common.is_some() && page.prefixes.last() == common.as_ref() {
            continue;
        }
        if count == max {
            page.next_token = Some(last);
            return page;
        }
        count += 1;
        match common {
            Some(c) => {
                last = format!("{c}\u{10FFFF}");
                page.prefixes.push(c);
            }
            None => {
                last = meta.key.clone();
                page.objects.push(meta);
            }
        }
    }
    page
}

/// Whether a key could be a relative file path: no empty, `.` or `..` segment, no backslash.
/// Stores without [`Capabilities::any_key`] accept only such keys.
pub fn path_like(key: &str) -> bool {
    !key.split('/').any(|s| s.is_empty() || s == "." || s == "..") && !key.contains('\\')
}
