//! One parser per JSON API answer, and the mapping of GCS errors to [`ErrorKind`].

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use md5::{Digest, Md5};
use serde_json::Value;

use crate::core::error::{Error, ErrorKind, Result};
use crate::core::http::{ContentRange, Response};
use crate::core::types::{BucketInfo, ChunkAck, Copied, DeleteFailure, ListPage, ObjectMeta};

fn invalid(msg: impl Into<String>) -> Error {
    Error::invalid_response(msg)
}

/// The base64 of the big-endian CRC32C of `data`, as GCS writes `crc32c` and `x-goog-hash`.
pub fn crc32c_base64(data: &[u8]) -> String {
    B64.encode(crc32c::crc32c(data).to_be_bytes())
}

/// The base64 MD5 of `data`, as GCS writes `md5Hash`.
pub fn md5_base64(data: &[u8]) -> String {
    B64.encode(Md5::digest(data))
}

fn json(resp: &Response) -> Result<Value> {
    serde_json::from_slice(&resp.body).map_err(|e| invalid(format!("GCS answered unreadable JSON: {e}")))
}

/// A JSON API integer: GCS writes 64-bit values as strings (`"size": "56535"`).
fn int(v: &Value, field: &str) -> Result<Option<u64>> {
    match v.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => s.parse().map(Some).map_err(|_| invalid(format!("bad {field} {s:?}"))),
        Some(Value::Number(n)) => n.as_u64().map(Some).ok_or_else(|| invalid(format!("bad {field} {n}"))),
        Some(other) => Err(invalid(format!("bad {field} {other}"))),
    }
}

fn text<'a>(v: &'a Value, field: &str) -> Option<&'a str> {
    v.get(field).and_then(Value::as_str).filter(|s| !s.is_empty())
}

fn time(v: &Value, field: &str) -> Result<Option<DateTime<Utc>>> {
    text(v, field)
        .map(|s| {
            DateTime::parse_from_rfc3339(s).map(|t| t.with_timezone(&Utc)).map_err(|_| invalid(format!("bad {field} {s:?}")))
        })
        .transpose()
}

/// What pailfs tells of an object: its name, size, generation (as both `etag` and `version`:
/// see the module docs), update time, content type and storage class.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GcsObject {
    pub meta: ObjectMeta,
    /// Base64 MD5 of the content; absent for composite objects.
    pub md5: Option<String>,
    /// Base64 big-endian CRC32C of the content.
    pub crc32c: Option<String>,
}

impl GcsObject {
    /// Whether this is `key` holding exactly `data`: the size and at least one stored hash agree.
    pub fn holds(&self, key: &str, data: &[u8]) -> bool {
        (self.md5.is_some() || self.crc32c.is_some()) && check_written(key, self, data).is_ok()
    }
}

/// An object resource (`storage#object`).
pub fn object_from_json(v: &Value) -> Result<GcsObject> {
    let name = text(v, "name").ok_or_else(|| invalid("object resource without a name"))?;
    // Proto3's JSON form leaves zeros out: an empty object may come without `size`
    // (storage-testbench does this).
    let size = int(v, "size")?.unwrap_or(0);
    let mut m = ObjectMeta::new(name, size);
    let generation = int(v, "generation")?.map(|g| g.to_string());
    m.etag = generation.clone();
    m.version = generation;
    m.last_modified = time(v, "updated")?;
    m.content_type = text(v, "contentType").map(str::to_string);
    m.storage_class = text(v, "storageClass").map(str::to_string);
    m.metadata = user_metadata(v)?;
    Ok(GcsObject { meta: m, md5: text(v, "md5Hash").map(str::to_string), crc32c: text(v, "crc32c").map(str::to_string) })
}

