//! cp, mv, put, get and sync: what to copy (a file, or a tree with -r and filters), where it
//! goes, and the copy itself: server-side within one store, streamed through the client
//! between stores and between a store and the local disk. Progress bars, and Ctrl-C, which
//! aborts the uploads in flight.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use bytes::{Bytes, BytesMut};
use chrono::{DateTime, Utc};
use futures::stream::{self, StreamExt, TryStreamExt};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use pailfs::core::types::{ByteRange, PutOptions};
use pailfs::core::upload::UploadConfig;
use pailfs::fs::Store;
use pailfs::fs::file::{AbortQueue, FileWriter};
use pailfs::fs::glob::Pattern;
use pailfs::{Error, ErrorKind, Result};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};

use crate::target::{Remote, Target};

/// Set by Ctrl-C: transfers stop, abort what they started, and the command exits 130.
pub static CANCELLED: AtomicBool = AtomicBool::new(false);
/// Transfers that Ctrl-C waits for before the process ends: uploads abort, downloads remove
/// their temporary file.
pub static UPLOADS: AtomicUsize = AtomicUsize::new(0);

pub fn cancelled_error() -> Error {
    Error::new(ErrorKind::Cancelled, "interrupted (Ctrl-C); uploads in flight were aborted")
}

async fn until_cancelled() {
    while !CANCELLED.load(Ordering::Relaxed) {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// Where progress goes: the file's bar and the total (cheap clones of shared bars).
#[derive(Clone, Default)]
pub struct Tick(Vec<ProgressBar>);

impl Tick {
    pub fn inc(&self, n: u64) {
        for b in &self.0 {
            b.inc(n);
        }
    }
}

/// How a transfer runs: sizes, concurrency, what is written with it, what is shown.
pub struct Settings {
    pub part_size: u64,
    pub concurrency: usize,
    pub put: PutOptions,
    pub metadata: Vec<(String, String)>,
    pub dryrun: bool,
    pub quiet: bool,
    pub progress: bool,
    pub filters: Filters,
}

/// aws s3's `--exclude` / `--include`, applied in order, the last match winning; matched
/// against the path relative to the source (`*` within a segment, `**` across).
#[derive(Default)]
pub struct Filters(pub Vec<(bool, Pattern)>);

impl Filters {
    pub fn keeps(&self, rel: &str) -> bool {
        let mut keep = true;
        for (include, p) in &self.0 {
            if p.matches(rel) {
                keep = *include;
            }
        }
        keep
    }
}

/// A file to copy: where it is (relative to the source root), its size and what tells
/// versions apart.
#[derive(Clone, Debug)]
pub struct SrcFile {
    pub rel: String,
    pub size: u64,
    pub modified: Option<DateTime<Utc>>,
    /// The store's ETag; for local files, none (an MD5 is computed when one is compared).
    pub etag: Option<String>,
}

/// The files a source names: one file (rel empty), or with `recursive` everything below it.
pub async fn sources(src: &Target, recursive: bool, filters: &Filters) -> Result<Vec<SrcFile>> {
    let mut out = match src {
        Target::Local(p) => {
            let md = tokio::fs::metadata(p).await.map_err(|e| Error::from(e).context(p.display()))?;
            if !md.is_dir() {
                return Ok(vec![SrcFile {
                    rel: String::new(),
                    size: md.len(),
                    modified: md.modified().ok().map(Into::into),
                    etag: None,
                }]);
            }
            if !recursive {
                return Err(Error::new(ErrorKind::Conflict, format!("{}: is a directory; pass -r", p.display())));
            }
            local_files(p)?
        }
        Target::Remote(r) => {
            if !recursive {
                let m = r.file().await.map_err(|e| {
                    if e.kind == ErrorKind::Conflict {
                        Error::new(ErrorKind::Conflict, format!("{}; pass -r", e.message))
                    } else {
                        e
                    }
                })?;
                return Ok(vec![SrcFile { rel: String::new(), size: m.size, modified: m.last_modified, etag: m.etag }]);
            }
            let prefix = r.dir_prefix();
            let (objects, _) = r.list(&prefix, false).await?;
            let files: Vec<SrcFile> = objects
                .into_iter()
                .map(|o| SrcFile {
                    rel: o.key[prefix.len()..].to_string(),
                    size: o.size,
                    modified: o.last_modified,
                    etag: o.etag,
                })
                // The zero-byte marker of the folder itself is not a file in it.
                .filter(|f| !(f.rel.is_empty() && f.size == 0))
                .collect();
            if files.is_empty() && !r.is_dir().await? {
                return Err(Error::not_found(format!("{}: no such file or directory", r.url())));
            }
            files
        }
    };
    out.retain(|f| filters.keeps(&f.rel));
    Ok(out)
}

/// Files below a local directory, `a/b` relative names, sorted.
fn local_files(root: &Path) -> Result<Vec<SrcFile>> {
    let mut out = Vec::new();
    let mut stack = vec![(String::new(), root.to_path_buf())];
    while let Some((rel, dir)) = stack.pop() {
        for entry in std::fs::read_dir(&dir).map_err(|e| Error::from(e).context(dir.display()))? {
            let entry = entry?;
            let name = entry.file_name().into_string().map_err(|n| Error::invalid_input(format!("non-UTF-8 file name {n:?}")))?;
            let rel_name = if rel.is_empty() { name } else { format!("{rel}/{name}") };
            let md = entry.metadata()?;
            if md.is_dir() {
                stack.push((rel_name, entry.path()));
            } else if md.is_file() {
                out.push(SrcFile { rel: rel_name, size: md.len(), modified: md.modified().ok().map(Into::into), etag: None });
            }
        }
    }
    out.sort_by(|a, b| a.rel.cmp(&b.rel));
    Ok(out)
}

/// Where `rel` of the source goes. A single file (rel empty) goes to the destination as named,
/// or into it when it ends in `/`, is a bucket, or is a local directory (as `aws s3 cp` does).
pub fn dest_of(dst: &Target, src: &Target, rel: &str, dst_is_dir: bool) -> Result<Target> {
    let name = || match src {
        Target::Local(p) => p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
        Target::Remote(r) => r.key.trim_end_matches('/').rsplit('/').next().unwrap_or("").to_string(),
    };
    let rel = if rel.is_empty() && dst_is_dir { name() } else { rel.to_string() };
    Ok(match dst {
        Target::Local(p) => {
            if rel.is_empty() {
                Target::Local(p.clone())
            } else {
                Target::Local(p.join(safe_relative(&rel)?))
            }
        }
        Target::Remote(r) => {
            if rel.is_empty() {
                Target::Remote(r.clone())
            } else {
                let key =
                    if r.key.is_empty() || r.key.ends_with('/') { format!("{}{rel}", r.key) } else { format!("{}/{rel}", r.key) };
                Target::Remote(r.with_key(key))
            }
        }
    })
}

/// A key as a local relative path, refusing what would land outside the destination (`..`,
/// absolute, empty segments, a key ending in `/` that holds data).
fn safe_relative(rel: &str) -> Result<PathBuf> {
    let mut out = PathBuf::new();
    for seg in rel.split('/') {
        if seg.is_empty() || seg == "." || seg == ".." || seg.contains('\\') || seg.contains('\0') {
            return Err(Error::invalid_input(format!("key {rel:?} cannot be written as a local path")));
        }
        out.push(seg);
    }
    Ok(out)
}

pub async fn dst_is_dir(dst: &Target) -> Result<bool> {
    Ok(match dst {
        Target::Local(p) => tokio::fs::metadata(p).await.is_ok_and(|m| m.is_dir()) || p.to_string_lossy().ends_with('/'),
        Target::Remote(r) => r.key.is_empty() || r.key.ends_with('/'),
    })
}

pub fn describe(t: &Target) -> String {
    match t {
        Target::Local(p) => p.display().to_string(),
        Target::Remote(r) => r.url(),
    }
}

fn join_src(src: &Target, rel: &str) -> Target {
    if rel.is_empty() {
        return match src {
            Target::Local(p) => Target::Local(p.clone()),
            Target::Remote(r) => Target::Remote(r.clone()),
        };
    }
    match src {
        Target::Local(p) => Target::Local(p.join(rel)),
        Target::Remote(r) => Target::Remote(r.with_key(format!("{}{rel}", r.dir_prefix()))),
    }
}

/// One copy of a plan: from, to, bytes.
pub struct Job {
    pub from: Target,
    pub to: Target,
    pub size: u64,
}

pub fn plan(src: &Target, dst: &Target, files: &[SrcFile], dst_dir: bool) -> Result<Vec<Job>> {
    files.iter().map(|f| Ok(Job { from: join_src(src, &f.rel), to: dest_of(dst, src, &f.rel, dst_dir)?, size: f.size })).collect()
}

fn verb(job: &Job) -> &'static str {
    match (&job.from, &job.to) {
        (Target::Local(_), Target::Remote(_)) => "upload",
        (Target::Remote(_), Target::Local(_)) => "download",
        _ => "copy",
    }
}

/// Run the jobs, `concurrency` files at a time, with progress; prints one line per file.
pub async fn run(jobs: Vec<Job>, s: &Settings) -> Result<()> {
    let total: u64 = jobs.iter().map(|j| j.size).sum();
    let multi = MultiProgress::with_draw_target(if s.progress && !s.dryrun {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    });
    let overall = multi.add(ProgressBar::new(total));
    overall.set_style(style("{prefix} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} ETA {eta}"));
    overall.set_prefix(format!("{} file(s)", jobs.len()));
    let results = stream::iter(jobs.into_iter().map(|job| {
        let (multi, overall) = (&multi, &overall);
        async move {
            let line = format!("{}: {} to {}", verb(&job), describe(&job.from), describe(&job.to));
            if s.dryrun {
                println!("(dryrun) {line}");
                return Ok(());
            }
            let bar = multi.insert_before(overall, ProgressBar::new(job.size));
            bar.set_style(style("{msg:30!} [{bar:20}] {bytes}/{total_bytes} {bytes_per_sec}"));
            bar.set_message(describe(&job.from));
            let r = copy_one(&job, s, &bar, overall).await;
            bar.finish_and_clear();
            multi.remove(&bar);
            match r {
                Ok(()) => {
                    if !s.quiet {
                        multi.suspend(|| println!("{line}"));
                    }
                    Ok(())
                }
                Err(e) => Err(e),
            }
        }
    }))
    .buffer_unordered(s.concurrency.max(1))
    .try_collect::<Vec<()>>()
    .await;
    overall.finish_and_clear();
    results.map(|_| ())
}

fn style(template: &str) -> ProgressStyle {
    ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_bar()).progress_chars("=> ")
}

