//! File objects over a store: [`FileReader`] (`AsyncRead + AsyncSeek`, block cache, readahead,
//! ETag pinning) and [`FileWriter`] (`AsyncWrite`, multipart past the part size, abort on
//! error or drop).
//!
//! Both own a clone of the store, so their in-flight requests are `'static` futures that
//! `poll_*` can keep between calls. Those futures are [`MaybeSend`]: a reader or writer can
//! move between threads on native, and the same code runs on single-threaded wasm32.

use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, ready};

use bytes::{Bytes, BytesMut};
use futures::FutureExt;
use futures::StreamExt;
use futures::io::{AsyncRead, AsyncSeek, AsyncWrite, SeekFrom};
use futures::stream::FuturesUnordered;

use super::store::Store;
use crate::core::error::{Error, ErrorKind, Result};
use crate::core::types::{ByteRange, ChunkAck, ObjectMeta, PutOptions};
use crate::core::upload::{Action, Upload, UploadConfig};
use crate::transport::{BoxFuture, MaybeSend, MaybeSync, boxed};

// ---------------------------------------------------------------- reading

#[derive(Clone, Debug)]
pub struct ReadOptions {
    /// Bytes per cached block (and the smallest range request).
    pub block_size: u64,
    /// Blocks kept in the cache (least recently used evicted first).
    pub cache_blocks: usize,
    /// Extra blocks fetched in the same request when reading sequentially.
    pub readahead_blocks: u64,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions { block_size: 4 * 1024 * 1024, cache_blocks: 8, readahead_blocks: 1 }
    }
}

type Blocks = Vec<(u64, Bytes)>;

pub struct FileReader<S> {
    store: S,
    bucket: String,
    key: String,
    meta: ObjectMeta,
    opts: ReadOptions,
    pos: u64,
    /// (block index, bytes), most recently used last.
    cache: Vec<(u64, Bytes)>,
    last_block: Option<u64>,
    pending: Option<BoxFuture<'static, Result<Blocks>>>,
    fetches: usize,
}

impl<S: Store + Clone + 'static> FileReader<S> {
    /// Look the object up once; its size and ETag are pinned for the reader's lifetime.
    pub async fn open(store: S, bucket: String, key: String, opts: ReadOptions) -> Result<Self> {
        let meta = store.head(&bucket, &key).await?;
        let opts = ReadOptions { block_size: opts.block_size.max(1), cache_blocks: opts.cache_blocks.max(1), ..opts };
        Ok(FileReader { store, bucket, key, meta, opts, pos: 0, cache: Vec::new(), last_block: None, pending: None, fetches: 0 })
    }

    pub fn size(&self) -> u64 {
        self.meta.size
    }

    pub fn meta(&self) -> &ObjectMeta {
        &self.meta
    }

    /// Range requests sent so far (to observe the cache).
    pub fn fetches(&self) -> usize {
        self.fetches
    }

    /// Bytes `[offset, offset + len)`, clamped to the object, through the cache.
    pub async fn read_at(&mut self, offset: u64, len: u64) -> Result<Bytes> {
        let end = offset.saturating_add(len).min(self.meta.size);
        if offset >= end {
            return Ok(Bytes::new());
        }
        let bs = self.opts.block_size;
        let mut out = BytesMut::with_capacity((end - offset) as usize);
        let mut at = offset;
        while at < end {
            let block = at / bs;
            if self.cached(block).is_none() {
                let fut = self.fetch_future(block);
                let blocks = fut.await?;
                self.insert(blocks);
            }
            let data = self.cached(block).expect("block just inserted");
            let from = (at - block * bs) as usize;
            let to = ((end - block * bs) as usize).min(data.len());
            if from >= to {
                return Err(Error::new(ErrorKind::Integrity, "object is shorter than its reported size"));
            }
            out.extend_from_slice(&data[from..to]);
            at = block * bs + to as u64;
        }
        Ok(out.freeze())
    }

    fn cached(&mut self, block: u64) -> Option<Bytes> {
        let i = self.cache.iter().position(|(b, _)| *b == block)?;
        let entry = self.cache.remove(i);
        let data = entry.1.clone();
        self.cache.push(entry);
        Some(data)
    }

    fn insert(&mut self, blocks: Blocks) {
        for (b, data) in blocks {
            self.cache.retain(|(x, _)| *x != b);
            self.cache.push((b, data));
        }
        let excess = self.cache.len().saturating_sub(self.opts.cache_blocks);
        self.cache.drain(..excess);
    }

    /// One range request for `block`, plus readahead when the access pattern is sequential.
    fn fetch_future(&mut self, block: u64) -> BoxFuture<'static, Result<Blocks>> {
        let bs = self.opts.block_size;
        let sequential = self.last_block.map_or(block == 0, |l| l + 1 == block);
        self.last_block = Some(block);
        let last = self.meta.size.saturating_sub(1) / bs;
        let count = if sequential { 1 + self.opts.readahead_blocks } else { 1 };
        let count = count.min(last - block.min(last) + 1);
        self.fetches += 1;
        let (store, bucket, key) = (self.store.clone(), self.bucket.clone(), self.key.clone());
        let etag = self.meta.etag.clone();
        let (start, end) = (block * bs, ((block + count) * bs).min(self.meta.size));
        let fetch = async move {
            // The object was replaced since `open`: mixing old and new bytes would be silent
            // corruption.
            let changed = || Error::new(ErrorKind::PreconditionFailed, format!("{bucket}/{key} changed while being read"));
            let got = match store.get(&bucket, &key, Some(ByteRange::From { start, end: Some(end) })).await {
                Ok(g) => g,
                // A range past the end of a shrunken replacement.
                Err(e) if e.kind == ErrorKind::InvalidInput => match store.head(&bucket, &key).await {
                    Ok(m) if m.etag != etag => return Err(changed()),
                    _ => return Err(e),
                },
                Err(e) => return Err(e),
            };
            if etag.is_some() && got.meta.etag.is_some() && got.meta.etag != etag {
                return Err(changed());
            }
            if got.data.len() as u64 != end - start {
                return Err(Error::new(
                    ErrorKind::Integrity,
                    format!("asked for {} bytes of {bucket}/{key}, got {}", end - start, got.data.len()),
                ));
            }
            Ok((0..count)
                .map(|i| {
                    let from = (i * bs) as usize;
                    let to = (((i + 1) * bs) as usize).min(got.data.len());
                    (block + i, got.data.slice(from..to))
                })
                .collect())
        };
        boxed(fetch)
    }
}

