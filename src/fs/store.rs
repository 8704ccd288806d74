//! The object-store contract the facade is written against.
//!
//! Every backend (memory, file, S3, and later GCS and Azure) looks like buckets of keys. The
//! facade ([`super::facade::FileSystem`]) turns these few primitives into fsspec semantics: implicit
//! directories, recursive operations, globbing, file objects. A store implements only what
//! its service does natively; paging, batching and multipart sizing are the facade's or the
//! core's business.
//!
//! Futures are [`MaybeSend`]: `Send` on native (a tokio user can spawn them), unbounded on
//! wasm32, where the same trait serves a single-threaded executor.

use std::future::Future;
use std::time::Duration;

use bytes::Bytes;

pub use crate::core::auth::Presigned;
use crate::core::error::Result;
use crate::core::http::Method;
pub use crate::core::types::Capabilities;
pub use crate::core::types::ChunkAck;
pub use crate::core::types::DeleteFailure;
use crate::core::types::{BucketInfo, ByteRange, ListPage, ListRequest, ObjectMeta, PutOptions};
use crate::transport::{MaybeSend, MaybeSync};

/// Result of a single-object read.
#[derive(Clone, Debug)]
pub struct GetResult {
    /// The object's metadata (size is the whole object's size, not the range's).
    pub meta: ObjectMeta,
    pub data: Bytes,
}

pub trait Store: MaybeSend + MaybeSync {
    /// Short backend name, as used in URLs: `memory`, `file`, `s3`.
    fn protocol(&self) -> &'static str;

    fn capabilities(&self) -> Capabilities;

    fn list_buckets(&self) -> impl Future<Output = Result<Vec<BucketInfo>>> + MaybeSend;
    fn create_bucket(&self, bucket: &str) -> impl Future<Output = Result<()>> + MaybeSend;
    /// Removes an empty bucket; a non-empty one is an `ErrorKind::Conflict`.
    fn delete_bucket(&self, bucket: &str) -> impl Future<Output = Result<()>> + MaybeSend;
    /// Whether the bucket exists (and is reachable with these credentials).
    fn bucket_exists(&self, bucket: &str) -> impl Future<Output = Result<bool>> + MaybeSend;

    /// One page of keys in lexicographic (byte) order.
    fn list_page(&self, bucket: &str, req: &ListRequest) -> impl Future<Output = Result<ListPage>> + MaybeSend;
    fn head(&self, bucket: &str, key: &str) -> impl Future<Output = Result<ObjectMeta>> + MaybeSend;
    fn get(&self, bucket: &str, key: &str, range: Option<ByteRange>) -> impl Future<Output = Result<GetResult>> + MaybeSend;
    fn put(
        &self,
        bucket: &str,
        key: &str,
        data: Bytes,
        opts: &PutOptions,
    ) -> impl Future<Output = Result<ObjectMeta>> + MaybeSend;
    /// Server-side copy within or across buckets of the same store.
    fn copy(
        &self,
        src_bucket: &str,
        src_key: &str,
        dst_bucket: &str,
        dst_key: &str,
    ) -> impl Future<Output = Result<()>> + MaybeSend;
    /// Delete up to `capabilities().max_delete_batch` keys. Missing keys are not failures.
    fn delete_batch(&self, bucket: &str, keys: &[String]) -> impl Future<Output = Result<Vec<DeleteFailure>>> + MaybeSend;

    /// Start a multipart upload; returns its id.
    fn create_multipart(&self, bucket: &str, key: &str, opts: &PutOptions) -> impl Future<Output = Result<String>> + MaybeSend;
    /// Upload part `part_number` (1-based); returns its ETag.
    fn upload_part(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        part_number: u32,
        data: Bytes,
    ) -> impl Future<Output = Result<String>> + MaybeSend;
    /// Assemble the parts, in order. The write conditions of `opts` (`if_none_match_any`,
    /// `if_match`) are checked here, when the object comes into being. The returned size may
    /// be 0 where the store does not report it (S3): the writer fills it in.
    fn complete_multipart(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        parts: &[(u32, String)],
        opts: &PutOptions,
    ) -> impl Future<Output = Result<ObjectMeta>> + MaybeSend;
    /// Discard a multipart upload (or cancel a resumable session). Already gone is not a failure.
    fn abort_multipart(&self, bucket: &str, key: &str, upload_id: &str) -> impl Future<Output = Result<()>> + MaybeSend;

    /// [`UploadModel::Blocks`](crate::core::upload::UploadModel): stage one block under
    /// `block_id`, invisible until committed. Stores of another model refuse it.
    fn upload_block(&self, bucket: &str, key: &str, block_id: &str, data: Bytes) -> impl Future<Output = Result<()>> + MaybeSend {
        let _ = (bucket, key, block_id, data);
        async { Err(other_model("block uploads")) }
    }

    /// Blocks: make the object of these staged blocks, in order. The write conditions of
    /// `opts` are checked here, when the object comes into being.
    fn commit_blocks(
        &self,
        bucket: &str,
        key: &str,
        block_ids: &[String],
        opts: &PutOptions,
    ) -> impl Future<Output = Result<ObjectMeta>> + MaybeSend {
        let _ = (bucket, key, block_ids, opts);
        async { Err(other_model("block uploads")) }
    }

    /// [`UploadModel::Resumable`](crate::core::upload::UploadModel): send `data` at `offset` of
    /// the session `create_multipart` started; `last` ends the object, giving the CRC32C of all
    /// of it (a server that checks refuses an object whose bytes differ). The answer says how much
    /// the session holds (possibly less than sent), and carries the object after the last chunk.
    fn upload_chunk(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        offset: u64,
        data: Bytes,
        last: Option<u32>,
    ) -> impl Future<Output = Result<ChunkAck>> + MaybeSend {
        let _ = (bucket, key, upload_id, offset, data, last);
        async { Err(other_model("resumable uploads")) }
    }

    /// Resumable: how much the session holds (after a chunk failed).
    fn query_offset(&self, bucket: &str, key: &str, upload_id: &str) -> impl Future<Output = Result<ChunkAck>> + MaybeSend {
        let _ = (bucket, key, upload_id);
        async { Err(other_model("resumable uploads")) }
    }

    /// What someone without credentials sends to do `method` on one object until `expires` from
    /// now: the method, the URL and any headers that were signed. `ErrorKind::NotSupported`
    /// where there is no such thing (memory://, file://, anonymous or bearer credentials).
    fn presign(
        &self,
        method: Method,
        bucket: &str,
        key: &str,
        expires: Duration,
    ) -> impl Future<Output = Result<Presigned>> + MaybeSend;
}

fn other_model(what: &str) -> crate::core::error::Error {
    crate::core::error::Error::not_supported(format!("{what}: this store declares another upload model"))
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