/// The object's `metadata` (user metadata: string values, names as stored, since JSON keeps
/// their case), sorted by name.
fn user_metadata(v: &Value) -> Result<Vec<(String, String)>> {
    let Some(md) = v.get("metadata").filter(|m| !m.is_null()) else { return Ok(Vec::new()) };
    let md = md.as_object().ok_or_else(|| invalid("`metadata` is not an object"))?;
    let mut out = md
        .iter()
        .map(|(k, v)| {
            v.as_str().map(|s| (k.clone(), s.to_string())).ok_or_else(|| invalid(format!("metadata {k:?} is not a string")))
        })
        .collect::<Result<Vec<_>>>()?;
    out.sort();
    Ok(out)
}

/// objects.get (metadata).
pub fn parse_object(resp: &Response) -> Result<GcsObject> {
    object_from_json(&json(resp)?)
}

/// objects.list. With `start_after` (a first page asked with `startOffset`, which is
/// inclusive) that name itself is left out.
pub fn parse_list_objects(resp: &Response, start_after: Option<&str>) -> Result<ListPage> {
    let v = json(resp)?;
    let mut page = ListPage::default();
    if let Some(items) = v.get("items") {
        let items = items.as_array().ok_or_else(|| invalid("`items` is not a list"))?;
        for item in items {
            let o = object_from_json(item)?.meta;
            if Some(o.key.as_str()) != start_after {
                page.objects.push(o);
            }
        }
    }
    if let Some(prefixes) = v.get("prefixes") {
        let prefixes = prefixes.as_array().ok_or_else(|| invalid("`prefixes` is not a list"))?;
        for p in prefixes {
            page.prefixes.push(p.as_str().ok_or_else(|| invalid("a prefix is not a string"))?.to_string());
        }
    }
    page.next_token = text(&v, "nextPageToken").map(str::to_string);
    Ok(page)
}

/// buckets.list.
pub fn parse_list_buckets(resp: &Response) -> Result<(Vec<BucketInfo>, Option<String>)> {
    let v = json(resp)?;
    let next = text(&v, "nextPageToken").map(str::to_string);
    let Some(items) = v.get("items") else { return Ok((Vec::new(), next)) };
    let items = items.as_array().ok_or_else(|| invalid("`items` is not a list"))?;
    let buckets = items
        .iter()
        .map(|b| {
            let name = text(b, "name").ok_or_else(|| invalid("bucket resource without a name"))?;
            Ok(BucketInfo { name: name.to_string(), created: time(b, "timeCreated")? })
        })
        .collect::<Result<_>>()?;
    Ok((buckets, next))
}

/// buckets.insert, asked to also take 409: a bucket that exists is `AlreadyExists` (the
/// status alone says so for this call; elsewhere a 409 is a conflict).
pub fn parse_create_bucket(resp: &Response) -> Result<()> {
    if resp.status == 409 {
        let mut e = parse_error(resp);
        e.kind = ErrorKind::AlreadyExists;
        return Err(e);
    }
    Ok(())
}

/// The values of `x-goog-hash: crc32c=...,md5=...`.
fn goog_hash<'a>(resp: &'a Response, algo: &str) -> Option<&'a str> {
    resp.headers
        .get_all("x-goog-hash")
        .flat_map(|v| v.split(','))
        .filter_map(|p| p.trim().split_once('='))
        .find(|(k, _)| k.eq_ignore_ascii_case(algo))
        .map(|(_, v)| v.trim())
}

/// Whether the bytes are the stored ones: a decompressive transcode serves others, which the
/// stored hashes do not describe.
fn served_as_stored(resp: &Response) -> bool {
    resp.headers.get("x-guploader-response-body-transformations").is_none()
        && resp.headers.get("content-encoding").is_none_or(|e| e.trim().eq_ignore_ascii_case("identity"))
}

fn integrity(msg: String) -> Error {
    Error::new(ErrorKind::Integrity, msg).retryable(true)
}

