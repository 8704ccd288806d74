//! One parser per Blob service answer, and the mapping of Azure errors to [`ErrorKind`].

use bytes::Bytes;
use chrono::{DateTime, Utc};

use super::request::content_md5;
use crate::core::error::{Error, ErrorKind, Result};
use crate::core::etag::unquote;
use crate::core::http::{ContentRange, Response};
use crate::core::types::{BucketInfo, Copied, DeleteFailure, ListPage, ObjectMeta};
use crate::core::xml::{self, Node};

fn invalid(msg: impl Into<String>) -> Error {
    Error::invalid_response(msg)
}

fn integrity(msg: String) -> Error {
    Error::new(ErrorKind::Integrity, msg).retryable(true)
}

/// The kind an Azure error code (or, without one, a status) maps to, and whether a retry may
/// help. Azurite answers some codes differently from the service (`InvalidOperation` for an
/// MD5 mismatch), so unknown codes fall back on the status.
fn classify(code: Option<&str>, status: u16) -> (ErrorKind, bool) {
    use ErrorKind::*;
    let by_code = code.and_then(|c| {
        Some(match c {
            "BlobNotFound" | "ContainerNotFound" | "ResourceNotFound" | "CannotVerifyCopySource" => (NotFound, false),
            "AuthenticationFailed"
            | "AuthorizationFailure"
            | "AuthorizationPermissionMismatch"
            | "AuthorizationResourceTypeMismatch"
            | "AuthorizationProtocolMismatch"
            | "AuthorizationSourceIPMismatch"
            | "AuthorizationServiceMismatch"
            | "InvalidAuthenticationInfo"
            | "InsufficientAccountPermissions"
            | "AccountIsDisabled"
            | "NoAuthenticationInformation"
            | "PublicAccessNotPermitted" => (PermissionDenied, false),
            // Create-only refused: the service answers 409 BlobAlreadyExists, S3 a 412; both
            // mean the condition the caller set did not hold.
            "ConditionNotMet" | "TargetConditionNotMet" | "SourceConditionNotMet" | "BlobAlreadyExists" => {
                (PreconditionFailed, false)
            }
            "ContainerAlreadyExists" => (AlreadyExists, false),
            "ContainerBeingDeleted"
            | "ContainerDisabled"
            | "LeaseIdMissing"
            | "LeaseAlreadyPresent"
            | "LeaseIdMismatchWithBlobOperation"
            | "PendingCopyOperation"
            | "NoPendingCopyOperation"
            | "BlobArchived"
            | "BlobBeingRehydrated" => (Conflict, false),
            "Md5Mismatch" | "Crc64Mismatch" => (Integrity, true),
            "InvalidRange"
            | "InvalidBlockList"
            | "InvalidBlobOrBlock"
            | "InvalidBlockId"
            | "InvalidQueryParameterValue"
            | "InvalidHeaderValue"
            | "InvalidInput"
            | "InvalidMd5"
            | "InvalidMetadata"
            | "InvalidResourceName"
            | "InvalidUri"
            | "InvalidXmlDocument"
            | "InvalidXmlNodeValue"
            | "MissingRequiredHeader"
            | "MissingRequiredQueryParameter"
            | "OutOfRangeInput"
            | "OutOfRangeQueryParameterValue"
            | "RequestBodyTooLarge"
            | "MetadataTooLarge"
            | "Md5MismatchOnBlockList" => (InvalidInput, false),
            "FeatureNotSupported" | "APINotImplemented" | "UnsupportedHeader" | "UnsupportedQueryParameter" => {
                (NotSupported, false)
            }
            "ServerBusy" | "InternalError" | "OperationTimedOut" => (Service, true),
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

/// A body without the UTF-8 byte order mark the service puts before its XML.
fn without_bom(body: &[u8]) -> &[u8] {
    body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body)
}

fn parse_xml(resp: &Response) -> Result<Node> {
    xml::parse(without_bom(&resp.body))
}

/// The typed error of a non-2xx answer. Never fails: the code comes from the XML body, or
/// from `x-ms-error-code` (a HEAD has no body), or the status alone types it. The message is
/// the service's first line (the rest repeats the request id and the time).
pub fn parse_error(resp: &Response) -> Error {
    let root = parse_xml(resp).ok().filter(|r| r.name == "Error");
    let nonempty = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
    let code = root
        .as_ref()
        .and_then(|n| n.text_of("Code"))
        .and_then(nonempty)
        .or_else(|| resp.headers.get("x-ms-error-code").and_then(nonempty));
    let message = root.as_ref().and_then(|n| n.text_of("Message")).and_then(|m| m.lines().next()).and_then(nonempty);
    let (kind, retryable) = classify(code.as_deref(), resp.status);
    let message = match (message, &code) {
        (Some(m), _) => m,
        (None, Some(c)) => format!("Azure error {c}"),
        (None, None) if resp.body.is_empty() => format!("Azure answered HTTP {} with no body", resp.status),
        (None, None) => format!("Azure answered HTTP {} with an unreadable error body", resp.status),
    };
    let mut e = Error::new(kind, message).with_status(resp.status).retryable(retryable);
    if let Some(c) = code {
        e = e.with_code(c);
    }
    e.retry_after =
        resp.headers.get("retry-after").and_then(|v| v.trim().parse::<u64>().ok()).map(std::time::Duration::from_secs);
    if let Some(r) = resp.headers.get("x-ms-request-id").map(str::trim).filter(|r| !r.is_empty()) {
        e = e.with_request_id(r);
    }
    e
}

fn http_time(s: &str) -> Result<DateTime<Utc>> {
    DateTime::parse_from_rfc2822(s.trim()).map(|t| t.with_timezone(&Utc)).map_err(|_| invalid(format!("bad time {s:?}")))
}

fn number(s: &str, what: &str) -> Result<u64> {
    s.trim().parse().map_err(|_| invalid(format!("bad {what} {s:?}")))
}

fn root(resp: &Response, expected: &str) -> Result<Node> {
    let r = parse_xml(resp)?;
    if r.name != expected {
        return Err(invalid(format!("expected <{expected}>, got <{}>", r.name)));
    }
    Ok(r)
}

fn nonempty(s: Option<&str>) -> Option<&str> {
    s.map(str::trim).filter(|s| !s.is_empty())
}

/// List Containers: the names and their last-modified times (Azure reports no creation time
/// here; the last change of the container's properties is the nearest it has), and the marker
/// of the next page (none, or an empty `<NextMarker/>`, on the last).
pub fn parse_list_containers(resp: &Response) -> Result<(Vec<BucketInfo>, Option<String>)> {
    let r = root(resp, "EnumerationResults")?;
    let next = nonempty(r.text_of("NextMarker")).map(str::to_string);
    let Some(list) = r.child("Containers") else { return Ok((Vec::new(), next)) };
    let containers = list
        .all("Container")
        .map(|c| {
            let name = nonempty(c.text_of("Name")).ok_or_else(|| invalid("<Container> lacks <Name>"))?;
            let created = c.child("Properties").and_then(|p| nonempty(p.text_of("Last-Modified"))).map(http_time).transpose()?;
            Ok(BucketInfo { name: name.to_string(), created })
        })
        .collect::<Result<_>>()?;
    Ok((containers, next))
}

/// A listed `<Name>`: a name holding characters XML 1.0 cannot carry comes percent-encoded,
/// marked `Encoded="true"`.
fn listed_name(n: &Node) -> Result<String> {
    if n.attr("Encoded") != Some("true") {
        return Ok(n.text.clone());
    }
    percent_encoding::percent_decode_str(&n.text)
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|_| invalid(format!("encoded name {:?} is not UTF-8", n.text)))
}

/// One `<Blob>` of a listing.
fn listed_blob(b: &Node) -> Result<ObjectMeta> {
    let name = listed_name(b.child("Name").ok_or_else(|| invalid("<Blob> lacks <Name>"))?)?;
    let p = b.child("Properties").ok_or_else(|| invalid(format!("<Blob> {name:?} lacks <Properties>")))?;
    let size = number(p.text_of("Content-Length").ok_or_else(|| invalid("<Properties> lacks <Content-Length>"))?, "size")?;
    let mut m = ObjectMeta::new(name, size);
    m.last_modified = nonempty(p.text_of("Last-Modified")).map(http_time).transpose()?;
    m.etag = nonempty(p.text_of("Etag")).map(|t| unquote(t).to_string());
    m.content_type = nonempty(p.text_of("Content-Type")).map(str::to_string);
    m.storage_class = nonempty(p.text_of("AccessTier")).map(str::to_string);
    m.version = nonempty(b.text_of("VersionId")).map(str::to_string);
    Ok(m)
}

/// List Blobs: blobs and (delimited) prefixes, and the marker of the next page (an empty
/// `<NextMarker/>` ends the listing). Names at or before `skip` are dropped (a first page
/// asked to start after a name).
pub fn parse_list_blobs(resp: &Response, skip: Option<&str>) -> Result<ListPage> {
    let r = root(resp, "EnumerationResults")?;
    let mut page = ListPage::default();
    if let Some(blobs) = r.child("Blobs") {
        for n in &blobs.children {
            match n.name.as_str() {
                "Blob" => page.objects.push(listed_blob(n)?),
                "BlobPrefix" => {
                    let name = n.child("Name").map(listed_name).transpose()?.filter(|s| !s.is_empty());
                    page.prefixes.push(name.ok_or_else(|| invalid("<BlobPrefix> lacks <Name>"))?);
                }
                _ => {}
            }
        }
    }
    if let Some(s) = skip {
        page.objects.retain(|o| o.key.as_str() > s);
        // A prefix that `skip` lies inside may still hold names after it.
        page.prefixes.retain(|p| p.as_str() > s || s.starts_with(p.as_str()));
    }
    page.next_token = nonempty(r.text_of("NextMarker")).map(str::to_string);
    Ok(page)
}

/// The metadata the headers of Get Blob Properties, Get Blob or a write carry.
fn meta_from_headers(key: &str, resp: &Response, size: u64) -> Result<ObjectMeta> {
    let h = &resp.headers;
    let mut m = ObjectMeta::new(key, size);
    m.etag = nonempty(h.get("etag")).map(|t| unquote(t).to_string());
    m.last_modified = nonempty(h.get("last-modified")).map(http_time).transpose()?;
    m.content_type = nonempty(h.get("content-type")).map(str::to_string);
    m.storage_class = nonempty(h.get("x-ms-access-tier")).map(str::to_string);
    m.version = nonempty(h.get("x-ms-version-id")).map(str::to_string);
    m.metadata = h
        .iter()
        .filter_map(|(k, v)| {
            let k = k.to_ascii_lowercase();
            k.strip_prefix("x-ms-meta-").map(|name| (name.to_string(), v.to_string()))
        })
        .collect();
    m.metadata.sort();
    Ok(m)
}

fn content_length(resp: &Response) -> Result<Option<u64>> {
    resp.headers.get("content-length").map(|v| number(v, "Content-Length")).transpose()
}

/// Get Blob Properties (a HEAD): the size is its `Content-Length`.
pub fn parse_properties(key: &str, resp: &Response) -> Result<ObjectMeta> {
    let size = content_length(resp)?.ok_or_else(|| invalid(format!("{key}: properties without Content-Length")))?;
    let mut m = meta_from_headers(key, resp, size)?;
    m.content_md5 = nonempty(resp.headers.get("content-md5")).map(str::to_string);
    Ok(m)
}

/// Get Blob: the metadata (the size is the whole blob's, from `Content-Range` on a 206) and
/// the bytes. A body shorter or longer than announced is an `Integrity` error, and so is a
/// whole read whose MD5 differs from the stored `Content-MD5` (sent only for whole reads).
pub fn parse_get_blob(key: &str, resp: &Response) -> Result<(ObjectMeta, Bytes)> {
    let len = resp.body.len() as u64;
    if let Some(cl) = content_length(resp)?
        && cl != len
    {
        return Err(integrity(format!("{key}: announced {cl} bytes, received {len}")));
    }
    let size = if resp.status == 206 {
        let cr =
            resp.headers.get("content-range").ok_or_else(|| invalid(format!("{key}: partial answer without Content-Range")))?;
        let span = ContentRange::parse(cr)?;
        if span.end - span.start != len {
            return Err(integrity(format!("{key}: range {}-{} but {len} bytes received", span.start, span.end - 1)));
        }
        span.total.unwrap_or(span.end)
    } else {
        if let Some(want) = nonempty(resp.headers.get("content-md5")) {
            let got = content_md5(&resp.body);
            if got != want {
                return Err(integrity(format!("{key}: MD5 {got} does not match the stored {want}")));
            }
        }
        len
    };
    Ok((meta_from_headers(key, resp, size)?, resp.body.clone()))
}

/// An empty 206 whose `Content-Range` is inverted at the end (`bytes 10-9/10`): the size, for a
/// server declared to answer so ([`Quirks::inverted_empty_ranges`](crate::core::provider::Quirks)).
pub fn inverted_empty_range(resp: &Response) -> Option<u64> {
    let cr = resp.headers.get("content-range")?.trim().strip_prefix("bytes ")?;
    let (span, total) = cr.split_once('/')?;
    let (first, last) = span.split_once('-')?;
    let (first, last, total): (u64, u64, u64) = (first.parse().ok()?, last.parse().ok()?, total.parse().ok()?);
    (resp.status == 206 && resp.body.is_empty() && first == total && last + 1 == first).then_some(total)
}

/// Put Blob or Put Block List: the new ETag. A Put Blob answer's `Content-MD5` is what the
/// service computed of what it received: it must be the MD5 of what was sent. `sent` is
/// `None` for a block list (its MD5 would be of the list).
pub fn parse_written(key: &str, sent: Option<&[u8]>, resp: &Response) -> Result<ObjectMeta> {
    if let (Some(data), Some(got)) = (sent, nonempty(resp.headers.get("content-md5")))
        && got != content_md5(data)
    {
        return Err(integrity(format!("{key}: Azure stored MD5 {got}, not the one sent")));
    }
    let mut m = meta_from_headers(key, resp, sent.map_or(0, |d| d.len() as u64))?;
    // The answer's Content-Type (if any) describes its own empty body, not the blob.
    m.content_type = None;
    if m.etag.is_none() {
        return Err(invalid(format!("{key}: a write answered without an ETag")));
    }
    Ok(m)
}

/// One part of a multipart body: its headers (names lower-cased) and what follows them.
fn split_head(part: &str) -> Option<(Vec<(String, String)>, &str)> {
    let (head, rest) = part.split_once("\r\n\r\n").or_else(|| part.split_once("\n\n"))?;
    let headers = head
        .lines()
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    Some((headers, rest))
}

/// A Blob Batch answer (multipart/mixed, one embedded HTTP response per sub-request, matched
/// by `Content-ID`, else by order): the keys that were not deleted. A blob already gone (404)
/// counts as deleted. An answer that does not account for every key is an error.
pub fn parse_batch_delete(resp: &Response, keys: &[String]) -> Result<Vec<DeleteFailure>> {
    let ct = resp.headers.get("content-type").unwrap_or("");
    let boundary = ct
        .split(';')
        .filter_map(|p| p.trim().strip_prefix("boundary="))
        .map(|b| b.trim_matches('"'))
        .next()
        .filter(|b| !b.is_empty())
        .ok_or_else(|| invalid("a Blob Batch answer without a multipart boundary"))?;
    let text = std::str::from_utf8(without_bom(&resp.body)).map_err(|_| invalid("a Blob Batch answer is not UTF-8"))?;
    let delimiter = format!("--{boundary}");
    let mut answered = vec![false; keys.len()];
    let mut failures = Vec::new();
    for (n, part) in text.split(delimiter.as_str()).skip(1).enumerate() {
        if part.starts_with("--") {
            break;
        }
        let bad = || invalid(format!("Blob Batch answer part {n} is malformed"));
        let (headers, inner) = split_head(part.trim_start_matches(['\r', '\n'])).ok_or_else(bad)?;
        let index = match headers.iter().find(|(k, _)| k == "content-id") {
            Some((_, v)) => v.parse::<usize>().map_err(|_| bad())?,
            None => n,
        };
        let (status_line, rest) = inner.split_once('\n').ok_or_else(bad)?;
        let status: u16 = status_line.split_whitespace().nth(1).and_then(|s| s.parse().ok()).ok_or_else(bad)?;
        let key = keys
            .get(index)
            .ok_or_else(|| invalid(format!("Blob Batch answer part for sub-request {index}, of {}", keys.len())))?;
        answered[index] = true;
        if (200..300).contains(&status) || status == 404 {
            continue;
        }
        let (sub_headers, body) = split_head(rest).unwrap_or((Vec::new(), ""));
        let mut h = crate::core::http::Headers::new();
        for (k, v) in sub_headers {
            h.set(k, v);
        }
        let e = parse_error(&Response::new(status, h, body.trim_end_matches(['\r', '\n']).to_string()));
        failures.push(DeleteFailure { key: key.clone(), code: e.code.unwrap_or_else(|| status.to_string()), message: e.message });
    }
    if let Some(i) = answered.iter().position(|a| !a) {
        return Err(invalid(format!("the Blob Batch answer says nothing of {:?}", keys[i])));
    }
    Ok(failures)
}

/// Where a copy stands by `x-ms-copy-status`: done, pending (asked again by the copy id), or
/// failed. `expect_id` is the id of the copy being followed: another id on the destination
/// means another copy replaced it.
pub fn parse_copy_status(resp: &Response, expect_id: Option<&str>) -> Result<Copied> {
    let h = &resp.headers;
    let id = nonempty(h.get("x-ms-copy-id"));
    if let (Some(want), got) = (expect_id, id)
        && got != Some(want)
    {
        return Err(Error::new(ErrorKind::Conflict, "another copy replaced the one being followed"));
    }
    match nonempty(h.get("x-ms-copy-status")).map(str::to_ascii_lowercase).as_deref() {
        Some("success") => Ok(Copied::Done),
        Some("pending") => {
            let id = id.ok_or_else(|| invalid("a pending copy without x-ms-copy-id"))?;
            Ok(Copied::Pending(id.to_string()))
        }
        Some(s @ ("failed" | "aborted")) => {
            let why = nonempty(h.get("x-ms-copy-status-description")).unwrap_or("no description");
            Err(Error::new(ErrorKind::Service, format!("the copy {s}: {why}")))
        }
        Some(other) => Err(invalid(format!("unknown x-ms-copy-status {other:?}"))),
        // A blob that was never a copy destination (following a copy): nothing to wait for.
        None if expect_id.is_some() => Err(Error::new(ErrorKind::Conflict, "the copy destination is no longer a copy")),
        None => Err(invalid("Copy Blob answered without x-ms-copy-status")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::http::Headers;

    fn resp(status: u16, headers: &[(&str, &str)], body: &str) -> Response {
        let mut h = Headers::new();
        for (k, v) in headers {
            h.set(*k, *v);
        }
        Response::new(status, h, body.to_string())
    }

    #[test]
    fn container_pages_carry_the_next_marker() {
        let page = |next: &str| {
            format!(
                "<EnumerationResults><Containers><Container><Name>c1</Name><Properties><Last-Modified>Mon, 01 Dec 2025 10:00:00 GMT</Last-Modified></Properties></Container></Containers>{next}</EnumerationResults>"
            )
        };
        let (c, next) = parse_list_containers(&resp(200, &[], &page("<NextMarker>/acct/c2</NextMarker>"))).unwrap();
        assert_eq!((c.len(), c[0].name.as_str(), next.as_deref()), (1, "c1", Some("/acct/c2")));
        assert_eq!(parse_list_containers(&resp(200, &[], &page("<NextMarker/>"))).unwrap().1, None);
        assert_eq!(parse_list_containers(&resp(200, &[], &page(""))).unwrap().1, None);
    }

    #[test]
    fn encoded_names_are_decoded() {
        // A name with a character XML 1.0 cannot hold (U+0001) comes percent-encoded and marked;
        // an unmarked name is taken as it is, `%` included.
        let body = r#"<?xml version="1.0" encoding="utf-8"?><EnumerationResults><Blobs>
            <Blob><Name Encoded="true">a%01b%20%C3%BC</Name><Properties><Content-Length>1</Content-Length></Properties></Blob>
            <Blob><Name>plain%41</Name><Properties><Content-Length>2</Content-Length></Properties></Blob>
            <BlobPrefix><Name Encoded="true">dir%02/</Name></BlobPrefix></Blobs><NextMarker/></EnumerationResults>"#;
        let page = parse_list_blobs(&resp(200, &[], body), None).unwrap();
        let names: Vec<&str> = page.objects.iter().map(|o| o.key.as_str()).collect();
        assert_eq!(names, ["a\u{1}b ü", "plain%41"]);
        assert_eq!(page.prefixes, ["dir\u{2}/"]);
        let bad = r#"<EnumerationResults><Blobs><Blob><Name Encoded="true">%FF</Name><Properties><Content-Length>1</Content-Length></Properties></Blob></Blobs></EnumerationResults>"#;
        assert_eq!(parse_list_blobs(&resp(200, &[], bad), None).unwrap_err().kind, ErrorKind::InvalidResponse);
    }

    #[test]
    fn properties_carry_user_metadata() {
        // Get Blob Properties as documented: each `x-ms-meta-name: value` is a metadata item;
        // other `x-ms-` headers are not.
        let r = resp(
            200,
            &[
                ("Content-Length", "11"),
                ("Content-Type", "text/plain"),
                ("ETag", "\"0x8D\""),
                ("x-ms-meta-Owner", "ada <lovelace>"),
                ("x-ms-meta-category", "x y"),
                ("x-ms-meta-empty", ""),
                ("x-ms-blob-type", "BlockBlob"),
                ("x-ms-request-id", "r"),
            ],
            "",
        );
        let m = parse_properties("k", &r).unwrap();
        let md: Vec<(&str, &str)> = m.metadata.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        assert_eq!(md, [("category", "x y"), ("empty", ""), ("owner", "ada <lovelace>")]);
        assert_eq!((m.size, m.etag.as_deref()), (11, Some("0x8D")));
        assert!(parse_properties("k", &resp(200, &[("content-length", "0")], "")).unwrap().metadata.is_empty());
    }

    #[test]
    fn errors_from_body_header_or_status() {
        let e = parse_error(&resp(
            403,
            &[("x-ms-request-id", "r1")],
            "\u{feff}<?xml version=\"1.0\"?><Error><Code>AuthenticationFailed</Code><Message>Server failed.\nRequestId:r1\nTime:x</Message></Error>",
        ));
        assert_eq!(
            (e.kind, e.code.as_deref(), e.message.as_str()),
            (ErrorKind::PermissionDenied, Some("AuthenticationFailed"), "Server failed.")
        );
        assert_eq!(e.request_id.as_deref(), Some("r1"));
        let head = parse_error(&resp(404, &[("x-ms-error-code", "BlobNotFound")], ""));
        assert_eq!((head.kind, head.code.as_deref()), (ErrorKind::NotFound, Some("BlobNotFound")));
        let exists = parse_error(&resp(409, &[("x-ms-error-code", "BlobAlreadyExists")], ""));
        assert_eq!(exists.kind, ErrorKind::PreconditionFailed);
        let c = parse_error(&resp(409, &[("x-ms-error-code", "ContainerAlreadyExists")], ""));
        assert_eq!(c.kind, ErrorKind::AlreadyExists);
        let busy = parse_error(&resp(503, &[("retry-after", "2")], "not xml"));
        assert!(busy.retryable && busy.kind == ErrorKind::Service && busy.retry_after == Some(std::time::Duration::from_secs(2)));
        assert_eq!(parse_error(&resp(500, &[], "")).message, "Azure answered HTTP 500 with no body");
    }

    #[test]
    fn reads_are_checked() {
        let ok = resp(200, &[("content-length", "5"), ("content-md5", "XUFAKrxLKna5cZ2REBfFkg=="), ("etag", "\"0x1\"")], "hello");
        let (m, b) = parse_get_blob("k", &ok).unwrap();
        assert_eq!((m.size, m.etag.as_deref(), &b[..]), (5, Some("0x1"), &b"hello"[..]));
        let bad = resp(200, &[("content-md5", "XUFAKrxLKna5cZ2REBfFkg==")], "hellO");
        assert_eq!(parse_get_blob("k", &bad).unwrap_err().kind, ErrorKind::Integrity);
        let short = resp(200, &[("content-length", "6")], "hello");
        assert_eq!(parse_get_blob("k", &short).unwrap_err().kind, ErrorKind::Integrity);
        // A range carries the whole blob's MD5 (x-ms-blob-content-md5), not checked here.
        let part = resp(206, &[("content-range", "bytes 1-2/5"), ("x-ms-blob-content-md5", "XUFAKrxLKna5cZ2REBfFkg==")], "el");
        assert_eq!(parse_get_blob("k", &part).unwrap().0.size, 5);
        let wrong = resp(206, &[("content-range", "bytes 1-3/5")], "el");
        assert_eq!(parse_get_blob("k", &wrong).unwrap_err().kind, ErrorKind::Integrity);
        let inverted = resp(206, &[("content-range", "bytes 10-9/10")], "");
        assert_eq!((inverted_empty_range(&inverted), parse_get_blob("k", &inverted).is_err()), (Some(10), true));
        assert_eq!(inverted_empty_range(&resp(206, &[("content-range", "bytes 9-8/10")], "")), None);
    }

    #[test]
    fn writes_and_copies() {
        let w = resp(201, &[("etag", "\"0x2\""), ("content-md5", "XUFAKrxLKna5cZ2REBfFkg==")], "");
        assert_eq!(parse_written("k", Some(b"hello"), &w).unwrap().etag.as_deref(), Some("0x2"));
        assert_eq!(parse_written("k", Some(b"hellO"), &w).unwrap_err().kind, ErrorKind::Integrity);
        assert!(parse_written("k", None, &resp(201, &[], "")).is_err(), "no ETag");
        let done = resp(202, &[("x-ms-copy-status", "success"), ("x-ms-copy-id", "c1")], "");
        assert_eq!(parse_copy_status(&done, None).unwrap(), Copied::Done);
        let pending = resp(202, &[("x-ms-copy-status", "pending"), ("x-ms-copy-id", "c1")], "");
        assert_eq!(parse_copy_status(&pending, None).unwrap(), Copied::Pending("c1".into()));
        assert_eq!(parse_copy_status(&pending, Some("c1")).unwrap(), Copied::Pending("c1".into()));
        assert_eq!(parse_copy_status(&pending, Some("c0")).unwrap_err().kind, ErrorKind::Conflict);
        let failed =
            resp(200, &[("x-ms-copy-status", "failed"), ("x-ms-copy-id", "c1"), ("x-ms-copy-status-description", "500 x")], "");
        assert!(parse_copy_status(&failed, Some("c1")).unwrap_err().message.contains("500 x"));
    }

    #[test]
    fn malformed_listings_are_errors() {
        for body in ["<EnumerationResults><Blobs><Blob><Name>a</Name></Blob></Blobs></EnumerationResults>", "<Other/>", "<E"] {
            assert_eq!(parse_list_blobs(&resp(200, &[], body), None).unwrap_err().kind, ErrorKind::InvalidResponse, "{body}");
        }
    }
}
