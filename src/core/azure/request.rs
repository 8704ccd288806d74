//! One builder per Blob service call. Each returns an unsigned [`Request`] carrying
//! `x-ms-version`; the driver authorizes it (Shared Key, SAS, bearer or nothing).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use bytes::Bytes;
use md5::{Digest, Md5};

use super::config::{AzureConfig, encode_blob_name, validate_container};
use crate::core::error::{Error, Result};
use crate::core::http::{Method, Request};
use crate::core::types::{ByteRange, ListRequest, PutOptions};
use crate::core::xml;

/// Keys one `delete_batch` call removes: a Blob Batch takes up to 256 sub-requests.
pub const MAX_DELETE: usize = 256;

/// Containers one List Containers page returns (the service's maximum).
pub const MAX_CONTAINERS: u32 = 5000;

const OCTETS: &str = "application/octet-stream";

/// The base64 MD5 of `data`, as `Content-MD5` carries it.
pub fn content_md5(data: &[u8]) -> String {
    B64.encode(Md5::digest(data))
}

/// A tag as `If-Match` sends it: quoted unless it already is (or is weak, or `*`).
fn quoted(tag: &str) -> String {
    let tag = tag.trim();
    if tag == "*" || tag.starts_with('"') || tag.starts_with("W/") { tag.to_string() } else { format!("\"{tag}\"") }
}

/// The write conditions: create-only is `If-None-Match: *` (an existing blob answers 409
/// BlobAlreadyExists), a pinned overwrite is `If-Match`.
fn with_conditions(mut req: Request, opts: &PutOptions) -> Result<Request> {
    if opts.if_none_match_any && opts.if_match.is_some() {
        return Err(Error::invalid_input("a write cannot be both create-only and pinned to an ETag"));
    }
    if opts.if_none_match_any {
        req.headers.set("If-None-Match", "*");
    }
    if let Some(tag) = &opts.if_match {
        req.headers.set("If-Match", quoted(tag));
    }
    Ok(req)
}

fn with_body(req: Request, body: Bytes) -> Request {
    let len = body.len();
    req.header("Content-Length", len.to_string()).with_body(body)
}

/// List Containers: a page of up to [`MAX_CONTAINERS`], from `marker` (the previous page's
/// `NextMarker`) or the first.
pub fn list_containers(cfg: &AzureConfig, marker: Option<&str>) -> Result<Request> {
    let req = cfg.service(Method::Get).query_param("comp", "list").query_param("maxresults", MAX_CONTAINERS.to_string());
    Ok(match marker {
        Some(m) => req.query_param("marker", m),
        None => req,
    })
}

/// Create Container (private: no public access header).
pub fn create_container(cfg: &AzureConfig, container: &str) -> Result<Request> {
    Ok(cfg.container(Method::Put, container)?.query_param("restype", "container").header("Content-Length", "0"))
}

/// Delete Container. The service deletes a container with its blobs; the facade refuses a
/// non-recursive removal of a non-empty one before this is sent.
pub fn delete_container(cfg: &AzureConfig, container: &str) -> Result<Request> {
    Ok(cfg.container(Method::Delete, container)?.query_param("restype", "container"))
}

/// Get Container Properties (GET, so a failure has an error body).
pub fn get_container_properties(cfg: &AzureConfig, container: &str) -> Result<Request> {
    Ok(cfg.container(Method::Get, container)?.query_param("restype", "container"))
}

/// List Blobs. `start_after` has no equivalent the service takes on every version: the
/// parser drops the names up to it (see [`super::parse_list_blobs`]).
pub fn list_blobs(cfg: &AzureConfig, container: &str, list: &ListRequest) -> Result<Request> {
    let mut req = cfg.container(Method::Get, container)?.query_param("restype", "container").query_param("comp", "list");
    if !list.prefix.is_empty() {
        req = req.query_param("prefix", list.prefix.clone());
    }
    if list.delimited {
        req = req.query_param("delimiter", "/");
    }
    if let Some(m) = &list.token {
        req = req.query_param("marker", m.clone());
    }
    if let Some(n) = list.max_keys {
        // maxresults=0 is a 400.
        req = req.query_param("maxresults", n.max(1).to_string());
    }
    Ok(req)
}

/// Get Blob Properties.
pub fn get_properties(cfg: &AzureConfig, container: &str, name: &str) -> Result<Request> {
    cfg.blob(Method::Head, container, name)
}

