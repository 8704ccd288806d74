//! The JavaScript API (wasm-bindgen): the fsspec verbs as Promise-returning methods of
//! `PailFs`, over S3 through `fetch`. Errors reject with a JS `Error` carrying `kind`, `code`,
//! `status` and `retryable`.

use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use js_sys::{Array, Promise, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

use crate::core::creds::AwsCredentials;
use crate::core::error::Error;
use crate::core::pager::ListPager;
use crate::core::retry::RetryPolicy;
use crate::core::s3::S3Config;
use crate::core::types::ListRequest;
use crate::fs::Store;
use crate::fs::facade::{Entry, FileSystem};
use crate::fs::s3::S3Store;
use crate::transport::fetch::{FetchTransport, JsClock, JsRandom, object};

type Fs = FileSystem<S3Store<FetchTransport>>;

fn js_error(e: Error) -> JsValue {
    let err = js_sys::Error::new(&e.to_string());
    err.set_name("PailfsError");
    let set = |k: &str, v: JsValue| {
        let _ = Reflect::set(&err, &JsValue::from_str(k), &v);
    };
    set("kind", JsValue::from_str(&format!("{:?}", e.kind)));
    set("code", e.code.as_deref().map_or(JsValue::NULL, JsValue::from_str));
    set("status", e.status.map_or(JsValue::NULL, |s| JsValue::from_f64(s.into())));
    set("retryable", JsValue::from_bool(e.retryable));
    err.into()
}

fn opt_str(o: &JsValue, k: &str) -> Option<String> {
    Reflect::get(o, &JsValue::from_str(k)).ok().and_then(|v| v.as_string()).filter(|s| !s.is_empty())
}

fn entry(e: &Entry) -> JsValue {
    let meta = e.meta.as_ref();
    object(&[
        ("name", JsValue::from_str(&e.name)),
        ("type", JsValue::from_str(if e.is_dir() { "directory" } else { "file" })),
        ("size", JsValue::from_f64(e.size as f64)),
        ("etag", meta.and_then(|m| m.etag.as_deref()).map_or(JsValue::NULL, JsValue::from_str)),
        ("lastModified", meta.and_then(|m| m.last_modified).map_or(JsValue::NULL, |t| JsValue::from_str(&t.to_rfc3339()))),
    ])
    .into()
}

fn names(v: Vec<String>) -> JsValue {
    v.iter().map(|s| JsValue::from_str(s)).collect::<Array>().into()
}

#[wasm_bindgen(
    inline_js = "export function asyncIterable(o) { o[Symbol.asyncIterator] = function () { return this; }; return o; }"
)]
extern "C" {
    #[wasm_bindgen(js_name = asyncIterable)]
    fn async_iterable(o: JsValue) -> JsValue;
}

/// A listing consumed page by page (`for await (const page of fs.listPages(...))`): a prefix of
/// 100k keys is never held at once.
#[wasm_bindgen]
pub struct Listing {
    fs: Rc<Fs>,
    bucket: String,
    pager: Rc<std::cell::RefCell<ListPager>>,
}

#[wasm_bindgen]
impl Listing {
    /// The next page: `{ done, value: [entries] }`, as an async iterator's `next()`.
    pub fn next(&self) -> Promise {
        let (fs, bucket, pager) = (self.fs.clone(), self.bucket.clone(), self.pager.clone());
        future_to_promise(async move {
            let Some(req) = pager.borrow().next_request().cloned() else {
                return Ok(object(&[("done", JsValue::TRUE), ("value", JsValue::UNDEFINED)]).into());
            };
            let page = fs.store().list_page(&bucket, &req).await.map_err(js_error)?;
            pager.borrow_mut().feed(&page).map_err(js_error)?;
            let entries: Array = page
                .prefixes
                .iter()
                .map(|p| entry(&Entry::directory(format!("{bucket}/{}", p.trim_end_matches('/')))))
                .chain(page.objects.into_iter().map(|o| entry(&Entry::object(&bucket, o))))
                .collect();
            Ok(object(&[("done", JsValue::FALSE), ("value", entries.into())]).into())
        })
    }
}

