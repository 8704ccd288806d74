//! Parsing a realistic 1000-key ListObjectsV2 page: pailfs's parser against a plain quick-xml +
//! serde-derive parse of the same bytes (what object_store and OpenDAL do), in the same run.
//!   cargo bench --bench list_parse

use criterion::{Criterion, Throughput, black_box, criterion_group, criterion_main};
use pailfs::core::http::{Headers, Response};
use serde::Deserialize;

#[path = "page.rs"]
mod page;

use page::page;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
#[allow(dead_code)]
struct ListResult {
    is_truncated: bool,
    next_continuation_token: Option<String>,
    #[serde(default)]
    contents: Vec<Object>,
    #[serde(default)]
    common_prefixes: Vec<Prefix>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
#[allow(dead_code)]
struct Object {
    key: String,
    last_modified: String,
    e_tag: Option<String>,
    size: u64,
    storage_class: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
#[allow(dead_code)]
struct Prefix {
    prefix: String,
}

fn bench(c: &mut Criterion) {
    let body = page();
    let resp = Response::new(200, Headers::new(), body.clone());
    let ours = pailfs::core::s3::parse_list_objects_v2(&resp).unwrap();
    let theirs: ListResult = quick_xml::de::from_str(&body).unwrap();
    assert_eq!((ours.objects.len(), ours.prefixes.len()), (theirs.contents.len(), theirs.common_prefixes.len()));
    assert_eq!(ours.objects[17].key, theirs.contents[17].key);

    let mut g = c.benchmark_group("ListObjectsV2 page, 990 keys + 10 prefixes");
    g.throughput(Throughput::Bytes(body.len() as u64));
    g.bench_function("pailfs (typed ObjectMeta, dates parsed)", |b| {
        b.iter(|| black_box(pailfs::core::s3::parse_list_objects_v2(black_box(&resp)).unwrap()))
    });
    g.bench_function("quick-xml + serde derive (strings, dates unparsed)", |b| {
        b.iter(|| black_box(quick_xml::de::from_str::<ListResult>(black_box(&body)).unwrap()))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
