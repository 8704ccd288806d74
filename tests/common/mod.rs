//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

/// The shared test vectors folder. They are data with their own licenses and are loaded
/// from outside the repository, never copied in. Looked up, in order: `$PAILFS_VECTORS`,
/// `<repo>/../shared/vectors`, `/work/shared/vectors`. A missing folder fails the test
/// (a vector suite that silently runs nothing must not pass).
pub fn vectors_dir() -> PathBuf {
    let mut candidates = Vec::new();
    if let Ok(p) = std::env::var("PAILFS_VECTORS") {
        candidates.push(PathBuf::from(p));
    }
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    candidates.push(repo.join("../shared/vectors"));
    candidates.push(PathBuf::from("/work/shared/vectors"));
    for c in &candidates {
        if c.join("README.md").is_file() {
            return c.clone();
        }
    }
    panic!("test vectors not found; looked in {candidates:?}. Set PAILFS_VECTORS to the shared/vectors folder.");
}

/// A sub-folder of the vectors, which must exist.
pub fn vectors(sub: &str) -> PathBuf {
    let p = vectors_dir().join(sub);
    assert!(p.is_dir(), "missing vector folder {}", p.display());
    p
}
