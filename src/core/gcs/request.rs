//! One builder per JSON API call. Each returns an unsigned [`Request`]; the driver authorizes it.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use bytes::Bytes;

use super::config::GcsConfig;
use crate::core::error::{Error, ErrorKind, Result};
use crate::core::etag::unquote;
use crate::core::http::{Method, Request};
use crate::core::types::{ByteRange, ListRequest, PutOptions};

const JSON: &str = "application/json; charset=UTF-8";
const OCTETS: &str = "application/octet-stream";

fn json_body(req: Request, body: &serde_json::Value) -> Request {
    let body = body.to_string();
    let len = body.len();
    req.header("Content-Type", JSON).header("Content-Length", len.to_string()).with_body(body)
}

/// A generation as pailfs reports it (the object's `etag`): decimal digits, quotes tolerated.
fn generation(tag: &str) -> Option<&str> {
    let g = unquote(tag.trim());
    (!g.is_empty() && g.len() <= 20 && g.bytes().all(|b| b.is_ascii_digit())).then_some(g)
}

/// The `ifGenerationMatch` a write's options ask for: `0` (no live object) for create-only,
/// the generation for `if_match`. A tag that is not a generation cannot be checked by the
/// JSON API (it ignores `If-Match` on writes), so it is refused rather than dropped.
pub fn write_condition(opts: &PutOptions) -> Result<Option<String>> {
    match (opts.if_none_match_any, opts.if_match.as_deref()) {
        (true, Some(_)) => Err(Error::invalid_input("a write cannot be both create-only and pinned to a generation")),
        (true, None) => Ok(Some("0".into())),
        (false, None) => Ok(None),
        (false, Some(tag)) => {
            let g = generation(tag).ok_or_else(|| {
                Error::invalid_input(format!(
                    "GCS pins writes by generation; {tag:?} is not one (use the etag pailfs reported for the object)"
                ))
            })?;
            let g = g.trim_start_matches('0');
            if g.is_empty() {
                // `ifGenerationMatch=0` means "no live object": never what If-Match asks.
                return Err(Error::new(ErrorKind::PreconditionFailed, "no GCS object has generation 0"));
            }
            Ok(Some(g.to_string()))
        }
    }
}

fn with_condition(req: Request, cond: Option<String>) -> Request {
    match cond {
        Some(g) => req.query_param("ifGenerationMatch", g),
        None => req,
    }
}

/// buckets.list in the configured project: the page after `token` (the first without), up to
/// 1000 buckets.
pub fn list_buckets(cfg: &GcsConfig, token: Option<&str>) -> Result<Request> {
    let project = cfg.project.as_ref().ok_or_else(|| Error::invalid_input("listing GCS buckets needs a project"))?;
    let req = cfg.api(Method::Get, "/b").query_param("project", project.clone()).query_param("maxResults", "1000");
    Ok(match token {
        Some(t) => req.query_param("pageToken", t),
        None => req,
    })
}

/// buckets.insert in the configured project.
pub fn create_bucket(cfg: &GcsConfig, bucket: &str) -> Result<Request> {
    super::validate_bucket(bucket)?;
    let project = cfg.project.as_ref().ok_or_else(|| Error::invalid_input("creating a GCS bucket needs a project"))?;
    let req = cfg.api(Method::Post, "/b").query_param("project", project.clone());
    Ok(json_body(req, &serde_json::json!({ "name": bucket })))
}

pub fn delete_bucket(cfg: &GcsConfig, bucket: &str) -> Result<Request> {
    Ok(cfg.billed(Method::Delete, &GcsConfig::bucket_path(bucket)?))
}

/// buckets.get, asking only for the name.
pub fn get_bucket(cfg: &GcsConfig, bucket: &str) -> Result<Request> {
    Ok(cfg.billed(Method::Get, &GcsConfig::bucket_path(bucket)?).query_param("fields", "name"))
}

/// objects.list. `start_after` is exclusive and GCS's `startOffset` inclusive: the parser
/// drops the name itself (see [`super::parse_list_objects`]).
pub fn list_objects(cfg: &GcsConfig, bucket: &str, list: &ListRequest) -> Result<Request> {
    let mut req = cfg.billed(Method::Get, &format!("{}/o", GcsConfig::bucket_path(bucket)?));
    if !list.prefix.is_empty() {
        req = req.query_param("prefix", list.prefix.clone());
    }
    if list.delimited {
        req = req.query_param("delimiter", "/");
    }
    if let Some(t) = &list.token {
        req = req.query_param("pageToken", t.clone());
    } else if let Some(s) = &list.start_after {
        req = req.query_param("startOffset", s.clone());
    }
    if let Some(n) = list.max_keys {
        req = req.query_param("maxResults", n.to_string());
    }
    Ok(req)
}