impl<S: Store + Clone + Unpin + 'static> AsyncRead for FileReader<S> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        if this.pos >= this.meta.size || buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        let bs = this.opts.block_size;
        let block = this.pos / bs;
        loop {
            if let Some(data) = this.cached(block) {
                let from = (this.pos - block * bs) as usize;
                if from >= data.len() {
                    return Poll::Ready(Err(Error::new(ErrorKind::Integrity, "object is shorter than its size").into()));
                }
                let n = buf.len().min(data.len() - from);
                buf[..n].copy_from_slice(&data[from..from + n]);
                this.pos += n as u64;
                return Poll::Ready(Ok(n));
            }
            if this.pending.is_none() {
                this.pending = Some(this.fetch_future(block));
            }
            let res = ready!(this.pending.as_mut().expect("set above").poll_unpin(cx));
            this.pending = None;
            this.insert(res?);
        }
    }
}

impl<S: Store + Clone + Unpin + 'static> AsyncSeek for FileReader<S> {
    fn poll_seek(mut self: Pin<&mut Self>, _cx: &mut Context<'_>, pos: SeekFrom) -> Poll<io::Result<u64>> {
        let (base, off) = match pos {
            SeekFrom::Start(p) => (p as i128, 0i128),
            SeekFrom::End(d) => (self.meta.size as i128, d as i128),
            SeekFrom::Current(d) => (self.pos as i128, d as i128),
        };
        let new = base + off;
        if new < 0 {
            return Poll::Ready(Err(io::Error::new(io::ErrorKind::InvalidInput, "seek before the start of the file")));
        }
        // A fetch for the old position is no longer wanted.
        self.pending = None;
        self.pos = new as u64;
        Poll::Ready(Ok(self.pos))
    }
}

// ---------------------------------------------------------------- writing

/// Multipart uploads whose writer was dropped before finishing: a destructor cannot await,
/// so they are queued here and aborted by the file system's next call ([`flush_aborts`]).
#[derive(Clone, Debug, Default)]
pub struct AbortQueue(Arc<Mutex<Vec<(String, String, String)>>>);

