//! The wasm32 transport: the `fetch` API, found on `globalThis`, so the same code runs on a
//! page, in a web worker and in Node 20. Time comes from `Date.now()`, sleeping from
//! `setTimeout`, jitter from `Math.random()`.

use std::time::Duration;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use js_sys::{Function, Object, Promise, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use super::{BodyStream, Clock, Random, Transport};
use crate::core::error::{Error, ErrorKind, Result};
use crate::core::http::{Headers, Request, Response};

/// Headers a browser sets itself and refuses from scripts (they are still signed: the
/// browser sends the same values).
fn forbidden(name: &str) -> bool {
    matches!(name.to_ascii_lowercase().as_str(), "host" | "content-length" | "connection" | "expect")
}

fn global_fn(name: &str) -> Result<Function> {
    Reflect::get(&js_sys::global(), &JsValue::from_str(name))
        .ok()
        .and_then(|f| f.dyn_into::<Function>().ok())
        .ok_or_else(|| Error::not_supported(format!("this JavaScript environment has no global {name}()")))
}

/// A failed fetch says only "Failed to fetch"; in a browser the usual cause is CORS, which
/// scripts are not allowed to see, so say so.
fn network_error(e: JsValue, what: &str) -> Error {
    let msg = e.dyn_ref::<js_sys::Error>().map(|e| String::from(e.message())).unwrap_or_else(|| format!("{e:?}"));
    let aborted = e.dyn_ref::<js_sys::Error>().is_some_and(|e| String::from(e.name()) == "AbortError");
    let kind = if aborted { ErrorKind::Timeout } else { ErrorKind::Io };
    let hint = if aborted {
        ""
    } else {
        " (in a browser this is most often CORS: the bucket must allow this page's origin, its methods and headers, and expose ETag)"
    };
    let mut err = Error::new(kind, format!("{what}: network error: {msg}{hint}")).retryable(true);
    err.outcome_unknown = true;
    err
}

#[derive(Clone, Copy, Debug)]
pub struct FetchTransport {
    /// Abort a request (head and body) after this long.
    pub timeout: Duration,
}

impl Default for FetchTransport {
    fn default() -> Self {
        FetchTransport { timeout: Duration::from_secs(300) }
    }
}

/// Resolve after `ms` milliseconds.
fn delay(ms: f64) -> Result<Promise> {
    let set_timeout = global_fn("setTimeout")?;
    Ok(Promise::new(&mut |resolve, _| {
        let _ = set_timeout.call2(&JsValue::NULL, &resolve, &JsValue::from_f64(ms));
    }))
}

impl Transport for FetchTransport {
    type Body = FetchBody;

    async fn send_streaming(&self, req: Request) -> Result<(Response, FetchBody)> {
        let what = format!("{} {}", req.method.as_str(), req.redacted_url());
        let js = |e: JsValue| network_error(e, &what);
        let headers = web_sys::Headers::new().map_err(js)?;
        for (k, v) in req.headers.iter() {
            if !forbidden(k) {
                headers.append(k, v).map_err(js)?;
            }
        }
        let init = web_sys::RequestInit::new();
        init.set_method(req.method.as_str());
        init.set_headers(&headers);
        if !req.body.is_empty() {
            init.set_body(&Uint8Array::from(&req.body[..]));
        }
        let controller = web_sys::AbortController::new().map_err(js)?;
        init.set_signal(Some(&controller.signal()));
        // The timer aborts the whole exchange, body included.
        // A Rust closure rather than `new Function`, which pages with a strict CSP refuse.
        let abort = {
            let controller = controller.clone();
            wasm_bindgen::closure::Closure::once_into_js(move || controller.abort())
        };
        let set_timeout = global_fn("setTimeout")?;
        let timer = set_timeout.call2(&JsValue::NULL, &abort, &JsValue::from_f64(self.timeout.as_millis() as f64)).map_err(js)?;
        // From here on, dropping this future (or the body) ends the exchange.
        let exchange = Exchange { controller, timer, clear: global_fn("clearTimeout").ok() };
        let fetch = global_fn("fetch")?;
        let promise: Promise = fetch.call2(&JsValue::NULL, &JsValue::from_str(&req.url()), &init).map_err(js)?.unchecked_into();
        let resp: web_sys::Response = JsFuture::from(promise).await.map_err(js)?.unchecked_into();
        let mut out = Headers::new();
        let entries =
            js_sys::try_iter(&resp.headers()).map_err(js)?.ok_or_else(|| Error::invalid_response("headers are not iterable"))?;
        for pair in entries {
            let pair: js_sys::Array = pair.map_err(js)?.unchecked_into();
            out.append(pair.get(0).as_string().unwrap_or_default(), pair.get(1).as_string().unwrap_or_default());
        }
        let reader = match resp.body() {
            Some(stream) => Some(stream.get_reader().unchecked_into::<web_sys::ReadableStreamDefaultReader>()),
            None => None,
        };
        let head = Response::new(resp.status(), out, Bytes::new());
        Ok((head, FetchBody { reader, what, _exchange: exchange }))
    }

    async fn sleep(&self, d: Duration) {
        if let Ok(p) = delay(d.as_millis() as f64) {
            let _ = JsFuture::from(p).await;
        }
    }
}

/// A response body read from its ReadableStream, chunk by chunk: a large download is never
/// held twice.
pub struct FetchBody {
    reader: Option<web_sys::ReadableStreamDefaultReader>,
    what: String,
    _exchange: Exchange,
}

impl BodyStream for FetchBody {
    async fn chunk(&mut self) -> Result<Option<Bytes>> {
        let Some(reader) = &self.reader else { return Ok(None) };
        let next = JsFuture::from(reader.read()).await.map_err(|e| network_error(e, &self.what))?;
        let done = Reflect::get(&next, &JsValue::from_str("done")).ok().and_then(|d| d.as_bool()).unwrap_or(true);
        if done {
            self.reader = None;
            return Ok(None);
        }
        let value: Uint8Array =
            Reflect::get(&next, &JsValue::from_str("value")).map_err(|e| network_error(e, &self.what))?.unchecked_into();
        Ok(Some(Bytes::from(value.to_vec())))
    }
}

/// One fetch in flight: its AbortController and timeout timer. Dropped with the request's
/// future or its body, it clears the timer (in Node a pending timer keeps the process alive)
/// and aborts the fetch, so a cancelled operation stops using the network at once. Aborting
/// an exchange that already finished does nothing.
struct Exchange {
    controller: web_sys::AbortController,
    timer: JsValue,
    clear: Option<Function>,
}

impl Drop for Exchange {
    fn drop(&mut self) {
        if let Some(clear) = &self.clear {
            let _ = clear.call1(&JsValue::NULL, &self.timer);
        }
        self.controller.abort();
    }
}

/// `Date.now()`.
#[derive(Clone, Copy, Debug, Default)]
pub struct JsClock;

impl Clock for JsClock {
    fn now(&self) -> DateTime<Utc> {
        let ms = js_sys::Date::now() as i64;
        DateTime::from_timestamp_millis(ms).unwrap_or_default()
    }
}

/// `Math.random()`.
#[derive(Clone, Copy, Debug, Default)]
pub struct JsRandom;

impl Random for JsRandom {
    fn next_f64(&self) -> f64 {
        js_sys::Math::random()
    }
}

/// A plain JS object, for results handed to JavaScript.
pub(crate) fn object(fields: &[(&str, JsValue)]) -> Object {
    let o = Object::new();
    for (k, v) in fields {
        let _ = Reflect::set(&o, &JsValue::from_str(k), v);
    }
    o
}