/// objects.get: the metadata.
pub fn get_object(cfg: &GcsConfig, bucket: &str, key: &str) -> Result<Request> {
    Ok(cfg.billed(Method::Get, &GcsConfig::object_path(bucket, key)?))
}

/// objects.get with `alt=media`: the bytes, optionally a range, optionally pinned. A pin that
/// is a generation (what pailfs reports as the etag) is `ifGenerationMatch`; any other tag
/// (an `ETag` header of an earlier answer) is sent as `If-Match`, which GCS honours on reads.
pub fn get_media(cfg: &GcsConfig, bucket: &str, key: &str, range: Option<ByteRange>, if_match: Option<&str>) -> Result<Request> {
    let mut req = cfg.billed(Method::Get, &GcsConfig::object_path(bucket, key)?).query_param("alt", "media");
    if let Some(h) = range.and_then(ByteRange::to_header) {
        req.headers.set("Range", h);
    }
    if let Some(tag) = if_match {
        match generation(tag) {
            Some(g) => req = req.query_param("ifGenerationMatch", g.to_string()),
            None if tag.starts_with('"') || tag.starts_with("W/") => req.headers.set("If-Match", tag),
            None => req.headers.set("If-Match", format!("\"{tag}\"")),
        }
    }
    Ok(req)
}

/// objects.insert, `uploadType=multipart`: the whole object in one request, its metadata
/// first. The metadata carries the body's MD5 and CRC32C, which GCS checks before it makes the
/// object, so a body corrupted on the way is refused (400) instead of stored; `X-Goog-Hash`
/// says the same for servers that read the header.
pub fn insert_multipart(cfg: &GcsConfig, bucket: &str, key: &str, body: Bytes, opts: &PutOptions) -> Result<Request> {
    super::encode_object_name(key)?;
    let cond = write_condition(opts)?;
    let ct = opts.content_type.clone().unwrap_or_else(|| OCTETS.into());
    let (md5, crc) = (super::md5_base64(&body), super::crc32c_base64(&body));
    let meta = serde_json::json!({ "name": key, "contentType": ct, "md5Hash": md5, "crc32c": crc });
    let boundary = boundary_absent_from(&body, crc32c::crc32c(&body));
    let head = format!("--{boundary}\r\nContent-Type: {JSON}\r\n\r\n{meta}\r\n--{boundary}\r\nContent-Type: {ct}\r\n\r\n");
    let tail = format!("\r\n--{boundary}--\r\n");
    let mut all = Vec::with_capacity(head.len() + body.len() + tail.len());
    all.extend_from_slice(head.as_bytes());
    all.extend_from_slice(&body);
    all.extend_from_slice(tail.as_bytes());
    let len = all.len();
    let req = cfg
        .upload(Method::Post, bucket)?
        .query_param("uploadType", "multipart")
        .query_param("name", key)
        .header("Content-Type", format!("multipart/related; boundary={boundary}"))
        .header("Content-Length", len.to_string())
        .header("X-Goog-Hash", format!("crc32c={crc},md5={md5}"))
        .with_body(all);
    Ok(with_condition(req, cond))
}

/// A multipart boundary that does not occur in `data`. Named after `seed` (the data's CRC32C),
/// so a clash takes data made to clash; the counter settles even that.
fn boundary_absent_from(data: &[u8], seed: u32) -> String {
    (0u32..)
        .map(|n| format!("pailfs-{seed:08x}-{n}"))
        .find(|b| {
            let delim = format!("--{b}");
            !data.windows(delim.len()).any(|w| w == delim.as_bytes())
        })
        .expect("some boundary is absent from any finite body")
}

/// One call of objects.rewrite of one object onto another; `token` continues a rewrite the
/// previous call left unfinished (its `rewriteToken`).
pub fn rewrite_object(
    cfg: &GcsConfig,
    src_bucket: &str,
    src_key: &str,
    dst_bucket: &str,
    dst_key: &str,
    token: Option<&str>,
) -> Result<Request> {
    let dst = GcsConfig::object_path(dst_bucket, dst_key)?;
    let path = format!("{}/rewriteTo{dst}", GcsConfig::object_path(src_bucket, src_key)?);
    let mut req = cfg.billed(Method::Post, &path).header("Content-Length", "0");
    if let Some(t) = token {
        req = req.query_param("rewriteToken", t);
    }
    Ok(req)
}

