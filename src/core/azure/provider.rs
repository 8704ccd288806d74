//! Azure Blob as a [`Provider`] for the shared driver: each primitive is one builder from
//! `request.rs` paired with its parser from `response.rs`.

use bytes::Bytes;

use super::config::AzureConfig;
use super::{request as rq, response as rs};
use crate::core::error::{Error, Result};
use crate::core::http::{Method, Request, Response};
use crate::core::provider::{Call, Provider, Quirks};
use crate::core::types::{
    BucketInfo, ByteRange, Capabilities, Copied, DeleteFailure, ListPage, ListRequest, ObjectMeta, PutOptions,
};
use crate::core::upload::UploadModel;

fn blocks_only() -> Error {
    Error::not_supported("az: numbered parts (Azure takes staged blocks committed by a block list)")
}

impl Provider for AzureConfig {
    fn protocol(&self) -> &'static str {
        "az"
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            // A service SAS from an account key, or a given SAS appended; the driver turns it
            // off for bearer tokens and anonymous access.
            presign: true,
            // Keys with odd segments go with `/` as `%2F` (see `encode_blob_name`).
            any_key: true,
            // No abort: uncommitted blocks are invisible and expire (7 days on the service).
            upload: UploadModel::AZURE_BLOCKS,
            max_delete_batch: rq::MAX_DELETE,
            conditional_put: true,
            s3_etags: false,
        }
    }

    fn quirks(&self) -> Quirks {
        self.quirks
    }

    fn parse_error(&self, resp: &Response) -> Error {
        rs::parse_error(resp)
    }

    /// The first page; the driver pages with `list_buckets_page`.
    fn list_buckets(&self) -> Result<Call<Vec<BucketInfo>>> {
        Ok(self.list_buckets_page(None)?.map(|(b, _)| b))
    }

    /// A page of up to 5000 containers; `NextMarker` asks for the next.
    fn list_buckets_page(&self, marker: Option<&str>) -> Result<Call<(Vec<BucketInfo>, Option<String>)>> {
        Ok(Call::new(rq::list_containers(self, marker)?, rs::parse_list_containers))
    }

    fn create_bucket(&self, bucket: &str) -> Result<Call<()>> {
        Ok(Call::unit(rq::create_container(self, bucket)?))
    }

    fn delete_bucket(&self, bucket: &str) -> Result<Call<()>> {
        Ok(Call::unit(rq::delete_container(self, bucket)?))
    }

    fn head_bucket(&self, bucket: &str) -> Result<Call<()>> {
        Ok(Call::unit(rq::get_container_properties(self, bucket)?))
    }

    fn list_page(&self, bucket: &str, req: &ListRequest) -> Result<Call<ListPage>> {
        let skip = req.token.is_none().then(|| req.start_after.clone()).flatten();
        Ok(Call::new(rq::list_blobs(self, bucket, req)?, move |r| rs::parse_list_blobs(r, skip.as_deref())))
    }

    fn head(&self, bucket: &str, key: &str) -> Result<Call<ObjectMeta>> {
        let k = key.to_string();
        Ok(Call::new(rq::get_properties(self, bucket, key)?, move |r| rs::parse_properties(&k, r)))
    }

    fn get(&self, bucket: &str, key: &str, range: Option<ByteRange>, if_match: Option<&str>) -> Result<Request> {
        rq::get_blob(self, bucket, key, range, if_match)
    }

    fn parse_get(&self, key: &str, resp: &Response) -> Result<(ObjectMeta, Bytes)> {
        if self.quirks.inverted_empty_ranges
            && let Some(size) = rs::inverted_empty_range(resp)
        {
            let mut meta = rs::parse_properties(key, resp).unwrap_or_else(|_| ObjectMeta::new(key, size));
            meta.size = size;
            return Ok((meta, Bytes::new()));
        }
        rs::parse_get_blob(key, resp)
    }

    fn put(&self, bucket: &str, key: &str, data: Bytes, opts: &PutOptions) -> Result<Call<ObjectMeta>> {
        let (k, sent) = (key.to_string(), data.clone());
        Ok(Call::new(rq::put_blob(self, bucket, key, data, opts)?, move |r| rs::parse_written(&k, Some(&sent), r)))
    }

    fn holds(&self, meta: &ObjectMeta, data: &[u8]) -> bool {
        // Put Blob stores the MD5 it checked, and Get Blob Properties reports it; a blob
        // without one proves nothing, so the error stands.
        meta.size == data.len() as u64 && meta.content_md5.as_deref() == Some(rq::content_md5(data).as_str())
    }

    /// The first call is Copy Blob; a copy left `pending` is followed by Get Blob Properties
    /// on the destination (its `x-ms-copy-status`) until it is done.
    fn copy(
        &self,
        src_bucket: &str,
        src_key: &str,
        dst_bucket: &str,
        dst_key: &str,
        token: Option<&str>,
    ) -> Result<Call<Copied>> {
        match token {
            None => {
                Ok(Call::new(rq::copy_blob(self, src_bucket, src_key, dst_bucket, dst_key)?, |r| rs::parse_copy_status(r, None)))
            }
            Some(id) => {
                let id = id.to_string();
                Ok(Call::new(rq::get_properties(self, dst_bucket, dst_key)?, move |r| rs::parse_copy_status(r, Some(&id))))
            }
        }
    }

    fn delete_batch(&self, bucket: &str, keys: &[String]) -> Result<Call<Vec<DeleteFailure>>> {
        if let [key] = keys {
            // One key is one Delete Blob; already gone is deleted.
            return Ok(Call::new(rq::delete_blob(self, bucket, key)?, |_| Ok(Vec::new())).also_ok(404));
        }
        let (outer, parts) = rq::batch_delete(self, bucket, keys)?;
        let keys = keys.to_vec();
        Ok(Call::new(outer, move |r| rs::parse_batch_delete(r, &keys)).with_parts(parts, rq::assemble_batch))
    }

    fn create_multipart(&self, _bucket: &str, _key: &str, _opts: &PutOptions) -> Result<Call<String>> {
        Err(blocks_only())
    }

    fn upload_part(&self, _bucket: &str, _key: &str, _upload_id: &str, _number: u32, _data: Bytes) -> Result<Call<String>> {
        Err(blocks_only())
    }

    fn complete_multipart(
        &self,
        _bucket: &str,
        _key: &str,
        _upload_id: &str,
        _parts: &[(u32, String)],
        _opts: &PutOptions,
    ) -> Result<Call<ObjectMeta>> {
        Err(blocks_only())
    }

    fn abort_multipart(&self, _bucket: &str, _key: &str, _upload_id: &str) -> Result<Call<()>> {
        Err(blocks_only())
    }

    fn upload_block(&self, bucket: &str, key: &str, block_id: &str, data: Bytes) -> Result<Call<()>> {
        Ok(Call::unit(rq::put_block(self, bucket, key, block_id, data)?))
    }

    fn commit_blocks(&self, bucket: &str, key: &str, block_ids: &[String], opts: &PutOptions) -> Result<Call<ObjectMeta>> {
        let k = key.to_string();
        Ok(Call::new(rq::put_block_list(self, bucket, key, block_ids, opts)?, move |r| rs::parse_written(&k, None, r)))
    }

    fn presign_request(&self, method: Method, bucket: &str, key: &str) -> Result<Request> {
        rq::presign_target(self, method, bucket, key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::error::ErrorKind;
    use crate::core::http::Headers;

    fn cfg() -> AzureConfig {
        AzureConfig::custom("http://127.0.0.1:10000/devstoreaccount1").unwrap()
    }

    fn answer(status: u16, headers: &[(&str, &str)]) -> Response {
        let mut h = Headers::new();
        for (k, v) in headers {
            h.set(*k, *v);
        }
        Response::new(status, h, "")
    }

    #[test]
    fn a_pending_copy_is_followed_on_the_destination() {
        let c = cfg();
        let first = c.copy("ct1", "a", "ct2", "b", None).unwrap();
        assert_eq!((first.request.method, first.request.path.as_str()), (Method::Put, "/devstoreaccount1/ct2/b"));
        let pending = answer(202, &[("x-ms-copy-status", "pending"), ("x-ms-copy-id", "id1")]);
        assert_eq!((first.parse)(&pending).unwrap(), Copied::Pending("id1".into()));
        let poll = c.copy("ct1", "a", "ct2", "b", Some("id1")).unwrap();
        assert_eq!((poll.request.method, poll.request.path.as_str()), (Method::Head, "/devstoreaccount1/ct2/b"));
        let done = answer(200, &[("x-ms-copy-status", "success"), ("x-ms-copy-id", "id1")]);
        assert_eq!((poll.parse)(&done).unwrap(), Copied::Done);
    }

    #[test]
    fn a_lost_create_only_write_is_recognised_by_its_md5() {
        let head = answer(200, &[("content-length", "5"), ("content-md5", "XUFAKrxLKna5cZ2REBfFkg=="), ("etag", "\"0x1\"")]);
        let meta = (cfg().head("ct1", "k").unwrap().parse)(&head).unwrap();
        assert!(cfg().holds(&meta, b"hello"));
        assert!(!cfg().holds(&meta, b"hellO"), "another writer's bytes");
        let without = (cfg().head("ct1", "k").unwrap().parse)(&answer(200, &[("content-length", "5")])).unwrap();
        assert!(!cfg().holds(&without, b"hello"), "no MD5, no proof");
    }

    #[test]
    fn statuses_and_capabilities() {
        let c = cfg();
        let del = c.delete_batch("ct1", &["k".to_string()]).unwrap();
        assert!(del.accepts(&answer(404, &[])) && !del.accepts(&answer(412, &[])));
        assert_eq!(del.request.headers.get("x-ms-delete-snapshots"), Some("include"));
        let batch = c.delete_batch("ct1", &["a".to_string(), "b".to_string()]).unwrap();
        assert_eq!((batch.request.method, batch.parts.as_ref().map(|p| p.requests.len())), (Method::Post, Some(2)));
        assert!(c.delete_batch("ct1", &vec!["k".to_string(); rq::MAX_DELETE + 1]).is_err());
        assert_eq!(c.create_multipart("ct1", "k", &PutOptions::default()).unwrap_err().kind, ErrorKind::NotSupported);
        let caps = c.capabilities();
        assert_eq!((caps.upload, caps.max_delete_batch, caps.s3_etags), (UploadModel::AZURE_BLOCKS, 256, false));
        assert_eq!(c.protocol(), "az");
        // A listing asked to start after a name drops it on the first page only.
        let body = "<EnumerationResults><Blobs><Blob><Name>a</Name><Properties><Content-Length>1</Content-Length></Properties></Blob>\
                    <Blob><Name>b</Name><Properties><Content-Length>2</Content-Length></Properties></Blob></Blobs><NextMarker/></EnumerationResults>";
        let first = ListRequest { start_after: Some("a".into()), ..Default::default() };
        let page = (c.list_page("ct1", &first).unwrap().parse)(&Response::new(200, Headers::new(), body)).unwrap();
        assert_eq!(page.objects.iter().map(|o| o.key.as_str()).collect::<Vec<_>>(), ["b"]);
        let later = ListRequest { token: Some("m".into()), ..first };
        assert_eq!(
            (c.list_page("ct1", &later).unwrap().parse)(&Response::new(200, Headers::new(), body)).unwrap().objects.len(),
            2
        );
    }
}
