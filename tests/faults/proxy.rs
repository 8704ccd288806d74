//! A fault-injecting HTTP/1.1 proxy of our own, on 127.0.0.1, for the reliability test.
//!
//! Requests are forwarded byte for byte (so SigV4 signatures still verify upstream), one
//! upstream connection per request. At the configured rate a request instead gets a 503
//! SlowDown, a 500 InternalError, a connection reset, a reset after the server carried the
//! request out (a lost reply), a stall, or its response cut short.
//! Faults whose outcome a client cannot know (reset, stall, truncation) are only injected on
//! idempotent methods: a correct client must not repeat a POST it cannot account for, so
//! those would be failures by design; the retry policy's unit tests cover that rule.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    SlowDown,
    Internal,
    Reset,
    /// The request reaches the server and is carried out; its answer is lost (reset).
    LostReply,
    Stall,
    Truncate,
}

impl Fault {
    /// The server's answer says the request was not carried out.
    fn definite(self) -> bool {
        matches!(self, Fault::SlowDown | Fault::Internal)
    }
}

/// Every kind, equally likely: the mix of the thousand-operation test.
pub const ALL: &[Fault] = &[Fault::SlowDown, Fault::Internal, Fault::Reset, Fault::LostReply, Fault::Stall, Fault::Truncate];

#[derive(Debug, Default)]
pub struct Stats {
    pub requests: AtomicU64,
    pub slowdown: AtomicU64,
    pub internal: AtomicU64,
    pub reset: AtomicU64,
    pub lost_reply: AtomicU64,
    pub stall: AtomicU64,
    pub truncate: AtomicU64,
}

impl Stats {
    pub fn faults(&self) -> u64 {
        [&self.slowdown, &self.internal, &self.reset, &self.lost_reply, &self.stall, &self.truncate]
            .iter()
            .map(|c| c.load(Ordering::Relaxed))
            .sum()
    }

    pub fn summary(&self) -> String {
        let l = |c: &AtomicU64| c.load(Ordering::Relaxed);
        format!(
            "{} requests, {} faults (503 SlowDown {}, 500 {}, reset {}, lost reply {}, stall {}, truncated body {})",
            l(&self.requests),
            self.faults(),
            l(&self.slowdown),
            l(&self.internal),
            l(&self.reset),
            l(&self.lost_reply),
            l(&self.stall),
            l(&self.truncate)
        )
    }
}

pub struct Proxy {
    pub addr: SocketAddr,
    pub stats: Arc<Stats>,
}

/// Start the proxy in front of `upstream`, injecting faults of the kinds in `mix` at `rate`
/// (0..1), deterministically from `seed`. A stall lasts `stall` (longer than the client's read
/// timeout).
pub async fn start(upstream: SocketAddr, rate: f64, mix: &'static [Fault], seed: u64, stall: Duration) -> Proxy {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
    let addr = listener.local_addr().unwrap();
    let stats = Arc::new(Stats::default());
    let rng = Arc::new(AtomicU64::new(seed | 1));
    let st = stats.clone();
    tokio::spawn(async move {
        loop {
            let Ok((client, _)) = listener.accept().await else { return };
            let (st, rng) = (st.clone(), rng.clone());
            tokio::spawn(async move { serve(client, upstream, rate, mix, rng, st, stall).await });
        }
    });
    Proxy { addr, stats }
}

fn next(rng: &AtomicU64) -> f64 {
    let mut x = rng.load(Ordering::Relaxed);
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    rng.store(x, Ordering::Relaxed);
    (x >> 11) as f64 / (1u64 << 53) as f64
}

/// A fault for this request, or none. A POST only gets definite ones (see the module note).
fn choose(rate: f64, mix: &[Fault], rng: &AtomicU64, idempotent: bool) -> Option<Fault> {
    if next(rng) >= rate {
        return None;
    }
    let allowed: Vec<Fault> = mix.iter().copied().filter(|f| idempotent || f.definite()).collect();
    let pick = (next(rng) * allowed.len() as f64) as usize;
    allowed.get(pick).copied()
}

