//! StoreOptions and resolve, through the public API: every option, precedence, and the errors
//! (unknown names, wrong types, options of another provider) with their exact wording.

use std::time::Duration;

use pailfs::ErrorKind;
use pailfs::core::creds::{AwsCredentials, Credentials, Secret};
use pailfs::core::options::{
    AZURITE_ACCOUNT, AZURITE_BLOB_ENDPOINT, AZURITE_KEY, ClientKwargs, RequesterPays, StoreOptions, Target, resolve,
};
use serde_json::json;

fn opts(v: serde_json::Value) -> StoreOptions {
    StoreOptions::from_json(&v).unwrap_or_else(|e| panic!("{v}: {e}"))
}

fn err(v: serde_json::Value) -> String {
    let e = StoreOptions::from_json(&v).expect_err("should be refused");
    assert_eq!(e.kind, ErrorKind::InvalidInput);
    e.message
}

fn resolve_err(url: &str, o: &StoreOptions) -> String {
    let e = resolve(url, o).expect_err("should be refused");
    assert_eq!(e.kind, ErrorKind::InvalidInput, "{e}");
    e.message
}

fn pairs(p: &[(&str, &str)]) -> pailfs::Result<StoreOptions> {
    StoreOptions::from_pairs(p.iter().map(|(k, v)| (k.to_string(), v.to_string())))
}

fn azure(t: Target) -> (Option<String>, Option<String>, Credentials, bool) {
    match t {
        Target::Azure { account, endpoint, credentials, dfs, .. } => (account, endpoint, credentials, dfs),
        other => panic!("not Azure: {other:?}"),
    }
}

#[test]
fn s3_options() {
    let o = opts(json!({
        "key": "AKID", "secret": "SEC", "token": "TOK", "region": "eu-west-1",
        "endpoint_url": "http://127.0.0.1:9000/", "requester_pays": true,
        "max_attempts": 3, "timeout": 2.5, "block_size": 1024, "part_size": 5242880,
    }));
    assert_eq!(
        (o.max_attempts, o.timeout, o.block_size, o.part_size),
        (Some(3), Some(Duration::from_millis(2500)), Some(1024), Some(5242880))
    );
    let Target::S3 { config, credentials, bucket, key } = resolve("s3://bkt/a/b", &o).unwrap() else { panic!() };
    assert_eq!((bucket.as_str(), key.as_str()), ("bkt", "a/b"));
    assert_eq!((config.scheme.as_str(), config.host.as_str(), config.path_style), ("http", "127.0.0.1:9000", true));
    assert_eq!(config.region, "eu-west-1");
    assert!(config.requester_pays);
    assert_eq!(credentials, Some(AwsCredentials::new("AKID", "SEC").with_session_token("TOK")));
}

#[test]
fn an_endpoint_url_as_the_url_is_a_path_style_s3_endpoint() {
    let Target::S3 { config, credentials, bucket, key } =
        resolve("http://127.0.0.1:9000/bucket/dir/key", &StoreOptions::default()).unwrap()
    else {
        panic!()
    };
    assert_eq!((config.scheme.as_str(), config.host.as_str(), config.path_style), ("http", "127.0.0.1:9000", true));
    assert_eq!((bucket.as_str(), key.as_str(), credentials), ("bucket", "dir/key", None));
    // The option wins over the URL's endpoint.
    let o = opts(json!({"endpoint_url": "https://minio.example/s3"}));
    let Target::S3 { config, .. } = resolve("http://127.0.0.1:9000/bucket/k", &o).unwrap() else { panic!() };
    assert_eq!((config.host.as_str(), config.base_path.as_str()), ("minio.example", "/s3"));
}