/// Get Blob: a range as `x-ms-range` (which, unlike `Range`, also takes ranges past 4 GiB on
/// old versions), pinned with `If-Match` when resuming.
pub fn get_blob(
    cfg: &AzureConfig,
    container: &str,
    name: &str,
    range: Option<ByteRange>,
    if_match: Option<&str>,
) -> Result<Request> {
    let mut req = cfg.blob(Method::Get, container, name)?;
    if let Some(h) = range.and_then(ByteRange::to_header) {
        req.headers.set("x-ms-range", h);
    }
    if let Some(tag) = if_match {
        req.headers.set("If-Match", quoted(tag));
    }
    Ok(req)
}

/// Put Blob: a block blob in one request, with its MD5 (the service refuses a body that does
/// not match it).
pub fn put_blob(cfg: &AzureConfig, container: &str, name: &str, body: Bytes, opts: &PutOptions) -> Result<Request> {
    let ct = opts.content_type.clone().unwrap_or_else(|| OCTETS.into());
    let req = cfg
        .blob(Method::Put, container, name)?
        .header("x-ms-blob-type", "BlockBlob")
        .header("Content-Type", ct)
        .header("Content-MD5", content_md5(&body));
    with_conditions(with_body(req, body), opts)
}

/// Put Block: stage one block under `block_id` (base64, the same length for every block of
/// the blob: the upload machine makes them so).
pub fn put_block(cfg: &AzureConfig, container: &str, name: &str, block_id: &str, body: Bytes) -> Result<Request> {
    if block_id.is_empty() || B64.decode(block_id).map_or(true, |raw| raw.len() > 64) {
        return Err(Error::invalid_input("an Azure block id is base64 of at most 64 bytes"));
    }
    let req = cfg
        .blob(Method::Put, container, name)?
        .query_param("comp", "block")
        .query_param("blockid", block_id)
        .header("Content-MD5", content_md5(&body));
    Ok(with_body(req, body))
}

/// The Put Block List body: every block as `<Latest>` (the staged one), in object order.
pub fn block_list_xml(block_ids: &[String]) -> String {
    let mut s = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?><BlockList>");
    for id in block_ids {
        s.push_str("<Latest>");
        s.push_str(&xml::escape(id));
        s.push_str("</Latest>");
    }
    s.push_str("</BlockList>");
    s
}

/// Put Block List: commit the staged blocks, in this order, as the blob's content.
pub fn put_block_list(
    cfg: &AzureConfig,
    container: &str,
    name: &str,
    block_ids: &[String],
    opts: &PutOptions,
) -> Result<Request> {
    if block_ids.is_empty() {
        return Err(Error::invalid_input("a block list commits at least one block"));
    }
    let body = Bytes::from(block_list_xml(block_ids));
    let ct = opts.content_type.clone().unwrap_or_else(|| OCTETS.into());
    let req = cfg
        .blob(Method::Put, container, name)?
        .query_param("comp", "blocklist")
        .header("Content-Type", "application/xml")
        .header("Content-MD5", content_md5(&body))
        .header("x-ms-blob-content-type", ct);
    with_conditions(with_body(req, body), opts)
}

/// Copy Blob from a blob of the same account. The service copies synchronously where it can
/// and answers `x-ms-copy-status: success`; otherwise `pending`, and the copy is followed by
/// [`get_properties`] on the destination.
pub fn copy_blob(cfg: &AzureConfig, src_container: &str, src: &str, dst_container: &str, dst: &str) -> Result<Request> {
    let source = cfg.blob_url(src_container, src)?;
    Ok(cfg.blob(Method::Put, dst_container, dst)?.header("x-ms-copy-source", source).header("Content-Length", "0"))
}

/// Delete Blob, with its snapshots (a blob that has some cannot be deleted alone).
pub fn delete_blob(cfg: &AzureConfig, container: &str, name: &str) -> Result<Request> {
    Ok(cfg.blob(Method::Delete, container, name)?.header("x-ms-delete-snapshots", "include"))
}

/// Blob Batch of Delete Blob sub-requests for `keys` of one container: the outer POST and the
/// sub-requests, which the driver authorizes one by one before [`assemble_batch`] writes them
/// into the body (each carries its own `Authorization`, or the SAS in its URL).
pub fn batch_delete(cfg: &AzureConfig, container: &str, keys: &[String]) -> Result<(Request, Vec<Request>)> {
    if keys.is_empty() || keys.len() > MAX_DELETE {
        return Err(Error::invalid_input(format!("a Blob Batch holds 1 to {MAX_DELETE} deletes, not {}", keys.len())));
    }
    let outer = cfg.container(Method::Post, container)?.query_param("restype", "container").query_param("comp", "batch");
    let parts =
        keys.iter().map(|k| Ok(delete_blob(cfg, container, k)?.header("Content-Length", "0"))).collect::<Result<Vec<_>>>()?;
    Ok((outer, parts))
}