impl AbortQueue {
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn push(&self, bucket: String, key: String, upload_id: String) {
        self.lock().push((bucket, key, upload_id));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<(String, String, String)>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Abort every queued upload; returns how many. On failure the rest stay queued.
pub async fn flush_aborts<S: Store>(store: &S, queue: &AbortQueue) -> Result<usize> {
    let jobs = std::mem::take(&mut *queue.lock());
    let mut done = 0;
    for (i, (bucket, key, id)) in jobs.iter().enumerate() {
        if let Err(e) = store.abort_multipart(bucket, key, id).await {
            queue.lock().extend(jobs[i..].iter().cloned());
            return Err(e.context(format!("aborting the upload of {bucket}/{key}")));
        }
        done += 1;
    }
    Ok(done)
}

/// What a write drives: the store and the upload state machine.
struct Core<S> {
    store: S,
    bucket: String,
    key: String,
    opts: PutOptions,
    upload: Upload,
    /// The upload id while a multipart upload exists on the server, shared with the writer's
    /// destructor.
    live: Arc<Mutex<Option<String>>>,
    /// True while CreateMultipartUpload is in flight (its id is not known yet).
    creating: Arc<AtomicBool>,
    /// Told the size of each part (or single PUT) the server has accepted.
    on_sent: Option<Arc<dyn OnSent>>,
    /// Parts and blocks in flight, each answering with what to report. They outlive one
    /// drive: a write returns as soon as there is room for more data, while they go on.
    pieces: FuturesUnordered<BoxFuture<'static, Result<(Piece, u64)>>>,
    /// Resumable chunks that failed in a row; the session is given up after this many.
    failures: u32,
}

type Driven<S> = (Core<S>, Result<Option<ObjectMeta>>);

impl<S: Store + Clone + 'static> Core<S> {
    fn sent(&self, len: u64) {
        if let Some(f) = &self.on_sent {
            f(len);
        }
    }

    fn set_live(&self, id: Option<String>) {
        *self.live.lock().unwrap_or_else(|p| p.into_inner()) = id;
    }

    /// Carry out the actions the state machine has ready: until there is room for more data
    /// (`until_room`, while writing: parts already out keep going), or until nothing is
    /// outstanding. On error the upload is failed and aborted before the error is returned.
    async fn drive(mut self, until_room: bool) -> Driven<S> {
        let res = self.run(until_room).await;
        if let Err(e) = res {
            self.upload.fail();
            // The parts still in flight are cancelled: only the abort remains.
            self.pieces = FuturesUnordered::new();
            if let Err(abort) = self.run(false).await {
                // Still live: the writer's destructor queues it for a later abort.
                return (self, Err(e.context(format!("(and aborting the upload failed: {abort})"))));
            }
            return (self, Err(e));
        }
        (self, res)
    }

    /// Start what the state machine allows (parts up to its concurrency, the rest one at a
    /// time) and report outcomes, until the machine has room for data again (`until_room`) or
    /// nothing is outstanding.
    async fn run(&mut self, until_room: bool) -> Result<Option<ObjectMeta>> {
        let mut meta = None;
        loop {
            while let Some(action) = self.upload.next_action()? {
                let (b, k) = (self.bucket.as_str(), self.key.as_str());
                match action {
                    Action::UploadPart { upload_id, number, data } => {
                        let (store, b, k, len) = (self.store.clone(), b.to_string(), k.to_string(), data.len() as u64);
                        self.pieces.push(boxed(async move {
                            store.upload_part(&b, &k, &upload_id, number, data).await.map(|e| (Piece::Part(number, e), len))
                        }));
                    }
                    Action::UploadBlock { block_id, data } => {
                        let (store, b, k, len) = (self.store.clone(), b.to_string(), k.to_string(), data.len() as u64);
                        self.pieces.push(boxed(async move {
                            store.upload_block(&b, &k, &block_id, data).await.map(|()| (Piece::Block(block_id), len))
                        }));
                    }
                    Action::PutSingle(data) => {
                        let len = data.len() as u64;
                        meta = Some(self.store.put(b, k, data, &self.opts).await?);
                        self.upload.put_done();
                        self.sent(len);
                    }
                    Action::Create => {
                        self.creating.store(true, Ordering::Relaxed);
                        let id = self.store.create_multipart(b, k, &self.opts).await;
                        self.creating.store(false, Ordering::Relaxed);
                        let id = id?;
                        self.set_live(Some(id.clone()));
                        self.upload.created(id);
                    }
                    Action::Complete { upload_id, parts } => {
                        let mut m = self.store.complete_multipart(b, k, &upload_id, &parts, &self.opts).await?;
                        // CompleteMultipartUpload does not report the size; we know it.
                        m.size = self.upload.total();
                        meta = Some(m);
                        self.set_live(None);
                        self.upload.completed();
                    }
                    Action::CommitBlocks { block_ids } => {
                        let mut m = self.store.commit_blocks(b, k, &block_ids, &self.opts).await?;
                        m.size = self.upload.total();
                        meta = Some(m);
                        self.upload.completed();
                    }
                    Action::UploadChunk { upload_id, offset, data, last } => {
                        let len = data.len() as u64;
                        match self.store.upload_chunk(b, k, &upload_id, offset, data, last).await {
                            Ok(ack) if ack.committed == offset + len => {
                                self.failures = 0;
                                self.upload.chunk_done()?;
                                self.sent(len);
                                if last.is_some() {
                                    meta = Some(self.finished(ack)?);
                                }
                            }
                            // The server kept less than was sent: the machine resends the rest.
                            Ok(ack) => {
                                self.sent(ack.committed.saturating_sub(offset));
                                self.upload.committed(ack.committed)?;
                            }
                            // Not resent blindly: the machine asks the session what it has.
                            Err(e) if e.retryable && self.failures < MAX_CHUNK_FAILURES => {
                                self.failures += 1;
                                self.upload.chunk_failed()?;
                            }
                            Err(e) => return Err(e),
                        }
                    }
                    Action::QueryOffset { upload_id } => {
                        let ack = self.store.query_offset(b, k, &upload_id).await?;
                        let done = ack.object.is_some();
                        let total = self.upload.total();
                        self.upload.committed(ack.committed)?;
                        if done && ack.committed == total {
                            meta = Some(self.finished(ack)?);
                        }
                    }
                    Action::Abort { upload_id } => {
                        self.store.abort_multipart(b, k, &upload_id).await?;
                        self.set_live(None);
                        self.upload.aborted();
                    }
                }
            }
            if until_room && self.upload.has_room() {
                return Ok(meta);
            }
            match self.pieces.next().await {
                Some(done) => match done? {
                    (Piece::Part(number, etag), len) => {
                        self.upload.part_done(number, etag)?;
                        self.sent(len);
                    }
                    (Piece::Block(id), len) => {
                        self.upload.block_done(&id)?;
                        self.sent(len);
                    }
                },
                None => return Ok(meta),
            }
        }
    }

    /// The object a resumable session became, once its last chunk is in.
    fn finished(&mut self, ack: ChunkAck) -> Result<ObjectMeta> {
        self.set_live(None);
        let mut m = ack.object.ok_or_else(|| Error::invalid_response("the last chunk was taken but no object reported"))?;
        m.size = self.upload.total();
        Ok(m)
    }
}

/// What a part or block upload reports back to the machine.
enum Piece {
    Part(u32, String),
    Block(String),
}

/// Resumable chunks that may fail in a row (each followed by an offset query) before the
/// upload is given up: the driver under the store has already retried each request.
const MAX_CHUNK_FAILURES: u32 = 8;

/// A progress callback: told the size of each part the server accepted.
pub trait OnSent: Fn(u64) + MaybeSend + MaybeSync {}
impl<F: Fn(u64) + MaybeSend + MaybeSync> OnSent for F {}

pub struct FileWriter<S> {
    /// `None` while `pending` owns it.
    core: Option<Core<S>>,
    pending: Option<BoxFuture<'static, Driven<S>>>,
    part_size: usize,
    live: Arc<Mutex<Option<String>>>,
    creating: Arc<AtomicBool>,
    queue: AbortQueue,
    bucket: String,
    key: String,
    closed: bool,
    meta: Option<ObjectMeta>,
}

impl<S: Store + Clone + 'static> FileWriter<S> {
    pub fn create(store: S, bucket: String, key: String, opts: PutOptions, cfg: UploadConfig, queue: AbortQueue) -> Result<Self> {
        if key.is_empty() {
            return Err(Error::invalid_input("cannot write to a bucket; give a key"));
        }
        let live = Arc::new(Mutex::new(None));
        let upload = Upload::new(cfg)?;
        let part_size = upload.config().part_size as usize;
        let creating = Arc::new(AtomicBool::new(false));
        let core = Core {
            store,
            bucket: bucket.clone(),
            key: key.clone(),
            opts,
            upload,
            live: live.clone(),
            creating: creating.clone(),
            on_sent: None,
            pieces: FuturesUnordered::new(),
            failures: 0,
        };
        Ok(FileWriter {
            core: Some(core),
            pending: None,
            part_size,
            live,
            creating,
            queue,
            bucket,
            key,
            closed: false,
            meta: None,
        })
    }