/// A media download: metadata from the head (`x-goog-generation` is the etag and version; the
/// size is the object's) and the bytes. A body shorter or longer than announced, or a whole
/// object whose CRC32C or MD5 differs from `x-goog-hash`, is an `Integrity` error.
pub fn parse_get_media(key: &str, resp: &Response) -> Result<(ObjectMeta, Bytes)> {
    let h = &resp.headers;
    let len = resp.body.len() as u64;
    let mut m = ObjectMeta::new(key, len);
    let generation = h.get("x-goog-generation").map(str::trim).filter(|g| !g.is_empty()).map(str::to_string);
    m.etag = generation.clone();
    m.version = generation;
    m.content_type = h.get("content-type").map(str::to_string);
    m.storage_class = h.get("x-goog-storage-class").map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
    m.last_modified =
        h.get("last-modified").and_then(|t| DateTime::parse_from_rfc2822(t.trim()).ok()).map(|t| t.with_timezone(&Utc));
    if let Some(cl) = h.get("content-length") {
        let cl: u64 = cl.trim().parse().map_err(|_| invalid(format!("bad Content-Length {cl:?}")))?;
        if cl != len {
            return Err(integrity(format!("{key}: announced {cl} bytes, received {len}")));
        }
    }
    if resp.status == 206 {
        let cr = h.get("content-range").ok_or_else(|| invalid(format!("{key}: partial answer without Content-Range")))?;
        let span = ContentRange::parse(cr)?;
        if span.end - span.start != len {
            return Err(integrity(format!("{key}: range {}-{} but {len} bytes received", span.start, span.end - 1)));
        }
        m.size = span.total.unwrap_or(span.end);
    } else if served_as_stored(resp) {
        if let Some(want) = goog_hash(resp, "crc32c") {
            let got = crc32c_base64(&resp.body);
            if got != want {
                return Err(integrity(format!("{key}: CRC32C {got} does not match the stored {want}")));
            }
        }
        if let Some(want) = goog_hash(resp, "md5") {
            let got = md5_base64(&resp.body);
            if got != want {
                return Err(integrity(format!("{key}: MD5 {got} does not match the stored {want}")));
            }
        }
    }
    Ok((m, resp.body.clone()))
}

/// Check the object a write made against the bytes sent: size, then the CRC32C and MD5 GCS
/// computed. (The JSON API takes no checksum header on a media upload; a mismatch found here
/// is reported, the stored object is what GCS received.)
pub fn check_written(key: &str, obj: &GcsObject, data: &[u8]) -> Result<()> {
    if obj.meta.key != key {
        return Err(invalid(format!("wrote {key:?} but GCS answered for {:?}", obj.meta.key)));
    }
    if obj.meta.size != data.len() as u64 {
        return Err(integrity(format!("{key}: sent {} bytes, GCS stored {}", data.len(), obj.meta.size)));
    }
    if let Some(want) = &obj.crc32c
        && *want != crc32c_base64(data)
    {
        return Err(integrity(format!("{key}: GCS stored CRC32C {want}, not the one sent")));
    }
    if let Some(want) = &obj.md5
        && *want != md5_base64(data)
    {
        return Err(integrity(format!("{key}: GCS stored MD5 {want}, not the one sent")));
    }
    Ok(())
}

/// objects.insert (media) of `data`.
pub fn parse_insert(key: &str, data: &[u8], resp: &Response) -> Result<ObjectMeta> {
    let obj = parse_object(resp)?;
    check_written(key, &obj, data)?;
    Ok(obj.meta)
}

/// objects.rewrite: done, or (a large or cross-location object) to be called again with the
/// `rewriteToken`.
pub fn parse_rewrite(resp: &Response) -> Result<Copied> {
    let v = json(resp)?;
    match v.get("done").and_then(Value::as_bool) {
        Some(true) => Ok(Copied::Done),
        Some(false) => match v.get("rewriteToken").and_then(Value::as_str).filter(|t| !t.is_empty()) {
            Some(t) => Ok(Copied::Again(t.to_string())),
            None => Err(invalid("an unfinished rewrite answer without `rewriteToken`")),
        },
        None => Err(invalid("rewrite answer without `done`")),
    }
}

/// objects.delete of `key`, asked to also take 404: an object already gone is no failure.
pub fn parse_delete(_resp: &Response) -> Result<Vec<DeleteFailure>> {
    Ok(Vec::new())
}

