//! One parser per S3 response, and the mapping of S3 errors to [`ErrorKind`].

use bytes::Bytes;
use chrono::{DateTime, Utc};
use percent_encoding::percent_decode_str;

use crate::core::error::{Error, ErrorKind, Result};
use crate::core::etag::unquote;
use crate::core::http::{ContentRange, Response};
use crate::core::types::{BucketInfo, DeleteFailure, ListPage, ObjectMeta};
use crate::core::xml::{self, Node};

/// An in-progress multipart upload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MultipartUpload {
    pub key: String,
    pub upload_id: String,
}

fn invalid(msg: impl Into<String>) -> Error {
    Error::invalid_response(msg)
}

/// The kind a code (or, without one, a status) maps to, and whether a retry may help.
fn classify(code: Option<&str>, status: u16) -> (ErrorKind, bool) {
    use ErrorKind::*;
    let by_code = code.and_then(|c| {
        Some(match c {
            "NoSuchKey" | "NoSuchBucket" | "NoSuchUpload" | "NoSuchVersion" | "NotFound" => (NotFound, false),
            "AccessDenied"
            | "SignatureDoesNotMatch"
            | "InvalidAccessKeyId"
            | "InvalidToken"
            | "ExpiredToken"
            | "AllAccessDisabled"
            | "AccountProblem"
            | "InvalidSecurity"
            | "RequestTimeTooSkewed" => (PermissionDenied, false),
            "PreconditionFailed" | "ConditionalRequestConflict" => (PreconditionFailed, false),
            "BucketAlreadyExists" | "BucketAlreadyOwnedByYou" => (AlreadyExists, false),
            "BucketNotEmpty" | "OperationAborted" | "InvalidObjectState" => (Conflict, false),
            "InvalidRange"
            | "InvalidArgument"
            | "EntityTooSmall"
            | "EntityTooLarge"
            | "InvalidPart"
            | "InvalidPartOrder"
            | "MalformedXML"
            | "InvalidBucketName"
            | "KeyTooLongError"
            | "InvalidDigest"
            | "BadDigest"
            | "InvalidRequest"
            | "MissingContentLength"
            | "InvalidStorageClass" => (InvalidInput, false),
            "NotImplemented" => (NotSupported, false),
            "SlowDown"
            | "RequestTimeout"
            | "InternalError"
            | "ServiceUnavailable"
            | "Throttling"
            | "ThrottlingException"
            | "RequestLimitExceeded"
            | "TooManyRequests" => (Service, true),
            _ => return None,
        })
    });
    by_code.unwrap_or(match status {
        404 => (NotFound, false),
        401 | 403 => (PermissionDenied, false),
        412 => (PreconditionFailed, false),
        409 => (Conflict, false),
        400 | 411 | 413 | 414 | 416 => (InvalidInput, false),
        405 | 501 => (NotSupported, false),
        408 | 429 | 500..=599 => (Service, true),
        _ => (Service, false),
    })
}

/// The `<Error>` element of a body: the root, or (tolerated) a direct child of another root.
fn error_node(root: &Node) -> Option<&Node> {
    if root.name == "Error" { Some(root) } else { root.child("Error") }
}

fn error_from(node: Option<&Node>, resp: &Response) -> Error {
    let code = node.and_then(|n| n.text_of("Code")).map(str::trim).filter(|c| !c.is_empty());
    let message = node.and_then(|n| n.text_of("Message")).map(str::trim).filter(|m| !m.is_empty());
    let (kind, retryable) = classify(code, resp.status);
    let message = match (message, code) {
        (Some(m), _) => m.to_string(),
        (None, Some(c)) => format!("S3 error {c}"),
        (None, None) if resp.body.is_empty() => format!("S3 answered HTTP {} with no body", resp.status),
        (None, None) => format!("S3 answered HTTP {} with an unreadable error body", resp.status),
    };
    let mut e = Error::new(kind, message).with_status(resp.status).retryable(retryable);
    if let Some(c) = code {
        e = e.with_code(c);
    }
    // Only the delta-seconds form: an HTTP date would need a clock, which the core has not.
    e.retry_after =
        resp.headers.get("retry-after").and_then(|v| v.trim().parse::<u64>().ok()).map(std::time::Duration::from_secs);
    let rid = node
        .and_then(|n| n.text_of("RequestId"))
        .map(str::to_string)
        .or_else(|| resp.headers.get("x-amz-request-id").map(str::to_string));
    if let Some(r) = rid.filter(|r| !r.is_empty()) {
        e = e.with_request_id(r);
    }
    e
}