    /// Call `f` with the size of every part (or single PUT) the server accepts: progress of
    /// the bytes actually uploaded, not of those buffered. Set it before writing.
    pub fn on_sent(&mut self, f: impl Fn(u64) + MaybeSend + MaybeSync + 'static) -> Result<()> {
        self.core()?.on_sent = Some(Arc::new(f));
        Ok(())
    }

    /// The written object's metadata, once closed.
    pub fn meta(&self) -> Option<&ObjectMeta> {
        self.meta.as_ref()
    }

    /// Wait for a CreateMultipartUpload in flight, if any, and for nothing else. Dropped during
    /// that request, the writer would never learn the id of an upload the server may already
    /// have created; once it has the id, dropping it queues the upload's abort. Call this
    /// before dropping a writer whose write was cancelled.
    pub async fn settle_create(&mut self) {
        let creating = self.creating.clone();
        futures::future::poll_fn(|cx| {
            // The flag changes only while the pending drive is polled, so checking it after
            // each poll is exact.
            if creating.load(Ordering::Relaxed) && self.poll_settle(cx).is_pending() && creating.load(Ordering::Relaxed) {
                return Poll::Pending;
            }
            Poll::Ready(())
        })
        .await
    }

    /// Wait for the request in flight, if any.
    fn poll_settle(&mut self, cx: &mut Context<'_>) -> Poll<Result<Option<ObjectMeta>>> {
        let Some(fut) = self.pending.as_mut() else { return Poll::Ready(Ok(None)) };
        let (core, res) = ready!(fut.poll_unpin(cx));
        self.pending = None;
        self.core = Some(core);
        Poll::Ready(res)
    }

