//! The generated ListObjectsV2 page shared by the native bench, the wasm bench and the example
//! that prints it.

/// A page as S3 sends it: mixed key lengths, unicode and escaped characters, sizes, ETags,
/// dates, storage classes, and common prefixes, deterministic.
pub fn page() -> String {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let words = ["data", "raw", "2026", "année", "photos", "log&trace", "q1 report", "🇦🇺", "part-00017", "x<y>"];
    let mut s = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\
         <Name>examplebucket</Name><Prefix>datasets/</Prefix><KeyCount>1000</KeyCount><MaxKeys>1000</MaxKeys>\
         <Delimiter>/</Delimiter><IsTruncated>true</IsTruncated>\
         <NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>",
    );
    for i in 0..990 {
        let depth = 1 + next() % 4;
        let mut key = String::from("datasets/");
        for d in 0..depth {
            key.push_str(words[(next() % words.len() as u64) as usize]);
            key.push(if d + 1 == depth { '-' } else { '/' });
        }
        key.push_str(&format!("{i:05}.parquet"));
        let key = key.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
        s.push_str(&format!(
            "<Contents><Key>{key}</Key><LastModified>2026-{:02}-{:02}T{:02}:{:02}:{:02}.000Z</LastModified>\
             <ETag>&quot;{:032x}&quot;</ETag><ChecksumAlgorithm>CRC32C</ChecksumAlgorithm><Size>{}</Size>\
             <StorageClass>{}</StorageClass></Contents>",
            1 + next() % 12,
            1 + next() % 28,
            next() % 24,
            next() % 60,
            next() % 60,
            (next() as u128) << 64 | next() as u128,
            next() % 10_000_000_000,
            if next() % 3 == 0 { "STANDARD_IA" } else { "STANDARD" }
        ));
    }
    for i in 0..10 {
        s.push_str(&format!("<CommonPrefixes><Prefix>datasets/shard-{i:03}/</Prefix></CommonPrefixes>"));
    }
    s.push_str("</ListBucketResult>");
    s
}
