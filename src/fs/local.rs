//! `file://`: buckets are the directories directly below a root, keys are relative paths.
//!
//! Object keys are more permissive than paths, so this store refuses (with `InvalidInput`)
//! every key that could not round-trip or could leave the root: empty, `.` and `..`
//! segments, backslashes, NUL, and names it uses itself (`.pailfs-*`). Symlinks that point
//! out of the root are refused too. Writes go to a temporary file in the target directory
//! and are renamed into place, so a failed write leaves nothing behind; a create-only write
//! uses `link`, which refuses atomically when the target exists.
//!
//! Calls are plain blocking `std::fs`: local files are fast and this keeps the store simple;
//! a caller on a busy runtime can wrap the file system in `spawn_blocking`.

use std::fs;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;

use super::store::{Capabilities, DeleteFailure, GetResult, Presigned, Store, list_after, paginate};
use crate::core::error::{Error, ErrorKind, Result};
use crate::core::etag::{md5_hex, unquote};
use crate::core::http::Method;
use crate::core::types::{BucketInfo, ByteRange, ListPage, ListRequest, ObjectMeta, PutOptions};

/// Names this store keeps for itself inside buckets.
const RESERVED: &str = ".pailfs-";
const UPLOADS: &str = ".pailfs-uploads";

#[derive(Clone, Debug)]
pub struct LocalStore {
    root: PathBuf,
}

static UNIQUE: AtomicU64 = AtomicU64::new(0);

fn unique() -> String {
    let t = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos();
    format!("{:x}-{:x}-{}", std::process::id(), t, UNIQUE.fetch_add(1, Ordering::Relaxed))
}

fn no_bucket(bucket: &str) -> Error {
    Error::not_found(format!("no such bucket: {bucket}")).with_code("NoSuchBucket")
}

fn no_key(bucket: &str, key: &str) -> Error {
    Error::not_found(format!("no such key: {bucket}/{key}")).with_code("NoSuchKey")
}

fn precondition(msg: &str) -> Error {
    Error::new(ErrorKind::PreconditionFailed, msg.to_string()).with_code("PreconditionFailed")
}

fn io_err(e: std::io::Error, what: &str) -> Error {
    Error::from(e).context(what)
}

fn bad_segment(s: &str) -> bool {
    s.is_empty() || s == "." || s == ".." || s.starts_with(RESERVED) || s.contains(['\\', '\0'])
}

fn check_bucket(bucket: &str) -> Result<()> {
    if bucket.contains('/') || bad_segment(bucket) {
        return Err(Error::invalid_input(format!("{bucket:?} cannot be a directory name below the root")));
    }
    Ok(())
}

fn check_key(key: &str) -> Result<()> {
    if key.split('/').any(bad_segment) {
        return Err(Error::invalid_input(format!(
            "key {key:?} cannot be stored as a file: empty, '.', '..' or reserved segments and backslashes are refused"
        )));
    }
    Ok(())
}

/// An ETag that changes whenever the file is replaced: every write renames a new inode in.
fn etag(md: &fs::Metadata) -> String {
    let mtime = md.modified().ok().and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok()).unwrap_or_default();
    #[cfg(unix)]
    let ino = std::os::unix::fs::MetadataExt::ino(md);
    #[cfg(not(unix))]
    let ino = 0u64;
    format!("{ino:x}-{:x}-{:x}", mtime.as_nanos(), md.len())
}

fn meta_of(key: &str, md: &fs::Metadata) -> ObjectMeta {
    let mut m = ObjectMeta::new(key, md.len());
    m.last_modified = md.modified().ok().map(Into::into);
    m.etag = Some(etag(md));
    m
}

