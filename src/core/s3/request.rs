//! One builder per S3 operation. Each returns an unsigned [`Request`]; the caller signs it.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use bytes::Bytes;
use md5::{Digest, Md5};

use super::config::{S3Config, encode_key, validate_bucket};
use crate::core::error::{Error, Result};
use crate::core::http::{Method, Request};
use crate::core::types::{ByteRange, ListRequest, PutOptions};
use crate::core::xml::escape;

/// Most keys one DeleteObjects request may carry.
pub const MAX_DELETE: usize = 1000;
/// Part numbers run from 1 to this.
pub const MAX_PARTS: u32 = 10_000;

/// A request of an operation that bills the requester of a requester-pays bucket: objects,
/// listings, multipart uploads. (Bucket administration takes no `x-amz-request-payer`.)
fn billed(cfg: &S3Config, method: Method, bucket: &str, key: &str) -> Result<Request> {
    let req = cfg.request(method, bucket, key)?;
    Ok(if cfg.requester_pays { req.header("x-amz-request-payer", "requester") } else { req })
}

fn key_required(key: &str) -> Result<()> {
    if key.is_empty() { Err(Error::invalid_input("an object key is required")) } else { Ok(()) }
}

fn conditions(mut req: Request, opts: &PutOptions) -> Request {
    if opts.if_none_match_any {
        req.headers.set("If-None-Match", "*");
    }
    if let Some(etag) = &opts.if_match {
        req.headers.set("If-Match", quote(etag));
    }
    req
}

/// ETags travel quoted.
fn quote(etag: &str) -> String {
    if etag.starts_with('"') || etag.starts_with("W/") { etag.to_string() } else { format!("\"{etag}\"") }
}

/// The `x-amz-checksum-crc32c` value of a body: base64 of the big-endian CRC32C.
pub fn crc32c_base64(body: &[u8]) -> String {
    B64.encode(crc32c::crc32c(body).to_be_bytes())
}

fn xml_body(req: Request, body: String) -> Request {
    let len = body.len();
    req.header("Content-Type", "application/xml").header("Content-Length", len.to_string()).with_body(body)
}

pub fn list_buckets(cfg: &S3Config) -> Result<Request> {
    Ok(cfg.service_request(Method::Get))
}

pub fn create_bucket(cfg: &S3Config, bucket: &str) -> Result<Request> {
    let req = cfg.request(Method::Put, bucket, "")?;
    // us-east-1 is the default location and must not be named.
    if cfg.region.is_empty() || cfg.region == "us-east-1" {
        return Ok(req.header("Content-Length", "0"));
    }
    let body = format!(
        "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><LocationConstraint>{}</LocationConstraint></CreateBucketConfiguration>",
        escape(&cfg.region)
    );
    Ok(xml_body(req, body))
}

pub fn delete_bucket(cfg: &S3Config, bucket: &str) -> Result<Request> {
    cfg.request(Method::Delete, bucket, "")
}

pub fn head_bucket(cfg: &S3Config, bucket: &str) -> Result<Request> {
    cfg.request(Method::Head, bucket, "")
}

pub fn list_objects_v2(cfg: &S3Config, bucket: &str, list: &ListRequest) -> Result<Request> {
    let mut req = billed(cfg, Method::Get, bucket, "")?.query_param("list-type", "2");
    if !list.prefix.is_empty() {
        req = req.query_param("prefix", list.prefix.clone());
    }
    if list.delimited {
        req = req.query_param("delimiter", "/");
    }
    if let Some(t) = &list.token {
        req = req.query_param("continuation-token", t.clone());
    } else if let Some(s) = &list.start_after {
        req = req.query_param("start-after", s.clone());
    }
    if let Some(n) = list.max_keys {
        req = req.query_param("max-keys", n.to_string());
    }
    if cfg.url_encoded_listing {
        req = req.query_param("encoding-type", "url");
    }
    Ok(req)
}

pub fn head_object(cfg: &S3Config, bucket: &str, key: &str) -> Result<Request> {
    key_required(key)?;
    billed(cfg, Method::Head, bucket, key)
}

