//! The benchmark listing page, for the wasm bench (`benches/wasm_parse.mjs`):
//!   cargo run --release --example listing_page -- page.xml     write the page
//!   cargo run --release --example listing_page -- --time N     native µs per parse over N parses

#[path = "../benches/page.rs"]
mod page;

use pailfs::core::http::{Headers, Response};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let body = page::page();
    match args.first().map(String::as_str) {
        Some("--time") => {
            let n: u32 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(200);
            let resp = Response::new(200, Headers::new(), body);
            for _ in 0..20 {
                std::hint::black_box(pailfs::core::s3::parse_list_objects_v2(&resp).unwrap());
            }
            let t = std::time::Instant::now();
            for _ in 0..n {
                std::hint::black_box(pailfs::core::s3::parse_list_objects_v2(&resp).unwrap());
            }
            println!("{:.1}", t.elapsed().as_secs_f64() * 1e6 / f64::from(n));
        }
        Some(path) => std::fs::write(path, body).expect("write the page"),
        None => print!("{body}"),
    }
}