    fn core(&mut self) -> Result<&mut Core<S>> {
        self.core.as_mut().ok_or_else(|| Error::invalid_input("writer is busy"))
    }

    fn start_drive(&mut self, until_room: bool) {
        if let Some(core) = self.core.take() {
            self.pending = Some(boxed(core.drive(until_room)));
        }
    }

    async fn settle(&mut self) -> Result<Option<ObjectMeta>> {
        futures::future::poll_fn(|cx| self.poll_settle(cx)).await
    }

    async fn drive_now(&mut self, until_room: bool) -> Result<Option<ObjectMeta>> {
        self.settle().await?;
        self.start_drive(until_room);
        self.settle().await
    }

    /// Append `data`. The upload takes it while it holds at most `concurrency + 1` parts
    /// (those out, waiting and being filled); when it is full, the parts it holds are sent and
    /// the write waits only until one of them is accepted, so uploads stay in flight between
    /// writes.
    pub async fn write_bytes(&mut self, data: Bytes) -> Result<()> {
        self.settle().await?;
        let mut rest = &data[..];
        while !rest.is_empty() {
            let mut n = self.core()?.upload.push(rest)?;
            if n == 0 {
                self.drive_now(true).await?;
                n = self.core()?.upload.push(rest)?;
                if n == 0 {
                    return Err(Error::invalid_input("the upload took no data after uploading its parts"));
                }
            }
            rest = &rest[n..];
        }
        Ok(())
    }

    /// Commit the object and return its metadata. On failure nothing is left behind.
    pub async fn close_meta(&mut self) -> Result<ObjectMeta> {
        if let Some(m) = &self.meta {
            return Ok(m.clone());
        }
        self.settle().await?;
        self.core()?.upload.finish();
        let meta = self.drive_now(false).await?;
        let meta = meta.ok_or_else(|| Error::invalid_input("writer was already closed or aborted"))?;
        self.closed = true;
        self.meta = Some(meta.clone());
        Ok(meta)
    }

    /// Discard everything written; a multipart upload in progress is aborted.
    pub async fn abort(&mut self) -> Result<()> {
        let _ = self.settle().await;
        let core = self.core()?;
        core.upload.fail();
        core.pieces = FuturesUnordered::new();
        self.closed = true;
        self.drive_now(false).await.map(|_| ())
    }
}

impl<S: Store + Clone + Unpin + 'static> AsyncWrite for FileWriter<S> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        ready!(this.poll_settle(cx))?;
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        let n = this.core()?.upload.push(buf)?;
        if n > 0 {
            return Poll::Ready(Ok(n));
        }
        // Every slot holds a part: send them, and take more as soon as one is accepted.
        this.start_drive(true);
        ready!(this.poll_settle(cx))?;
        Poll::Ready(Ok(this.core()?.upload.push(buf)?))
    }

    /// Uploads every full part; the tail waits (it may be the last, smaller part).
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        ready!(this.poll_settle(cx))?;
        if this.core.as_ref().is_some_and(|c| c.upload.buffered() >= this.part_size || !c.pieces.is_empty()) {
            this.start_drive(false);
            ready!(this.poll_settle(cx))?;
        }
        Poll::Ready(Ok(()))
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        if this.closed && this.pending.is_none() {
            return Poll::Ready(Ok(()));
        }
        if !this.closed {
            ready!(this.poll_settle(cx))?;
            this.core()?.upload.finish();
            this.closed = true;
            this.start_drive(false);
        }
        let meta = ready!(this.poll_settle(cx))?;
        this.meta = meta;
        Poll::Ready(Ok(()))
    }
}