/// The typed error of a non-2xx response. Never fails: an unreadable body still yields an
/// error typed by its status.
pub fn parse_error(resp: &Response) -> Error {
    let root = xml::parse(&resp.body).ok();
    error_from(root.as_ref().and_then(error_node), resp)
}

/// Parse a success body; a 200 whose body is an `<Error>` (CompleteMultipartUpload and
/// CopyObject do this when they fail late) is that error.
fn success_body(resp: &Response, expected_root: &str) -> Result<Node> {
    let root = xml::parse(&resp.body)?;
    if root.name == "Error" {
        return Err(error_from(Some(&root), resp));
    }
    if root.name != expected_root {
        return Err(invalid(format!("expected <{expected_root}>, got <{}>", root.name)));
    }
    Ok(root)
}

fn required<'a>(n: &'a Node, name: &str) -> Result<&'a str> {
    n.text_of(name).ok_or_else(|| invalid(format!("<{}> lacks <{name}>", n.name)))
}

fn xml_time(s: &str) -> Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s.trim()).map(|t| t.with_timezone(&Utc)).map_err(|_| invalid(format!("bad timestamp {s:?}")))
}

fn http_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc2822(s.trim()).ok().map(|t| t.with_timezone(&Utc))
}

fn url_decode(s: &str, encoded: bool) -> Result<String> {
    if !encoded {
        return Ok(s.to_string());
    }
    percent_decode_str(s)
        .decode_utf8()
        .map(|c| c.into_owned())
        .map_err(|_| invalid(format!("key {s:?} is not UTF-8 once decoded")))
}

fn number(s: &str, what: &str) -> Result<u64> {
    s.trim().parse().map_err(|_| invalid(format!("bad {what} {s:?}")))
}

pub fn parse_list_buckets(resp: &Response) -> Result<Vec<BucketInfo>> {
    let root = success_body(resp, "ListAllMyBucketsResult")?;
    let Some(buckets) = root.child("Buckets") else { return Ok(Vec::new()) };
    buckets
        .all("Bucket")
        .map(|b| {
            let created = b.text_of("CreationDate").map(xml_time).transpose()?;
            Ok(BucketInfo { name: required(b, "Name")?.to_string(), created })
        })
        .collect()
}

/// What the streaming listing parser is inside.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Field {
    Other,
    Key,
    Size,
    LastModified,
    ETag,
    StorageClass,
    VersionId,
    Prefix,
    IsTruncated,
    NextToken,
    NextMarker,
    EncodingType,
}

