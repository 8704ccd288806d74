//! `FileSystem`: fsspec semantics over any [`Store`].
//!
//! Paths are `bucket/key` (a leading `proto://` is accepted and stripped). Object stores have
//! no directories: a "directory" is a prefix that some key continues with `/`, and a bucket is
//! the top-level directory. Every verb here is a loop over the store's few primitives.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use bytes::Bytes;
use futures::stream::{self, StreamExt, TryStreamExt};

use super::file::{AbortQueue, FileReader, FileWriter, ReadOptions, flush_aborts};
use super::glob::{Pattern, has_magic};
use super::path;
use super::store::Store;
use crate::core::error::{Error, ErrorKind, Result};
use crate::core::http::Method;
use crate::core::pager::ListPager;
use crate::core::ranges;
use crate::core::types::{ByteRange, ListPage, ListRequest, ObjectMeta, PutOptions};
use crate::core::upload::UploadConfig;

/// How many requests the facade keeps in flight for multi-object verbs.
const CONCURRENCY: usize = 8;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EntryKind {
    File,
    Directory,
}

/// What `ls(detail)`, `info` and `find` return: fsspec's info dict as a struct.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// `bucket/key` for files, `bucket/prefix` (no trailing `/`) for directories.
    pub name: String,
    pub kind: EntryKind,
    pub size: u64,
    /// The store's metadata, for files.
    pub meta: Option<ObjectMeta>,
}

impl Entry {
    fn file(bucket: &str, meta: ObjectMeta) -> Entry {
        Entry { name: path::join(bucket, &meta.key), kind: EntryKind::File, size: meta.size, meta: Some(meta) }
    }

    fn dir(name: String) -> Entry {
        Entry { name, kind: EntryKind::Directory, size: 0, meta: None }
    }

    /// A file entry for an object of `bucket`.
    pub fn object(bucket: &str, meta: ObjectMeta) -> Entry {
        Entry::file(bucket, meta)
    }

    /// A directory entry named `name` (`bucket/prefix`, no trailing `/`).
    pub fn directory(name: String) -> Entry {
        Entry::dir(name)
    }

    pub fn is_dir(&self) -> bool {
        self.kind == EntryKind::Directory
    }

    pub fn is_file(&self) -> bool {
        self.kind == EntryKind::File
    }
}

/// Tunables of the facade.
#[derive(Clone, Debug)]
pub struct Options {
    /// Part size for multipart writes; raised to the store's minimum if smaller.
    pub part_size: u64,
    /// Block size and cache of file readers.
    pub read: ReadOptions,
    /// Requests in flight for one transfer: parts of an upload, `part_size` chunks of a
    /// `get_file` download.
    pub transfer_concurrency: usize,
    /// `cat_ranges` fetches ranges of one file this close together with one request.
    pub coalesce_gap: u64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            part_size: 8 * 1024 * 1024,
            read: ReadOptions::default(),
            transfer_concurrency: 8,
            // About what one more round trip costs in transfer time (object_store uses the same).
            coalesce_gap: 1024 * 1024,
        }
    }
}

/// The fsspec-style file system over a store.
pub struct FileSystem<S: Store> {
    store: S,
    options: Options,
    /// Multipart uploads whose writer was dropped unfinished; aborted at the next mutating call
    /// (a destructor cannot await).
    aborts: AbortQueue,
}