impl<S> Drop for FileWriter<S> {
    fn drop(&mut self) {
        let live = self.live.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(id) = live {
            self.queue.push(std::mem::take(&mut self.bucket), std::mem::take(&mut self.key), id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::upload::UploadModel;
    use crate::fs::memory::MemoryStore;
    use futures::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};

    fn block<F: std::future::Future>(f: F) -> F::Output {
        futures::executor::block_on(f)
    }

    fn cfg() -> UploadConfig {
        UploadConfig { part_size: 8, model: UploadModel::Parts { min_part: 8, max_part: 8, max_parts: 100 }, concurrency: 3 }
    }

    #[test]
    fn reader_caches_blocks_and_reads_ahead() {
        block(async {
            let s = MemoryStore::new();
            s.create_bucket("b").await.unwrap();
            let body: Vec<u8> = (0..100u8).collect();
            s.put("b", "k", Bytes::from(body.clone()), &PutOptions::default()).await.unwrap();
            let opts = ReadOptions { block_size: 10, cache_blocks: 4, readahead_blocks: 1 };
            let mut r = FileReader::open(s.clone(), "b".into(), "k".into(), opts).await.unwrap();
            let mut buf = [0u8; 10];
            r.read_exact(&mut buf).await.unwrap();
            r.read_exact(&mut buf).await.unwrap();
            assert_eq!(&buf, &body[10..20]);
            assert_eq!(r.fetches(), 1, "block 1 came with block 0");
            r.seek(SeekFrom::Start(5)).await.unwrap();
            r.read_exact(&mut buf).await.unwrap();
            assert_eq!(&buf, &body[5..15]);
            assert_eq!(r.fetches(), 1, "served from the cache");
            assert_eq!(&r.read_at(95, 50).await.unwrap()[..], &body[95..]);
            // Replacing the object under the reader is detected, not mixed in.
            s.put("b", "k", Bytes::from_static(b"new"), &PutOptions::default()).await.unwrap();
            let err = r.read_at(50, 5).await.unwrap_err();
            assert_eq!(err.kind, ErrorKind::PreconditionFailed);
        });
    }

    #[test]
    fn writer_goes_multipart_and_drop_queues_an_abort() {
        block(async {
            let s = MemoryStore::with_min_part_size(8);
            s.create_bucket("b").await.unwrap();
            let q = AbortQueue::default();
            let mut w = FileWriter::create(s.clone(), "b".into(), "k".into(), PutOptions::default(), cfg(), q.clone()).unwrap();
            let sent = Arc::new(Mutex::new(Vec::new()));
            let log = sent.clone();
            w.on_sent(move |n| log.lock().unwrap().push(n)).unwrap();
            for chunk in (0..30u8).collect::<Vec<_>>().chunks(7) {
                w.write_all(chunk).await.unwrap();
            }
            w.close().await.unwrap();
            assert!(w.meta().unwrap().etag.as_ref().unwrap().ends_with("-4"));
            // One report per accepted part, adding up to the object.
            let mut parts = sent.lock().unwrap().clone();
            parts.sort();
            assert_eq!(parts, [6, 8, 8, 8]);
            assert_eq!(s.get("b", "k", None).await.unwrap().data.len(), 30);

            let mut w = FileWriter::create(s.clone(), "b".into(), "d".into(), PutOptions::default(), cfg(), q.clone()).unwrap();
            w.write_all(&[1; 20]).await.unwrap();
            w.flush().await.unwrap();
            assert_eq!(s.open_uploads("b").len(), 1);
            drop(w);
            assert_eq!(q.len(), 1);
            assert_eq!(flush_aborts(&s, &q).await.unwrap(), 1);
            assert!(s.open_uploads("b").is_empty());
            assert!(s.head("b", "d").await.is_err());
        });
    }

    #[test]
    fn block_and_resumable_uploads_write_through_their_own_calls() {
        block(async {
            let models = [UploadModel::Blocks { max_block: 8, max_blocks: 10 }, UploadModel::Resumable { align: 8 }];
            for model in models {
                let s = MemoryStore::with_upload_model(model);
                s.create_bucket("b").await.unwrap();
                let cfg = UploadConfig { model, ..cfg() };
                let sent = Arc::new(Mutex::new(0u64));
                let log = sent.clone();
                let mut w =
                    FileWriter::create(s.clone(), "b".into(), "k".into(), PutOptions::default(), cfg, AbortQueue::default())
                        .unwrap();
                w.on_sent(move |n| *log.lock().unwrap() += n).unwrap();
                let body: Vec<u8> = (0..61u8).collect();
                for c in body.chunks(7) {
                    w.write_all(c).await.unwrap();
                }
                w.close().await.unwrap();
                assert_eq!(w.meta().unwrap().size, 61, "{model:?}");
                assert_eq!(&s.get("b", "k", None).await.unwrap().data[..], &body[..], "{model:?}");
                assert_eq!(*sent.lock().unwrap(), 61, "{model:?}: progress adds up to the object");
                assert!(s.open_uploads("b").is_empty() && s.staged_blocks("b").is_empty(), "{model:?}: nothing left");
            }
            // A memory store of one model refuses the calls of another: nothing is faked.
            let s = MemoryStore::with_upload_model(UploadModel::Blocks { max_block: 8, max_blocks: 10 });
            s.create_bucket("b").await.unwrap();
            assert_eq!(s.create_multipart("b", "k", &PutOptions::default()).await.unwrap_err().kind, ErrorKind::NotSupported);
        });
    }

    /// A memory store behind a rough network: every second resumable chunk breaks off after
    /// half of it reached the session (the writer must ask what was kept and go on from there),
    /// and parts take a few polls, later ones fewer, as they finish out of order on a real
    /// network. It counts chunk calls, and parts out at once (now, times a part started with
    /// none out, most).
    #[derive(Clone, Default)]
    struct Rough {
        mem: MemoryStore,
        chunks: Arc<Mutex<u32>>,
        parts: Arc<Mutex<(usize, usize, usize)>>,
    }

    impl Rough {
        fn new(mem: MemoryStore) -> Rough {
            Rough { mem, ..Rough::default() }
        }
    }

    macro_rules! forward {
        ($($name:ident($($a:ident: $t:ty),*) -> $r:ty;)*) => {
            $(async fn $name(&self, $($a: $t),*) -> Result<$r> { self.mem.$name($($a),*).await })*
        };
    }

    /// Pending `n` times (waking itself), then ready.
    struct Polls(u32);

    impl std::future::Future for Polls {
        type Output = ();
        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
            if self.0 == 0 {
                return Poll::Ready(());
            }
            self.0 -= 1;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }

    impl Store for Rough {
        fn protocol(&self) -> &'static str {
            "rough"
        }
        fn capabilities(&self) -> crate::fs::Capabilities {
            self.mem.capabilities()
        }
        forward! {
            list_buckets() -> Vec<crate::core::types::BucketInfo>;
            create_bucket(bucket: &str) -> ();
            delete_bucket(bucket: &str) -> ();
            bucket_exists(bucket: &str) -> bool;
            list_page(bucket: &str, req: &crate::core::types::ListRequest) -> crate::core::types::ListPage;
            head(bucket: &str, key: &str) -> ObjectMeta;
            get(bucket: &str, key: &str, range: Option<ByteRange>) -> crate::fs::GetResult;
            put(bucket: &str, key: &str, data: Bytes, opts: &PutOptions) -> ObjectMeta;
            copy(a: &str, b: &str, c: &str, d: &str) -> ();
            delete_batch(bucket: &str, keys: &[String]) -> Vec<crate::fs::DeleteFailure>;
            create_multipart(bucket: &str, key: &str, opts: &PutOptions) -> String;
            complete_multipart(bucket: &str, key: &str, id: &str, parts: &[(u32, String)], opts: &PutOptions) -> ObjectMeta;
            abort_multipart(bucket: &str, key: &str, id: &str) -> ();
            query_offset(bucket: &str, key: &str, id: &str) -> ChunkAck;
            presign(m: crate::core::http::Method, bucket: &str, key: &str, e: std::time::Duration) -> crate::fs::store::Presigned;
        }
        async fn upload_part(&self, bucket: &str, key: &str, id: &str, n: u32, data: Bytes) -> Result<String> {
            {
                let mut c = self.parts.lock().unwrap();
                if c.0 == 0 && n > 1 {
                    c.1 += 1;
                }
                c.0 += 1;
                c.2 = c.2.max(c.0);
            }
            // Later parts finish sooner, as on a real network: the writer must not wait for
            // the slowest part of a "round" before sending the next.
            Polls(3 + 40 / n).await;
            self.parts.lock().unwrap().0 -= 1;
            self.mem.upload_part(bucket, key, id, n, data).await
        }
        async fn upload_chunk(
            &self,
            bucket: &str,
            key: &str,
            id: &str,
            offset: u64,
            data: Bytes,
            last: Option<u32>,
        ) -> Result<ChunkAck> {
            let n = {
                let mut calls = self.chunks.lock().unwrap();
                *calls += 1;
                *calls
            };
            if n % 2 == 0 && data.len() >= 16 {
                // Half of it (aligned) reached the session, then the connection broke.
                let half = data.len() / 16 * 8;
                self.mem.upload_chunk(bucket, key, id, offset, data.slice(..half), None).await?;
                return Err(Error::new(ErrorKind::Io, "connection reset").retryable(true));
            }
            self.mem.upload_chunk(bucket, key, id, offset, data, last).await
        }
    }

    #[test]
    fn parts_stay_in_flight_across_writes() {
        block(async {
            let s = Rough::new(MemoryStore::with_min_part_size(8));
            s.create_bucket("b").await.unwrap();
            let mut w =
                FileWriter::create(s.clone(), "b".into(), "k".into(), PutOptions::default(), cfg(), AbortQueue::default())
                    .unwrap();
            let body: Vec<u8> = (0..=255u8).cycle().take(400).collect();
            for c in body.chunks(5) {
                w.write_all(c).await.unwrap();
            }
            w.close().await.unwrap();
            assert_eq!(&s.get("b", "k", None).await.unwrap().data[..], &body[..]);
            let (now, dry, most) = *s.parts.lock().unwrap();
            assert_eq!(now, 0);
            assert_eq!(most, 3, "as many parts out as the concurrency allows");
            assert_eq!(dry, 0, "the pipeline never ran dry between writes");
            // The same through write_bytes.
            *s.parts.lock().unwrap() = (0, 0, 0);
            let mut w =
                FileWriter::create(s.clone(), "b".into(), "k2".into(), PutOptions::default(), cfg(), AbortQueue::default())
                    .unwrap();
            for c in body.chunks(5) {
                w.write_bytes(Bytes::copy_from_slice(c)).await.unwrap();
            }
            w.close_meta().await.unwrap();
            assert_eq!(&s.get("b", "k2", None).await.unwrap().data[..], &body[..]);
            assert_eq!(*s.parts.lock().unwrap(), (0, 0, 3));
        });
    }

    #[test]
    fn a_resumable_upload_resumes_from_the_committed_offset_after_a_broken_chunk() {
        block(async {
            let model = UploadModel::Resumable { align: 8 };
            let s = Rough::new(MemoryStore::with_upload_model(model));
            s.create_bucket("b").await.unwrap();
            let cfg = UploadConfig { part_size: 32, model, concurrency: 1 };
            let mut w =
                FileWriter::create(s.clone(), "b".into(), "k".into(), PutOptions::default(), cfg, AbortQueue::default()).unwrap();
            let body: Vec<u8> = (0..200u8).collect();
            w.write_all(&body).await.unwrap();
            w.close().await.unwrap();
            assert_eq!(&s.get("b", "k", None).await.unwrap().data[..], &body[..], "every byte once, in order");
            assert!(*s.chunks.lock().unwrap() > 7, "chunks were broken and resumed, not restarted");
            assert!(s.mem.open_uploads("b").is_empty());
        });
    }

    #[test]
    fn refused_completion_aborts() {
        block(async {
            let s = MemoryStore::with_min_part_size(8);
            s.create_bucket("b").await.unwrap();
            s.put("b", "k", Bytes::from_static(b"keep"), &PutOptions::default()).await.unwrap();
            let opts = PutOptions { if_none_match_any: true, ..Default::default() };
            let mut w = FileWriter::create(s.clone(), "b".into(), "k".into(), opts, cfg(), AbortQueue::default()).unwrap();
            w.write_bytes(Bytes::from(vec![0; 20])).await.unwrap();
            let err = w.close_meta().await.unwrap_err();
            assert_eq!(err.kind, ErrorKind::PreconditionFailed);
            assert!(s.open_uploads("b").is_empty());
            assert_eq!(&s.get("b", "k", None).await.unwrap().data[..], b"keep");
        });
    }
}