/// The listing, read as a stream: listings are the largest responses a client parses, so no
/// tree is built. Anything but a `<ListBucketResult>` root (an `<Error>` inside a 200, say)
/// goes through the general path.
fn listing(resp: &Response, v1: bool) -> Result<ListPage> {
    use quick_xml::events::Event;
    let text = std::str::from_utf8(&resp.body).map_err(|_| invalid("listing is not UTF-8"))?;
    let mut reader = quick_xml::Reader::from_str(text);
    reader.config_mut().check_end_names = true;
    let bad = |e: &dyn std::fmt::Display| invalid(format!("malformed listing XML: {e}"));
    let mut depth = 0usize;
    let mut seen_root = false;
    // The depth-2 element we are in: 1 = Contents, 2 = CommonPrefixes, 0 = other.
    let mut section = 0u8;
    let mut field = Field::Other;
    let mut cur = String::new();
    let mut obj = ObjectMeta::new("", 0);
    let (mut has_key, mut has_size) = (false, false);
    let mut page = ListPage::default();
    let (mut truncated, mut token, mut marker, mut encoded) = (None::<String>, None::<String>, None::<String>, false);
    loop {
        match reader.read_event().map_err(|e| bad(&e))? {
            Event::Start(e) => {
                depth += 1;
                let name = e.local_name();
                let name = name.as_ref();
                if depth == 1 {
                    if name != b"ListBucketResult" {
                        return not_a_listing(resp);
                    }
                    if seen_root {
                        return Err(invalid("content after the listing's root element"));
                    }
                    seen_root = true;
                }
                field = Field::Other;
                match (depth, section, name) {
                    (2, _, b"Contents") => {
                        section = 1;
                        obj = ObjectMeta::new("", 0);
                        (has_key, has_size) = (false, false);
                    }
                    (2, _, b"CommonPrefixes") => section = 2,
                    (2, _, b"IsTruncated") => field = Field::IsTruncated,
                    (2, _, b"NextContinuationToken") => field = Field::NextToken,
                    (2, _, b"NextMarker") => field = Field::NextMarker,
                    (2, _, b"EncodingType") => field = Field::EncodingType,
                    (3, 1, b"Key") => field = Field::Key,
                    (3, 1, b"Size") => field = Field::Size,
                    (3, 1, b"LastModified") => field = Field::LastModified,
                    (3, 1, b"ETag") => field = Field::ETag,
                    (3, 1, b"StorageClass") => field = Field::StorageClass,
                    (3, 1, b"VersionId") => field = Field::VersionId,
                    (3, 2, b"Prefix") => field = Field::Prefix,
                    _ => {}
                }
                cur.clear();
            }
            Event::Text(t) if field != Field::Other => cur.push_str(&t.unescape().map_err(|e| bad(&e))?),
            Event::CData(c) if field != Field::Other => cur.push_str(&c.decode().map_err(|e| bad(&e))?),
            Event::End(_) => {
                match (depth, field) {
                    (3, Field::Key) => {
                        obj.key = std::mem::take(&mut cur);
                        has_key = true;
                    }
                    (3, Field::Size) => {
                        obj.size = number(&cur, "Size")?;
                        has_size = true;
                    }
                    (3, Field::LastModified) => obj.last_modified = Some(xml_time(&cur)?),
                    (3, Field::ETag) => obj.etag = Some(unquote(&cur).to_string()),
                    (3, Field::StorageClass) => obj.storage_class = Some(std::mem::take(&mut cur)),
                    (3, Field::VersionId) => obj.version = Some(std::mem::take(&mut cur)),
                    (3, Field::Prefix) => page.prefixes.push(std::mem::take(&mut cur)),
                    (2, Field::IsTruncated) => truncated = Some(std::mem::take(&mut cur)),
                    (2, Field::NextToken) => token = Some(std::mem::take(&mut cur)),
                    (2, Field::NextMarker) => marker = Some(std::mem::take(&mut cur)),
                    (2, Field::EncodingType) => encoded = cur.trim().eq_ignore_ascii_case("url"),
                    (2, _) if section == 1 => {
                        if !has_key || !has_size {
                            return Err(invalid("<Contents> lacks <Key> or <Size>"));
                        }
                        page.objects.push(std::mem::replace(&mut obj, ObjectMeta::new("", 0)));
                    }
                    (2, _) if section == 2 => {}
                    _ => {}
                }
                if depth == 2 {
                    section = 0;
                }
                field = Field::Other;
                depth = depth.checked_sub(1).ok_or_else(|| invalid("unbalanced listing XML"))?;
            }
            Event::Empty(e) if depth == 0 && e.local_name().as_ref() != b"ListBucketResult" => return not_a_listing(resp),
            Event::Eof => break,
            _ => {}
        }
    }
    if depth != 0 {
        return Err(invalid("listing XML ends inside an element"));
    }
    if encoded {
        for o in &mut page.objects {
            o.key = url_decode(&o.key, true)?;
        }
        for p in &mut page.prefixes {
            *p = url_decode(p, true)?;
        }
    }
    let truncated = match truncated.as_deref().map(str::trim) {
        Some("true") => true,
        Some("false") | None => false,
        Some(other) => return Err(invalid(format!("bad IsTruncated {other:?}"))),
    };
    if truncated {
        let next = if v1 {
            // v1 pages by marker: NextMarker when a delimiter was used, else the last key.
            marker.map(|m| url_decode(&m, encoded)).transpose()?.or_else(|| page.objects.last().map(|o| o.key.clone()))
        } else {
            token
        };
        page.next_token =
            Some(next.filter(|t| !t.is_empty()).ok_or_else(|| invalid("listing is truncated but has no continuation token"))?);
    }
    Ok(page)
}

