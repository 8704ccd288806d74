//! The upload state machine. It decides *what* to send next (one PUT, create, part N, commit,
//! abort, ...); a driver outside the core sends it and reports back. Keeping the decisions here
//! means every transport (reqwest, fetch, Pyodide) gets the same rules: parts of exactly
//! `part_size` except the last, one PUT when everything fits in one part, and an abort whenever
//! something created on the server is not completed.
//!
//! Three services, three models ([`UploadModel`]): S3's numbered parts, Azure's client-named
//! blocks, GCS's resumable session of sequential chunks.
//!
//! Memory: every part is its own allocation of exactly `part_size` bytes (only the first grows
//! as it fills, since the object may be small), and [`Upload::push`] takes data only while the
//! parts in flight, the full parts waiting and the part being filled number at most
//! `concurrency + 1`. So an upload holds at most `(concurrency + 1) × part_size` bytes,
//! whatever the object's size. (Parts cut from one growing buffer would share it: a part in
//! flight kept the whole buffer, grown by doubling, alive.)

use std::collections::VecDeque;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use bytes::{Bytes, BytesMut};

use super::error::{Error, Result};

const KIB: u64 = 1024;
const MIB: u64 = 1024 * KIB;

/// How a service takes an object in pieces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UploadModel {
    /// S3: parallel numbered parts, each (but the last) between min and max bytes, at most max_parts.
    Parts { min_part: u64, max_part: u64, max_parts: u32 },
    /// Azure block blobs: parallel blocks named by ids the client chooses, committed by a block list.
    Blocks { max_block: u64, max_blocks: u32 },
    /// GCS resumable uploads: one session, sequential chunks whose sizes (but the last) are multiples of `align`;
    /// after a failed chunk the client asks the server for the committed offset and resumes from there.
    Resumable { align: u64 },
}

impl UploadModel {
    pub const S3: Self = UploadModel::Parts { min_part: 5 * MIB, max_part: 5 * 1024 * MIB, max_parts: 10_000 };
    pub const AZURE_BLOCKS: Self = UploadModel::Blocks { max_block: 4000 * MIB, max_blocks: 50_000 };
    pub const GCS_RESUMABLE: Self = UploadModel::Resumable { align: 256 * KIB };

    /// S3's limits with a store's own smallest part (S3-compatible servers, the local stores).
    pub const fn s3_compatible(min_part: u64) -> Self {
        UploadModel::Parts { min_part, max_part: 5 * 1024 * MIB, max_parts: 10_000 }
    }