impl<S: Store + Clone + 'static> FileSystem<S> {
    pub fn new(store: S) -> Self {
        Self::with_options(store, Options::default())
    }

    pub fn with_options(store: S, options: Options) -> Self {
        FileSystem { store, options, aborts: AbortQueue::default() }
    }

    pub fn store(&self) -> &S {
        &self.store
    }

    fn upload_config(&self) -> UploadConfig {
        let min = self.store.capabilities().min_part_size;
        UploadConfig {
            part_size: self.options.part_size.max(min),
            model: crate::core::upload::UploadModel::s3_compatible(min),
            concurrency: self.options.transfer_concurrency.max(1),
        }
    }

    /// Abort multipart uploads left behind by dropped writers. Returns how many were aborted.
    pub async fn flush_pending(&self) -> Result<usize> {
        if self.aborts.is_empty() {
            return Ok(0);
        }
        flush_aborts(&self.store, &self.aborts).await
    }

    // ----- listing -----

    /// Every page of a listing, concatenated (the core's pager decides what to ask next).
    async fn list_all(&self, bucket: &str, prefix: &str, delimited: bool) -> Result<ListPage> {
        let mut pager = ListPager::new(ListRequest { prefix: prefix.to_string(), delimited, ..ListRequest::default() });
        let mut out = ListPage::default();
        while let Some(req) = pager.next_request() {
            let page = self.store.list_page(bucket, req).await?;
            pager.feed(&page)?;
            out.objects.extend(page.objects);
            out.prefixes.extend(page.prefixes);
        }
        Ok(out)
    }

    /// Entries directly below `path`. On a file, the file itself (as fsspec does).
    pub async fn ls(&self, path: &str) -> Result<Vec<Entry>> {
        let (bucket, key) = path::split_path(path);
        if bucket.is_empty() {
            let buckets = self.store.list_buckets().await?;
            return Ok(buckets.into_iter().map(|b| Entry::dir(b.name)).collect());
        }
        let prefix = dir_prefix(&key);
        let page = self.list_all(&bucket, &prefix, true).await?;
        let mut out: Vec<Entry> = Vec::with_capacity(page.objects.len() + page.prefixes.len());
        for p in page.prefixes {
            out.push(Entry::dir(path::join(&bucket, p.strip_suffix('/').unwrap_or(&p))));
        }
        for o in page.objects {
            // A zero-byte `dir/` marker object stands for the directory itself.
            if o.key != prefix {
                out.push(Entry::file(&bucket, o));
            }
        }
        if out.is_empty() {
            if key.is_empty() {
                if !self.store.bucket_exists(&bucket).await? {
                    return Err(not_found(path));
                }
            } else {
                match self.head_file(&bucket, &key).await? {
                    Some(meta) => out.push(Entry::file(&bucket, meta)),
                    None => return Err(not_found(path)),
                }
            }
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    /// Names only.
    pub async fn ls_names(&self, path: &str) -> Result<Vec<String>> {
        Ok(self.ls(path).await?.into_iter().map(|e| e.name).collect())
    }

    pub async fn info(&self, path: &str) -> Result<Entry> {
        let (bucket, key) = path::split_path(path);
        if bucket.is_empty() {
            return Ok(Entry::dir(String::new()));
        }
        if key.is_empty() {
            return if self.store.bucket_exists(&bucket).await? { Ok(Entry::dir(bucket)) } else { Err(not_found(path)) };
        }
        if let Some(meta) = self.head_file(&bucket, &key).await? {
            return Ok(Entry::file(&bucket, meta));
        }
        if self.has_children(&bucket, &key).await? { Ok(Entry::dir(path::join(&bucket, &key))) } else { Err(not_found(path)) }
    }

    /// HEAD of a possible file; `None` when there is no such object. Servers that keep objects
    /// as files (s3s-fs) answer a HEAD on a directory path with a 5xx; a failed HEAD is
    /// therefore checked against the listing, which is authoritative about existence: the key
    /// itself sorts first among the keys it prefixes.
    async fn head_file(&self, bucket: &str, key: &str) -> Result<Option<ObjectMeta>> {
        match self.store.head(bucket, key).await {
            Ok(m) => Ok(Some(m)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) if e.kind == ErrorKind::Service => {
                let req = ListRequest { prefix: key.to_string(), max_keys: Some(1), ..ListRequest::default() };
                match self.store.list_page(bucket, &req).await {
                    Ok(page) if page.objects.first().is_none_or(|o| o.key != key) => Ok(None),
                    _ => Err(e),
                }
            }
            Err(e) => Err(e),
        }
    }

    /// Whether any key continues `key/`.
    async fn has_children(&self, bucket: &str, key: &str) -> Result<bool> {
        let req = ListRequest { prefix: dir_prefix(key), max_keys: Some(1), ..ListRequest::default() };
        let page = self.store.list_page(bucket, &req).await?;
        Ok(!page.objects.is_empty() || !page.prefixes.is_empty())
    }

    pub async fn exists(&self, path: &str) -> Result<bool> {
        absent_is_false(self.info(path).await.map(|_| true))
    }

    pub async fn isdir(&self, path: &str) -> Result<bool> {
        absent_is_false(self.info(path).await.map(|e| e.is_dir()))
    }

    pub async fn isfile(&self, path: &str) -> Result<bool> {
        let (bucket, key) = path::split_path(path);
        if key.is_empty() {
            return Ok(false);
        }
        Ok(self.head_file(&bucket, &key).await?.is_some())
    }

    /// Size of one file.
    pub async fn size(&self, path: &str) -> Result<u64> {
        Ok(self.info(path).await?.size)
    }

    /// Everything below `path`, sorted by name: files, and with `withdirs` the implied
    /// directories too. `maxdepth` counts levels below `path` (1 = direct children).
    /// On a file, the file itself.
    pub async fn find(&self, path: &str, maxdepth: Option<usize>, withdirs: bool) -> Result<Vec<Entry>> {
        if maxdepth == Some(0) {
            return Err(Error::invalid_input("maxdepth must be at least 1"));
        }
        let (bucket, key) = path::split_path(path);
        if bucket.is_empty() {
            let mut out = Vec::new();
            for b in self.store.list_buckets().await? {
                if withdirs {
                    out.push(Entry::dir(b.name.clone()));
                }
                if maxdepth != Some(1) {
                    out.extend(Box::pin(self.find(&b.name, maxdepth.map(|d| d - 1), withdirs)).await?);
                }
            }
            return Ok(out);
        }
        let prefix = dir_prefix(&key);
        let page = self.list_all(&bucket, &prefix, false).await?;
        let mut files: BTreeMap<String, Entry> = BTreeMap::new();
        let mut dirs: BTreeSet<String> = BTreeSet::new();
        for o in page.objects {
            let rel = &o.key[prefix.len()..];
            if rel.is_empty() {
                continue; // the directory marker of `path` itself
            }
            let depth = rel.split('/').count();
            if withdirs {
                // Every ancestor between `path` and the key is an implied directory.
                let mut end = 0;
                let mut level = 0;
                while let Some(i) = rel[end..].find('/') {
                    end += i;
                    level += 1;
                    if maxdepth.is_none_or(|m| level <= m) {
                        dirs.insert(path::join(&bucket, &format!("{prefix}{}", &rel[..end])));
                    }
                    end += 1;
                }
            }
            if maxdepth.is_some_and(|m| depth > m) || rel.ends_with('/') {
                continue; // too deep, or a `sub/` directory marker
            }
            files.insert(path::join(&bucket, &o.key), Entry::file(&bucket, o));
        }
        if files.is_empty() && dirs.is_empty() && !key.is_empty() {
            return Ok(self.head_file(&bucket, &key).await?.map(|meta| Entry::file(&bucket, meta)).into_iter().collect());
        }
        let mut out: Vec<Entry> = files.into_values().collect();
        if withdirs {
            out.extend(dirs.into_iter().map(Entry::dir));
            if !out.is_empty() {
                out.push(Entry::dir(path::join(&bucket, &key)));
            }
            out.sort_by(|a, b| a.name.cmp(&b.name));
            out.dedup_by(|a, b| a.name == b.name);
        }
        Ok(out)
    }

    /// `os.walk`: (directory, sub-directory names, file names), top down.
    pub async fn walk(&self, path: &str, maxdepth: Option<usize>) -> Result<Vec<(String, Vec<String>, Vec<String>)>> {
        let root = path::strip_protocol(path);
        let entries = self.find(&root, maxdepth, true).await?;
        let mut tree: BTreeMap<String, (Vec<String>, Vec<String>)> = BTreeMap::new();
        if entries.iter().any(|e| e.is_dir() && e.name == root) || root.is_empty() {
            tree.entry(root.clone()).or_default();
        }
        for e in &entries {
            if e.name == root {
                continue;
            }
            let parent = path::parent(&e.name);
            let slot = tree.entry(parent).or_default();
            if e.is_dir() {
                slot.0.push(path::name(&e.name));
                tree.entry(e.name.clone()).or_default();
            } else {
                slot.1.push(path::name(&e.name));
            }
        }
        Ok(tree.into_iter().map(|(d, (dirs, files))| (d, dirs, files)).collect())
    }

    /// Paths matching an fsspec glob (`*`, `**`, `?`, `[..]`), files and directories, sorted.
    pub async fn glob(&self, pattern: &str) -> Result<Vec<String>> {
        let pattern = path::strip_protocol(pattern);
        if !has_magic(&pattern) {
            return Ok(if self.exists(&pattern).await? { vec![pattern] } else { Vec::new() });
        }
        let pat = Pattern::new(&pattern)?;
        let root = pat.literal_prefix().trim_end_matches('/').to_string();
        let found = match self.find(&root, pat.max_depth(), true).await {
            Ok(f) => f,
            Err(e) if e.is_not_found() => Vec::new(),
            Err(e) => return Err(e),
        };
        Ok(found.into_iter().map(|e| e.name).filter(|n| n != &root && pat.matches(n)).collect())
    }

    /// Total bytes below `path`.
    pub async fn du(&self, path: &str) -> Result<u64> {
        Ok(self.find(path, None, false).await?.iter().map(|e| e.size).sum())
    }

    // ----- reading -----

    /// Bytes `[start, end)` of a file, with Python slice semantics: `None` is the start or the
    /// end, negative offsets count from the end, an empty or inverted range is empty.
    pub async fn cat_file(&self, path: &str, start: Option<i64>, end: Option<i64>) -> Result<Bytes> {
        let (bucket, key) = file_path(path)?;
        let range = match (start, end) {
            (None | Some(0), None) => None,
            (Some(s), None) if s < 0 => Some(ByteRange::Suffix(s.unsigned_abs())),
            (Some(s), None) => Some(ByteRange::From { start: s as u64, end: None }),
            (s, Some(e)) if s.unwrap_or(0) >= 0 && e >= 0 => {
                let s = s.unwrap_or(0) as u64;
                if s >= e as u64 {
                    // Still fail on a missing file, as a read would.
                    self.store.head(&bucket, &key).await?;
                    return Ok(Bytes::new());
                }
                Some(ByteRange::From { start: s, end: Some(e as u64) })
            }
            (s, Some(e)) => {
                let size = self.store.head(&bucket, &key).await?.size;
                let (s, e) = (py_index(s.unwrap_or(0), size), py_index(e, size));
                if s >= e {
                    return Ok(Bytes::new());
                }
                Some(ByteRange::From { start: s, end: Some(e) })
            }
        };
        match self.store.get(&bucket, &key, range).await {
            Ok(r) => Ok(r.data),
            // Some S3-compatible servers fail suffix ranges (s3s-fs: when longer than the
            // object); the same bytes as an absolute range.
            Err(e) if e.kind == ErrorKind::Service && matches!(range, Some(ByteRange::Suffix(_))) => {
                let size = self.store.head(&bucket, &key).await?.size;
                let (start, end) = range.expect("matched above").resolve(size);
                if start == end {
                    return Ok(Bytes::new());
                }
                Ok(self.store.get(&bucket, &key, Some(ByteRange::From { start, end: Some(end) })).await?.data)
            }
            // A start at or past the end is an empty slice in Python, a 416 on S3.
            Err(e) if e.kind == ErrorKind::InvalidInput && range.is_some() => {
                let size = self.store.head(&bucket, &key).await?.size;
                match range {
                    Some(ByteRange::From { start, .. }) if start >= size => Ok(Bytes::new()),
                    _ => Err(e),
                }
            }
            Err(e) => Err(e),
        }
    }

    /// Whole file.
    pub async fn cat(&self, path: &str) -> Result<Bytes> {
        self.cat_file(path, None, None).await
    }

    /// Several ranges, fetched concurrently; results in input order, one per range. Explicit
    /// ranges of one file that lie within `coalesce_gap` of each other share one request
    /// (up to `part_size` long), and each gets its slice of the answer.
    pub async fn cat_ranges(&self, paths: &[String], starts: &[Option<i64>], ends: &[Option<i64>]) -> Result<Vec<Result<Bytes>>> {
        if paths.len() != starts.len() || paths.len() != ends.len() {
            return Err(Error::invalid_input("cat_ranges: paths, starts and ends differ in length"));
        }
        // Keyed by path; the value's first index names the path for the jobs.
        type Spans = Vec<(usize, u64, u64)>;
        let mut by_path: BTreeMap<&str, (usize, Spans)> = BTreeMap::new();
        let mut jobs = Vec::new();
        for i in 0..paths.len() {
            match (starts[i].unwrap_or(0), ends[i]) {
                (s, Some(e)) if s >= 0 && e > s => {
                    by_path.entry(&paths[i]).or_insert((i, Vec::new())).1.push((i, s as u64, e as u64))
                }
                _ => jobs.push((i, ranges::Merged { start: 0, end: 0, members: vec![(i, 0, 0)] })),
            }
        }
        let max_len = self.options.part_size.max(1);
        for (_, (p, spans)) in by_path {
            jobs.extend(ranges::coalesce(spans, self.options.coalesce_gap, max_len).into_iter().map(|m| (p, m)));
        }
        let fetch = |(p, m): (usize, ranges::Merged)| async move {
            let path = &paths[p];
            if m.end == 0 {
                // Not coalesced (open-ended, negative or empty): as cat_file reads it.
                let i = m.members[0].0;
                return vec![(i, self.cat_file(path, starts[i], ends[i]).await)];
            }
            let got = self.cat_file(path, Some(m.start as i64), Some(m.end as i64)).await;
            let slice = |data: &Bytes, s: u64, e: u64| {
                let len = data.len();
                data.slice(((s - m.start) as usize).min(len)..((e - m.start) as usize).min(len))
            };
            m.members.iter().map(|&(i, s, e)| (i, got.as_ref().map(|d| slice(d, s, e)).map_err(Clone::clone))).collect()
        };
        let mut out: Vec<Option<Result<Bytes>>> = vec![None; paths.len()];
        let mut done = stream::iter(jobs.into_iter().map(fetch)).buffer_unordered(CONCURRENCY);
        while let Some(results) = done.next().await {
            for (i, r) in results {
                out[i] = Some(r);
            }
        }
        Ok(out.into_iter().map(|r| r.expect("every range is answered")).collect())
    }

    /// A reader with block cache and readahead (`AsyncRead + AsyncSeek`).
    pub async fn open_read(&self, path: &str) -> Result<FileReader<S>> {
        let (bucket, key) = file_path(path)?;
        FileReader::open(self.store.clone(), bucket, key, self.options.read.clone()).await
    }

    // ----- writing -----

    /// A writer that switches to multipart past the part size (`AsyncWrite`; close to commit).
    pub async fn open_write(&self, path: &str, opts: PutOptions) -> Result<FileWriter<S>> {
        self.flush_pending().await?;
        let (bucket, key) = file_path(path)?;
        FileWriter::create(self.store.clone(), bucket, key, opts, self.upload_config(), self.aborts.clone())
    }

    /// Write `data` to `path`, replacing it.
    pub async fn pipe(&self, path: &str, data: Bytes) -> Result<ObjectMeta> {
        self.pipe_with(path, data, &PutOptions::default()).await
    }

    /// Write with options: content type, create-only (`if_none_match_any`), `if_match`.
    pub async fn pipe_with(&self, path: &str, data: Bytes, opts: &PutOptions) -> Result<ObjectMeta> {
        self.flush_pending().await?;
        let (bucket, key) = file_path(path)?;
        let cfg = self.upload_config();
        if (data.len() as u64) <= cfg.part_size {
            return self.store.put(&bucket, &key, data, opts).await;
        }
        let mut w = FileWriter::create(self.store.clone(), bucket, key, opts.clone(), cfg, self.aborts.clone())?;
        w.write_bytes(data).await?;
        w.close_meta().await
    }

    /// Create an empty file; with `truncate == false` an existing file is left alone.
    pub async fn touch(&self, path: &str, truncate: bool) -> Result<()> {
        if !truncate && self.isfile(path).await? {
            return Ok(());
        }
        self.pipe(path, Bytes::new()).await.map(|_| ())
    }

    /// Create a bucket (a top-level path). Below the top level object stores have no
    /// directories, so this only makes sure the bucket exists (`create_parents`).
    pub async fn mkdir(&self, path: &str, create_parents: bool) -> Result<()> {
        let (bucket, key) = path::split_path(path);
        if bucket.is_empty() {
            return Err(Error::invalid_input("mkdir needs a bucket name"));
        }
        if key.is_empty() {
            return self.store.create_bucket(&bucket).await;
        }
        if self.store.bucket_exists(&bucket).await? {
            return Ok(());
        }
        if create_parents { self.store.create_bucket(&bucket).await } else { Err(not_found(&bucket)) }
    }

    pub async fn makedirs(&self, path: &str, exist_ok: bool) -> Result<()> {
        match self.mkdir(path, true).await {
            Err(e) if e.kind == ErrorKind::AlreadyExists && exist_ok => Ok(()),
            r => r,
        }
    }

    /// Server-side copy of a file, or with `recursive` of everything below a directory.
    pub async fn cp(&self, src: &str, dst: &str, recursive: bool) -> Result<()> {
        self.flush_pending().await?;
        let pairs = self.expand_pairs(src, dst, recursive).await?;
        stream::iter(pairs.into_iter().map(|((sb, sk), (db, dk))| async move { self.store.copy(&sb, &sk, &db, &dk).await }))
            .buffer_unordered(CONCURRENCY)
            .try_collect::<Vec<()>>()
            .await?;
        Ok(())
    }

    /// Copy then delete the source.
    pub async fn mv(&self, src: &str, dst: &str, recursive: bool) -> Result<()> {
        self.cp(src, dst, recursive).await?;
        self.rm(src, recursive).await
    }

    /// Source → destination key pairs for cp/mv: one file, or every file below a directory.
    async fn expand_pairs(&self, src: &str, dst: &str, recursive: bool) -> Result<Vec<((String, String), (String, String))>> {
        let (sb, sk) = path::split_path(src);
        let (db, dk) = path::split_path(dst);
        if sb.is_empty() || db.is_empty() {
            return Err(Error::invalid_input("cp/mv need bucket paths"));
        }
        if !sk.is_empty() && self.head_file(&sb, &sk).await?.is_some() {
            let dk = if dk.is_empty() { path::name(&sk) } else { dk };
            return Ok(vec![((sb, sk), (db, dk))]);
        }
        if !recursive {
            return Err(if self.isdir(src).await? {
                Error::invalid_input(format!("{} is a directory; pass recursive", path::strip_protocol(src)))
            } else {
                not_found(src)
            });
        }
        let prefix = dir_prefix(&sk);
        let page = self.list_all(&sb, &prefix, false).await?;
        if page.objects.is_empty() {
            return Err(not_found(src));
        }
        Ok(page
            .objects
            .into_iter()
            .map(|o| {
                let rel = o.key[prefix.len()..].to_string();
                let to = if dk.is_empty() { rel } else { format!("{dk}/{rel}") };
                ((sb.clone(), o.key), (db.clone(), to))
            })
            .collect())
    }

    /// Delete a file, or with `recursive` everything below a directory (in batches). A bucket
    /// path with `recursive` removes the bucket too.
    pub async fn rm(&self, path: &str, recursive: bool) -> Result<()> {
        self.flush_pending().await?;
        let (bucket, key) = path::split_path(path);
        if bucket.is_empty() {
            return Err(Error::invalid_input("refusing to remove the root"));
        }
        if key.is_empty() && !recursive {
            // rmdir of a bucket. Checked here too: some servers (s3s-fs) delete a non-empty
            // bucket with everything in it.
            if self.has_children(&bucket, "").await? {
                return Err(Error::new(ErrorKind::Conflict, format!("bucket {bucket} is not empty; pass recursive")));
            }
            return self.store.delete_bucket(&bucket).await;
        }
        let mut keys = Vec::new();
        if !key.is_empty() && self.head_file(&bucket, &key).await?.is_some() {
            keys.push(key.clone());
        }
        if recursive {
            let page = self.list_all(&bucket, &dir_prefix(&key), false).await?;
            keys.extend(page.objects.into_iter().map(|o| o.key));
        } else if keys.is_empty() && self.isdir(path).await? {
            return Err(Error::invalid_input(format!("{} is a directory; pass recursive", path::strip_protocol(path))));
        }
        if keys.is_empty() && !key.is_empty() {
            return Err(not_found(path));
        }
        self.delete_keys(&bucket, keys).await?;
        if key.is_empty() {
            self.store.delete_bucket(&bucket).await?;
        }
        Ok(())
    }

    /// Remove one file.
    pub async fn rm_file(&self, path: &str) -> Result<()> {
        let (bucket, key) = file_path(path)?;
        self.store.head(&bucket, &key).await?;
        self.delete_keys(&bucket, vec![key]).await
    }

    async fn delete_keys(&self, bucket: &str, keys: Vec<String>) -> Result<()> {
        let batch = self.store.capabilities().max_delete_batch.max(1);
        let failures: Vec<_> = stream::iter(keys.chunks(batch).map(|c| self.store.delete_batch(bucket, c)))
            .buffer_unordered(CONCURRENCY)
            .try_collect::<Vec<_>>()
            .await?
            .into_iter()
            .flatten()
            .collect();
        match failures.first() {
            None => Ok(()),
            Some(f) => Err(Error::new(
                ErrorKind::Service,
                format!("{} of the deletions failed; first: {}/{}: {} {}", failures.len(), bucket, f.key, f.code, f.message),
            )
            .with_code(f.code.clone())),
        }
    }

    /// A presigned GET URL.
    pub fn sign(&self, path: &str, expires: Duration) -> Result<String> {
        let (bucket, key) = file_path(path)?;
        self.store.presign(Method::Get, &bucket, &key, expires)
    }

    /// A presigned URL for another method (PUT to upload without credentials, ...).
    pub fn sign_method(&self, method: Method, path: &str, expires: Duration) -> Result<String> {
        let (bucket, key) = file_path(path)?;
        self.store.presign(method, &bucket, &key, expires)
    }
}

/// Local-disk transfers (native only).
#[cfg(feature = "native")]
impl<S: Store + Clone + 'static> FileSystem<S> {
    /// Upload one local file, streaming it part by part.
    pub async fn put_file(&self, lpath: impl AsRef<std::path::Path>, rpath: &str) -> Result<ObjectMeta> {
        self.put_file_with(lpath, rpath, &PutOptions::default()).await
    }

    /// [`FileSystem::put_file`] with write options: content type, create-only
    /// (`if_none_match_any`: refuse to overwrite), `if_match`.
    pub async fn put_file_with(&self, lpath: impl AsRef<std::path::Path>, rpath: &str, opts: &PutOptions) -> Result<ObjectMeta> {
        use tokio::io::AsyncReadExt;
        let lpath = lpath.as_ref();
        let mut f = tokio::fs::File::open(lpath).await.map_err(|e| Error::from(e).context(lpath.display()))?;
        let len = f.metadata().await?.len();
        let cfg = self.upload_config();
        if len <= cfg.part_size {
            let mut buf = Vec::with_capacity(len as usize);
            f.read_to_end(&mut buf).await?;
            return self.pipe_with(rpath, buf.into(), opts).await;
        }
        self.flush_pending().await?;
        let (bucket, key) = file_path(rpath)?;
        let mut w = FileWriter::create(self.store.clone(), bucket, key, opts.clone(), cfg, self.aborts.clone())?;
        // Read straight into the buffer handed to the writer (no extra copy), a round of parts
        // at a time so they upload concurrently.
        let round = cfg.part_size as usize * cfg.concurrency.max(1);
        let mut buf = bytes::BytesMut::with_capacity(round);
        loop {
            buf.reserve(round);
            let n = match f.read_buf(&mut buf).await {
                Ok(n) => n,
                Err(e) => {
                    w.abort().await?;
                    return Err(e.into());
                }
            };
            if n == 0 {
                break;
            }
            w.write_bytes(buf.split().freeze()).await?;
        }
        w.close_meta().await
    }

    /// Download one file to a local path, via a temporary file renamed into place, so a
    /// failed download leaves nothing half-written. Chunks of `part_size` are fetched
    /// `transfer_concurrency` at a time and written in order; every chunk must come from the
    /// same version of the object (its ETag), or the download fails.
    pub async fn get_file(&self, rpath: &str, lpath: impl AsRef<std::path::Path>) -> Result<()> {
        use tokio::io::AsyncWriteExt;
        let lpath = lpath.as_ref();
        if let Some(dir) = lpath.parent().filter(|d| !d.as_os_str().is_empty()) {
            tokio::fs::create_dir_all(dir).await?;
        }
        let (bucket, key) = file_path(rpath)?;
        let head = self.store.head(&bucket, &key).await?;
        let (bucket, key, etag) = (&bucket, &key, &head.etag);
        let fetch = |(start, end): (u64, u64)| async move {
            let got = self.store.get(bucket, key, Some(ByteRange::From { start, end: Some(end) })).await?;
            if got.meta.etag != *etag {
                return Err(Error::new(ErrorKind::PreconditionFailed, format!("{bucket}/{key} changed while being downloaded")));
            }
            if got.data.len() as u64 != end - start {
                return Err(Error::new(ErrorKind::Integrity, format!("{bucket}/{key}: short read at {start}")));
            }
            Ok(got.data)
        };
        let tmp = lpath.with_extension(format!("pailfs-{}.part", std::process::id()));
        let result = async {
            let mut f = tokio::fs::File::create(&tmp).await?;
            let mut chunks = stream::iter(ranges::chunks(head.size, self.options.part_size).map(fetch))
                .buffered(self.options.transfer_concurrency.max(1));
            while let Some(chunk) = chunks.try_next().await? {
                f.write_all(&chunk).await?;
            }
            f.flush().await?;
            tokio::fs::rename(&tmp, lpath).await?;
            Ok(())
        }
        .await;
        if result.is_err() {
            let _ = tokio::fs::remove_file(&tmp).await;
        }
        result
    }

    /// Upload a file, or with `recursive` a directory tree, below `rpath`.
    pub async fn put(&self, lpath: impl AsRef<std::path::Path>, rpath: &str, recursive: bool) -> Result<()> {
        let lpath = lpath.as_ref();
        if !tokio::fs::metadata(lpath).await?.is_dir() {
            return self.put_file(lpath, rpath).await.map(|_| ());
        }
        if !recursive {
            return Err(Error::invalid_input(format!("{} is a directory; pass recursive", lpath.display())));
        }
        let root = path::strip_protocol(rpath);
        let files = local_files(lpath)?;
        stream::iter(files.into_iter().map(|(rel, full)| {
            let dest = path::join(&root, &rel);
            async move { self.put_file(&full, &dest).await.map(|_| ()) }
        }))
        .buffer_unordered(CONCURRENCY / 2)
        .try_collect::<Vec<()>>()
        .await?;
        Ok(())
    }

    /// Download a file, or with `recursive` everything below a directory, into `lpath`.
    pub async fn get(&self, rpath: &str, lpath: impl AsRef<std::path::Path>, recursive: bool) -> Result<()> {
        let lpath = lpath.as_ref();
        if self.isfile(rpath).await? {
            let dest = if tokio::fs::metadata(lpath).await.is_ok_and(|m| m.is_dir()) {
                lpath.join(path::name(&path::strip_protocol(rpath)))
            } else {
                lpath.to_path_buf()
            };
            return self.get_file(rpath, dest).await;
        }
        if !recursive {
            return Err(if self.isdir(rpath).await? {
                Error::invalid_input(format!("{} is a directory; pass recursive", path::strip_protocol(rpath)))
            } else {
                not_found(rpath)
            });
        }
        let root = path::strip_protocol(rpath);
        let files = self.find(&root, None, false).await?;
        if files.is_empty() {
            return Err(not_found(rpath));
        }
        let mut jobs = Vec::with_capacity(files.len());
        for e in files {
            let rel = e.name[root.len()..].trim_start_matches('/').to_string();
            jobs.push((e.name, lpath.join(safe_relative(&rel)?)));
        }
        stream::iter(jobs.into_iter().map(|(remote, local)| async move { self.get_file(&remote, local).await }))
            .buffer_unordered(CONCURRENCY / 2)
            .try_collect::<Vec<()>>()
            .await?;
        Ok(())
    }
}