/// Copy one file. Within one store the service copies; otherwise the bytes stream through.
async fn copy_one(job: &Job, s: &Settings, bar: &ProgressBar, overall: &ProgressBar) -> Result<()> {
    if CANCELLED.load(Ordering::Relaxed) {
        return Err(cancelled_error());
    }
    let tick = Tick(vec![bar.clone(), overall.clone()]);
    match (&job.from, &job.to) {
        (Target::Remote(a), Target::Remote(b))
            if a.scheme == b.scheme && s.metadata.is_empty() && s.put.content_type.is_none() =>
        {
            a.store.copy(&a.bucket, &a.key, &b.bucket, &b.key).await?;
            tick.inc(job.size);
            Ok(())
        }
        (Target::Local(a), Target::Local(b)) => {
            if let Some(d) = b.parent().filter(|d| !d.as_os_str().is_empty()) {
                tokio::fs::create_dir_all(d).await?;
            }
            tokio::fs::copy(a, b).await.map_err(|e| Error::from(e).context(format!("{} to {}", a.display(), b.display())))?;
            tick.inc(job.size);
            Ok(())
        }
        (Target::Local(a), Target::Remote(b)) => {
            let f = tokio::fs::File::open(a).await.map_err(|e| Error::from(e).context(a.display()))?;
            upload(f, b, s, Some(job.size), tick).await.map(|_| ())
        }
        (Target::Remote(a), Target::Local(b)) => download(a, b, s, &tick).await,
        (Target::Remote(a), Target::Remote(b)) => {
            let (tx, rx) = tokio::io::duplex(1 << 20);
            let (r, w) = tokio::join!(upload(rx, b, s, Some(job.size), tick.clone()), async move {
                let mut tx = tx;
                let res = async {
                    let mut reader = RemoteReader::open(a, s.part_size).await?;
                    while let Some(chunk) = reader.next().await? {
                        tx.write_all(&chunk).await?;
                    }
                    Ok::<(), Error>(())
                }
                .await;
                drop(tx);
                res
            });
            // The reader's failure explains the upload's (which saw the stream end early).
            w?;
            r.map(|_| ())
        }
    }
}

