//! Batch deletes (`POST /batch/storage/v1`): up to 100 objects.delete requests in one
//! `multipart/mixed` body, each part an embedded HTTP request; the answer is a `multipart/mixed`
//! body of embedded HTTP responses, matched back to their keys by `Content-ID`.

use super::config::GcsConfig;
use crate::core::error::{Error, Result};
use crate::core::http::{Headers, Method, Request, Response};
use crate::core::types::DeleteFailure;

/// Most calls GCS takes in one batch.
pub const MAX_BATCH: usize = 100;

/// `=` is percent-encoded in every object path and query, so no line of a part can start with
/// `--` followed by this boundary.
const BOUNDARY: &str = "==pailfs-batch==";
/// The prefix of each part's `Content-ID`; the answer's is `response-` followed by it.
const ID: &str = "pailfs+";

fn invalid(msg: impl Into<String>) -> Error {
    Error::invalid_response(format!("batch answer: {}", msg.into()))
}

/// One batch deleting `keys` (1 to [`MAX_BATCH`]) from `bucket`. The outer request carries
/// the authorization; the parts inherit it, as GCS documents.
pub fn delete_batch(cfg: &GcsConfig, bucket: &str, keys: &[String]) -> Result<Request> {
    if keys.is_empty() || keys.len() > MAX_BATCH {
        return Err(Error::invalid_input(format!("a GCS batch takes 1 to {MAX_BATCH} keys, not {}", keys.len())));
    }
    let mut body = String::new();
    for (i, key) in keys.iter().enumerate() {
        let inner = cfg.billed(Method::Delete, &GcsConfig::object_path(bucket, key)?);
        // The parts name paths on the batch's server, under no mount prefix of ours.
        let mut target = inner.path.strip_prefix(cfg.base_path.as_str()).unwrap_or(&inner.path).to_string();
        if !inner.query.is_empty() {
            target = format!("{target}?{}", inner.query_string());
        }
        body.push_str(&format!(
            "--{BOUNDARY}\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\nContent-ID: <{ID}{i}>\r\n\r\n\
             DELETE {target} HTTP/1.1\r\nContent-Length: 0\r\n\r\n\r\n"
        ));
    }
    body.push_str(&format!("--{BOUNDARY}--\r\n"));
    let path = format!("{}/batch/storage/v1", cfg.base_path);
    let len = body.len();
    Ok(Request::new(Method::Post, &cfg.scheme, &cfg.host, path)
        .header("Content-Type", format!("multipart/mixed; boundary=\"{BOUNDARY}\""))
        .header("Content-Length", len.to_string())
        .with_body(body))
}

/// The `boundary` parameter of a `multipart/mixed` content type.
fn boundary(content_type: &str) -> Option<String> {
    let mut params = content_type.split(';');
    if !params.next()?.trim().eq_ignore_ascii_case("multipart/mixed") {
        return None;
    }
    params.find_map(|p| {
        let (k, v) = p.split_once('=')?;
        let v = v.trim();
        let v = v.strip_prefix('"').and_then(|v| v.strip_suffix('"')).unwrap_or(v);
        (k.trim().eq_ignore_ascii_case("boundary") && !v.is_empty()).then(|| v.to_string())
    })
}

/// Header lines up to the first empty one, and the rest.
fn split_head(text: &str) -> (Vec<(&str, &str)>, &str) {
    let mut headers = Vec::new();
    let mut rest = text;
    while let Some((line, after)) = rest.split_once('\n') {
        rest = after;
        let line = line.trim_end_matches('\r');
        if line.is_empty() {
            return (headers, rest);
        }
        if let Some((k, v)) = line.split_once(':') {
            headers.push((k.trim(), v.trim()));
        }
    }
    (headers, "")
}

/// The parts of a multipart body: the text between delimiter lines (`--b`), the closing one
/// (`--b--`) ending it. Line ends may be CRLF or LF.
fn parts<'a>(body: &'a str, boundary: &str) -> Result<Vec<&'a str>> {
    let open = format!("--{boundary}");
    let mut parts = Vec::new();
    let (mut start, mut pos, mut closed) = (None::<usize>, 0, false);
    for line in body.split_inclusive('\n') {
        let bare = line.trim_end();
        if let Some(after) = bare.strip_prefix(open.as_str())
            && (after.is_empty() || after == "--")
        {
            if let Some(s) = start {
                // The line end before a delimiter belongs to the delimiter.
                let part = &body[s..pos];
                parts.push(part.strip_suffix('\n').map(|p| p.strip_suffix('\r').unwrap_or(p)).unwrap_or(part));
            }
            start = Some(pos + line.len());
            if after == "--" {
                closed = true;
                break;
            }
        }
        pos += line.len();
    }
    if !closed {
        return Err(invalid("the multipart body has no closing delimiter (cut short?)"));
    }
    Ok(parts)
}