/// A remote key as a local relative path, refusing anything that would land outside the
/// destination directory (`..`, absolute paths, empty segments).
#[cfg(feature = "native")]
fn safe_relative(rel: &str) -> Result<std::path::PathBuf> {
    let mut out = std::path::PathBuf::new();
    for seg in rel.split('/') {
        if seg.is_empty() || seg == "." || seg == ".." || seg.contains('\\') || seg.contains('\0') {
            return Err(Error::invalid_input(format!("key {rel:?} cannot be written as a local path")));
        }
        out.push(seg);
    }
    Ok(out)
}

/// Files below a local directory as (`a/b` relative name, full path), sorted.
#[cfg(feature = "native")]
fn local_files(root: &std::path::Path) -> Result<Vec<(String, std::path::PathBuf)>> {
    let mut out = Vec::new();
    let mut stack = vec![(String::new(), root.to_path_buf())];
    while let Some((rel, dir)) = stack.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let entry = entry?;
            let name = entry.file_name().into_string().map_err(|n| Error::invalid_input(format!("non-UTF-8 file name {n:?}")))?;
            let rel_name = if rel.is_empty() { name } else { format!("{rel}/{name}") };
            let ty = entry.file_type()?;
            if ty.is_dir() {
                stack.push((rel_name, entry.path()));
            } else if ty.is_file() {
                out.push((rel_name, entry.path()));
            }
        }
    }
    out.sort();
    Ok(out)
}

