//! `FileSystem`: fsspec semantics over any [`Store`].
//!
//! Paths are `bucket/key` (a leading `proto://` is accepted and stripped). Object stores have
//! no directories: a "directory" is a prefix that some key continues with `/`, and a bucket is
//! the top-level directory. Every verb here is a loop over the store's few primitives.

mod listing;
mod read;
#[cfg(feature = "native")]
mod transfer;
mod write;

use super::file::{AbortQueue, ReadOptions, flush_aborts};
use super::path;
use super::store::Store;
use crate::core::error::{Error, Result};
use crate::core::pager::ListPager;
use crate::core::types::{ListPage, ListRequest, ObjectMeta};
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
        let model = self.store.capabilities().upload;
        UploadConfig {
            part_size: self.options.part_size.max(model.min_piece()),
            model,
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

    /// HEAD of a possible file; `None` when there is no such object, any other failure as is.
    async fn head_file(&self, bucket: &str, key: &str) -> Result<Option<ObjectMeta>> {
        match self.store.head(bucket, key).await {
            Ok(m) => Ok(Some(m)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Whether any key continues `key/`.
    async fn has_children(&self, bucket: &str, key: &str) -> Result<bool> {
        let req = ListRequest { prefix: dir_prefix(key), max_keys: Some(1), ..ListRequest::default() };
        let page = self.store.list_page(bucket, &req).await?;
        Ok(!page.objects.is_empty() || !page.prefixes.is_empty())
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_and_paths() {
        assert_eq!(dir_prefix(""), "");
        assert_eq!(dir_prefix("a/b"), "a/b/");
        assert!(file_path("bucket").is_err());
        assert_eq!(file_path("s3://b/k/x").unwrap(), ("b".to_string(), "k/x".to_string()));
    }
}
