//! `memory://`: an in-process object store with S3's semantics (flat keys, byte-order
//! listing, MD5 ETags, multipart with a minimum part size, conditional writes). It is the
//! embedded default that needs no server, and the reference the behaviour suite holds every
//! other backend to. It takes objects in pieces by whichever [`UploadModel`] it is given
//! (S3's parts by default; Azure's blocks or GCS's resumable chunks on request), with each
//! model's rules enforced, so the writer is tested on all three without a cloud.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use chrono::{DateTime, Utc};
use md5::{Digest, Md5};

use super::store::{Capabilities, DeleteFailure, GetResult, Presigned, Store, list_after, paginate};
use crate::core::error::{Error, ErrorKind, Result};
use crate::core::etag::{md5_hex, unquote};
use crate::core::http::Method;
use crate::core::types::{BucketInfo, ByteRange, ChunkAck, ListPage, ListRequest, ObjectMeta, PutOptions};
use crate::core::upload::UploadModel;

#[derive(Clone, Debug)]
struct Object {
    data: Bytes,
    etag: String,
    modified: Option<DateTime<Utc>>,
    content_type: Option<String>,
}

#[derive(Debug)]
struct Upload {
    key: String,
    content_type: Option<String>,
    parts: BTreeMap<u32, (Bytes, String)>,
    /// A resumable session's bytes so far.
    received: BytesMut,
    /// The write conditions of a resumable session, checked when it finishes.
    opts: PutOptions,
}

#[derive(Debug, Default)]
struct Bucket {
    created: Option<DateTime<Utc>>,
    objects: BTreeMap<String, Object>,
    uploads: BTreeMap<String, Upload>,
    /// Staged blocks by key, then block id (uncommitted; Azure drops them after a week).
    blocks: BTreeMap<String, BTreeMap<String, Bytes>>,
}

#[derive(Debug, Default)]
struct State {
    buckets: BTreeMap<String, Bucket>,
    next_upload: u64,
}

/// Cheap to clone; clones share the same data.
#[derive(Clone, Debug)]
pub struct MemoryStore {
    state: Arc<Mutex<State>>,
    min_part_size: u64,
    model: UploadModel,
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self::new()
    }
}

fn now() -> Option<DateTime<Utc>> {
    // wasm32-unknown-unknown has no clock behind SystemTime (it panics).
    #[cfg(not(target_arch = "wasm32"))]
    return Some(std::time::SystemTime::now().into());
    #[cfg(target_arch = "wasm32")]
    None
}

fn no_bucket(bucket: &str) -> Error {
    Error::not_found(format!("no such bucket: {bucket}")).with_code("NoSuchBucket").with_status(404)
}

fn no_key(bucket: &str, key: &str) -> Error {
    Error::not_found(format!("no such key: {bucket}/{key}")).with_code("NoSuchKey").with_status(404)
}

fn precondition(msg: &str) -> Error {
    Error::new(ErrorKind::PreconditionFailed, msg.to_string()).with_code("PreconditionFailed").with_status(412)
}