pub fn delete_object(cfg: &GcsConfig, bucket: &str, key: &str) -> Result<Request> {
    Ok(cfg.billed(Method::Delete, &GcsConfig::object_path(bucket, key)?))
}

/// Start a resumable session (`uploadType=resumable`); the answer's `Location` is the session
/// URI. Write conditions are checked when the last chunk makes the object.
pub fn start_resumable(cfg: &GcsConfig, bucket: &str, key: &str, opts: &PutOptions) -> Result<Request> {
    super::encode_object_name(key)?;
    let cond = write_condition(opts)?;
    let ct = opts.content_type.clone().unwrap_or_else(|| OCTETS.into());
    let req = cfg
        .upload(Method::Post, bucket)?
        .query_param("uploadType", "resumable")
        .query_param("name", key)
        .header("X-Upload-Content-Type", ct.clone());
    let req = json_body(req, &serde_json::json!({ "name": key, "contentType": ct }));
    Ok(with_condition(req, cond))
}

/// One chunk of a session at `offset`: `Content-Range: bytes a-b/*`, or `/total` for the last,
/// which carries the whole object's CRC32C (`last`) in `X-Goog-Hash`: GCS checks it before it
/// makes the object.
pub fn upload_chunk(cfg: &GcsConfig, session_uri: &str, offset: u64, data: Bytes, last: Option<u32>) -> Result<Request> {
    let len = data.len() as u64;
    let end = offset.checked_add(len).ok_or_else(|| Error::invalid_input("chunk offset overflows"))?;
    let range = match (len, last.is_some()) {
        (0, true) => format!("bytes */{offset}"),
        (0, false) => return Err(Error::invalid_input("an empty chunk must be the last")),
        (_, true) => format!("bytes {offset}-{}/{end}", end - 1),
        (_, false) => format!("bytes {offset}-{}/*", end - 1),
    };
    let mut req = cfg.session(Method::Put, session_uri)?.header("Content-Range", range);
    if let Some(crc) = last {
        req = req.header("X-Goog-Hash", format!("crc32c={}", B64.encode(crc.to_be_bytes())));
    }
    Ok(req.header("Content-Length", len.to_string()).with_body(data))
}

/// Ask a session how much it holds: an empty PUT with `Content-Range: bytes */*`.
pub fn query_offset(cfg: &GcsConfig, session_uri: &str) -> Result<Request> {
    Ok(cfg.session(Method::Put, session_uri)?.header("Content-Range", "bytes */*").header("Content-Length", "0"))
}

/// Cancel a session: DELETE on its URI (GCS answers 499).
pub fn cancel_resumable(cfg: &GcsConfig, session_uri: &str) -> Result<Request> {
    Ok(cfg.session(Method::Delete, session_uri)?.header("Content-Length", "0"))
}

