//! The JavaScript API (wasm-bindgen): the fsspec verbs as Promise-returning methods of
//! `PailFs`, over any store a URL names (S3, and `memory://` in the tab) through `fetch`. Stores
//! open as on every front end (`fs::open`), with the fsspec family's option names. Errors reject
//! with a JS `Error` carrying `kind`, `code`, `status`, `retryable`, `bucket` and `key`. Every
//! verb takes `{ signal }` (an `AbortSignal`): aborting it drops the verb's future, and with it
//! the fetches on the wire (`abortable`).

use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use js_sys::{Array, Promise, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{JsFuture, future_to_promise};

use crate::core::error::{Error, ErrorKind};
use crate::core::options::StoreOptions;
use crate::core::pager::ListPager;
use crate::core::types::ListRequest;
use crate::fs::Store;
use crate::fs::any::AnyStore;
use crate::fs::facade::{Entry, FileSystem};
use crate::fs::open::{Platform, open_with};
use crate::transport::Transport;
use crate::transport::fetch::{FetchTransport, JsClock, JsRandom, object};

type Fs = FileSystem<AnyStore<FetchTransport>>;

fn js_error(e: Error) -> JsValue {
    let err = js_sys::Error::new(&e.to_string());
    err.set_name("PailfsError");
    let set = |k: &str, v: JsValue| {
        let _ = Reflect::set(&err, &JsValue::from_str(k), &v);
    };
    set("kind", JsValue::from_str(e.kind.name()));
    set("bucket", e.bucket().map_or(JsValue::NULL, JsValue::from_str));
    set("key", e.key().map_or(JsValue::NULL, JsValue::from_str));
    set("code", e.code.as_deref().map_or(JsValue::NULL, JsValue::from_str));
    set("status", e.status.map_or(JsValue::NULL, |s| JsValue::from_f64(s.into())));
    set("retryable", JsValue::from_bool(e.retryable));
    set("outcomeUnknown", JsValue::from_bool(e.outcome_unknown));
    err.into()
}

/// A JS options object as [`StoreOptions`]: through JSON, so the checks (unknown names, types)
/// are exactly those of the CLI and the Python package. `undefined`/`null` is no options.
fn store_options(o: &JsValue) -> Result<StoreOptions, Error> {
    if o.is_undefined() || o.is_null() {
        return Ok(StoreOptions::default());
    }
    if !o.is_object() {
        return Err(Error::invalid_input("options must be an object"));
    }
    let json = js_sys::JSON::stringify(o).map_err(|_| Error::invalid_input("options cannot be turned into JSON"))?;
    StoreOptions::from_json_str(&String::from(json))
}

fn opt_str(o: &JsValue, k: &str) -> Option<String> {
    Reflect::get(o, &JsValue::from_str(k)).ok().and_then(|v| v.as_string()).filter(|s| !s.is_empty())
}

fn callback(o: &JsValue, k: &str) -> Option<js_sys::Function> {
    if o.is_undefined() || o.is_null() {
        return None;
    }
    Reflect::get(o, &JsValue::from_str(k)).ok().and_then(|v| v.dyn_into().ok())
}

/// The signal of a verb's `{ signal }` options.
fn call_signal(o: Option<impl Into<JsValue>>) -> Option<web_sys::AbortSignal> {
    signal(&o.map_or(JsValue::UNDEFINED, Into::into))
}

/// A verb's work, boxed so that the code racing it against a signal exists once.
type JsOp = std::pin::Pin<Box<dyn Future<Output = Result<JsValue, Error>>>>;

/// The promise of one verb: `op` raced against `signal`, its result turned into JS by `out`.
fn call<T: 'static>(
    signal: Option<web_sys::AbortSignal>,
    op: impl Future<Output = Result<T, Error>> + 'static,
    out: impl FnOnce(T) -> JsValue + 'static,
) -> Promise {
    run(signal, Box::pin(async move { op.await.map(out) }))
}

fn run(signal: Option<web_sys::AbortSignal>, op: JsOp) -> Promise {
    future_to_promise(async move { abortable(&signal, op).await.map_err(js_error) })
}

fn signal(o: &JsValue) -> Option<web_sys::AbortSignal> {
    if o.is_undefined() || o.is_null() {
        return None;
    }
    Reflect::get(o, &JsValue::from_str("signal")).ok().and_then(|v| v.dyn_into().ok())
}

/// put's write conditions: `mode: "create"` refuses to overwrite (If-None-Match: *), `ifMatch`
/// overwrites only that version (its ETag).
fn write_options(o: &JsValue) -> Result<crate::core::types::PutOptions, JsValue> {
    if !o.is_object() || o.is_function() {
        return Ok(Default::default());
    }
    let create = match opt_str(o, "mode").as_deref() {
        None | Some("overwrite") => false,
        Some("create") => true,
        Some(m) => {
            return Err(js_error(Error::invalid_input(format!("put: mode {m:?} is neither \"create\" nor \"overwrite\""))));
        }
    };
    Ok(crate::core::types::PutOptions {
        if_none_match_any: create,
        if_match: opt_str(o, "ifMatch"),
        content_type: opt_str(o, "contentType"),
    })
}

fn progress(f: &Option<js_sys::Function>, done: u64, total: u64) {
    if let Some(f) = f {
        let _ = f.call2(&JsValue::NULL, &JsValue::from_f64(done as f64), &JsValue::from_f64(total as f64));
    }
}