/// A new resumable session: its URI, from `Location`.
pub fn parse_start_resumable(resp: &Response) -> Result<String> {
    let loc = resp.headers.get("location").map(str::trim).filter(|l| !l.is_empty());
    loc.map(str::to_string).ok_or_else(|| invalid("a resumable upload was started but no session URI (Location) came back"))
}

/// A session's answer to a chunk or an offset query: 308 with `Range: bytes=0-N` (the first
/// N + 1 bytes are kept; no Range: none), or 200/201 with the object made.
pub fn parse_chunk_ack(resp: &Response) -> Result<ChunkAck> {
    if resp.status == 308 {
        let committed = match resp.headers.get("range").map(str::trim) {
            None | Some("") => 0,
            Some(r) => {
                let bad = || invalid(format!("bad committed Range {r:?}"));
                let span = r.strip_prefix("bytes=").ok_or_else(bad)?;
                let (first, last) = span.split_once('-').ok_or_else(bad)?;
                let last: u64 = last.trim().parse().map_err(|_| bad())?;
                if first.trim() != "0" || last == u64::MAX {
                    return Err(bad());
                }
                last + 1
            }
        };
        return Ok(ChunkAck { committed, object: None });
    }
    let obj = parse_object(resp)?;
    Ok(ChunkAck { committed: obj.meta.size, object: Some(obj.meta) })
}

/// A cancelled session: GCS answers 499 (asked to take it); a 2xx is as good.
pub fn parse_cancel(_resp: &Response) -> Result<()> {
    Ok(())
}

/// The kind a status maps to (refined by the first error's `reason`), and whether a retry may help.
fn classify(status: u16, reason: Option<&str>) -> (ErrorKind, bool) {
    use ErrorKind::*;
    match (status, reason) {
        (_, Some("rateLimitExceeded" | "userRateLimitExceeded" | "backendError" | "internalError")) => (Service, true),
        (409, Some("alreadyExists")) => (AlreadyExists, false),
        (404, _) => (NotFound, false),
        (412, _) => (PreconditionFailed, false),
        (401 | 403, _) => (PermissionDenied, false),
        (409, _) => (Conflict, false),
        (304, _) => (PreconditionFailed, false),
        (400 | 411 | 413 | 414 | 416, _) => (InvalidInput, false),
        (405 | 501, _) => (NotSupported, false),
        (408 | 429 | 500..=599, _) => (Service, true),
        _ => (Service, false),
    }
}

/// The message inside an error envelope. Some servers (storage-testbench) put another
/// envelope, as JSON text, in `message`: its first error's message is the useful one.
fn message_of(err: &Value) -> Option<String> {
    let msg = text(err, "message")?;
    if let Ok(inner) = serde_json::from_str::<Value>(msg) {
        let inner = inner.get("error").unwrap_or(&inner);
        let first = inner.get("errors").and_then(|e| e.get(0));
        if let Some(m) = first.and_then(|f| text(f, "message")).or_else(|| text(inner, "message")) {
            return Some(m.to_string());
        }
    }
    Some(msg.to_string())
}

