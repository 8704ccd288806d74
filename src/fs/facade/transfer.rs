//! Local-disk transfers (native only): put_file, get_file, put, get.

use futures::stream::{self, StreamExt, TryStreamExt};

use super::{CONCURRENCY, FileSystem, file_path, not_found};
use crate::core::error::{Error, ErrorKind, Result};
use crate::core::ranges;
use crate::core::types::{ByteRange, ObjectMeta, PutOptions};
use crate::fs::file::FileWriter;
use crate::fs::path;
use crate::fs::store::Store;

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
        // The writer copies what it takes into its own part buffers (which bound the memory
        // held: parts in flight + 1), so reading 1 MiB at a time adds only that much.
        const CHUNK: usize = 1024 * 1024;
        let mut buf = bytes::BytesMut::with_capacity(CHUNK);
        loop {
            buf.reserve(CHUNK);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_paths_never_escape() {
        assert!(safe_relative("a/b.txt").is_ok());
        for bad in ["../x", "a/../../x", "a//b", "/abs", "a/./b", "a\\..\\b"] {
            assert!(safe_relative(bad).is_err(), "{bad}");
        }
    }
}