#[test]
fn region_precedence_option_then_client_kwargs_then_url_then_default() {
    let region = |url: &str, o: serde_json::Value| match resolve(url, &opts(o)).unwrap() {
        Target::S3 { config, .. } => (config.region, config.host),
        other => panic!("{other:?}"),
    };
    let url = "https://bkt.s3.eu-west-1.amazonaws.com/k";
    assert_eq!(region(url, json!({})), ("eu-west-1".into(), "s3.eu-west-1.amazonaws.com".into()));
    assert_eq!(region(url, json!({"client_kwargs": {"region_name": "ap-south-1"}})).0, "ap-south-1");
    assert_eq!(region(url, json!({"region": "us-west-2", "client_kwargs": {"region_name": "ap-south-1"}})).0, "us-west-2");
    assert_eq!(region("s3://bkt/k", json!({})), ("us-east-1".into(), "s3.us-east-1.amazonaws.com".into()));
    // The region goes with a custom endpoint too (it is signed).
    let o = json!({"client_kwargs": {"endpoint_url": "http://127.0.0.1:9000", "region_name": "auto"}});
    assert_eq!(region("s3://bkt/k", o), ("auto".into(), "127.0.0.1:9000".into()));
    assert!(resolve_err("s3://bkt/k", &opts(json!({"region": "eu-west-1.evil.example/"}))).contains("region"));
}

#[test]
fn client_kwargs_the_s3fs_way() {
    let o = opts(json!({"client_kwargs": {"region_name": "eu-central-1", "endpoint_url": "https://r2.example"}}));
    assert_eq!(
        o.client_kwargs,
        Some(ClientKwargs { region_name: Some("eu-central-1".into()), endpoint_url: Some("https://r2.example".into()) })
    );
    // Top-level endpoint_url wins over client_kwargs' (as in s3fs).
    let o = opts(json!({"endpoint_url": "http://a.example", "client_kwargs": {"endpoint_url": "http://b.example"}}));
    let Target::S3 { config, .. } = resolve("s3://bkt", &o).unwrap() else { panic!() };
    assert_eq!(config.host, "a.example");
    assert_eq!(
        err(json!({"client_kwargs": {"region": "x"}})).split("; known").next().unwrap(),
        "unknown option(s) \"client_kwargs.region\" (did you mean \"client_kwargs.region_name\"?)"
    );
    assert_eq!(err(json!({"client_kwargs": "eu-west-1"})), "option \"client_kwargs\" takes an object, not a string");
}