/// The XML API request a signed URL stands for (`/{bucket}/{object}` on the service host;
/// slashes kept unless a segment would be rewritten by URL parsers).
pub fn signed_url_target(cfg: &GcsConfig, method: Method, bucket: &str, key: &str) -> Result<Request> {
    super::encode_object_name(key)?;
    super::validate_bucket(bucket)?;
    if !matches!(method, Method::Get | Method::Head | Method::Put | Method::Delete) {
        return Err(Error::not_supported(format!("presigning {} requests", method.as_str())));
    }
    let path = format!("{}/{bucket}/{}", cfg.base_path, crate::core::s3::encode_key(key));
    let req = Request::new(method, &cfg.scheme, &cfg.host, path);
    Ok(match &cfg.user_project {
        Some(p) => req.query_param("userProject", p.clone()),
        None => req,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> GcsConfig {
        GcsConfig::custom("http://127.0.0.1:9023").unwrap().with_project(Some("test-project".into()))
    }

    const SESSION: &str = "http://127.0.0.1:9023/upload/storage/v1/b/bkt/o?uploadType=resumable&upload_id=s1";

    #[test]
    fn buckets() {
        assert_eq!(
            list_buckets(&cfg(), None).unwrap().url(),
            "http://127.0.0.1:9023/storage/v1/b?project=test-project&maxResults=1000"
        );
        assert!(list_buckets(&cfg(), Some("t/1")).unwrap().url().ends_with("&maxResults=1000&pageToken=t%2F1"));
        assert!(list_buckets(&GcsConfig::google(), None).is_err(), "no project");
        let r = create_bucket(&cfg(), "bkt").unwrap();
        assert_eq!((r.method, r.url().as_str()), (Method::Post, "http://127.0.0.1:9023/storage/v1/b?project=test-project"));
        assert_eq!(serde_json::from_slice::<serde_json::Value>(&r.body).unwrap(), serde_json::json!({"name": "bkt"}));
        assert_eq!(r.headers.get("content-length"), Some(r.body.len().to_string().as_str()));
        assert!(create_bucket(&cfg(), "Bad").is_err());
        assert_eq!(delete_bucket(&cfg(), "bkt").unwrap().url(), "http://127.0.0.1:9023/storage/v1/b/bkt");
        assert_eq!(get_bucket(&cfg(), "bkt").unwrap().url(), "http://127.0.0.1:9023/storage/v1/b/bkt?fields=name");
    }

    #[test]
    fn listing_query() {
        let l = ListRequest {
            prefix: "a b/".into(),
            delimited: true,
            start_after: Some("a b/c".into()),
            max_keys: Some(5),
            ..Default::default()
        };
        let r = list_objects(&cfg(), "bkt", &l).unwrap();
        assert_eq!(
            r.url(),
            "http://127.0.0.1:9023/storage/v1/b/bkt/o?prefix=a%20b%2F&delimiter=%2F&startOffset=a%20b%2Fc&maxResults=5"
        );
        let next = ListRequest { token: Some("t=1".into()), ..l };
        let r = list_objects(&cfg(), "bkt", &next).unwrap();
        assert!(r.url().contains("pageToken=t%3D1") && !r.url().contains("startOffset"), "{}", r.url());
    }

    #[test]
    fn reads() {
        let r = get_object(&cfg(), "bkt", "d/k").unwrap();
        assert_eq!(r.url(), "http://127.0.0.1:9023/storage/v1/b/bkt/o/d%2Fk");
        let r = get_media(&cfg(), "bkt", "d/k", Some(ByteRange::From { start: 2, end: Some(5) }), Some("123")).unwrap();
        assert_eq!(r.url(), "http://127.0.0.1:9023/storage/v1/b/bkt/o/d%2Fk?alt=media&ifGenerationMatch=123");
        assert_eq!(r.headers.get("range"), Some("bytes=2-4"));
        assert!(r.headers.get("if-match").is_none());
        let r = get_media(&cfg(), "bkt", "k", None, Some("CKWasoTgyPkCEAE=")).unwrap();
        assert_eq!(r.headers.get("if-match"), Some("\"CKWasoTgyPkCEAE=\""));
        assert!(!r.url().contains("ifGeneration"));
        assert!(get_media(&cfg(), "bkt", "", None, None).is_err());
    }

    #[test]
    fn writes_and_conditions() {
        let r = insert_multipart(&cfg(), "bkt", "a/b", Bytes::from_static(b"hello"), &PutOptions::default()).unwrap();
        assert_eq!(r.url(), "http://127.0.0.1:9023/upload/storage/v1/b/bkt/o?uploadType=multipart&name=a%2Fb");
        let boundary = format!("pailfs-{:08x}-0", crc32c::crc32c(b"hello"));
        assert_eq!(r.headers.get("content-type"), Some(format!("multipart/related; boundary={boundary}").as_str()));
        assert_eq!(r.headers.get("content-length"), Some(r.body.len().to_string().as_str()));
        assert_eq!(r.headers.get("x-goog-hash"), Some("crc32c=mnG7TA==,md5=XUFAKrxLKna5cZ2REBfFkg=="));
        let meta =
            r#"{"contentType":"application/octet-stream","crc32c":"mnG7TA==","md5Hash":"XUFAKrxLKna5cZ2REBfFkg==","name":"a/b"}"#;
        let expected = format!(
            "--{boundary}\r\nContent-Type: {JSON}\r\n\r\n{meta}\r\n--{boundary}\r\nContent-Type: {OCTETS}\r\n\r\nhello\r\n--{boundary}--\r\n"
        );
        assert_eq!(std::str::from_utf8(&r.body).unwrap(), expected);
        // A body holding the first choice of boundary gets another.
        assert_eq!(boundary_absent_from(b"x\r\n--pailfs-00000007-0\r\n", 7), "pailfs-00000007-1");
        assert_eq!(boundary_absent_from(b"--pailfs-00000007-0--pailfs-00000007-1", 7), "pailfs-00000007-2");
        let create = PutOptions { if_none_match_any: true, ..Default::default() };
        let r = insert_multipart(&cfg(), "bkt", "k", Bytes::new(), &create).unwrap();
        assert!(r.url().ends_with("&ifGenerationMatch=0"), "{}", r.url());
        let pinned =
            PutOptions { if_match: Some("\"1700\"".into()), content_type: Some("text/csv".into()), ..Default::default() };
        let r = insert_multipart(&cfg(), "bkt", "k", Bytes::new(), &pinned).unwrap();
        assert!(r.url().ends_with("&ifGenerationMatch=1700"), "{}", r.url());
        assert!(std::str::from_utf8(&r.body).unwrap().contains("\r\nContent-Type: text/csv\r\n\r\n\r\n--"));
        let e = write_condition(&PutOptions { if_match: Some("\"0000\"".into()), ..Default::default() }).unwrap_err();
        assert_eq!(e.kind, ErrorKind::PreconditionFailed);
        let e = write_condition(&PutOptions { if_match: Some("CKWasoTgyPkCEAE=".into()), ..Default::default() }).unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidInput);
        let both = PutOptions { if_none_match_any: true, if_match: Some("1".into()), ..Default::default() };
        assert!(write_condition(&both).is_err());
        let r = rewrite_object(&cfg(), "src", "a/../b", "dst", "c d", None).unwrap();
        assert_eq!(r.url(), "http://127.0.0.1:9023/storage/v1/b/src/o/a%2F..%2Fb/rewriteTo/b/dst/o/c%20d");
        let r = rewrite_object(&cfg(), "src", "k", "dst", "k", Some("tok/en=")).unwrap();
        assert!(r.url().ends_with("/rewriteTo/b/dst/o/k?rewriteToken=tok%2Fen%3D"), "{}", r.url());
        assert_eq!(r.method, Method::Post);
        let r = delete_object(&GcsConfig { user_project: Some("p".into()), ..cfg() }, "bkt", "k").unwrap();
        assert_eq!((r.method, r.url().as_str()), (Method::Delete, "http://127.0.0.1:9023/storage/v1/b/bkt/o/k?userProject=p"));
    }

    #[test]
    fn resumable() {
        let r = start_resumable(&cfg(), "bkt", "a/b", &PutOptions { if_none_match_any: true, ..Default::default() }).unwrap();
        assert_eq!(
            r.url(),
            "http://127.0.0.1:9023/upload/storage/v1/b/bkt/o?uploadType=resumable&name=a%2Fb&ifGenerationMatch=0"
        );
        let body: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(body, serde_json::json!({"name": "a/b", "contentType": OCTETS}));
        assert_eq!(r.headers.get("x-upload-content-type"), Some(OCTETS));
        let r = upload_chunk(&cfg(), SESSION, 262_144, Bytes::from(vec![0u8; 10]), None).unwrap();
        assert!(r.headers.get("x-goog-hash").is_none(), "only the last chunk states the object's hash");
        assert_eq!((r.method, r.url().as_str()), (Method::Put, SESSION));
        assert_eq!(r.headers.get("content-range"), Some("bytes 262144-262153/*"));
        assert_eq!(r.headers.get("content-length"), Some("10"));
        let r = upload_chunk(&cfg(), SESSION, 4, Bytes::from_static(b"xy"), Some(crc32c::crc32c(b"hello"))).unwrap();
        assert_eq!(r.headers.get("content-range"), Some("bytes 4-5/6"));
        assert_eq!(r.headers.get("x-goog-hash"), Some("crc32c=mnG7TA=="));
        let r = upload_chunk(&cfg(), SESSION, 4, Bytes::new(), Some(0)).unwrap();
        assert_eq!(r.headers.get("content-range"), Some("bytes */4"));
        assert!(upload_chunk(&cfg(), SESSION, 4, Bytes::new(), None).is_err());
        assert!(upload_chunk(&cfg(), "http://other:1/upload/x?upload_id=1", 0, Bytes::from_static(b"x"), Some(0)).is_err());
        let r = query_offset(&cfg(), SESSION).unwrap();
        assert_eq!((r.headers.get("content-range"), r.body.len()), (Some("bytes */*"), 0));
        assert_eq!(cancel_resumable(&cfg(), SESSION).unwrap().method, Method::Delete);
    }

    #[test]
    fn signed_url_targets_are_xml_api_paths() {
        let r = signed_url_target(&GcsConfig::google(), Method::Get, "bkt", "a/b c").unwrap();
        assert_eq!(r.url(), "https://storage.googleapis.com/bkt/a/b%20c");
        let r = signed_url_target(&GcsConfig::google(), Method::Put, "bkt", "a/../b").unwrap();
        assert_eq!(r.path, "/bkt/a%2F..%2Fb");
        assert!(r.headers.is_empty());
        assert_eq!(signed_url_target(&GcsConfig::google(), Method::Post, "bkt", "k").unwrap_err().kind, ErrorKind::NotSupported);
    }
}
