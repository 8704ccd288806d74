//! `pailfs`: aws s3 / gsutil / rclone-style verbs over s3://, gs://, az://, abfs://, file://,
//! memory:// and plain local paths. Stores are opened as every front end opens them
//! (`open_url`); keys are addressed verbatim (README, "The command line").

mod target;
mod transfer;

use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::sync::atomic::Ordering;
use std::time::Duration;

use clap::{Args, CommandFactory, Parser, Subcommand};
use pailfs::core::types::{ByteRange, PutOptions};
use pailfs::fs::Store;
use pailfs::fs::any::AnyStore;
use pailfs::fs::facade::FileSystem;
use pailfs::fs::glob::Pattern;
use pailfs::{Error, ErrorKind, Result};
use serde_json::json;

use target::{Item, Opener, Remote, Target, has_scheme};
use transfer::{CANCELLED, Filters, Settings, UPLOADS};

const CREDENTIALS: &str = "\
Credentials:
  s3://    in the AWS CLI's order: -o key=... -o secret=... [-o token=...]; AWS_ACCESS_KEY_ID +
           AWS_SECRET_ACCESS_KEY [+ AWS_SESSION_TOKEN] (unless --profile); the profile (--profile,
           AWS_PROFILE) in ~/.aws/credentials and ~/.aws/config: keys, role_arn + source_profile,
           web identity, credential_process; web identity (AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN);
           container credentials (ECS/EKS); EC2 instance metadata (IMDSv2). None found is an error
           naming each source tried, unless --anon is given. Region: --region, AWS_REGION,
           AWS_DEFAULT_REGION, the profile. Endpoint: --endpoint-url, AWS_ENDPOINT_URL_S3,
           AWS_ENDPOINT_URL, the profile's endpoint_url.
  gs://    as gcsfs: --anon; -o token=... (an OAuth access token); STORAGE_EMULATOR_HOST (that
           endpoint, anonymous); GOOGLE_APPLICATION_CREDENTIALS (service account or authorized_user
           JSON); gcloud's application_default_credentials.json ($CLOUDSDK_CONFIG or
           ~/.config/gcloud); the GCE metadata server (GCE_METADATA_HOST), one second at most;
           then anonymous, the documented last step. Endpoint: --endpoint-url or STORAGE_EMULATOR_HOST.
  az://    -o connection_string=..., -o account_name=... with -o account_key=... or -o sas_token=...,
  abfs://  else AZURE_STORAGE_CONNECTION_STRING, AZURE_STORAGE_ACCOUNT + AZURE_STORAGE_KEY or
           AZURE_STORAGE_SAS_TOKEN.

Exit status: 0 done, 1 error, 2 not found or usage error, 130 interrupted (Ctrl-C; uploads in
flight are aborted).";

#[derive(Parser)]
#[command(
    name = "pailfs",
    version,
    about = "Copy, list and manage objects in S3, GCS and Azure (and local files) with one tool",
    after_help = CREDENTIALS,
    after_long_help = CREDENTIALS,
    arg_required_else_help = true
)]
struct Cli {
    #[command(flatten)]
    global: Global,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Args)]
struct Global {
    /// Service endpoint for every URL of the command, e.g. http://127.0.0.1:9000 (an
    /// S3-compatible server, an emulator); the same as `-o endpoint_url=...`.
    #[arg(long = "endpoint-url", visible_alias = "endpoint", value_name = "URL", global = true)]
    endpoint_url: Option<String>,
    /// AWS region (s3:// only), e.g. eu-west-1.
    #[arg(long, global = true)]
    region: Option<String>,
    /// Send unsigned requests (public buckets); no credentials are looked for.
    #[arg(long, global = true)]
    anon: bool,
    /// A named AWS profile from the shared config files (not read yet: refused).
    #[arg(long, global = true, hide = true)]
    profile: Option<String>,
    /// A storage option as s3fs/gcsfs/adlfs name them: key, secret, token, region, anon,
    /// endpoint_url, requester_pays, max_attempts, timeout (seconds), connection_string, ...
    #[arg(short = 'o', long = "option", value_name = "NAME=VALUE", global = true)]
    options: Vec<String>,
    /// Part (block, chunk) size of uploads and downloads, e.g. 8MiB, 64M, 1048576.
    #[arg(long, value_name = "SIZE", global = true, value_parser = parse_size)]
    part_size: Option<u64>,
    /// Files transferred at once, and parts of one file in flight.
    #[arg(long, value_name = "N", global = true, default_value_t = 4)]
    concurrency: usize,
    /// No progress bars and no per-file lines.
    #[arg(short, long, global = true)]
    quiet: bool,
    /// Listing verbs print a JSON array (stat: an object) instead of text.
    #[arg(long, global = true)]
    json: bool,
    /// Sizes in bytes instead of KiB/MiB/GiB.
    #[arg(long, global = true)]
    bytes: bool,
}

