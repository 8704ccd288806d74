//! GCS as a [`Provider`] for the shared driver: each primitive is one builder from
//! `request.rs` paired with its parser from `response.rs`.

use bytes::Bytes;

use super::config::GcsConfig;
use super::{batch, request as rq, response as rs};
use crate::core::error::{Error, Result};
use crate::core::http::{Method, Request, Response};
use crate::core::provider::{Call, Provider, Quirks};
use crate::core::types::{
    BucketInfo, ByteRange, Capabilities, ChunkAck, Copied, DeleteFailure, ListPage, ListRequest, ObjectMeta, PutOptions,
};
use crate::core::upload::UploadModel;

/// What GCS answers a cancelled resumable session with ("client closed request").
const CANCELLED: u16 = 499;
/// A chunk or offset query whose session is still open.
const RESUME_INCOMPLETE: u16 = 308;

impl Provider for GcsConfig {
    fn protocol(&self) -> &'static str {
        "gs"
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            // With a service account key (V4 RSA signatures); the driver turns it off for
            // bearer tokens and anonymous access, which cannot sign.
            presign: true,
            any_key: true,
            upload: UploadModel::GCS_RESUMABLE,
            max_delete_batch: if self.quirks.no_batch_delete { 1 } else { batch::MAX_BATCH },
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

    fn list_buckets_page(&self, token: Option<&str>) -> Result<Call<(Vec<BucketInfo>, Option<String>)>> {
        Ok(Call::new(rq::list_buckets(self, token)?, rs::parse_list_buckets))
    }

    fn create_bucket(&self, bucket: &str) -> Result<Call<()>> {
        Ok(Call::new(rq::create_bucket(self, bucket)?, rs::parse_create_bucket).also_ok(409))
    }

    fn delete_bucket(&self, bucket: &str) -> Result<Call<()>> {
        Ok(Call::unit(rq::delete_bucket(self, bucket)?))
    }

    fn head_bucket(&self, bucket: &str) -> Result<Call<()>> {
        Ok(Call::unit(rq::get_bucket(self, bucket)?))
    }

    fn list_page(&self, bucket: &str, req: &ListRequest) -> Result<Call<ListPage>> {
        // startOffset is inclusive and only sent on a first page: only there is the name dropped.
        let skip = req.token.is_none().then(|| req.start_after.clone()).flatten();
        Ok(Call::new(rq::list_objects(self, bucket, req)?, move |r| rs::parse_list_objects(r, skip.as_deref())))
    }

    fn head(&self, bucket: &str, key: &str) -> Result<Call<ObjectMeta>> {
        Ok(Call::new(rq::get_object(self, bucket, key)?, |r| rs::parse_object(r).map(|o| o.meta)))
    }

    fn get(&self, bucket: &str, key: &str, range: Option<ByteRange>, if_match: Option<&str>) -> Result<Request> {
        rq::get_media(self, bucket, key, range, if_match)
    }

    fn parse_get(&self, key: &str, resp: &Response) -> Result<(ObjectMeta, Bytes)> {
        rs::parse_get_media(key, resp)
    }

    fn put(&self, bucket: &str, key: &str, data: Bytes, opts: &PutOptions) -> Result<Call<ObjectMeta>> {
        let (k, sent) = (key.to_string(), data.clone());
        let req = rq::insert_multipart(self, bucket, key, data, opts)?;
        // A write with a generation condition is idempotent (its repeat is refused, then
        // confirmed by content: `confirm_write`), so a lost answer may be asked again, as
        // Google's libraries do; an unconditional one is not repeated.
        let conditional = req.query.iter().any(|(k, _)| k == "ifGenerationMatch");
        let call = Call::new(req, move |r| rs::parse_insert(&k, &sent, r));
        Ok(if conditional { call.repeatable() } else { call })
    }