/// Run `op` unless `signal` aborts first. Then `op` is dropped, and with it its fetches, which
/// the transport aborts (see `transport::fetch::Exchange`).
async fn abortable<T>(signal: &Option<web_sys::AbortSignal>, op: impl Future<Output = Result<T, Error>>) -> Result<T, Error> {
    let Some(signal) = signal else { return op.await };
    let cancelled = || Error::new(ErrorKind::Cancelled, "aborted by the caller's AbortSignal");
    if signal.aborted() {
        return Err(cancelled());
    }
    let mut listener = None;
    let aborted = JsFuture::from(Promise::new(&mut |resolve, _| {
        let _ = signal.add_event_listener_with_callback("abort", &resolve);
        listener = Some(resolve);
    }));
    let op = std::pin::pin!(op);
    let out = match futures::future::select(op, aborted).await {
        futures::future::Either::Left((r, _)) => r,
        futures::future::Either::Right(_) => Err(cancelled()),
    };
    if let Some(l) = listener {
        let _ = signal.remove_event_listener_with_callback("abort", &l);
    }
    out
}

fn entry(e: &Entry) -> JsValue {
    let meta = e.meta.as_ref();
    object(&[
        ("name", JsValue::from_str(&e.name)),
        ("type", JsValue::from_str(if e.is_dir() { "directory" } else { "file" })),
        ("size", JsValue::from_f64(e.size as f64)),
        ("etag", meta.and_then(|m| m.etag.as_deref()).map_or(JsValue::NULL, JsValue::from_str)),
        ("lastModified", meta.and_then(|m| m.last_modified).map_or(JsValue::NULL, |t| JsValue::from_str(&t.to_rfc3339()))),
        ("contentType", meta.and_then(|m| m.content_type.as_deref()).map_or(JsValue::NULL, JsValue::from_str)),
        ("storageClass", meta.and_then(|m| m.storage_class.as_deref()).map_or(JsValue::NULL, JsValue::from_str)),
        ("metadata", {
            let md = js_sys::Object::new();
            for (k, v) in meta.map(|m| m.metadata.as_slice()).unwrap_or_default() {
                let _ = Reflect::set(&md, &JsValue::from_str(k), &JsValue::from_str(v));
            }
            md.into()
        }),
        ("version", meta.and_then(|m| m.version.as_deref()).map_or(JsValue::NULL, JsValue::from_str)),
    ])
    .into()
}

fn names(v: Vec<String>) -> JsValue {
    v.iter().map(|s| JsValue::from_str(s)).collect::<Array>().into()
}

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &str = r#"
/**
 * Storage options, named as s3fs, gcsfs and adlfs name them (the same names as the CLI's `-o`
 * and the Python package). Without keys, requests go unsigned; without an endpoint, AWS. An
 * unknown name is refused with an error that names it.
 */
export interface PailFsOptions {
  /** An S3-compatible endpoint, e.g. "http://127.0.0.1:9000" (path style). */
  endpoint_url?: string;
  /** AWS region; default: the one the URL names, else "us-east-1". */
  region?: string;
  client_kwargs?: { region_name?: string; endpoint_url?: string };
  /** Access key id. */
  key?: string;
  /** Secret access key. */
  secret?: string;
  /** Session token of temporary credentials. */
  token?: string;
  /** Send requests unsigned even if keys are given (public buckets). */
  anon?: boolean;
  /** Agree to pay for requests to a requester-pays bucket. */
  requester_pays?: boolean;
  /** Abort one request (head and body) after this many seconds; default 300. */
  timeout?: number;
  /** Attempts per request, retries included; default 8. */
  max_attempts?: number;
  /** Part size of multipart uploads, in bytes (default 8 MiB). */
  part_size?: number;
  /** Block size of reads, in bytes (default 4 MiB). */
  block_size?: number;
  /** Workarounds an emulator needs, comma-separated: "head_fails_on_prefixes",
   * "no_suffix_ranges", "plain_listing" (S3), "no_batch_delete" (GCS), "inverted_empty_ranges"
   * (Azure), or an emulator's name for all it needs: "s3s-fs", "storage-testbench", "azurite".
   * The real services need none. */
  quirks?: string;
}

/** A file or directory, as ls/info return it. */
export interface Entry {
  name: string;
  type: "file" | "directory";
  size: number;
  etag: string | null;
  /** RFC 3339. */
  lastModified: string | null;
  /** As the server reports it (HEAD/info; listings of S3 carry none). */
  contentType: string | null;
  /** e.g. "STANDARD", "GLACIER"; from listings, or a HEAD where the server sends it. */
  storageClass: string | null;
  /** User metadata (S3 `x-amz-meta-*` and Azure `x-ms-meta-*`, names lower-cased; GCS
   * `metadata`, names as stored); filled by info(), and in GCS listings (S3's and Azure's
   * carry none). In a browser, only the headers the bucket's CORS rule exposes are visible. */
  metadata: Record<string, string>;
  /** The object's version id, where the store keeps versions. */
  version: string | null;
}

/** Options of `presign`. */
export interface PresignOptions extends CallOptions {
  /** Default "GET". */
  method?: "GET" | "HEAD" | "PUT" | "DELETE";
  /** Seconds the URL stays valid; default 3600, at most 7 days. */
  expires?: number;
}

/** A presigned request: what someone without credentials sends. */
export interface Presigned {
  method: string;
  url: string;
  /** Headers that were signed: send them exactly. Empty for S3's GET and PUT. */
  headers: Record<string, string>;
  /** RFC 3339. */
  expires: string;
}

/** Per-call options: aborting the signal rejects with kind "Cancelled" and stops the requests. */
export interface CallOptions {
  signal?: AbortSignal;
}

