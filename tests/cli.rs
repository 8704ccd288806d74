//! The `pailfs` command line as a user runs it: options by their s3fs names (`-o`), the AWS
//! environment as the fallback, what it prints, and its exit codes. Against moto (`make test`),
//! except the checks that need no server.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn pailfs(args: &[&str], stdin: Option<&[u8]>, env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_pailfs"));
    cmd.args(args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    for k in ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_REGION", "AWS_ENDPOINT_URL"] {
        cmd.env_remove(k);
    }
    cmd.envs(env.iter().copied());
    let mut child = cmd.spawn().expect("run pailfs");
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
#[ignore = "needs moto: make test"]
fn a_session_against_moto() {
    let var = |k: &str| std::env::var(k).unwrap_or_else(|_| panic!("{k} is not set: make test starts moto"));
    let (endpoint, key, secret) = (var("PAILFS_MOTO_ENDPOINT"), var("PAILFS_MOTO_KEY"), var("PAILFS_MOTO_SECRET"));
    let aws = [("AWS_ACCESS_KEY_ID", key.as_str()), ("AWS_SECRET_ACCESS_KEY", secret.as_str())];
    let bucket = format!("pailfs-cli-{}", std::process::id());
    let url = |k: &str| format!("s3://{bucket}/{k}");
    let run = |args: &[&str], stdin: Option<&[u8]>| {
        let mut all = vec!["--endpoint", endpoint.as_str()];
        all.extend_from_slice(args);
        pailfs(&all, stdin, &aws)
    };
    assert!(run(&["mkdir", &format!("s3://{bucket}")], None).status.success());
    let out = run(&["pipe", &url("dir/a b.txt")], Some(b"hello cli"));
    assert_eq!(text(&out.stdout).trim(), format!("wrote 9 bytes to {bucket}/dir/a b.txt"));
    let out = run(&["ls", &url("dir")], None);
    assert_eq!(text(&out.stdout), format!("{bucket}/dir/a b.txt\n"));
    let out = run(&["cat", "--start", "-3", &url("dir/a b.txt")], None);
    assert_eq!(out.stdout, b"cli");
    // Keys from -o win over the environment: a wrong secret there is not used.
    let out = pailfs(
        &[
            "-o",
            &format!("endpoint_url={endpoint}"),
            "-o",
            &format!("key={key}"),
            "-o",
            &format!("secret={secret}"),
            "cat",
            &url("dir/a b.txt"),
        ],
        None,
        &[("AWS_ACCESS_KEY_ID", "wrong"), ("AWS_SECRET_ACCESS_KEY", "wrong")],
    );
    assert_eq!(out.stdout, b"hello cli", "{}", text(&out.stderr));
    // A missing object: exit 2, and the error names the object and the provider's code.
    let out = run(&["cat", &url("nope")], None);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.starts_with(&format!("pailfs: NotFound: {bucket}/nope: ")) && err.contains("code NoSuchKey"), "{err}");
    // A presigned PUT works with a plain HTTP client and no credentials.
    let out = run(&["sign", "--method", "put", "--expires", "60", &url("up.txt")], None);
    let signed = text(&out.stdout).lines().next().unwrap().to_string();
    assert!(signed.contains("X-Amz-Signature=") && signed.contains("X-Amz-Expires=60"), "{signed}");
    // (moto's key id and secret are the same word, so the secret's absence is checked in
    // tests/secrets.rs, not here.)
    let status = tokio::runtime::Runtime::new().unwrap().block_on(async {
        reqwest::Client::new()
            .put(&signed)
            .header("content-type", "application/octet-stream")
            .body("uploaded")
            .send()
            .await
            .unwrap()
            .status()
    });
    assert_eq!(status, 200);
    assert_eq!(run(&["cat", &url("up.txt")], None).stdout, b"uploaded");
    assert!(run(&["rm", "-r", &format!("s3://{bucket}")], None).status.success());
    assert_eq!(run(&["ls", &format!("s3://{bucket}")], None).status.code(), Some(2));
}
