//! The resumable read: a GET whose body breaks off is continued from the byte where it stopped,
//! pinned to the first answer's ETag, so a replaced object is an error and never a splice of
//! two versions. The driver sends what [`ResumableRead::next_request`] asks for and feeds the
//! answer back (head, chunks, end or break); the decisions are all here.

use bytes::BytesMut;

use super::error::{Error, ErrorKind, Result};
use super::http::{ContentRange, Response};
use super::types::ByteRange;

/// What to ask the provider for next.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReadRequest {
    pub range: Option<ByteRange>,
    /// The ETag the answer must still have (a resumed read).
    pub if_match: Option<String>,
}

/// The first successful answer: its head, the absolute `[start, end)` it covers (when known),
/// and the version it came from.
#[derive(Debug)]
struct First {
    head: Response,
    span: Option<(u64, u64)>,
    etag: Option<String>,
}

#[derive(Debug)]
pub struct ResumableRead {
    range: Option<ByteRange>,
    first: Option<First>,
    body: BytesMut,
    /// The request last handed out continues a broken-off body.
    resuming: bool,
    resumes: u32,
}

impl ResumableRead {
    /// A read of `range` (the whole object when `None`).
    pub fn new(range: Option<ByteRange>) -> Self {
        ResumableRead { range, first: None, body: BytesMut::new(), resuming: false, resumes: 0 }
    }

    /// Reads continued mid-body so far.
    pub fn resumes(&self) -> u32 {
        self.resumes
    }

    /// The next request: the rest of the span when a body broke off after some bytes of a
    /// known span from a known version, else the read from the start. Only a pinned version
    /// may be continued: without an ETag the rest could come from a newer object.
    pub fn next_request(&mut self) -> ReadRequest {
        if let Some(First { span: Some((start, end)), etag: Some(etag), .. }) = &self.first
            && !self.body.is_empty()
        {
            self.resuming = true;
            self.resumes += 1;
            let from = start + self.body.len() as u64;
            return ReadRequest { range: Some(ByteRange::From { start: from, end: Some(*end) }), if_match: Some(etag.clone()) };
        }
        self.resuming = false;
        self.first = None;
        self.body = BytesMut::new();
        ReadRequest { range: self.range, if_match: None }
    }

    /// A successful (2xx) head arrived. A resumed read must be answered with exactly the rest
    /// of its span; anything else fails this attempt (retryable) and the next starts over.
    pub fn on_head(&mut self, head: Response) -> Result<()> {
        if self.resuming {
            let expected = self.first.as_ref().and_then(|f| f.span).map(|(s, e)| (s + self.body.len() as u64, e));
            let got = head.headers.get("content-range").and_then(|v| ContentRange::parse(v).ok()).map(|c| (c.start, c.end));
            if head.status == 206 && got.is_some() && got == expected {
                return Ok(());
            }
            self.first = None;
            self.body = BytesMut::new();
            return Err(
                Error::invalid_response("the server did not continue an interrupted read where it stopped").retryable(true)
            );
        }
        let span = span_of(&head);
        // Room for the whole answer up front: growing by doubling would copy a large body
        // several times over.
        let announced = head.headers.get("content-length").and_then(|v| v.trim().parse::<usize>().ok());
        self.body = BytesMut::with_capacity(announced.unwrap_or(0).min(1 << 30));
        // GCS pins a version by its generation (the provider sends it as ifGenerationMatch);
        // storage-testbench sends no ETag on media reads, only the generation.
        let etag = head.headers.get("x-goog-generation").or_else(|| head.headers.get("etag")).map(str::to_string);
        self.first = Some(First { head, span, etag });
        Ok(())
    }

    pub fn on_chunk(&mut self, chunk: &[u8]) {
        self.body.extend_from_slice(chunk);
    }

    /// The body ended: the first answer's head with every byte received, for the provider's
    /// parser (which checks the length against the head).
    pub fn finish(&mut self) -> Result<Response> {
        let first = self.first.take().ok_or_else(|| Error::invalid_response("read finished before any answer"))?;
        let mut full = first.head;
        full.body = std::mem::take(&mut self.body).freeze();
        self.resuming = false;
        Ok(full)
    }

    /// A non-2xx answer, already parsed into `err`: while resuming, a failed precondition
    /// means the object was replaced mid-read, which no retry can mend.
    pub fn on_refused(&self, err: Error) -> Error {
        if self.resuming && err.kind == ErrorKind::PreconditionFailed {
            let mut e = Error::new(ErrorKind::PreconditionFailed, "the object changed while being read");
            e.status = err.status;
            e.code = err.code;
            e.request_id = err.request_id;
            return e;
        }
        err
    }
}

