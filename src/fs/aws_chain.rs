//! The AWS credential chain, natively: where the AWS CLI looks, in its order. This is the only
//! code that reads the environment and the shared files for S3 or runs `credential_process`;
//! what it finds becomes core sources (`core::creds`), which build every request.
//!
//! 1. `anon`: unsigned, nothing probed. Options `key`/`secret`: those (the core's `resolve`).
//! 2. `AWS_ACCESS_KEY_ID` + `AWS_SECRET_ACCESS_KEY` (+ `AWS_SESSION_TOKEN`), unless a profile
//!    was named in the options (as `aws --profile` does).
//! 3. The profile (`profile` option, `AWS_PROFILE`, else `default`) in `AWS_CONFIG_FILE`
//!    (`~/.aws/config`) and `AWS_SHARED_CREDENTIALS_FILE` (`~/.aws/credentials`):
//!    `role_arn` + `web_identity_token_file`; `role_arn` + `source_profile` / `credential_source`
//!    (STS AssumeRole, signed with the source's credentials); static keys; `credential_process`.
//! 4. Web identity: `AWS_WEB_IDENTITY_TOKEN_FILE` + `AWS_ROLE_ARN` (`AWS_ROLE_SESSION_NAME`).
//! 5. Container credentials: `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` / `_FULL_URI`, with
//!    `AWS_CONTAINER_AUTHORIZATION_TOKEN` or `_TOKEN_FILE`.
//! 6. EC2 instance metadata (IMDSv2; `AWS_EC2_METADATA_SERVICE_ENDPOINT`,
//!    `AWS_EC2_METADATA_DISABLED=true` skips it), one second per request at most. When it fails
//!    too, the error names every source tried: there is no silent fallback to anonymous.
//!
//! Region (`AWS_REGION`, `AWS_DEFAULT_REGION`, the profile's `region`) and endpoint
//! (`AWS_ENDPOINT_URL_S3`, `AWS_ENDPOINT_URL`, the profile's `s3.endpoint_url` / `endpoint_url`)
//! and `s3.addressing_style` come from the same places, below what the options say.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::core::creds::imds::Imds;
use crate::core::creds::profile::{Profile, Profiles};
use crate::core::creds::sts::{AssumeRole, RoleSession, StsEndpoint, WebIdentity};
use crate::core::creds::{
    AwsContainerCredentials, AwsCredentials, CredentialCache, CredentialFetch, CredentialProvider, Credentials, DEFAULT_EARLY,
    Expiring, LastResort, Secret, parse_aws_json, ready,
};
use crate::core::error::{Error, ErrorKind, Result};
use crate::core::options::StoreOptions;

/// Environment variables as a value, so tests pass their own instead of changing the process's.
#[derive(Clone, Default)]
pub struct Env(BTreeMap<String, String>);

impl Env {
    /// The process environment.
    pub fn process() -> Env {
        Env(std::env::vars().collect())
    }

    pub fn from_pairs<K: Into<String>, V: Into<String>>(pairs: impl IntoIterator<Item = (K, V)>) -> Env {
        Env(pairs.into_iter().map(|(k, v)| (k.into(), v.into())).collect())
    }

    /// A variable, unless unset or empty.
    pub fn get(&self, k: &str) -> Option<&str> {
        self.0.get(k).map(String::as_str).filter(|v| !v.is_empty())
    }

    fn is_true(&self, k: &str) -> bool {
        self.get(k).is_some_and(|v| v.eq_ignore_ascii_case("true"))
    }

    fn home(&self) -> Option<PathBuf> {
        self.get("HOME").or_else(|| self.get("USERPROFILE")).map(PathBuf::from)
    }

    /// A path from the environment (`~/` expanded) or `~/.aws/{default}`.
    fn aws_file(&self, var: &str, default: &str) -> Option<PathBuf> {
        match self.get(var) {
            Some(p) => match (p.strip_prefix("~/"), self.home()) {
                (Some(rest), Some(home)) => Some(home.join(rest)),
                _ => Some(PathBuf::from(p)),
            },
            None => self.home().map(|h| h.join(".aws").join(default)),
        }
    }
}

