//! The recorded Azure Blob answers under ../shared/vectors/azure-blob-responses (loaded from
//! there, never copied here) go through the Azure parsers. Every file is accounted for: a
//! recorded answer is checked field by field, a license, notice or index file is counted as
//! such, and any other file fails the test, so a new vector cannot be skipped silently.

mod common;

use std::path::{Path, PathBuf};

use pailfs::ErrorKind;
use pailfs::core::azure;
use pailfs::core::http::{Headers, Response};
use pailfs::core::types::ListPage;

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    out.sort();
    out
}

fn answer(status: u16, path: &Path) -> Response {
    let mut h = Headers::new();
    h.set("Content-Type", "application/xml");
    Response::new(status, h, std::fs::read(path).unwrap())
}

fn listing(path: &Path) -> ListPage {
    azure::parse_list_blobs(&answer(200, path), None).unwrap()
}

fn names(page: &ListPage) -> Vec<(&str, u64)> {
    page.objects.iter().map(|o| (o.key.as_str(), o.size)).collect()
}

/// Each folder's files: `(file name, check)`; a file not named here fails the test.
type Check = fn(&Path);

fn run(folder: &str, checks: &[(&str, Check)]) -> usize {
    let dir = common::vectors(&format!("azure-blob-responses/{folder}"));
    let mut checked = 0;
    for f in files(&dir) {
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        if matches!(name.as_str(), "LICENSE" | "NOTICE" | "index.json") {
            continue;
        }
        let (_, check) = checks
            .iter()
            .find(|(n, _)| *n == name)
            .unwrap_or_else(|| panic!("{folder}/{name}: a recorded answer this test does not know; add a check for it"));
        check(&f);
        checked += 1;
    }
    assert_eq!(checked, checks.len(), "{folder}: every named answer is present");
    println!("azure-blob-responses/{folder}: {checked} answers checked");
    checked
}

#[test]
fn azure_sdk_for_python_recordings() {
    run(
        "azure-sdk-for-python",
        &[
            ("list-blobs-delimiter-prefix-a.xml", |f| {
                let p = listing(f);
                assert_eq!(names(&p), [("a/blob1", 11), ("a/blob2", 11)]);
                assert_eq!(p.objects[0].etag.as_deref(), Some("0x8DA7413B3349A75"));
                assert!(p.prefixes.is_empty() && p.next_token.is_none());
            }),
            ("list-blobs-delimiter-prefix-b-c.xml", |f| {
                let p = listing(f);
                assert_eq!(names(&p), [("b/c/blob3", 11)]);
                assert!(p.next_token.is_none());
            }),
            ("list-blobs-delimiter-prefix-b.xml", |f| {
                // A hierarchical-namespace directory is a prefix with Properties: still a prefix.
                let p = listing(f);
                assert_eq!((p.objects.len(), p.prefixes.as_slice()), (0, &["b/c/".to_string()][..]));
            }),
            ("list-blobs-delimiter-root.xml", |f| {
                let p = listing(f);
                assert_eq!(names(&p), [("blob4", 11)]);
                assert_eq!(p.prefixes, ["a/", "b/"]);
                assert_eq!(p.objects[0].etag.as_deref(), Some("0x8DA7413B381AB64"));
            }),
            ("list-blobs-include-metadata-hns.xml", |f| {
                let p = listing(f);
                assert_eq!(names(&p), [("blob1", 11), ("blob2", 11)]);
                let m = &p.objects[0];
                assert_eq!(m.last_modified.unwrap().to_rfc3339(), "2022-08-01T23:14:23+00:00");
                assert_eq!(m.storage_class.as_deref(), Some("Hot"));
            }),
            ("list-blobs-maxresults-2-with-nextmarker.xml", |f| {
                let p = listing(f);
                assert_eq!(names(&p), [("blob_a1", 11), ("blob_a2", 11)]);
                let next = p.next_token.as_deref().unwrap();
                assert!(next.starts_with("2!236!MDAwMTMy") && next.ends_with("WiE-"), "the marker is kept opaque: {next}");
                // Asked to start after blob_a1, the first page drops it.
                let after = azure::parse_list_blobs(&answer(200, f), Some("blob_a1")).unwrap();
                assert_eq!(names(&after), [("blob_a2", 11)]);
            }),
        ],
    );
}

