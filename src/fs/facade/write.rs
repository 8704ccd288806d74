//! Writing and removing: open_write, pipe, touch, mkdir, cp, mv, rm, and presigned URLs.

use std::time::Duration;

use bytes::Bytes;
use futures::stream::{self, StreamExt, TryStreamExt};

use super::{CONCURRENCY, FileSystem, dir_prefix, file_path, not_found};
use crate::core::error::{Error, ErrorKind, Result};
use crate::core::http::Method;
use crate::core::types::{ObjectMeta, PutOptions};
use crate::fs::file::FileWriter;
use crate::fs::path;
use crate::fs::store::Store;

impl<S: Store + Clone + 'static> FileSystem<S> {
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
            // rmdir of a bucket: fsspec refuses a non-empty directory, and not every store's
            // DeleteBucket does (s3s-fs deletes the contents too), so the facade checks.
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

    /// A presigned GET URL (fsspec's `sign`): anyone holding it can read the file until it
    /// expires, with a plain GET.
    pub async fn sign(&self, path: &str, expires: Duration) -> Result<String> {
        Ok(self.presign(Method::Get, path, expires).await?.url)
    }

    /// What someone without credentials sends to do `method` (GET, HEAD, PUT to upload, DELETE)
    /// on a file until `expires` from now: the method, the URL and the headers that were signed.
    ///
    /// ```
    /// use std::time::Duration;
    /// use pailfs::core::http::Method;
    /// use pailfs::core::options::StoreOptions;
    ///
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let opts = StoreOptions::from_json_str(r#"{"key": "AKID", "secret": "s3cr3t", "region": "eu-west-1"}"#)?;
    /// let fs = pailfs::fs::open::open_url("s3://my-bucket", &opts)?.fs;
    /// // Signing is local: no request is sent.
    /// let upload = fs.presign(Method::Put, "my-bucket/inbox/report.pdf", Duration::from_secs(900)).await?;
    /// assert_eq!(upload.method, Method::Put);
    /// assert!(upload.url.starts_with("https://my-bucket.s3.eu-west-1.amazonaws.com/inbox/report.pdf?"));
    /// assert!(upload.url.contains("X-Amz-Expires=900"));
    /// assert!(!format!("{upload:?}").contains("s3cr3t"));
    /// # Ok::<(), pailfs::Error>(()) }).unwrap();
    /// ```
    pub async fn presign(&self, method: Method, path: &str, expires: Duration) -> Result<crate::fs::store::Presigned> {
        let (bucket, key) = file_path(path)?;
        self.store.presign(method, &bucket, &key, expires).await
    }
}