/// Not a `<ListBucketResult>`: an `<Error>` inside a 200 is that error, anything else invalid.
fn not_a_listing(resp: &Response) -> Result<ListPage> {
    success_body(resp, "ListBucketResult")?;
    Err(invalid("expected <ListBucketResult>"))
}

/// ListObjectsV2.
pub fn parse_list_objects_v2(resp: &Response) -> Result<ListPage> {
    listing(resp, false)
}

/// ListObjects (v1), for servers without v2; the next token is a marker.
pub fn parse_list_objects_v1(resp: &Response) -> Result<ListPage> {
    listing(resp, true)
}

fn header_meta(key: &str, resp: &Response) -> ObjectMeta {
    let h = &resp.headers;
    let mut m = ObjectMeta::new(key, 0);
    m.last_modified = h.get("last-modified").and_then(http_time);
    m.etag = h.get("etag").map(|e| unquote(e).to_string());
    m.content_type = h.get("content-type").map(str::to_string);
    m.storage_class = h.get("x-amz-storage-class").map(str::to_string);
    m.version = h.get("x-amz-version-id").map(str::to_string);
    m.metadata = h
        .iter()
        .filter_map(|(k, v)| {
            let k = k.to_ascii_lowercase();
            k.strip_prefix("x-amz-meta-").map(|name| (name.to_string(), v.to_string()))
        })
        .collect();
    m.metadata.sort();
    m
}

pub fn parse_head_object(key: &str, resp: &Response) -> Result<ObjectMeta> {
    let mut m = header_meta(key, resp);
    m.size =
        number(resp.headers.get("content-length").ok_or_else(|| invalid("HEAD answer lacks Content-Length"))?, "Content-Length")?;
    Ok(m)
}

/// GetObject: the metadata (size is the whole object's) and the bytes. A body shorter or
/// longer than announced is an `Integrity` error.
pub fn parse_get_object(key: &str, resp: &Response) -> Result<(ObjectMeta, Bytes)> {
    let mut m = header_meta(key, resp);
    let len = resp.body.len() as u64;
    if let Some(cl) = resp.headers.get("content-length") {
        let cl = number(cl, "Content-Length")?;
        if cl != len {
            return Err(Error::new(ErrorKind::Integrity, format!("{key}: announced {cl} bytes, received {len}")).retryable(true));
        }
    }
    if resp.status == 206 {
        let header =
            resp.headers.get("content-range").ok_or_else(|| invalid(format!("{key}: partial answer without Content-Range")))?;
        let span = ContentRange::parse(header)?;
        if span.end - span.start != len {
            return Err(Error::new(
                ErrorKind::Integrity,
                format!("{key}: range {}-{} but {len} bytes received", span.start, span.end - 1),
            )
            .retryable(true));
        }
        m.size = span.total.unwrap_or(span.end);
    } else {
        m.size = len;
        // A whole-object read carries the stored checksum when asked for; a multipart object's
        // is a checksum of part checksums (`…-N`), which whole bytes cannot be checked against.
        if let Some(want) = resp.headers.get("x-amz-checksum-crc32c").map(str::trim).filter(|v| !v.contains('-')) {
            let got = super::request::crc32c_base64(&resp.body);
            if got != want {
                return Err(Error::new(ErrorKind::Integrity, format!("{key}: CRC32C {got} does not match the stored {want}"))
                    .retryable(true));
            }
        }
    }
    Ok((m, resp.body.clone()))
}

pub fn parse_put_object(key: &str, size: u64, resp: &Response) -> Result<ObjectMeta> {
    let mut m = header_meta(key, resp);
    m.size = size;
    // A PUT answer's Content-Type describes its (empty) body, not the object.
    m.content_type = None;
    Ok(m)
}

pub fn parse_copy_object(resp: &Response) -> Result<()> {
    success_body(resp, "CopyObjectResult").map(|_| ())
}

pub fn parse_delete_objects(resp: &Response) -> Result<Vec<DeleteFailure>> {
    let root = success_body(resp, "DeleteResult")?;
    root.all("Error")
        .map(|e| {
            Ok(DeleteFailure {
                key: required(e, "Key")?.to_string(),
                code: e.text_of("Code").unwrap_or_default().to_string(),
                message: e.text_of("Message").unwrap_or_default().to_string(),
            })
        })
        .collect()
}

