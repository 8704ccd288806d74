//! Memory held by an upload, measured with a counting global allocator: whatever the object's
//! size, the upload (parts in flight + the part being filled) must stay within
//! `(concurrency + 1) × part_size` plus a small constant.
//!
//! There is a single `#[test]` in this binary so no other test allocates while it measures.

use std::alloc::{GlobalAlloc, Layout, System};
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use futures::io::AsyncWriteExt;
use pailfs::core::http::Method;
use pailfs::core::types::{BucketInfo, ByteRange, DeleteFailure, ListPage, ListRequest, ObjectMeta, PutOptions};
use pailfs::core::upload::{Action, Upload, UploadConfig, UploadModel};
use pailfs::fs::file::{AbortQueue, FileWriter};
use pailfs::fs::{Capabilities, GetResult, Store};
use pailfs::{Error, ErrorKind, Result};

// ---------------------------------------------------------------- the counting allocator

/// Live heap bytes now, and the most there have been since the last [`reset_peak`].
static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

struct Counting;

impl Counting {
    fn grew(by: usize) {
        let now = LIVE.fetch_add(by, SeqCst) + by;
        PEAK.fetch_max(now, SeqCst);
    }
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            Self::grew(layout.size());
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            Self::grew(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), SeqCst);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            // Counted as a move: for a moment both blocks are live (as in any allocator that
            // cannot grow in place, wasm's dlmalloc among them).
            Self::grew(new_size);
            LIVE.fetch_sub(layout.size(), SeqCst);
        }
        p
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// Start a measurement: returns the live bytes it is relative to.
fn reset_peak() -> usize {
    let now = LIVE.load(SeqCst);
    PEAK.store(now, SeqCst);
    now
}

fn peak_since(base: usize) -> usize {
    PEAK.load(SeqCst).saturating_sub(base)
}

// ---------------------------------------------------------------- the workload

const MIB: usize = 1024 * 1024;
const PART: usize = 5 * MIB;
const IN_FLIGHT: usize = 8;
const TOTAL: usize = 200 * MIB;
/// The bound under test.
const BOUND: usize = (IN_FLIGHT + 1) * PART;
/// Bookkeeping that is not data: the machine's list of ETags (40 parts), the driver's queue,
/// futures and their boxes, a few strings. A few KiB in practice; 256 KiB leaves room without
/// hiding a single extra part (5 MiB), let alone the doubling this test exists to catch.
const SLACK: usize = 256 * 1024;

/// Writes come from here (zeroed static memory, so not on the heap).
static SOURCE: [u8; 4 * MIB] = [0; 4 * MIB];

/// Odd-sized writes, none a divisor of the part size: every part straddles writes.
fn chunks() -> impl Iterator<Item = &'static [u8]> {
    let sizes = [1_048_573, 65_537, 3_000_017, 7, 999_983, 4 * MIB - 1];
    let mut left = TOTAL;
    sizes.into_iter().cycle().map_while(move |n| {
        let n = n.min(left);
        left -= n;
        (n > 0).then(|| &SOURCE[..n])
    })
}

// ---------------------------------------------------------------- (a) the core machine

/// A driver on a slow network: it keeps the parts it was handed (as a real one does while they
/// upload) and a part finishes only when the driver has nothing else to do, i.e. when the
/// machine takes no more data or at the end. So it holds as much as the machine lets it.
struct Driver {
    up: Upload,
    flight: VecDeque<(u32, Bytes)>,
    uploaded: usize,
}

impl Driver {
    /// Start everything the machine offers.
    fn start(&mut self) {
        while let Some(action) = self.up.next_action().unwrap() {
            match action {
                Action::Create => self.up.created("upload".into()),
                Action::UploadPart { number, data, .. } => {
                    assert!(self.flight.len() < IN_FLIGHT, "the machine handed out more parts than its concurrency");
                    self.flight.push_back((number, data));
                }
                Action::Complete { parts, .. } => {
                    assert_eq!(parts.len(), TOTAL.div_ceil(PART));
                    self.up.completed();
                }
                other => panic!("unexpected {other:?}"),
            }
        }
    }