/// Selection and dry run, shared by the copying verbs.
#[derive(Args, Clone)]
struct CopyArgs {
    /// Copy everything below SRC (a folder, a bucket, a local directory).
    #[arg(short, long)]
    recursive: bool,
    /// Print what would be done, and do nothing.
    #[arg(long)]
    dryrun: bool,
    /// Skip files whose path relative to SRC matches (glob: `*` in a segment, `**` across);
    /// repeatable, applied in order with --include, the last match winning.
    #[arg(long, value_name = "GLOB")]
    exclude: Vec<String>,
    /// Copy files matching GLOB even if an earlier --exclude matched them.
    #[arg(long, value_name = "GLOB")]
    include: Vec<String>,
    /// Content-Type of uploaded objects (default: from the file extension, else the store's).
    #[arg(long, value_name = "TYPE")]
    content_type: Option<String>,
    /// User metadata NAME=VALUE on uploaded objects (not supported yet: refused).
    #[arg(long, value_name = "NAME=VALUE")]
    metadata: Vec<String>,
}

#[derive(Subcommand)]
enum Cmd {
    /// List buckets, a folder, or (with -r) everything below it.
    #[command(
        after_help = "Examples:\n  pailfs ls s3://\n  pailfs ls -l s3://bucket/data/\n  pailfs ls -r --json gs://bucket/logs"
    )]
    Ls {
        /// What to list: `s3://` (the buckets), `s3://bucket`, `s3://bucket/folder/`, a local path.
        url: String,
        /// Long format: size, modification time, name.
        #[arg(short, long)]
        long: bool,
        /// Everything below, not just one level.
        #[arg(short = 'r', short_alias = 'R', long)]
        recursive: bool,
    },
    /// Show what is known about one object (size, type, ETag, metadata) or folder.
    #[command(visible_alias = "info", after_help = "Example:\n  pailfs stat s3://bucket/report.pdf")]
    Stat {
        /// The object or folder.
        url: String,
    },
    /// Write an object (or a byte range of it) to stdout.
    #[command(
        after_help = "Examples:\n  pailfs cat s3://bucket/notes.txt\n  pailfs cat --start 100 --end 200 s3://bucket/data.bin   # bytes 100..199"
    )]
    Cat {
        /// The object.
        url: String,
        /// First byte to print (0-based); negative counts from the end (-10: the last ten bytes).
        #[arg(long, allow_hyphen_values = true)]
        start: Option<i64>,
        /// Stop before this byte (exclusive); negative counts from the end (-1: all but the last).
        #[arg(long, allow_hyphen_values = true)]
        end: Option<i64>,
    },
    /// Print the first bytes of an object.
    #[command(after_help = "Example:\n  pailfs head -c 100 s3://bucket/big.csv")]
    Head {
        /// The object.
        url: String,
        /// How many bytes.
        #[arg(short = 'c', long = "count", value_name = "BYTES", default_value_t = 1024)]
        count: u64,
    },
    /// Print the last bytes of an object.
    #[command(after_help = "Example:\n  pailfs tail -c 100 s3://bucket/app.log")]
    Tail {
        /// The object.
        url: String,
        /// How many bytes.
        #[arg(short = 'c', long = "count", value_name = "BYTES", default_value_t = 1024)]
        count: u64,
    },
    /// Copy files: local to remote, remote to local, within a store (server-side) or between
    /// providers (streamed through this machine).
    #[command(
        after_help = "Examples:\n  pailfs cp ./report.pdf s3://bucket/reports/\n  pailfs cp -r ./data s3://bucket/data\n  pailfs cp s3://a/x gs://b/x\n  pailfs cp -r --exclude '*.tmp' s3://bucket/data ./data"
    )]
    Cp {
        /// What to copy: a URL or a local path.
        src: String,
        /// Where to: a URL or a local path; ending in `/` (or a local directory) copies into it.
        dst: String,
        #[command(flatten)]
        args: CopyArgs,
    },
    /// Move files: copy, then remove the source.
    #[command(after_help = "Example:\n  pailfs mv s3://bucket/in/a.csv s3://bucket/done/")]
    Mv {
        /// What to move: a URL or a local path.
        src: String,
        /// Where to: a URL or a local path.
        dst: String,
        #[command(flatten)]
        args: CopyArgs,
    },
    /// Upload a local file or (with -r) directory.
    #[command(after_help = "Example:\n  pailfs put -r ./site s3://bucket/www")]
    Put {
        /// The local file or directory.
        local: String,
        /// Where to upload it.
        url: String,
        #[command(flatten)]
        args: CopyArgs,
    },
    /// Download an object or (with -r) folder.
    #[command(after_help = "Example:\n  pailfs get s3://bucket/report.pdf ./")]
    Get {
        /// The object or folder.
        url: String,
        /// The local file or directory to write.
        local: String,
        #[command(flatten)]
        args: CopyArgs,
    },
    /// Make DST hold what SRC holds: copy what is missing or differs (size, then MD5 where both
    /// sides know it, else a newer modification time); --delete removes what SRC lacks.
    #[command(after_help = "Examples:\n  pailfs sync ./site s3://bucket/www --delete\n  pailfs sync s3://bucket/data ./data")]
    Sync {
        /// The source folder (URL or local directory).
        src: String,
        /// The destination folder.
        dst: String,
        /// Remove files at DST that SRC does not have.
        #[arg(long)]
        delete: bool,
        #[command(flatten)]
        args: CopyArgs,
    },
    /// Remove an object or (with -r) everything below a folder; buckets are removed with rb.
    #[command(after_help = "Examples:\n  pailfs rm s3://bucket/old.csv\n  pailfs rm -r --dryrun s3://bucket/tmp/")]
    Rm {
        /// The object or folder.
        url: String,
        /// Everything below the folder.
        #[arg(short, long)]
        recursive: bool,
        /// Print what would be removed, and remove nothing.
        #[arg(long)]
        dryrun: bool,
    },
    /// Total size and number of objects below a path.
    #[command(after_help = "Example:\n  pailfs du s3://bucket/logs")]
    Du {
        /// The folder or bucket.
        url: String,
    },
    /// Every object below a path, optionally only those whose name matches.
    #[command(after_help = "Example:\n  pailfs find s3://bucket/data --name '*.parquet'")]
    Find {
        /// The folder or bucket to search.
        url: String,
        /// Keep objects whose last path segment matches this glob.
        #[arg(long, value_name = "GLOB")]
        name: Option<String>,
    },
    /// Paths matching a glob (`*`, `**`, `?`, `[..]`).
    #[command(after_help = "Example:\n  pailfs glob 's3://bucket/2024-*/**/*.csv'")]
    Glob {
        /// The pattern, a URL with wildcards.
        pattern: String,
    },
    /// Upload stdin to an object (the key exactly as given, a trailing `/` included).
    #[command(after_help = "Example:\n  echo hello | pailfs pipe s3://bucket/hello.txt")]
    Pipe {
        /// The object to write.
        url: String,
        /// Content-Type of the object.
        #[arg(long, value_name = "TYPE")]
        content_type: Option<String>,
    },
    /// Create an empty object, or leave an existing one alone.
    #[command(after_help = "Example:\n  pailfs touch s3://bucket/_SUCCESS")]
    Touch {
        /// The object.
        url: String,
    },
    /// Make a bucket.
    #[command(after_help = "Example:\n  pailfs mb s3://new-bucket")]
    Mb {
        /// The bucket, e.g. s3://name.
        url: String,
    },
    /// Remove a bucket (it must be empty, unless --force).
    #[command(after_help = "Example:\n  pailfs rb --force s3://old-bucket")]
    Rb {
        /// The bucket.
        url: String,
        /// Remove every object first.
        #[arg(long)]
        force: bool,
    },
    /// Make a bucket, or a folder: a zero-byte `folder/` marker object, as the consoles do.
    #[command(after_help = "Example:\n  pailfs mkdir s3://bucket/reports")]
    Mkdir {
        /// The bucket or folder.
        url: String,
    },
    /// A presigned URL: anyone holding it can do METHOD on the object until it expires.
    #[command(after_help = "Example:\n  pailfs sign --expires 600 s3://bucket/report.pdf")]
    Sign {
        /// The object.
        url: String,
        /// Lifetime in seconds (at most 7 days).
        #[arg(long, default_value_t = 3600)]
        expires: u64,
        /// GET, HEAD, PUT (an upload without credentials) or DELETE.
        #[arg(long, default_value = "GET")]
        method: String,
    },
    /// Unfinished multipart uploads (S3): list or abort them.
    #[command(subcommand)]
    Mpu(Mpu),
    /// Print a shell completion script: `pailfs completions bash > /etc/bash_completion.d/pailfs`.
    Completions {
        /// bash, zsh, fish, elvish or powershell.
        shell: clap_complete::Shell,
    },
}

