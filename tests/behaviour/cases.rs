//! The cases of the behaviour suite. Each takes a fixture with a fresh, empty bucket.

use bytes::Bytes;
use futures::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt, SeekFrom};
use pailfs::ErrorKind;
use pailfs::core::types::PutOptions;
use pailfs::core::upload::UploadModel;
use pailfs::fs::Store;
use pailfs::fs::any::AnyStore;
use pailfs::fs::facade::EntryKind;

use super::{Fixture, PART, TempDir};

/// Deterministic, non-repeating-looking bytes so a spliced or shifted read cannot pass.
pub fn data(len: usize, seed: u8) -> Bytes {
    let mut x: u32 = 0x9E37_79B9 ^ u32::from(seed);
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect::<Vec<u8>>()
        .into()
}

/// Keys that break naive URL building, signing or path handling.
pub fn hostile_key_list() -> Vec<String> {
    let all_ascii: String = (0x20u8..=0x7E).map(char::from).collect();
    [
        "with space.txt",
        "plus+sign",
        "equals=sign",
        "percent%20sign",
        "hash#sign",
        "question?mark",
        "amp&ersand",
        "tilde~",
        "double//slash",
        "up/../down.txt",
        "🇦🇺/$shenanigans@@~.txt",
        "%48%45%4C%4C%4F",
        "mäggi.png",
        all_ascii.as_str(),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

/// Whether the `file://` store must refuse this key (it cannot be a path below the root).
fn unmappable(key: &str) -> bool {
    key.split('/').any(|s| s.is_empty() || s == "." || s == "..") || key.contains('\\')
}

fn has_magic(s: &str) -> bool {
    s.contains(['*', '?', '['])
}

pub async fn buckets(fx: &Fixture) {
    let fs = &fx.fs;
    assert!(fs.exists(&fx.bucket).await.unwrap());
    assert!(fs.isdir(&fx.bucket).await.unwrap());
    assert!(!fs.isfile(&fx.bucket).await.unwrap());
    let names = fs.ls_names("").await.unwrap();
    assert!(names.contains(&fx.bucket), "{names:?}");
    fs.makedirs(&fx.bucket, true).await.expect("makedirs exist_ok");
    assert!(fs.ls(&fx.bucket).await.unwrap().is_empty());

    // A second bucket, removed recursively with its contents.
    let other = format!("{}-2", fx.bucket);
    fs.mkdir(&format!("{other}/some/dir"), true).await.unwrap();
    fs.pipe(&format!("{other}/a/b.txt"), Bytes::from_static(b"x")).await.unwrap();
    assert!(fs.exists(&other).await.unwrap());
    let err = fs.rm(&other, false).await.expect_err("non-empty bucket without recursive");
    assert_eq!(err.kind, ErrorKind::Conflict, "{err:?}");
    fs.rm(&other, true).await.unwrap();
    assert!(!fs.exists(&other).await.unwrap());
    assert!(!fs.ls_names("").await.unwrap().contains(&other));
}

pub async fn pipe_cat_info(fx: &Fixture) {
    let fs = &fx.fs;
    let p = fx.p("dir/hello.txt");
    let meta = fs.pipe(&p, Bytes::from_static(b"hello world")).await.unwrap();
    assert_eq!(meta.size, 11);
    assert_eq!(&fs.cat(&p).await.unwrap()[..], b"hello world");
    let info = fs.info(&p).await.unwrap();
    assert_eq!((info.kind, info.size, info.name.as_str()), (EntryKind::File, 11, p.as_str()));
    let etag1 = info.meta.as_ref().and_then(|m| m.etag.clone()).expect("etag");
    assert!(fs.isfile(&p).await.unwrap() && !fs.isdir(&p).await.unwrap());
    assert!(fs.isdir(&fx.p("dir")).await.unwrap());
    assert_eq!(fs.info(&fx.p("dir")).await.unwrap().kind, EntryKind::Directory);
    // Overwrite changes content and etag.
    fs.pipe(&p, Bytes::from_static(b"bye")).await.unwrap();
    assert_eq!(&fs.cat(&p).await.unwrap()[..], b"bye");
    let etag2 = fs.info(&p).await.unwrap().meta.and_then(|m| m.etag).unwrap();
    assert_ne!(etag1, etag2);
    // Empty object.
    fs.pipe(&fx.p("empty"), Bytes::new()).await.unwrap();
    assert_eq!(fs.cat(&fx.p("empty")).await.unwrap().len(), 0);
    assert_eq!(fs.size(&fx.p("empty")).await.unwrap(), 0);
    // A 1 MiB object round-trips byte for byte.
    let big = data(1 << 20, 7);
    fs.pipe(&fx.p("big.bin"), big.clone()).await.unwrap();
    assert!(fs.cat(&fx.p("big.bin")).await.unwrap() == big);
}

pub async fn cat_ranges_python_slices(fx: &Fixture) {
    let fs = &fx.fs;
    let p = fx.p("digits");
    fs.pipe(&p, Bytes::from_static(b"0123456789")).await.unwrap();
    let cases: &[(Option<i64>, Option<i64>, &[u8])] = &[
        (None, None, b"0123456789"),
        (Some(0), Some(10), b"0123456789"),
        (Some(2), Some(5), b"234"),
        (Some(5), None, b"56789"),
        (Some(-3), None, b"789"),
        (None, Some(-7), b"012"),
        (Some(-5), Some(-2), b"567"),
        (Some(8), Some(3), b""),
        (Some(4), Some(4), b""),
        (Some(7), Some(100), b"789"),
        (Some(10), None, b""),
        (Some(25), None, b""),
        (Some(-100), Some(2), b"01"),
        (Some(-20), None, b"0123456789"),
    ];
    for &(s, e, want) in cases {
        let got = fs.cat_file(&p, s, e).await.unwrap_or_else(|err| panic!("[{s:?}:{e:?}]: {err:?}"));
        assert_eq!(&got[..], want, "[{s:?}:{e:?}]");
    }
    let paths: Vec<String> = cases.iter().map(|_| p.clone()).collect();
    let starts: Vec<_> = cases.iter().map(|c| c.0).collect();
    let ends: Vec<_> = cases.iter().map(|c| c.1).collect();
    let got = fs.cat_ranges(&paths, &starts, &ends).await.unwrap();
    for (g, c) in got.iter().zip(cases) {
        assert_eq!(&g.as_ref().unwrap()[..], c.2);
    }
    // One bad path does not spoil the others.
    let got = fs.cat_ranges(&[p.clone(), fx.p("missing")], &[Some(1), None], &[Some(3), None]).await.unwrap();
    assert_eq!(&got[0].as_ref().unwrap()[..], b"12");
    assert_eq!(got[1].as_ref().unwrap_err().kind, ErrorKind::NotFound);
    assert_eq!(fs.cat_file(&fx.p("missing"), Some(5), Some(1)).await.unwrap_err().kind, ErrorKind::NotFound);
    // Nearby explicit ranges of one file share a request; each gets its own slice, in order.
    let q = fx.p("letters");
    fs.pipe(&q, Bytes::from_static(b"abcdefghij")).await.unwrap();
    let requests = || match fs.store() {
        AnyStore::S3(s) => Some(s.stats().attempts.load(std::sync::atomic::Ordering::Relaxed)),
        _ => None,
    };
    let before = requests();
    let paths = [p.clone(), q.clone(), p.clone(), q.clone(), p.clone()];
    let got = fs
        .cat_ranges(&paths, &[Some(7), Some(0), Some(0), Some(8), Some(2)], &[Some(9), Some(2), Some(3), Some(30), Some(5)])
        .await
        .unwrap();
    let got: Vec<&[u8]> = got.iter().map(|r| &r.as_ref().unwrap()[..]).collect();
    assert_eq!(got, [&b"78"[..], b"ab", b"012", b"ij", b"234"]);
    if let (Some(a), Some(b)) = (before, requests()) {
        assert_eq!(b - a, 2, "one request per file");
    }
}

pub async fn listing_find_walk_glob_du(fx: &Fixture) {
    let fs = &fx.fs;
    for (k, n) in [("a/b/c.txt", 3), ("a/d.txt", 4), ("e.txt", 5), ("a/b/f.csv", 6), ("g/h/i/j.txt", 7)] {
        fs.pipe(&fx.p(k), data(n, n as u8)).await.unwrap();
    }
    let b = &fx.bucket;
    let names = |v: Vec<pailfs::fs::facade::Entry>| v.into_iter().map(|e| e.name).collect::<Vec<_>>();
    assert_eq!(fs.ls_names(b).await.unwrap(), [fx.p("a"), fx.p("e.txt"), fx.p("g")]);
    let top = fs.ls(b).await.unwrap();
    assert_eq!(top.iter().map(|e| e.kind).collect::<Vec<_>>(), [EntryKind::Directory, EntryKind::File, EntryKind::Directory]);
    assert_eq!(top[1].size, 5);
    assert_eq!(fs.ls_names(&fx.p("a")).await.unwrap(), [fx.p("a/b"), fx.p("a/d.txt")]);
    assert_eq!(fs.ls_names(&format!("{}/", fx.p("a"))).await.unwrap(), [fx.p("a/b"), fx.p("a/d.txt")]);
    // ls on a file is the file.
    assert_eq!(fs.ls_names(&fx.p("a/d.txt")).await.unwrap(), [fx.p("a/d.txt")]);
    assert_eq!(fs.ls(&fx.p("nope")).await.unwrap_err().kind, ErrorKind::NotFound);

    let all = names(fs.find(b, None, false).await.unwrap());
    assert_eq!(all, [fx.p("a/b/c.txt"), fx.p("a/b/f.csv"), fx.p("a/d.txt"), fx.p("e.txt"), fx.p("g/h/i/j.txt")]);
    assert_eq!(names(fs.find(b, Some(1), false).await.unwrap()), [fx.p("e.txt")]);
    assert_eq!(names(fs.find(&fx.p("a"), Some(1), true).await.unwrap()), [fx.p("a"), fx.p("a/b"), fx.p("a/d.txt")]);
    let with_dirs = names(fs.find(&fx.p("g"), None, true).await.unwrap());
    assert_eq!(with_dirs, [fx.p("g"), fx.p("g/h"), fx.p("g/h/i"), fx.p("g/h/i/j.txt")]);
    assert_eq!(names(fs.find(&fx.p("e.txt"), None, false).await.unwrap()), [fx.p("e.txt")]);
    assert!(fs.find(&fx.p("zzz"), None, false).await.unwrap().is_empty());

    let walk = fs.walk(&fx.p("a"), None).await.unwrap();
    assert_eq!(
        walk,
        vec![
            (fx.p("a"), vec!["b".to_string()], vec!["d.txt".to_string()]),
            (fx.p("a/b"), vec![], vec!["c.txt".to_string(), "f.csv".to_string()]),
        ]
    );

    assert_eq!(fs.glob(&fx.p("*.txt")).await.unwrap(), [fx.p("e.txt")]);
    assert_eq!(fs.glob(&fx.p("a/*")).await.unwrap(), [fx.p("a/b"), fx.p("a/d.txt")]);
    assert_eq!(
        fs.glob(&fx.p("**/*.txt")).await.unwrap(),
        [fx.p("a/b/c.txt"), fx.p("a/d.txt"), fx.p("e.txt"), fx.p("g/h/i/j.txt")]
    );
    assert_eq!(fs.glob(&fx.p("a/?.txt")).await.unwrap(), [fx.p("a/d.txt")]);
    assert_eq!(fs.glob(&fx.p("a/b/[cf].*")).await.unwrap(), [fx.p("a/b/c.txt"), fx.p("a/b/f.csv")]);
    assert_eq!(fs.glob(&fx.p("a/b/[!c]*")).await.unwrap(), [fx.p("a/b/f.csv")]);
    assert_eq!(fs.glob(&format!("s3://{}", fx.p("g/**"))).await.unwrap(), [fx.p("g/h"), fx.p("g/h/i"), fx.p("g/h/i/j.txt")]);
    assert!(fs.glob(&fx.p("*.parquet")).await.unwrap().is_empty());
    assert_eq!(fs.glob(&fx.p("e.txt")).await.unwrap(), [fx.p("e.txt")]);

    assert_eq!(fs.du(b).await.unwrap(), 3 + 4 + 5 + 6 + 7);
    assert_eq!(fs.du(&fx.p("a")).await.unwrap(), 3 + 4 + 6);
}

pub async fn hostile_keys(fx: &Fixture) {
    let fs = &fx.fs;
    let any_key = fs.store().capabilities().any_key;
    let mut tried = 0;
    for (i, key) in hostile_key_list().iter().enumerate() {
        let p = fx.p(key);
        let body = data(100 + i, i as u8);
        if !any_key && unmappable(key) {
            let err = fs.pipe(&p, body).await.expect_err(key);
            assert_eq!(err.kind, ErrorKind::InvalidInput, "{key:?}: {err:?}");
            continue;
        }
        tried += 1;
        fs.pipe(&p, body.clone()).await.unwrap_or_else(|e| panic!("pipe {key:?}: {e:?}"));
        assert!(fs.cat(&p).await.unwrap() == body, "cat {key:?}");
        assert_eq!(&fs.cat_file(&p, Some(10), Some(20)).await.unwrap()[..], &body[10..20], "range {key:?}");
        let info = fs.info(&p).await.unwrap_or_else(|e| panic!("info {key:?}: {e:?}"));
        assert_eq!((info.name.as_str(), info.size), (p.as_str(), body.len() as u64), "info {key:?}");
        assert!(fs.isfile(&p).await.unwrap(), "isfile {key:?}");
        let found: Vec<String> = fs.find(&fx.bucket, None, false).await.unwrap().into_iter().map(|e| e.name).collect();
        assert_eq!(found, std::slice::from_ref(&p), "find {key:?}");
        if !key.split('/').any(str::is_empty) {
            let parent = p.rsplit_once('/').unwrap().0;
            assert!(fs.ls_names(parent).await.unwrap().contains(&p), "ls {key:?}");
        }
        if !has_magic(key) {
            assert_eq!(fs.glob(&p).await.unwrap(), std::slice::from_ref(&p), "glob {key:?}");
        }
        // Server-side copy to another hostile name, then move back over it.
        let copy = fx.p(&format!("copied {key}"));
        fs.cp(&p, &copy, false).await.unwrap_or_else(|e| panic!("cp {key:?}: {e:?}"));
        assert!(fs.cat(&copy).await.unwrap() == body);
        fs.mv(&copy, &format!("{p}.moved"), false).await.unwrap_or_else(|e| panic!("mv {key:?}: {e:?}"));
        assert!(!fs.exists(&copy).await.unwrap());
        // Multipart: one full part and a tail.
        let big = data(PART as usize + 1000 + i, i as u8 + 50);
        let meta = fs.pipe(&format!("{p}.mp"), big.clone()).await.unwrap_or_else(|e| panic!("multipart {key:?}: {e:?}"));
        assert_eq!(meta.size, big.len() as u64);
        assert!(fs.cat(&format!("{p}.mp")).await.unwrap() == big, "multipart content {key:?}");
        if fs.store().capabilities().presign {
            presigned_roundtrip(fx, &p, &body).await;
        }
        // Removing one never touches its neighbours.
        fs.rm(&p, false).await.unwrap_or_else(|e| panic!("rm {key:?}: {e:?}"));
        assert!(!fs.exists(&p).await.unwrap(), "rm {key:?}");
        fs.rm(&fx.bucket, true).await.unwrap();
        fs.mkdir(&fx.bucket, true).await.unwrap();
    }
    assert!(tried >= 11, "only {tried} keys exercised");
    if let Some(open) = fx.open_uploads().await {
        assert!(open.is_empty(), "{open:?}");
    }
}

/// GET and PUT through presigned URLs with a plain HTTP client (no credentials).
async fn presigned_roundtrip(fx: &Fixture, p: &str, body: &Bytes) {
    let url = fx.fs.sign(p, std::time::Duration::from_secs(300)).await.unwrap();
    let resp = reqwest::get(&url).await.unwrap();
    assert_eq!(resp.status(), 200, "presigned GET {p:?}");
    assert!(resp.bytes().await.unwrap() == *body);
    let put_path = format!("{p}.presigned");
    let put = fx.fs.presign(pailfs::core::http::Method::Put, &put_path, std::time::Duration::from_secs(300)).await.unwrap();
    // Azure's Put Blob must say what it makes (a header no SAS signs, handed to the uploader);
    // it answers 201 Created.
    let azure = fx.fs.store().protocol() == "az";
    let (headers, created): (&[(&str, &str)], u16) = if azure { (&[("x-ms-blob-type", "BlockBlob")], 201) } else { (&[], 200) };
    let got: Vec<(&str, &str)> = put.headers.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    assert_eq!(
        (put.method, got.as_slice()),
        (pailfs::core::http::Method::Put, headers),
        "nothing the uploader chooses is signed"
    );
    let mut req = reqwest::Client::new().put(&put.url).body(b"via presigned put".to_vec());
    for (k, v) in &put.headers {
        req = req.header(k, v);
    }
    let resp = req.send().await.unwrap();
    assert_eq!(resp.status(), created, "presigned PUT {p:?}: {}", resp.text().await.unwrap_or_default());
    assert_eq!(&fx.fs.cat(&put_path).await.unwrap()[..], b"via presigned put");
}

pub async fn multipart_write(fx: &Fixture) {
    let fs = &fx.fs;
    // Through pipe: 2 full parts and a tail.
    let big = data(2 * PART as usize + 12345, 1);
    let meta = fs.pipe(&fx.p("big/pipe.bin"), big.clone()).await.unwrap();
    assert_eq!(meta.size, big.len() as u64);
    assert!(fs.cat(&fx.p("big/pipe.bin")).await.unwrap() == big);
    let etag = fs.info(&fx.p("big/pipe.bin")).await.unwrap().meta.unwrap().etag.unwrap();
    if fs.store().capabilities().s3_etags {
        assert!(etag.ends_with("-3"), "multipart etag {etag}");
    } else {
        assert!(!etag.is_empty());
    }
    // Through a writer, in odd-sized writes.
    let mut w = fs.open_write(&fx.p("big/writer.bin"), PutOptions::default()).await.unwrap();
    for chunk in big.chunks(777_777) {
        w.write_all(chunk).await.unwrap();
    }
    w.close().await.unwrap();
    assert!(fs.cat(&fx.p("big/writer.bin")).await.unwrap() == big);
    // A small write through a writer is a single put.
    let mut w = fs.open_write(&fx.p("big/small.bin"), PutOptions::default()).await.unwrap();
    w.write_all(b"tiny").await.unwrap();
    w.close().await.unwrap();
    assert_eq!(&fs.cat(&fx.p("big/small.bin")).await.unwrap()[..], b"tiny");
    if let Some(open) = fx.open_uploads().await {
        assert!(open.is_empty(), "{open:?}");
    }
}

pub async fn failed_multipart_leaves_nothing(fx: &Fixture) {
    let fs = &fx.fs;
    // A block upload has nothing on the server to abort: staged blocks are not an upload and
    // expire uncommitted. Multipart uploads and resumable sessions do, and must be aborted.
    let blocks = matches!(fs.store().capabilities().upload, UploadModel::Blocks { .. });
    // Dropped mid-upload: queued, then aborted by the next call.
    let mut w = fs.open_write(&fx.p("dropped.bin"), PutOptions::default()).await.unwrap();
    w.write_all(&data(PART as usize + 10, 3)).await.unwrap();
    w.flush().await.unwrap();
    if let Some(open) = fx.open_uploads().await {
        assert_eq!(open.len(), usize::from(!blocks), "uploads in progress: {open:?}");
    }
    drop(w);
    assert_eq!(fs.flush_pending().await.unwrap(), usize::from(!blocks));
    if let Some(open) = fx.open_uploads().await {
        assert!(open.is_empty(), "dropped writer left {open:?}");
    }
    assert!(!fs.exists(&fx.p("dropped.bin")).await.unwrap());
    // Explicit abort.
    let mut w = fs.open_write(&fx.p("aborted.bin"), PutOptions::default()).await.unwrap();
    w.write_all(&data(PART as usize * 2, 4)).await.unwrap();
    w.abort().await.unwrap();
    assert!(!fs.exists(&fx.p("aborted.bin")).await.unwrap());
    if let Some(open) = fx.open_uploads().await {
        assert!(open.is_empty(), "aborted writer left {open:?}");
    }
    // fake-gcs-server does not check the condition of a resumable upload: it overwrites.
    if fs.store().capabilities().conditional_put && fx.server.ignores_resumable_conditions {
        fs.pipe(&fx.p("exists.bin"), Bytes::from_static(b"keep me")).await.unwrap();
        let opts = PutOptions { if_none_match_any: true, ..PutOptions::default() };
        let big = data(PART as usize + 1, 5);
        fs.pipe_with(&fx.p("exists.bin"), big.clone(), &opts).await.expect("the server ignores the condition");
        assert!(fs.cat(&fx.p("exists.bin")).await.unwrap() == big);
    }
    // A conditional multipart write that the store refuses at completion leaves nothing.
    if fs.store().capabilities().conditional_put && !fx.server.ignores_resumable_conditions {
        fs.pipe(&fx.p("exists.bin"), Bytes::from_static(b"keep me")).await.unwrap();
        let opts = PutOptions { if_none_match_any: true, ..PutOptions::default() };
        let err = fs.pipe_with(&fx.p("exists.bin"), data(PART as usize + 1, 5), &opts).await.expect_err("create-only");
        assert_eq!(err.kind, ErrorKind::PreconditionFailed, "{err:?}");
        assert_eq!(&fs.cat(&fx.p("exists.bin")).await.unwrap()[..], b"keep me");
        if let Some(open) = fx.open_uploads().await {
            assert!(open.is_empty(), "refused write left {open:?}");
        }
    }
}

pub async fn reader_seek_and_cache(fx: &Fixture) {
    let fs = &fx.fs;
    let body = data(3 * 1024 * 1024 + 17, 9);
    fs.pipe(&fx.p("r.bin"), body.clone()).await.unwrap();
    let mut r = fs.open_read(&fx.p("r.bin")).await.unwrap();
    assert_eq!(r.size(), body.len() as u64);
    let mut buf = vec![0u8; 1000];
    r.read_exact(&mut buf).await.unwrap();
    assert_eq!(&buf[..], &body[..1000]);
    r.seek(SeekFrom::Start(2_000_000)).await.unwrap();
    r.read_exact(&mut buf).await.unwrap();
    assert_eq!(&buf[..], &body[2_000_000..2_001_000]);
    let end = r.seek(SeekFrom::End(-10)).await.unwrap();
    assert_eq!(end, body.len() as u64 - 10);
    let mut tail = Vec::new();
    r.read_to_end(&mut tail).await.unwrap();
    assert_eq!(&tail[..], &body[body.len() - 10..]);
    r.seek(SeekFrom::Start(body.len() as u64 + 5)).await.unwrap();
    assert_eq!(r.read(&mut buf).await.unwrap(), 0, "past the end reads nothing");
    r.seek(SeekFrom::Start(0)).await.unwrap();
    let mut all = Vec::new();
    r.read_to_end(&mut all).await.unwrap();
    assert!(all == body);
    assert_eq!(fs.open_read(&fx.p("nope")).await.err().map(|e| e.kind), Some(ErrorKind::NotFound));
}

pub async fn cp_mv_rm(fx: &Fixture) {
    let fs = &fx.fs;
    for k in ["src/a.txt", "src/sub/b.txt", "src/sub/deeper/c.txt"] {
        fs.pipe(&fx.p(k), Bytes::from(k.to_string())).await.unwrap();
    }
    let err = fs.cp(&fx.p("src"), &fx.p("dst"), false).await.expect_err("directory without recursive");
    assert_eq!(err.kind, ErrorKind::InvalidInput);
    fs.cp(&fx.p("src"), &fx.p("dst"), true).await.unwrap();
    let names: Vec<String> = fs.find(&fx.p("dst"), None, false).await.unwrap().into_iter().map(|e| e.name).collect();
    assert_eq!(names, [fx.p("dst/a.txt"), fx.p("dst/sub/b.txt"), fx.p("dst/sub/deeper/c.txt")]);
    assert_eq!(&fs.cat(&fx.p("dst/sub/b.txt")).await.unwrap()[..], b"src/sub/b.txt");
    fs.mv(&fx.p("dst/sub"), &fx.p("moved"), true).await.unwrap();
    assert!(!fs.exists(&fx.p("dst/sub")).await.unwrap());
    assert_eq!(&fs.cat(&fx.p("moved/deeper/c.txt")).await.unwrap()[..], b"src/sub/deeper/c.txt");
    fs.mv(&fx.p("dst/a.txt"), &fx.p("renamed.txt"), false).await.unwrap();
    assert!(!fs.exists(&fx.p("dst/a.txt")).await.unwrap());
    assert_eq!(&fs.cat(&fx.p("renamed.txt")).await.unwrap()[..], b"src/a.txt");

    assert_eq!(fs.rm(&fx.p("nothing-here"), false).await.unwrap_err().kind, ErrorKind::NotFound);
    assert_eq!(fs.rm(&fx.p("src"), false).await.unwrap_err().kind, ErrorKind::InvalidInput);
    fs.rm(&fx.p("src"), true).await.unwrap();
    assert!(!fs.exists(&fx.p("src")).await.unwrap());
    assert!(fs.exists(&fx.p("moved/deeper/c.txt")).await.unwrap(), "rm -r stays inside its prefix");
    // A prefix that is a string prefix of a sibling is not a parent of it.
    fs.pipe(&fx.p("moved2/x"), Bytes::from_static(b"x")).await.unwrap();
    fs.rm(&fx.p("moved"), true).await.unwrap();
    assert!(fs.exists(&fx.p("moved2/x")).await.unwrap());

    // More keys than one delete batch holds.
    let batch = fs.store().capabilities().max_delete_batch;
    let n = batch + 5;
    let keys: Vec<String> = (0..n).map(|i| format!("many/{i:05}")).collect();
    futures::future::try_join_all(keys.chunks(64).map(|c| async move {
        for k in c {
            fs.pipe(&fx.p(k), Bytes::new()).await?;
        }
        Ok::<_, pailfs::Error>(())
    }))
    .await
    .unwrap();
    assert_eq!(fs.find(&fx.p("many"), None, false).await.unwrap().len(), n);
    fs.rm(&fx.p("many"), true).await.unwrap();
    assert!(fs.find(&fx.p("many"), None, false).await.unwrap().is_empty());
}

pub async fn conditional_writes(fx: &Fixture) {
    let fs = &fx.fs;
    let create = PutOptions { if_none_match_any: true, ..PutOptions::default() };
    let m = fs.pipe_with(&fx.p("c.txt"), Bytes::from_static(b"one"), &create).await.unwrap();
    if !fs.store().capabilities().conditional_put {
        return;
    }
    let err = fs.pipe_with(&fx.p("c.txt"), Bytes::from_static(b"two"), &create).await.expect_err("exists");
    assert_eq!(err.kind, ErrorKind::PreconditionFailed, "{err:?}");
    assert_eq!(&fs.cat(&fx.p("c.txt")).await.unwrap()[..], b"one");
    let stale = PutOptions { if_match: Some("\"0000\"".into()), ..PutOptions::default() };
    let err = fs.pipe_with(&fx.p("c.txt"), Bytes::from_static(b"two"), &stale).await.expect_err("stale etag");
    assert_eq!(err.kind, ErrorKind::PreconditionFailed, "{err:?}");
    // The same create-only mode from a local file.
    let tmp = TempDir::new("cond");
    std::fs::write(tmp.0.join("f"), b"local").unwrap();
    let err = fs.put_file_with(tmp.0.join("f"), &fx.p("c.txt"), &create).await.expect_err("exists");
    assert_eq!(err.kind, ErrorKind::PreconditionFailed, "{err:?}");
    fs.put_file_with(tmp.0.join("f"), &fx.p("new.txt"), &create).await.unwrap();
    assert_eq!(&fs.cat(&fx.p("new.txt")).await.unwrap()[..], b"local");
    let fresh = PutOptions { if_match: m.etag.clone(), ..PutOptions::default() };
    fs.pipe_with(&fx.p("c.txt"), Bytes::from_static(b"two"), &fresh).await.unwrap();
    assert_eq!(&fs.cat(&fx.p("c.txt")).await.unwrap()[..], b"two");
}

pub async fn typed_errors(fx: &Fixture) {
    let fs = &fx.fs;
    assert_eq!(fs.cat(&fx.p("missing")).await.unwrap_err().kind, ErrorKind::NotFound);
    assert_eq!(fs.info(&fx.p("missing")).await.unwrap_err().kind, ErrorKind::NotFound);
    assert!(!fs.exists(&fx.p("missing")).await.unwrap());
    let no_bucket = format!("{}-none", fx.bucket);
    assert_eq!(fs.ls(&no_bucket).await.unwrap_err().kind, ErrorKind::NotFound);
    assert_eq!(fs.cat(&format!("{no_bucket}/k")).await.unwrap_err().kind, ErrorKind::NotFound);
    assert!(!fs.exists(&no_bucket).await.unwrap());
    assert_eq!(fs.cat(&fx.bucket).await.unwrap_err().kind, ErrorKind::InvalidInput, "a bucket is not a file");
    if !fs.store().capabilities().presign {
        assert_eq!(fs.sign(&fx.p("k"), std::time::Duration::from_secs(60)).await.unwrap_err().kind, ErrorKind::NotSupported);
    }
}

pub async fn local_transfers(fx: &Fixture) {
    let fs = &fx.fs;
    let tmp = TempDir::new("xfer");
    let src = tmp.0.join("src");
    std::fs::create_dir_all(src.join("sub/deep")).unwrap();
    let big = data(PART as usize + 4321, 11);
    std::fs::write(src.join("small.txt"), b"small").unwrap();
    std::fs::write(src.join("sub/big.bin"), &big).unwrap();
    std::fs::write(src.join("sub/deep/mäggi.png"), b"png").unwrap();
    fs.put(&src, &fx.p("up"), true).await.unwrap();
    let names: Vec<String> = fs.find(&fx.p("up"), None, false).await.unwrap().into_iter().map(|e| e.name).collect();
    assert_eq!(names, [fx.p("up/small.txt"), fx.p("up/sub/big.bin"), fx.p("up/sub/deep/mäggi.png")]);
    assert!(fs.cat(&fx.p("up/sub/big.bin")).await.unwrap() == big);

    let dst = tmp.0.join("dst");
    fs.get(&fx.p("up"), &dst, true).await.unwrap();
    assert_eq!(std::fs::read(dst.join("small.txt")).unwrap(), b"small");
    assert!(std::fs::read(dst.join("sub/big.bin")).unwrap() == big);
    assert_eq!(std::fs::read(dst.join("sub/deep/mäggi.png")).unwrap(), b"png");
    let leftovers: Vec<_> = std::fs::read_dir(dst.join("sub")).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(leftovers.len(), 2, "no temporary files left: {leftovers:?}");

    fs.put_file(src.join("small.txt"), &fx.p("one.txt")).await.unwrap();
    fs.get_file(&fx.p("one.txt"), tmp.0.join("one.txt")).await.unwrap();
    assert_eq!(std::fs::read(tmp.0.join("one.txt")).unwrap(), b"small");
    fs.pipe(&fx.p("empty"), Bytes::new()).await.unwrap();
    fs.get_file(&fx.p("empty"), tmp.0.join("empty")).await.unwrap();
    assert_eq!(std::fs::read(tmp.0.join("empty")).unwrap().len(), 0);
    let err = fs.get_file(&fx.p("missing"), tmp.0.join("missing.txt")).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::NotFound);
    assert!(!tmp.0.join("missing.txt").exists());
    assert_eq!(fs.put_file(tmp.0.join("no-such-file"), &fx.p("x")).await.unwrap_err().kind, ErrorKind::NotFound);
}

pub async fn presign(fx: &Fixture) {
    let fs = &fx.fs;
    fs.pipe(&fx.p("s.txt"), Bytes::from_static(b"signed")).await.unwrap();
    if !fs.store().capabilities().presign {
        assert_eq!(fs.sign(&fx.p("s.txt"), std::time::Duration::from_secs(60)).await.unwrap_err().kind, ErrorKind::NotSupported);
        return;
    }
    presigned_roundtrip(fx, &fx.p("s.txt"), &Bytes::from_static(b"signed")).await;
    let week = std::time::Duration::from_secs(8 * 24 * 3600);
    if fs.store().protocol() == "az" {
        // A service SAS made from the account key has no longest lifetime (only user
        // delegation SAS is limited to 7 days).
        let url = fs.sign(&fx.p("s.txt"), week).await.unwrap();
        assert_eq!(reqwest::get(&url).await.unwrap().status(), 200, "an 8-day SAS serves the blob");
    } else {
        let err = fs.sign(&fx.p("s.txt"), week).await.unwrap_err();
        assert_eq!(err.kind, ErrorKind::InvalidInput, "beyond 7 days");
    }
    // A tampered signature is refused by the server.
    let url = fs.sign(&fx.p("s.txt"), std::time::Duration::from_secs(60)).await.unwrap();
    let bad = tamper_signature(&url);
    let status = reqwest::get(&bad).await.unwrap().status();
    if fx.server.verifies_signatures {
        assert_eq!(status, 403, "a tampered signature must be refused");
    } else {
        // A server that checks nothing (moto) serves it: what proves the refusal above is
        // the server's, not a malformed URL.
        assert_eq!(status, 200, "a server that does not verify signatures serves the tampered URL");
    }
}

pub async fn touch_and_mkdir(fx: &Fixture) {
    let fs = &fx.fs;
    fs.touch(&fx.p("t/empty"), true).await.unwrap();
    assert_eq!(fs.size(&fx.p("t/empty")).await.unwrap(), 0);
    fs.pipe(&fx.p("t/full"), Bytes::from_static(b"data")).await.unwrap();
    fs.touch(&fx.p("t/full"), false).await.unwrap();
    assert_eq!(&fs.cat(&fx.p("t/full")).await.unwrap()[..], b"data", "touch without truncate keeps content");
    fs.touch(&fx.p("t/full"), true).await.unwrap();
    assert_eq!(fs.size(&fx.p("t/full")).await.unwrap(), 0);
    // mkdir below a bucket creates nothing visible, but succeeds.
    fs.mkdir(&fx.p("newdir/sub"), true).await.unwrap();
    fs.makedirs(&fx.p("newdir"), true).await.unwrap();
    let missing_bucket = format!("{}-nope/dir", fx.bucket);
    assert_eq!(fs.mkdir(&missing_bucket, false).await.unwrap_err().kind, ErrorKind::NotFound);
}

/// The URL with one hex digit of its signature flipped: the query parameter that carries the
/// signature is found by the same rule that redacts it from messages.
fn tamper_signature(url: &str) -> String {
    // On the raw query: a decoded value (a base64 SAS `sig` with `%2B`, `%3D`) would not be
    // found again in the URL.
    let (base, query) = url.split_once('?').expect("a presigned URL has a query");
    let mut found = false;
    let pairs: Vec<String> = query
        .split('&')
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let signs = pailfs::core::http::is_sensitive_query(k) && (k.to_ascii_lowercase().contains("signature") || k == "sig");
            if !signs || v.is_empty() {
                return pair.to_string();
            }
            found = true;
            let first = if v.starts_with('0') { '1' } else { '0' };
            format!("{k}={first}{}", &v[1..])
        })
        .collect();
    assert!(found, "a presigned URL carries a signature");
    format!("{base}?{}", pairs.join("&"))
}
