//! The `pailfs` command line as a user runs it: the built binary, its output, its errors and
//! exit codes. The server-free checks use local paths and memory://; the rest run against
//! moto, storage-testbench and Azurite (`make test` starts them and sources .servers/*.env).

use std::io::Write;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};

/// Variables of the caller's environment that would change what the binary does.
const SCRUBBED: &[&str] = &[
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_S3",
    "AWS_PROFILE",
    "STORAGE_EMULATOR_HOST",
    "AZURE_STORAGE_CONNECTION_STRING",
    "AZURE_STORAGE_ACCOUNT",
    "AZURE_STORAGE_KEY",
    "AZURE_STORAGE_SAS_TOKEN",
];

fn command(args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_pailfs"));
    cmd.args(args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    for k in SCRUBBED {
        cmd.env_remove(k);
    }
    cmd.envs(env.iter().copied());
    cmd
}

fn pailfs(args: &[&str], stdin: Option<&[u8]>, env: &[(&str, &str)]) -> Output {
    let mut child = command(args, env).spawn().expect("run pailfs");
    let mut input = child.stdin.take().unwrap();
    if let Some(data) = stdin {
        input.write_all(data).unwrap();
    }
    drop(input);
    child.wait_with_output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Run, expect success, return stdout.
fn ok(out: Output) -> String {
    assert!(out.status.success(), "exit {:?}: {}", out.status.code(), text(&out.stderr));
    text(&out.stdout)
}

fn tempdir(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("pailfs-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn write(p: &Path, data: &[u8]) {
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, data).unwrap();
}

/// Deterministic bytes that are not all alike (so a shifted or truncated copy differs).
fn pattern(n: usize, seed: u8) -> Vec<u8> {
    (0..n).map(|i| (i as u32).wrapping_mul(2654435761).rotate_left(seed as u32 % 31).to_le_bytes()[1] ^ seed).collect()
}

#[test]
fn bad_options_are_named_and_exit_1_without_touching_the_network() {
    let out = pailfs(&["-o", "endpoint=http://127.0.0.1:9", "ls", "s3://b"], None, &[]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("unknown option(s) \"endpoint\" (did you mean \"endpoint_url\"?)"), "{err}");
    let out = pailfs(&["-o", "account_key=c2VjcmV0", "ls", "s3://b"], None, &[]);
    let err = text(&out.stderr);
    assert!(err.contains("\"account_key\" is an option of Azure") && !err.contains("c2VjcmV0"), "{err}");
    let out = pailfs(&["-o", "novalue", "ls", "s3://b"], None, &[]);
    assert!(text(&out.stderr).contains("expected NAME=VALUE"));
    let out = pailfs(&["sign", "memory://b/k"], None, &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("NotSupported"));
}

#[test]
fn usage_errors_exit_2_with_one_line_that_says_what_to_do() {
    // An inverted range was an empty answer and exit 0.
    let out = pailfs(&["cat", "--start", "5", "--end", "2", "memory://bkt/k"], None, &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("--start 5 is after --end 2"), "{}", text(&out.stderr));
    // An endpoint without a scheme was "relative URL without a base".
    let out = pailfs(&["--endpoint", "127.0.0.1:9000", "ls", "s3://bkt"], None, &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("did you mean http://127.0.0.1:9000"), "{}", text(&out.stderr));
    // A --profile that no shared file holds is an error naming it, not anonymous requests.
    let empty = tempdir("noprofile");
    let (cfg, creds) = (empty.join("config"), empty.join("credentials"));
    let files = [("AWS_CONFIG_FILE", cfg.to_str().unwrap()), ("AWS_SHARED_CREDENTIALS_FILE", creds.to_str().unwrap())];
    let out = pailfs(&["--endpoint-url", "http://127.0.0.1:9", "--profile", "dev", "ls", "s3://bkt"], None, &files);
    assert_ne!(out.status.code(), Some(0));
    assert!(text(&out.stderr).contains("\"dev\""), "{}", text(&out.stderr));
    // clap's own usage errors: 2 as well.
    assert_eq!(pailfs(&["frobnicate"], None, &[]).status.code(), Some(2));
    assert_eq!(pailfs(&["cp", "only-one"], None, &[]).status.code(), Some(2));
    // Each of those errors is one line.
    let out = pailfs(&["--endpoint", "127.0.0.1:9000", "ls", "s3://bkt"], None, &[]);
    assert_eq!(text(&out.stderr).lines().count(), 1, "one line: {}", text(&out.stderr));
}

#[test]
fn missing_or_half_set_credentials_are_an_error_not_anonymous() {
    let ep = ["--endpoint-url", "http://127.0.0.1:9"];
    let out = pailfs(&[&ep[..], &["ls", "s3://bkt"]].concat(), None, &[]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    // The AWS credential chain's error: every source tried, and how to ask for anonymous access.
    assert!(
        err.contains("no credentials found; tried: ") && err.contains("AWS_ACCESS_KEY_ID") && err.contains("--anon"),
        "{err}"
    );
    assert!(
        err.contains("profile \"default\"") && err.contains("web identity") && err.contains("container credentials"),
        "{err}"
    );
    let out = pailfs(&[&ep[..], &["ls", "s3://bkt"]].concat(), None, &[("AWS_ACCESS_KEY_ID", "AKIDONLY")]);
    let err = text(&out.stderr);
    assert!(err.contains("AWS_SECRET_ACCESS_KEY is not"), "{err}");
    // --anon asks for unsigned requests: the request is sent (and fails to connect, port 9).
    let out = pailfs(&[&ep[..], &["--anon", "ls", "s3://bkt"]].concat(), None, &[]);
    assert!(!text(&out.stderr).contains("no credentials found"), "{}", text(&out.stderr));
    // --help says where credentials come from.
    let help = ok(pailfs(&["--help"], None, &[]));
    assert!(
        help.contains("AWS_ACCESS_KEY_ID")
            && help.contains("STORAGE_EMULATOR_HOST")
            && help.contains("AZURE_STORAGE_CONNECTION_STRING")
    );
}

#[test]
fn every_verb_has_help_with_an_example_and_described_arguments() {
    let verbs = [
        "ls", "stat", "cat", "head", "tail", "cp", "mv", "put", "get", "sync", "rm", "du", "find", "glob", "pipe", "touch", "mb",
        "rb", "mkdir", "sign",
    ];
    for v in verbs {
        let help = ok(pailfs(&[v, "--help"], None, &[]));
        assert!(help.contains("Example"), "{v} --help has no example:\n{help}");
        // Every positional argument and option carries a description: no bare `<URL>` line.
        for line in help.lines().map(str::trim) {
            let bare = (line.starts_with('<') || line.starts_with('-')) && !line.contains("  ");
            assert!(!bare || line.starts_with("-h") || line.starts_with("-V"), "{v}: undescribed {line:?}");
        }
    }
    let cat = ok(pailfs(&["cat", "--help"], None, &[]));
    assert!(cat.contains("exclusive") && cat.contains("negative counts from the end"), "{cat}");
    for v in [["mpu", "ls"], ["mpu", "abort"]] {
        assert!(ok(pailfs(&[v[0], v[1], "--help"], None, &[])).contains("Example"));
    }
}

#[test]
fn completions_for_bash_zsh_and_fish() {
    assert!(ok(pailfs(&["completions", "bash"], None, &[])).contains("complete -F"));
    assert!(ok(pailfs(&["completions", "zsh"], None, &[])).contains("#compdef pailfs"));
    assert!(ok(pailfs(&["completions", "fish"], None, &[])).contains("complete -c pailfs"));
}

#[test]
fn local_paths_just_work_and_listings_paste_back() {
    let d = tempdir("local");
    write(&d.join("src/a.txt"), b"alpha");
    write(&d.join("src/sub/b.bin"), &pattern(3000, 1));
    let src = d.join("src");
    let src_s = src.to_str().unwrap();
    // ls of a plain path prints file:/// URLs that keep the leading `/`.
    let listed = ok(pailfs(&["ls", src_s], None, &[]));
    let want_file = format!("file://{}/a.txt", src_s);
    assert!(listed.lines().any(|l| l == want_file), "{listed}");
    assert!(listed.lines().any(|l| l == format!("file://{}/sub/", src_s)), "{listed}");
    // ... and each line can be given back.
    assert_eq!(ok(pailfs(&["cat", &want_file], None, &[])), "alpha");
    // cp -r local → local, then a missing source is named.
    let dst = d.join("dst");
    ok(pailfs(&["cp", "-r", src_s, dst.to_str().unwrap()], None, &[]));
    assert_eq!(std::fs::read(dst.join("sub/b.bin")).unwrap(), pattern(3000, 1));
    let missing = d.join("nope.txt");
    let out = pailfs(&["put", missing.to_str().unwrap(), "memory://bkt/x"], None, &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains(missing.to_str().unwrap()), "{}", text(&out.stderr));
    // A directory without -r says so.
    let out = pailfs(&["cp", src_s, dst.to_str().unwrap()], None, &[]);
    assert!(text(&out.stderr).contains("is a directory; pass -r"), "{}", text(&out.stderr));
    // sync local → local: the second run has nothing to do; --delete removes what src lacks.
    let mirror = d.join("mirror");
    let first = ok(pailfs(&["sync", src_s, mirror.to_str().unwrap()], None, &[]));
    assert_eq!(first.lines().count(), 2, "{first}");
    assert_eq!(ok(pailfs(&["sync", src_s, mirror.to_str().unwrap()], None, &[])), "");
    write(&mirror.join("extra.txt"), b"x");
    let out = ok(pailfs(&["sync", "--delete", src_s, mirror.to_str().unwrap()], None, &[]));
    assert!(out.contains("delete: ") && !mirror.join("extra.txt").exists(), "{out}");
    // --exclude keeps files out of a copy; --dryrun copies nothing.
    let some = d.join("some");
    let out = ok(pailfs(&["cp", "-r", "--exclude", "**.bin", src_s, some.to_str().unwrap()], None, &[]));
    assert!(some.join("a.txt").exists() && !some.join("sub/b.bin").exists(), "{out}");
    // --include after --exclude wins for what it matches (aws s3's order rule).
    let only = d.join("only");
    ok(pailfs(&["cp", "-r", "--exclude", "**", "--include", "sub/*.bin", src_s, only.to_str().unwrap()], None, &[]));
    assert!(only.join("sub/b.bin").exists() && !only.join("a.txt").exists());
    // User metadata cannot be written yet: refused, not dropped.
    let out = pailfs(&["cp", "--metadata", "a=b", &format!("{src_s}/a.txt"), "memory://bkt/a.txt"], None, &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("--metadata: user metadata on writes is not supported yet"), "{}", text(&out.stderr));
    let dry = d.join("dry");
    let out = ok(pailfs(&["cp", "-r", "--dryrun", src_s, dry.to_str().unwrap()], None, &[]));
    assert!(out.starts_with("(dryrun) copy: ") && !dry.exists(), "{out}");
    let _ = std::fs::remove_dir_all(&d);
}

struct Moto {
    endpoint: String,
    key: String,
    secret: String,
}

fn moto() -> Moto {
    let var = |k: &str| std::env::var(k).unwrap_or_else(|_| panic!("{k} is not set: make test starts moto"));
    Moto { endpoint: var("PAILFS_MOTO_ENDPOINT"), key: var("PAILFS_MOTO_KEY"), secret: var("PAILFS_MOTO_SECRET") }
}

impl Moto {
    fn env(&self) -> Vec<(&str, &str)> {
        vec![("AWS_ACCESS_KEY_ID", &self.key), ("AWS_SECRET_ACCESS_KEY", &self.secret), ("AWS_ENDPOINT_URL", &self.endpoint)]
    }

    fn run(&self, args: &[&str], stdin: Option<&[u8]>) -> Output {
        pailfs(args, stdin, &self.env())
    }

    fn bucket(&self, name: &str) -> String {
        let b = format!("pailfs-cli-{name}-{}", std::process::id());
        ok(self.run(&["mb", &format!("s3://{b}")], None));
        b
    }
}

/// --profile reads the named profile of the shared files (as the aws CLI does), and its keys
/// win over the environment's: the environment's are wrong, the profile's are s3s-fs's, and
/// s3s-fs checks every signature.
#[test]
#[ignore = "needs s3s-fs: make test"]
fn a_named_profile_is_read_from_the_shared_files() {
    let var = |k: &str| std::env::var(k).unwrap_or_else(|_| panic!("{k} is not set: make test starts s3s-fs"));
    let (endpoint, key, secret) = (var("PAILFS_S3S_ENDPOINT"), var("PAILFS_S3S_KEY"), var("PAILFS_S3S_SECRET"));
    let dir = tempdir("profile");
    let (creds, config) = (dir.join("credentials"), dir.join("config"));
    std::fs::write(&creds, format!("[default]\naws_access_key_id = WRONG\naws_secret_access_key = wrong\n\n[dev]\naws_access_key_id = {key}\naws_secret_access_key = {secret}\n")).unwrap();
    std::fs::write(&config, format!("[profile dev]\nregion = us-east-1\nendpoint_url = {endpoint}\n")).unwrap();
    let env = [
        ("AWS_SHARED_CREDENTIALS_FILE", creds.to_str().unwrap()),
        ("AWS_CONFIG_FILE", config.to_str().unwrap()),
        ("AWS_ACCESS_KEY_ID", "ENVKEYWRONG"),
        ("AWS_SECRET_ACCESS_KEY", "env-secret-wrong"),
    ];
    let bucket = format!("pailfs-cli-profile-{}", std::process::id());
    let run = |args: &[&str], stdin: Option<&[u8]>| pailfs(&[&["--profile", "dev"][..], args].concat(), stdin, &env);
    ok(run(&["mb", &format!("s3://{bucket}")], None));
    let out = run(&["pipe", &format!("s3://{bucket}/p.txt")], Some(b"from a profile"));
    assert_eq!(ok(out).trim(), format!("wrote 14 bytes to s3://{bucket}/p.txt"));
    assert_eq!(run(&["cat", &format!("s3://{bucket}/p.txt")], None).stdout, b"from a profile");
    // Without --profile the environment's keys are used, and s3s-fs refuses them.
    let refused = pailfs(&["--endpoint-url", &endpoint, "cat", &format!("s3://{bucket}/p.txt")], None, &env);
    assert_eq!(refused.status.code(), Some(1), "{}", text(&refused.stderr));
    assert!(
        text(&refused.stderr).contains("PermissionDenied") && !text(&refused.stderr).contains("env-secret-wrong"),
        "{}",
        text(&refused.stderr)
    );
    ok(run(&["rm", &format!("s3://{bucket}/p.txt")], None));
    ok(run(&["rb", &format!("s3://{bucket}")], None));
}

#[test]
#[ignore = "needs moto: make test"]
fn a_session_against_moto() {
    let m = moto();
    let bucket = m.bucket("session");
    let url = |k: &str| format!("s3://{bucket}/{k}");
    let out = m.run(&["pipe", &url("dir/a b.txt")], Some(b"hello cli"));
    assert_eq!(ok(out).trim(), format!("wrote 9 bytes to s3://{bucket}/dir/a b.txt"));
    // ls prints whole URLs, which paste back as arguments.
    assert_eq!(ok(m.run(&["ls", &url("dir")], None)), format!("s3://{bucket}/dir/a b.txt\n"));
    assert_eq!(ok(m.run(&["ls", &format!("s3://{bucket}")], None)), format!("s3://{bucket}/dir/\n"));
    assert_eq!(m.run(&["cat", "--start", "-3", &url("dir/a b.txt")], None).stdout, b"cli");
    assert_eq!(m.run(&["cat", "--start", "1", "--end", "-1", &url("dir/a b.txt")], None).stdout, b"ello cl");
    assert_eq!(m.run(&["head", "-c", "5", &url("dir/a b.txt")], None).stdout, b"hello");
    assert_eq!(m.run(&["tail", "-c", "3", &url("dir/a b.txt")], None).stdout, b"cli");
    // Keys from -o win over the environment: a wrong secret there is not used.
    let out = pailfs(
        &[
            "--endpoint-url",
            &m.endpoint,
            "-o",
            &format!("key={}", m.key),
            "-o",
            &format!("secret={}", m.secret),
            "cat",
            &url("dir/a b.txt"),
        ],
        None,
        &[("AWS_ACCESS_KEY_ID", "wrong"), ("AWS_SECRET_ACCESS_KEY", "wrong")],
    );
    assert_eq!(out.stdout, b"hello cli", "{}", text(&out.stderr));
    // A missing object: exit 2, one line naming the URL.
    let out = m.run(&["cat", &url("nope")], None);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert_eq!(err, format!("pailfs: NotFound: s3://{bucket}/nope: no such file or directory\n"));
    // An endpoint with a path (it gave "404 with an unreadable error body"): the error says so.
    let out = m.run(&["--endpoint-url", &format!("{}/wrong", m.endpoint), "ls", &format!("s3://{bucket}")], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("the endpoint URL has a path (/wrong)"), "{}", text(&out.stderr));
    // cat of a folder says so (it said NoSuchKey), exit 1.
    let out = m.run(&["cat", &url("dir")], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains(&format!("s3://{bucket}/dir: is a directory")), "{}", text(&out.stderr));
    // A presigned PUT works with a plain HTTP client and no credentials.
    let signed = ok(m.run(&["sign", "--method", "put", "--expires", "60", &url("up.txt")], None));
    let signed = signed.lines().next().unwrap().to_string();
    assert!(signed.contains("X-Amz-Signature=") && signed.contains("X-Amz-Expires=60"), "{signed}");
    assert_eq!(http_put(&signed, b"uploaded"), 200);
    assert_eq!(m.run(&["cat", &url("up.txt")], None).stdout, b"uploaded");
    // stat: text and JSON; content type and user metadata are shown.
    let stat = ok(m.run(&["stat", &url("up.txt")], None));
    assert!(stat.starts_with(&format!("url: s3://{bucket}/up.txt\ntype: file\nsize: 8 (8 bytes)\n")), "{stat}");
    let v: serde_json::Value = serde_json::from_str(&ok(m.run(&["stat", "--json", &url("dir")], None))).unwrap();
    assert_eq!(v["type"], "directory");
    // rb refuses a non-empty bucket, --force empties it; then the bucket is gone (exit 2).
    let out = m.run(&["rb", &format!("s3://{bucket}")], None);
    assert!(text(&out.stderr).contains("not empty; pass --force"), "{}", text(&out.stderr));
    ok(m.run(&["rb", "--force", &format!("s3://{bucket}")], None));
    assert_eq!(m.run(&["ls", &format!("s3://{bucket}")], None).status.code(), Some(2));
}

fn http_put(url: &str, body: &'static [u8]) -> u16 {
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        reqwest::Client::new()
            .put(url)
            .header("content-type", "application/octet-stream")
            .body(body)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    })
}

fn http_get(url: &str) -> (u16, Vec<u8>) {
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let r = reqwest::Client::new().get(url).send().await.unwrap();
        (r.status().as_u16(), r.bytes().await.unwrap().to_vec())
    })
}