#[derive(Subcommand)]
enum Mpu {
    /// List the unfinished multipart uploads of a bucket (below a prefix).
    #[command(after_help = "Example:\n  pailfs mpu ls s3://bucket/uploads/")]
    Ls {
        /// The bucket, optionally with a key prefix.
        url: String,
    },
    /// Abort unfinished multipart uploads: one by id, or all below the URL.
    #[command(
        after_help = "Examples:\n  pailfs mpu abort s3://bucket/big.bin --upload-id 2~abc\n  pailfs mpu abort --all s3://bucket/"
    )]
    Abort {
        /// The object (with --upload-id) or prefix (with --all).
        url: String,
        /// The upload to abort.
        #[arg(long, required_unless_present = "all")]
        upload_id: Option<String>,
        /// Every unfinished upload below URL.
        #[arg(long, conflicts_with = "upload_id")]
        all: bool,
    },
}

/// `8MiB`, `64M`, `1G`, `1048576`.
fn parse_size(s: &str) -> std::result::Result<u64, String> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: u64 = num.parse().map_err(|_| format!("{s:?}: expected a size like 8MiB, 64M or 1048576"))?;
    let mult = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        _ => return Err(format!("{s:?}: unknown unit (B, KiB, MiB, GiB)")),
    };
    n.checked_mul(mult).filter(|&n| n > 0).ok_or_else(|| format!("{s:?}: out of range"))
}