/// A file system over one S3 endpoint.
#[wasm_bindgen]
pub struct PailFs {
    fs: Rc<Fs>,
}

#[wasm_bindgen]
impl PailFs {
    /// `new PailFs({ endpoint?, region?, accessKeyId?, secretAccessKey?, sessionToken?, timeoutMs?, maxAttempts? })`.
    /// Without keys, requests go unsigned (public buckets). Without an endpoint, AWS.
    #[wasm_bindgen(constructor)]
    pub fn new(options: JsValue) -> Result<PailFs, JsValue> {
        let region = opt_str(&options, "region").unwrap_or_else(|| "us-east-1".into());
        let config = match opt_str(&options, "endpoint") {
            Some(e) => S3Config::custom(&e, &region).map_err(js_error)?,
            None => S3Config::aws(&region),
        };
        let creds = match (opt_str(&options, "accessKeyId"), opt_str(&options, "secretAccessKey")) {
            (Some(id), Some(secret)) => {
                let mut c = AwsCredentials::new(id, secret);
                c.session_token = opt_str(&options, "sessionToken").map(Into::into);
                Some(c)
            }
            _ => None,
        };
        let timeout = Reflect::get(&options, &JsValue::from_str("timeoutMs")).ok().and_then(|v| v.as_f64()).unwrap_or(300_000.0);
        let transport = FetchTransport { timeout: Duration::from_millis(timeout as u64) };
        let mut retry = RetryPolicy::default();
        if let Some(n) = Reflect::get(&options, &JsValue::from_str("maxAttempts")).ok().and_then(|v| v.as_f64()) {
            retry.max_attempts = (n as u32).max(1);
        }
        let store = S3Store::new(config, creds, transport, Arc::new(JsClock)).with_random(Arc::new(JsRandom)).with_retry(retry);
        Ok(PailFs { fs: Rc::new(FileSystem::new(store)) })
    }

    /// Entries directly below `path` (`""` lists the buckets).
    pub fn ls(&self, path: String) -> Promise {
        let fs = self.fs.clone();
        future_to_promise(async move {
            let v = fs.ls(&path).await.map_err(js_error)?;
            Ok(v.iter().map(entry).collect::<Array>().into())
        })
    }

    /// Pages of the keys below `path` (every level with `recursive`, else one level with
    /// directories), `pageSize` entries at most per page.
    #[wasm_bindgen(js_name = listPages)]
    pub fn list_pages(&self, path: String, recursive: bool, page_size: Option<u32>) -> JsValue {
        let (bucket, key) = crate::fs::path::split_path(&path);
        let prefix = if key.is_empty() { key } else { format!("{key}/") };
        let req = ListRequest { prefix, delimited: !recursive, max_keys: page_size, ..ListRequest::default() };
        let listing = Listing { fs: self.fs.clone(), bucket, pager: Rc::new(std::cell::RefCell::new(ListPager::new(req))) };
        async_iterable(listing.into())
    }

    pub fn info(&self, path: String) -> Promise {
        let fs = self.fs.clone();
        future_to_promise(async move { Ok(entry(&fs.info(&path).await.map_err(js_error)?)) })
    }

    pub fn exists(&self, path: String) -> Promise {
        let fs = self.fs.clone();
        future_to_promise(async move { Ok(JsValue::from_bool(fs.exists(&path).await.map_err(js_error)?)) })
    }

    /// Every file below `path`, names only.
    pub fn find(&self, path: String) -> Promise {
        let fs = self.fs.clone();
        future_to_promise(async move {
            let v = fs.find(&path, None, false).await.map_err(js_error)?;
            Ok(names(v.into_iter().map(|e| e.name).collect()))
        })
    }

    pub fn glob(&self, pattern: String) -> Promise {
        let fs = self.fs.clone();
        future_to_promise(async move { Ok(names(fs.glob(&pattern).await.map_err(js_error)?)) })
    }