/** Options of `listPages`. */
export interface ListOptions extends CallOptions {
  /** Only the names in the folder that begin with this (filtered by the server). */
  startsWith?: string;
}

export interface GetOptions extends CallOptions {
  onProgress?: (done: number, total: number) => void;
}

export interface PutOptions extends GetOptions {
  /** "create" refuses to overwrite an existing object (kind "PreconditionFailed"). */
  mode?: "overwrite" | "create";
  /** Overwrite only the object with this ETag. */
  ifMatch?: string;
  contentType?: string;
}

/** Options of `openWrite`: put's write conditions. */
export interface WriteOptions {
  /** "create" refuses to overwrite an existing object (kind "PreconditionFailed" at close). */
  mode?: "overwrite" | "create";
  ifMatch?: string;
  contentType?: string;
}

export type ErrorKind =
  | "NotFound" | "AlreadyExists" | "PermissionDenied" | "PreconditionFailed" | "InvalidInput"
  | "InvalidResponse" | "Integrity" | "Conflict" | "NotSupported" | "Io" | "Timeout" | "Cancelled"
  | "Service";

/** What every promise of this package rejects with. */
export interface PailfsError extends Error {
  name: "PailfsError";
  kind: ErrorKind;
  /** The provider's error code, e.g. "NoSuchKey". */
  code: string | null;
  status: number | null;
  retryable: boolean;
  /** The request may have reached the server before it failed (a reset or a timeout after
   * sending): a write may have been carried out all the same. */
  outcomeUnknown: boolean;
  /** The bucket (container) and key the failed call concerned, where it concerned one. */
  bucket: string | null;
  key: string | null;
}
"#;

#[wasm_bindgen]
extern "C" {
    /// `{ signal? }`
    #[wasm_bindgen(typescript_type = "CallOptions")]
    pub type CallOptions;
    /// `{ signal?, onProgress? }`
    #[wasm_bindgen(typescript_type = "GetOptions")]
    pub type GetOptions;
    /// `{ signal?, startsWith? }`
    #[wasm_bindgen(typescript_type = "ListOptions")]
    pub type ListOptions;
    /// `{ method?, expires? }`
    #[wasm_bindgen(typescript_type = "PresignOptions")]
    pub type PresignOptions;
    /// `{ mode?, ifMatch?, contentType? }`
    #[wasm_bindgen(typescript_type = "WriteOptions")]
    pub type WriteOptions;
    /// put's options, or just its progress callback.
    #[wasm_bindgen(typescript_type = "PutOptions | ((done: number, total: number) => void)")]
    pub type PutOptionsArg;
}

#[wasm_bindgen(inline_js = r#"
export function asyncIterable(o) { o[Symbol.asyncIterator] = function () { return this; }; return o; }
export function readableStream(src) {
  let live = true;
  const free = () => { if (live) { live = false; src.free(); } };
  return new ReadableStream({
    async pull(c) {
      let chunk;
      try { chunk = await src.next(); } catch (e) { free(); throw e; }
      if (chunk === undefined) { c.close(); free(); } else { c.enqueue(chunk); }
    },
    // Called at once, even while a pull waits: stop its fetch, then let go of the source.
    cancel() { if (live) src.cancel(); free(); },
  });
}
"#)]
extern "C" {
    #[wasm_bindgen(js_name = asyncIterable)]
    fn async_iterable(o: JsValue) -> JsValue;
    #[wasm_bindgen(js_name = readableStream)]
    fn readable_stream(src: ByteSource) -> JsValue;
}

/// The chunks of one object for `open`'s ReadableStream: blocks read through a file reader, so
/// every block comes from the same version of the object and only the block in hand is held.
#[wasm_bindgen]
pub struct ByteSource {
    fs: Rc<Fs>,
    path: String,
    reader: Rc<std::cell::RefCell<Option<crate::fs::file::FileReader<AnyStore<FetchTransport>>>>>,
    pos: Rc<std::cell::Cell<u64>>,
    /// The caller's `{ signal }` of `open`.
    signal: Option<web_sys::AbortSignal>,
    /// Aborted by the stream's `cancel()`: drops the read in flight, and with it its fetch.
    stop: web_sys::AbortController,
}

#[wasm_bindgen]
impl ByteSource {
    /// The next block as a `Uint8Array`, or `undefined` at the end.
    pub fn next(&self) -> Promise {
        let (fs, path, slot, pos) = (self.fs.clone(), self.path.clone(), self.reader.clone(), self.pos.clone());
        let (signal, stop) = (self.signal.clone(), Some(self.stop.signal()));
        let read = async move {
            // Taken out while in use: the stream never asks again before an answer. Dropped
            // when cancelled, which aborts its fetch.
            let mut reader = match slot.borrow_mut().take() {
                Some(r) => r,
                None => fs.open_read(&path).await?,
            };
            let at = pos.get();
            let chunk = reader.read_at(at, 1024 * 1024).await?;
            if chunk.is_empty() {
                if at < reader.size() {
                    return Err(Error::new(ErrorKind::Integrity, format!("{path}: object ended early")));
                }
                return Ok(JsValue::UNDEFINED);
            }
            pos.set(at + chunk.len() as u64);
            *slot.borrow_mut() = Some(reader);
            Ok(Uint8Array::from(&chunk[..]).into())
        };
        let read: JsOp = Box::pin(read);
        run(signal, Box::pin(async move { abortable(&stop, read).await }))
    }

    /// Stop the read in flight (the stream was cancelled).
    pub fn cancel(&self) {
        self.stop.abort();
    }
}