pub fn parse_create_multipart(resp: &Response) -> Result<String> {
    let root = success_body(resp, "InitiateMultipartUploadResult")?;
    let id = required(&root, "UploadId")?.trim();
    if id.is_empty() {
        return Err(invalid("empty UploadId"));
    }
    Ok(id.to_string())
}

pub fn parse_upload_part(resp: &Response) -> Result<String> {
    let etag = resp.headers.get("etag").map(unquote).filter(|e| !e.is_empty());
    etag.map(str::to_string).ok_or_else(|| invalid("UploadPart answer lacks an ETag"))
}

/// CompleteMultipartUpload. The size is not reported (0 here); the caller asks if it needs it.
///
/// S3 says a failed completion with an `<Error>` body (even under 200); any other 200 answer is
/// a completed upload, whatever its root is named (moto 5.2.1 answered with another name):
/// an upload the server accepted is never reported as failed for the shape of its answer.
pub fn parse_complete_multipart(key: &str, resp: &Response) -> Result<ObjectMeta> {
    let root = xml::parse(&resp.body)?;
    if root.name == "Error" {
        return Err(error_from(Some(&root), resp));
    }
    let mut m = ObjectMeta::new(key, 0);
    m.etag = root.text_of("ETag").map(|e| unquote(e).to_string());
    m.version = resp.headers.get("x-amz-version-id").map(str::to_string);
    Ok(m)
}