/// Enforce If-None-Match / If-Match against the current object, as S3 does.
fn check_conditions(current: Option<&Object>, opts: &PutOptions, bucket: &str, key: &str) -> Result<()> {
    if opts.if_none_match_any && current.is_some() {
        return Err(precondition("object exists (If-None-Match: *)"));
    }
    if let Some(want) = &opts.if_match {
        match current {
            None => return Err(no_key(bucket, key)),
            Some(o) if o.etag != unquote(want) => return Err(precondition("ETag does not match (If-Match)")),
            Some(_) => {}
        }
    }
    Ok(())
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::with_min_part_size(5 * 1024 * 1024)
    }

    /// A store whose multipart minimum differs from S3's 5 MiB (small tests).
    pub fn with_min_part_size(min_part_size: u64) -> Self {
        let model = UploadModel::s3_compatible(min_part_size);
        MemoryStore { state: Arc::new(Mutex::new(State::default())), min_part_size, model }
    }

    /// A store that takes objects in pieces by `model` (blocks, resumable chunks, or parts
    /// with its minimum), enforcing that model's rules.
    pub fn with_upload_model(model: UploadModel) -> Self {
        let min_part_size = model.min_piece();
        MemoryStore { state: Arc::new(Mutex::new(State::default())), min_part_size, model }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves consistent data (every mutation is one step).
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// In-progress uploads of a bucket: (key, upload id) of multipart uploads and resumable
    /// sessions, which cost storage until completed or aborted.
    pub fn open_uploads(&self, bucket: &str) -> Vec<(String, String)> {
        let st = self.lock();
        st.buckets.get(bucket).map(|b| b.uploads.iter().map(|(id, u)| (u.key.clone(), id.clone())).collect()).unwrap_or_default()
    }

    /// Staged, uncommitted blocks of a bucket: (key, block id). Nothing deletes them but a
    /// commit (Azure expires them after a week), so a failed block upload leaves these.
    pub fn staged_blocks(&self, bucket: &str) -> Vec<(String, String)> {
        let st = self.lock();
        let Some(b) = st.buckets.get(bucket) else { return Vec::new() };
        b.blocks.iter().flat_map(|(k, ids)| ids.keys().map(move |id| (k.clone(), id.clone()))).collect()
    }

    /// Refuse a call of another model than the one declared.
    fn expect_model(&self, blocks: bool, resumable: bool) -> Result<()> {
        let ok = match self.model {
            UploadModel::Parts { .. } => !blocks && !resumable,
            UploadModel::Blocks { .. } => blocks,
            UploadModel::Resumable { .. } => resumable,
        };
        if ok { Ok(()) } else { Err(Error::not_supported(format!("this memory store takes {:?} uploads", self.model))) }
    }

    fn meta(key: &str, o: &Object) -> ObjectMeta {
        let mut m = ObjectMeta::new(key, o.data.len() as u64);
        m.etag = Some(o.etag.clone());
        m.last_modified = o.modified;
        m.content_type = o.content_type.clone();
        m
    }
}

fn valid_bucket(bucket: &str) -> Result<()> {
    if bucket.is_empty() || bucket.contains('/') {
        return Err(Error::invalid_input(format!("invalid bucket name {bucket:?}")));
    }
    Ok(())
}

fn valid_key(key: &str) -> Result<()> {
    if key.is_empty() {
        return Err(Error::invalid_input("empty object key"));
    }
    Ok(())
}