type JsReader = crate::fs::file::FileReader<AnyStore<FetchTransport>>;

/// A file opened for reading (`openRead`): its size and ETag are taken once, and every range
/// is checked against that version, so a replaced object is an error, not a mix of both.
#[wasm_bindgen]
pub struct Reader {
    entry: JsValue,
    /// Taken out while a read is pending: a second read at once is refused, not interleaved.
    inner: Rc<std::cell::RefCell<Option<JsReader>>>,
}

#[wasm_bindgen]
impl Reader {
    /// The object as it was opened.
    #[wasm_bindgen(getter, unchecked_return_type = "Entry")]
    pub fn entry(&self) -> JsValue {
        self.entry.clone()
    }

    /// Bytes `[offset, offset + length)`, clamped to the object (empty past its end).
    #[wasm_bindgen(unchecked_return_type = "Promise<Uint8Array>")]
    pub fn read(&self, offset: f64, length: f64) -> Promise {
        let slot = self.inner.clone();
        run(
            None,
            Box::pin(async move {
                let mut r = slot.borrow_mut().take().ok_or_else(|| Error::invalid_input("reader is busy"))?;
                let got = r.read_at(offset.max(0.0) as u64, length.max(0.0) as u64).await;
                *slot.borrow_mut() = Some(r);
                Ok(Uint8Array::from(&got?[..]).into())
            }),
        )
    }
}

type JsWriter = crate::fs::file::FileWriter<AnyStore<FetchTransport>>;

/// An upload in progress, as `openWrite` opens it: for callers that produce the bytes in
/// pieces (the Python package's file objects). The writer decides single PUT or multipart.
#[wasm_bindgen]
pub struct Writer {
    bucket: String,
    /// Taken out while a call is pending, so a second call at once is refused, not interleaved.
    inner: Rc<std::cell::RefCell<Option<JsWriter>>>,
}

impl Writer {
    /// Run `f` on the writer, taken out of its slot meanwhile and put back after.
    fn with<F, Fut>(&self, f: F) -> Promise
    where
        F: FnOnce(JsWriter) -> Fut + 'static,
        Fut: Future<Output = (JsWriter, Result<JsValue, Error>)> + 'static,
    {
        let slot = self.inner.clone();
        run(
            None,
            Box::pin(async move {
                let w = slot.borrow_mut().take().ok_or_else(|| Error::invalid_input("writer is busy or closed"))?;
                let (w, out) = f(w).await;
                *slot.borrow_mut() = Some(w);
                out
            }),
        )
    }
}

#[wasm_bindgen]
impl Writer {
    /// Append bytes (copied at once). Parts go out as they fill; resolves when the writer can
    /// take more. One call at a time: another made while one is pending rejects.
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn write(&self, data: Uint8Array) -> Promise {
        let data = bytes::Bytes::from(data.to_vec());
        self.with(|mut w| async move {
            let r = w.write_bytes(data).await;
            (w, r.map(|_| JsValue::UNDEFINED))
        })
    }

    /// Commit the object; resolves to its entry.
    #[wasm_bindgen(unchecked_return_type = "Promise<Entry>")]
    pub fn close(&self) -> Promise {
        let bucket = self.bucket.clone();
        self.with(|mut w| async move {
            let r = w.close_meta().await;
            (w, r.map(|m| entry(&Entry::object(&bucket, m))))
        })
    }

    /// Discard what was written; a multipart upload is aborted. A writer neither closed nor
    /// aborted leaves its multipart upload on the server until it is `free()`d (which queues
    /// the abort for the next call on its `PailFs`).
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn abort(&self) -> Promise {
        self.with(|mut w| async move {
            let r = w.abort().await;
            (w, r.map(|_| JsValue::UNDEFINED))
        })
    }
}

/// What `put` uploads: a string's bytes, or an array or Blob read a slice at a time (so a large
/// array is never copied into wasm memory whole).
enum Source {
    Bytes(bytes::Bytes),
    Array(Uint8Array),
    Blob(web_sys::Blob),
}

impl Source {
    fn of(data: JsValue) -> Result<Source, JsValue> {
        if let Some(b) = data.dyn_ref::<web_sys::Blob>() {
            return Ok(Source::Blob(b.clone()));
        }
        if let Some(s) = data.as_string() {
            return Ok(Source::Bytes(s.into_bytes().into()));
        }
        if let Some(a) = data.dyn_ref::<Uint8Array>() {
            return Ok(Source::Array(a.clone()));
        }
        if data.is_instance_of::<js_sys::ArrayBuffer>() {
            return Ok(Source::Array(Uint8Array::new(&data)));
        }
        Err(js_error(Error::invalid_input("put: data must be a Uint8Array, ArrayBuffer, Blob, File or string")))
    }

    fn len(&self) -> u64 {
        match self {
            Source::Bytes(b) => b.len() as u64,
            Source::Array(a) => a.length() as u64,
            Source::Blob(b) => b.size() as u64,
        }
    }

    async fn read(&self, start: u64, end: u64) -> crate::core::error::Result<bytes::Bytes> {
        match self {
            Source::Bytes(b) => Ok(b.slice(start as usize..end as usize)),
            Source::Array(a) => Ok(a.subarray(start as u32, end as u32).to_vec().into()),
            Source::Blob(b) => {
                let failed = |e: JsValue| Error::new(crate::core::error::ErrorKind::Io, format!("reading the Blob: {e:?}"));
                let part = b.slice_with_f64_and_f64(start as f64, end as f64).map_err(failed)?;
                let buf = wasm_bindgen_futures::JsFuture::from(part.array_buffer()).await.map_err(failed)?;
                Ok(Uint8Array::new(&buf).to_vec().into())
            }
        }
    }
}