/// GetObject, optionally a byte range, optionally pinned to an ETag (a changed object is a 412).
pub fn get_object(cfg: &S3Config, bucket: &str, key: &str, range: Option<ByteRange>, if_match: Option<&str>) -> Result<Request> {
    key_required(key)?;
    let mut req = billed(cfg, Method::Get, bucket, key)?;
    if let Some(h) = range.and_then(ByteRange::to_header) {
        req.headers.set("Range", h);
    }
    if let Some(e) = if_match {
        req.headers.set("If-Match", quote(e));
    }
    if cfg.checksums {
        req.headers.set("x-amz-checksum-mode", "ENABLED");
    }
    Ok(req)
}

pub fn put_object(cfg: &S3Config, bucket: &str, key: &str, body: Bytes, opts: &PutOptions) -> Result<Request> {
    key_required(key)?;
    let ct = opts.content_type.clone().unwrap_or_else(|| "application/octet-stream".into());
    let len = body.len();
    let mut req = billed(cfg, Method::Put, bucket, key)?.header("Content-Type", ct).header("Content-Length", len.to_string());
    if cfg.checksums {
        req.headers.set("x-amz-checksum-crc32c", crc32c_base64(&body));
    }
    Ok(conditions(req.with_body(body), opts))
}

pub fn copy_object(cfg: &S3Config, src_bucket: &str, src_key: &str, dst_bucket: &str, dst_key: &str) -> Result<Request> {
    key_required(src_key)?;
    key_required(dst_key)?;
    validate_bucket(src_bucket)?;
    let source = format!("/{src_bucket}/{}", encode_key(src_key));
    Ok(billed(cfg, Method::Put, dst_bucket, dst_key)?.header("x-amz-copy-source", source).header("Content-Length", "0"))
}

pub fn delete_object(cfg: &S3Config, bucket: &str, key: &str) -> Result<Request> {
    key_required(key)?;
    billed(cfg, Method::Delete, bucket, key)
}

/// DeleteObjects in quiet mode (only failures are reported). S3 requires Content-MD5 here.
pub fn delete_objects(cfg: &S3Config, bucket: &str, keys: &[String]) -> Result<Request> {
    if keys.is_empty() || keys.len() > MAX_DELETE {
        return Err(Error::invalid_input(format!("DeleteObjects takes 1 to {MAX_DELETE} keys, not {}", keys.len())));
    }
    let mut body = String::from("<Delete xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Quiet>true</Quiet>");
    for k in keys {
        key_required(k)?;
        body.push_str("<Object><Key>");
        body.push_str(&escape(k));
        body.push_str("</Key></Object>");
    }
    body.push_str("</Delete>");
    let md5 = B64.encode(Md5::digest(body.as_bytes()));
    let req = billed(cfg, Method::Post, bucket, "")?.query_param("delete", "").header("Content-MD5", md5);
    Ok(xml_body(req, body))
}

pub fn create_multipart(cfg: &S3Config, bucket: &str, key: &str, opts: &PutOptions) -> Result<Request> {
    key_required(key)?;
    let ct = opts.content_type.clone().unwrap_or_else(|| "application/octet-stream".into());
    Ok(billed(cfg, Method::Post, bucket, key)?
        .query_param("uploads", "")
        .header("Content-Type", ct)
        .header("Content-Length", "0"))
}

pub fn upload_part(cfg: &S3Config, bucket: &str, key: &str, upload_id: &str, part_number: u32, body: Bytes) -> Result<Request> {
    key_required(key)?;
    if !(1..=MAX_PARTS).contains(&part_number) {
        return Err(Error::invalid_input(format!("part number {part_number} is outside 1..={MAX_PARTS}")));
    }
    let len = body.len();
    let mut req = billed(cfg, Method::Put, bucket, key)?
        .query_param("partNumber", part_number.to_string())
        .query_param("uploadId", upload_id)
        .header("Content-Length", len.to_string());
    if cfg.checksums && !cfg.signs_payload() {
        // A part checksum in the newer headers would have to be repeated at completion;
        // Content-MD5 is checked by every S3 implementation on its own. A signed payload
        // already carries a SHA-256 of the body that the server checks.
        req.headers.set("Content-MD5", B64.encode(Md5::digest(&body)));
    }
    Ok(req.with_body(body))
}

