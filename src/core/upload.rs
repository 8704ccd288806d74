//! The multipart-upload state machine. It decides *what* to send next (one PUT, create,
//! part N, complete, abort); a driver outside the core sends it and reports back. Keeping the
//! decisions here means every transport (reqwest, fetch, Pyodide) gets the same rules: parts
//! of exactly `part_size` except the last, one PUT when everything fits in one part, and an
//! abort whenever a created upload is not completed.

use bytes::{Bytes, BytesMut};

use super::error::{Error, Result};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UploadConfig {
    /// Size of every part but the last.
    pub part_size: u64,
    /// The service's smallest non-final part (S3: 5 MiB).
    pub min_part_size: u64,
    /// The service's part-count limit (S3: 10 000).
    pub max_parts: u32,
    /// Parts uploaded at the same time (at least 1).
    pub concurrency: usize,
}

impl Default for UploadConfig {
    fn default() -> Self {
        UploadConfig { part_size: 8 * 1024 * 1024, min_part_size: 5 * 1024 * 1024, max_parts: 10_000, concurrency: 4 }
    }
}

/// What the driver must do next.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Everything fits in one request: a plain PUT, then report [`Upload::put_done`].
    PutSingle(Bytes),
    /// Start a multipart upload, then report [`Upload::created`].
    Create,
    /// Upload one part, then report [`Upload::part_done`].
    UploadPart { upload_id: String, number: u32, data: Bytes },
    /// Assemble the parts, then report [`Upload::completed`].
    Complete { upload_id: String, parts: Vec<(u32, String)> },
    /// Discard the upload, then report [`Upload::aborted`].
    Abort { upload_id: String },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// Accepting data.
    Open,
    /// No more data; flushing the rest.
    Finishing,
    /// Failed or cancelled: only an abort may remain.
    Failed,
    Done,
}

#[derive(Debug)]
pub struct Upload {
    cfg: UploadConfig,
    buf: BytesMut,
    upload_id: Option<String>,
    parts: Vec<(u32, String)>,
    phase: Phase,
    /// A one-at-a-time action (put, create, complete, abort) is outstanding.
    waiting: bool,
    /// Parts handed out and not reported yet.
    in_flight: usize,
    next_part: u32,
    /// Bytes accepted in all.
    total: u64,
}

impl Upload {
    pub fn new(cfg: UploadConfig) -> Result<Upload> {
        if cfg.part_size < cfg.min_part_size || cfg.part_size == 0 {
            return Err(Error::invalid_input(format!(
                "part size {} is below the service minimum {}",
                cfg.part_size, cfg.min_part_size
            )));
        }
        Ok(Upload {
            cfg: UploadConfig { concurrency: cfg.concurrency.max(1), ..cfg },
            buf: BytesMut::new(),
            upload_id: None,
            parts: Vec::new(),
            phase: Phase::Open,
            waiting: false,
            in_flight: 0,
            next_part: 1,
            total: 0,
        })
    }

    /// Append data. Refused once finishing or failed.
    pub fn push(&mut self, data: &[u8]) -> Result<()> {
        if self.phase != Phase::Open {
            return Err(Error::invalid_input("write after close or failure"));
        }
        self.buf.extend_from_slice(data);
        self.total += data.len() as u64;
        Ok(())
    }

    /// Bytes accepted in all: the object's size once complete.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// Bytes accepted but not yet handed to an action.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// The multipart upload in progress, if one was created and not yet completed or aborted.
    pub fn upload_id(&self) -> Option<&str> {
        self.upload_id.as_deref()
    }

    pub fn is_done(&self) -> bool {
        self.phase == Phase::Done
    }

    /// No more data will come.
    pub fn finish(&mut self) {
        if self.phase == Phase::Open {
            self.phase = Phase::Finishing;
        }
    }

