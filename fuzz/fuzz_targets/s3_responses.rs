//! Every S3 response parser on arbitrary status, headers and body: errors are fine, panics
//! are not.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pailfs::core::http::{Headers, Response};
use pailfs::core::s3;

const STATUSES: [u16; 6] = [200, 204, 206, 404, 412, 503];
const HEADERS: [&str; 6] = ["Content-Length", "Content-Range", "ETag", "Last-Modified", "x-amz-checksum-crc32c", "Retry-After"];

fuzz_target!(|data: &[u8]| {
    let Some((&[st, mask, split], rest)) = data.split_first_chunk::<3>() else { return };
    // Header values come from the start of the rest, the body is what follows.
    let split = (split as usize).min(rest.len());
    let (values, body) = rest.split_at(split);
    let values = String::from_utf8_lossy(values);
    let mut parts = values.split('\n');
    let mut headers = Headers::new();
    for (i, name) in HEADERS.iter().enumerate() {
        if mask & (1 << i) != 0 {
            headers.set(*name, parts.next().unwrap_or("").to_string());
        }
    }
    let r = Response::new(STATUSES[st as usize % STATUSES.len()], headers, body.to_vec());
    let _ = s3::parse_error(&r);
    let _ = s3::parse_list_buckets(&r);
    let _ = s3::parse_list_objects_v2(&r);
    let _ = s3::parse_list_objects_v1(&r);
    let _ = s3::parse_head_object("k", &r);
    let _ = s3::parse_get_object("k", &r);
    let _ = s3::parse_put_object("k", 1, &r);
    let _ = s3::parse_copy_object(&r);
    let _ = s3::parse_delete_objects(&r);
    let _ = s3::parse_create_multipart(&r);
    let _ = s3::parse_upload_part(&r);
    let _ = s3::parse_complete_multipart("k", &r);
    let _ = s3::parse_list_multipart_uploads(&r);
});