    /// The oldest part in flight finishes.
    fn finish_one(&mut self) {
        let (number, data) = self.flight.pop_front().expect("the machine is waiting for a part to finish");
        self.uploaded += data.len();
        drop(data);
        self.up.part_done(number, format!("etag{number}")).unwrap();
    }
}

fn core_machine_peak() -> usize {
    let cfg = UploadConfig { part_size: PART as u64, concurrency: IN_FLIGHT, ..UploadConfig::default() };
    let mut d = Driver { up: Upload::new(cfg).unwrap(), flight: VecDeque::new(), uploaded: 0 };
    let base = reset_peak();
    for mut chunk in chunks() {
        while !chunk.is_empty() {
            let n = d.up.push(chunk).unwrap();
            chunk = &chunk[n..];
            d.start();
            if n == 0 {
                d.finish_one();
            }
        }
    }
    d.up.finish();
    d.start();
    while !d.up.is_done() {
        d.finish_one();
        d.start();
    }
    let peak = peak_since(base);
    assert_eq!(d.uploaded, TOTAL);
    peak
}

// ---------------------------------------------------------------- (b) through FileWriter

/// A store that keeps the books of multipart uploads but drops the bytes (it records sizes).
#[derive(Clone, Default)]
struct Sink(Arc<Mutex<Books>>);

#[derive(Default)]
struct Books {
    next_id: u32,
    /// upload id → (key, part number → size)
    uploads: HashMap<String, (String, HashMap<u32, u64>)>,
    /// key → size
    objects: HashMap<String, u64>,
}

const MIN_PART: u64 = 5 * MIB as u64;

fn refused(what: &str) -> Error {
    Error::new(ErrorKind::NotSupported, format!("the sink store does not {what}"))
}

impl Store for Sink {
    fn protocol(&self) -> &'static str {
        "sink"
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            presign: false,
            any_key: true,
            upload: UploadModel::s3_compatible(MIN_PART),
            max_delete_batch: 1000,
            conditional_put: false,
            s3_etags: false,
        }
    }

    async fn list_buckets(&self) -> Result<Vec<BucketInfo>> {
        Ok(vec![BucketInfo { name: "b".into(), created: None }])
    }
    async fn create_bucket(&self, _bucket: &str) -> Result<()> {
        Err(refused("create buckets"))
    }
    async fn delete_bucket(&self, _bucket: &str) -> Result<()> {
        Err(refused("delete buckets"))
    }
    async fn bucket_exists(&self, bucket: &str) -> Result<bool> {
        Ok(bucket == "b")
    }
    async fn list_page(&self, _bucket: &str, _req: &ListRequest) -> Result<ListPage> {
        Err(refused("list"))
    }
    async fn head(&self, _bucket: &str, key: &str) -> Result<ObjectMeta> {
        let size = self.0.lock().unwrap().objects.get(key).copied().ok_or_else(|| Error::not_found(key))?;
        Ok(ObjectMeta::new(key, size))
    }
    async fn get(&self, _bucket: &str, _key: &str, _range: Option<ByteRange>) -> Result<GetResult> {
        Err(refused("keep bytes to read back"))
    }
    async fn put(&self, _bucket: &str, key: &str, data: Bytes, _opts: &PutOptions) -> Result<ObjectMeta> {
        self.0.lock().unwrap().objects.insert(key.into(), data.len() as u64);
        Ok(ObjectMeta::new(key, data.len() as u64))
    }
    async fn copy(&self, _sb: &str, _sk: &str, _db: &str, _dk: &str) -> Result<()> {
        Err(refused("copy"))
    }
    async fn delete_batch(&self, _bucket: &str, keys: &[String]) -> Result<Vec<DeleteFailure>> {
        let mut books = self.0.lock().unwrap();
        for k in keys {
            books.objects.remove(k);
        }
        Ok(Vec::new())
    }

    async fn create_multipart(&self, _bucket: &str, key: &str, _opts: &PutOptions) -> Result<String> {
        let mut books = self.0.lock().unwrap();
        books.next_id += 1;
        let id = format!("upload-{}", books.next_id);
        books.uploads.insert(id.clone(), (key.into(), HashMap::new()));
        Ok(id)
    }

    async fn upload_part(&self, _bucket: &str, key: &str, upload_id: &str, part_number: u32, data: Bytes) -> Result<String> {
        let mut books = self.0.lock().unwrap();
        let (k, parts) = books.uploads.get_mut(upload_id).ok_or_else(|| Error::not_found(upload_id))?;
        if k != key || !(1..=10_000).contains(&part_number) {
            return Err(Error::invalid_input(format!("part {part_number} of {key} does not belong to {upload_id}")));
        }
        parts.insert(part_number, data.len() as u64);
        Ok(format!("{upload_id}-{part_number}"))
    }

    async fn complete_multipart(
        &self,
        _bucket: &str,
        key: &str,
        upload_id: &str,
        parts: &[(u32, String)],
        _opts: &PutOptions,
    ) -> Result<ObjectMeta> {
        let mut books = self.0.lock().unwrap();
        let (k, have) = books.uploads.remove(upload_id).ok_or_else(|| Error::not_found(upload_id))?;
        let mut size = 0;
        for (i, (n, etag)) in parts.iter().enumerate() {
            let len = have.get(n).copied().ok_or_else(|| Error::invalid_input(format!("part {n} was not uploaded")))?;
            let in_order = i == 0 || parts[i - 1].0 < *n;
            if k != key || !in_order || *etag != format!("{upload_id}-{n}") || (i + 1 < parts.len() && len < MIN_PART) {
                return Err(Error::invalid_input(format!("part {n} of {upload_id} is out of order, unknown or too small")));
            }
            size += len;
        }
        books.objects.insert(key.into(), size);
        Ok(ObjectMeta::new(key, 0))
    }

    async fn abort_multipart(&self, _bucket: &str, _key: &str, upload_id: &str) -> Result<()> {
        self.0.lock().unwrap().uploads.remove(upload_id);
        Ok(())
    }

    async fn presign(
        &self,
        _method: Method,
        _bucket: &str,
        _key: &str,
        _expires: Duration,
    ) -> Result<pailfs::fs::store::Presigned> {
        Err(refused("presign"))
    }
}