impl LocalStore {
    /// A store rooted at an existing directory.
    pub fn new(root: impl AsRef<Path>) -> Result<Self> {
        let root = root.as_ref();
        let root = fs::canonicalize(root).map_err(|e| io_err(e, &format!("root {}", root.display())))?;
        if !root.is_dir() {
            return Err(Error::invalid_input(format!("{} is not a directory", root.display())));
        }
        Ok(LocalStore { root })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    fn bucket_dir(&self, bucket: &str) -> Result<PathBuf> {
        check_bucket(bucket)?;
        let dir = self.root.join(bucket);
        self.confine(&dir)?;
        Ok(dir)
    }

    /// The bucket directory, which must exist.
    fn existing_bucket(&self, bucket: &str) -> Result<PathBuf> {
        let dir = self.bucket_dir(bucket)?;
        if dir.is_dir() { Ok(dir) } else { Err(no_bucket(bucket)) }
    }

    fn object_path(&self, bucket: &str, key: &str) -> Result<PathBuf> {
        check_key(key)?;
        let path = self.existing_bucket(bucket)?.join(key);
        self.confine(&path)?;
        Ok(path)
    }

    /// Refuse paths whose nearest existing ancestor resolves (through symlinks) outside the root.
    fn confine(&self, path: &Path) -> Result<()> {
        let mut p = path;
        loop {
            if let Ok(real) = fs::canonicalize(p) {
                if real.starts_with(&self.root) {
                    return Ok(());
                }
                return Err(Error::new(ErrorKind::PermissionDenied, format!("{} leads outside the root", path.display())));
            }
            match p.parent() {
                Some(parent) => p = parent,
                None => return Ok(()),
            }
        }
    }

    fn uploads_dir(&self, bucket: &str) -> Result<PathBuf> {
        Ok(self.existing_bucket(bucket)?.join(UPLOADS))
    }

    fn upload_dir(&self, bucket: &str, key: &str, upload_id: &str) -> Result<PathBuf> {
        if !upload_id.starts_with(RESERVED) || upload_id.contains(['/', '\\', '\0']) {
            return Err(Error::invalid_input("malformed upload id"));
        }
        let dir = self.uploads_dir(bucket)?.join(upload_id);
        match fs::read_to_string(dir.join("key")) {
            Ok(k) if k == key => Ok(dir),
            _ => Err(Error::not_found(format!("no such upload: {upload_id}")).with_code("NoSuchUpload")),
        }
    }

    /// In-progress multipart uploads of a bucket: (key, upload id).
    pub fn open_uploads(&self, bucket: &str) -> Vec<(String, String)> {
        let Ok(dir) = self.uploads_dir(bucket) else { return Vec::new() };
        let Ok(entries) = fs::read_dir(dir) else { return Vec::new() };
        let mut out: Vec<(String, String)> = entries
            .filter_map(|e| {
                let e = e.ok()?;
                let key = fs::read_to_string(e.path().join("key")).ok()?;
                Some((key, e.file_name().to_string_lossy().into_owned()))
            })
            .collect();
        out.sort();
        out
    }

    /// Write `data` into a temporary file beside `dest`, then move it into place under the
    /// conditions of `opts`.
    fn write_atomic(
        &self,
        dest: &Path,
        bucket: &str,
        key: &str,
        opts: &PutOptions,
        fill: impl FnOnce(&mut fs::File) -> Result<()>,
    ) -> Result<ObjectMeta> {
        let dir = dest.parent().expect("object paths have a parent");
        fs::create_dir_all(dir).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotADirectory | std::io::ErrorKind::AlreadyExists => {
                Error::new(ErrorKind::Conflict, format!("a parent of {bucket}/{key} is a file"))
            }
            _ => io_err(e, "creating directories"),
        })?;
        if dest.is_dir() {
            return Err(Error::new(ErrorKind::Conflict, format!("{bucket}/{key} is a directory of other keys")));
        }
        let tmp = dir.join(format!("{RESERVED}tmp-{}", unique()));
        let result = (|| {
            let mut f = fs::File::create(&tmp).map_err(|e| io_err(e, "creating a temporary file"))?;
            fill(&mut f)?;
            f.sync_all().map_err(|e| io_err(e, "syncing"))?;
            drop(f);
            if let Some(want) = &opts.if_match {
                let md = fs::metadata(dest).map_err(|_| no_key(bucket, key))?;
                if etag(&md) != unquote(want) {
                    return Err(precondition("ETag does not match (If-Match)"));
                }
            }
            if opts.if_none_match_any {
                // link() fails if the target exists: an atomic create-only.
                fs::hard_link(&tmp, dest).map_err(|e| match e.kind() {
                    std::io::ErrorKind::AlreadyExists => precondition("object exists (If-None-Match: *)"),
                    _ => io_err(e, "linking into place"),
                })?;
                let _ = fs::remove_file(&tmp);
            } else {
                fs::rename(&tmp, dest).map_err(|e| io_err(e, "renaming into place"))?;
            }
            let md = fs::metadata(dest).map_err(|e| io_err(e, "stat"))?;
            Ok(meta_of(key, &md))
        })();
        if result.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        result
    }

    /// Remove now-empty directories from `dir` up to (not including) the bucket directory:
    /// object stores have no empty directories.
    fn prune(&self, bucket_dir: &Path, mut dir: &Path) {
        while dir != bucket_dir && dir.starts_with(bucket_dir) {
            if fs::remove_dir(dir).is_err() {
                break;
            }
            match dir.parent() {
                Some(p) => dir = p,
                None => break,
            }
        }
    }

    /// Every key of a bucket, sorted by bytes.
    fn all_keys(&self, dir: &Path, prefix: &str, out: &mut Vec<(String, fs::Metadata)>) -> Result<()> {
        let entries = fs::read_dir(dir).map_err(|e| io_err(e, "listing"))?;
        for e in entries {
            let e = e.map_err(|e| io_err(e, "listing"))?;
            let Ok(name) = e.file_name().into_string() else { continue };
            if name.starts_with(RESERVED) {
                continue;
            }
            let key = format!("{prefix}{name}");
            let md = e.metadata().map_err(|e| io_err(e, "stat"))?;
            if md.is_dir() {
                self.all_keys(&e.path(), &format!("{key}/"), out)?;
            } else if md.is_file() {
                out.push((key, md));
            }
        }
        Ok(())
    }
}