// Values may be secrets: print names only.
impl fmt::Debug for Env {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.0.keys()).finish()
    }
}

/// What the chain found for an S3 store.
pub struct AwsSettings {
    /// `None`: the options carry keys (the core resolves them).
    pub credentials: Option<CredentialCache>,
    /// Where the credentials came from ("environment", "profile \"dev\": AssumeRole ..."), for `-v`.
    pub source: String,
    pub region: Option<String>,
    pub endpoint_url: Option<String>,
    /// `path`, `virtual` or `auto`.
    pub addressing_style: Option<String>,
}

impl fmt::Debug for AwsSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AwsSettings")
            .field("source", &self.source)
            .field("region", &self.region)
            .field("endpoint_url", &self.endpoint_url)
            .field("addressing_style", &self.addressing_style)
            .finish()
    }
}

/// How many `source_profile` hops a role may take (a loop is an error, not a hang).
const MAX_HOPS: usize = 8;

struct Files {
    profiles: Profiles,
    names: String,
}

fn read_files(env: &Env) -> Result<Files> {
    let config = env.aws_file("AWS_CONFIG_FILE", "config");
    let credentials = env.aws_file("AWS_SHARED_CREDENTIALS_FILE", "credentials");
    let read = |p: &Option<PathBuf>| -> Result<Option<String>> {
        let Some(p) = p else { return Ok(None) };
        match std::fs::read_to_string(p) {
            Ok(t) => Ok(Some(t)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::new(ErrorKind::Io, format!("cannot read {}: {e}", p.display()))),
        }
    };
    let (c, k) = (read(&config)?, read(&credentials)?);
    let profiles = Profiles::parse(c.as_deref(), k.as_deref()).map_err(|e| {
        let which = if e.message.contains("credentials file") { &credentials } else { &config };
        e.context(format_args!("{}", which.as_ref().map(|p| p.display().to_string()).unwrap_or_default()))
    })?;
    let show = |p: &Option<PathBuf>| p.as_ref().map_or("(no HOME)".to_string(), |p| p.display().to_string());
    Ok(Files { profiles, names: format!("{} and {}", show(&config), show(&credentials)) })
}