/// Writes the workload through a `FileWriter`, with `write_bytes` or with `AsyncWrite`.
fn writer_peak(store: &Sink, key: &str, async_write: bool) -> usize {
    let cfg = UploadConfig { part_size: PART as u64, concurrency: IN_FLIGHT, ..UploadConfig::default() };
    let mut w =
        FileWriter::create(store.clone(), "b".into(), key.into(), PutOptions::default(), cfg, AbortQueue::default()).unwrap();
    let base = reset_peak();
    futures::executor::block_on(async {
        for chunk in chunks() {
            if async_write {
                w.write_all(chunk).await.unwrap();
            } else {
                w.write_bytes(Bytes::from_static(chunk)).await.unwrap();
            }
        }
        let meta = w.close_meta().await.unwrap();
        assert_eq!(meta.size, TOTAL as u64);
    });
    let peak = peak_since(base);
    let books = store.0.lock().unwrap();
    assert_eq!(books.objects.get(key), Some(&(TOTAL as u64)), "the sink assembled the whole object");
    assert!(books.uploads.is_empty(), "no upload left open");
    peak
}

#[test]
fn upload_memory_stays_within_parts_in_flight_plus_one() {
    let core = core_machine_peak();
    let store = Sink::default();
    let bytes = writer_peak(&store, "by-write-bytes", false);
    let async_write = writer_peak(&store, "by-async-write", true);
    let mib = |n: usize| n as f64 / MIB as f64;
    for (what, peak) in [("core machine", core), ("FileWriter::write_bytes", bytes), ("FileWriter as AsyncWrite", async_write)] {
        let over = peak as i64 - BOUND as i64;
        eprintln!("{what}: peak live heap {:.2} MiB ({over:+} bytes against the bound of {:.0} MiB)", mib(peak), mib(BOUND));
        assert!(peak <= BOUND + SLACK, "{what}: peak {:.1} MiB is over the bound {:.1} MiB", mib(peak), mib(BOUND));
    }
}