impl Store for MemoryStore {
    fn protocol(&self) -> &'static str {
        "memory"
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            presign: false,
            any_key: true,
            upload: self.model,
            max_delete_batch: 1000,
            conditional_put: true,
            // Multipart objects' `-N` ETags are S3's; blocks and sessions give plain MD5s.
            s3_etags: matches!(self.model, UploadModel::Parts { .. }),
        }
    }

    async fn list_buckets(&self) -> Result<Vec<BucketInfo>> {
        Ok(self.lock().buckets.iter().map(|(n, b)| BucketInfo { name: n.clone(), created: b.created }).collect())
    }

    async fn create_bucket(&self, bucket: &str) -> Result<()> {
        valid_bucket(bucket)?;
        let mut st = self.lock();
        if st.buckets.contains_key(bucket) {
            return Err(Error::new(ErrorKind::AlreadyExists, format!("bucket exists: {bucket}"))
                .with_code("BucketAlreadyOwnedByYou")
                .with_status(409));
        }
        st.buckets.insert(bucket.to_string(), Bucket { created: now(), ..Bucket::default() });
        Ok(())
    }

    async fn delete_bucket(&self, bucket: &str) -> Result<()> {
        let mut st = self.lock();
        let b = st.buckets.get(bucket).ok_or_else(|| no_bucket(bucket))?;
        if !b.objects.is_empty() {
            return Err(Error::new(ErrorKind::Conflict, format!("bucket not empty: {bucket}"))
                .with_code("BucketNotEmpty")
                .with_status(409));
        }
        st.buckets.remove(bucket);
        Ok(())
    }

    async fn bucket_exists(&self, bucket: &str) -> Result<bool> {
        Ok(self.lock().buckets.contains_key(bucket))
    }

    async fn list_page(&self, bucket: &str, req: &ListRequest) -> Result<ListPage> {
        let st = self.lock();
        let b = st.buckets.get(bucket).ok_or_else(|| no_bucket(bucket))?;
        let after = list_after(req);
        let after = (std::ops::Bound::Excluded(&after), std::ops::Bound::Unbounded);
        Ok(paginate(b.objects.range::<String, _>(after).map(|(k, o)| Self::meta(k, o)), req))
    }

    async fn head(&self, bucket: &str, key: &str) -> Result<ObjectMeta> {
        let st = self.lock();
        let b = st.buckets.get(bucket).ok_or_else(|| no_bucket(bucket))?;
        b.objects.get(key).map(|o| Self::meta(key, o)).ok_or_else(|| no_key(bucket, key))
    }

    async fn get(&self, bucket: &str, key: &str, range: Option<ByteRange>) -> Result<GetResult> {
        let st = self.lock();
        let b = st.buckets.get(bucket).ok_or_else(|| no_bucket(bucket))?;
        let o = b.objects.get(key).ok_or_else(|| no_key(bucket, key))?;
        let size = o.data.len() as u64;
        let data = match range {
            None => o.data.clone(),
            Some(r) => {
                // S3 answers 416 for a start at or past the end of a non-empty range.
                if let ByteRange::From { start, end } = r
                    && start >= size
                    && end.is_none_or(|e| e > start)
                {
                    return Err(Error::invalid_input(format!("range starts past the end of {bucket}/{key}"))
                        .with_code("InvalidRange")
                        .with_status(416));
                }
                let (s, e) = r.resolve(size);
                o.data.slice(s as usize..e as usize)
            }
        };
        Ok(GetResult { meta: Self::meta(key, o), data })
    }

    async fn put(&self, bucket: &str, key: &str, data: Bytes, opts: &PutOptions) -> Result<ObjectMeta> {
        valid_key(key)?;
        let mut st = self.lock();
        let b = st.buckets.get_mut(bucket).ok_or_else(|| no_bucket(bucket))?;
        check_conditions(b.objects.get(key), opts, bucket, key)?;
        let obj = Object { etag: md5_hex(&data), data, modified: now(), content_type: opts.content_type.clone() };
        let meta = Self::meta(key, &obj);
        b.objects.insert(key.to_string(), obj);
        Ok(meta)
    }

    async fn copy(&self, src_bucket: &str, src_key: &str, dst_bucket: &str, dst_key: &str) -> Result<()> {
        valid_key(dst_key)?;
        let mut st = self.lock();
        let src = st.buckets.get(src_bucket).ok_or_else(|| no_bucket(src_bucket))?;
        let mut obj = src.objects.get(src_key).cloned().ok_or_else(|| no_key(src_bucket, src_key))?;
        obj.modified = now();
        let dst = st.buckets.get_mut(dst_bucket).ok_or_else(|| no_bucket(dst_bucket))?;
        dst.objects.insert(dst_key.to_string(), obj);
        Ok(())
    }

    async fn delete_batch(&self, bucket: &str, keys: &[String]) -> Result<Vec<DeleteFailure>> {
        if keys.len() > 1000 {
            return Err(Error::invalid_input("more than 1000 keys in one delete"));
        }
        let mut st = self.lock();
        let b = st.buckets.get_mut(bucket).ok_or_else(|| no_bucket(bucket))?;
        for k in keys {
            b.objects.remove(k);
        }
        Ok(Vec::new())
    }

    async fn create_multipart(&self, bucket: &str, key: &str, opts: &PutOptions) -> Result<String> {
        valid_key(key)?;
        self.expect_model(false, matches!(self.model, UploadModel::Resumable { .. }))?;
        let mut st = self.lock();
        st.next_upload += 1;
        let id = format!("mem-upload-{}", st.next_upload);
        let b = st.buckets.get_mut(bucket).ok_or_else(|| no_bucket(bucket))?;
        let upload = Upload {
            key: key.to_string(),
            content_type: opts.content_type.clone(),
            parts: BTreeMap::new(),
            received: BytesMut::new(),
            opts: opts.clone(),
        };
        b.uploads.insert(id.clone(), upload);
        Ok(id)
    }

    async fn upload_part(&self, bucket: &str, key: &str, upload_id: &str, part_number: u32, data: Bytes) -> Result<String> {
        self.expect_model(false, false)?;
        if !(1..=10_000).contains(&part_number) {
            return Err(Error::invalid_input(format!("part number {part_number} is outside 1..=10000")));
        }
        let mut st = self.lock();
        let b = st.buckets.get_mut(bucket).ok_or_else(|| no_bucket(bucket))?;
        let u = b.uploads.get_mut(upload_id).filter(|u| u.key == key).ok_or_else(|| no_upload(upload_id))?;
        let etag = md5_hex(&data);
        u.parts.insert(part_number, (data, etag.clone()));
        Ok(etag)
    }

    async fn complete_multipart(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        parts: &[(u32, String)],
        opts: &PutOptions,
    ) -> Result<ObjectMeta> {
        self.expect_model(false, false)?;
        let mut st = self.lock();
        let b = st.buckets.get_mut(bucket).ok_or_else(|| no_bucket(bucket))?;
        let u = b.uploads.get(upload_id).filter(|u| u.key == key).ok_or_else(|| no_upload(upload_id))?;
        if parts.is_empty() || parts.windows(2).any(|w| w[0].0 >= w[1].0) {
            return Err(Error::invalid_input("parts must be listed in ascending order").with_code("InvalidPartOrder"));
        }
        let mut data = BytesMut::new();
        let mut digests = Vec::new();
        for (i, (n, etag)) in parts.iter().enumerate() {
            let (bytes, have) = u.parts.get(n).ok_or_else(|| Error::invalid_input(format!("part {n} was not uploaded")))?;
            if have != unquote(etag) {
                return Err(Error::invalid_input(format!("part {n}: ETag mismatch")).with_code("InvalidPart"));
            }
            if i + 1 < parts.len() && (bytes.len() as u64) < self.min_part_size {
                return Err(Error::invalid_input(format!("part {n} is smaller than {} bytes", self.min_part_size))
                    .with_code("EntityTooSmall"));
            }
            data.extend_from_slice(bytes);
            digests.extend_from_slice(&Md5::digest(bytes));
        }
        check_conditions(b.objects.get(key), opts, bucket, key)?;
        let obj = Object {
            data: data.freeze(),
            etag: format!("{}-{}", md5_hex(&digests), parts.len()),
            modified: now(),
            content_type: u.content_type.clone(),
        };
        let meta = Self::meta(key, &obj);
        b.objects.insert(key.to_string(), obj);
        b.uploads.remove(upload_id);
        Ok(meta)
    }

    async fn abort_multipart(&self, bucket: &str, _key: &str, upload_id: &str) -> Result<()> {
        let mut st = self.lock();
        let b = st.buckets.get_mut(bucket).ok_or_else(|| no_bucket(bucket))?;
        b.uploads.remove(upload_id);
        Ok(())
    }

    async fn upload_block(&self, bucket: &str, key: &str, block_id: &str, data: Bytes) -> Result<()> {
        valid_key(key)?;
        self.expect_model(true, false)?;
        let UploadModel::Blocks { max_block, max_blocks } = self.model else { unreachable!("checked above") };
        if data.len() as u64 > max_block {
            return Err(Error::invalid_input(format!("block of {} bytes is over {max_block}", data.len()))
                .with_code("RequestBodyTooLarge"));
        }
        let mut st = self.lock();
        let b = st.buckets.get_mut(bucket).ok_or_else(|| no_bucket(bucket))?;
        let staged = b.blocks.entry(key.to_string()).or_default();
        // Azure: every block id of a blob has the same length.
        if staged.keys().next().is_some_and(|other| other.len() != block_id.len()) {
            return Err(Error::invalid_input("block ids of one blob must have equal lengths").with_code("InvalidBlockId"));
        }
        if staged.len() as u32 >= max_blocks && !staged.contains_key(block_id) {
            return Err(
                Error::invalid_input(format!("more than {max_blocks} uncommitted blocks")).with_code("BlockCountExceedsLimit")
            );
        }
        staged.insert(block_id.to_string(), data);
        Ok(())
    }

    async fn commit_blocks(&self, bucket: &str, key: &str, block_ids: &[String], opts: &PutOptions) -> Result<ObjectMeta> {
        self.expect_model(true, false)?;
        let mut st = self.lock();
        let b = st.buckets.get_mut(bucket).ok_or_else(|| no_bucket(bucket))?;
        let staged = b.blocks.get(key).ok_or_else(|| Error::invalid_input("no blocks staged").with_code("InvalidBlockList"))?;
        let mut data = BytesMut::new();
        for id in block_ids {
            let block = staged
                .get(id)
                .ok_or_else(|| Error::invalid_input(format!("block {id} is not staged")).with_code("InvalidBlockList"))?;
            data.extend_from_slice(block);
        }
        check_conditions(b.objects.get(key), opts, bucket, key)?;
        let data = data.freeze();
        let obj = Object { etag: md5_hex(&data), data, modified: now(), content_type: opts.content_type.clone() };
        let meta = Self::meta(key, &obj);
        b.objects.insert(key.to_string(), obj);
        // Committing discards the blocks not in the list.
        b.blocks.remove(key);
        Ok(meta)
    }

    async fn upload_chunk(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        offset: u64,
        data: Bytes,
        last: Option<u32>,
    ) -> Result<ChunkAck> {
        self.expect_model(false, true)?;
        let UploadModel::Resumable { align } = self.model else { unreachable!("checked above") };
        let mut st = self.lock();
        let b = st.buckets.get_mut(bucket).ok_or_else(|| no_bucket(bucket))?;
        let u = b.uploads.get_mut(upload_id).filter(|u| u.key == key).ok_or_else(|| no_upload(upload_id))?;
        let have = u.received.len() as u64;
        if offset != have {
            // As GCS does: the session says what it holds; the client resumes from there.
            return Ok(ChunkAck { committed: have, object: None });
        }
        if last.is_none() && !(data.len() as u64).is_multiple_of(align) {
            return Err(Error::invalid_input(format!("a chunk of {} bytes is not a multiple of {align}", data.len())));
        }
        let Some(crc) = last else {
            u.received.extend_from_slice(&data);
            return Ok(ChunkAck { committed: u.received.len() as u64, object: None });
        };
        // As GCS does with X-Goog-Hash: the object is made only of the bytes the writer hashed.
        if crc32c::crc32c_append(crc32c::crc32c(&u.received), &data) != crc {
            return Err(Error::new(ErrorKind::Integrity, "the object's CRC32C is not the one the last chunk stated"));
        }
        u.received.extend_from_slice(&data);
        let committed = u.received.len() as u64;
        let u = b.uploads.remove(upload_id).expect("found above");
        check_conditions(b.objects.get(key), &u.opts, bucket, key)?;
        let data = u.received.freeze();
        let obj = Object { etag: md5_hex(&data), data, modified: now(), content_type: u.content_type };
        let meta = Self::meta(key, &obj);
        b.objects.insert(key.to_string(), obj);
        Ok(ChunkAck { committed, object: Some(meta) })
    }

    async fn query_offset(&self, bucket: &str, key: &str, upload_id: &str) -> Result<ChunkAck> {
        self.expect_model(false, true)?;
        let st = self.lock();
        let b = st.buckets.get(bucket).ok_or_else(|| no_bucket(bucket))?;
        let u = b.uploads.get(upload_id).filter(|u| u.key == key).ok_or_else(|| no_upload(upload_id))?;
        Ok(ChunkAck { committed: u.received.len() as u64, object: None })
    }

    async fn presign(&self, _method: Method, _bucket: &str, _key: &str, _expires: Duration) -> Result<Presigned> {
        Err(Error::not_supported("memory:// has no URLs to presign"))
    }
}