    fn holds(&self, _meta: &ObjectMeta, _data: &[u8]) -> bool {
        // `ObjectMeta` carries no hash of a GCS object: `confirm_write` asks for one.
        false
    }

    fn confirm_write(&self, bucket: &str, key: &str, data: &Bytes) -> Option<Result<Call<Option<ObjectMeta>>>> {
        let (k, sent) = (key.to_string(), data.clone());
        let req = rq::get_object(self, bucket, key);
        let holds = move |r: &Response| {
            let o = rs::parse_object(r)?;
            Ok(o.holds(&k, &sent).then_some(o.meta))
        };
        Some(req.map(|req| Call::new(req, holds)))
    }

    fn copy(
        &self,
        src_bucket: &str,
        src_key: &str,
        dst_bucket: &str,
        dst_key: &str,
        token: Option<&str>,
    ) -> Result<Call<Copied>> {
        Ok(Call::new(rq::rewrite_object(self, src_bucket, src_key, dst_bucket, dst_key, token)?, rs::parse_rewrite))
    }

    fn delete_batch(&self, bucket: &str, keys: &[String]) -> Result<Call<Vec<DeleteFailure>>> {
        match keys {
            // One key is one DELETE, with or without a batch endpoint; already gone is deleted.
            [key] => Ok(Call::new(rq::delete_object(self, bucket, key)?, rs::parse_delete).also_ok(404)),
            _ if self.quirks.no_batch_delete => Err(Error::invalid_input(format!(
                "this GCS server takes one key per delete (no batch endpoint), not {}",
                keys.len()
            ))),
            _ => {
                let asked = keys.to_vec();
                Ok(Call::new(batch::delete_batch(self, bucket, keys)?, move |r| batch::parse_delete_batch(&asked, r)))
            }
        }
    }

    fn create_multipart(&self, bucket: &str, key: &str, opts: &PutOptions) -> Result<Call<String>> {
        // A session that is never used expires and makes no object: a lost answer is asked again.
        Ok(Call::new(rq::start_resumable(self, bucket, key, opts)?, rs::parse_start_resumable).repeatable())
    }

    fn upload_part(&self, _bucket: &str, _key: &str, _upload_id: &str, _number: u32, _data: Bytes) -> Result<Call<String>> {
        Err(Error::not_supported("gs: numbered parts (GCS takes resumable chunks)"))
    }

    fn complete_multipart(
        &self,
        _bucket: &str,
        _key: &str,
        _upload_id: &str,
        _parts: &[(u32, String)],
        _opts: &PutOptions,
    ) -> Result<Call<ObjectMeta>> {
        Err(Error::not_supported("gs: numbered parts (GCS takes resumable chunks)"))
    }

    fn abort_multipart(&self, _bucket: &str, _key: &str, upload_id: &str) -> Result<Call<()>> {
        // 404 (the session is gone already) the driver takes as done.
        Ok(Call::new(rq::cancel_resumable(self, upload_id)?, rs::parse_cancel).also_ok(CANCELLED))
    }

    fn upload_chunk(
        &self,
        _bucket: &str,
        _key: &str,
        upload_id: &str,
        offset: u64,
        data: Bytes,
        last: Option<u32>,
    ) -> Result<Call<ChunkAck>> {
        let req = rq::upload_chunk(self, upload_id, offset, data, last)?;
        // An answer that cannot be read (a body broken off) says nothing of what the session
        // kept: retryable, so the upload machine asks the session instead of giving up.
        let parse = |r: &Response| rs::parse_chunk_ack(r).map_err(|e| e.retryable(true));
        Ok(Call::new(req, parse).also_ok(RESUME_INCOMPLETE).once())
    }

    fn query_offset(&self, _bucket: &str, _key: &str, upload_id: &str) -> Result<Call<ChunkAck>> {
        Ok(Call::new(rq::query_offset(self, upload_id)?, rs::parse_chunk_ack).also_ok(RESUME_INCOMPLETE))
    }