    /// Bytes `[start, end)` with Python slice rules (negative counts from the end).
    pub fn cat(&self, path: String, start: Option<f64>, end: Option<f64>) -> Promise {
        let fs = self.fs.clone();
        future_to_promise(async move {
            let data = fs.cat_file(&path, start.map(|s| s as i64), end.map(|e| e as i64)).await.map_err(js_error)?;
            Ok(Uint8Array::from(&data[..]).into())
        })
    }

    /// Write `data` to `path` (multipart past the part size); resolves to the new entry.
    pub fn pipe(&self, path: String, data: Uint8Array) -> Promise {
        let fs = self.fs.clone();
        let data = bytes::Bytes::from(data.to_vec());
        future_to_promise(async move {
            fs.pipe(&path, data).await.map_err(js_error)?;
            Ok(entry(&fs.info(&path).await.map_err(js_error)?))
        })
    }

    /// Upload `data` through a file writer (multipart past the part size), calling
    /// `onProgress(bytesSent, total)` as parts complete. A failure aborts the upload.
    pub fn put(&self, path: String, data: Uint8Array, on_progress: Option<js_sys::Function>) -> Promise {
        let fs = self.fs.clone();
        let data = bytes::Bytes::from(data.to_vec());
        future_to_promise(async move {
            let total = data.len();
            let mut w = fs.open_write(&path, Default::default()).await.map_err(js_error)?;
            let report = |done: usize| {
                if let Some(f) = &on_progress {
                    let _ = f.call2(&JsValue::NULL, &JsValue::from_f64(done as f64), &JsValue::from_f64(total as f64));
                }
            };
            const CHUNK: usize = 1024 * 1024;
            let mut done = 0;
            while done < total {
                let end = (done + CHUNK).min(total);
                if let Err(e) = w.write_bytes(data.slice(done..end)).await {
                    let _ = w.abort().await;
                    return Err(js_error(e));
                }
                done = end;
                report(done);
            }
            w.close_meta().await.map_err(js_error)?;
            report(total);
            Ok(entry(&fs.info(&path).await.map_err(js_error)?))
        })
    }

    pub fn rm(&self, path: String, recursive: bool) -> Promise {
        let fs = self.fs.clone();
        future_to_promise(async move {
            fs.rm(&path, recursive).await.map_err(js_error)?;
            Ok(JsValue::UNDEFINED)
        })
    }

    pub fn cp(&self, src: String, dst: String, recursive: bool) -> Promise {
        let fs = self.fs.clone();
        future_to_promise(async move {
            fs.cp(&src, &dst, recursive).await.map_err(js_error)?;
            Ok(JsValue::UNDEFINED)
        })
    }

    pub fn mv(&self, src: String, dst: String, recursive: bool) -> Promise {
        let fs = self.fs.clone();
        future_to_promise(async move {
            fs.mv(&src, &dst, recursive).await.map_err(js_error)?;
            Ok(JsValue::UNDEFINED)
        })
    }

    /// Create a bucket (or make sure the bucket of a deeper path exists).
    pub fn mkdir(&self, path: String) -> Promise {
        let fs = self.fs.clone();
        future_to_promise(async move {
            fs.mkdir(&path, true).await.map_err(js_error)?;
            Ok(JsValue::UNDEFINED)
        })
    }

    /// A presigned GET URL valid for `expires_secs`.
    pub fn sign(&self, path: String, expires_secs: f64) -> Result<String, JsValue> {
        self.fs.sign(&path, Duration::from_secs_f64(expires_secs)).map_err(js_error)
    }
}

/// Diagnostics for the wasm bench: parse a ListObjectsV2 body `iterations` times (the caller
/// times the call); returns the number of objects in one parse.
#[wasm_bindgen(js_name = parseListingBench)]
pub fn parse_listing_bench(body: Uint8Array, iterations: u32) -> Result<u32, JsValue> {
    let resp = crate::core::http::Response::new(200, crate::core::http::Headers::new(), body.to_vec());
    let mut n = 0;
    for _ in 0..iterations.max(1) {
        n = crate::core::s3::parse_list_objects_v2(&resp).map_err(js_error)?.objects.len() as u32;
    }
    Ok(n)
}