/// `a` in `part_size` ranges, every one from the same version (its ETag).
struct RemoteReader<'a> {
    r: &'a Remote,
    size: u64,
    etag: Option<String>,
    pos: u64,
    part: u64,
}

impl<'a> RemoteReader<'a> {
    async fn open(r: &'a Remote, part: u64) -> Result<RemoteReader<'a>> {
        let head = r.file().await?;
        Ok(RemoteReader { r, size: head.size, etag: head.etag, pos: 0, part: part.max(1) })
    }

    async fn next(&mut self) -> Result<Option<Bytes>> {
        if self.pos >= self.size {
            return Ok(None);
        }
        if CANCELLED.load(Ordering::Relaxed) {
            return Err(cancelled_error());
        }
        let (r, start) = (self.r, self.pos);
        let end = (start + self.part).min(self.size);
        let got = r.store.get(&r.bucket, &r.key, Some(ByteRange::From { start, end: Some(end) })).await?;
        if got.meta.etag != self.etag {
            return Err(Error::new(ErrorKind::PreconditionFailed, format!("{}: changed while being read", r.url())));
        }
        if got.data.len() as u64 != end - start {
            return Err(Error::new(ErrorKind::Integrity, format!("{}: short read at byte {start}", r.url())));
        }
        self.pos = end;
        Ok(Some(got.data))
    }
}

/// Download to a temporary file renamed into place: a failed download leaves nothing.
async fn download(a: &Remote, b: &Path, s: &Settings, tick: &Tick) -> Result<()> {
    if let Some(d) = b.parent().filter(|d| !d.as_os_str().is_empty()) {
        tokio::fs::create_dir_all(d).await.map_err(|e| Error::from(e).context(d.display()))?;
    }
    let tmp = b.with_extension(format!("pailfs-{}.part", std::process::id()));
    UPLOADS.fetch_add(1, Ordering::SeqCst);
    let res = async {
        let mut f = tokio::fs::File::create(&tmp).await.map_err(|e| Error::from(e).context(b.display()))?;
        let mut reader = RemoteReader::open(a, s.part_size).await?;
        while let Some(chunk) = reader.next().await? {
            f.write_all(&chunk).await?;
            tick.inc(chunk.len() as u64);
        }
        f.flush().await?;
        tokio::fs::rename(&tmp, b).await.map_err(|e| Error::from(e).context(b.display()))?;
        Ok(())
    }
    .await;
    if res.is_err() {
        let _ = tokio::fs::remove_file(&tmp).await;
    }
    UPLOADS.fetch_sub(1, Ordering::SeqCst);
    res
}

/// Upload what `input` yields to the object `b`, exactly that key. Ctrl-C (or a failed read)
/// aborts the upload, so nothing is left behind.
/// `expect`: the size the source announced; a source that ends early or runs long is a failure
/// (a cross-store copy whose read broke off must not commit a truncated object).
pub async fn upload(
    mut input: impl AsyncRead + Unpin,
    b: &Remote,
    s: &Settings,
    expect: Option<u64>,
    tick: Tick,
) -> Result<pailfs::core::types::ObjectMeta> {
    if b.bucket.is_empty() || b.key.is_empty() {
        return Err(Error::invalid_input(format!("{}: give a key to write to", b.url())));
    }
    let model = b.store.capabilities().upload;
    let cfg = UploadConfig { part_size: s.part_size.max(model.min_piece()), model, concurrency: s.concurrency.max(1) };
    let mut opts = s.put.clone();
    if !s.metadata.is_empty() {
        // PutOptions carries no user metadata yet; refuse rather than drop it.
        return Err(Error::not_supported("--metadata: user metadata on writes is not supported yet"));
    }
    opts.content_type = opts.content_type.or_else(|| guess_type(&b.key).map(str::to_string));
    let mut w = FileWriter::create(b.store.clone(), b.bucket.clone(), b.key.clone(), opts, cfg, AbortQueue::default())?;
    // Progress counts what the service accepted, not what was buffered.
    w.on_sent(move |n| tick.inc(n))?;
    UPLOADS.fetch_add(1, Ordering::SeqCst);
    let res = async {
        const CHUNK: usize = 1 << 20;
        let mut total = 0u64;
        let mut buf = BytesMut::with_capacity(CHUNK);
        loop {
            buf.reserve(CHUNK);
            let n = tokio::select! {
                n = input.read_buf(&mut buf) => n.map_err(Error::from)?,
                _ = until_cancelled() => return Err(cancelled_error()),
            };
            if n == 0 {
                break;
            }
            tokio::select! {
                r = w.write_bytes(buf.split().freeze()) => r?,
                _ = until_cancelled() => return Err(cancelled_error()),
            }
            total += n as u64;
        }
        if let Some(want) = expect.filter(|&w| w != total) {
            return Err(Error::new(ErrorKind::Integrity, format!("the source gave {total} bytes, not the {want} it announced")));
        }
        if CANCELLED.load(Ordering::Relaxed) {
            return Err(cancelled_error());
        }
        w.close_meta().await
    }
    .await;
    if res.is_err() {
        // An abort that fails is reported after the first error, not instead of it.
        if let Err(e) = w.abort().await {
            eprintln!("pailfs: {}: the unfinished upload could not be aborted: {e}", b.url());
        }
    }
    UPLOADS.fetch_sub(1, Ordering::SeqCst);
    res.map_err(|e| e.at(&b.bucket, &b.key))
}

/// A content type from the key's extension, for the common kinds (what browsers need to
/// display a presigned object); the store's default otherwise.
fn guess_type(key: &str) -> Option<&'static str> {
    let ext = key.rsplit_once('.')?.1.to_ascii_lowercase();
    Some(match ext.as_str() {
        "txt" | "md" | "log" => "text/plain",
        "html" | "htm" => "text/html",
        "css" => "text/css",
        "csv" => "text/csv",
        "js" | "mjs" => "text/javascript",
        "json" => "application/json",
        "xml" => "application/xml",
        "pdf" => "application/pdf",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "svg" => "image/svg+xml",
        "wasm" => "application/wasm",
        "parquet" => "application/vnd.apache.parquet",
        "gz" => "application/gzip",
        "zip" => "application/zip",
        _ => return None,
    })
}

