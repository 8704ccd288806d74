//! `pailfs`: the fsspec verbs on the command line, over s3://, file:// and memory:// URLs.
//!
//! Stores are opened as every front end opens them (`pailfs::fs::open::open_url`), with the
//! fsspec family's option names: `-o key=value`, repeatable. For s3:// URLs the standard AWS
//! environment variables fill in what `-o` does not give; `--endpoint` (or `AWS_ENDPOINT_URL`)
//! points at any S3-compatible server.

use std::io::{Read, Write};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use pailfs::core::location::{Location, Provider};
use pailfs::core::options::StoreOptions;
use pailfs::fs::any::AnyStore;
use pailfs::fs::facade::FileSystem;
use pailfs::fs::open::{Opened, open_url};
use pailfs::{Error, ErrorKind, Result};

#[derive(Parser)]
#[command(name = "pailfs", version, about = "ls, cat, put, get, cp, mv, rm, sign over S3 (and file://, memory://)")]
struct Cli {
    /// S3-compatible endpoint, e.g. http://127.0.0.1:9000 (default: AWS, or $AWS_ENDPOINT_URL);
    /// the same as `-o endpoint_url=...`.
    #[arg(long, global = true)]
    endpoint: Option<String>,
    /// A storage option, as s3fs/gcsfs/adlfs name them: key, secret, token, region, anon,
    /// endpoint_url, requester_pays, max_attempts, timeout (seconds), part_size, block_size, ...
    #[arg(short = 'o', long = "option", value_name = "NAME=VALUE", global = true)]
    options: Vec<String>,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// List a directory (or the buckets, for `s3://`).
    Ls {
        url: String,
        /// Long format: size, modification time, name.
        #[arg(short, long)]
        long: bool,
        /// Everything below, not just one level.
        #[arg(short = 'R', long)]
        recursive: bool,
    },
    /// Print what is known about one path.
    Info { url: String },
    /// Write a file (or a byte range of it) to stdout.
    Cat {
        url: String,
        #[arg(long, allow_hyphen_values = true)]
        start: Option<i64>,
        #[arg(long, allow_hyphen_values = true)]
        end: Option<i64>,
    },
    /// Upload stdin to a file.
    Pipe { url: String },
    /// Upload a local file or (with -r) directory.
    Put {
        local: String,
        url: String,
        #[arg(short, long)]
        recursive: bool,
    },
    /// Download a file or (with -r) directory.
    Get {
        url: String,
        local: String,
        #[arg(short, long)]
        recursive: bool,
    },
    /// Server-side copy.
    Cp {
        src: String,
        dst: String,
        #[arg(short, long)]
        recursive: bool,
    },
    /// Move (copy, then delete the source).
    Mv {
        src: String,
        dst: String,
        #[arg(short, long)]
        recursive: bool,
    },
    /// Remove a file or (with -r) everything below a path.
    Rm {
        url: String,
        #[arg(short, long)]
        recursive: bool,
    },
    /// Create a bucket.
    Mkdir { url: String },
    /// Create an empty file.
    Touch { url: String },
    /// Total size below a path.
    Du { url: String },
    /// Paths matching a glob (`*`, `**`, `?`, `[..]`).
    Glob { pattern: String },
    /// A presigned URL: anyone holding it can do METHOD on the object until it expires.
    Sign {
        url: String,
        /// Lifetime in seconds (at most 7 days).
        #[arg(long, default_value_t = 3600)]
        expires: u64,
        /// GET, HEAD, PUT (an upload without credentials) or DELETE.
        #[arg(long, default_value = "GET")]
        method: String,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => return fail(&Error::from(e)),
    };
    match rt.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(&e),
    }
}

fn fail(e: &Error) -> ExitCode {
    eprintln!("pailfs: {e}");
    ExitCode::from(if e.kind == ErrorKind::NotFound { 2 } else { 1 })
}

/// How stores are opened: the `-o` options, `--endpoint`, and (for s3://) the AWS environment.
struct Opener {
    pairs: Vec<(String, String)>,
}

impl Opener {
    fn new(cli: &Cli) -> Result<Opener> {
        let mut pairs = Vec::new();
        for o in &cli.options {
            let (k, v) = o.split_once('=').ok_or_else(|| Error::invalid_input(format!("-o {o:?}: expected NAME=VALUE")))?;
            pairs.push((k.trim().to_string(), v.to_string()));
        }
        if let Some(e) = &cli.endpoint {
            pairs.push(("endpoint_url".into(), e.clone()));
        }
        Ok(Opener { pairs })
    }

    /// The store a URL names and the `bucket/key` path inside it.
    fn open(&self, url: &str) -> Result<(FileSystem<AnyStore>, String)> {
        let url = if url == "s3:" { "s3://" } else { url };
        let mut pairs = self.pairs.clone();
        let loc = Location::parse(url)?;
        if loc.provider == Provider::S3 {
            aws_environment(&mut pairs, loc.region.is_some());
        }
        let Opened { fs, path } = open_url(url, &StoreOptions::from_pairs(pairs)?)?;
        Ok((fs, path))
    }
}