    /// Give up: the buffer is dropped (and parts in flight forgotten: the driver cancels them)
    /// and the next action, if any, is the abort.
    pub fn fail(&mut self) {
        self.buf.clear();
        self.waiting = false;
        self.in_flight = 0;
        self.phase = if self.upload_id.is_some() { Phase::Failed } else { Phase::Done };
    }

    /// The next request to send, or `None` when there is nothing to start until an outstanding
    /// request is reported or more data comes (or ever, once done). Up to `concurrency` parts
    /// may be out at once; everything else goes one at a time, after the parts.
    pub fn next_action(&mut self) -> Result<Option<Action>> {
        if self.waiting {
            return Ok(None);
        }
        let part = self.cfg.part_size as usize;
        let room = self.in_flight < self.cfg.concurrency;
        let idle = self.in_flight == 0;
        let action = match (self.phase, &self.upload_id) {
            (Phase::Done, _) => None,
            (Phase::Failed, Some(id)) => Some(Action::Abort { upload_id: id.clone() }),
            (Phase::Failed, None) => None,
            (Phase::Open, None) if self.buf.len() > part => Some(Action::Create),
            (Phase::Open, Some(_)) if self.buf.len() > part && room => return self.take_part(part).map(Some),
            (Phase::Open, _) => None,
            (Phase::Finishing, None) if self.buf.len() <= part => Some(Action::PutSingle(self.buf.split().freeze())),
            (Phase::Finishing, None) => Some(Action::Create),
            (Phase::Finishing, Some(_)) if !self.buf.is_empty() => {
                return if room { self.take_part(part).map(Some) } else { Ok(None) };
            }
            (Phase::Finishing, Some(id)) if idle => {
                let mut parts = self.parts.clone();
                parts.sort_by_key(|p| p.0);
                Some(Action::Complete { upload_id: id.clone(), parts })
            }
            (Phase::Finishing, Some(_)) => None,
        };
        self.waiting = action.is_some();
        Ok(action)
    }

    /// Parts handed out and not yet reported.
    pub fn in_flight(&self) -> usize {
        self.in_flight
    }

    fn take_part(&mut self, part: usize) -> Result<Action> {
        let number = self.next_part;
        if number > self.cfg.max_parts {
            return Err(Error::invalid_input(format!(
                "upload needs more than {} parts of {} bytes; raise the part size",
                self.cfg.max_parts, self.cfg.part_size
            )));
        }
        let n = part.min(self.buf.len());
        let data = self.buf.split_to(n).freeze();
        self.next_part += 1;
        self.in_flight += 1;
        Ok(Action::UploadPart { upload_id: self.upload_id.clone().unwrap_or_default(), number, data })
    }

    pub fn put_done(&mut self) {
        self.waiting = false;
        self.phase = Phase::Done;
    }

    pub fn created(&mut self, upload_id: String) {
        self.waiting = false;
        self.upload_id = Some(upload_id);
    }

    pub fn part_done(&mut self, number: u32, etag: String) {
        self.in_flight = self.in_flight.saturating_sub(1);
        self.parts.push((number, etag));
    }

    pub fn completed(&mut self) {
        self.waiting = false;
        self.upload_id = None;
        self.phase = Phase::Done;
    }

