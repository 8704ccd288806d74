//! S3 as a [`Provider`] for the shared driver: each primitive is one builder from
//! `request.rs` paired with its parser from `response.rs`.

use bytes::Bytes;

use super::config::S3Config;
use super::{request as rq, response as rs};
use crate::core::error::{Error, Result};
use crate::core::etag::md5_hex;
use crate::core::http::{Method, Request, Response};
use crate::core::provider::{Call, Provider, Quirks};
use crate::core::types::{
    BucketInfo, ByteRange, Capabilities, Copied, DeleteFailure, ListPage, ListRequest, ObjectMeta, PutOptions,
};

impl Provider for S3Config {
    fn protocol(&self) -> &'static str {
        "s3"
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            presign: true,
            any_key: true,
            upload: crate::core::upload::UploadModel::S3,
            max_delete_batch: rq::MAX_DELETE,
            conditional_put: true,
            s3_etags: true,
        }
    }

    fn quirks(&self) -> Quirks {
        self.quirks
    }

    fn parse_error(&self, resp: &Response) -> Error {
        rs::parse_error(resp)
    }

    fn list_buckets(&self) -> Result<Call<Vec<BucketInfo>>> {
        Ok(Call::new(rq::list_buckets(self)?, rs::parse_list_buckets))
    }

    fn create_bucket(&self, bucket: &str) -> Result<Call<()>> {
        Ok(Call::unit(rq::create_bucket(self, bucket)?))
    }

    fn delete_bucket(&self, bucket: &str) -> Result<Call<()>> {
        Ok(Call::unit(rq::delete_bucket(self, bucket)?))
    }

    fn head_bucket(&self, bucket: &str) -> Result<Call<()>> {
        Ok(Call::unit(rq::head_bucket(self, bucket)?))
    }

    fn list_page(&self, bucket: &str, req: &ListRequest) -> Result<Call<ListPage>> {
        Ok(Call::new(rq::list_objects_v2(self, bucket, req)?, rs::parse_list_objects_v2))
    }

    fn head(&self, bucket: &str, key: &str) -> Result<Call<ObjectMeta>> {
        let k = key.to_string();
        Ok(Call::new(rq::head_object(self, bucket, key)?, move |r| rs::parse_head_object(&k, r)))
    }

    fn get(&self, bucket: &str, key: &str, range: Option<ByteRange>, if_match: Option<&str>) -> Result<Request> {
        rq::get_object(self, bucket, key, range, if_match)
    }

    fn parse_get(&self, key: &str, resp: &Response) -> Result<(ObjectMeta, Bytes)> {
        rs::parse_get_object(key, resp)
    }

    fn put(&self, bucket: &str, key: &str, data: Bytes, opts: &PutOptions) -> Result<Call<ObjectMeta>> {
        let (k, size) = (key.to_string(), data.len() as u64);
        Ok(Call::new(rq::put_object(self, bucket, key, data, opts)?, move |r| rs::parse_put_object(&k, size, r)))
    }

    fn holds(&self, meta: &ObjectMeta, data: &[u8]) -> bool {
        meta.size == data.len() as u64 && meta.etag.as_deref() == Some(&md5_hex(data))
    }

    fn copy(
        &self,
        src_bucket: &str,
        src_key: &str,
        dst_bucket: &str,
        dst_key: &str,
        _token: Option<&str>,
    ) -> Result<Call<Copied>> {
        // CopyObject is one call (up to 5 GB).
        let req = rq::copy_object(self, src_bucket, src_key, dst_bucket, dst_key)?;
        Ok(Call::new(req, |r| rs::parse_copy_object(r).map(|()| Copied::Done)))
    }

    fn delete_batch(&self, bucket: &str, keys: &[String]) -> Result<Call<Vec<DeleteFailure>>> {
        Ok(Call::new(rq::delete_objects(self, bucket, keys)?, rs::parse_delete_objects))
    }

    fn create_multipart(&self, bucket: &str, key: &str, opts: &PutOptions) -> Result<Call<String>> {
        Ok(Call::new(rq::create_multipart(self, bucket, key, opts)?, rs::parse_create_multipart))
    }

    fn upload_part(&self, bucket: &str, key: &str, upload_id: &str, number: u32, data: Bytes) -> Result<Call<String>> {
        Ok(Call::new(rq::upload_part(self, bucket, key, upload_id, number, data)?, rs::parse_upload_part))
    }

    fn complete_multipart(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        parts: &[(u32, String)],
        opts: &PutOptions,
    ) -> Result<Call<ObjectMeta>> {
        let k = key.to_string();
        let req = rq::complete_multipart(self, bucket, key, upload_id, parts, opts)?;
        // The size is not in the answer: the writer knows it (asking with a HEAD could fail
        // after the object was made, turning a done write into a reported failure).
        Ok(Call::new(req, move |r| rs::parse_complete_multipart(&k, r)))
    }

    fn abort_multipart(&self, bucket: &str, key: &str, upload_id: &str) -> Result<Call<()>> {
        Ok(Call::unit(rq::abort_multipart(self, bucket, key, upload_id)?))
    }

    fn presign_request(&self, method: Method, bucket: &str, key: &str) -> Result<Request> {
        let mut req = match method {
            Method::Get => {
                let mut r = rq::get_object(self, bucket, key, None, None)?;
                // Whoever uses the URL sends no extra headers; none may be signed.
                r.headers.remove("x-amz-checksum-mode");
                r
            }
            Method::Head => rq::head_object(self, bucket, key)?,
            Method::Put => {
                let mut r = rq::put_object(self, bucket, key, Bytes::new(), &PutOptions::default())?;
                // The uploader chooses these; they must not be pinned by the signature.
                r.headers.remove("content-type");
                r.headers.remove("content-length");
                r.headers.remove("x-amz-checksum-crc32c");
                r
            }
            Method::Delete => rq::delete_object(self, bucket, key)?,
            m => return Err(Error::not_supported(format!("presigning {} requests", m.as_str()))),
        };
        // A signed header is one the holder must send; S3 takes the requester-pays agreement
        // in the query too, where the URL carries it.
        if let Some(v) = req.headers.get("x-amz-request-payer").map(str::to_string) {
            req.headers.remove("x-amz-request-payer");
            req.query.push(("x-amz-request-payer".into(), v));
        }
        Ok(req)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presigned_requests_sign_no_header_the_holder_must_send() {
        let mut cfg = S3Config::custom("http://127.0.0.1:9", "us-east-1").unwrap();
        cfg.requester_pays = true;
        for m in [Method::Get, Method::Put, Method::Head, Method::Delete] {
            let r = cfg.presign_request(m, "bucket", "k").unwrap();
            assert_eq!(r.headers.iter().map(|(k, _)| k.to_ascii_lowercase()).collect::<Vec<_>>(), Vec::<String>::new(), "{m:?}");
            assert!(r.query.contains(&("x-amz-request-payer".to_string(), "requester".to_string())), "{m:?}");
        }
        assert_eq!(
            cfg.presign_request(Method::Post, "bucket", "k").unwrap_err().kind,
            crate::core::error::ErrorKind::NotSupported
        );
    }

    #[test]
    fn a_plain_put_is_recognised_by_its_md5_etag() {
        let cfg = S3Config::custom("http://127.0.0.1:9", "us-east-1").unwrap();
        let mut m = ObjectMeta::new("k", 4);
        m.etag = Some(md5_hex(b"mine"));
        assert!(cfg.holds(&m, b"mine"));
        assert!(!cfg.holds(&m, b"them"));
        m.size = 5;
        assert!(!cfg.holds(&m, b"mine"));
    }
}
