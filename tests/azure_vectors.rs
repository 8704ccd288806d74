//! Azure Shared Key: reproduce the string-to-sign examples of Microsoft's "Authorize with Shared
//! Key" page, kept (as data, never copied here) in the shared vectors folder. The examples
//! describe their requests in prose, so each request is rebuilt below, keyed by file name;
//! the expected strings come from the files.

mod common;

use std::collections::BTreeSet;

use pailfs::core::http::{Method, Request};
use pailfs::core::sign::azure;
use serde_json::Value;

/// Examples this crate deliberately does not reproduce, and why.
const UNSUPPORTED: &[(&str, &str)] = &[
    ("sharedkeylite-blob-put-blob.sts", "Shared Key Lite: pailfs signs with Shared Key (the full string-to-sign) only"),
    (
        "sharedkeylite-table-create-table.sts",
        "Table service Shared Key Lite: pailfs signs Blob and ADLS Gen2 (dfs) requests only",
    ),
];

/// Examples whose text contradicts the page's own layout, and why. Each is checked against the
/// documented layout instead (see `check_erratum`).
const ERRATA: &[(&str, &str)] = &[(
    "sharedkey-blob-create-container-content-length-0-pre-2015-02-21.sts",
    "its \"0\" sits on the Content-MD5 line (5th) instead of Content-Length (4th), and it prints \
     x-ms-version:2015-02-21 although the rule it shows applies to 2014-02-14 and earlier",
)];

fn get(url_path: &str, query: &[(&str, &str)], headers: &[(&str, &str)]) -> Request {
    build(Method::Get, url_path, query, headers)
}

fn build(method: Method, path: &str, query: &[(&str, &str)], headers: &[(&str, &str)]) -> Request {
    let mut r = Request::new(method, "https", "myaccount.blob.core.windows.net", path);
    for (k, v) in query {
        r.query.push((k.to_string(), v.to_string()));
    }
    for (k, v) in headers {
        r.headers.append(*k, *v);
    }
    r
}

/// Our output for one documented example, or `None` when the file is not one we know.
fn reproduce(file: &str) -> Option<String> {
    let metadata_query = [("restype", "container"), ("comp", "metadata"), ("timeout", "20")];
    let create_query = [("restype", "container"), ("timeout", "30")];
    Some(match file {
        "sharedkey-blob-get-container-metadata-2009-09-19.sts" => {
            let r = get(
                "/mycontainer",
                &metadata_query,
                &[("x-ms-date", "Sun, 11 Oct 2009 21:49:13 GMT"), ("x-ms-version", "2009-09-19")],
            );
            azure::shared_key_string_to_sign(&r, "myaccount").unwrap()
        }
        "sharedkey-blob-get-container-metadata-2015-02-21.sts" => {
            let r = get(
                "/mycontainer",
                &metadata_query,
                &[("x-ms-date", "Fri, 26 Jun 2015 23:39:12 GMT"), ("x-ms-version", "2015-02-21")],
            );
            azure::shared_key_string_to_sign(&r, "myaccount").unwrap()
        }
        "sharedkey-blob-create-container-content-length-0-2015-02-21.sts" => {
            let r = build(
                Method::Put,
                "/mycontainer",
                &create_query,
                &[("x-ms-version", "2015-02-21"), ("x-ms-date", "Fri, 26 Jun 2015 23:39:12 GMT"), ("Content-Length", "0")],
            );
            azure::shared_key_string_to_sign(&r, "myaccount").unwrap()
        }
        "canonicalized-headers-example.txt" => {
            // Given in the opposite order on purpose: the output must be sorted.
            let r = get("/", &[], &[("x-ms-version", "2014-02-14"), ("x-ms-date", "Sat, 21 Feb 2015 00:48:38 GMT")]);
            azure::canonicalized_headers(&r).unwrap()
        }
        "canonicalized-resource-get-container-metadata.txt" => {
            let r = get("/mycontainer", &[("restype", "container"), ("comp", "metadata")], &[]);
            azure::canonicalized_resource(&r, "myaccount").unwrap()
        }
        "canonicalized-resource-list-blobs-multi-include.txt" => {
            let r = get(
                "/mycontainer",
                &[
                    ("restype", "container"),
                    ("comp", "list"),
                    ("include", "snapshots"),
                    ("include", "metadata"),
                    ("include", "uncommittedblobs"),
                ],
                &[],
            );
            azure::canonicalized_resource(&r, "myaccount").unwrap()
        }
        "canonicalized-resource-secondary-location.txt" => {
            // The request goes to myaccount-secondary.blob.core.windows.net; the caller signs
            // with the account's own name.
            let mut r = get("/mycontainer/myblob", &[], &[]);
            r.host = "myaccount-secondary.blob.core.windows.net".into();
            azure::canonicalized_resource(&r, "myaccount").unwrap()
        }
        _ => return None,
    })
}