#[test]
fn unknown_names_are_named_with_a_suggestion_and_the_known_list() {
    let m = err(json!({"endpoint": "http://x", "bogus": 1}));
    assert!(
        m.starts_with(
            "unknown option(s) \"bogus\", \"endpoint\" (did you mean \"endpoint_url\"?); known: anon, endpoint_url, key,"
        ),
        "{m}"
    );
    assert!(m.contains("client_kwargs.region_name, client_kwargs.endpoint_url"), "{m}");
    assert!(m.ends_with("block_size, part_size, quirks"), "{m}");
    // The first JS API's names point at the new ones.
    let m = err(json!({"accessKeyId": "A", "secretAccessKey": "S", "timeoutMs": 5}));
    for (old, new) in [("accessKeyId", "key"), ("secretAccessKey", "secret"), ("timeoutMs", "timeout")] {
        assert!(m.contains(&format!("\"{old}\" (did you mean \"{new}\"?)")), "{m}");
    }
    // Every serde route goes through the same check.
    let e = serde_json::from_str::<StoreOptions>(r#"{"endpoint": "http://x"}"#).unwrap_err().to_string();
    assert!(e.contains("(did you mean \"endpoint_url\"?)"), "{e}");
    assert_eq!(
        serde_json::from_str::<StoreOptions>(r#"{"anon": true}"#).unwrap(),
        StoreOptions { anon: true, ..Default::default() }
    );
}

#[test]
fn wrong_types_name_the_option() {
    assert_eq!(err(json!({"key": 5})), "option \"key\" takes a string, not a number");
    assert_eq!(err(json!({"anon": "yes"})), "option \"anon\" takes true or false, not a string");
    assert_eq!(err(json!({"max_attempts": "3"})), "option \"max_attempts\" takes a whole number, not a string");
    assert_eq!(err(json!({"max_attempts": 0})), "option \"max_attempts\" must be 1 or more");
    assert_eq!(err(json!({"part_size": 1.5})), "option \"part_size\" must be a whole number, 0 or more");
    assert_eq!(err(json!({"timeout": -1})), "option \"timeout\" must be a positive number of seconds");
    assert_eq!(err(json!({"requester_pays": 1})), "option \"requester_pays\" takes true, false or a project id, not a number");
    assert_eq!(err(json!({"region": ""})), "option \"region\" is empty");
    assert_eq!(err(json!(["key"])), "options must be an object of names and values, not a list");
    // JavaScript numbers are floats; null is "not given" (Python's None).
    assert_eq!(opts(json!({"max_attempts": 4.0, "key": null})), StoreOptions { max_attempts: Some(4), ..Default::default() });
    assert_eq!(opts(json!(null)), StoreOptions::default());
    assert!(StoreOptions::from_json_str("{\"anon\": tru").unwrap_err().message.starts_with("options are not valid JSON"));
    assert!(StoreOptions::from_json_str(r#"{"anon": true}"#).unwrap().anon);
}

#[test]
fn options_of_another_provider_say_whose_they_are() {
    let o = opts(json!({"account_key": "K", "project": "p"}));
    assert_eq!(
        resolve_err("s3://bkt/k", &o),
        "option(s) that do not apply to S3 (s3://) URLs: \"project\" is an option of GCS (gs://); \
         \"account_key\" is an option of Azure (az://, abfs://)"
    );
    assert_eq!(
        resolve_err("gs://bkt/k", &opts(json!({"key": "A", "secret": "S"}))),
        "option(s) that do not apply to GCS (gs://) URLs: \"key\" is an option of S3 (s3://); \"secret\" is an option of S3 (s3://)"
    );
    assert!(
        resolve_err("az://c/p", &opts(json!({"token": "t"}))).contains("\"token\" is an option of S3 (s3://) and GCS (gs://)")
    );
    assert!(resolve_err("memory://b/k", &opts(json!({"timeout": 1}))).contains("\"timeout\" is an option of S3 (s3://) and GCS"));
    // anon=false and requester_pays=false ask for nothing, so they fit anywhere.
    let o = opts(json!({"anon": false, "requester_pays": false, "block_size": 10}));
    assert_eq!(resolve("memory://b/k", &o).unwrap(), Target::Memory { bucket: "b".into(), key: "k".into() });
    assert_eq!(resolve("file:///tmp/x", &o).unwrap(), Target::File { path: "/tmp/x".into() });
}

#[test]
fn key_and_secret_come_together() {
    assert_eq!(resolve_err("s3://bkt", &opts(json!({"key": "A"}))), "option \"key\" is given without \"secret\"");
    assert_eq!(resolve_err("s3://bkt", &opts(json!({"secret": "S"}))), "option \"secret\" is given without \"key\"");
    assert_eq!(
        resolve_err("s3://bkt", &opts(json!({"token": "T"}))),
        "option \"token\" (an S3 session token) needs \"key\" and \"secret\""
    );
    assert!(resolve_err("s3://bkt", &opts(json!({"requester_pays": "proj"}))).contains("takes true or false on S3"));
}

#[test]
fn anon_drops_credentials() {
    let Target::S3 { credentials, .. } = resolve("s3://bkt", &opts(json!({"anon": true, "key": "A", "secret": "S"}))).unwrap()
    else {
        panic!()
    };
    assert_eq!(credentials, None);
    let Target::Gcs { token, anon, .. } = resolve("gs://b/k", &opts(json!({"anon": true, "token": "ya29.t"}))).unwrap() else {
        panic!()
    };
    assert_eq!((token, anon), (None, true));
    let o = opts(json!({"anon": true, "account_name": "acct", "account_key": "a2V5"}));
    assert_eq!(azure(resolve("az://c/p", &o).unwrap()).2, Credentials::Anonymous);
}

#[test]
fn gcs_options() {
    let o =
        opts(json!({"token": "ya29.tok", "project": "proj", "endpoint_url": "http://localhost:4443", "requester_pays": true}));
    let t = resolve("gs://bkt/a/b", &o).unwrap();
    let want = Target::Gcs {
        endpoint: Some("http://localhost:4443".into()),
        project: Some("proj".into()),
        token: Some(Secret::new("ya29.tok")),
        anon: false,
        user_project: Some("proj".into()),
        bucket: "bkt".into(),
        key: "a/b".into(),
    };
    assert_eq!(t, want);
    // gcsfs: token="anon"; requester_pays may name the billed project itself.
    let Target::Gcs { token, anon, user_project, .. } =
        resolve("https://storage.googleapis.com/b/o", &opts(json!({"token": "anon", "requester_pays": "billing"}))).unwrap()
    else {
        panic!()
    };
    assert_eq!((token, anon, user_project.as_deref()), (None, true, Some("billing")));
    assert!(resolve_err("gs://b", &opts(json!({"requester_pays": true}))).contains("bills \"project\""));
    assert!(resolve_err("gs://b", &opts(json!({"token": "google_default"}))).contains("gcsfs way of finding credentials"));
    assert!(resolve_err("gs://b", &opts(json!({"token": "/home/me/sa.json"}))).contains("credentials file"));
    assert_eq!(
        resolve_err("gs://b", &opts(json!({"endpoint_url": "localhost:4443"}))),
        "option \"endpoint_url\": the scheme must be http or https"
    );
}

#[test]
fn azure_options() {
    let url = "abfs://data/dir/f.parquet";
    let (account, endpoint, creds, dfs) =
        azure(resolve(url, &opts(json!({"account_name": "acct", "account_key": "a2V5"}))).unwrap());
    assert_eq!((account.as_deref(), endpoint, dfs), (Some("acct"), None, true));
    assert_eq!(creds, Credentials::AzureSharedKey { account: "acct".into(), key: Secret::new("a2V5") });
    // The option wins over the account the URL names.
    let o = opts(json!({"account_name": "other", "sas_token": "?sv=2022-11-02&sig=abc"}));
    let (account, _, creds, dfs) = azure(resolve("az://c@acct.blob.core.windows.net/p", &o).unwrap());
    assert_eq!(
        (account.as_deref(), creds, dfs),
        (Some("other"), Credentials::AzureSas(Secret::new("sv=2022-11-02&sig=abc")), false)
    );
    let o = opts(json!({"account_name": "acct", "sas_token": "sv=1&sig=x"}));
    assert_eq!(azure(resolve("az://c/p", &o).unwrap()).2, Credentials::AzureSas(Secret::new("sv=1&sig=x")));
    let o = opts(json!({"account_name": "acct", "credential": "eyJ0"}));
    assert_eq!(azure(resolve("az://c/p", &o).unwrap()).2, Credentials::Bearer(Secret::new("eyJ0")));
    let o = opts(json!({"endpoint_url": "http://127.0.0.1:10000/devstoreaccount1/", "account_name": "devstoreaccount1"}));
    let (_, endpoint, creds, _) = azure(resolve("az://c/p", &o).unwrap());
    assert_eq!((endpoint.as_deref(), creds), (Some(AZURITE_BLOB_ENDPOINT), Credentials::Anonymous));

    assert!(resolve_err("az://c/p", &StoreOptions::default()).starts_with("Azure needs the storage account"));
    assert!(
        resolve_err("az://c/p", &opts(json!({"endpoint_url": "https://x.example", "account_key": "a2V5"})))
            .contains("needs \"account_name\"")
    );
    assert_eq!(
        resolve_err("az://c/p", &opts(json!({"account_name": "acct", "account_key": "a2V5", "credential": "t"}))),
        "more than one Azure credential: account_key, credential; give one"
    );
    assert!(resolve_err("az://c/p", &opts(json!({"account_name": "Not_Valid"}))).contains("3 to 24 lower-case letters"));
}

#[test]
fn connection_strings() {
    let cs = |s: &str, url: &str| azure(resolve(url, &opts(json!({"connection_string": s}))).unwrap());

    let (account, endpoint, creds, _) =
        cs("DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=a2V5;EndpointSuffix=core.windows.net", "az://c/p");
    assert_eq!((account.as_deref(), endpoint.as_deref()), (Some("acct"), Some("https://acct.blob.core.windows.net")));
    assert_eq!(creds, Credentials::AzureSharedKey { account: "acct".into(), key: Secret::new("a2V5") });

    // Sovereign clouds, and the dfs endpoint for abfs://.
    let (_, endpoint, _, dfs) = cs("AccountName=acct;AccountKey=a2V5;EndpointSuffix=core.chinacloudapi.cn", "abfs://c/p");
    assert_eq!((endpoint.as_deref(), dfs), (Some("https://acct.dfs.core.chinacloudapi.cn"), true));
    let (_, endpoint, _, _) =
        cs("BlobEndpoint=https://acct.blob.core.windows.net;SharedAccessSignature=sv=1&sig=s", "abfs://c/p");
    assert_eq!(endpoint.as_deref(), Some("https://acct.dfs.core.windows.net"));

    // Azurite's shorthand, and the same spelled out (multi-line, as Microsoft's docs print it).
    let dev = cs("UseDevelopmentStorage=true", "az://c/p");
    assert_eq!(dev.0.as_deref(), Some(AZURITE_ACCOUNT));
    assert_eq!(dev.1.as_deref(), Some("http://127.0.0.1:10000/devstoreaccount1"));
    assert_eq!(dev.2, Credentials::AzureSharedKey { account: "devstoreaccount1".into(), key: Secret::new(AZURITE_KEY) });
    let spelled = format!(
        "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;\n  AccountKey={AZURITE_KEY};\n  \
         BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;\n  QueueEndpoint=http://127.0.0.1:10001/devstoreaccount1;"
    );
    assert_eq!(cs(&spelled, "az://c/p"), dev);

    // A SAS connection string has no account: the endpoint says where.
    let (account, endpoint, creds, _) = cs(
        "BlobEndpoint=https://storagesample.blob.core.windows.net;SharedAccessSignature=?sv=2015-04-05&sr=b&sig=9aCz%2BXXIU%3D",
        "az://c/p",
    );
    assert_eq!((account, endpoint.as_deref()), (None, Some("https://storagesample.blob.core.windows.net")));
    assert_eq!(creds, Credentials::AzureSas(Secret::new("sv=2015-04-05&sr=b&sig=9aCz%2BXXIU%3D")));

    let bad = |s: &str, o: serde_json::Value| {
        let mut o = o;
        o["connection_string"] = json!(s);
        resolve_err("az://c/p", &opts(o))
    };
    assert_eq!(bad("AccountName=acct;AccountKey", json!({})), "connection_string: every part must be Name=value");
    assert_eq!(bad("AccountName=acct;AccountKey=", json!({})), "connection_string: AccountKey is empty");
    assert!(bad("QueueEndpoint=https://q.example", json!({})).contains("needs AccountName or BlobEndpoint"));
    assert!(bad("DefaultEndpointsProtocol=ftp;AccountName=acct", json!({})).contains("http or https"));
    assert!(bad("AccountName=acct", json!({"account_name": "other"})).contains("differ"));
    assert_eq!(
        bad("AccountName=acct;AccountKey=a2V5", json!({"sas_token": "sig=x"})),
        "more than one Azure credential: the connection string's AccountKey, sas_token; give one"
    );
}

#[test]
fn from_pairs_reads_each_value_as_its_type() {
    let o = pairs(&[
        ("anon", "True"),
        ("max_attempts", "3"),
        ("timeout", "0.5"),
        ("part_size", "8388608"),
        ("requester_pays", "false"),
        ("client_kwargs.region_name", "eu-west-1"),
        ("key", "true"),
    ])
    .unwrap();
    assert!(o.anon);
    assert_eq!((o.max_attempts, o.timeout, o.part_size), (Some(3), Some(Duration::from_millis(500)), Some(8388608)));
    assert_eq!((o.requester_pays, o.key.as_deref()), (RequesterPays::No, Some("true")));
    assert_eq!(o.client_kwargs.unwrap().region_name.as_deref(), Some("eu-west-1"));
    assert_eq!(pairs(&[("requester_pays", "my-proj")]).unwrap().requester_pays, RequesterPays::Project("my-proj".into()));
    let kw = pairs(&[("client_kwargs", r#"{"endpoint_url": "http://h"}"#)]).unwrap().client_kwargs.unwrap();
    assert_eq!(kw.endpoint_url.as_deref(), Some("http://h"));

    let e = |p: &[(&str, &str)]| pairs(p).unwrap_err().message;
    assert_eq!(e(&[("anon", "yes")]), "option \"anon\" takes true or false");
    assert_eq!(e(&[("max_attempts", "three")]), "option \"max_attempts\" takes a whole number");
    assert_eq!(e(&[("timeout", "soon")]), "option \"timeout\" takes a number of seconds");
    assert_eq!(e(&[("max_attempts", "0")]), "option \"max_attempts\" must be 1 or more");
    assert_eq!(e(&[("key", "a"), ("key", "b")]), "option \"key\" is given twice");
    let m = e(&[("endpoint", "http://h"), ("client_kwargs.endpoint", "x")]);
    assert!(
        m.starts_with(
            "unknown option(s) \"endpoint\" (did you mean \"endpoint_url\"?), \
             \"client_kwargs.endpoint\" (did you mean \"client_kwargs.endpoint_url\"?); known: "
        ),
        "{m}"
    );
}

#[test]
fn requester_pays_reaches_the_s3_requests() {
    let Target::S3 { config, .. } = resolve("s3://bkt/k", &pairs(&[("requester_pays", "true")]).unwrap()).unwrap() else {
        panic!()
    };
    let req = pailfs::core::s3::get_object(&config, "bkt", "k", None, None).unwrap();
    assert_eq!(req.headers.get("x-amz-request-payer"), Some("requester"));
}

/// Distinctive secrets through every path that sees them: none may show in Debug or a message.
#[test]
fn secrets_never_print() {
    const S: &str = "SECRETVALUEzzq";
    let everything = json!({
        "key": "AKIDVISIBLE", "secret": S, "token": S, "account_key": S, "sas_token": S,
        "connection_string": format!("AccountName=acct;AccountKey={S}"), "credential": S,
    });
    let o = opts(everything.clone());
    let mut shown = vec![format!("{o:?}")];
    for url in ["s3://bkt/k", "gs://bkt/k", "az://c/p", "memory://b/k"] {
        shown.push(resolve_err(url, &o));
    }
    let one = |k: &str| {
        let mut m = serde_json::Map::new();
        m.insert(k.to_string(), everything[k].clone());
        opts(serde_json::Value::Object(m))
    };
    for (k, url) in [("secret", "s3://b/k"), ("token", "s3://b/k"), ("account_key", "az://c/p")] {
        shown.push(resolve_err(url, &one(k)));
    }
    for t in [
        resolve("s3://bkt/k", &opts(json!({"key": "AKIDVISIBLE", "secret": S, "token": S}))).unwrap(),
        resolve("gs://bkt/k", &opts(json!({"token": S}))).unwrap(),
        resolve("az://c/p", &opts(json!({"connection_string": format!("AccountName=acct;AccountKey={S}")}))).unwrap(),
        resolve("az://c/p", &opts(json!({"account_name": "acct", "sas_token": S}))).unwrap(),
        resolve("az://c/p", &opts(json!({"account_name": "acct", "credential": S}))).unwrap(),
    ] {
        shown.push(format!("{t:?}"));
    }
    // Secrets where they do not belong, or malformed.
    for bad in [
        json!({"anon": S}),
        json!({"secret": 12345}),
        json!({"max_attempts": S}),
        json!({"client_kwargs": S}),
        json!({"client_kwargs": {"region_name": 7}, "key": S.len()}),
    ] {
        shown.push(err(bad));
    }
    for (k, v) in [("anon", S), ("timeout", S), ("max_attempts", S), ("client_kwargs", S)] {
        shown.push(pairs(&[(k, v)]).unwrap_err().message);
    }
    for (url, o) in [
        ("gs://b", json!({"token": format!("/keys/{S}.json")})),
        ("s3://b", json!({"endpoint_url": format!("https://user:{S}@minio.example")})),
        ("s3://b", json!({"endpoint_url": format!("https://minio.example/?sig={S}")})),
        ("az://c/p", json!({"endpoint_url": format!("https://acct.blob.core.windows.net?{S}"), "account_name": "acct"})),
        ("az://c/p", json!({"connection_string": format!("AccountName=acct;{S}")})),
        ("az://c/p", json!({"connection_string": format!("AccountName=acct;AccountKey={S};SharedAccessSignature={S}")})),
        ("az://c/p", json!({"connection_string": format!("DefaultEndpointsProtocol={S};AccountName=acct")})),
        ("az://c/p", json!({"connection_string": format!("AccountName={S}")})),
        ("s3://b", json!({"region": S})),
    ] {
        shown.push(resolve_err(url, &opts(o)));
    }
    shown.push(resolve(&format!("https://user:{S}@127.0.0.1:9000/b/k"), &StoreOptions::default()).unwrap_err().to_string());
    for s in &shown {
        assert!(!s.contains(S), "{s}");
    }
    assert!(shown[0].contains("AKIDVISIBLE") && shown[0].contains("<redacted>"), "{}", shown[0]);
}