/// The multipart/mixed body of a Blob Batch from its authorized sub-requests. The boundary is
/// derived from the sub-requests (no randomness in the core); it cannot occur inside them,
/// which hold no bodies and only encoded paths and header values.
pub fn assemble_batch(outer: &mut Request, parts: &[Request]) {
    let mut text = String::new();
    for (i, r) in parts.iter().enumerate() {
        let target = if r.query.is_empty() { r.path.clone() } else { format!("{}?{}", r.path, r.query_string()) };
        text.push_str(&format!("Content-ID: {i}\r\n\r\n{} {target} HTTP/1.1\r\n", r.method.as_str()));
        for (k, v) in r.headers.iter() {
            text.push_str(&format!("{k}: {v}\r\n"));
        }
        text.push_str("\r\n\u{0}");
    }
    let boundary = format!("batch_{:x}", Md5::digest(text.as_bytes()));
    let mut body = String::new();
    for part in text.split('\u{0}').filter(|p| !p.is_empty()) {
        body.push_str(&format!("--{boundary}\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n{part}"));
    }
    body.push_str(&format!("--{boundary}--\r\n"));
    outer.headers.set("Content-Type", format!("multipart/mixed; boundary={boundary}"));
    outer.headers.set("Content-Length", body.len().to_string());
    outer.body = Bytes::from(body);
}