/// A listing consumed page by page (`for await (const page of fs.listPages(...))`): a prefix of
/// 100k keys is never held at once.
#[wasm_bindgen]
pub struct Listing {
    fs: Rc<Fs>,
    bucket: String,
    pager: Rc<std::cell::RefCell<ListPager>>,
    signal: Option<web_sys::AbortSignal>,
}

#[wasm_bindgen]
impl Listing {
    /// The next page: `{ done, value: [entries] }`, as an async iterator's `next()`.
    pub fn next(&self) -> Promise {
        let (fs, bucket, pager) = (self.fs.clone(), self.bucket.clone(), self.pager.clone());
        run(
            self.signal.clone(),
            Box::pin(async move {
                let Some(req) = pager.borrow().next_request().cloned() else {
                    return Ok(object(&[("done", JsValue::TRUE), ("value", JsValue::UNDEFINED)]).into());
                };
                let page = fs.store().list_page(&bucket, &req).await?;
                pager.borrow_mut().feed(&page)?;
                let entries: Array = page
                    .prefixes
                    .iter()
                    .map(|p| entry(&Entry::directory(format!("{bucket}/{}", p.trim_end_matches('/')))))
                    .chain(page.objects.into_iter().map(|o| entry(&Entry::object(&bucket, o))))
                    .collect();
                Ok(object(&[("done", JsValue::FALSE), ("value", entries.into())]).into())
            }),
        )
    }
}

/// Upload `source` to `path` through a writer, 1 MiB at a time. Progress counts what the server
/// accepted, part by part. An abort drops the writer (cancelling its requests) and sends the
/// abort of its multipart upload at once; another failure aborts the upload.
async fn upload(
    fs: &Rc<Fs>,
    path: &str,
    source: &Source,
    opts: crate::core::types::PutOptions,
    on_progress: Option<js_sys::Function>,
    signal: &Option<web_sys::AbortSignal>,
) -> Result<crate::core::types::ObjectMeta, Error> {
    let total = source.len();
    let mut w = abortable(signal, fs.open_write(path, opts)).await?;
    let sent = Rc::new(std::cell::Cell::new(0u64));
    let (counter, callback) = (sent.clone(), on_progress.clone());
    w.on_sent(move |n| {
        counter.set(counter.get() + n);
        progress(&callback, counter.get(), total);
    })?;
    let write = async {
        const CHUNK: u64 = 1024 * 1024;
        let mut done = 0;
        while done < total {
            let end = (done + CHUNK).min(total);
            w.write_bytes(source.read(done, end).await?).await?;
            done = end;
        }
        w.close_meta().await
    };
    match abortable(signal, write).await {
        Ok(meta) => {
            // An empty object sends no bytes: still say it is done.
            if total == 0 {
                progress(&on_progress, 0, 0);
            }
            Ok(meta)
        }
        Err(e) if e.kind == ErrorKind::Cancelled => {
            // A CreateMultipartUpload in flight is let finish, so that its upload id is known;
            // then dropping the writer cancels its other requests and queues the abort of its
            // upload, which is sent now rather than at the next call. That runs on its own, so
            // a Create that hangs does not hold the rejection past CLEANUP_WAIT.
            let (done, cleaned) = futures::channel::oneshot::channel::<()>();
            let fs = fs.clone();
            wasm_bindgen_futures::spawn_local(async move {
                w.settle_create().await;
                drop(w);
                let _ = fs.flush_pending().await;
                let _ = done.send(());
            });
            let timer = FetchTransport::default();
            let waited = std::pin::pin!(timer.sleep(CLEANUP_WAIT));
            futures::future::select(cleaned, waited).await;
            Err(e)
        }
        Err(e) => {
            let _ = w.abort().await;
            Err(e)
        }
    }
}

/// The entry of an object just written: from a HEAD (which has every field), else from what the
/// upload's answer said, since the write was accepted and must not be reported as failed.
async fn written(fs: &Fs, path: &str, meta: crate::core::types::ObjectMeta) -> JsValue {
    match fs.info(path).await {
        Ok(e) => entry(&e),
        Err(_) => entry(&Entry::object(&crate::fs::path::split_path(path).0, meta)),
    }
}

/// How long a cancelled put waits for its cleanup (the abort of its upload) before rejecting;
/// the cleanup goes on after that.
const CLEANUP_WAIT: Duration = Duration::from_secs(2);

/// Bytes per range request of `get`, and the step of its progress.
const GET_RANGE: u64 = 1024 * 1024;
/// Range requests of one `get` in flight at once.
const GET_CONCURRENCY: usize = 4;

/// The object was replaced during a read: mixing its versions would be silent corruption.
fn changed(bucket: &str, key: &str) -> Error {
    Error::new(ErrorKind::PreconditionFailed, format!("{bucket}/{key} changed while being read"))
}