    pub fn aborted(&mut self) {
        self.waiting = false;
        self.upload_id = None;
        self.phase = Phase::Done;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> UploadConfig {
        UploadConfig { part_size: 4, min_part_size: 4, max_parts: 3, concurrency: 1 }
    }

    #[test]
    fn small_data_is_one_put() {
        let mut u = Upload::new(cfg()).unwrap();
        u.push(b"abcd").unwrap();
        assert_eq!(u.next_action().unwrap(), None, "a full part waits: it may be the only one");
        u.finish();
        assert_eq!(u.next_action().unwrap(), Some(Action::PutSingle(Bytes::from_static(b"abcd"))));
        u.put_done();
        assert!(u.is_done());
        assert_eq!(u.next_action().unwrap(), None);
    }

    #[test]
    fn parts_are_exact_and_the_last_is_the_rest() {
        let mut u = Upload::new(cfg()).unwrap();
        u.push(b"0123456789").unwrap();
        assert_eq!(u.next_action().unwrap(), Some(Action::Create));
        u.created("id".into());
        let Some(Action::UploadPart { number: 1, data, .. }) = u.next_action().unwrap() else { panic!() };
        assert_eq!(&data[..], b"0123");
        u.part_done(1, "e1".into());
        let Some(Action::UploadPart { number: 2, data, .. }) = u.next_action().unwrap() else { panic!() };
        assert_eq!(&data[..], b"4567");
        u.part_done(2, "e2".into());
        assert_eq!(u.next_action().unwrap(), None, "2 bytes wait for more data or finish");
        u.finish();
        let Some(Action::UploadPart { number: 3, data, .. }) = u.next_action().unwrap() else { panic!() };
        assert_eq!(&data[..], b"89");
        u.part_done(3, "e3".into());
        let Some(Action::Complete { parts, .. }) = u.next_action().unwrap() else { panic!() };
        assert_eq!(parts.len(), 3);
        u.completed();
        assert!(u.is_done() && u.upload_id().is_none());
    }

    #[test]
    fn failure_after_create_aborts() {
        let mut u = Upload::new(cfg()).unwrap();
        u.push(b"0123456").unwrap();
        assert_eq!(u.next_action().unwrap(), Some(Action::Create));
        u.created("id".into());
        assert!(matches!(u.next_action().unwrap(), Some(Action::UploadPart { .. })));
        u.fail();
        assert_eq!(u.next_action().unwrap(), Some(Action::Abort { upload_id: "id".into() }));
        u.aborted();
        assert_eq!(u.next_action().unwrap(), None);
        assert!(u.push(b"x").is_err());
    }

    #[test]
    fn parts_go_out_concurrently_and_complete_in_order() {
        let mut u = Upload::new(UploadConfig { concurrency: 2, max_parts: 10, ..cfg() }).unwrap();
        u.push(b"0123456789ab").unwrap();
        u.finish();
        assert_eq!(u.next_action().unwrap(), Some(Action::Create));
        assert_eq!(u.next_action().unwrap(), None, "parts wait for the upload id");
        u.created("id".into());
        let Some(Action::UploadPart { number: 1, .. }) = u.next_action().unwrap() else { panic!() };
        let Some(Action::UploadPart { number: 2, .. }) = u.next_action().unwrap() else { panic!() };
        assert_eq!(u.next_action().unwrap(), None, "two in flight at most");
        u.part_done(2, "e2".into());
        let Some(Action::UploadPart { number: 3, .. }) = u.next_action().unwrap() else { panic!() };
        assert_eq!(u.next_action().unwrap(), None, "completion waits for every part");
        u.part_done(3, "e3".into());
        u.part_done(1, "e1".into());
        let Some(Action::Complete { parts, .. }) = u.next_action().unwrap() else { panic!() };
        assert_eq!(parts, [(1, "e1".to_string()), (2, "e2".into()), (3, "e3".into())]);
    }

    #[test]
    fn limits() {
        assert!(Upload::new(UploadConfig { part_size: 3, min_part_size: 4, ..cfg() }).is_err());
        let mut u = Upload::new(cfg()).unwrap();
        u.push(&[0; 17]).unwrap();
        u.finish();
        assert_eq!(u.next_action().unwrap(), Some(Action::Create));
        u.created("id".into());
        for n in 1..=3 {
            assert!(matches!(u.next_action().unwrap(), Some(Action::UploadPart { .. })));
            u.part_done(n, format!("e{n}"));
        }
        assert!(u.next_action().is_err(), "a 4th part is over the limit");
        let mut u = Upload::new(cfg()).unwrap();
        u.push(b"0123").unwrap();
        u.next_action().unwrap();
        u.finish();
        let _ = u.next_action().unwrap();
        assert_eq!(u.next_action().unwrap(), None, "nothing more until the put is reported");
    }
}