/// What a batch of deletes of `keys` achieved: the keys whose part answered with anything but
/// success or 404 (already gone is deleted), and the keys no part answered for (their fate is
/// unknown, so they are failures too). A malformed answer is an error.
pub fn parse_delete_batch(keys: &[String], resp: &Response) -> Result<Vec<DeleteFailure>> {
    let ct = resp.headers.get("content-type").unwrap_or_default();
    let b = boundary(ct).ok_or_else(|| invalid(format!("not multipart/mixed with a boundary: {ct:?}")))?;
    let body = std::str::from_utf8(&resp.body).map_err(|_| invalid("not UTF-8"))?;
    let mut answers: Vec<Option<Response>> = vec![None; keys.len()];
    for (n, part) in parts(body, &b)?.into_iter().enumerate() {
        let (outer, http) = split_head(part);
        let id = outer.iter().find(|(k, _)| k.eq_ignore_ascii_case("content-id")).map(|(_, v)| *v);
        let index = match id {
            Some(id) => {
                let inner = id.trim_start_matches('<').trim_end_matches('>');
                let inner = inner.strip_prefix("response-").unwrap_or(inner);
                let i = inner.strip_prefix(ID).and_then(|i| i.parse::<usize>().ok());
                i.ok_or_else(|| invalid(format!("a part with a Content-ID not ours: {id:?}")))?
            }
            // Without IDs, parts answer in the order asked.
            None => n,
        };
        let slot = answers.get_mut(index).ok_or_else(|| invalid(format!("part {index} of {} keys", keys.len())))?;
        if slot.is_some() {
            return Err(invalid(format!("two answers for part {index}")));
        }
        let (status_line, rest) = http.split_once('\n').ok_or_else(|| invalid("a part without a status line"))?;
        let mut words = status_line.split_whitespace();
        let status = match (words.next(), words.next().map(str::parse::<u16>)) {
            (Some(v), Some(Ok(s))) if v.starts_with("HTTP/") && (100..600).contains(&s) => s,
            _ => return Err(invalid(format!("bad status line {:?}", status_line.trim_end()))),
        };
        let (head, inner_body) = split_head(rest);
        let mut headers = Headers::new();
        for (k, v) in head {
            headers.append(k, v);
        }
        *slot = Some(Response::new(status, headers, inner_body.trim_end().to_string()));
    }
    let failures = keys.iter().zip(answers).filter_map(|(key, answer)| {
        let failure = |code: String, message: String| Some(DeleteFailure { key: key.clone(), code, message });
        match answer {
            None => failure("NoAnswer".into(), "the batch answer had no part for this key".into()),
            Some(r) if r.is_success() || r.status == 404 => None,
            Some(r) => {
                let e = super::parse_error(&r);
                failure(e.code.unwrap_or_else(|| r.status.to_string()), e.message)
            }
        }
    });
    Ok(failures.collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::error::ErrorKind;

    fn keys(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    fn answer(content_type: &str, body: &str) -> Response {
        let mut h = Headers::new();
        h.set("Content-Type", content_type);
        Response::new(200, h, body.to_string())
    }

    #[test]
    fn the_request_embeds_one_delete_per_key() {
        let cfg = GcsConfig::custom("https://proxy.example/gcs").unwrap().with_user_project(Some("payer".into()));
        let r = delete_batch(&cfg, "bkt", &keys(&["a/b", "=x ?#"])).unwrap();
        assert_eq!((r.method, r.url().as_str()), (Method::Post, "https://proxy.example/gcs/batch/storage/v1"));
        assert_eq!(r.headers.get("content-type"), Some("multipart/mixed; boundary=\"==pailfs-batch==\""));
        assert_eq!(r.headers.get("content-length"), Some(r.body.len().to_string().as_str()));
        let expected = "--==pailfs-batch==\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\
            Content-ID: <pailfs+0>\r\n\r\nDELETE /storage/v1/b/bkt/o/a%2Fb?userProject=payer HTTP/1.1\r\nContent-Length: 0\r\n\r\n\r\n\
            --==pailfs-batch==\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\
            Content-ID: <pailfs+1>\r\n\r\nDELETE /storage/v1/b/bkt/o/%3Dx%20%3F%23?userProject=payer HTTP/1.1\r\nContent-Length: 0\r\n\r\n\r\n\
            --==pailfs-batch==--\r\n";
        assert_eq!(std::str::from_utf8(&r.body).unwrap(), expected);
        let hundred: Vec<String> = (0..100).map(|i| format!("k{i}")).collect();
        assert!(delete_batch(&cfg, "bkt", &hundred).is_ok());
        let too_many: Vec<String> = (0..101).map(|i| format!("k{i}")).collect();
        assert_eq!(delete_batch(&cfg, "bkt", &too_many).unwrap_err().kind, ErrorKind::InvalidInput);
        assert_eq!(delete_batch(&cfg, "bkt", &[]).unwrap_err().kind, ErrorKind::InvalidInput);
        assert_eq!(delete_batch(&cfg, "bkt", &keys(&["ok", ".."])).unwrap_err().kind, ErrorKind::InvalidInput);
    }

    /// The answer as the JSON API documentation shows it ("Sending batch requests"): 204 for a
    /// deleted object, 404 with an error envelope for a missing one; plus a 403 and a 503.
    const DOCUMENTED: &str = "--batch_pK7JBAk73-E=_AA5eFwv4m2Q=\r\n\
        Content-Type: application/http\r\nContent-ID: <response-pailfs+0>\r\n\r\n\
        HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n\r\n\
        --batch_pK7JBAk73-E=_AA5eFwv4m2Q=\r\n\
        Content-Type: application/http\r\nContent-ID: <response-pailfs+2>\r\n\r\n\
        HTTP/1.1 403 Forbidden\r\nContent-Type: application/json; charset=UTF-8\r\n\r\n\
        {\r\n \"error\": {\r\n  \"errors\": [{\"domain\": \"global\", \"reason\": \"forbidden\", \"message\": \"no delete for you\"}],\r\n  \
        \"code\": 403,\r\n  \"message\": \"no delete for you\"\r\n }\r\n}\r\n\
        --batch_pK7JBAk73-E=_AA5eFwv4m2Q=\r\n\
        Content-Type: application/http\r\nContent-ID: <response-pailfs+1>\r\n\r\n\
        HTTP/1.1 404 Not Found\r\nContent-Type: application/json; charset=UTF-8\r\n\r\n\
        {\"error\": {\"errors\": [{\"reason\": \"notFound\", \"message\": \"No such object: b/k1\"}], \"code\": 404}}\r\n\
        --batch_pK7JBAk73-E=_AA5eFwv4m2Q=\r\n\
        Content-Type: application/http\r\nContent-ID: <response-pailfs+3>\r\n\r\n\
        HTTP/1.1 503 Service Unavailable\r\n\r\n\r\n\
        --batch_pK7JBAk73-E=_AA5eFwv4m2Q=--\r\n";

    #[test]
    fn per_key_failures_are_reported_and_missing_keys_are_deleted() {
        let ct = "multipart/mixed; boundary=batch_pK7JBAk73-E=_AA5eFwv4m2Q=";
        let f = parse_delete_batch(&keys(&["k0", "k1", "k2", "k3", "k4"]), &answer(ct, DOCUMENTED)).unwrap();
        let got: Vec<_> = f.iter().map(|f| (f.key.as_str(), f.code.as_str(), f.message.as_str())).collect();
        assert_eq!(
            got,
            [
                ("k2", "forbidden", "no delete for you"),
                ("k3", "503", "GCS answered HTTP 503 with no body"),
                ("k4", "NoAnswer", "the batch answer had no part for this key"),
            ]
        );
        // LF line ends and a quoted boundary read the same; parts without IDs go by order.
        let lf = DOCUMENTED.replace("\r\n", "\n");
        let quoted = "multipart/mixed; boundary=\"batch_pK7JBAk73-E=_AA5eFwv4m2Q=\"";
        assert_eq!(parse_delete_batch(&keys(&["k0", "k1", "k2", "k3", "k4"]), &answer(quoted, &lf)).unwrap(), f);
        let ordered = "--b\r\nContent-Type: application/http\r\n\r\nHTTP/1.1 200 OK\r\n\r\n\r\n\
            --b\r\nContent-Type: application/http\r\n\r\nHTTP/1.1 412 Precondition Failed\r\n\r\n\r\n--b--";
        let f = parse_delete_batch(&keys(&["x", "y"]), &answer("multipart/mixed; boundary=b", ordered)).unwrap();
        assert_eq!((f.len(), f[0].key.as_str(), f[0].code.as_str()), (1, "y", "412"));
    }

    #[test]
    fn malformed_answers_are_errors() {
        let one = keys(&["k"]);
        let ok_part = |id: &str| format!("--b\r\nContent-ID: <{id}>\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n\r\n");
        let mp = "multipart/mixed; boundary=b";
        let cases = [
            ("application/json", "{}".to_string()),
            ("multipart/mixed", "--b--".to_string()),
            (mp, ok_part("response-pailfs+0")),                         // cut short
            (mp, format!("{}--b--", ok_part("response-pailfs+1"))),     // no such part
            (mp, format!("{}--b--", ok_part("response-someone-else"))), // not our ID
            (mp, format!("{}{}--b--", ok_part("response-pailfs+0"), ok_part("response-pailfs+0"))),
            (mp, "--b\r\nContent-ID: <response-pailfs+0>\r\n\r\nHTTP/1.1 abc\r\n\r\n--b--".to_string()),
            (mp, "--b\r\nContent-ID: <response-pailfs+0>\r\n\r\n".to_string() + "--b--"),
        ];
        for (ct, body) in cases {
            let e = parse_delete_batch(&one, &answer(ct, &body)).unwrap_err();
            assert_eq!(e.kind, ErrorKind::InvalidResponse, "{ct} {body:?}");
        }
        assert!(parse_delete_batch(&one, &answer(mp, &format!("{}--b--", ok_part("response-pailfs+0")))).unwrap().is_empty());
    }
}
