//! URL and path parsing, glob compilation and matching, key encoding on arbitrary text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pailfs::core::location::Location;
use pailfs::fs::{glob, path};

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    let _ = Location::parse(s);
    let (b, k) = path::split_path(s);
    let _ = (path::parent(s), path::name(s), path::join(&b, &k));
    let _ = pailfs::core::s3::encode_key(s);
    let _ = pailfs::core::s3::validate_bucket(&b);
    // Patterns are matched against themselves and a fixed path; long inputs are capped so a
    // slow (but correct) match of many stars cannot stall the run.
    if s.len() <= 256
        && let Ok(p) = glob::Pattern::new(s)
    {
        let _ = (p.matches(s), p.matches("bucket/a/b/c.txt"), p.literal_prefix(), p.max_depth());
    }
});