/// The listing prefix for the "directory" `key`: `key/`, or everything for the bucket root.
fn dir_prefix(key: &str) -> String {
    if key.is_empty() { String::new() } else { format!("{key}/") }
}

/// A path that must name an object: bucket and non-empty key.
fn file_path(p: &str) -> Result<(String, String)> {
    let (bucket, key) = path::split_path(p);
    if bucket.is_empty() || key.is_empty() {
        return Err(Error::invalid_input(format!("{:?} is not a file path (bucket/key)", path::strip_protocol(p))));
    }
    Ok((bucket, key))
}

fn not_found(p: &str) -> Error {
    Error::not_found(format!("no such file or directory: {}", path::strip_protocol(p)))
}

fn absent_is_false(r: Result<bool>) -> Result<bool> {
    match r {
        Err(e) if e.is_not_found() => Ok(false),
        r => r,
    }
}

/// A Python slice index resolved against a length.
fn py_index(i: i64, len: u64) -> u64 {
    if i < 0 { len.saturating_sub(i.unsigned_abs()) } else { (i as u64).min(len) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_indices() {
        assert_eq!(py_index(-3, 10), 7);
        assert_eq!(py_index(-30, 10), 0);
        assert_eq!(py_index(4, 10), 4);
        assert_eq!(py_index(40, 10), 10);
    }

    #[test]
    fn prefixes_and_paths() {
        assert_eq!(dir_prefix(""), "");
        assert_eq!(dir_prefix("a/b"), "a/b/");
        assert!(file_path("bucket").is_err());
        assert_eq!(file_path("s3://b/k/x").unwrap(), ("b".to_string(), "k/x".to_string()));
    }

    #[cfg(feature = "native")]
    #[test]
    fn local_paths_never_escape() {
        assert!(safe_relative("a/b.txt").is_ok());
        for bad in ["../x", "a/../../x", "a//b", "/abs", "a/./b", "a\\..\\b"] {
            assert!(safe_relative(bad).is_err(), "{bad}");
        }
    }
}