/// The pre-2015 erratum: the same create-container request sent with an old version must sign
/// exactly like the current-version example except for a "0" on the Content-Length line
/// (the 4th) and its own x-ms-version.
fn check_erratum(dir: &std::path::Path, file: &str) -> Result<(), String> {
    assert_eq!(file, "sharedkey-blob-create-container-content-length-0-pre-2015-02-21.sts");
    let current = std::fs::read_to_string(dir.join("sharedkey-blob-create-container-content-length-0-2015-02-21.sts")).unwrap();
    let mut lines: Vec<String> = current.split('\n').map(str::to_string).collect();
    assert_eq!(lines[3], "", "Content-Length line of the current-version example");
    lines[3] = "0".into();
    let expected = lines.join("\n").replacen("x-ms-version:2015-02-21", "x-ms-version:2014-02-14", 1);
    let r = build(
        Method::Put,
        "/mycontainer",
        &[("restype", "container"), ("timeout", "30")],
        &[("x-ms-version", "2014-02-14"), ("x-ms-date", "Fri, 26 Jun 2015 23:39:12 GMT"), ("Content-Length", "0")],
    );
    let got = azure::shared_key_string_to_sign(&r, "myaccount").unwrap();
    if got == expected { Ok(()) } else { Err(format!("{file} (layout check)\n  got:  {got:?}\n  want: {expected:?}")) }
}

#[test]
fn documented_examples() {
    let dir = common::vectors("azure-storage-sharedkey-sas").join("documented-examples");
    let index: Value = serde_json::from_str(&std::fs::read_to_string(dir.join("examples.json")).unwrap()).unwrap();
    let examples = index.as_array().expect("examples.json is a list");
    let mut reproduced = 0;
    let mut skipped = Vec::new();
    let mut errata = Vec::new();
    let mut failures = Vec::new();
    let mut seen = BTreeSet::new();
    for ex in examples {
        let file = ex["file"].as_str().expect("file");
        seen.insert(file.to_string());
        let expected = std::fs::read_to_string(dir.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        // The file and the index must agree, or one of them is not what we think it is.
        assert_eq!(expected, ex["string_to_sign"].as_str().unwrap(), "{file} differs from examples.json");
        if let Some((_, why)) = ERRATA.iter().find(|(f, _)| *f == file) {
            match check_erratum(&dir, file) {
                Ok(()) => errata.push(format!("{file} ({why})")),
                Err(e) => failures.push(e),
            }
            continue;
        }
        if let Some((_, why)) = UNSUPPORTED.iter().find(|(f, _)| *f == file) {
            skipped.push(format!("{file} ({why})"));
            continue;
        }
        match reproduce(file) {
            Some(got) if got == expected => reproduced += 1,
            Some(got) => failures.push(format!("{file}\n  got:  {got:?}\n  want: {expected:?}")),
            None => failures.push(format!("{file}: new example, neither reproduced nor listed as unsupported")),
        }
    }
    // Every example file on disk is listed in the index.
    for entry in std::fs::read_dir(&dir).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if name.ends_with(".sts") || name.ends_with(".txt") {
            assert!(seen.contains(&name), "{name} is not in examples.json");
        }
    }
    println!("azure documented examples: {reproduced}/{} reproduced verbatim", examples.len());
    println!("  {} documentation errata, checked against the documented layout instead:", errata.len());
    for e in &errata {
        println!("    {e}");
    }
    println!("  {} unsupported:", skipped.len());
    for s in &skipped {
        println!("    {s}");
    }
    assert!(failures.is_empty(), "{} example(s) failed:\n{}", failures.len(), failures.join("\n"));
    assert_eq!(examples.len(), 10, "examples.json changed: it now lists {} examples", examples.len());
    assert_eq!((reproduced, errata.len(), skipped.len()), (7, 1, 2));
    assert_eq!(reproduced + errata.len() + skipped.len(), examples.len());
}

#[test]
fn sas_tokens_round_trip_through_a_request() {
    // A token produced by service_sas decodes back into the pairs it was built from.
    use chrono::{TimeZone, Utc};
    use pailfs::core::creds::Secret;
    let key = Secret::new("Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==");
    let mut sas = azure::ServiceSas::new(
        azure::SasResource::Blob { container: "c".into(), blob: "a b/ü.txt".into() },
        "r",
        Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap(),
    );
    sas.content_disposition = Some("attachment; filename=\"x y.txt\"".into());
    let pairs = azure::service_sas_pairs(&sas, "devstoreaccount1", &key).unwrap();
    let token = azure::service_sas(&sas, "devstoreaccount1", &key).unwrap();
    let mut r = Request::new(Method::Get, "http", "127.0.0.1:10000", "/devstoreaccount1/c/a%20b/%C3%BC.txt");
    azure::apply_sas(&mut r, &token).unwrap();
    assert_eq!(r.query, pairs);
}