/// The whole object, read in ranges (several in flight) each copied into the result as it lands,
/// every one checked against the ETag the object had when the read began.
async fn get_all(fs: Rc<Fs>, path: String, on_progress: Option<js_sys::Function>) -> Result<Uint8Array, Error> {
    use futures::StreamExt;
    use futures::stream;
    let (bucket, key) = crate::fs::path::split_path(&path);
    if bucket.is_empty() || key.is_empty() {
        return Err(Error::invalid_input(format!("{path:?} is not a file path (bucket/key)")));
    }
    fs.flush_pending().await?;
    let meta = fs.store().head(&bucket, &key).await?;
    let total = meta.size;
    if total > u32::MAX as u64 {
        return Err(Error::not_supported(format!("{path}: {total} bytes do not fit in one Uint8Array; read it with open()")));
    }
    let out = Uint8Array::new_with_length(total as u32);
    let etag = meta.etag;
    let fetch = |start: u64| {
        let end = (start + GET_RANGE).min(total);
        let (fs, bucket, key, etag) = (fs.clone(), bucket.clone(), key.clone(), etag.clone());
        async move {
            let range = crate::core::types::ByteRange::From { start, end: Some(end) };
            let got = fs.store().get(&bucket, &key, Some(range)).await?;
            if etag.is_some() && got.meta.etag.is_some() && got.meta.etag != etag {
                return Err(changed(&bucket, &key));
            }
            if got.data.len() as u64 != end - start {
                return Err(Error::new(
                    ErrorKind::Integrity,
                    format!("asked for {} bytes of {bucket}/{key}, got {}", end - start, got.data.len()),
                ));
            }
            Ok((start, got.data))
        }
    };
    let mut ranges = stream::iter((0..total).step_by(GET_RANGE as usize).map(fetch)).buffer_unordered(GET_CONCURRENCY);
    let mut done = 0;
    while let Some(r) = ranges.next().await {
        let (start, data) = match r {
            Ok(r) => r,
            // A range past the end of a shorter replacement.
            Err(e) if e.kind == ErrorKind::InvalidInput => {
                let now = fs.store().head(&bucket, &key).await.ok();
                return Err(if now.is_some_and(|m| m.etag != etag) { changed(&bucket, &key) } else { e });
            }
            Err(e) => return Err(e),
        };
        out.subarray(start as u32, (start + data.len() as u64) as u32).copy_from(&data);
        done += data.len() as u64;
        progress(&on_progress, done, total);
    }
    Ok(out)
}

/// A file system over the store a URL names.
#[wasm_bindgen]
pub struct PailFs {
    fs: Rc<Fs>,
    root: String,
}

#[wasm_bindgen]
impl PailFs {
    /// `new PailFs({ endpoint_url?, region?, key?, secret?, token?, anon?, timeout?, max_attempts?, ... })`:
    /// S3 (AWS, or the endpoint given). Paths passed to the verbs are `bucket/key`.
    #[wasm_bindgen(constructor)]
    pub fn new(#[wasm_bindgen(unchecked_param_type = "PailFsOptions | undefined")] options: JsValue) -> Result<PailFs, JsValue> {
        Self::connect("s3://", &options)
    }

    /// A file system for the store a URL names: `s3://bucket/key`, `memory://bucket` (a store in
    /// this tab, nothing on the network), or an https URL of AWS (virtual-hosted or path style,
    /// the region taken from the host) or of any S3-compatible endpoint. `options` win over what
    /// the URL says. Paths passed to the verbs are `bucket/key` or `s3://bucket/key`; the one
    /// the URL named is `root`.
    #[wasm_bindgen(js_name = fromUrl)]
    pub fn from_url(
        url: String,
        #[wasm_bindgen(unchecked_param_type = "PailFsOptions | undefined")] options: JsValue,
    ) -> Result<PailFs, JsValue> {
        Self::connect(&url, &options)
    }

    fn connect(url: &str, options: &JsValue) -> Result<PailFs, JsValue> {
        let opts = store_options(options).map_err(js_error)?;
        let transport = FetchTransport { timeout: opts.timeout.unwrap_or(Duration::from_secs(300)) };
        let platform = Platform { transport, clock: Arc::new(JsClock), random: Some(Arc::new(JsRandom)) };
        let opened = open_with(url, &opts, platform).map_err(js_error)?;
        Ok(PailFs { fs: Rc::new(opened.fs), root: opened.path })
    }

    /// The path the URL of `fromUrl` named, as the verbs take it: `"bucket/prefix"` for
    /// `s3://bucket/prefix`, `"bucket"`, or `""` (the constructor, a URL naming no bucket).
    #[wasm_bindgen(getter)]
    pub fn root(&self) -> String {
        self.root.clone()
    }

    /// Entries directly below `path` (`""` lists the buckets).
    #[wasm_bindgen(unchecked_return_type = "Promise<Entry[]>")]
    pub fn ls(&self, path: String, options: Option<CallOptions>) -> Promise {
        let fs = self.fs.clone();
        call(call_signal(options), async move { fs.ls(&path).await }, |v| v.iter().map(entry).collect::<Array>().into())
    }

    /// Pages of the keys below `path` (every level with `recursive`, else one level with
    /// directories), `pageSize` entries at most per page. `{ startsWith }` lists only the names
    /// in `path` that begin with it: the server filters (it is the listing's prefix), so a
    /// match deep in a 100,000-key folder costs one request, not a walk.
    #[wasm_bindgen(js_name = listPages, unchecked_return_type = "AsyncIterableIterator<Entry[]>")]
    pub fn list_pages(&self, path: String, recursive: bool, page_size: Option<u32>, options: Option<ListOptions>) -> JsValue {
        let options: JsValue = options.map_or(JsValue::UNDEFINED, Into::into);
        let (bucket, key) = crate::fs::path::split_path(&path);
        let mut prefix = if key.is_empty() { key } else { format!("{key}/") };
        prefix.push_str(&opt_str(&options, "startsWith").unwrap_or_default());
        let req = ListRequest { prefix, delimited: !recursive, max_keys: page_size, ..ListRequest::default() };
        let pager = Rc::new(std::cell::RefCell::new(ListPager::new(req)));
        let listing = Listing { fs: self.fs.clone(), bucket, pager, signal: signal(&options) };
        async_iterable(listing.into())
    }