#[test]
fn azure_sdk_for_js_recordings() {
    run(
        "azure-sdk-for-js",
        &[("error-container-not-found.xml", |f| {
            let mut r = answer(404, f);
            r.headers.set("x-ms-request-id", "159bf179-901e-002e-263a-7cf018000000");
            let e = azure::parse_error(&r);
            assert_eq!((e.kind, e.status, e.code.as_deref()), (ErrorKind::NotFound, Some(404), Some("ContainerNotFound")));
            // The first line only: the rest repeats the request id and the time.
            assert_eq!(e.message, "The specified container does not exist.");
            assert_eq!(e.request_id.as_deref(), Some("159bf179-901e-002e-263a-7cf018000000"));
            assert!(!e.retryable);
        })],
    );
}

#[test]
fn opendal_recordings() {
    run(
        "opendal",
        &[
            ("list-blobs-prefix-delimiter.xml", |f| {
                let p = listing(f);
                assert_eq!(
                    names(&p),
                    [
                        ("dir1/2f018bb5-466f-4af1-84fa-2b167374ee06", 3485277),
                        ("dir1/5b9432b2-79c0-48d8-90c2-7d3e153826ed", 2471869),
                        ("dir1/b2d96f8b-d467-40d1-bb11-4632dddbf5b5", 1259677),
                    ]
                );
                assert_eq!(p.prefixes, ["dir1/dir2/", "dir1/dir21/"]);
                assert_eq!(p.next_token, None, "an empty <NextMarker /> ends the listing");
                let m = &p.objects[0];
                assert_eq!(
                    (m.etag.as_deref(), m.content_type.as_deref()),
                    (Some("0x8DA0A64D66790C3"), Some("application/octet-stream"))
                );
                assert_eq!(m.last_modified.unwrap().to_rfc3339(), "2022-03-20T11:29:03+00:00");
            }),
            ("error-invalid-query-parameter-value.xml", |f| {
                let e = azure::parse_error(&answer(400, f));
                assert_eq!((e.kind, e.code.as_deref()), (ErrorKind::InvalidInput, Some("InvalidQueryParameterValue")));
                assert_eq!(e.message, "Value for one of the query parameters specified in the request URI is invalid.");
            }),
            ("error-placeholder.xml", |f| {
                // An unknown code: typed by the status.
                let e = azure::parse_error(&answer(503, f));
                assert_eq!(
                    (e.kind, e.code.as_deref(), e.message.as_str()),
                    (ErrorKind::Service, Some("string-value"), "string-value")
                );
                assert!(e.retryable);
            }),
            ("put-block-list-request.xml", |f| {
                // A request body: what pailfs sends for the same three blocks says the same.
                let theirs = pailfs::core::xml::parse(&std::fs::read(f).unwrap()).unwrap();
                let ours = azure::block_list_xml(&["1".into(), "2".into(), "3".into()]);
                let ours = pailfs::core::xml::parse(ours.as_bytes()).unwrap();
                let latest = |n: &pailfs::core::xml::Node| n.all("Latest").map(|l| l.text.clone()).collect::<Vec<_>>();
                assert_eq!((ours.name.as_str(), latest(&ours)), (theirs.name.as_str(), latest(&theirs)));
                assert_eq!(ours.children.len(), theirs.children.len());
            }),
        ],
    );
}