/// What `sync` copies: files missing at the destination, of another size, or (same size) whose
/// content differs by MD5 where both sides can say, else that are newer at the source.
pub async fn sync_plan(src: &Target, dst: &Target, s: &Settings, delete: bool) -> Result<(Vec<Job>, Vec<Target>)> {
    let files = sources(src, true, &s.filters).await?;
    let existing: BTreeMap<String, SrcFile> = match sources(dst, true, &s.filters).await {
        Ok(f) => f.into_iter().map(|f| (f.rel.clone(), f)).collect(),
        Err(e) if e.is_not_found() => BTreeMap::new(),
        Err(e) => return Err(e),
    };
    let mut jobs = Vec::new();
    for f in &files {
        let differs = match existing.get(&f.rel) {
            None => true,
            Some(d) if d.size != f.size => true,
            // Hash a local file only when the other side has an MD5 to compare it with.
            Some(d) if md5_known(src, f) && md5_known(dst, d) => md5_of(src, f).await? != md5_of(dst, d).await?,
            // Whole seconds: listings carry no finer time, so a file written in the second its
            // copy was made is not "newer" than it.
            Some(d) => matches!((f.modified, d.modified), (Some(a), Some(b)) if a.timestamp() > b.timestamp()),
        };
        if differs {
            jobs.push(Job { from: join_src(src, &f.rel), to: dest_of(dst, src, &f.rel, true)?, size: f.size });
        }
    }
    let mut gone = Vec::new();
    if delete {
        let names: std::collections::BTreeSet<&str> = files.iter().map(|f| f.rel.as_str()).collect();
        for rel in existing.keys().filter(|r| !names.contains(r.as_str())) {
            gone.push(join_src(dst, rel));
        }
    }
    Ok((jobs, gone))
}