    fn presign_request(&self, method: Method, bucket: &str, key: &str) -> Result<Request> {
        rq::signed_url_target(self, method, bucket, key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::error::ErrorKind;
    use crate::core::http::Headers;

    fn cfg() -> GcsConfig {
        GcsConfig::custom("http://127.0.0.1:9023").unwrap().with_project(Some("p".into()))
    }

    const SESSION: &str = "http://127.0.0.1:9023/upload/storage/v1/b/bkt/o?uploadType=resumable&upload_id=s";

    fn answer(status: u16) -> Response {
        Response::new(status, Headers::new(), "")
    }

    #[test]
    fn statuses_each_call_takes_as_answers() {
        let c = cfg();
        let abort = c.abort_multipart("bkt", "k", SESSION).unwrap();
        assert!(abort.accepts(&answer(499)) && !abort.accepts(&answer(404)), "404 is the driver's to forgive");
        assert!((abort.parse)(&answer(499)).is_ok());
        let chunk = c.upload_chunk("bkt", "k", SESSION, 0, Bytes::from_static(b"x"), None).unwrap();
        assert!(chunk.accepts(&answer(308)) && !chunk.retry, "a chunk is sent once; the machine decides");
        let cut = Response::new(200, Headers::new(), r#"{"name":"k","si"#);
        assert!((chunk.parse)(&cut).unwrap_err().retryable, "a cut answer sends the machine to ask the offset");
        assert!(c.create_multipart("bkt", "k", &PutOptions::default()).unwrap().repeatable, "a POST safe to repeat");
        assert!(!c.put("bkt", "k", Bytes::new(), &PutOptions::default()).unwrap().repeatable);
        let query = c.query_offset("bkt", "k", SESSION).unwrap();
        assert!(query.accepts(&answer(308)) && query.retry);
        let del = c.delete_batch("bkt", &["k".to_string()]).unwrap();
        assert!(del.accepts(&answer(404)) && (del.parse)(&answer(404)).unwrap().is_empty());
        assert!(!del.accepts(&answer(412)));
        let two = ["a".to_string(), "b".to_string()];
        assert_eq!(c.delete_batch("bkt", &two).unwrap().request.path, "/batch/storage/v1");
        let single = GcsConfig { quirks: Quirks { no_batch_delete: true, ..Quirks::default() }, ..cfg() };
        assert!(single.delete_batch("bkt", &two).is_err());
        assert_eq!(single.capabilities().max_delete_batch, 1);
        let create = c.create_bucket("bkt").unwrap();
        assert!(create.accepts(&answer(409)));
        assert_eq!((create.parse)(&answer(409)).unwrap_err().kind, ErrorKind::AlreadyExists);
        assert_eq!(c.upload_part("bkt", "k", "id", 1, Bytes::new()).unwrap_err().kind, ErrorKind::NotSupported);
    }

    #[test]
    fn listing_skips_start_after_on_the_first_page_only() {
        let body = r#"{"items":[{"name":"a","size":"1"},{"name":"b","size":"1"}]}"#;
        let first = ListRequest { start_after: Some("a".into()), ..Default::default() };
        let call = cfg().list_page("bkt", &first).unwrap();
        assert_eq!((call.parse)(&Response::new(200, Headers::new(), body)).unwrap().objects.len(), 1);
        let later = ListRequest { token: Some("t".into()), ..first };
        let call = cfg().list_page("bkt", &later).unwrap();
        assert_eq!((call.parse)(&Response::new(200, Headers::new(), body)).unwrap().objects.len(), 2);
    }

    #[test]
    fn capabilities_are_gcs() {
        let caps = cfg().capabilities();
        assert_eq!((caps.upload, caps.s3_etags, caps.max_delete_batch), (UploadModel::GCS_RESUMABLE, false, 100));
        assert_eq!(cfg().protocol(), "gs");
    }
}