/// Folder markers and keys that end in `/`: the rule in README ("Keys ending in /").
#[test]
#[ignore = "needs moto: make test"]
fn markers_and_keys_ending_in_a_slash_are_addressable_by_every_verb() {
    let m = moto();
    let bucket = m.bucket("slash");
    let url = |k: &str| format!("s3://{bucket}/{k}");
    // mkdir below a bucket made nothing; now it makes the `dir/` marker the consoles make.
    ok(m.run(&["mkdir", &url("empty")], None));
    let signed = ok(m.run(&["sign", &url("empty/")], None));
    assert_eq!(http_get(signed.lines().next().unwrap()).0, 200, "the marker object `empty/` exists");
    // ls of a folder whose only object is its marker: empty, exit 0 (it was NotFound).
    assert_eq!(ok(m.run(&["ls", &url("empty")], None)), "");
    assert_eq!(ok(m.run(&["ls", &url("empty/")], None)), "");
    assert!(ok(m.run(&["stat", &url("empty")], None)).contains("type: directory"));
    // A key ending in `/` that holds data: written exactly so (no slash dropped) ...
    let data = pattern(962, 7);
    ok(m.run(&["pipe", &url("trail/slash/")], Some(&data)));
    let signed = ok(m.run(&["sign", &url("trail/slash/")], None));
    let signed = signed.lines().next().unwrap();
    assert!(signed.split('?').next().unwrap().ends_with("/trail/slash/"), "{signed}");
    assert_eq!(http_get(signed), (200, data.clone()));
    // ... listed as a folder one level up and as the object inside it ...
    assert_eq!(ok(m.run(&["ls", &url("trail/")], None)), format!("{}\n", url("trail/slash/")));
    let v: serde_json::Value = serde_json::from_str(&ok(m.run(&["ls", "--json", &url("trail/slash/")], None))).unwrap();
    assert_eq!(
        (v[0]["url"].as_str(), v[0]["type"].as_str(), v[0]["size"].as_u64()),
        (Some(&*url("trail/slash/")), Some("file"), Some(962))
    );
    // ... and read, stat'ed, copied, downloaded and removed by its name.
    assert_eq!(m.run(&["cat", &url("trail/slash/")], None).stdout, data);
    assert!(ok(m.run(&["stat", &url("trail/slash/")], None)).contains("size: 962 (962 bytes)"));
    ok(m.run(&["cp", &url("trail/slash/"), &url("copied.bin")], None));
    assert_eq!(m.run(&["cat", &url("copied.bin")], None).stdout, data);
    let d = tempdir("slash");
    ok(m.run(&["get", &url("trail/slash/"), d.join("got.bin").to_str().unwrap()], None));
    assert_eq!(std::fs::read(d.join("got.bin")).unwrap(), data);
    ok(m.run(&["rm", &url("trail/slash/")], None));
    assert_eq!(m.run(&["cat", &url("trail/slash/")], None).status.code(), Some(2));
    // `a//b`: ls steps into the empty-named folder.
    ok(m.run(&["pipe", &url("a//b/c.txt")], Some(b"c")));
    assert_eq!(ok(m.run(&["ls", &url("a/")], None)), format!("{}\n", url("a//")));
    assert_eq!(ok(m.run(&["ls", &url("a//")], None)), format!("{}\n", url("a//b/")));
    assert_eq!(ok(m.run(&["ls", &url("a//b/")], None)), format!("{}\n", url("a//b/c.txt")));
    // put to a folder URL (ending in `/`) puts the file into it, named as the file, and says so.
    write(&d.join("f.txt"), b"file");
    let said = ok(m.run(&["put", d.join("f.txt").to_str().unwrap(), &url("into/")], None));
    assert_eq!(said.trim(), format!("upload: {} to {}", d.join("f.txt").display(), url("into/f.txt")));
    ok(m.run(&["rb", "--force", &format!("s3://{bucket}")], None));
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
#[ignore = "needs moto: make test"]
fn copies_listings_and_sync_against_moto() {
    let m = moto();
    let bucket = m.bucket("tree");
    let url = |k: &str| format!("s3://{bucket}/{k}");
    let d = tempdir("tree");
    let data = d.join("data");
    write(&data.join("a.csv"), b"a,b\n1,2\n");
    write(&data.join("sub/big.bin"), &pattern(6 * 1024 * 1024 + 11, 3));
    write(&data.join("sub/skip.tmp"), b"tmp");
    // cp -r local → remote (the big file in 5 MiB parts), with an exclude.
    let out = ok(m.run(&["--part-size", "5MiB", "cp", "-r", "--exclude", "**.tmp", data.to_str().unwrap(), &url("data")], None));
    assert_eq!(out.lines().filter(|l| l.starts_with("upload: ")).count(), 2, "{out}");
    // ls -l: human sizes by default, --bytes exact; --json has the documented shape.
    let long = ok(m.run(&["ls", "-l", &url("data/sub/")], None));
    assert!(long.contains("6.0 MiB") && long.contains(&url("data/sub/big.bin")), "{long}");
    let exact = ok(m.run(&["ls", "-l", "--bytes", &url("data/sub/")], None));
    assert!(exact.contains(&(6 * 1024 * 1024 + 11).to_string()), "{exact}");
    let v: serde_json::Value = serde_json::from_str(&ok(m.run(&["ls", "--json", &url("data/")], None))).unwrap();
    let rows = v.as_array().unwrap();
    assert_eq!(rows.len(), 2);
    let file = rows.iter().find(|r| r["type"] == "file").unwrap();
    assert_eq!(file["url"], url("data/a.csv"));
    assert_eq!(file["key"], "data/a.csv");
    assert_eq!(file["size"], 8);
    assert!(file["last_modified"].is_string() && file["etag"].is_string());
    assert_eq!(rows.iter().find(|r| r["type"] == "directory").unwrap()["url"], url("data/sub/"));
    // stat shows the content type guessed from the extension; --content-type sets it.
    assert!(ok(m.run(&["stat", &url("data/a.csv")], None)).contains("content_type: text/csv"));
    ok(m.run(&["cp", "--content-type", "application/x-thing", data.join("a.csv").to_str().unwrap(), &url("typed")], None));
    assert!(ok(m.run(&["stat", &url("typed")], None)).contains("content_type: application/x-thing"));
    // du, find, glob; --json on each.
    let du: serde_json::Value = serde_json::from_str(&ok(m.run(&["du", "--json", &url("data")], None))).unwrap();
    assert_eq!((du["size"].as_u64(), du["objects"].as_u64()), (Some(6 * 1024 * 1024 + 11 + 8), Some(2)));
    assert_eq!(ok(m.run(&["find", &url("data"), "--name", "*.bin"], None)), format!("{}\n", url("data/sub/big.bin")));
    let g: serde_json::Value = serde_json::from_str(&ok(m.run(&["glob", "--json", &url("data/**/*.bin")], None))).unwrap();
    assert_eq!(g, serde_json::json!([url("data/sub/big.bin")]));
    // cp -r remote → local, byte for byte.
    let back = d.join("back");
    ok(m.run(&["cp", "-r", &url("data"), back.to_str().unwrap()], None));
    assert_eq!(std::fs::read(back.join("sub/big.bin")).unwrap(), pattern(6 * 1024 * 1024 + 11, 3));
    // mv within the store, then rm -r with --dryrun first.
    ok(m.run(&["mv", &url("data/a.csv"), &url("moved/")], None));
    assert_eq!(m.run(&["cat", &url("moved/a.csv")], None).stdout, b"a,b\n1,2\n");
    assert_eq!(m.run(&["stat", &url("data/a.csv")], None).status.code(), Some(2));
    let dry = ok(m.run(&["rm", "-r", "--dryrun", &url("moved")], None));
    assert_eq!(dry.trim(), format!("(dryrun) delete: {}", url("moved/a.csv")));
    assert!(m.run(&["stat", &url("moved/a.csv")], None).status.success());
    // sync local → remote: what is missing, then nothing on a second run, then --delete.
    let site = d.join("site");
    write(&site.join("index.html"), b"<h1>v1</h1>");
    write(&site.join("big.bin"), &pattern(6 * 1024 * 1024, 5));
    let first = ok(m.run(&["--part-size", "5MiB", "sync", site.to_str().unwrap(), &url("www")], None));
    assert_eq!(first.lines().count(), 2, "{first}");
    assert_eq!(ok(m.run(&["sync", site.to_str().unwrap(), &url("www")], None)), "", "idempotent");
    write(&site.join("index.html"), b"<h1>v2</h1>");
    std::fs::remove_file(site.join("big.bin")).unwrap();
    let again = ok(m.run(&["sync", "--delete", site.to_str().unwrap(), &url("www")], None));
    assert!(again.contains(&format!("upload: {} to {}", site.join("index.html").display(), url("www/index.html"))), "{again}");
    assert!(again.contains(&format!("delete: {}", url("www/big.bin"))), "{again}");
    assert_eq!(m.run(&["cat", &url("www/index.html")], None).stdout, b"<h1>v2</h1>");
    // sync remote → local, idempotent too.
    let mirror = d.join("mirror");
    assert_eq!(ok(m.run(&["sync", &url("www"), mirror.to_str().unwrap()], None)).lines().count(), 1);
    assert_eq!(ok(m.run(&["sync", &url("www"), mirror.to_str().unwrap()], None)), "", "idempotent");
    assert_eq!(std::fs::read(mirror.join("index.html")).unwrap(), b"<h1>v2</h1>");
    ok(m.run(&["rb", "--force", &format!("s3://{bucket}")], None));
    let _ = std::fs::remove_dir_all(&d);
}

/// Wait until `mpu ls` lists an upload below `url` (the upload under test has started).
fn wait_for_upload(m: &Moto, url: &str, child: &mut Child) -> String {
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("pailfs ended ({status}) before its multipart upload was seen");
        }
        let listed = ok(m.run(&["mpu", "ls", url], None));
        if let Some(line) = listed.lines().next() {
            return line.to_string();
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

#[test]
#[ignore = "needs moto: make test"]
fn ctrl_c_during_an_upload_exits_130_and_leaves_no_upload() {
    let m = moto();
    let bucket = m.bucket("sigint");
    let url = format!("s3://{bucket}/big.bin");
    // More parts than the writer holds (concurrency + 1) go in, so it starts the multipart
    // upload; stdin stays open, so the upload is in flight when SIGINT comes.
    let args = ["--part-size", "5MiB", "--concurrency", "1", "pipe", url.as_str()];
    let mut child = command(&args, &m.env()).spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(&pattern(16 * 1024 * 1024, 9)).unwrap();
    stdin.flush().unwrap();
    wait_for_upload(&m, &format!("s3://{bucket}/"), &mut child);
    let killed = Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(killed.success());
    let out = child.wait_with_output().unwrap();
    drop(stdin);
    assert_eq!(out.status.code(), Some(130), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("interrupted"), "{}", text(&out.stderr));
    assert_eq!(ok(m.run(&["mpu", "ls", &format!("s3://{bucket}")], None)), "", "no multipart upload left");
    assert_eq!(m.run(&["stat", &url], None).status.code(), Some(2), "no object either");
    // A process killed outright does leave one: mpu ls shows it, mpu abort removes it.
    let mut child = command(&args, &m.env()).spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(&pattern(16 * 1024 * 1024, 9)).unwrap();
    let line = wait_for_upload(&m, &format!("s3://{bucket}/"), &mut child);
    child.kill().unwrap();
    child.wait().unwrap();
    drop(stdin);
    let (listed_url, id) = line.split_once('\t').unwrap();
    assert_eq!(listed_url, url);
    let v: serde_json::Value =
        serde_json::from_str(&ok(m.run(&["mpu", "ls", "--json", &format!("s3://{bucket}")], None))).unwrap();
    assert_eq!(v, serde_json::json!([{"url": url, "key": "big.bin", "upload_id": id}]));
    let out = m.run(&["mpu", "abort", &url, "--upload-id", "no-such-id"], None);
    assert_eq!(out.status.code(), Some(2));
    ok(m.run(&["mpu", "abort", &url, "--upload-id", id], None));
    assert_eq!(ok(m.run(&["mpu", "ls", &format!("s3://{bucket}")], None)), "");
    ok(m.run(&["rb", "--force", &format!("s3://{bucket}")], None));
}

/// The three providers in one environment: moto, storage-testbench and Azurite.
fn all_providers() -> (Moto, Vec<(String, String)>) {
    let m = moto();
    let var = |k: &str| std::env::var(k).unwrap_or_else(|_| panic!("{k} is not set: make test starts the emulators"));
    let blob = var("PAILFS_AZURITE_BLOB");
    let cs = format!(
        "DefaultEndpointsProtocol=http;AccountName={};AccountKey={};BlobEndpoint={blob};",
        var("PAILFS_AZURITE_ACCOUNT"),
        var("PAILFS_AZURITE_KEY")
    );
    let mut env: Vec<(String, String)> = m.env().into_iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    env.push(("STORAGE_EMULATOR_HOST".into(), var("PAILFS_GCS_ENDPOINT")));
    env.push(("AZURE_STORAGE_CONNECTION_STRING".into(), cs));
    (m, env)
}

#[test]
#[ignore = "needs moto, storage-testbench and Azurite: make test"]
fn a_copy_between_providers_streams_byte_for_byte() {
    let (_m, env) = all_providers();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let run = |args: &[&str]| pailfs(args, None, &env);
    let id = std::process::id();
    let (s3, gs, az) = (format!("s3://pailfs-x-{id}"), format!("gs://pailfs-x-{id}"), format!("az://pailfs-x-{id}"));
    ok(run(&["mb", &s3]));
    ok(run(&["-o", "project=test-project", "mb", &gs]));
    ok(run(&["mb", &az]));
    let d = tempdir("cross");
    let data = pattern(7 * 1024 * 1024 + 5, 11);
    write(&d.join("in.bin"), &data);
    ok(run(&["--part-size", "5MiB", "cp", d.join("in.bin").to_str().unwrap(), &format!("{s3}/x.bin")]));
    // s3 → gs → az → local, each streamed through the client, in parts.
    let said = ok(run(&["--part-size", "5MiB", "cp", &format!("{s3}/x.bin"), &format!("{gs}/x.bin")]));
    assert_eq!(said.trim(), format!("copy: {s3}/x.bin to {gs}/x.bin"));
    ok(run(&["--part-size", "5MiB", "cp", &format!("{gs}/x.bin"), &format!("{az}/dir/x.bin")]));
    ok(run(&["cp", &format!("{az}/dir/x.bin"), d.join("out.bin").to_str().unwrap()]));
    assert_eq!(std::fs::read(d.join("out.bin")).unwrap(), data, "byte for byte after three providers");
    // Listings on gs:// and az:// print URLs of their scheme.
    assert_eq!(ok(run(&["ls", &format!("{az}/dir/")])), format!("{az}/dir/x.bin\n"));
    assert_eq!(ok(run(&["ls", &gs])), format!("{gs}/x.bin\n"));
    // sync between providers: a second run has nothing to do.
    assert_eq!(ok(run(&["sync", &format!("{s3}/"), &format!("{az}/mirror/")])).lines().count(), 1);
    assert_eq!(ok(run(&["sync", &format!("{s3}/"), &format!("{az}/mirror/")])), "", "idempotent");
    // GCS and Azure have no multipart uploads to list, and say so.
    let out = run(&["mpu", "ls", &gs]);
    assert!(text(&out.stderr).contains("only S3 has multipart uploads"), "{}", text(&out.stderr));
    for b in [&s3, &gs, &az] {
        ok(run(&["rb", "--force", b]));
    }
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
#[ignore = "needs s3s-fs: make test"]
fn a_tree_round_trip_and_sync_against_s3s_fs() {
    let var = |k: &str| std::env::var(k).unwrap_or_else(|_| panic!("{k} is not set: make test starts s3s-fs"));
    let (endpoint, key, secret) = (var("PAILFS_S3S_ENDPOINT"), var("PAILFS_S3S_KEY"), var("PAILFS_S3S_SECRET"));
    let env = [("AWS_ACCESS_KEY_ID", key.as_str()), ("AWS_SECRET_ACCESS_KEY", secret.as_str())];
    // The endpoint as a flag this time (the moto tests use AWS_ENDPOINT_URL).
    let run = |args: &[&str]| pailfs(&[&["--endpoint-url", endpoint.as_str()][..], args].concat(), None, &env);
    let bucket = format!("s3://pailfs-cli-s3s-{}", std::process::id());
    ok(run(&["mb", &bucket]));
    let d = tempdir("s3s");
    write(&d.join("up/a.txt"), b"a");
    write(&d.join("up/deep/b.bin"), &pattern(6 * 1024 * 1024 + 1, 4));
    let up = d.join("up");
    assert_eq!(ok(run(&["--part-size", "5MiB", "sync", up.to_str().unwrap(), &format!("{bucket}/t")])).lines().count(), 2);
    assert_eq!(ok(run(&["sync", up.to_str().unwrap(), &format!("{bucket}/t")])), "", "idempotent");
    let listed = ok(run(&["ls", "-r", &format!("{bucket}/t")]));
    assert_eq!(listed, format!("{bucket}/t/a.txt\n{bucket}/t/deep/b.bin\n"));
    let down = d.join("down");
    ok(run(&["get", "-r", &format!("{bucket}/t"), down.to_str().unwrap()]));
    assert_eq!(std::fs::read(down.join("deep/b.bin")).unwrap(), pattern(6 * 1024 * 1024 + 1, 4));
    assert_eq!(ok(run(&["sync", &format!("{bucket}/t"), down.to_str().unwrap()])), "", "idempotent downwards too");
    ok(run(&["rm", "-r", &format!("{bucket}/t")]));
    assert_eq!(ok(run(&["ls", &bucket])), "");
    ok(run(&["rb", &bucket]));
    let _ = std::fs::remove_dir_all(&d);
}

/// The aws CLI (`scripts/servers.sh install` puts it in the moto venv).
fn aws(m: &Moto, args: &[&str]) -> Output {
    let tools = std::env::var("PAILFS_TOOLS").unwrap_or_else(|_| format!("{}/.cache/pailfs", std::env::var("HOME").unwrap()));
    let bin = format!("{tools}/venv/bin/aws");
    assert!(Path::new(&bin).exists(), "{bin} is missing: scripts/servers.sh install");
    let mut cmd = Command::new(bin);
    for k in SCRUBBED {
        cmd.env_remove(k);
    }
    cmd.args(["--endpoint-url", &m.endpoint])
        .args(args)
        .env("AWS_ACCESS_KEY_ID", &m.key)
        .env("AWS_SECRET_ACCESS_KEY", &m.secret)
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .output()
        .unwrap()
}

#[test]
#[ignore = "needs moto and the aws CLI: make test"]
fn objects_written_by_pailfs_and_by_the_aws_cli_read_the_same_in_both() {
    let m = moto();
    let bucket = m.bucket("interop");
    let d = tempdir("interop");
    let big = pattern(11 * 1024 * 1024 + 3, 21);
    write(&d.join("big.bin"), &big);
    // pailfs writes a multipart object with a hostile key and a content type; aws reads it.
    let hostile = "sp ace/ü+%25?#&=.bin";
    let url = format!("s3://{bucket}/{hostile}");
    ok(m.run(
        &["--part-size", "5MiB", "cp", "--content-type", "application/x-test", d.join("big.bin").to_str().unwrap(), &url],
        None,
    ));
    let got = d.join("by-aws.bin");
    ok(aws(&m, &["s3", "cp", &url, got.to_str().unwrap()]));
    assert_eq!(std::fs::read(&got).unwrap(), big);
    let head: serde_json::Value =
        serde_json::from_str(&ok(aws(&m, &["s3api", "head-object", "--bucket", &bucket, "--key", hostile]))).unwrap();
    assert_eq!(head["ContentType"], "application/x-test");
    assert!(head["ETag"].as_str().unwrap().ends_with("-3\""), "three parts: {head}");
    let listed = ok(aws(&m, &["s3api", "list-objects-v2", "--bucket", &bucket]));
    assert!(listed.contains(&format!("\"Key\": \"{hostile}\"")), "{listed}");
    // aws writes (multipart, metadata, content type, a key ending in `/`); pailfs reads.
    let aws_url = format!("s3://{bucket}/from-aws/big.bin");
    ok(aws(
        &m,
        &[
            "s3",
            "cp",
            "--metadata",
            "owner=ops,stage=two",
            "--content-type",
            "application/x-aws",
            d.join("big.bin").to_str().unwrap(),
            &aws_url,
        ],
    ));
    assert_eq!(m.run(&["cat", &aws_url], None).stdout, big);
    let stat = ok(m.run(&["stat", &aws_url], None));
    assert!(stat.contains("content_type: application/x-aws") && stat.contains("metadata.owner: ops"), "{stat}");
    assert!(stat.contains("metadata.stage: two"), "{stat}");
    let small = pattern(962, 22);
    write(&d.join("small.bin"), &small);
    ok(aws(
        &m,
        &["s3api", "put-object", "--bucket", &bucket, "--key", "trail/slash/", "--body", d.join("small.bin").to_str().unwrap()],
    ));
    assert_eq!(m.run(&["cat", &format!("s3://{bucket}/trail/slash/")], None).stdout, small);
    ok(m.run(&["rm", &format!("s3://{bucket}/trail/slash/")], None));
    let left = ok(aws(&m, &["s3api", "list-objects-v2", "--bucket", &bucket, "--prefix", "trail/"]));
    assert!(!left.contains("trail/slash/"), "{left}");
    ok(m.run(&["rb", "--force", &format!("s3://{bucket}")], None));
    let _ = std::fs::remove_dir_all(&d);
}