    #[wasm_bindgen(unchecked_return_type = "Promise<Entry>")]
    pub fn info(&self, path: String, options: Option<CallOptions>) -> Promise {
        let fs = self.fs.clone();
        call(call_signal(options), async move { fs.info(&path).await }, |e| entry(&e))
    }

    #[wasm_bindgen(unchecked_return_type = "Promise<boolean>")]
    pub fn exists(&self, path: String, options: Option<CallOptions>) -> Promise {
        let fs = self.fs.clone();
        call(call_signal(options), async move { fs.exists(&path).await }, JsValue::from_bool)
    }

    /// Every file below `path`, names only.
    #[wasm_bindgen(unchecked_return_type = "Promise<string[]>")]
    pub fn find(&self, path: String, options: Option<CallOptions>) -> Promise {
        let fs = self.fs.clone();
        let op = async move { fs.find(&path, None, false).await };
        call(call_signal(options), op, |v| names(v.into_iter().map(|e| e.name).collect()))
    }

    #[wasm_bindgen(unchecked_return_type = "Promise<string[]>")]
    pub fn glob(&self, pattern: String, options: Option<CallOptions>) -> Promise {
        let fs = self.fs.clone();
        call(call_signal(options), async move { fs.glob(&pattern).await }, names)
    }

    /// Bytes `[start, end)` with Python slice rules (negative counts from the end).
    #[wasm_bindgen(unchecked_return_type = "Promise<Uint8Array>")]
    pub fn cat(&self, path: String, start: Option<f64>, end: Option<f64>, options: Option<CallOptions>) -> Promise {
        let fs = self.fs.clone();
        let op = async move { fs.cat_file(&path, start.map(|s| s as i64), end.map(|e| e as i64)).await };
        call(call_signal(options), op, |data| Uint8Array::from(&data[..]).into())
    }

    /// Write `data` to `path` (multipart past the part size); resolves to the new entry. The
    /// array is read 1 MiB at a time, as `put` reads it: do not change it before this settles.
    #[wasm_bindgen(unchecked_return_type = "Promise<Entry>")]
    pub fn pipe(&self, path: String, data: Uint8Array, options: Option<CallOptions>) -> Promise {
        let fs = self.fs.clone();
        let signal = call_signal(options);
        future_to_promise(async move {
            let meta = upload(&fs, &path, &Source::Array(data), Default::default(), None, &signal).await.map_err(js_error)?;
            Ok(written(&fs, &path, meta).await)
        })
    }

    /// Upload `data` (a `Uint8Array`, `ArrayBuffer`, string, or a `Blob`/`File`; arrays and
    /// Blobs are read 1 MiB at a time, never copied into wasm memory whole: do not change an
    /// array before this settles), multipart past the part size. `options`: `{ onProgress(done,
    /// total), signal, mode: "create", ifMatch, contentType }`, or just the progress callback.
    /// Progress is reported as the server accepts each part. A failure or an abort aborts the
    /// multipart upload.
    #[wasm_bindgen(unchecked_return_type = "Promise<Entry>")]
    pub fn put(
        &self,
        path: String,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array | ArrayBuffer | Blob | string")] data: JsValue,
        options: Option<PutOptionsArg>,
    ) -> Promise {
        let fs = self.fs.clone();
        let options: JsValue = options.map_or(JsValue::UNDEFINED, Into::into);
        let on_progress = options.dyn_ref::<js_sys::Function>().cloned().or_else(|| callback(&options, "onProgress"));
        let signal = signal(&options);
        future_to_promise(async move {
            let source = Source::of(data)?;
            let meta = upload(&fs, &path, &source, write_options(&options)?, on_progress, &signal).await.map_err(js_error)?;
            Ok(written(&fs, &path, meta).await)
        })
    }

    /// A reader for `path` (`read(offset, length)`), pinned to the version it finds.
    #[wasm_bindgen(js_name = openRead, unchecked_return_type = "Promise<Reader>")]
    pub fn open_read(&self, path: String, options: Option<CallOptions>) -> Promise {
        let fs = self.fs.clone();
        call(call_signal(options), async move { fs.open_read(&path).await.map(|r| (path, r)) }, |(path, r)| {
            let (bucket, _) = crate::fs::path::split_path(&path);
            let entry = entry(&Entry::object(&bucket, r.meta().clone()));
            Reader { entry, inner: Rc::new(std::cell::RefCell::new(Some(r))) }.into()
        })
    }

    /// A writer for `path` (`write`, then `close` to commit or `abort`): single PUT or
    /// multipart by size, as `put` does. `options`: `{ mode: "create", ifMatch, contentType }`;
    /// create-only is checked when the object is committed.
    #[wasm_bindgen(js_name = openWrite, unchecked_return_type = "Promise<Writer>")]
    pub fn open_write(&self, path: String, options: Option<WriteOptions>) -> Promise {
        let fs = self.fs.clone();
        let options: JsValue = options.map_or(JsValue::UNDEFINED, Into::into);
        future_to_promise(async move {
            let opts = write_options(&options)?;
            let w = fs.open_write(&path, opts).await.map_err(js_error)?;
            let bucket = crate::fs::path::split_path(&path).0;
            Ok(Writer { bucket, inner: Rc::new(std::cell::RefCell::new(Some(w))) }.into())
        })
    }

