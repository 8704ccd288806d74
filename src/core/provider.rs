//! What one HTTP storage service supplies to the shared driver ([`crate::fs::http::HttpStore`]):
//! a request builder and its parser for every store primitive, the service's error parser and
//! its declared capabilities. Everything here is sans-IO: the driver signs, sends, retries and
//! resumes; a provider only says what to send and how to read the answer.

use std::fmt;

use bytes::Bytes;

use super::error::{Error, Result};
use super::http::{Method, Request, Response};
use super::types::{
    BucketInfo, ByteRange, Capabilities, ChunkAck, Copied, DeleteFailure, ListPage, ListRequest, ObjectMeta, PutOptions,
};

/// One request and the parser of its successful answer. The parser may run more than once
/// (a retryable error inside a 200 is retried), so it is `Fn`.
pub struct Call<T> {
    pub request: Request,
    pub parse: Parser<T>,
    /// A status besides 2xx that is an answer to parse, not an error (GCS's 308 to a chunk).
    pub also_ok: Option<u16>,
    /// Whether the driver may repeat the request after a retryable failure. Off where the
    /// state machine above decides what to send next (a resumable chunk: ask the offset first).
    pub retry: bool,
    /// A request whose method is not idempotent but which may be repeated after a failure
    /// that hides whether it was carried out (starting a GCS resumable session makes no object).
    pub repeatable: bool,
    /// Requests carried inside this one's body (an Azure Blob Batch), each authorized by the
    /// driver like a request of its own before the body is assembled from them.
    pub parts: Option<Parts>,
}

/// The sub-requests of a batch and how the outer request's body is made from them once each
/// is authorized (the provider has no credentials; the driver has).
pub struct Parts {
    pub requests: Vec<Request>,
    pub assemble: Assembler,
}

/// Writes the authorized sub-requests into the outer request.
pub type Assembler = Box<dyn Fn(&mut Request, &[Request]) + Send + Sync>;

/// The parser of a successful answer.
pub type Parser<T> = Box<dyn Fn(&Response) -> Result<T> + Send + Sync>;

impl<T> Call<T> {
    pub fn new(request: Request, parse: impl Fn(&Response) -> Result<T> + Send + Sync + 'static) -> Self {
        Call { request, parse: Box::new(parse), also_ok: None, retry: true, repeatable: false, parts: None }
    }

    /// Carry `requests` in the body, assembled by `assemble` after each is authorized.
    pub fn with_parts(
        mut self,
        requests: Vec<Request>,
        assemble: impl Fn(&mut Request, &[Request]) + Send + Sync + 'static,
    ) -> Self {
        self.parts = Some(Parts { requests, assemble: Box::new(assemble) });
        self
    }

    /// Parse answers with `status` too.
    pub fn also_ok(mut self, status: u16) -> Self {
        self.also_ok = Some(status);
        self
    }

    /// Safe to repeat whatever its method (see [`Call::repeatable`]).
    pub fn repeatable(mut self) -> Self {
        self.repeatable = true;
        self
    }

    /// The same request, its answer turned into something else by `f`.
    pub fn map<U>(self, f: impl Fn(T) -> U + Send + Sync + 'static) -> Call<U>
    where
        T: 'static,
    {
        let parse = self.parse;
        Call {
            request: self.request,
            parse: Box::new(move |r| parse(r).map(&f)),
            also_ok: self.also_ok,
            retry: self.retry,
            repeatable: self.repeatable,
            parts: self.parts,
        }
    }

    /// Send once: a failure goes back to the caller's state machine.
    pub fn once(mut self) -> Self {
        self.retry = false;
        self
    }

    /// Whether `resp` is an answer for the parser (else the provider's error parser's).
    pub fn accepts(&self, resp: &Response) -> bool {
        resp.is_success() || self.also_ok == Some(resp.status)
    }
}

impl Call<()> {
    /// A request whose successful answer carries nothing to read.
    pub fn unit(request: Request) -> Self {
        Call::new(request, |_| Ok(()))
    }
}

impl<T> fmt::Debug for Call<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Call").field("request", &self.request).finish_non_exhaustive()
    }
}

/// Workarounds for servers that depart from their protocol, declared by the provider's
/// configuration so that the shared driver applies them only where a server needs them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Quirks {
    /// The server answers a HEAD on a key that is also a "directory" prefix with a 5xx
    /// (s3s-fs keeps objects as files): such a failure is checked against a one-key listing.
    pub head_fails_on_prefixes: bool,
    /// The server fails suffix ranges (s3s-fs: one longer than the object): they are read as
    /// an absolute range after a HEAD.
    pub no_suffix_ranges: bool,
    /// The server has no batch endpoint (storage-testbench answers `/batch/storage/v1` with
    /// 501): deletes go one request per key.
    pub no_batch_delete: bool,
    /// The server answers a range that starts at the object's end with a 206 and an inverted
    /// `Content-Range: bytes 10-9/10` instead of 416 (Azurite): read as the empty range it is.
    pub inverted_empty_ranges: bool,
}