/// What the AWS CLI reads from the environment, for the options `-o` left unset: keys (unless
/// anonymous), the region (unless the URL names one), the endpoint.
fn aws_environment(pairs: &mut Vec<(String, String)>, url_has_region: bool) {
    let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let given: Vec<String> = pairs.iter().map(|(n, _)| n.clone()).collect();
    let has = |k: &str| given.iter().any(|n| n == k);
    let anon = pairs.iter().any(|(n, v)| n == "anon" && v.eq_ignore_ascii_case("true"));
    let mut fill = |name: &str, value: Option<String>| {
        if let Some(v) = value.filter(|_| !has(name)) {
            pairs.push((name.to_string(), v));
        }
    };
    if !anon
        && !has("key")
        && let (Some(id), Some(secret)) = (var("AWS_ACCESS_KEY_ID"), var("AWS_SECRET_ACCESS_KEY"))
    {
        fill("key", Some(id));
        fill("secret", Some(secret));
        fill("token", var("AWS_SESSION_TOKEN"));
    }
    if !url_has_region && !has("client_kwargs.region_name") {
        fill("region", var("AWS_REGION").or_else(|| var("AWS_DEFAULT_REGION")));
    }
    if !has("client_kwargs.endpoint_url") {
        fill("endpoint_url", var("AWS_ENDPOINT_URL_S3").or_else(|| var("AWS_ENDPOINT_URL")));
    }
}

async fn run(cli: Cli) -> Result<()> {
    let opener = Opener::new(&cli)?;
    let mut out = std::io::stdout().lock();
    match cli.cmd {
        Cmd::Ls { url, long, recursive } => {
            let (fs, path) = opener.open(&url)?;
            let entries = if recursive { fs.find(&path, None, true).await? } else { fs.ls(&path).await? };
            for e in entries {
                if long {
                    let when = e.meta.as_ref().and_then(|m| m.last_modified).map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string());
                    let kind = if e.is_dir() { "DIR" } else { "" };
                    writeln!(out, "{:>12} {:>19} {:>3} {}", e.size, when.unwrap_or_default(), kind, e.name)?;
                } else {
                    writeln!(out, "{}", e.name)?;
                }
            }
        }
        Cmd::Info { url } => {
            let (fs, path) = opener.open(&url)?;
            let e = fs.info(&path).await?;
            writeln!(out, "name: {}\ntype: {}\nsize: {}", e.name, if e.is_dir() { "directory" } else { "file" }, e.size)?;
            if let Some(m) = e.meta {
                for (k, v) in [("etag", m.etag), ("content_type", m.content_type), ("storage_class", m.storage_class)] {
                    if let Some(v) = v {
                        writeln!(out, "{k}: {v}")?;
                    }
                }
                if let Some(t) = m.last_modified {
                    writeln!(out, "last_modified: {}", t.to_rfc3339())?;
                }
            }
        }
        Cmd::Cat { url, start, end } => {
            let (fs, path) = opener.open(&url)?;
            out.write_all(&fs.cat_file(&path, start, end).await?)?;
        }
        Cmd::Pipe { url } => {
            let (fs, path) = opener.open(&url)?;
            let mut data = Vec::new();
            std::io::stdin().read_to_end(&mut data)?;
            let meta = fs.pipe(&path, data.into()).await?;
            writeln!(out, "wrote {} bytes to {path}", meta.size)?;
        }
        Cmd::Put { local, url, recursive } => {
            let (fs, path) = opener.open(&url)?;
            fs.put(&local, &path, recursive).await?;
        }
        Cmd::Get { url, local, recursive } => {
            let (fs, path) = opener.open(&url)?;
            fs.get(&path, &local, recursive).await?;
        }
        Cmd::Cp { src, dst, recursive } => {
            let (fs, from, to) = pair(&opener, &src, &dst)?;
            fs.cp(&from, &to, recursive).await?;
        }
        Cmd::Mv { src, dst, recursive } => {
            let (fs, from, to) = pair(&opener, &src, &dst)?;
            fs.mv(&from, &to, recursive).await?;
        }
        Cmd::Rm { url, recursive } => {
            let (fs, path) = opener.open(&url)?;
            fs.rm(&path, recursive).await?;
        }
        Cmd::Mkdir { url } => {
            let (fs, path) = opener.open(&url)?;
            fs.mkdir(&path, true).await?;
        }
        Cmd::Touch { url } => {
            let (fs, path) = opener.open(&url)?;
            fs.touch(&path, true).await?;
        }
        Cmd::Du { url } => {
            let (fs, path) = opener.open(&url)?;
            writeln!(out, "{}", fs.du(&path).await?)?;
        }
        Cmd::Glob { pattern } => {
            let (fs, path) = opener.open(&pattern)?;
            for p in fs.glob(&path).await? {
                writeln!(out, "{p}")?;
            }
        }
        Cmd::Sign { url, expires, method } => {
            let (fs, path) = opener.open(&url)?;
            let method = pailfs::core::http::Method::parse(&method.to_ascii_uppercase())
                .ok_or_else(|| Error::invalid_input(format!("--method {method:?}: expected GET, HEAD, PUT or DELETE")))?;
            let p = fs.presign(method, &path, Duration::from_secs(expires)).await?;
            // The user asked for the URL: printing its signature is the point here.
            writeln!(out, "{}", p.url)?;
            for (k, v) in &p.headers {
                writeln!(out, "{k}: {v}")?;
            }
        }
    }
    Ok(())
}

/// cp/mv work within one store: both URLs must name the same kind of store.
fn pair(opener: &Opener, src: &str, dst: &str) -> Result<(FileSystem<AnyStore>, String, String)> {
    let (fs, from) = opener.open(src)?;
    let (other, to) = opener.open(dst)?;
    if std::mem::discriminant(fs.store()) != std::mem::discriminant(other.store()) {
        return Err(Error::invalid_input("cp/mv between different stores: use get and put"));
    }
    Ok((fs, from, to))
}