/// Find the credentials, region and endpoint for an S3 store opened with `opts`.
pub fn aws_settings(opts: &StoreOptions, env: &Env) -> Result<AwsSettings> {
    let files = read_files(env)?;
    let explicit = opts.profile.as_deref().or(env.get("AWS_PROFILE"));
    let name = explicit.unwrap_or("default");
    let profile = files.profiles.get(name);
    if explicit.is_some() && profile.is_none() {
        return Err(Error::invalid_input(format!("AWS profile {name:?} is not in {}", files.names)));
    }
    let empty = Profile::default();
    let p = profile.unwrap_or(&empty);
    let region = env.get("AWS_REGION").or(env.get("AWS_DEFAULT_REGION")).or(p.get("region")).map(str::to_string);
    let ignore_endpoints = env.is_true("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
    let endpoint_url =
        [env.get("AWS_ENDPOINT_URL_S3"), env.get("AWS_ENDPOINT_URL"), p.sub("s3", "endpoint_url"), p.get("endpoint_url")]
            .into_iter()
            .flatten()
            .next()
            .filter(|_| !ignore_endpoints)
            .map(str::to_string);
    let addressing_style = p.sub("s3", "addressing_style").map(str::to_string);
    if let Some(s) = &addressing_style
        && !matches!(s.as_str(), "path" | "virtual" | "auto")
    {
        return Err(Error::invalid_input(format!("profile {name:?}: s3.addressing_style is {s:?}, not path, virtual or auto")));
    }
    let settings = |credentials, source: String| AwsSettings {
        credentials,
        source,
        region: region.clone(),
        endpoint_url: endpoint_url.clone(),
        addressing_style: addressing_style.clone(),
    };
    if opts.anon {
        return Ok(settings(Some(CredentialCache::fixed(Credentials::Anonymous)), "anonymous (anon)".into()));
    }
    if opts.key.is_some() || opts.secret.is_some() {
        return Ok(settings(None, "options key and secret".into()));
    }
    let chain = Chain { env, files: &files, region: region.as_deref().unwrap_or("us-east-1") };
    let mut tried = vec!["options: no key and secret".to_string()];
    if opts.profile.is_some() {
        tried.push("environment keys: skipped for an explicit profile".into());
    } else if let Some(c) = chain.env_keys()? {
        return Ok(settings(Some(CredentialCache::fixed(c)), "environment (AWS_ACCESS_KEY_ID)".into()));
    } else {
        tried.push("environment: AWS_ACCESS_KEY_ID not set".into());
    }
    match profile {
        Some(p) => match chain.profile(name, p, 0)? {
            Some((cache, how)) => return Ok(settings(Some(cache), format!("profile {name:?}: {how}"))),
            None => tried.push(format!("profile {name:?} in {}: no keys, role or credential_process", files.names)),
        },
        None => tried.push(format!("profile {name:?}: not in {}", files.names)),
    }
    if let Some((cache, how)) = chain.env_web_identity()? {
        return Ok(settings(Some(cache), how));
    }
    tried.push("web identity: AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN not set".into());
    if let Some(p) = container(env)? {
        let how = format!("container credentials {p:?}");
        return Ok(settings(Some(CredentialCache::refreshing(Box::new(p), DEFAULT_EARLY)), how));
    }
    tried.push("container credentials: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI / _FULL_URI not set".into());
    if env.is_true("AWS_EC2_METADATA_DISABLED") {
        tried.push("EC2 instance metadata: AWS_EC2_METADATA_DISABLED".into());
        return Err(LastResort::not_found(&tried, None, ANON_HINT));
    }
    let imds = imds(env)?;
    let how = format!("EC2 instance metadata {imds:?}");
    let last = LastResort::new(Box::new(imds), tried, ANON_HINT);
    Ok(settings(Some(CredentialCache::refreshing(Box::new(last), DEFAULT_EARLY)), how))
}

const ANON_HINT: &str = "option anon, the CLI's --anon";

fn imds(env: &Env) -> Result<Imds> {
    match env.get("AWS_EC2_METADATA_SERVICE_ENDPOINT") {
        Some(e) => Imds::at(e),
        None => Ok(Imds::default()),
    }
}

fn container(env: &Env) -> Result<Option<AwsContainerCredentials>> {
    let token = match (env.get("AWS_CONTAINER_AUTHORIZATION_TOKEN"), env.get("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")) {
        (Some(t), _) => Some(Secret::new(t)),
        (None, Some(f)) => Some(Secret::new(read_secret_file(f, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")?)),
        (None, None) => None,
    };
    if let Some(rel) = env.get("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") {
        return AwsContainerCredentials::relative(rel, token).map(Some);
    }
    env.get("AWS_CONTAINER_CREDENTIALS_FULL_URI").map(|u| AwsContainerCredentials::full(u, token)).transpose()
}

/// A token file's contents, trimmed; the error names the file, never its contents.
fn read_secret_file(path: &str, what: &str) -> Result<String> {
    let t = std::fs::read_to_string(path).map_err(|e| Error::new(ErrorKind::Io, format!("{what} {path}: {e}")))?;
    Ok(t.trim().to_string())
}

struct Chain<'a> {
    env: &'a Env,
    files: &'a Files,
    region: &'a str,
}

impl Chain<'_> {
    fn env_keys(&self) -> Result<Option<Credentials>> {
        match (self.env.get("AWS_ACCESS_KEY_ID"), self.env.get("AWS_SECRET_ACCESS_KEY")) {
            (Some(id), Some(secret)) => {
                let mut c = AwsCredentials::new(id, secret);
                c.session_token = self.env.get("AWS_SESSION_TOKEN").map(Secret::from);
                Ok(Some(Credentials::Aws(c)))
            }
            (Some(_), None) => Err(Error::invalid_input("AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not")),
            (None, Some(_)) => Err(Error::invalid_input("AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not")),
            (None, None) => Ok(None),
        }
    }

    fn sts(&self, p: &Profile) -> Result<StsEndpoint> {
        let region = p.get("region").or(self.env.get("AWS_REGION")).or(self.env.get("AWS_DEFAULT_REGION")).unwrap_or(self.region);
        let configured = [
            self.env.get("AWS_ENDPOINT_URL_STS"),
            self.env.get("AWS_ENDPOINT_URL"),
            p.sub("sts", "endpoint_url"),
            p.get("endpoint_url"),
        ]
        .into_iter()
        .flatten()
        .next()
        .filter(|_| !self.env.is_true("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"));
        match configured {
            Some(u) => StsEndpoint::custom(u, region),
            None => Ok(StsEndpoint::aws(region)),
        }
    }

    fn session(role_arn: &str, name: Option<&str>, duration: Option<&str>) -> Result<RoleSession> {
        let duration = duration
            .map(|d| {
                d.parse::<u64>()
                    .map(Duration::from_secs)
                    .map_err(|_| Error::invalid_input(format!("duration_seconds {d:?} is not a number")))
            })
            .transpose()?;
        let session_name = name.map(str::to_string).unwrap_or_else(|| {
            format!("pailfs-{}", std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis()))
        });
        Ok(RoleSession { role_arn: role_arn.to_string(), session_name, duration })
    }

    fn web_identity(&self, endpoint: StsEndpoint, role: RoleSession, file: &str) -> CredentialCache {
        let path = file.to_string();
        let token = Arc::new(move || read_secret_file(&path, "web identity token file").map(Secret::new));
        let p = WebIdentity { endpoint, role, token, token_source: file.to_string() };
        CredentialCache::refreshing(Box::new(p), DEFAULT_EARLY)
    }

    fn env_web_identity(&self) -> Result<Option<(CredentialCache, String)>> {
        let (Some(file), Some(arn)) = (self.env.get("AWS_WEB_IDENTITY_TOKEN_FILE"), self.env.get("AWS_ROLE_ARN")) else {
            return Ok(None);
        };
        let role = Self::session(arn, self.env.get("AWS_ROLE_SESSION_NAME"), None)?;
        let endpoint = self.sts(&Profile::default())?;
        Ok(Some((self.web_identity(endpoint, role, file), format!("web identity ({file}) for {arn}"))))
    }

    /// The credentials profile `name` describes, if any.
    fn profile(&self, name: &str, p: &Profile, hops: usize) -> Result<Option<(CredentialCache, String)>> {
        let bad = |why: String| Error::invalid_input(format!("AWS profile {name:?}: {why}"));
        if hops > MAX_HOPS {
            return Err(bad(format!("more than {MAX_HOPS} source_profile hops (a loop?)")));
        }
        if let Some(arn) = p.get("role_arn") {
            let role = Self::session(arn, p.get("role_session_name"), p.get("duration_seconds")).map_err(|e| bad(e.message))?;
            let endpoint = self.sts(p)?;
            if let Some(file) = p.get("web_identity_token_file") {
                return Ok(Some((self.web_identity(endpoint, role, file), format!("web identity ({file}) for {arn}"))));
            }
            let (source, from) = match (p.get("source_profile"), p.get("credential_source")) {
                (Some(_), Some(_)) => return Err(bad("both source_profile and credential_source are set".into())),
                (Some(s), None) if s == name => match static_keys(name, p)? {
                    Some(c) => (CredentialCache::fixed(c), "its own keys".to_string()),
                    None => return Err(bad("source_profile names itself but it has no keys".into())),
                },
                (Some(s), None) => {
                    let sp = self
                        .files
                        .profiles
                        .get(s)
                        .ok_or_else(|| bad(format!("source_profile {s:?} is not in {}", self.files.names)))?;
                    // The source's own role (chained roles) or keys or process.
                    match self.profile(s, sp, hops + 1)? {
                        Some((c, how)) => (c, format!("profile {s:?} ({how})")),
                        None => return Err(bad(format!("source_profile {s:?} has no credentials"))),
                    }
                }
                (None, Some(cs)) => (self.credential_source(cs).map_err(|e| bad(e.message))?, format!("credential_source {cs}")),
                (None, None) => {
                    return Err(bad("role_arn needs source_profile, credential_source or web_identity_token_file".into()));
                }
            };
            let assume = AssumeRole { endpoint, role, external_id: p.get("external_id").map(str::to_string), source };
            return Ok(Some((
                CredentialCache::refreshing(Box::new(assume), DEFAULT_EARLY),
                format!("AssumeRole {arn} with {from}"),
            )));
        }
        if let Some(c) = static_keys(name, p)? {
            return Ok(Some((CredentialCache::fixed(c), "keys".into())));
        }
        if let Some(cmd) = p.get("credential_process") {
            let provider = CredentialProcess { profile: name.to_string(), command: cmd.to_string() };
            return Ok(Some((CredentialCache::refreshing(Box::new(provider), DEFAULT_EARLY), "credential_process".into())));
        }
        Ok(None)
    }

    fn credential_source(&self, source: &str) -> Result<CredentialCache> {
        match source {
            "Environment" => self
                .env_keys()?
                .map(CredentialCache::fixed)
                .ok_or_else(|| Error::invalid_input("credential_source Environment: AWS_ACCESS_KEY_ID not set")),
            "EcsContainer" => match container(self.env)? {
                Some(p) => Ok(CredentialCache::refreshing(Box::new(p), DEFAULT_EARLY)),
                None => Err(Error::invalid_input("credential_source EcsContainer: AWS_CONTAINER_CREDENTIALS_* not set")),
            },
            "Ec2InstanceMetadata" => Ok(CredentialCache::refreshing(Box::new(imds(self.env)?), DEFAULT_EARLY)),
            other => Err(Error::invalid_input(format!(
                "credential_source {other:?} is not Environment, EcsContainer or Ec2InstanceMetadata"
            ))),
        }
    }
}

fn static_keys(name: &str, p: &Profile) -> Result<Option<Credentials>> {
    match (p.get("aws_access_key_id"), p.get("aws_secret_access_key")) {
        (Some(id), Some(secret)) => {
            let mut c = AwsCredentials::new(id, secret);
            c.session_token = p.get("aws_session_token").map(Secret::from);
            Ok(Some(Credentials::Aws(c)))
        }
        (None, None) => Ok(None),
        _ => {
            Err(Error::invalid_input(format!("AWS profile {name:?} has only one of aws_access_key_id and aws_secret_access_key")))
        }
    }
}

/// `credential_process`: a command that prints `{"Version": 1, "AccessKeyId", "SecretAccessKey",
/// "SessionToken"?, "Expiration"?}`. Run through the shell, as the AWS CLI does, again before
/// the credentials it printed expire. (It runs on the calling thread: such commands are quick.)
struct CredentialProcess {
    profile: String,
    command: String,
}

impl fmt::Debug for CredentialProcess {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The command line may carry an argument that is a secret: name the profile only.
        write!(f, "credential_process of profile {:?}", self.profile)
    }
}

impl CredentialProvider for CredentialProcess {
    fn fetch(&self, _now: DateTime<Utc>) -> Result<Box<dyn CredentialFetch + '_>> {
        let what = format!("credential_process of profile {:?}", self.profile);
        let out = if cfg!(windows) {
            std::process::Command::new("cmd").arg("/C").arg(&self.command).output()
        } else {
            std::process::Command::new("sh").arg("-c").arg(&self.command).output()
        }
        .map_err(|e| Error::new(ErrorKind::Io, format!("{what} could not be started: {e}")))?;
        if !out.status.success() {
            return Err(Error::new(ErrorKind::PermissionDenied, format!("{what} failed ({})", out.status)));
        }
        let version =
            serde_json::from_slice::<serde_json::Value>(&out.stdout).ok().and_then(|v| v.get("Version").and_then(|v| v.as_u64()));
        if version != Some(1) {
            return Err(Error::invalid_response(format!("{what}: the output has no \"Version\": 1")));
        }
        let e: Expiring = parse_aws_json(&out.stdout, "credential_process output")?;
        Ok(ready(e))
    }
}
