//! The pailfs command-line tool. (being written)
fn main() {}
