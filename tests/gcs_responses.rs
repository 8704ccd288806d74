//! The recorded GCS JSON API answers under ../shared/vectors/gcs-json-responses (loaded from
//! there, never copied here) go through the GCS parsers. Every file is accounted for: a
//! recorded answer is checked field by field, a license or notice file is counted as such, and
//! any other file fails the test, so a new vector cannot be skipped silently.

mod common;

use std::path::{Path, PathBuf};

use pailfs::ErrorKind;
use pailfs::core::gcs;
use pailfs::core::http::{Headers, Response};

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    out.sort();
    out
}

fn answer(status: u16, path: &Path) -> Response {
    let mut h = Headers::new();
    h.set("Content-Type", "application/json; charset=UTF-8");
    Response::new(status, h, std::fs::read(path).unwrap())
}

fn check_error(path: &Path) {
    let e = gcs::parse_error(&answer(401, path));
    assert_eq!((e.kind, e.status), (ErrorKind::PermissionDenied, Some(401)), "{e:?}");
    assert_eq!((e.code.as_deref(), e.message.as_str()), (Some("required"), "Login Required"));
    assert!(!e.retryable);
}

fn check_object(path: &Path) {
    let o = gcs::parse_object(&answer(200, path)).unwrap();
    let m = &o.meta;
    assert_eq!((m.key.as_str(), m.size), ("1.png", 56535));
    // The generation is the etag and the version (see core::gcs); GCS's own etag is not used.
    assert_eq!((m.etag.as_deref(), m.version.as_deref()), (Some("1660563214863653"), Some("1660563214863653")));
    assert_eq!((m.content_type.as_deref(), m.storage_class.as_deref()), (Some("image/png"), Some("STANDARD")));
    assert_eq!(m.last_modified.unwrap().to_rfc3339(), "2022-08-15T11:33:34.866+00:00");
    assert_eq!((o.md5.as_deref(), o.crc32c.as_deref()), (Some("fHcEH1vPwA6eTPqxuasXcg=="), Some("j/un9g==")));
    // The user metadata, from the `metadata` object.
    assert_eq!(m.metadata, [("location".to_string(), "everywhere".to_string())]);
    // The same answer, read as a finished resumable upload, reports the whole size.
    let ack = gcs::parse_chunk_ack(&answer(200, path)).unwrap();
    assert_eq!((ack.committed, ack.object.as_ref()), (56535, Some(m)));
}

fn check_listing(path: &Path, token: Option<&str>) {
    let page = gcs::parse_list_objects(&answer(200, path), None).unwrap();
    let names: Vec<(&str, u64)> = page.objects.iter().map(|o| (o.key.as_str(), o.size)).collect();
    assert_eq!(names, [("1.png", 56535), ("2.png", 45506)]);
    assert_eq!(page.objects[1].etag.as_deref(), Some("1660563214883337"));
    assert_eq!(page.prefixes, ["dir/", "test/"]);
    assert_eq!(page.next_token.as_deref(), token);
    // Asked with startOffset=1.png (inclusive), the name itself is left out.
    let after = gcs::parse_list_objects(&answer(200, path), Some("1.png")).unwrap();
    assert_eq!(after.objects.iter().map(|o| o.key.as_str()).collect::<Vec<_>>(), ["2.png"]);
}

#[test]
fn opendal_recordings() {
    let dir = common::vectors("gcs-json-responses/opendal");
    let (mut checked, mut docs) = (0, 0);
    for f in files(&dir) {
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        match name.as_str() {
            "LICENSE" | "NOTICE" => docs += 1,
            "error.json" => check_error(&f),
            "object-get.json" => check_object(&f),
            "objects-list-with-next-page-token.json" => check_listing(&f, Some("CgYxMC5wbmc=")),
            "objects-list-with-prefixes.json" => check_listing(&f, None),
            other => panic!("{other}: a recorded answer this test does not know; add a check for it"),
        }
        if name.ends_with(".json") {
            checked += 1;
        }
    }
    println!("gcs-json-responses/opendal: {checked} answers checked, {docs} license files");
    assert_eq!(checked, 4, "every recorded answer checked");
}