    /// The object as a `ReadableStream` of `Uint8Array` blocks, read as the consumer pulls:
    /// a large object is never held whole, in wasm memory or in JavaScript. Cancelling the
    /// stream (or aborting `signal`) aborts the read in flight.
    #[wasm_bindgen(unchecked_return_type = "ReadableStream<Uint8Array>")]
    pub fn open(&self, path: String, options: Option<CallOptions>) -> Result<JsValue, JsValue> {
        let stop = web_sys::AbortController::new()?;
        let signal = call_signal(options);
        let source = ByteSource { fs: self.fs.clone(), path, reader: Default::default(), pos: Default::default(), signal, stop };
        Ok(readable_stream(source))
    }

    /// The whole object as a `Uint8Array`, read in 1 MiB ranges, four at a time, each checked
    /// against the version (ETag) the object had when the read began: a replaced object is an
    /// error. `options`: `{ onProgress(done, total), signal }`; progress as each range lands.
    #[wasm_bindgen(unchecked_return_type = "Promise<Uint8Array>")]
    pub fn get(&self, path: String, options: Option<GetOptions>) -> Promise {
        let fs = self.fs.clone();
        let options: JsValue = options.map_or(JsValue::UNDEFINED, Into::into);
        let (on_progress, signal) = (callback(&options, "onProgress"), signal(&options));
        call(signal, get_all(fs, path, on_progress), Into::into)
    }

    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn rm(&self, path: String, recursive: bool, options: Option<CallOptions>) -> Promise {
        let fs = self.fs.clone();
        call(call_signal(options), async move { fs.rm(&path, recursive).await }, |_| JsValue::UNDEFINED)
    }

    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn cp(&self, src: String, dst: String, recursive: bool, options: Option<CallOptions>) -> Promise {
        let fs = self.fs.clone();
        call(call_signal(options), async move { fs.cp(&src, &dst, recursive).await }, |_| JsValue::UNDEFINED)
    }

    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn mv(&self, src: String, dst: String, recursive: bool, options: Option<CallOptions>) -> Promise {
        let fs = self.fs.clone();
        call(call_signal(options), async move { fs.mv(&src, &dst, recursive).await }, |_| JsValue::UNDEFINED)
    }

    /// Create a bucket (or make sure the bucket of a deeper path exists).
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn mkdir(&self, path: String, options: Option<CallOptions>) -> Promise {
        let fs = self.fs.clone();
        call(call_signal(options), async move { fs.mkdir(&path, true).await }, |_| JsValue::UNDEFINED)
    }

    /// A presigned GET URL valid for `expires_secs` (fsspec's `sign`).
    #[wasm_bindgen(unchecked_return_type = "Promise<string>")]
    pub fn sign(&self, path: String, expires_secs: f64, options: Option<CallOptions>) -> Promise {
        let fs = self.fs.clone();
        let op = async move { fs.sign(&path, Duration::from_secs_f64(expires_secs.max(0.0))).await };
        call(call_signal(options), op, |url| JsValue::from_str(&url))
    }

    /// What someone without credentials sends to do `method` (default "GET"; "PUT" to upload,
    /// "HEAD", "DELETE") on `path` for `expires` seconds (default 3600): `{ method, url, headers }`,
    /// `headers` being what was signed and must be sent as is.
    #[wasm_bindgen(unchecked_return_type = "Promise<Presigned>")]
    pub fn presign(&self, path: String, options: Option<PresignOptions>) -> Promise {
        let fs = self.fs.clone();
        let options: JsValue = options.map_or(JsValue::UNDEFINED, Into::into);
        let signal = signal(&options);
        run(
            signal,
            Box::pin(async move {
                let method = match opt_str(&options, "method").map(|m| m.to_ascii_uppercase()) {
                    None => crate::core::http::Method::Get,
                    Some(m) => crate::core::http::Method::parse(&m)
                        .ok_or_else(|| Error::invalid_input(format!("presign: unknown method {m:?}")))?,
                };
                let secs = Reflect::get(&options, &JsValue::from_str("expires")).ok().and_then(|v| v.as_f64()).unwrap_or(3600.0);
                let p = fs.presign(method, &path, Duration::from_secs_f64(secs.max(0.0))).await?;
                let headers = js_sys::Object::new();
                for (k, v) in &p.headers {
                    let _ = Reflect::set(&headers, &JsValue::from_str(k), &JsValue::from_str(v));
                }
                Ok(object(&[
                    ("method", JsValue::from_str(p.method.as_str())),
                    ("url", JsValue::from_str(&p.url)),
                    ("headers", headers.into()),
                    ("expires", JsValue::from_str(&p.expires.to_rfc3339())),
                ])
                .into())
            }),
        )
    }
}

/// Diagnostics for the wasm bench: parse a ListObjectsV2 body `iterations` times (the caller
/// times the call); returns the number of objects in one parse. Only in the bench build
/// (`scripts/wasm.sh bench`, feature `bench-exports`), not in the npm package.
#[cfg(feature = "bench-exports")]
#[wasm_bindgen(js_name = parseListingBench)]
pub fn parse_listing_bench(body: Uint8Array, iterations: u32) -> Result<u32, JsValue> {
    let resp = crate::core::http::Response::new(200, crate::core::http::Headers::new(), body.to_vec());
    let mut n = 0;
    for _ in 0..iterations.max(1) {
        n = crate::core::s3::parse_list_objects_v2(&resp).map_err(js_error)?.objects.len() as u32;
    }
    Ok(n)
}