/// The typed error of a non-2xx answer: `{"error": {"code", "message", "errors": [{"reason"}]}}`
/// typed by status and reason. Never fails: an unreadable body still yields an error typed by
/// its status.
pub fn parse_error(resp: &Response) -> Error {
    let v: Option<Value> = serde_json::from_slice(&resp.body).ok();
    let err = v.as_ref().and_then(|v| v.get("error")).filter(|e| e.is_object());
    let reason = err.and_then(|e| e.get("errors")).and_then(|e| e.get(0)).and_then(|f| text(f, "reason")).map(str::to_string);
    let (kind, retryable) = classify(resp.status, reason.as_deref());
    let message = match err.and_then(message_of) {
        Some(m) => m,
        None if resp.body.is_empty() => format!("GCS answered HTTP {} with no body", resp.status),
        None => {
            let plain = std::str::from_utf8(&resp.body).ok().map(str::trim).filter(|t| !t.is_empty() && t.len() <= 200);
            match plain {
                Some(t) if !t.starts_with('<') && !t.starts_with('{') => t.to_string(),
                _ => format!("GCS answered HTTP {} with an unreadable error body", resp.status),
            }
        }
    };
    let mut e = Error::new(kind, message).with_status(resp.status).retryable(retryable);
    if let Some(r) = reason {
        e = e.with_code(r);
    }
    e.retry_after =
        resp.headers.get("retry-after").and_then(|v| v.trim().parse::<u64>().ok()).map(std::time::Duration::from_secs);
    if let Some(id) = resp.headers.get("x-guploader-uploadid").map(str::trim).filter(|i| !i.is_empty()) {
        e = e.with_request_id(id);
    }
    e
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::http::Headers;

    fn resp(status: u16, headers: &[(&str, &str)], body: impl Into<Bytes>) -> Response {
        let mut h = Headers::new();
        for (k, v) in headers {
            h.set(*k, *v);
        }
        Response::new(status, h, body)
    }

    const OBJ: &str = r#"{"kind":"storage#object","name":"d/k","bucket":"b","generation":"1700","size":"5",
        "updated":"2024-01-02T03:04:05.678Z","contentType":"text/plain","storageClass":"STANDARD",
        "md5Hash":"XUFAKrxLKna5cZ2REBfFkg==","crc32c":"mnG7TA==","etag":"CKWasoTgyPkCEAE="}"#;

    #[test]
    fn objects_carry_their_generation_as_etag_and_version() {
        let o = parse_object(&resp(200, &[], OBJ)).unwrap();
        let m = &o.meta;
        assert_eq!((m.key.as_str(), m.size, m.etag.as_deref(), m.version.as_deref()), ("d/k", 5, Some("1700"), Some("1700")));
        assert_eq!(m.last_modified.unwrap().to_rfc3339(), "2024-01-02T03:04:05.678+00:00");
        assert_eq!((m.content_type.as_deref(), m.storage_class.as_deref()), (Some("text/plain"), Some("STANDARD")));
        assert_eq!((o.md5.as_deref(), o.crc32c.as_deref()), (Some("XUFAKrxLKna5cZ2REBfFkg=="), Some("mnG7TA==")));
        assert_eq!(parse_object(&resp(200, &[], r#"{"name":"x"}"#)).unwrap().meta.size, 0);
        for bad in [r#"{"size":"1"}"#, r#"{"name":"x","size":"-1"}"#, r#"{"name":"x","size":true}"#, "nope"] {
            assert_eq!(parse_object(&resp(200, &[], bad)).unwrap_err().kind, ErrorKind::InvalidResponse, "{bad}");
        }
        // Numbers are accepted as numbers too.
        assert_eq!(parse_object(&resp(200, &[], r#"{"name":"x","size":3}"#)).unwrap().meta.size, 3);
    }

    #[test]
    fn writes_are_checked_against_what_was_sent() {
        assert_eq!(md5_base64(b"hello"), "XUFAKrxLKna5cZ2REBfFkg==");
        assert_eq!(crc32c_base64(b"hello"), "mnG7TA==");
        assert!(parse_insert("d/k", b"hello", &resp(200, &[], OBJ)).is_ok());
        assert_eq!(parse_insert("d/k", b"hellO", &resp(200, &[], OBJ)).unwrap_err().kind, ErrorKind::Integrity);
        assert_eq!(parse_insert("d/k", b"hello!", &resp(200, &[], OBJ)).unwrap_err().kind, ErrorKind::Integrity);
        assert_eq!(parse_insert("other", b"hello", &resp(200, &[], OBJ)).unwrap_err().kind, ErrorKind::InvalidResponse);
    }

    #[test]
    fn listing_drops_the_inclusive_start_offset() {
        let body = r#"{"items":[{"name":"a","size":"1"},{"name":"b","size":"2"}],"prefixes":["p/"],"nextPageToken":"t"}"#;
        let p = parse_list_objects(&resp(200, &[], body), Some("a")).unwrap();
        assert_eq!(p.objects.iter().map(|o| o.key.as_str()).collect::<Vec<_>>(), ["b"]);
        assert_eq!((p.prefixes.as_slice(), p.next_token.as_deref()), (&["p/".to_string()][..], Some("t")));
        let p = parse_list_objects(&resp(200, &[], body), None).unwrap();
        assert_eq!(p.objects.len(), 2);
        let p = parse_list_objects(&resp(200, &[], r#"{"kind":"storage#objects"}"#), None).unwrap();
        assert_eq!(p, ListPage::default());
        assert!(parse_list_objects(&resp(200, &[], r#"{"items":{}}"#), None).is_err());
        assert!(parse_list_objects(&resp(200, &[], r#"{"prefixes":[1]}"#), None).is_err());
    }

    #[test]
    fn buckets() {
        let body = r#"{"items":[{"name":"b1","timeCreated":"2026-12-01T14:38:25.407105Z"},{"name":"b2"}]}"#;
        let (b, next) = parse_list_buckets(&resp(200, &[], body)).unwrap();
        assert_eq!((b[0].name.as_str(), b[1].name.as_str(), b[1].created, next), ("b1", "b2", None, None));
        assert!(b[0].created.is_some());
        assert_eq!(parse_list_buckets(&resp(200, &[], "{}")).unwrap(), (vec![], None));
        let (b, next) = parse_list_buckets(&resp(200, &[], r#"{"items":[{"name":"b3"}],"nextPageToken":"n"}"#)).unwrap();
        assert_eq!((b.len(), next.as_deref()), (1, Some("n")));
        assert!(parse_create_bucket(&resp(200, &[], "{}")).is_ok());
        assert_eq!(parse_create_bucket(&resp(409, &[], r#"{"error":{"code":409}}"#)).unwrap_err().kind, ErrorKind::AlreadyExists);
    }

    #[test]
    fn media_reads_are_checked() {
        let hash = format!("crc32c={},md5={}", crc32c_base64(b"hello"), md5_base64(b"hello"));
        let h =
            [("x-goog-hash", hash.as_str()), ("x-goog-generation", "17"), ("content-length", "5"), ("x-goog-storage-class", "")];
        let (m, data) = parse_get_media("k", &resp(200, &h, "hello")).unwrap();
        assert_eq!((m.size, &data[..], m.etag.as_deref(), m.storage_class), (5, &b"hello"[..], Some("17"), None));
        let e = parse_get_media("k", &resp(200, &h, "hellO")).unwrap_err();
        assert!(e.kind == ErrorKind::Integrity && e.retryable && e.message.contains("CRC32C"), "{e:?}");
        let md5_only = format!("md5={}", md5_base64(b"hello"));
        let e = parse_get_media("k", &resp(200, &[("x-goog-hash", md5_only.as_str())], "hellO")).unwrap_err();
        assert!(e.message.contains("MD5"), "{e:?}");
        assert_eq!(parse_get_media("k", &resp(200, &h, "hell")).unwrap_err().kind, ErrorKind::Integrity);
        // A transcoded body is not what the hashes describe.
        let gz = [("x-goog-hash", hash.as_str()), ("x-guploader-response-body-transformations", "gunzipped")];
        assert!(parse_get_media("k", &resp(200, &gz, "other bytes")).is_ok());
        // A range: the size is the object's, the hashes (of the whole object) are not checked.
        let r = [("content-range", "bytes 1-3/5"), ("content-length", "3"), ("x-goog-hash", hash.as_str())];
        let (m, data) = parse_get_media("k", &resp(206, &r, "ell")).unwrap();
        assert_eq!((m.size, &data[..]), (5, &b"ell"[..]));
        assert_eq!(parse_get_media("k", &resp(206, &r[..1], "el")).unwrap_err().kind, ErrorKind::Integrity);
        assert_eq!(parse_get_media("k", &resp(206, &[], "el")).unwrap_err().kind, ErrorKind::InvalidResponse);
    }

    #[test]
    fn chunk_acks() {
        let a = parse_chunk_ack(&resp(308, &[("range", "bytes=0-262143")], "")).unwrap();
        assert_eq!(a, ChunkAck { committed: 262_144, object: None });
        assert_eq!(parse_chunk_ack(&resp(308, &[], "")).unwrap().committed, 0);
        for bad in ["bytes=5-9", "0-9", "bytes=0-x", "bytes=0-18446744073709551615"] {
            assert_eq!(parse_chunk_ack(&resp(308, &[("range", bad)], "")).unwrap_err().kind, ErrorKind::InvalidResponse, "{bad}");
        }
        let done = parse_chunk_ack(&resp(200, &[], OBJ)).unwrap();
        assert_eq!((done.committed, done.object.map(|o| o.etag)), (5, Some(Some("1700".into()))));
        assert!(parse_chunk_ack(&resp(200, &[], "")).is_err());
        assert_eq!(
            parse_start_resumable(&resp(200, &[("location", "http://h/upload?upload_id=1")], "")).unwrap(),
            "http://h/upload?upload_id=1"
        );
        assert!(parse_start_resumable(&resp(200, &[], "")).is_err());
    }

    #[test]
    fn rewrites() {
        assert_eq!(parse_rewrite(&resp(200, &[], r#"{"done":true,"resource":{}}"#)).unwrap(), Copied::Done);
        assert_eq!(parse_rewrite(&resp(200, &[], r#"{"done":false,"rewriteToken":"t"}"#)).unwrap(), Copied::Again("t".into()));
        assert_eq!(parse_rewrite(&resp(200, &[], r#"{"done":false}"#)).unwrap_err().kind, ErrorKind::InvalidResponse);
        assert_eq!(parse_rewrite(&resp(200, &[], "{}")).unwrap_err().kind, ErrorKind::InvalidResponse);
    }

    #[test]
    fn errors_are_typed() {
        let body = r#"{"error":{"code":403,"message":"denied","errors":[{"reason":"forbidden","message":"denied"}]}}"#;
        let e = parse_error(&resp(403, &[("x-guploader-uploadid", "U1")], body));
        assert_eq!(
            (e.kind, e.code.as_deref(), e.request_id.as_deref(), e.status, e.message.as_str()),
            (ErrorKind::PermissionDenied, Some("forbidden"), Some("U1"), Some(403), "denied")
        );
        let cases: &[(u16, &str, ErrorKind, bool)] = &[
            (404, "notFound", ErrorKind::NotFound, false),
            (412, "conditionNotMet", ErrorKind::PreconditionFailed, false),
            (401, "required", ErrorKind::PermissionDenied, false),
            (409, "conflict", ErrorKind::Conflict, false),
            (409, "alreadyExists", ErrorKind::AlreadyExists, false),
            (400, "invalid", ErrorKind::InvalidInput, false),
            (429, "rateLimitExceeded", ErrorKind::Service, true),
            (503, "backendError", ErrorKind::Service, true),
            (500, "", ErrorKind::Service, true),
        ];
        for &(status, reason, kind, retryable) in cases {
            let body = format!(r#"{{"error":{{"code":{status},"message":"m","errors":[{{"reason":"{reason}"}}]}}}}"#);
            let e = parse_error(&resp(status, &[], body));
            assert_eq!((e.kind, e.retryable), (kind, retryable), "{status} {reason}");
        }
        // storage-testbench nests an envelope in the message.
        let nested = r#"{"error":{"code":404,"message":"{\"error\": {\"errors\": [{\"domain\": \"global\", \"message\": \"Bucket nob does not exist.\"}]}}"}}"#;
        let e = parse_error(&resp(404, &[], nested));
        assert_eq!((e.kind, e.message.as_str(), e.code), (ErrorKind::NotFound, "Bucket nob does not exist.", None));
        let mut slow = resp(503, &[("retry-after", "3")], "<html>oops");
        let e = parse_error(&slow);
        assert!(e.retryable && e.message.contains("unreadable"));
        assert_eq!(e.retry_after, Some(std::time::Duration::from_secs(3)));
        slow.body = Bytes::new();
        assert!(parse_error(&slow).message.contains("no body"));
        assert_eq!(parse_error(&resp(404, &[], "Not Found")).message, "Not Found");
    }
}