#[test]
fn object_store_recordings() {
    run(
        "object_store",
        &[
            ("list-blobs-azure-with-metadata.xml", |f| {
                let p = listing(f);
                assert_eq!(names(&p), [("blob0.txt", 8), ("blob1.txt", 8), ("blob2.txt", 8)]);
                assert_eq!(p.objects[1].etag.as_deref(), Some("0x8D93C7D463004D6"));
            }),
            ("list-blobs-azurite.xml", |f| {
                let p = listing(f);
                assert_eq!(names(&p).len(), 3);
                assert_eq!(p.objects[0].content_type.as_deref(), Some("text/plain"));
                assert_eq!(p.objects[0].last_modified.unwrap().to_rfc3339(), "2021-07-01T10:45:02+00:00");
                assert!(p.prefixes.is_empty() && p.next_token.is_none());
            }),
            ("blob-batch-delete-response.multipart", |f| {
                let body = std::fs::read(f).unwrap();
                let batch = |body: Vec<u8>| {
                    let mut h = Headers::new();
                    h.set("Content-Type", "multipart/mixed; boundary=batchresponse_66925647-d0cb-4109-b6d3-28efe3e1e5ed");
                    Response::new(202, h, body)
                };
                let keys: Vec<String> = ["blob0", "blob1", "blob2"].map(String::from).to_vec();
                // 202, 202, and a 404 for a blob already gone: everything is deleted.
                assert_eq!(azure::parse_batch_delete(&batch(body.clone()), &keys).unwrap(), []);
                // The same answer with the third refused: that key, its code and message.
                let refused = String::from_utf8(body.clone()).unwrap().replace("HTTP/1.1 404", "HTTP/1.1 409");
                let failed = azure::parse_batch_delete(&batch(refused.into_bytes()), &keys).unwrap();
                assert_eq!(failed.len(), 1);
                assert_eq!((failed[0].key.as_str(), failed[0].code.as_str()), ("blob2", "BlobNotFound"));
                assert_eq!(failed[0].message, "The specified blob does not exist.");
                // An answer that leaves a key out is an error, not a success.
                let four: Vec<String> = ["blob0", "blob1", "blob2", "blob3"].map(String::from).to_vec();
                assert_eq!(azure::parse_batch_delete(&batch(body), &four).unwrap_err().kind, ErrorKind::InvalidResponse);
            }),
            ("user-delegation-key.xml", |f| {
                // User delegation SAS (Entra ID) is not built; the key answer is no listing.
                let e = azure::parse_list_blobs(&answer(200, f), None).unwrap_err();
                assert_eq!(e.kind, ErrorKind::InvalidResponse);
            }),
        ],
    );
}

/// ADLS Gen2 Path - List answers (../shared/vectors/adls-gen2-responses). Recorded responses
/// only: no local server speaks dfs, so core::azure::dfs is not integration-tested.
fn adls(folder: &str, file: &str, check: fn(&Path)) {
    let dir = common::vectors(&format!("adls-gen2-responses/{folder}"));
    let mut seen = 0;
    for f in files(&dir) {
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        match name.as_str() {
            "LICENSE" | "NOTICE" | "index.json" => {}
            n if n == file => {
                check(&f);
                seen += 1;
            }
            other => panic!("adls-gen2-responses/{folder}/{other}: a recorded answer this test does not know"),
        }
    }
    assert_eq!(seen, 1, "{folder}/{file} is present");
}

#[test]
fn adls_gen2_path_list_recordings() {
    use pailfs::core::azure::dfs;
    adls("azure-sdk-for-python", "list-paths-recursive-upn-directories.json", |f| {
        let mut r = Response::new(200, Headers::new(), std::fs::read(f).unwrap());
        r.headers.set("x-ms-continuation", "VBbI1pzq8Z+");
        let page = dfs::parse_path_list(&r).unwrap();
        let names: Vec<&str> = page.paths.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["dir10", "dir11", "dir12", "dir13", "dir14", "dir15"]);
        let d = &page.paths[0];
        assert!(page.paths.iter().all(|p| p.is_directory && p.size == 0));
        assert_eq!(
            (d.etag.as_deref(), d.owner.as_deref(), d.permissions.as_deref()),
            (Some("0x8DA8BA45755C99A"), Some("$superuser"), Some("rwxr-x---"))
        );
        assert_eq!(d.last_modified.unwrap().to_rfc3339(), "2022-08-31T22:58:38+00:00");
        assert_eq!(page.continuation.as_deref(), Some("VBbI1pzq8Z+"), "the continuation is the header's");
    });
    adls("opendal", "list-paths-single-file.json", |f| {
        let page = dfs::parse_path_list(&Response::new(200, Headers::new(), std::fs::read(f).unwrap())).unwrap();
        assert_eq!(page.paths.len(), 1);
        let p = &page.paths[0];
        assert_eq!(p.name, "c3b3ef48-7783-4946-81bc-dc07e1728878/d4ea21d7-a533-4011-8b1f-d0e566d63725");
        assert_eq!((p.is_directory, p.size, p.group.as_deref()), (false, 1977097, Some("$superuser")));
        assert_eq!(p.last_modified.unwrap().to_rfc3339(), "2022-11-26T10:43:05+00:00");
        assert_eq!(page.continuation, None);
    });
}