/// The absolute `[start, end)` an answer covers: its Content-Range, or for a 200 the whole
/// object by Content-Length. `None` when unknown (then a broken read starts over).
fn span_of(head: &Response) -> Option<(u64, u64)> {
    if head.status == 206 {
        let r = ContentRange::parse(head.headers.get("content-range")?).ok()?;
        return Some((r.start, r.end));
    }
    Some((0, head.headers.get("content-length")?.trim().parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::http::Headers;

    fn head(status: u16, pairs: &[(&str, &str)]) -> Response {
        let mut h = Headers::new();
        for (k, v) in pairs {
            h.set(*k, *v);
        }
        Response::new(status, h, "")
    }

    #[test]
    fn a_broken_body_resumes_where_it_stopped_pinned_to_its_etag() {
        let mut r = ResumableRead::new(Some(ByteRange::From { start: 10, end: Some(20) }));
        assert_eq!(r.next_request(), ReadRequest { range: Some(ByteRange::From { start: 10, end: Some(20) }), if_match: None });
        r.on_head(head(206, &[("content-range", "bytes 10-19/100"), ("content-length", "10"), ("etag", "\"v1\"")])).unwrap();
        r.on_chunk(b"0123");
        // The body broke off: the rest, pinned.
        let next = r.next_request();
        assert_eq!(
            next,
            ReadRequest { range: Some(ByteRange::From { start: 14, end: Some(20) }), if_match: Some("\"v1\"".into()) }
        );
        r.on_head(head(206, &[("content-range", "bytes 14-19/100"), ("etag", "\"v1\"")])).unwrap();
        r.on_chunk(b"456789");
        let full = r.finish().unwrap();
        assert_eq!((&full.body[..], full.headers.get("content-range")), (&b"0123456789"[..], Some("bytes 10-19/100")));
        assert_eq!(r.resumes(), 1);
    }

    #[test]
    fn a_gcs_read_resumes_pinned_to_its_generation() {
        let mut r = ResumableRead::new(None);
        r.next_request();
        r.on_head(head(200, &[("content-length", "10"), ("x-goog-generation", "1700"), ("etag", "CKWasoTgyPkCEAE=")])).unwrap();
        r.on_chunk(b"abc");
        assert_eq!(r.next_request().if_match.as_deref(), Some("1700"));
    }

    #[test]
    fn a_resume_answered_with_another_span_starts_over() {
        let mut r = ResumableRead::new(None);
        r.next_request();
        r.on_head(head(200, &[("content-length", "10"), ("etag", "e")])).unwrap();
        r.on_chunk(b"abc");
        r.next_request();
        // The server ignored the range and sent the whole object again.
        let err = r.on_head(head(200, &[("content-length", "10"), ("etag", "e")])).unwrap_err();
        assert!(err.retryable && err.kind == ErrorKind::InvalidResponse);
        assert_eq!(r.next_request(), ReadRequest { range: None, if_match: None }, "from the start");
    }

    #[test]
    fn no_etag_or_no_span_means_no_resume() {
        let mut r = ResumableRead::new(None);
        r.next_request();
        r.on_head(head(200, &[("content-length", "10")])).unwrap();
        r.on_chunk(b"abc");
        assert_eq!(r.next_request().if_match, None, "unpinned: start over");
        r.on_head(head(200, &[("etag", "e")])).unwrap();
        r.on_chunk(b"abc");
        assert_eq!(r.next_request().range, None, "span unknown: start over");
        assert_eq!(r.resumes(), 0);
    }

    #[test]
    fn a_replaced_object_is_reported_not_spliced() {
        let mut r = ResumableRead::new(None);
        r.next_request();
        r.on_head(head(200, &[("content-length", "10"), ("etag", "e")])).unwrap();
        r.on_chunk(b"abc");
        r.next_request();
        let refused = Error::new(ErrorKind::PreconditionFailed, "At least one of the pre-conditions you specified did not hold")
            .with_status(412);
        let err = r.on_refused(refused);
        assert_eq!((err.kind, err.status, err.retryable), (ErrorKind::PreconditionFailed, Some(412), false));
        assert!(err.message.contains("changed while being read"), "{err}");
        // Not resuming: a 412 passes through unchanged.
        let fresh = ResumableRead::new(None);
        assert_eq!(fresh.on_refused(Error::new(ErrorKind::PreconditionFailed, "x")).message, "x");
    }
}