    /// The smallest size a non-final piece may have: a part size below it is raised to it.
    pub fn min_piece(&self) -> u64 {
        match *self {
            UploadModel::Parts { min_part, .. } => min_part,
            UploadModel::Blocks { .. } => 1,
            UploadModel::Resumable { align } => align,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UploadConfig {
    /// Size of every part (block, chunk) but the last.
    pub part_size: u64,
    pub model: UploadModel,
    /// Parts uploaded at the same time (at least 1; always 1 for `Resumable`).
    pub concurrency: usize,
}

impl Default for UploadConfig {
    fn default() -> Self {
        UploadConfig { part_size: 8 * MIB, model: UploadModel::S3, concurrency: 4 }
    }
}

/// What the driver must do next.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Everything fits in one request (any model): a plain PUT, then report [`Upload::put_done`].
    PutSingle(Bytes),
    /// Parts: start a multipart upload; Resumable: start the session. Then report
    /// [`Upload::created`] with the upload id or the session URI.
    Create,
    /// Parts: upload part `number` (1-based), then report [`Upload::part_done`].
    UploadPart { upload_id: String, number: u32, data: Bytes },
    /// Parts: assemble the parts (listed in order), then report [`Upload::completed`].
    Complete { upload_id: String, parts: Vec<(u32, String)> },
    /// Blocks: stage one block, then report [`Upload::block_done`].
    UploadBlock { block_id: String, data: Bytes },
    /// Blocks: commit the block list (in object order), then report [`Upload::completed`].
    CommitBlocks { block_ids: Vec<String> },
    /// Resumable: send `data` at `offset` of the session. The last chunk (`last` is the CRC32C
    /// of the whole object, for the server to check) states the total size,
    /// `offset + data.len()`. Report [`Upload::chunk_done`], [`Upload::chunk_failed`], or
    /// [`Upload::committed`] when the answer says the server kept less than was sent.
    UploadChunk { upload_id: String, offset: u64, data: Bytes, last: Option<u32> },
    /// Resumable: ask the session how many bytes it has, then report [`Upload::committed`].
    QueryOffset { upload_id: String },
    /// Parts: discard the multipart upload; Resumable: cancel the session. Then report
    /// [`Upload::aborted`]. (Blocks never need one: see [`Upload::fail`].)
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

/// Block ids are this many decimal digits, base64-encoded: Azure wants every id of a blob to
/// have the same length, and 6 digits (a multiple of 3 bytes) encode without padding or `+`/`/`.
const BLOCK_ID_DIGITS: usize = 6;
const MAX_BLOCK_NUMBER: u32 = 999_999;

fn block_id(number: u32) -> String {
    B64.encode(format!("{number:0w$}", w = BLOCK_ID_DIGITS))
}

/// The first part's buffer starts this small (or as large as the first write), then grows.
const FIRST_BUFFER: usize = 64 * 1024;

/// Resumable: the chunk the server has not acknowledged yet, kept for a resend.
#[derive(Debug)]
struct Chunk {
    offset: u64,
    data: Bytes,
    last: bool,
    state: ChunkState,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ChunkState {
    Sending,
    /// Failed: the committed offset must be asked for.
    Failed,
    Querying,
    /// The committed offset is known: send the rest of the chunk from there.
    Resend,
}

impl Chunk {
    fn end(&self) -> u64 {
        self.offset + self.data.len() as u64
    }

    /// `crc` is the CRC32C of everything pushed: of the whole object once the last chunk is cut.
    fn action(&self, upload_id: String, crc: u32) -> Action {
        Action::UploadChunk { upload_id, offset: self.offset, data: self.data.clone(), last: self.last.then_some(crc) }
    }
}

#[derive(Debug)]
pub struct Upload {
    /// Validated: part size possibly rounded, concurrency clamped.
    cfg: UploadConfig,
    part: usize,
    /// The part being filled; no allocation until data comes.
    filling: BytesMut,
    /// Full parts not handed out yet, oldest first.
    ready: VecDeque<Bytes>,
    phase: Phase,
    /// A one-at-a-time action (put, create, complete, commit, query, abort) is outstanding.
    waiting: bool,
    /// The multipart upload id or resumable session URI, while one exists.
    upload_id: Option<String>,
    /// Parts or blocks handed out so far; the last one's number.
    handed: u32,
    /// Numbers of the parts or blocks handed out and not reported yet.
    out: Vec<u32>,
    /// Parts: the ETags reported.
    etags: Vec<(u32, String)>,
    /// Resumable: the chunk out, kept until acknowledged.
    chunk: Option<Chunk>,
    /// Resumable: bytes the server has acknowledged (where the next chunk starts).
    acked: u64,
    /// Bytes accepted in all.
    total: u64,
    /// The CRC32C of the bytes accepted, in order.
    crc: u32,
}

impl Upload {
    /// Checks the part size against the model. For `Resumable` it is rounded *up* to a multiple
    /// of `align` rather than refused: the part size is a tuning knob shared by every store, the
    /// alignment a protocol detail callers should not have to know, and rounding up never makes
    /// more (or smaller) chunks than asked.
    pub fn new(cfg: UploadConfig) -> Result<Upload> {
        let mut cfg = UploadConfig { concurrency: cfg.concurrency.max(1), ..cfg };
        if cfg.part_size == 0 {
            return Err(Error::invalid_input("part size must be positive"));
        }
        let size = cfg.part_size;
        match cfg.model {
            UploadModel::Parts { min_part, max_part, .. } if !(min_part..=max_part).contains(&size) => {
                return Err(Error::invalid_input(format!("part size {size} is outside the service's {min_part}..={max_part}")));
            }
            UploadModel::Blocks { max_block, .. } if size > max_block => {
                return Err(Error::invalid_input(format!("block size {size} is over the service's maximum {max_block}")));
            }
            UploadModel::Blocks { max_blocks, .. } if max_blocks > MAX_BLOCK_NUMBER => {
                return Err(Error::invalid_input(format!("block ids have room for {MAX_BLOCK_NUMBER} blocks, not {max_blocks}")));
            }
            UploadModel::Resumable { align } => {
                cfg.part_size = size
                    .checked_next_multiple_of(align)
                    .filter(|_| align > 0)
                    .ok_or_else(|| Error::invalid_input(format!("cannot align chunks of {size} bytes to {align}")))?;
                // Chunks are sequential by nature: each starts where the server's offset ends.
                cfg.concurrency = 1;
            }
            _ => {}
        }
        let part = usize::try_from(cfg.part_size)
            .map_err(|_| Error::invalid_input(format!("part size {} does not fit in memory here", cfg.part_size)))?;
        Ok(Upload {
            cfg,
            part,
            filling: BytesMut::new(),
            ready: VecDeque::new(),
            phase: Phase::Open,
            waiting: false,
            upload_id: None,
            handed: 0,
            out: Vec::new(),
            etags: Vec::new(),
            chunk: None,
            acked: 0,
            total: 0,
            crc: 0,
        })
    }

    /// The configuration in effect (part size rounded, concurrency clamped).
    pub fn config(&self) -> &UploadConfig {
        &self.cfg
    }

    /// Append as much of `data` as the memory bound allows; returns how much was taken. Less
    /// than all (possibly 0) means every slot holds a part: run the actions and report what
    /// finishes, then push the rest. Refused once finishing or failed.
    pub fn push(&mut self, data: &[u8]) -> Result<usize> {
        if self.phase != Phase::Open {
            return Err(Error::invalid_input("write after close or failure"));
        }
        let part = self.part;
        let mut taken = 0;
        while taken < data.len() {
            let rest = data.len() - taken;
            if self.filling.capacity() == 0 {
                if self.slots_held() > self.cfg.concurrency {
                    break;
                }
                let cap = if self.total == 0 { rest.max(FIRST_BUFFER).min(part) } else { part };
                self.filling = BytesMut::with_capacity(cap);
            } else if self.filling.len() == self.filling.capacity() {
                // Only the first part grows. By hand, to an exact size: `reserve` would double
                // past the part size.
                let cap = self.filling.capacity().saturating_mul(2).max(self.filling.len() + rest).min(part);
                let mut bigger = BytesMut::with_capacity(cap);
                bigger.extend_from_slice(&self.filling);
                self.filling = bigger;
            }
            let n = rest.min(self.filling.capacity().min(part) - self.filling.len());
            self.filling.extend_from_slice(&data[taken..taken + n]);
            self.crc = crc32c::crc32c_append(self.crc, &data[taken..taken + n]);
            taken += n;
            self.total += n as u64;
            if self.filling.len() == part {
                // Frozen whole: the part owns its allocation, nothing else shares it.
                self.ready.push_back(std::mem::take(&mut self.filling).freeze());
            }
        }
        Ok(taken)
    }

    /// Whether [`Upload::push`] would take at least one byte now.
    pub fn has_room(&self) -> bool {
        self.phase == Phase::Open && (self.filling.len() < self.filling.capacity() || self.slots_held() <= self.cfg.concurrency)
    }

    /// Part-sized buffers held: out (or unacknowledged), waiting, being filled.
    fn slots_held(&self) -> usize {
        self.out.len() + usize::from(self.chunk.is_some()) + self.ready.len() + usize::from(self.filling.capacity() > 0)
    }

    /// Bytes accepted in all: the object's size once complete.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// Bytes accepted but not yet handed to an action.
    pub fn buffered(&self) -> usize {
        self.ready.len() * self.part + self.filling.len()
    }

    /// The multipart upload or resumable session in progress, if one was created and not yet
    /// completed or aborted.
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
    /// and the next action, if any, is the abort. Blocks have none: Azure discards uncommitted
    /// blocks by itself (after a week), and there is no call that deletes them without deleting
    /// the blob, whose committed content must survive a failed overwrite.
    pub fn fail(&mut self) {
        self.filling = BytesMut::new();
        self.ready.clear();
        self.chunk = None;
        self.out.clear();
        self.waiting = false;
        self.phase = if self.upload_id.is_some() { Phase::Failed } else { Phase::Done };
    }

    /// The next request to send, or `None` when there is nothing to start until an outstanding
    /// request is reported or more data comes (or ever, once done). Up to `concurrency` parts
    /// or blocks may be out at once; everything else goes one at a time, after them.
    pub fn next_action(&mut self) -> Result<Option<Action>> {
        if self.waiting {
            return Ok(None);
        }
        match self.phase {
            Phase::Done => Ok(None),
            Phase::Failed => Ok(self.upload_id.clone().map(|upload_id| self.wait(Action::Abort { upload_id }))),
            // Everything so far fits in one request: nothing to send before the end.
            _ if self.total <= self.part as u64 => Ok((self.phase == Phase::Finishing).then(|| {
                let data = self.take_part();
                self.wait(Action::PutSingle(data))
            })),
            _ => match self.cfg.model {
                UploadModel::Parts { max_parts, .. } => self.next_part(max_parts),
                UploadModel::Blocks { max_blocks, .. } => self.next_block(max_blocks),
                UploadModel::Resumable { .. } => self.next_chunk(),
            },
        }
    }

    fn wait(&mut self, action: Action) -> Action {
        self.waiting = true;
        action
    }

    /// Whether a part can be handed out. A full part that may be the last waits only where
    /// the last chunk must say so (Resumable); elsewhere a last part may be full-sized.
    fn part_ready(&self) -> bool {
        let finishing = self.phase == Phase::Finishing;
        match self.ready.len() {
            0 => finishing && !self.filling.is_empty(),
            1 => finishing || !self.filling.is_empty() || !matches!(self.cfg.model, UploadModel::Resumable { .. }),
            _ => true,
        }
    }

    fn take_part(&mut self) -> Bytes {
        self.ready.pop_front().unwrap_or_else(|| std::mem::take(&mut self.filling).freeze())
    }

    /// Everything was handed out and reported: time to commit.
    fn all_sent(&self) -> bool {
        self.phase == Phase::Finishing && self.out.is_empty() && self.buffered() == 0
    }

    /// The next part or block number, within the service's limit.
    fn claim(&mut self, max: u32, what: &str) -> Result<u32> {
        if self.handed >= max {
            return Err(Error::invalid_input(format!(
                "upload needs more than {max} {what} of {} bytes; raise the part size",
                self.part
            )));
        }
        self.handed += 1;
        self.out.push(self.handed);
        Ok(self.handed)
    }

    fn next_part(&mut self, max_parts: u32) -> Result<Option<Action>> {
        let Some(upload_id) = self.upload_id.clone() else { return Ok(Some(self.wait(Action::Create))) };
        if self.part_ready() {
            if self.out.len() >= self.cfg.concurrency {
                return Ok(None);
            }
            let number = self.claim(max_parts, "parts")?;
            return Ok(Some(Action::UploadPart { upload_id, number, data: self.take_part() }));
        }
        if !self.all_sent() {
            return Ok(None);
        }
        let mut parts = self.etags.clone();
        parts.sort_by_key(|p| p.0);
        Ok(Some(self.wait(Action::Complete { upload_id, parts })))
    }

    /// No create: block ids are the client's, so the first block goes out at once.
    fn next_block(&mut self, max_blocks: u32) -> Result<Option<Action>> {
        if self.part_ready() {
            if self.out.len() >= self.cfg.concurrency {
                return Ok(None);
            }
            let number = self.claim(max_blocks, "blocks")?;
            return Ok(Some(Action::UploadBlock { block_id: block_id(number), data: self.take_part() }));
        }
        if !self.all_sent() {
            return Ok(None);
        }
        Ok(Some(self.wait(Action::CommitBlocks { block_ids: (1..=self.handed).map(block_id).collect() })))
    }

    fn next_chunk(&mut self) -> Result<Option<Action>> {
        let Some(upload_id) = self.upload_id.clone() else { return Ok(Some(self.wait(Action::Create))) };
        if let Some(chunk) = &mut self.chunk {
            return Ok(match chunk.state {
                ChunkState::Sending | ChunkState::Querying => None,
                ChunkState::Failed => {
                    chunk.state = ChunkState::Querying;
                    Some(Action::QueryOffset { upload_id })
                }
                ChunkState::Resend => {
                    chunk.state = ChunkState::Sending;
                    Some(chunk.action(upload_id, self.crc))
                }
            });
        }
        if !self.part_ready() {
            return Ok(None);
        }
        let data = self.take_part();
        let last = self.phase == Phase::Finishing && self.buffered() == 0;
        let chunk = Chunk { offset: self.acked, data, last, state: ChunkState::Sending };
        let action = chunk.action(upload_id, self.crc);
        self.chunk = Some(chunk);
        Ok(Some(action))
    }

    pub fn put_done(&mut self) {
        self.waiting = false;
        self.phase = Phase::Done;
    }

    pub fn created(&mut self, upload_id: String) {
        self.waiting = false;
        self.upload_id = Some(upload_id);
    }

    /// Part `number` was stored with this ETag. A report after [`Upload::fail`] is ignored; one
    /// for a part that is not out is refused.
    pub fn part_done(&mut self, number: u32, etag: String) -> Result<()> {
        if self.settle(number, "part")? {
            self.etags.push((number, etag));
        }
        Ok(())
    }

    /// The block was staged.
    pub fn block_done(&mut self, id: &str) -> Result<()> {
        let number = self.out.iter().copied().find(|&n| block_id(n) == id);
        let number = number.ok_or_else(|| Error::invalid_input(format!("block {id} was not in flight")))?;
        self.settle(number, "block").map(|_| ())
    }

    /// Take `number` off the parts out; false when the upload has failed meanwhile.
    fn settle(&mut self, number: u32, what: &str) -> Result<bool> {
        if self.stopped() {
            return Ok(false);
        }
        let i = self.out.iter().position(|&n| n == number);
        let i = i.ok_or_else(|| Error::invalid_input(format!("{what} {number} was not in flight")))?;
        self.out.swap_remove(i);
        Ok(true)
    }

    /// Failed or done: late reports change nothing.
    fn stopped(&self) -> bool {
        matches!(self.phase, Phase::Failed | Phase::Done)
    }

    /// The chunk out was stored whole (a final chunk: the object exists).
    pub fn chunk_done(&mut self) -> Result<()> {
        if self.stopped() {
            return Ok(());
        }
        let end = self.chunk_out(&[ChunkState::Sending])?.end();
        self.committed(end)
    }

    /// The chunk out failed; the next action asks the server what it kept.
    pub fn chunk_failed(&mut self) -> Result<()> {
        if self.stopped() {
            return Ok(());
        }
        self.chunk_out(&[ChunkState::Sending])?.state = ChunkState::Failed;
        Ok(())
    }

    /// The session holds the first `offset` bytes (the answer to [`Action::QueryOffset`], or
    /// to a chunk the server took only part of). What follows is sent again, from there. An
    /// offset before the chunk (bytes acknowledged before are gone), past what was sent, or
    /// not aligned (but at the very end) is an `InvalidResponse`.
    pub fn committed(&mut self, offset: u64) -> Result<()> {
        let UploadModel::Resumable { align } = self.cfg.model else {
            return Err(Error::invalid_input("only resumable uploads have a committed offset"));
        };
        if self.stopped() {
            return Ok(());
        }
        let chunk = self.chunk_out(&[ChunkState::Sending, ChunkState::Querying])?;
        let (start, end) = (chunk.offset, chunk.end());
        if offset < start || offset > end {
            return Err(Error::invalid_response(format!(
                "the server reports {offset} bytes committed; {start} were acknowledged and {end} sent"
            )));
        }
        if offset < end {
            if !offset.is_multiple_of(align) {
                return Err(Error::invalid_response(format!("committed offset {offset} is not a multiple of {align}")));
            }
            chunk.data = chunk.data.slice((offset - start) as usize..);
            chunk.offset = offset;
            chunk.state = ChunkState::Resend;
            return Ok(());
        }
        let last = chunk.last;
        self.chunk = None;
        self.acked = end;
        if last {
            // The final chunk finalized the session: nothing left to abort.
            self.upload_id = None;
            self.phase = Phase::Done;
        }
        Ok(())
    }

    fn chunk_out(&mut self, states: &[ChunkState]) -> Result<&mut Chunk> {
        match &mut self.chunk {
            Some(c) if states.contains(&c.state) => Ok(c),
            _ => Err(Error::invalid_input("no chunk is waiting for that report")),
        }
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
    use crate::core::error::ErrorKind;

    const PARTS: UploadModel = UploadModel::Parts { min_part: 4, max_part: 4, max_parts: 3 };
    const BLOCKS: UploadModel = UploadModel::Blocks { max_block: 4, max_blocks: 3 };
    const RESUMABLE: UploadModel = UploadModel::Resumable { align: 4 };

    fn cfg(model: UploadModel, concurrency: usize) -> UploadConfig {
        UploadConfig { part_size: 4, model, concurrency }
    }

    fn new(model: UploadModel, concurrency: usize) -> Upload {
        Upload::new(cfg(model, concurrency)).unwrap()
    }

    /// A driver whose requests all succeed at once: pushes `data`, finishes, answers every
    /// action and returns them in order.
    fn run(u: &mut Upload, mut data: &[u8]) -> Result<Vec<Action>> {
        let mut log = Vec::new();
        while !u.is_done() {
            let n = if data.is_empty() { 0 } else { u.push(data)? };
            data = &data[n..];
            if data.is_empty() {
                u.finish();
            }
            let before = log.len();
            while let Some(a) = u.next_action()? {
                match &a {
                    Action::PutSingle(_) => u.put_done(),
                    Action::Create => u.created("id".into()),
                    Action::UploadPart { number, .. } => u.part_done(*number, format!("e{number}"))?,
                    Action::UploadBlock { block_id, .. } => u.block_done(block_id)?,
                    Action::UploadChunk { .. } => u.chunk_done()?,
                    Action::Complete { .. } | Action::CommitBlocks { .. } => u.completed(),
                    Action::Abort { .. } => u.aborted(),
                    Action::QueryOffset { .. } => panic!("no chunk failed"),
                }
                log.push(a);
            }
            assert!(n > 0 || log.len() > before || u.is_done(), "stuck");
        }
        Ok(log)
    }

    fn chunk(a: Option<Action>) -> (u64, Bytes, bool) {
        match a {
            Some(Action::UploadChunk { upload_id, offset, data, last }) => {
                assert_eq!(upload_id, "session");
                (offset, data, last.is_some())
            }
            other => panic!("expected a chunk, got {other:?}"),
        }
    }

    #[test]
    fn small_data_is_one_put_for_every_model() {
        for model in [PARTS, BLOCKS, RESUMABLE] {
            let mut u = new(model, 2);
            assert_eq!(u.push(b"abcd").unwrap(), 4);
            assert_eq!(u.next_action().unwrap(), None, "{model:?}: a full part waits: it may be the only one");
            u.finish();
            assert_eq!(u.next_action().unwrap(), Some(Action::PutSingle(Bytes::from_static(b"abcd"))), "{model:?}");
            assert_eq!(u.next_action().unwrap(), None, "{model:?}: nothing more until the put is reported");
            u.put_done();
            assert!(u.is_done());
            assert_eq!(u.next_action().unwrap(), None);
            assert!(u.push(b"x").is_err(), "{model:?}: write after the end");
            // An empty object is one empty PUT.
            let log = run(&mut new(model, 2), b"").unwrap();
            assert_eq!(log, [Action::PutSingle(Bytes::new())], "{model:?}");
        }
    }

    #[test]
    fn part_size_is_checked_against_the_model() {
        let refused = |part_size, model| Upload::new(UploadConfig { part_size, model, concurrency: 1 }).unwrap_err().kind;
        assert_eq!(refused(3, PARTS), ErrorKind::InvalidInput, "below the minimum part");
        assert_eq!(refused(5, PARTS), ErrorKind::InvalidInput, "above the maximum part");
        assert_eq!(refused(0, BLOCKS), ErrorKind::InvalidInput, "empty parts");
        assert_eq!(refused(5, BLOCKS), ErrorKind::InvalidInput, "above the maximum block");
        let too_many = UploadModel::Blocks { max_block: 4, max_blocks: 1_000_000 };
        assert_eq!(refused(4, too_many), ErrorKind::InvalidInput, "more blocks than the ids can name");
        assert_eq!(refused(4, UploadModel::Resumable { align: 0 }), ErrorKind::InvalidInput);
        assert_eq!(refused(u64::MAX, RESUMABLE), ErrorKind::InvalidInput, "rounding up overflows");
        // Resumable chunks are rounded up to the alignment, and go one at a time.
        let u = Upload::new(UploadConfig { part_size: 5, model: RESUMABLE, concurrency: 8 }).unwrap();
        assert_eq!((u.config().part_size, u.config().concurrency), (8, 1));
        let u = Upload::new(UploadConfig { part_size: 6 << 20, model: UploadModel::GCS_RESUMABLE, concurrency: 8 }).unwrap();
        assert_eq!(u.config().part_size, 6 << 20, "already a multiple of 256 KiB");
        assert_eq!(new(PARTS, 0).config().concurrency, 1);
    }

    #[test]
    fn parts_are_exact_and_the_last_is_the_rest() {
        let mut u = new(PARTS, 1);
        assert_eq!(u.push(b"0123456789").unwrap(), 8, "one part out and one being filled, no more");
        assert_eq!(u.next_action().unwrap(), Some(Action::Create));
        u.created("id".into());
        let Some(Action::UploadPart { number: 1, data, .. }) = u.next_action().unwrap() else { panic!() };
        assert_eq!(&data[..], b"0123");
        assert_eq!(u.push(b"89").unwrap(), 0, "both slots are taken");
        u.part_done(1, "e1".into()).unwrap();
        let Some(Action::UploadPart { number: 2, data, .. }) = u.next_action().unwrap() else { panic!() };
        assert_eq!(&data[..], b"4567", "past one part, a full part goes at once");
        assert_eq!(u.push(b"89").unwrap(), 2);
        u.part_done(2, "e2".into()).unwrap();
        assert_eq!(u.next_action().unwrap(), None, "2 bytes wait for more data or finish");
        u.finish();
        let Some(Action::UploadPart { number: 3, data, .. }) = u.next_action().unwrap() else { panic!() };
        assert_eq!(&data[..], b"89");
        u.part_done(3, "e3".into()).unwrap();
        let Some(Action::Complete { parts, .. }) = u.next_action().unwrap() else { panic!() };
        assert_eq!(parts.len(), 3);
        u.completed();
        assert!(u.is_done() && u.upload_id().is_none());
    }

    #[test]
    fn push_holds_at_most_concurrency_plus_one_parts() {
        let mut u = new(UploadModel::Parts { min_part: 4, max_part: 4, max_parts: 100 }, 2);
        let data: Vec<u8> = (0..100).collect();
        let mut at = u.push(&data).unwrap();
        assert_eq!(at, 12, "3 parts of 4");
        assert_eq!(u.next_action().unwrap(), Some(Action::Create));
        u.created("id".into());
        let mut out = Vec::new();
        let mut next = 1;
        while !u.is_done() {
            while let Some(a) = u.next_action().unwrap() {
                match a {
                    Action::UploadPart { number, data: d, .. } => {
                        assert_eq!(number, next);
                        assert_eq!(&d[..], &data[4 * (number as usize - 1)..][..d.len()], "parts keep the order of the data");
                        next += 1;
                        out.push((number, d));
                    }
                    Action::Complete { parts, .. } => {
                        assert_eq!(parts.len(), 25);
                        u.completed();
                    }
                    other => panic!("{other:?}"),
                }
            }
            assert!(out.len() <= 2, "two parts in flight at most");
            let held: usize = u.buffered() + out.iter().map(|(_, d)| d.len()).sum::<usize>();
            assert!(held <= 12, "{held} bytes held");
            let full = out.len() == 2 && u.buffered() == 4;
            let n = if at < data.len() { u.push(&data[at..]).unwrap() } else { 0 };
            if at < data.len() && full {
                assert_eq!(n, 0, "every slot is taken");
            }
            at += n;
            if at == data.len() {
                u.finish();
            }
            if n == 0 && !out.is_empty() {
                let (number, _) = out.remove(0);
                u.part_done(number, format!("e{number}")).unwrap();
            }
        }
        assert_eq!(u.total(), 100);
    }

    #[test]
    fn failure_after_create_aborts() {
        let mut u = new(PARTS, 1);
        u.push(b"0123456").unwrap();
        assert_eq!(u.next_action().unwrap(), Some(Action::Create));
        u.created("id".into());
        assert!(matches!(u.next_action().unwrap(), Some(Action::UploadPart { .. })));
        u.fail();
        assert_eq!(u.next_action().unwrap(), Some(Action::Abort { upload_id: "id".into() }));
        assert_eq!(u.next_action().unwrap(), None, "one abort at a time");
        u.part_done(1, "late".into()).unwrap();
        u.aborted();
        assert_eq!(u.next_action().unwrap(), None);
        assert!(u.is_done());
        assert!(u.push(b"x").is_err());
        // Nothing created yet: nothing to abort.
        let mut u = new(PARTS, 1);
        u.push(b"012345").unwrap();
        assert_eq!(u.next_action().unwrap(), Some(Action::Create));
        u.fail();
        assert_eq!(u.next_action().unwrap(), None);
        assert!(u.is_done());
    }

    #[test]
    fn parts_go_out_concurrently_and_complete_in_order() {
        let mut u = new(UploadModel::Parts { min_part: 4, max_part: 4, max_parts: 10 }, 2);
        assert_eq!(u.push(b"0123456789ab").unwrap(), 12);
        u.finish();
        assert_eq!(u.next_action().unwrap(), Some(Action::Create));
        assert_eq!(u.next_action().unwrap(), None, "parts wait for the upload id");
        u.created("id".into());
        let Some(Action::UploadPart { number: 1, .. }) = u.next_action().unwrap() else { panic!() };
        let Some(Action::UploadPart { number: 2, .. }) = u.next_action().unwrap() else { panic!() };
        assert_eq!(u.next_action().unwrap(), None, "two in flight at most");
        u.part_done(2, "e2".into()).unwrap();
        assert_eq!(u.part_done(2, "e2".into()).unwrap_err().kind, ErrorKind::InvalidInput, "reported twice");
        assert!(u.part_done(7, "e7".into()).is_err(), "never handed out");
        let Some(Action::UploadPart { number: 3, .. }) = u.next_action().unwrap() else { panic!() };
        assert_eq!(u.next_action().unwrap(), None, "completion waits for every part");
        u.part_done(3, "e3".into()).unwrap();
        u.part_done(1, "e1".into()).unwrap();
        let Some(Action::Complete { parts, .. }) = u.next_action().unwrap() else { panic!() };
        assert_eq!(parts, [(1, "e1".to_string()), (2, "e2".into()), (3, "e3".into())]);
    }

    #[test]
    fn limits_are_10_000_parts_and_50_000_blocks() {
        let UploadModel::Parts { max_parts, .. } = UploadModel::S3 else { panic!() };
        assert_eq!(max_parts, 10_000);
        // S3's count with one-byte parts, so the test stays small.
        let s3 = UploadModel::Parts { min_part: 1, max_part: 1, max_parts };
        let parts =
            |n: usize| run(&mut Upload::new(UploadConfig { part_size: 1, model: s3, concurrency: 4 }).unwrap(), &vec![0; n]);
        let log = parts(10_000).unwrap();
        assert!(matches!(log.last(), Some(Action::Complete { parts, .. }) if parts.len() == 10_000));
        let err = parts(10_001).unwrap_err();
        assert!(err.kind == ErrorKind::InvalidInput && err.message.contains("10000 parts"), "{err:?}");

        let blocks = |n: usize| {
            let cfg = UploadConfig { part_size: 1, model: UploadModel::AZURE_BLOCKS, concurrency: 4 };
            run(&mut Upload::new(cfg).unwrap(), &vec![0; n])
        };
        let log = blocks(50_000).unwrap();
        assert!(matches!(log.last(), Some(Action::CommitBlocks { block_ids }) if block_ids.len() == 50_000));
        let err = blocks(50_001).unwrap_err();
        assert!(err.kind == ErrorKind::InvalidInput && err.message.contains("50000 blocks"), "{err:?}");
    }

    #[test]
    fn blocks_need_no_create_and_commit_their_ids_in_order() {
        let log = run(&mut new(UploadModel::Blocks { max_block: 4, max_blocks: 10 }, 2), b"0123456789").unwrap();
        let mut staged = Vec::new();
        for a in &log[..3] {
            let Action::UploadBlock { block_id, data } = a else { panic!("{a:?}") };
            staged.push((block_id.clone(), data.len()));
        }
        assert_eq!(staged.iter().map(|s| s.1).collect::<Vec<_>>(), [4, 4, 2]);
        let Action::CommitBlocks { block_ids } = &log[3] else { panic!("{:?}", log[3]) };
        assert_eq!(log.len(), 4, "no create, nothing after the commit");
        assert_eq!(*block_ids, staged.iter().map(|s| s.0.clone()).collect::<Vec<_>>(), "committed in object order");
        assert_eq!(B64.decode(&block_ids[0]).unwrap(), b"000001");
        assert_eq!(B64.decode(&block_ids[2]).unwrap(), b"000003");
        // Same length for every id a blob can have, and safe in a query string as is.
        for id in [block_id(1), block_id(50_000), block_id(MAX_BLOCK_NUMBER)] {
            assert_eq!(id.len(), 8);
            assert!(id.bytes().all(|c| c.is_ascii_alphanumeric()), "{id}");
        }
    }

    #[test]
    fn blocks_check_reports_and_abort_without_a_request() {
        let mut u = new(BLOCKS, 2);
        assert_eq!(u.push(b"012345").unwrap(), 6);
        let Some(Action::UploadBlock { block_id: first, .. }) = u.next_action().unwrap() else { panic!() };
        assert!(u.upload_id().is_none());
        assert_eq!(u.block_done("bm9wZQ==").unwrap_err().kind, ErrorKind::InvalidInput, "never handed out");
        u.block_done(&first).unwrap();
        assert!(u.block_done(&first).is_err(), "reported twice");
        u.fail();
        assert_eq!(u.next_action().unwrap(), None, "uncommitted blocks expire on their own");
        assert!(u.is_done());
    }

    #[test]
    fn resumable_chunks_are_aligned_sequential_and_the_last_says_so() {
        let mut u = Upload::new(UploadConfig { part_size: 6, model: RESUMABLE, concurrency: 4 }).unwrap();
        let data: Vec<u8> = (0..20).collect();
        assert_eq!(u.push(&data).unwrap(), 16, "one chunk out and one being filled");
        assert_eq!(u.next_action().unwrap(), Some(Action::Create));
        u.created("session".into());
        let (offset, d, last) = chunk(u.next_action().unwrap());
        assert_eq!((offset, &d[..], last), (0, &data[..8], false), "6 rounded up to 8");
        assert_eq!(u.next_action().unwrap(), None, "one chunk at a time");
        assert_eq!(u.push(&data[16..]).unwrap(), 0, "the unacknowledged chunk still counts");
        u.chunk_done().unwrap();
        assert_eq!(u.next_action().unwrap(), None, "a full chunk that may be the last waits");
        assert_eq!(u.push(&data[16..]).unwrap(), 4);
        let (offset, d, last) = chunk(u.next_action().unwrap());
        assert_eq!((offset, &d[..], last), (8, &data[8..16], false));
        u.finish();
        u.chunk_done().unwrap();
        let (offset, d, last) = chunk(u.next_action().unwrap());
        assert_eq!((offset, &d[..], last), (16, &data[16..], true), "the total is 16 + 4");
        assert!(u.chunk_done().is_ok() && u.is_done() && u.upload_id().is_none());
        assert_eq!(u.next_action().unwrap(), None);

        // An exact multiple: the last chunk is a full one.
        let log =
            run(&mut Upload::new(UploadConfig { part_size: 8, model: RESUMABLE, concurrency: 1 }).unwrap(), &data[..16]).unwrap();
        let Some(Action::UploadChunk { offset: 8, last: Some(crc), data, .. }) = log.last() else { panic!("{log:?}") };
        assert_eq!(data.len(), 8);
        assert_eq!(*crc, crc32c::crc32c(&(0..16).collect::<Vec<u8>>()), "the last chunk states the whole object's CRC32C");
    }

    /// A session with its second chunk (bytes 8..16 of 0..20) out.
    fn second_chunk_out() -> Upload {
        let mut u = Upload::new(UploadConfig { part_size: 8, model: RESUMABLE, concurrency: 1 }).unwrap();
        let data: Vec<u8> = (0..20).collect();
        u.push(&data[..16]).unwrap();
        u.next_action().unwrap();
        u.created("session".into());
        chunk(u.next_action().unwrap());
        u.chunk_done().unwrap();
        u.push(&data[16..]).unwrap();
        u.finish();
        assert_eq!(chunk(u.next_action().unwrap()).0, 8);
        u
    }

    #[test]
    fn resumable_resumes_from_the_committed_offset() {
        let mut u = second_chunk_out();
        u.chunk_failed().unwrap();
        assert_eq!(u.next_action().unwrap(), Some(Action::QueryOffset { upload_id: "session".into() }));
        assert_eq!(u.next_action().unwrap(), None, "waits for the answer");
        // The server kept half the chunk: the rest goes again, from there.
        u.committed(12).unwrap();
        let (offset, d, last) = chunk(u.next_action().unwrap());
        assert_eq!((offset, &d[..], last), (12, &[12, 13, 14, 15][..], false));
        // A chunk answered with less than was sent resumes the same way.
        u.committed(12).unwrap();
        assert_eq!(chunk(u.next_action().unwrap()).0, 12);
        u.chunk_done().unwrap();
        let (offset, d, last) = chunk(u.next_action().unwrap());
        assert_eq!((offset, d.len(), last), (16, 4, true));
        // The final chunk failed but went through: its (unaligned) end is the total.
        u.chunk_failed().unwrap();
        assert!(matches!(u.next_action().unwrap(), Some(Action::QueryOffset { .. })));
        u.committed(20).unwrap();
        assert!(u.is_done());
    }

    #[test]
    fn resumable_refuses_impossible_offsets() {
        let mut u = second_chunk_out();
        assert!(u.committed(12).is_ok() && chunk(u.next_action().unwrap()).0 == 12);
        u.chunk_failed().unwrap();
        u.next_action().unwrap();
        for (bad, why) in [(8, "before what was acknowledged"), (17, "past what was sent"), (14, "not aligned")] {
            let err = u.committed(bad).unwrap_err();
            assert_eq!(err.kind, ErrorKind::InvalidResponse, "{why}");
        }
        u.committed(16).unwrap();
        let (offset, _, last) = chunk(u.next_action().unwrap());
        assert!(offset == 16 && last, "the refused answers changed nothing");
        assert_eq!(u.committed(24).unwrap_err().kind, ErrorKind::InvalidResponse, "past the end of the object");

        let mut idle = new(RESUMABLE, 1);
        assert_eq!(idle.chunk_done().unwrap_err().kind, ErrorKind::InvalidInput, "no chunk out");
        assert!(idle.committed(0).is_err());
        assert!(new(PARTS, 1).committed(0).is_err(), "parts have no offset");
    }

    #[test]
    fn resumable_abort_cancels_the_session() {
        let mut u = second_chunk_out();
        u.fail();
        assert_eq!(u.next_action().unwrap(), Some(Action::Abort { upload_id: "session".into() }));
        u.chunk_done().unwrap();
        u.aborted();
        assert!(u.is_done());
        assert_eq!(u.next_action().unwrap(), None);
    }
}