/// What a presigned URL stands for: the blob's URL, no version header (a SAS states its own
/// `sv`). A PUT must say it makes a block blob; that header comes back in
/// [`crate::core::auth::Presigned::headers`] for the holder to send.
pub fn presign_target(cfg: &AzureConfig, method: Method, container: &str, name: &str) -> Result<Request> {
    validate_container(container)?;
    let path = format!("{}/{container}/{}", cfg.base_path, encode_blob_name(name)?);
    let req = Request::new(method, &cfg.scheme, &cfg.host, path);
    Ok(if method == Method::Put { req.header("x-ms-blob-type", "BlockBlob") } else { req })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::azure::API_VERSION;

    fn cfg() -> AzureConfig {
        AzureConfig::custom("http://127.0.0.1:10000/devstoreaccount1").unwrap()
    }

    #[test]
    fn listing_queries() {
        let list = ListRequest {
            prefix: "a/".into(),
            delimited: true,
            token: Some("m1".into()),
            max_keys: Some(0),
            ..Default::default()
        };
        let r = list_blobs(&cfg(), "ct1", &list).unwrap();
        assert_eq!(
            r.url(),
            "http://127.0.0.1:10000/devstoreaccount1/ct1?restype=container&comp=list&prefix=a%2F&delimiter=%2F&marker=m1&maxresults=1"
        );
        assert_eq!(
            list_containers(&cfg(), None).unwrap().url(),
            "http://127.0.0.1:10000/devstoreaccount1?comp=list&maxresults=5000"
        );
        assert_eq!(
            list_containers(&cfg(), Some("/acct/c 2")).unwrap().url(),
            "http://127.0.0.1:10000/devstoreaccount1?comp=list&maxresults=5000&marker=%2Facct%2Fc%202"
        );
    }

    #[test]
    fn reads_are_ranged_and_pinned() {
        let r = get_blob(&cfg(), "ct1", "k", Some(ByteRange::From { start: 5, end: Some(10) }), Some("0x8D")).unwrap();
        assert_eq!((r.headers.get("x-ms-range"), r.headers.get("if-match")), (Some("bytes=5-9"), Some("\"0x8D\"")));
        let r = get_blob(&cfg(), "ct1", "k", Some(ByteRange::Suffix(3)), Some("\"0x8D\"")).unwrap();
        assert_eq!((r.headers.get("x-ms-range"), r.headers.get("if-match")), (Some("bytes=-3"), Some("\"0x8D\"")));
        assert!(get_blob(&cfg(), "ct1", "k", None, None).unwrap().headers.get("x-ms-range").is_none());
    }

    #[test]
    fn writes_carry_type_md5_and_conditions() {
        let create = PutOptions { if_none_match_any: true, ..Default::default() };
        let r = put_blob(&cfg(), "ct1", "k", Bytes::from_static(b"hello"), &create).unwrap();
        assert_eq!(r.headers.get("x-ms-blob-type"), Some("BlockBlob"));
        assert_eq!(r.headers.get("content-md5"), Some("XUFAKrxLKna5cZ2REBfFkg=="));
        assert_eq!((r.headers.get("if-none-match"), r.headers.get("content-length")), (Some("*"), Some("5")));
        let pinned = PutOptions { if_match: Some("0x1".into()), ..Default::default() };
        let r = put_block_list(&cfg(), "ct1", "k", &["MDAwMDAx".into(), "MDAwMDAy".into()], &pinned).unwrap();
        assert_eq!(
            std::str::from_utf8(&r.body).unwrap(),
            "<?xml version=\"1.0\" encoding=\"utf-8\"?><BlockList><Latest>MDAwMDAx</Latest><Latest>MDAwMDAy</Latest></BlockList>"
        );
        assert_eq!((r.headers.get("if-match"), r.query[0].1.as_str()), (Some("\"0x1\""), "blocklist"));
        let both = PutOptions { if_none_match_any: true, if_match: Some("x".into()), ..Default::default() };
        assert!(put_blob(&cfg(), "ct1", "k", Bytes::new(), &both).is_err());
        assert!(put_block_list(&cfg(), "ct1", "k", &[], &PutOptions::default()).is_err());
        let r = put_block(&cfg(), "ct1", "k", "MDAwMDAx", Bytes::from_static(b"x")).unwrap();
        assert_eq!(r.url(), "http://127.0.0.1:10000/devstoreaccount1/ct1/k?comp=block&blockid=MDAwMDAx");
        assert!(put_block(&cfg(), "ct1", "k", "not base64!", Bytes::new()).is_err());
    }

    #[test]
    fn batches_carry_each_delete_as_its_own_request() {
        let keys = vec!["a b".to_string(), "c/../d".to_string()];
        let (mut outer, mut parts) = batch_delete(&cfg(), "ct1", &keys).unwrap();
        assert_eq!(
            (outer.method, outer.url()),
            (Method::Post, "http://127.0.0.1:10000/devstoreaccount1/ct1?restype=container&comp=batch".into())
        );
        parts[0].headers.set("Authorization", "SharedKey devstoreaccount1:AAA=");
        parts[1] = parts[1].clone().query_param("sig", "x+y");
        assemble_batch(&mut outer, &parts);
        let ct = outer.headers.get("content-type").unwrap().to_string();
        let boundary = ct.strip_prefix("multipart/mixed; boundary=").unwrap();
        let body = std::str::from_utf8(&outer.body).unwrap();
        assert_eq!(outer.headers.get("content-length"), Some(body.len().to_string().as_str()));
        let first = format!(
            "--{boundary}\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\nContent-ID: 0\r\n\r\n\
             DELETE /devstoreaccount1/ct1/a%20b HTTP/1.1\r\nx-ms-version: {API_VERSION}\r\nx-ms-delete-snapshots: include\r\n\
             Content-Length: 0\r\nAuthorization: SharedKey devstoreaccount1:AAA=\r\n\r\n"
        );
        assert!(body.starts_with(&first), "{body}");
        assert!(body.contains("DELETE /devstoreaccount1/ct1/c%2F..%2Fd?sig=x%2By HTTP/1.1\r\n"), "{body}");
        assert!(body.ends_with(&format!("--{boundary}--\r\n")));
        assert_eq!(body.matches(&format!("--{boundary}\r\n")).count(), 2);
        assert!(batch_delete(&cfg(), "ct1", &[]).is_err());
        assert!(batch_delete(&cfg(), "ct1", &vec!["k".to_string(); MAX_DELETE + 1]).is_err());
    }

    #[test]
    fn copies_name_the_source_url() {
        let r = copy_blob(&cfg(), "ct1", "a b", "ct2", "d").unwrap();
        assert_eq!(r.headers.get("x-ms-copy-source"), Some("http://127.0.0.1:10000/devstoreaccount1/ct1/a%20b"));
        assert_eq!((r.method, r.path.as_str()), (Method::Put, "/devstoreaccount1/ct2/d"));
        let p = presign_target(&cfg(), Method::Put, "ct1", "k").unwrap();
        assert!(p.headers.get("x-ms-version").is_none() && p.headers.get("x-ms-blob-type") == Some("BlockBlob"));
    }
}