/// An error and the exit status it ends the command with.
struct Failure {
    err: Error,
    code: u8,
}

impl From<Error> for Failure {
    fn from(err: Error) -> Self {
        let code = match err.kind {
            ErrorKind::NotFound => 2,
            ErrorKind::Cancelled => 130,
            _ => 1,
        };
        Failure { err, code }
    }
}

impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Self {
        Error::from(e).into()
    }
}

/// A usage error (exit 2), found after clap's own checks.
fn usage(msg: impl Into<String>) -> Failure {
    Failure { err: Error::invalid_input(msg), code: 2 }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let rt = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(rt) => rt,
        Err(e) => return fail(&Error::from(e).into(), None),
    };
    rt.spawn(async {
        if tokio::signal::ctrl_c().await.is_ok() {
            CANCELLED.store(true, Ordering::SeqCst);
            if UPLOADS.load(Ordering::SeqCst) == 0 {
                eprintln!("pailfs: interrupted");
                std::process::exit(130);
            }
            eprintln!("pailfs: interrupted; aborting the transfers in flight");
        }
    });
    let opener = match opener(&cli.global) {
        Ok(o) => o,
        Err(f) => return fail(&f, None),
    };
    let result = rt.block_on(run(cli, &opener));
    // A read of stdin may still block a runtime thread (an interrupted `pipe`): do not wait.
    rt.shutdown_background();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => fail(&f, Some(&opener)),
    }
}

fn fail(f: &Failure, opener: Option<&Opener>) -> ExitCode {
    let e = &f.err;
    // One line: what failed, on which path, and why (the store's code, when it gave one).
    let mut line = format!("pailfs: {e}").replace('\n', " ");
    if let Some(h) = opener.and_then(|o| o.hint(e)) {
        line.push_str(&format!(" ({h})"));
    }
    eprintln!("{line}");
    ExitCode::from(f.code)
}

fn opener(g: &Global) -> std::result::Result<Opener, Failure> {
    let mut pairs = Vec::new();
    if let Some(p) = &g.profile {
        pairs.push(("profile".to_string(), p.clone()));
    }
    for o in &g.options {
        let (k, v) = o.split_once('=').ok_or_else(|| usage(format!("-o {o:?}: expected NAME=VALUE")))?;
        pairs.push((k.trim().to_string(), v.to_string()));
    }
    let mut endpoint_path = None;
    if let Some(e) = &g.endpoint_url {
        if !e.contains("://") {
            return Err(usage(format!("--endpoint-url {e:?}: no scheme; did you mean http://{e} (or https://{e})?")));
        }
        let parsed = url::Url::parse(e).map_err(|why| usage(format!("--endpoint-url {:?}: {why}", target::shown(e))))?;
        if parsed.path() != "/" && !parsed.path().is_empty() {
            endpoint_path = Some(parsed.path().to_string());
        }
        pairs.push(("endpoint_url".into(), e.clone()));
    }
    Ok(Opener { pairs, anon: g.anon, region: g.region.clone(), endpoint_path })
}

fn human(n: u64, bytes: bool) -> String {
    if bytes || n < 1024 {
        return n.to_string();
    }
    let units = ["KiB", "MiB", "GiB", "TiB", "PiB"];
    let mut v = n as f64 / 1024.0;
    let mut i = 0;
    while v >= 1024.0 && i < units.len() - 1 {
        v /= 1024.0;
        i += 1;
    }
    format!("{v:.1} {}", units[i])
}

fn item_json(i: &Item) -> serde_json::Value {
    json!({
        "url": i.url,
        "key": i.key,
        "type": if i.dir { "directory" } else { "file" },
        "size": i.size,
        "last_modified": i.modified.map(|t| t.to_rfc3339()),
        "etag": i.etag,
    })
}