/// An HTTP storage service (S3 today; GCS and Azure next), as plain request builders and
/// parsers. Keys and buckets arrive decoded; the provider encodes them by its own rules.
pub trait Provider: Send + Sync + 'static {
    /// The URL scheme users know it by: `s3`, `gs`, `az`.
    fn protocol(&self) -> &'static str;
    fn capabilities(&self) -> Capabilities;
    fn quirks(&self) -> Quirks {
        Quirks::default()
    }

    /// The typed error for a non-2xx answer (its body fully read).
    fn parse_error(&self, resp: &Response) -> Error;

    /// Whether a failure says the credentials have expired (the driver then refreshes them
    /// once and repeats the request).
    fn credentials_expired(&self, err: &Error) -> bool {
        err.status == Some(401) || matches!(err.code.as_deref(), Some("ExpiredToken" | "TokenRefreshRequired"))
    }

    fn list_buckets(&self) -> Result<Call<Vec<BucketInfo>>>;
    /// One page of the bucket listing and the token of the next, for services that page it
    /// (GCS); the driver follows the tokens. By default the one call of `list_buckets`.
    fn list_buckets_page(&self, token: Option<&str>) -> Result<Call<(Vec<BucketInfo>, Option<String>)>> {
        match token {
            None => Ok(self.list_buckets()?.map(|b| (b, None))),
            Some(_) => Err(Error::invalid_input(format!("{}: the bucket listing has no pages", self.protocol()))),
        }
    }
    fn create_bucket(&self, bucket: &str) -> Result<Call<()>>;
    fn delete_bucket(&self, bucket: &str) -> Result<Call<()>>;
    fn head_bucket(&self, bucket: &str) -> Result<Call<()>>;
    fn list_page(&self, bucket: &str, req: &ListRequest) -> Result<Call<ListPage>>;
    fn head(&self, bucket: &str, key: &str) -> Result<Call<ObjectMeta>>;

    /// A read of `range` (all of it when `None`), pinned to one version of the object when
    /// `if_match` is given (an ETag from an earlier answer: a replaced object is a 412).
    fn get(&self, bucket: &str, key: &str, range: Option<ByteRange>, if_match: Option<&str>) -> Result<Request>;
    /// A successful read, its body complete: the metadata (the size is the whole object's)
    /// and the bytes, checked against what the head announced.
    fn parse_get(&self, key: &str, resp: &Response) -> Result<(ObjectMeta, Bytes)>;

    fn put(&self, bucket: &str, key: &str, data: Bytes, opts: &PutOptions) -> Result<Call<ObjectMeta>>;
    /// Whether the object described by `meta` holds exactly `data`: a conditional write whose
    /// answer was lost, then refused by its own first attempt, was in fact carried out.
    fn holds(&self, meta: &ObjectMeta, data: &[u8]) -> bool;
    /// The same question for a service whose HEAD carries no hash of the content: a call whose
    /// answer is the object's metadata when it holds exactly `data`, else `None`. By default
    /// the driver HEADs and asks [`Provider::holds`].
    fn confirm_write(&self, bucket: &str, key: &str, data: &Bytes) -> Option<Result<Call<Option<ObjectMeta>>>> {
        let _ = (bucket, key, data);
        None
    }

    /// One call of a server-side copy; `token` is what the previous call answered with
    /// [`Copied::Again`] or [`Copied::Pending`] (`None` the first time). The driver calls until
    /// [`Copied::Done`], pausing before each call after a `Pending`.
    fn copy(&self, src_bucket: &str, src_key: &str, dst_bucket: &str, dst_key: &str, token: Option<&str>)
    -> Result<Call<Copied>>;
    fn delete_batch(&self, bucket: &str, keys: &[String]) -> Result<Call<Vec<DeleteFailure>>>;

    fn create_multipart(&self, bucket: &str, key: &str, opts: &PutOptions) -> Result<Call<String>>;
    fn upload_part(&self, bucket: &str, key: &str, upload_id: &str, number: u32, data: Bytes) -> Result<Call<String>>;
    fn complete_multipart(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        parts: &[(u32, String)],
        opts: &PutOptions,
    ) -> Result<Call<ObjectMeta>>;
    fn abort_multipart(&self, bucket: &str, key: &str, upload_id: &str) -> Result<Call<()>>;

    /// Blocks (Azure): stage one block; commit the list. Providers of another model keep the
    /// default, which refuses.
    fn upload_block(&self, bucket: &str, key: &str, block_id: &str, data: Bytes) -> Result<Call<()>> {
        let _ = (bucket, key, block_id, data);
        Err(Error::not_supported(format!("{}: block uploads", self.protocol())))
    }
    fn commit_blocks(&self, bucket: &str, key: &str, block_ids: &[String], opts: &PutOptions) -> Result<Call<ObjectMeta>> {
        let _ = (bucket, key, block_ids, opts);
        Err(Error::not_supported(format!("{}: block uploads", self.protocol())))
    }

    /// Resumable (GCS): one chunk of the session `create_multipart` started (`last`: the CRC32C
    /// of the whole object, on the chunk that ends it), and the query of its committed offset. Sent once each (see [`Call::once`]): the upload machine decides.
    fn upload_chunk(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        offset: u64,
        data: Bytes,
        last: Option<u32>,
    ) -> Result<Call<ChunkAck>> {
        let _ = (bucket, key, upload_id, offset, data, last);
        Err(Error::not_supported(format!("{}: resumable uploads", self.protocol())))
    }
    fn query_offset(&self, bucket: &str, key: &str, upload_id: &str) -> Result<Call<ChunkAck>> {
        let _ = (bucket, key, upload_id);
        Err(Error::not_supported(format!("{}: resumable uploads", self.protocol())))
    }

    /// The unsigned request a presigned URL stands for: only what the holder of the URL
    /// sends may be signed (no content type or checksum chosen for them).
    fn presign_request(&self, method: Method, bucket: &str, key: &str) -> Result<Request>;
}
