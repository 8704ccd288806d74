//! `pailfs`: the fsspec verbs on the command line, over s3://, file:// and memory:// URLs.
//!
//! Credentials come from the standard AWS environment variables; `--endpoint` (or
//! `AWS_ENDPOINT_URL`) points at any S3-compatible server.

use std::io::{Read, Write};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use pailfs::core::location::{Location, Provider};
use pailfs::fs::any::AnyStore;
use pailfs::fs::facade::FileSystem;
use pailfs::fs::local::LocalStore;
use pailfs::fs::memory::MemoryStore;
use pailfs::fs::s3::S3Store;
use pailfs::{Error, ErrorKind, Result};

#[derive(Parser)]
#[command(name = "pailfs", version, about = "ls, cat, put, get, cp, mv, rm, sign over S3 (and file://, memory://)")]
struct Cli {
    /// S3-compatible endpoint, e.g. http://127.0.0.1:9000 (default: AWS, or $AWS_ENDPOINT_URL).
    #[arg(long, global = true)]
    endpoint: Option<String>,
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
    /// A presigned GET URL.
    Sign {
        url: String,
        /// Lifetime in seconds.
        #[arg(long, default_value_t = 3600)]
        expires: u64,
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

/// The store a URL names and the `bucket/key` path inside it.
fn open(url: &str, endpoint: Option<&str>) -> Result<(FileSystem<AnyStore>, String)> {
    if url == "s3://" || url == "s3:" {
        return Ok((FileSystem::new(AnyStore::S3(S3Store::from_env(endpoint)?)), String::new()));
    }
    let loc = Location::parse(url)?;
    let path = if loc.key.is_empty() { loc.bucket.clone() } else { format!("{}/{}", loc.bucket, loc.key) };
    let store = match loc.provider {
        Provider::S3 => AnyStore::S3(S3Store::from_env(endpoint.or(loc.endpoint.as_deref()))?),
        Provider::File => {
            let store = LocalStore::new("/")?;
            // file:///a/b/c → bucket `a`, key `b/c`.
            return Ok((FileSystem::new(AnyStore::Local(store)), loc.key.trim_start_matches('/').to_string()));
        }
        Provider::Memory => AnyStore::Memory(MemoryStore::new()),
        other => return Err(Error::not_supported(format!("{other:?} URLs are not supported by the CLI yet"))),
    };
    Ok((FileSystem::new(store), path))
}

async fn run(cli: Cli) -> Result<()> {
    let ep = cli.endpoint.as_deref();
    let mut out = std::io::stdout().lock();
    match cli.cmd {
        Cmd::Ls { url, long, recursive } => {
            let (fs, path) = open(&url, ep)?;
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
            let (fs, path) = open(&url, ep)?;
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
            let (fs, path) = open(&url, ep)?;
            out.write_all(&fs.cat_file(&path, start, end).await?)?;
        }
        Cmd::Pipe { url } => {
            let (fs, path) = open(&url, ep)?;
            let mut data = Vec::new();
            std::io::stdin().read_to_end(&mut data)?;
            let meta = fs.pipe(&path, data.into()).await?;
            writeln!(out, "wrote {} bytes to {path}", meta.size)?;
        }
        Cmd::Put { local, url, recursive } => {
            let (fs, path) = open(&url, ep)?;
            fs.put(&local, &path, recursive).await?;
        }
        Cmd::Get { url, local, recursive } => {
            let (fs, path) = open(&url, ep)?;
            fs.get(&path, &local, recursive).await?;
        }
        Cmd::Cp { src, dst, recursive } => {
            let (fs, from, to) = pair(&src, &dst, ep)?;
            fs.cp(&from, &to, recursive).await?;
        }
        Cmd::Mv { src, dst, recursive } => {
            let (fs, from, to) = pair(&src, &dst, ep)?;
            fs.mv(&from, &to, recursive).await?;
        }
        Cmd::Rm { url, recursive } => {
            let (fs, path) = open(&url, ep)?;
            fs.rm(&path, recursive).await?;
        }
        Cmd::Mkdir { url } => {
            let (fs, path) = open(&url, ep)?;
            fs.mkdir(&path, true).await?;
        }
        Cmd::Touch { url } => {
            let (fs, path) = open(&url, ep)?;
            fs.touch(&path, true).await?;
        }
        Cmd::Du { url } => {
            let (fs, path) = open(&url, ep)?;
            writeln!(out, "{}", fs.du(&path).await?)?;
        }
        Cmd::Glob { pattern } => {
            let (fs, path) = open(&pattern, ep)?;
            for p in fs.glob(&path).await? {
                writeln!(out, "{p}")?;
            }
        }
        Cmd::Sign { url, expires } => {
            let (fs, path) = open(&url, ep)?;
            // The user asked for the URL: printing its signature is the point here.
            writeln!(out, "{}", fs.sign(&path, Duration::from_secs(expires))?)?;
        }
    }
    Ok(())
}

/// cp/mv work within one store: both URLs must name the same kind of store.
fn pair(src: &str, dst: &str, ep: Option<&str>) -> Result<(FileSystem<AnyStore>, String, String)> {
    let (fs, from) = open(src, ep)?;
    let (other, to) = open(dst, ep)?;
    if std::mem::discriminant(fs.store()) != std::mem::discriminant(other.store()) {
        return Err(Error::invalid_input("cp/mv between different stores: use get and put"));
    }
    Ok((fs, from, to))
}