fn print_items(items: &[Item], g: &Global, long: bool) -> Result<()> {
    let mut out = std::io::stdout().lock();
    if g.json {
        writeln!(out, "{}", serde_json::Value::Array(items.iter().map(item_json).collect()))?;
        return Ok(());
    }
    for i in items {
        if long {
            let when = i.modified.map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string()).unwrap_or_default();
            let size = if i.dir { "DIR".to_string() } else { human(i.size, g.bytes) };
            writeln!(out, "{size:>10}  {when:>19}  {}", i.url)?;
        } else {
            writeln!(out, "{}", i.url)?;
        }
    }
    Ok(())
}

/// One level of a folder (or everything below it), named so each line pastes back. A
/// zero-byte `dir/` marker is the folder itself; a `dir/` key that holds data is listed.
async fn list(r: &Remote, recursive: bool) -> Result<Vec<Item>> {
    if r.bucket.is_empty() {
        let buckets = r.store.list_buckets().await?;
        return Ok(buckets
            .into_iter()
            .map(|b| Item { url: r.url_of(&b.name, ""), key: String::new(), dir: true, size: 0, modified: b.created, etag: None })
            .collect());
    }
    let prefix = r.dir_prefix();
    let (objects, prefixes) = r.list(&prefix, !recursive).await?;
    let found_anything = !objects.is_empty() || !prefixes.is_empty();
    let mut items: Vec<Item> = prefixes
        .into_iter()
        .map(|p| Item { url: r.url_of(&r.bucket, &p), key: p, dir: true, size: 0, modified: None, etag: None })
        .collect();
    items.extend(objects.into_iter().filter(|o| !(o.key == prefix && o.size == 0)).map(|o| Item::file(r, o)));
    if !found_anything {
        if r.key.is_empty() {
            if !r.store.bucket_exists(&r.bucket).await? {
                return Err(Error::not_found(format!("{}: no such bucket", r.url())));
            }
        } else {
            match r.head().await? {
                Some(m) => items.push(Item::file(r, m)),
                None => return Err(Error::not_found(format!("{}: no such file or directory", r.url()))),
            }
        }
    }
    items.sort_by(|a, b| a.url.cmp(&b.url));
    Ok(items)
}

fn settings(g: &Global, a: &CopyArgs) -> std::result::Result<Settings, Failure> {
    let mut filters = Vec::new();
    // clap keeps each flag's values apart; their order on the command line decides.
    let mut all: Vec<(usize, bool, &String)> = Vec::new();
    let args: Vec<String> = std::env::args().collect();
    let position = |flag: &str, v: &str| {
        args.windows(2)
            .position(|w| (w[0] == flag && w[1] == v) || w[1] == format!("{flag}={v}"))
            .or_else(|| args.iter().position(|x| x == &format!("{flag}={v}")))
            .unwrap_or(usize::MAX)
    };
    for e in &a.exclude {
        all.push((position("--exclude", e), false, e));
    }
    for i in &a.include {
        all.push((position("--include", i), true, i));
    }
    all.sort_by_key(|(p, _, _)| *p);
    for (_, include, pat) in all {
        filters.push((
            include,
            Pattern::new(pat)
                .map_err(|e| usage(format!("--{} {pat:?}: {}", if include { "include" } else { "exclude" }, e.message)))?,
        ));
    }
    let mut metadata = Vec::new();
    for m in &a.metadata {
        let (k, v) = m.split_once('=').ok_or_else(|| usage(format!("--metadata {m:?}: expected NAME=VALUE")))?;
        metadata.push((k.to_string(), v.to_string()));
    }
    Ok(Settings {
        part_size: g.part_size.unwrap_or(8 << 20),
        concurrency: g.concurrency.max(1),
        put: PutOptions { content_type: a.content_type.clone(), ..PutOptions::default() },
        metadata,
        dryrun: a.dryrun,
        quiet: g.quiet,
        progress: !g.quiet && std::io::stdout().is_terminal() && std::io::stderr().is_terminal(),
        filters: Filters(filters),
    })
}

async fn copy(
    o: &Opener,
    g: &Global,
    src: &str,
    dst: &str,
    a: &CopyArgs,
    remove_source: bool,
) -> std::result::Result<(), Failure> {
    let s = settings(g, a)?;
    let (from, to) = (o.target(src)?, o.target(dst)?);
    let files = transfer::sources(&from, a.recursive, &s.filters).await?;
    let dst_dir = a.recursive || transfer::dst_is_dir(&to).await?;
    let jobs = transfer::plan(&from, &to, &files, dst_dir)?;
    let sources: Vec<Target> = if remove_source { jobs.iter().map(|j| clone_target(&j.from)).collect() } else { Vec::new() };
    transfer::run(jobs, &s).await?;
    if remove_source && !s.dryrun {
        remove(&sources).await?;
    }
    Ok(())
}

fn clone_target(t: &Target) -> Target {
    match t {
        Target::Local(p) => Target::Local(p.clone()),
        Target::Remote(r) => Target::Remote(r.clone()),
    }
}