/// CompleteMultipartUpload; write conditions apply here, when the object comes into being.
pub fn complete_multipart(
    cfg: &S3Config,
    bucket: &str,
    key: &str,
    upload_id: &str,
    parts: &[(u32, String)],
    opts: &PutOptions,
) -> Result<Request> {
    key_required(key)?;
    if parts.is_empty() {
        return Err(Error::invalid_input("a multipart upload needs at least one part"));
    }
    let mut body = String::from("<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">");
    for (n, etag) in parts {
        body.push_str(&format!("<Part><PartNumber>{n}</PartNumber><ETag>{}</ETag></Part>", escape(&quote(etag))));
    }
    body.push_str("</CompleteMultipartUpload>");
    let req = billed(cfg, Method::Post, bucket, key)?.query_param("uploadId", upload_id);
    Ok(conditions(xml_body(req, body), opts))
}

pub fn abort_multipart(cfg: &S3Config, bucket: &str, key: &str, upload_id: &str) -> Result<Request> {
    key_required(key)?;
    Ok(billed(cfg, Method::Delete, bucket, key)?.query_param("uploadId", upload_id))
}

pub fn list_multipart_uploads(cfg: &S3Config, bucket: &str, prefix: &str) -> Result<Request> {
    let mut req = billed(cfg, Method::Get, bucket, "")?.query_param("uploads", "");
    if !prefix.is_empty() {
        req = req.query_param("prefix", prefix);
    }
    if cfg.url_encoded_listing {
        req = req.query_param("encoding-type", "url");
    }
    Ok(req)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> S3Config {
        S3Config::custom("http://127.0.0.1:9000", "us-east-1").unwrap()
    }

    #[test]
    fn listing_query() {
        let l = ListRequest {
            prefix: "a b/".into(),
            delimited: true,
            token: Some("t=1".into()),
            max_keys: Some(5),
            ..Default::default()
        };
        let r = list_objects_v2(&cfg(), "bkt", &l).unwrap();
        assert_eq!(
            r.url(),
            "http://127.0.0.1:9000/bkt?list-type=2&prefix=a%20b%2F&delimiter=%2F&continuation-token=t%3D1&max-keys=5&encoding-type=url"
        );
    }

    #[test]
    fn writes_and_conditions() {
        let opts = PutOptions { if_none_match_any: true, if_match: Some("abc".into()), content_type: None };
        let r = put_object(&cfg(), "bkt", "k", Bytes::from_static(b"xy"), &opts).unwrap();
        assert_eq!(r.headers.get("if-none-match"), Some("*"));
        assert_eq!(r.headers.get("if-match"), Some("\"abc\""));
        assert_eq!(r.headers.get("content-type"), Some("application/octet-stream"));
        assert_eq!(r.headers.get("content-length"), Some("2"));
        assert_eq!(r.headers.get("x-amz-checksum-crc32c").unwrap(), crc32c_base64(b"xy"));
        assert!(put_object(&cfg(), "bkt", "", Bytes::new(), &opts).is_err());
        let r = copy_object(&cfg(), "src", "a b/../c", "dst", "d").unwrap();
        assert_eq!(r.headers.get("x-amz-copy-source"), Some("/src/a%20b%2F..%2Fc"));
    }

    #[test]
    fn batch_delete_is_escaped_and_digested() {
        let keys = vec!["a&b<c>".to_string(), "plain".to_string()];
        let r = delete_objects(&cfg(), "bkt", &keys).unwrap();
        let body = std::str::from_utf8(&r.body).unwrap();
        assert!(body.contains("<Key>a&amp;b&lt;c&gt;</Key>"), "{body}");
        assert_eq!(r.headers.get("content-md5").unwrap(), B64.encode(Md5::digest(&r.body)));
        assert!(r.url().ends_with("/bkt?delete"));
        assert!(delete_objects(&cfg(), "bkt", &[]).is_err());
        assert!(delete_objects(&cfg(), "bkt", &vec!["k".to_string(); 1001]).is_err());
    }

    #[test]
    fn multipart() {
        assert!(upload_part(&cfg(), "bkt", "k", "id", 0, Bytes::new()).is_err());
        assert!(upload_part(&cfg(), "bkt", "k", "id", 10_001, Bytes::new()).is_err());
        let r = upload_part(&cfg(), "bkt", "k", "i d", 3, Bytes::from_static(b"x")).unwrap();
        assert!(r.url().ends_with("/bkt/k?partNumber=3&uploadId=i%20d"));
        // One content check per part: the signed SHA-256 over http, Content-MD5 over https.
        assert!(r.headers.get("content-md5").is_none());
        let tls = S3Config::custom("https://127.0.0.1:9000", "us-east-1").unwrap();
        let r = upload_part(&tls, "bkt", "k", "id", 3, Bytes::from_static(b"x")).unwrap();
        assert_eq!(r.headers.get("content-md5").unwrap(), B64.encode(Md5::digest(b"x")));
        let opts = PutOptions { if_none_match_any: true, ..Default::default() };
        let r = complete_multipart(&cfg(), "bkt", "k", "id", &[(1, "e1".into()), (2, "\"e2\"".into())], &opts).unwrap();
        let body = std::str::from_utf8(&r.body).unwrap();
        assert!(body.contains("<PartNumber>1</PartNumber><ETag>&quot;e1&quot;</ETag>"), "{body}");
        assert!(body.contains("<ETag>&quot;e2&quot;</ETag>"));
        assert_eq!(r.headers.get("if-none-match"), Some("*"));
        let r = create_multipart(&cfg(), "bkt", "k", &PutOptions::default()).unwrap();
        assert!(r.url().ends_with("/bkt/k?uploads"));
    }

    #[test]
    fn requester_pays_is_agreed_to_on_billed_requests_only() {
        let payer = |r: &Request| r.headers.get("x-amz-request-payer").map(str::to_string);
        let plain = [
            get_object(&cfg(), "bkt", "k", None, None).unwrap(),
            list_objects_v2(&cfg(), "bkt", &ListRequest::default()).unwrap(),
            upload_part(&cfg(), "bkt", "k", "id", 1, Bytes::new()).unwrap(),
        ];
        assert!(plain.iter().all(|r| payer(r).is_none()), "off by default");
        let c = S3Config { requester_pays: true, ..cfg() };
        let paid = [
            list_objects_v2(&c, "bkt", &ListRequest::default()).unwrap(),
            head_object(&c, "bkt", "k").unwrap(),
            get_object(&c, "bkt", "k", None, None).unwrap(),
            put_object(&c, "bkt", "k", Bytes::new(), &PutOptions::default()).unwrap(),
            copy_object(&c, "src", "a", "bkt", "b").unwrap(),
            delete_object(&c, "bkt", "k").unwrap(),
            delete_objects(&c, "bkt", &["k".to_string()]).unwrap(),
            create_multipart(&c, "bkt", "k", &PutOptions::default()).unwrap(),
            upload_part(&c, "bkt", "k", "id", 1, Bytes::new()).unwrap(),
            complete_multipart(&c, "bkt", "k", "id", &[(1, "e".into())], &PutOptions::default()).unwrap(),
            abort_multipart(&c, "bkt", "k", "id").unwrap(),
            list_multipart_uploads(&c, "bkt", "").unwrap(),
        ];
        for r in &paid {
            assert_eq!(payer(r).as_deref(), Some("requester"), "{} {}", r.method.as_str(), r.url());
        }
        let admin = [create_bucket(&c, "bkt").unwrap(), delete_bucket(&c, "bkt").unwrap(), head_bucket(&c, "bkt").unwrap()];
        assert!(admin.iter().all(|r| payer(r).is_none()));
    }

    #[test]
    fn create_bucket_names_its_region() {
        let mut c = cfg();
        assert!(create_bucket(&c, "bkt").unwrap().body.is_empty());
        c.region = "eu-west-1".into();
        let body = create_bucket(&c, "bkt").unwrap().body;
        assert!(std::str::from_utf8(&body).unwrap().contains("<LocationConstraint>eu-west-1</LocationConstraint>"));
    }
}