fn md5_known(root: &Target, f: &SrcFile) -> bool {
    match root {
        Target::Local(_) => true,
        Target::Remote(_) => f.etag.as_ref().is_some_and(|e| e.len() == 32 && e.bytes().all(|b| b.is_ascii_hexdigit())),
    }
}

/// The hex MD5 of a file where it is known: a store's ETag when it is one (a single PUT on S3),
/// computed for a local file. `None` otherwise (multipart ETags, GCS and Azure ETags).
async fn md5_of(root: &Target, f: &SrcFile) -> Result<Option<String>> {
    match root {
        Target::Remote(_) => Ok(f.etag.clone().filter(|e| e.len() == 32 && e.bytes().all(|b| b.is_ascii_hexdigit()))),
        Target::Local(p) => {
            use md5::Digest;
            let path = if f.rel.is_empty() { p.clone() } else { p.join(&f.rel) };
            let mut file = tokio::fs::File::open(&path).await.map_err(|e| Error::from(e).context(path.display()))?;
            let mut h = md5::Md5::new();
            let mut buf = vec![0u8; 1 << 20];
            loop {
                let n = file.read(&mut buf).await?;
                if n == 0 {
                    break;
                }
                h.update(&buf[..n]);
            }
            Ok(Some(h.finalize().iter().map(|b| format!("{b:02x}")).collect()))
        }
    }
}