pub fn parse_list_multipart_uploads(resp: &Response) -> Result<Vec<MultipartUpload>> {
    let root = success_body(resp, "ListMultipartUploadsResult")?;
    let encoded = root.text_of("EncodingType").is_some_and(|e| e.eq_ignore_ascii_case("url"));
    root.all("Upload")
        .map(|u| {
            Ok(MultipartUpload {
                key: url_decode(required(u, "Key")?, encoded)?,
                upload_id: required(u, "UploadId")?.to_string(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::http::Headers;

    fn resp(status: u16, body: &str) -> Response {
        Response::new(status, Headers::new(), body.to_string())
    }

    #[test]
    fn errors_are_typed() {
        let e = parse_error(&resp(404, "<Error><Code>NoSuchKey</Code><Message>gone</Message><RequestId>R1</RequestId></Error>"));
        assert_eq!(
            (e.kind, e.code.as_deref(), e.request_id.as_deref(), e.status),
            (ErrorKind::NotFound, Some("NoSuchKey"), Some("R1"), Some(404))
        );
        let e = parse_error(&resp(403, "<Error><Code>SignatureDoesNotMatch</Code></Error>"));
        assert_eq!(e.kind, ErrorKind::PermissionDenied);
        let mut slow = resp(503, "<Error><Code>SlowDown</Code></Error>");
        slow.headers.set("Retry-After", "2");
        let e = parse_error(&slow);
        assert!(e.retryable && e.kind == ErrorKind::Service);
        assert_eq!(e.retry_after, Some(std::time::Duration::from_secs(2)));
        let e = parse_error(&resp(412, ""));
        assert_eq!(e.kind, ErrorKind::PreconditionFailed);
        let e = parse_error(&resp(500, "<html>oops"));
        assert!(e.retryable && e.message.contains("unreadable"));
        let e = parse_error(&resp(409, "<Error><Code>BucketNotEmpty</Code></Error>"));
        assert_eq!(e.kind, ErrorKind::Conflict);
    }

    #[test]
    fn error_inside_200() {
        let r = resp(200, "<?xml version=\"1.0\"?>\n<Error><Code>InternalError</Code><Message>retry</Message></Error>");
        let e = parse_complete_multipart("k", &r).unwrap_err();
        assert!(e.retryable && e.code.as_deref() == Some("InternalError"));
        assert_eq!(
            parse_copy_object(&resp(200, "<Error><Code>AccessDenied</Code></Error>")).unwrap_err().kind,
            ErrorKind::PermissionDenied
        );
    }

    #[test]
    fn listing_decodes_keys_and_demands_tokens() {
        let body = "<ListBucketResult><EncodingType>url</EncodingType><IsTruncated>true</IsTruncated>\
            <NextContinuationToken>tok</NextContinuationToken>\
            <Contents><Key>a%20b%2Bc</Key><Size>3</Size><ETag>&quot;e&quot;</ETag><LastModified>2024-01-02T03:04:05.000Z</LastModified></Contents>\
            <CommonPrefixes><Prefix>d%2F</Prefix></CommonPrefixes></ListBucketResult>";
        let p = parse_list_objects_v2(&resp(200, body)).unwrap();
        assert_eq!(p.objects[0].key, "a b+c");
        assert_eq!(p.objects[0].etag.as_deref(), Some("e"));
        assert_eq!(p.prefixes, ["d/"]);
        assert_eq!(p.next_token.as_deref(), Some("tok"));
        let bad = resp(200, "<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>");
        assert!(parse_list_objects_v2(&bad).is_err());
        let bad = resp(200, "<ListBucketResult><Contents><Key>k</Key><Size>x</Size></Contents></ListBucketResult>");
        assert_eq!(parse_list_objects_v2(&bad).unwrap_err().kind, ErrorKind::InvalidResponse);
    }

    #[test]
    fn ranged_get() {
        let mut h = Headers::new();
        h.set("Content-Range", "bytes 2-4/10");
        h.set("Content-Length", "3");
        h.set("ETag", "\"abc\"");
        let (m, data) = parse_get_object("k", &Response::new(206, h.clone(), "xyz")).unwrap();
        assert_eq!((m.size, &data[..], m.etag.as_deref()), (10, &b"xyz"[..], Some("abc")));
        assert_eq!(parse_get_object("k", &Response::new(206, h, "xy")).unwrap_err().kind, ErrorKind::Integrity);
        assert!(parse_upload_part(&resp(200, "")).is_err());
        let mut h = Headers::new();
        h.set("x-amz-checksum-crc32c", super::super::request::crc32c_base64(b"good"));
        assert!(parse_get_object("k", &Response::new(200, h.clone(), "good")).is_ok());
        let e = parse_get_object("k", &Response::new(200, h, "evil")).unwrap_err();
        assert!(e.kind == ErrorKind::Integrity && e.retryable);
    }

    #[test]
    fn user_metadata_comes_from_x_amz_meta_headers() {
        let mut h = Headers::new();
        h.set("Content-Length", "3");
        h.set("X-Amz-Meta-Seed-Sha256", "abc");
        h.set("x-amz-meta-a", "1");
        h.set("x-amz-metadata-directive", "COPY"); // not user metadata
        let m = parse_head_object("k", &Response::new(200, h, "")).unwrap();
        assert_eq!(m.metadata, [("a".to_string(), "1".to_string()), ("seed-sha256".to_string(), "abc".to_string())]);
    }

    #[test]
    fn weak_etags_are_kept_whole() {
        let mut h = Headers::new();
        h.set("Content-Length", "0");
        h.set("ETag", "W/\"abc\"");
        let m = parse_head_object("k", &Response::new(200, h, "")).unwrap();
        assert_eq!(m.etag.as_deref(), Some("W/\"abc\""));
    }

    #[test]
    fn content_ranges() {
        assert_eq!(ContentRange::parse("bytes 2-4/10").unwrap(), ContentRange { start: 2, end: 5, total: Some(10) });
        assert_eq!(ContentRange::parse(" bytes 0-0/* ").unwrap(), ContentRange { start: 0, end: 1, total: None });
        for bad in [
            "bytes 5-4/10",
            "bytes 0-10/10",
            "bytes */10",
            "2-4/10",
            "bytes 2-4",
            "bytes a-4/10",
            "bytes 0-18446744073709551615/*",
        ] {
            assert_eq!(ContentRange::parse(bad).unwrap_err().kind, ErrorKind::InvalidResponse, "{bad}");
        }
    }

    #[test]
    fn content_range_end_at_u64_max_is_an_error_not_an_overflow() {
        let mut h = Headers::new();
        h.set("Content-Range", "bytes 0-18446744073709551615/*");
        let e = parse_get_object("k", &Response::new(206, h, "x")).unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidResponse);
    }

    #[test]
    fn a_completed_upload_is_complete_whatever_its_root_is_called() {
        let ok = "<CompleteMultipartUpload><ETag>&quot;abc-2&quot;</ETag></CompleteMultipartUpload>";
        assert_eq!(parse_complete_multipart("k", &resp(200, ok)).unwrap().etag.as_deref(), Some("abc-2"));
        let failed = "<Error><Code>InternalError</Code><Message>m</Message></Error>";
        assert!(parse_complete_multipart("k", &resp(200, failed)).is_err());
    }
}