/// One request: its bytes and method, or `None` at a clean end of the connection.
async fn read_request(s: &mut TcpStream) -> Option<(Vec<u8>, String)> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = s.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let method = head.split(' ').next().unwrap_or("").to_string();
    let len: usize = head
        .lines()
        .find_map(|l| {
            l.split_once(':')
                .filter(|(k, _)| k.eq_ignore_ascii_case("content-length"))
                .map(|(_, v)| v.trim().parse().unwrap_or(0))
        })
        .unwrap_or(0);
    while buf.len() < head_end + len {
        let n = s.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    Some((buf, method))
}

fn error_response(status: &str, code: &str) -> Vec<u8> {
    let body = format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{code}</Code><Message>injected</Message></Error>");
    format!("HTTP/1.1 {status}\r\nContent-Type: application/xml\r\nContent-Length: {}\r\n\r\n{body}", body.len()).into_bytes()
}

async fn serve(
    mut client: TcpStream,
    upstream: SocketAddr,
    rate: f64,
    mix: &[Fault],
    rng: Arc<AtomicU64>,
    st: Arc<Stats>,
    stall: Duration,
) {
    while let Some((req, method)) = read_request(&mut client).await {
        st.requests.fetch_add(1, Ordering::Relaxed);
        let fault = choose(rate, mix, &rng, method != "POST");
        let reply = match fault {
            Some(Fault::SlowDown) => {
                st.slowdown.fetch_add(1, Ordering::Relaxed);
                error_response("503 Slow Down", "SlowDown")
            }
            Some(Fault::Internal) => {
                st.internal.fetch_add(1, Ordering::Relaxed);
                error_response("500 Internal Server Error", "InternalError")
            }
            Some(Fault::Reset) => {
                st.reset.fetch_add(1, Ordering::Relaxed);
                // A zero linger makes the close a RST, and never blocks (the deprecation is
                // about non-zero lingers).
                #[allow(deprecated)]
                let _ = client.set_linger(Some(Duration::ZERO));
                return;
            }
            Some(Fault::Stall) => {
                st.stall.fetch_add(1, Ordering::Relaxed);
                tokio::time::sleep(stall).await;
                return;
            }
            Some(Fault::LostReply) => {
                st.lost_reply.fetch_add(1, Ordering::Relaxed);
                let _ = forward(upstream, &req).await;
                #[allow(deprecated)]
                let _ = client.set_linger(Some(Duration::ZERO));
                return;
            }
            None | Some(Fault::Truncate) => {
                let Some(resp) = forward(upstream, &req).await else { return };
                if fault == Some(Fault::Truncate) {
                    let head_end = resp.windows(4).position(|w| w == b"\r\n\r\n").map_or(resp.len(), |i| i + 4);
                    if resp.len() > head_end {
                        st.truncate.fetch_add(1, Ordering::Relaxed);
                        let cut = head_end + (resp.len() - head_end) / 2;
                        let _ = client.write_all(&resp[..cut]).await;
                        return;
                    }
                }
                resp
            }
        };
        if client.write_all(&reply).await.is_err() {
            return;
        }
    }
}

/// Send the request upstream on a fresh connection (asking it to close) and read it all.
async fn forward(upstream: SocketAddr, req: &[u8]) -> Option<Vec<u8>> {
    let head_end = req.windows(4).position(|w| w == b"\r\n\r\n")? + 2;
    let mut out = Vec::with_capacity(req.len() + 20);
    out.extend_from_slice(&req[..head_end]);
    // Unsigned, so adding it leaves the signature valid.
    out.extend_from_slice(b"Connection: close\r\n");
    out.extend_from_slice(&req[head_end..]);
    let mut up = TcpStream::connect(upstream).await.ok()?;
    up.write_all(&out).await.ok()?;
    let mut resp = Vec::new();
    up.read_to_end(&mut resp).await.ok()?;
    Some(resp)
}