impl Store for LocalStore {
    fn protocol(&self) -> &'static str {
        "file"
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            presign: false,
            any_key: false,
            upload: crate::core::upload::UploadModel::S3,
            max_delete_batch: 1000,
            conditional_put: true,
            s3_etags: false,
        }
    }

    async fn list_buckets(&self) -> Result<Vec<BucketInfo>> {
        let mut out = Vec::new();
        for e in fs::read_dir(&self.root).map_err(|e| io_err(e, "listing the root"))? {
            let e = e.map_err(|e| io_err(e, "listing the root"))?;
            let Ok(name) = e.file_name().into_string() else { continue };
            if check_bucket(&name).is_err() || !e.file_type().is_ok_and(|t| t.is_dir()) {
                continue;
            }
            let created = e.metadata().ok().and_then(|m| m.created().or_else(|_| m.modified()).ok()).map(Into::into);
            out.push(BucketInfo { name, created });
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    async fn create_bucket(&self, bucket: &str) -> Result<()> {
        let dir = self.bucket_dir(bucket)?;
        fs::create_dir(&dir).map_err(|e| match e.kind() {
            std::io::ErrorKind::AlreadyExists => Error::new(ErrorKind::AlreadyExists, format!("bucket exists: {bucket}")),
            _ => io_err(e, "creating a bucket"),
        })
    }

    async fn delete_bucket(&self, bucket: &str) -> Result<()> {
        let dir = self.existing_bucket(bucket)?;
        let mut keys = Vec::new();
        self.all_keys(&dir, "", &mut keys)?;
        if !keys.is_empty() {
            return Err(Error::new(ErrorKind::Conflict, format!("bucket not empty: {bucket}")).with_code("BucketNotEmpty"));
        }
        // Only empty directories and our own staging area are left.
        fs::remove_dir_all(&dir).map_err(|e| io_err(e, "removing a bucket"))
    }

    async fn bucket_exists(&self, bucket: &str) -> Result<bool> {
        Ok(check_bucket(bucket).is_ok() && self.bucket_dir(bucket)?.is_dir())
    }

    async fn list_page(&self, bucket: &str, req: &ListRequest) -> Result<ListPage> {
        let dir = self.existing_bucket(bucket)?;
        let mut keys = Vec::new();
        self.all_keys(&dir, "", &mut keys)?;
        keys.sort_by(|a, b| a.0.cmp(&b.0));
        let after = list_after(req);
        Ok(paginate(keys.into_iter().filter(|(k, _)| *k > after).map(|(k, md)| meta_of(&k, &md)), req))
    }

    async fn head(&self, bucket: &str, key: &str) -> Result<ObjectMeta> {
        let path = self.object_path(bucket, key)?;
        match fs::metadata(&path) {
            Ok(md) if md.is_file() => Ok(meta_of(key, &md)),
            _ => Err(no_key(bucket, key)),
        }
    }

    async fn get(&self, bucket: &str, key: &str, range: Option<ByteRange>) -> Result<GetResult> {
        let path = self.object_path(bucket, key)?;
        let mut f = match fs::File::open(&path) {
            Ok(f) => f,
            Err(_) => return Err(no_key(bucket, key)),
        };
        let md = f.metadata().map_err(|e| io_err(e, "stat"))?;
        if !md.is_file() {
            return Err(no_key(bucket, key));
        }
        let size = md.len();
        if let Some(ByteRange::From { start, end }) = range
            && start >= size
            && end.is_none_or(|e| e > start)
        {
            return Err(Error::invalid_input(format!("range starts past the end of {bucket}/{key}")).with_code("InvalidRange"));
        }
        let (s, e) = range.map_or((0, size), |r| r.resolve(size));
        f.seek(SeekFrom::Start(s)).map_err(|e| io_err(e, "seek"))?;
        let mut buf = vec![0; (e - s) as usize];
        f.read_exact(&mut buf).map_err(|e| io_err(e, "read"))?;
        Ok(GetResult { meta: meta_of(key, &md), data: buf.into() })
    }

    async fn put(&self, bucket: &str, key: &str, data: Bytes, opts: &PutOptions) -> Result<ObjectMeta> {
        let path = self.object_path(bucket, key)?;
        self.write_atomic(&path, bucket, key, opts, |f| f.write_all(&data).map_err(|e| io_err(e, "write")))
    }

    async fn copy(&self, src_bucket: &str, src_key: &str, dst_bucket: &str, dst_key: &str) -> Result<()> {
        let src = self.object_path(src_bucket, src_key)?;
        let dst = self.object_path(dst_bucket, dst_key)?;
        let mut input = match fs::File::open(&src) {
            Ok(f) if f.metadata().is_ok_and(|m| m.is_file()) => f,
            _ => return Err(no_key(src_bucket, src_key)),
        };
        self.write_atomic(&dst, dst_bucket, dst_key, &PutOptions::default(), |f| {
            std::io::copy(&mut input, f).map(|_| ()).map_err(|e| io_err(e, "copy"))
        })
        .map(|_| ())
    }

    async fn delete_batch(&self, bucket: &str, keys: &[String]) -> Result<Vec<DeleteFailure>> {
        let dir = self.existing_bucket(bucket)?;
        let mut failures = Vec::new();
        for key in keys {
            let path = match self.object_path(bucket, key) {
                Ok(p) => p,
                Err(e) => {
                    failures.push(DeleteFailure { key: key.clone(), code: "InvalidInput".into(), message: e.message });
                    continue;
                }
            };
            match fs::remove_file(&path) {
                Ok(()) => self.prune(&dir, path.parent().unwrap_or(&dir)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => failures.push(DeleteFailure { key: key.clone(), code: "Io".into(), message: e.to_string() }),
            }
        }
        Ok(failures)
    }

    async fn create_multipart(&self, bucket: &str, key: &str, _opts: &PutOptions) -> Result<String> {
        check_key(key)?;
        let id = format!("{RESERVED}{}", unique());
        let dir = self.uploads_dir(bucket)?.join(&id);
        fs::create_dir_all(&dir).map_err(|e| io_err(e, "creating an upload"))?;
        fs::write(dir.join("key"), key).map_err(|e| io_err(e, "creating an upload"))?;
        Ok(id)
    }

    async fn upload_part(&self, bucket: &str, key: &str, upload_id: &str, part_number: u32, data: Bytes) -> Result<String> {
        if !(1..=10_000).contains(&part_number) {
            return Err(Error::invalid_input(format!("part number {part_number} is outside 1..=10000")));
        }
        let dir = self.upload_dir(bucket, key, upload_id)?;
        fs::write(dir.join(format!("{part_number:05}")), &data).map_err(|e| io_err(e, "writing a part"))?;
        Ok(md5_hex(&data))
    }

    async fn complete_multipart(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        parts: &[(u32, String)],
        opts: &PutOptions,
    ) -> Result<ObjectMeta> {
        let dir = self.upload_dir(bucket, key, upload_id)?;
        if parts.is_empty() || parts.windows(2).any(|w| w[0].0 >= w[1].0) {
            return Err(Error::invalid_input("parts must be listed in ascending order").with_code("InvalidPartOrder"));
        }
        let dest = self.object_path(bucket, key)?;
        let meta = self.write_atomic(&dest, bucket, key, opts, |f| {
            for (n, _) in parts {
                let mut part = fs::File::open(dir.join(format!("{n:05}")))
                    .map_err(|_| Error::invalid_input(format!("part {n} was not uploaded")).with_code("InvalidPart"))?;
                std::io::copy(&mut part, f).map_err(|e| io_err(e, "assembling parts"))?;
            }
            Ok(())
        })?;
        fs::remove_dir_all(&dir).map_err(|e| io_err(e, "removing the upload"))?;
        Ok(meta)
    }

    async fn abort_multipart(&self, bucket: &str, key: &str, upload_id: &str) -> Result<()> {
        match self.upload_dir(bucket, key, upload_id) {
            Ok(dir) => fs::remove_dir_all(&dir).map_err(|e| io_err(e, "removing the upload")),
            Err(e) if e.is_not_found() => Ok(()),
            Err(e) => Err(e),
        }
    }

    async fn presign(&self, _method: Method, _bucket: &str, _key: &str, _expires: Duration) -> Result<Presigned> {
        Err(Error::not_supported("file:// has no URLs to presign"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_keys_that_are_not_paths_below_the_root() {
        for k in ["a//b", "../x", "a/./b", "a\\b", "x/", "/x", ".pailfs-tmp-1", "a/\0"] {
            assert!(check_key(k).is_err(), "{k:?}");
        }
        for k in ["a b", "🇦🇺/$x@@~.txt", "%48", "a/b.c", "...", ".hidden"] {
            assert!(check_key(k).is_ok(), "{k:?}");
        }
        assert!(check_bucket("..").is_err() && check_bucket("a/b").is_err() && check_bucket("ok").is_ok());
    }

    #[test]
    fn symlinks_out_of_the_root_are_refused() {
        let base = std::env::temp_dir().join(format!("pailfs-local-{}", unique()));
        let root = base.join("root");
        fs::create_dir_all(root.join("b")).unwrap();
        fs::create_dir_all(base.join("outside")).unwrap();
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(base.join("outside"), root.join("b/link")).unwrap();
            let s = LocalStore::new(&root).unwrap();
            let err =
                futures::executor::block_on(s.put("b", "link/x", Bytes::from_static(b"x"), &PutOptions::default())).unwrap_err();
            assert_eq!(err.kind, ErrorKind::PermissionDenied);
            assert!(!base.join("outside/x").exists());
        }
        fs::remove_dir_all(&base).unwrap();
    }
}
