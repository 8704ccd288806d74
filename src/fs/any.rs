//! `AnyStore`: one type for whichever backend a URL names, so the CLI and the bindings can
//! hold a `FileSystem<AnyStore>` without being generic. Generic over the transport, so the
//! same enum serves native (reqwest, the default there) and wasm32 (fetch, the default there).

use std::time::Duration;

use bytes::Bytes;

use super::memory::MemoryStore;
use super::store::{Capabilities, ChunkAck, DeleteFailure, GetResult, Presigned, Store};
use crate::core::error::Result;
use crate::core::http::Method;
use crate::core::types::{BucketInfo, ByteRange, ListPage, ListRequest, ObjectMeta, PutOptions};
use crate::transport::Transport;

#[derive(Clone, Debug)]
pub enum AnyStore<T = crate::transport::DefaultTransport> {
    Memory(MemoryStore),
    #[cfg(feature = "native")]
    Local(super::local::LocalStore),
    S3(super::s3::S3Store<T>),
    Gcs(super::gcs::GcsStore<T>),
    Azure(super::azure::AzureStore<T>),
}

/// Forward one call to whichever store is inside.
macro_rules! each {
    ($self:ident, $s:ident => $e:expr) => {
        match $self {
            AnyStore::Memory($s) => $e,
            #[cfg(feature = "native")]
            AnyStore::Local($s) => $e,
            AnyStore::S3($s) => $e,
            AnyStore::Gcs($s) => $e,
            AnyStore::Azure($s) => $e,
        }
    };
}

impl<T: Transport> Store for AnyStore<T> {
    fn protocol(&self) -> &'static str {
        each!(self, s => s.protocol())
    }
    fn capabilities(&self) -> Capabilities {
        each!(self, s => s.capabilities())
    }
    async fn list_buckets(&self) -> Result<Vec<BucketInfo>> {
        each!(self, s => s.list_buckets().await)
    }
    async fn create_bucket(&self, bucket: &str) -> Result<()> {
        each!(self, s => s.create_bucket(bucket).await)
    }
    async fn delete_bucket(&self, bucket: &str) -> Result<()> {
        each!(self, s => s.delete_bucket(bucket).await)
    }
    async fn bucket_exists(&self, bucket: &str) -> Result<bool> {
        each!(self, s => s.bucket_exists(bucket).await)
    }
    async fn list_page(&self, bucket: &str, req: &ListRequest) -> Result<ListPage> {
        each!(self, s => s.list_page(bucket, req).await)
    }
    async fn head(&self, bucket: &str, key: &str) -> Result<ObjectMeta> {
        each!(self, s => s.head(bucket, key).await)
    }
    async fn get(&self, bucket: &str, key: &str, range: Option<ByteRange>) -> Result<GetResult> {
        each!(self, s => s.get(bucket, key, range).await)
    }
    async fn put(&self, bucket: &str, key: &str, data: Bytes, opts: &PutOptions) -> Result<ObjectMeta> {
        each!(self, s => s.put(bucket, key, data, opts).await)
    }
    async fn copy(&self, src_bucket: &str, src_key: &str, dst_bucket: &str, dst_key: &str) -> Result<()> {
        each!(self, s => s.copy(src_bucket, src_key, dst_bucket, dst_key).await)
    }
    async fn delete_batch(&self, bucket: &str, keys: &[String]) -> Result<Vec<DeleteFailure>> {
        each!(self, s => s.delete_batch(bucket, keys).await)
    }
    async fn create_multipart(&self, bucket: &str, key: &str, opts: &PutOptions) -> Result<String> {
        each!(self, s => s.create_multipart(bucket, key, opts).await)
    }
    async fn upload_part(&self, bucket: &str, key: &str, upload_id: &str, part_number: u32, data: Bytes) -> Result<String> {
        each!(self, s => s.upload_part(bucket, key, upload_id, part_number, data).await)
    }
    async fn complete_multipart(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        parts: &[(u32, String)],
        opts: &PutOptions,
    ) -> Result<ObjectMeta> {
        each!(self, s => s.complete_multipart(bucket, key, upload_id, parts, opts).await)
    }
    async fn abort_multipart(&self, bucket: &str, key: &str, upload_id: &str) -> Result<()> {
        each!(self, s => s.abort_multipart(bucket, key, upload_id).await)
    }
    async fn upload_block(&self, bucket: &str, key: &str, block_id: &str, data: Bytes) -> Result<()> {
        each!(self, s => s.upload_block(bucket, key, block_id, data).await)
    }
    async fn commit_blocks(&self, bucket: &str, key: &str, block_ids: &[String], opts: &PutOptions) -> Result<ObjectMeta> {
        each!(self, s => s.commit_blocks(bucket, key, block_ids, opts).await)
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
        each!(self, s => s.upload_chunk(bucket, key, upload_id, offset, data, last).await)
    }
    async fn query_offset(&self, bucket: &str, key: &str, upload_id: &str) -> Result<ChunkAck> {
        each!(self, s => s.query_offset(bucket, key, upload_id).await)
    }
    async fn presign(&self, method: Method, bucket: &str, key: &str, expires: Duration) -> Result<Presigned> {
        each!(self, s => s.presign(method, bucket, key, expires).await)
    }
}