fn no_upload(id: &str) -> Error {
    Error::not_found(format!("no such upload: {id}")).with_code("NoSuchUpload").with_status(404)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block<F: std::future::Future>(f: F) -> F::Output {
        futures::executor::block_on(f)
    }

    #[test]
    fn delimited_listing_pages_over_prefixes() {
        let s = MemoryStore::new();
        block(async {
            s.create_bucket("b").await.unwrap();
            for k in ["a/1", "a/2", "b/1", "c", "d/x/y"] {
                s.put("b", k, Bytes::new(), &PutOptions::default()).await.unwrap();
            }
            let mut req = ListRequest { delimited: true, max_keys: Some(1), ..Default::default() };
            let mut seen = Vec::new();
            loop {
                let page = s.list_page("b", &req).await.unwrap();
                seen.extend(page.prefixes);
                seen.extend(page.objects.into_iter().map(|o| o.key));
                match page.next_token {
                    Some(t) => req.token = Some(t),
                    None => break,
                }
            }
            assert_eq!(seen, ["a/", "b/", "c", "d/"]);
        });
    }

    #[test]
    fn multipart_etag_and_minimum() {
        let s = MemoryStore::with_min_part_size(2);
        block(async {
            s.create_bucket("b").await.unwrap();
            let id = s.create_multipart("b", "k", &PutOptions::default()).await.unwrap();
            let e1 = s.upload_part("b", "k", &id, 1, Bytes::from_static(b"a")).await.unwrap();
            let e2 = s.upload_part("b", "k", &id, 2, Bytes::from_static(b"bc")).await.unwrap();
            let parts = [(1, e1), (2, e2)];
            let err = s.complete_multipart("b", "k", &id, &parts, &PutOptions::default()).await.unwrap_err();
            assert_eq!(err.code.as_deref(), Some("EntityTooSmall"));
            let e1 = s.upload_part("b", "k", &id, 1, Bytes::from_static(b"aa")).await.unwrap();
            let parts = [(1, e1), parts[1].clone()];
            let m = s.complete_multipart("b", "k", &id, &parts, &PutOptions::default()).await.unwrap();
            assert!(m.etag.unwrap().ends_with("-2"));
            assert_eq!(&s.get("b", "k", None).await.unwrap().data[..], b"aabc");
            assert!(s.open_uploads("b").is_empty());
        });
    }

    #[test]
    fn if_match_takes_quoted_tags_and_refuses_weak_ones() {
        let s = MemoryStore::new();
        block(async {
            s.create_bucket("b").await.unwrap();
            let etag = s.put("b", "k", Bytes::from_static(b"v1"), &PutOptions::default()).await.unwrap().etag.unwrap();
            let if_match = |tag: String| PutOptions { if_match: Some(tag), ..PutOptions::default() };
            let weak = if_match(format!("W/\"{etag}\""));
            let err = s.put("b", "k", Bytes::from_static(b"v2"), &weak).await.unwrap_err();
            assert_eq!(err.kind, ErrorKind::PreconditionFailed, "If-Match compares strongly");
            s.put("b", "k", Bytes::from_static(b"v2"), &if_match(format!("\"{etag}\""))).await.unwrap();
        });
    }

    #[test]
    fn a_last_chunk_stating_another_crc32c_makes_no_object() {
        let s = MemoryStore::with_upload_model(UploadModel::Resumable { align: 2 });
        block(async {
            s.create_bucket("b").await.unwrap();
            let id = s.create_multipart("b", "k", &PutOptions::default()).await.unwrap();
            s.upload_chunk("b", "k", &id, 0, Bytes::from_static(b"he"), None).await.unwrap();
            let wrong = crc32c::crc32c(b"hellO");
            let err = s.upload_chunk("b", "k", &id, 2, Bytes::from_static(b"llo"), Some(wrong)).await.unwrap_err();
            assert_eq!(err.kind, ErrorKind::Integrity);
            assert_eq!(s.head("b", "k").await.unwrap_err().kind, ErrorKind::NotFound);
            let ack = s.upload_chunk("b", "k", &id, 2, Bytes::from_static(b"llo"), Some(crc32c::crc32c(b"hello"))).await.unwrap();
            assert_eq!(ack.committed, 5);
            assert_eq!(&s.get("b", "k", None).await.unwrap().data[..], b"hello");
        });
    }
}