/// Remove files, in batches per bucket.
async fn remove(targets: &[Target]) -> Result<()> {
    let mut by_bucket: std::collections::BTreeMap<(String, String), (Remote, Vec<String>)> = Default::default();
    for t in targets {
        match t {
            Target::Local(p) => tokio::fs::remove_file(p).await.map_err(|e| Error::from(e).context(p.display()))?,
            Target::Remote(r) => by_bucket
                .entry((r.scheme.clone(), r.bucket.clone()))
                .or_insert_with(|| (r.clone(), Vec::new()))
                .1
                .push(r.key.clone()),
        }
    }
    for (r, keys) in by_bucket.into_values() {
        let batch = r.store.capabilities().max_delete_batch.max(1);
        for chunk in keys.chunks(batch) {
            let failed = r.store.delete_batch(&r.bucket, chunk).await?;
            if let Some(f) = failed.first() {
                return Err(Error::new(
                    ErrorKind::Service,
                    format!(
                        "{} of the deletions failed; first: {}: {} {}",
                        failed.len(),
                        r.url_of(&r.bucket, &f.key),
                        f.code,
                        f.message
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// Write bytes `[start, end)` of an object to stdout, a part at a time.
async fn print_range(r: &Remote, start: Option<i64>, end: Option<i64>, part: u64) -> std::result::Result<(), Failure> {
    // An inverted range is a mistake, not an empty answer (said before any request).
    if let (Some(a), Some(b)) = (start, end)
        && ((a >= 0) == (b >= 0))
        && a > b
    {
        return Err(usage(format!("--start {a} is after --end {b} (the range is [start, end), end exclusive)")));
    }
    let meta = r.file().await?;
    let size = meta.size;
    let at = |i: i64| if i < 0 { size.saturating_sub(i.unsigned_abs()) } else { (i as u64).min(size) };
    let (s, e) = (at(start.unwrap_or(0)), end.map(at).unwrap_or(size));
    let mut out = std::io::stdout().lock();
    let mut pos = s;
    while pos < e {
        let stop = (pos + part).min(e);
        let got = r.store.get(&r.bucket, &r.key, Some(ByteRange::From { start: pos, end: Some(stop) })).await?;
        if got.meta.etag != meta.etag {
            return Err(Error::new(ErrorKind::PreconditionFailed, format!("{}: changed while being read", r.url())).into());
        }
        out.write_all(&got.data)?;
        pos = stop;
    }
    out.flush()?;
    Ok(())
}

async fn run(cli: Cli, o: &Opener) -> std::result::Result<(), Failure> {
    let g = &cli.global;
    let part = g.part_size.unwrap_or(8 << 20);
    match cli.cmd {
        Cmd::Ls { url, long, recursive } => {
            let r = o.remote(&url)?;
            let items = list(&r, recursive).await?;
            print_items(&items, g, long)?;
        }
        Cmd::Stat { url } => stat(&o.remote(&url)?, g).await?,
        Cmd::Cat { url, start, end } => print_range(&o.remote(&url)?, start, end, part).await?,
        Cmd::Head { url, count } => print_range(&o.remote(&url)?, Some(0), Some(count as i64), part).await?,
        Cmd::Tail { url, count: 0 } => drop(o.remote(&url)?.file().await?),
        Cmd::Tail { url, count } => print_range(&o.remote(&url)?, Some(-(count as i64)), None, part).await?,
        Cmd::Cp { src, dst, args } => copy(o, g, &src, &dst, &args, false).await?,
        Cmd::Mv { src, dst, args } => copy(o, g, &src, &dst, &args, true).await?,
        Cmd::Put { local, url, args } => {
            if has_scheme(&local) {
                return Err(usage(format!("put {local:?}: the source of put is a local path (use cp between URLs)")));
            }
            copy(o, g, &local, &url, &args, false).await?
        }
        Cmd::Get { url, local, args } => {
            if has_scheme(&local) {
                return Err(usage(format!("get ... {local:?}: the destination of get is a local path (use cp between URLs)")));
            }
            copy(o, g, &url, &local, &args, false).await?
        }
        Cmd::Sync { src, dst, delete, args } => {
            let s = settings(g, &args)?;
            let (from, to) = (o.target(&src)?, o.target(&dst)?);
            let (jobs, gone) = transfer::sync_plan(&from, &to, &s, delete).await?;
            transfer::run(jobs, &s).await?;
            for t in &gone {
                println!("{}delete: {}", if s.dryrun { "(dryrun) " } else { "" }, transfer::describe(t));
            }
            if !s.dryrun {
                remove(&gone).await?;
            }
        }
        Cmd::Rm { url, recursive, dryrun } => {
            let r = o.remote(&url)?;
            if r.bucket.is_empty() {
                return Err(usage("rm needs a bucket and key; buckets are removed with rb"));
            }
            let mut keys = Vec::new();
            if r.exists_by_listing().await? {
                keys.push(r.key.clone());
            }
            if recursive {
                let (objects, _) = r.list(&r.dir_prefix(), false).await?;
                keys.extend(objects.into_iter().map(|o| o.key).filter(|k| *k != r.key));
            } else if keys.is_empty() && r.is_dir().await? {
                return Err(Error::new(ErrorKind::Conflict, format!("{}: is a directory; pass -r", r.url())).into());
            }
            if keys.is_empty() {
                if recursive && r.key.is_empty() {
                    return Ok(()); // an empty bucket: nothing to remove
                }
                return Err(Error::not_found(format!("{}: no such file or directory", r.url())).into());
            }
            let targets: Vec<Target> = keys.into_iter().map(|k| Target::Remote(r.with_key(k))).collect();
            for t in &targets {
                if dryrun || !g.quiet {
                    println!("{}delete: {}", if dryrun { "(dryrun) " } else { "" }, transfer::describe(t));
                }
            }
            if !dryrun {
                remove(&targets).await?;
            }
        }
        Cmd::Du { url } => {
            let r = o.remote(&url)?;
            let items = list(&r, true).await?;
            let (n, total) = (items.iter().filter(|i| !i.dir).count(), items.iter().map(|i| i.size).sum::<u64>());
            if g.json {
                println!("{}", json!({"url": r.url(), "size": total, "objects": n}));
            } else {
                println!("{}  {n} objects  {}", human(total, g.bytes), r.url());
            }
        }
        Cmd::Find { url, name } => {
            let r = o.remote(&url)?;
            let pat = name.map(|n| Pattern::new(&n)).transpose().map_err(|e| usage(format!("--name: {}", e.message)))?;
            let items: Vec<Item> = list(&r, true)
                .await?
                .into_iter()
                .filter(|i| !i.dir && pat.as_ref().is_none_or(|p| p.matches(i.key.rsplit('/').next().unwrap_or(""))))
                .collect();
            print_items(&items, g, false)?;
        }
        Cmd::Glob { pattern } => {
            let r = o.remote(&pattern)?;
            let fs = FileSystem::new(r.store.clone());
            let names = fs.glob(&format!("{}/{}", r.bucket, r.key)).await?;
            let items: Vec<Item> = names
                .into_iter()
                .map(|n| {
                    let (b, k) = n.split_once('/').unwrap_or((&n, ""));
                    Item { url: r.url_of(b, k), key: k.to_string(), dir: false, size: 0, modified: None, etag: None }
                })
                .collect();
            if g.json {
                let urls: Vec<&str> = items.iter().map(|i| i.url.as_str()).collect();
                println!("{}", json!(urls));
            } else {
                print_items(&items, g, false)?;
            }
        }
        Cmd::Pipe { url, content_type } => {
            let r = o.remote(&url)?;
            let args =
                CopyArgs { recursive: false, dryrun: false, exclude: vec![], include: vec![], content_type, metadata: vec![] };
            let s = settings(g, &args)?;
            let meta = transfer::upload(tokio::io::stdin(), &r, &s, None, transfer::Tick::default()).await?;
            if !g.quiet {
                println!("wrote {} bytes to {}", meta.size, r.url());
            }
        }
        Cmd::Touch { url } => {
            let r = o.remote(&url)?;
            if r.head().await?.is_none() {
                r.store.put(&r.bucket, &r.key, bytes::Bytes::new(), &PutOptions::default()).await?;
            }
        }
        Cmd::Mb { url } => {
            let r = o.remote(&url)?;
            if r.bucket.is_empty() || !r.key.is_empty() {
                return Err(usage(format!("mb {url:?}: give a bucket, e.g. s3://name")));
            }
            r.store.create_bucket(&r.bucket).await?;
            if !g.quiet {
                println!("make_bucket: {}", r.url());
            }
        }
        Cmd::Rb { url, force } => {
            let r = o.remote(&url)?;
            if r.bucket.is_empty() || !r.key.is_empty() {
                return Err(usage(format!("rb {url:?}: give a bucket, e.g. s3://name")));
            }
            let (objects, _) = r.list("", false).await?;
            if !objects.is_empty() {
                if !force {
                    return Err(Error::new(ErrorKind::Conflict, format!("{}: bucket is not empty; pass --force", r.url())).into());
                }
                remove(&objects.into_iter().map(|o| Target::Remote(r.with_key(o.key))).collect::<Vec<_>>()).await?;
            }
            r.store.delete_bucket(&r.bucket).await?;
            if !g.quiet {
                println!("remove_bucket: {}", r.url());
            }
        }
        Cmd::Mkdir { url } => {
            let r = o.remote(&url)?;
            if r.bucket.is_empty() {
                return Err(usage("mkdir needs a bucket (and folder) name"));
            }
            if !r.store.bucket_exists(&r.bucket).await? {
                r.store.create_bucket(&r.bucket).await?;
            }
            if !r.key.is_empty() {
                r.store.put(&r.bucket, &r.dir_prefix(), bytes::Bytes::new(), &PutOptions::default()).await?;
            }
        }
        Cmd::Sign { url, expires, method } => {
            let r = o.remote(&url)?;
            let m = pailfs::core::http::Method::parse(&method.to_ascii_uppercase())
                .ok_or_else(|| usage(format!("--method {method:?}: expected GET, HEAD, PUT or DELETE")))?;
            if r.key.is_empty() {
                return Err(usage(format!("sign {url:?}: give an object")));
            }
            let p = r.store.presign(m, &r.bucket, &r.key, Duration::from_secs(expires)).await?;
            // The user asked for the URL: printing its signature is the point here.
            println!("{}", p.url);
            for (k, v) in &p.headers {
                println!("{k}: {v}");
            }
        }
        Cmd::Mpu(m) => mpu(o, g, m).await?,
        Cmd::Completions { shell } => {
            clap_complete::generate(shell, &mut Cli::command(), "pailfs", &mut std::io::stdout());
        }
    }
    Ok(())
}

async fn stat(r: &Remote, g: &Global) -> std::result::Result<(), Failure> {
    let mut v = json!({"url": r.url()});
    if let Some(m) = r.head().await? {
        v["type"] = json!("file");
        v["size"] = json!(m.size);
        v["last_modified"] = json!(m.last_modified.map(|t| t.to_rfc3339()));
        v["etag"] = json!(m.etag);
        v["content_type"] = json!(m.content_type);
        v["storage_class"] = json!(m.storage_class);
        v["metadata"] = serde_json::Value::Object(m.metadata.iter().map(|(k, x)| (k.clone(), json!(x))).collect());
    } else if r.is_dir().await? {
        v["type"] = json!(if r.key.is_empty() { "bucket" } else { "directory" });
    } else {
        return Err(Error::not_found(format!("{}: no such file or directory", r.url())).into());
    }
    if g.json {
        println!("{v}");
        return Ok(());
    }
    let mut out = std::io::stdout().lock();
    // Text in a fixed order, the most asked-for first.
    for k in ["url", "type", "size", "last_modified", "etag", "content_type", "storage_class", "metadata"] {
        match (k, &v[k]) {
            (_, serde_json::Value::Null) => {}
            ("metadata", serde_json::Value::Object(m)) => {
                for (name, value) in m {
                    writeln!(out, "metadata.{name}: {}", value.as_str().unwrap_or_default())?;
                }
            }
            ("size", x) => writeln!(out, "size: {} ({x} bytes)", human(x.as_u64().unwrap_or(0), false))?,
            (k, serde_json::Value::String(s)) => writeln!(out, "{k}: {s}")?,
            (k, x) => writeln!(out, "{k}: {x}")?,
        }
    }
    Ok(())
}

async fn mpu(o: &Opener, g: &Global, m: Mpu) -> std::result::Result<(), Failure> {
    let url = match &m {
        Mpu::Ls { url } | Mpu::Abort { url, .. } => url.clone(),
    };
    let r = o.remote(&url)?;
    let AnyStore::S3(s3) = &r.store else {
        return Err(Error::not_supported(format!(
            "{}: only S3 has multipart uploads to list; GCS resumable sessions and Azure uncommitted blocks are not listed (the service drops them after a week)",
            r.url()
        ))
        .into());
    };
    if r.bucket.is_empty() {
        return Err(usage("mpu needs a bucket"));
    }
    let uploads = s3.list_multipart_uploads(&r.bucket, &r.key).await?;
    match m {
        Mpu::Ls { .. } => {
            if g.json {
                let v: Vec<_> =
                    uploads.iter().map(|(k, id)| json!({"url": r.url_of(&r.bucket, k), "key": k, "upload_id": id})).collect();
                println!("{}", json!(v));
            } else {
                for (k, id) in &uploads {
                    println!("{}\t{id}", r.url_of(&r.bucket, k));
                }
            }
        }
        Mpu::Abort { upload_id, .. } => {
            let chosen: Vec<&(String, String)> = match &upload_id {
                Some(id) => uploads.iter().filter(|(k, u)| u == id && *k == r.key).collect(),
                None => uploads.iter().collect(),
            };
            if let (Some(id), true) = (&upload_id, chosen.is_empty()) {
                return Err(Error::not_found(format!("{}: no unfinished upload {id}", r.url())).into());
            }
            for (k, id) in chosen {
                s3.abort_multipart(&r.bucket, k, id).await?;
                if !g.quiet {
                    println!("abort: {}\t{id}", r.url_of(&r.bucket, k));
                }
            }
        }
    }
    Ok(())
}
