//! The Azure Blob store: the shared HTTP driver ([`HttpStore`]) over the Azure provider
//! ([`AzureConfig`]). Only what is Azure's own lives here: its constructors, and (natively)
//! the environment adlfs and the Azure CLI read.

use std::sync::Arc;

use super::http::HttpStore;
use crate::core::auth::{Authorizer, CredentialCache, Credentials, Scheme};
use crate::core::azure::AzureConfig;
use crate::core::creds::Secret;
use crate::core::error::Result;
use crate::core::provider::Quirks;
use crate::transport::{Clock, Transport};

/// Azure Blob Storage (and Azurite) through transport `T`.
pub type AzureStore<T> = HttpStore<AzureConfig, T>;

/// The scheme a credential is sent with.
fn scheme_for(credentials: &Credentials) -> Scheme {
    match credentials {
        Credentials::AzureSharedKey { .. } => Scheme::AzureSharedKey,
        Credentials::AzureSas(_) => Scheme::AzureSas,
        Credentials::Bearer(_) => Scheme::Bearer,
        _ => Scheme::None,
    }
}

impl<T: Transport> HttpStore<AzureConfig, T> {
    /// An Azure store sending `credentials`: an account key (Shared Key; presigns a service
    /// SAS), a SAS token (appended to every request), an Entra ID bearer token, or
    /// [`Credentials::Anonymous`] (public containers; nothing is signed).
    pub fn new(config: AzureConfig, credentials: Credentials, transport: T, clock: Arc<dyn Clock>) -> Self {
        let auth = Authorizer::new(scheme_for(&credentials));
        HttpStore::from_parts(config, auth, CredentialCache::fixed(credentials), transport, clock)
    }

    /// Shared Key with the account's base64 key.
    pub fn shared_key(config: AzureConfig, account: &str, key: Secret, transport: T, clock: Arc<dyn Clock>) -> Self {
        Self::new(config, Credentials::AzureSharedKey { account: account.into(), key }, transport, clock)
    }

    /// A SAS token (service or account), without its leading `?`.
    pub fn sas(config: AzureConfig, sas: Secret, transport: T, clock: Arc<dyn Clock>) -> Self {
        Self::new(config, Credentials::AzureSas(sas), transport, clock)
    }

    /// An OAuth2 (Entra ID) access token for `https://storage.azure.com/`.
    pub fn bearer(config: AzureConfig, token: Secret, transport: T, clock: Arc<dyn Clock>) -> Self {
        Self::new(config, Credentials::Bearer(token), transport, clock)
    }

    /// No credentials: public containers only.
    pub fn anonymous(config: AzureConfig, transport: T, clock: Arc<dyn Clock>) -> Self {
        Self::new(config, Credentials::Anonymous, transport, clock)
    }

    /// What [`crate::core::options::resolve`] found for an `az://` or `abfs://` URL. An
    /// `abfs://` URL is served through the Blob API of the same account (the dfs endpoint's
    /// blob twin): every operation here is a Blob operation, which hierarchical-namespace
    /// accounts also answer.
    pub fn from_target(
        account: Option<&str>,
        endpoint: Option<&str>,
        credentials: Credentials,
        quirks: Quirks,
        transport: T,
        clock: Arc<dyn Clock>,
    ) -> Result<Self> {
        let mut config = match (endpoint, account) {
            (Some(e), _) => AzureConfig::custom(&dfs_to_blob(e))?,
            (None, Some(a)) => AzureConfig::account(a)?,
            (None, None) => return Err(crate::core::error::Error::invalid_input("Azure needs an account or an endpoint")),
        };
        config.quirks = quirks;
        Ok(Self::new(config, credentials, transport, clock))
    }

    pub fn config(&self) -> &AzureConfig {
        self.provider()
    }
}

/// `https://acct.dfs.core.windows.net` → `https://acct.blob.core.windows.net`; other hosts as given.
fn dfs_to_blob(endpoint: &str) -> String {
    let (scheme, rest) = endpoint.split_once("://").unwrap_or(("", endpoint));
    let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    if scheme.is_empty() || !host.contains(".dfs.") {
        return endpoint.to_string();
    }
    format!("{scheme}://{}{path}", host.replacen(".dfs.", ".blob.", 1))
}

/// Fill the Azure options `opts` leaves unset from the environment as adlfs and the Azure CLI
/// name it (`var` looks a name up; natively `std::env::var`): nothing when `anon`; a
/// credential only when none is given (the connection string first, then an account key,
/// then a SAS token); the account only when neither the options nor the URL name one.
pub fn fill_from_environment(
    opts: &mut crate::core::options::StoreOptions,
    url_names_account: bool,
    var: impl Fn(&str) -> Option<String>,
) {
    if opts.anon {
        return;
    }
    let var = |names: &[&str]| names.iter().find_map(|n| var(n).filter(|v| !v.is_empty()));
    let given = opts.account_key.is_some() || opts.sas_token.is_some() || opts.connection_string.is_some();
    if !given && opts.credential.is_none() {
        if let Some(cs) = var(&["AZURE_STORAGE_CONNECTION_STRING"]).filter(|_| opts.account_name.is_none()) {
            opts.connection_string = Some(Secret::new(cs));
            return;
        }
        if let Some(k) = var(&["AZURE_STORAGE_ACCOUNT_KEY", "AZURE_STORAGE_KEY"]) {
            opts.account_key = Some(Secret::new(k));
        } else if let Some(s) = var(&["AZURE_STORAGE_SAS_TOKEN"]) {
            opts.sas_token = Some(Secret::new(s));
        }
    }
    if opts.account_name.is_none() && opts.connection_string.is_none() && !url_names_account {
        opts.account_name = var(&["AZURE_STORAGE_ACCOUNT_NAME", "AZURE_STORAGE_ACCOUNT"]);
    }
}

#[cfg(feature = "native")]
mod native {
    use super::*;
    use crate::core::options::{StoreOptions, Target, resolve};
    use crate::transport::native::{ReqwestTransport, SystemClock};

    impl HttpStore<AzureConfig, ReqwestTransport> {
        /// A store from an Azure Storage connection string (`AccountName`, `AccountKey`,
        /// `SharedAccessSignature`, `BlobEndpoint`, `DefaultEndpointsProtocol`,
        /// `EndpointSuffix`, or `UseDevelopmentStorage=true` for Azurite).
        pub fn from_connection_string(connection_string: &str) -> Result<Self> {
            let opts = StoreOptions { connection_string: Some(Secret::new(connection_string)), ..StoreOptions::default() };
            let Target::Azure { account, endpoint, credentials, .. } = resolve("az://", &opts)? else {
                unreachable!("az:// resolves to Azure")
            };
            let transport = ReqwestTransport::new(Default::default())?;
            Self::from_target(
                account.as_deref(),
                endpoint.as_deref(),
                credentials,
                Quirks::default(),
                transport,
                Arc::new(SystemClock),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;
    use crate::core::error::{Error, ErrorKind};
    use crate::core::http::Method;
    use crate::core::options::{AZURITE_ACCOUNT, AZURITE_KEY, StoreOptions};
    use crate::fs::facade::{FileSystem, Options};
    use crate::transport::FixedClock;
    use crate::transport::script::{Script, answer};

    const BLOCK: usize = 1024;

    fn fs(script: &Arc<Script>) -> FileSystem<AzureStore<Arc<Script>>> {
        let config = AzureConfig::custom("http://127.0.0.1:9/devstoreaccount1").unwrap();
        let clock = Arc::new(FixedClock(chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap()));
        let store = AzureStore::shared_key(config, AZURITE_ACCOUNT, Secret::new(AZURITE_KEY), script.clone(), clock);
        FileSystem::with_options(store, Options { part_size: BLOCK as u64, ..Options::default() })
    }

    /// Method and URL of every request sent.
    fn seen(s: &Script) -> Vec<String> {
        s.sent().iter().map(|r| format!("{} {}", r.method.as_str(), r.url())).collect()
    }

    #[test]
    fn blocks_are_staged_then_committed_in_order() {
        let data: Vec<u8> = (0..2 * BLOCK + 7).map(|i| (i % 251) as u8).collect();
        let s = Script::new(vec![
            answer(201, &[], ""),
            answer(201, &[], ""),
            answer(201, &[], ""),
            answer(201, &[("etag", "\"0x9\"")], ""),
        ]);
        let meta = futures::executor::block_on(fs(&s).pipe("cnt/d/k", Bytes::from(data.clone()))).unwrap();
        assert_eq!((meta.size, meta.etag.as_deref()), (data.len() as u64, Some("0x9")));
        let sent = s.sent();
        let mut ids: Vec<String> = Vec::new();
        for r in &sent[..3] {
            assert_eq!((r.method, r.path.as_str()), (Method::Put, "/devstoreaccount1/cnt/d/k"));
            assert!(r.headers.get("authorization").is_some_and(|a| a.starts_with("SharedKey devstoreaccount1:")));
            ids.push(r.query.iter().find(|(k, _)| k == "blockid").unwrap().1.clone());
        }
        assert!(ids.iter().all(|i| i.len() == ids[0].len()), "fixed-length ids: {ids:?}");
        let commit = &sent[3];
        assert_eq!(commit.query, [("comp".to_string(), "blocklist".to_string())]);
        let body = std::str::from_utf8(&commit.body).unwrap();
        let mut sorted = ids.clone();
        sorted.sort();
        let listed: String = sorted.iter().map(|i| format!("<Latest>{i}</Latest>")).collect();
        assert!(body.contains(&listed), "committed in object order: {body}");
    }

    #[test]
    fn the_container_listing_follows_next_marker() {
        use crate::fs::Store;
        let page = |names: &[&str], next: &str| {
            let c: String = names.iter().map(|n| format!("<Container><Name>{n}</Name><Properties/></Container>")).collect();
            format!("<EnumerationResults><Containers>{c}</Containers><NextMarker>{next}</NextMarker></EnumerationResults>")
        };
        let s =
            Script::new(vec![answer(200, &[], page(&["c1", "c2"], "/devstoreaccount1/c3")), answer(200, &[], page(&["c3"], ""))]);
        let store = fs(&s);
        let names: Vec<String> =
            futures::executor::block_on(store.store().list_buckets()).unwrap().into_iter().map(|b| b.name).collect();
        assert_eq!(names, ["c1", "c2", "c3"]);
        assert_eq!(
            seen(&s),
            [
                "GET http://127.0.0.1:9/devstoreaccount1?comp=list&maxresults=5000",
                "GET http://127.0.0.1:9/devstoreaccount1?comp=list&maxresults=5000&marker=%2Fdevstoreaccount1%2Fc3"
            ]
        );
    }

    #[test]
    fn a_failed_block_commits_nothing() {
        let denied = "<?xml version=\"1.0\"?><Error><Code>AuthorizationFailure</Code><Message>no</Message></Error>";
        let s = Script::new(vec![answer(201, &[], ""), answer(403, &[], denied), answer(201, &[], "")]);
        let e = futures::executor::block_on(fs(&s).pipe("cnt/k", Bytes::from(vec![1u8; 2 * BLOCK + 1]))).unwrap_err();
        assert_eq!(e.kind, ErrorKind::PermissionDenied, "{e:?}");
        assert!(seen(&s).iter().all(|r| !r.contains("comp=blocklist")), "no block list: {:?}", seen(&s));
    }

    #[test]
    fn a_pending_copy_is_polled_until_it_succeeds() {
        let s = Script::new(vec![
            // cp asks first whether the source is a file.
            answer(200, &[("content-length", "3"), ("etag", "\"0x1\"")], ""),
            answer(202, &[("x-ms-copy-status", "pending"), ("x-ms-copy-id", "cid")], ""),
            answer(200, &[("x-ms-copy-status", "pending"), ("x-ms-copy-id", "cid"), ("content-length", "3")], ""),
            answer(200, &[("x-ms-copy-status", "success"), ("x-ms-copy-id", "cid"), ("content-length", "3")], ""),
        ]);
        futures::executor::block_on(fs(&s).cp("cnt/a", "cnt/b", false)).unwrap();
        // A pause before each poll, longer each time: the service copies on its own.
        assert_eq!(s.slept(), [std::time::Duration::from_millis(200), std::time::Duration::from_millis(400)]);
        let seen = seen(&s);
        assert_eq!(seen[1], "PUT http://127.0.0.1:9/devstoreaccount1/cnt/b");
        assert_eq!(
            seen[2..],
            [
                "HEAD http://127.0.0.1:9/devstoreaccount1/cnt/b".to_string(),
                "HEAD http://127.0.0.1:9/devstoreaccount1/cnt/b".to_string()
            ]
        );
        assert_eq!(
            s.sent()[1].headers.get("x-ms-copy-source"),
            Some("http://127.0.0.1:9/devstoreaccount1/cnt/a"),
            "the source is named by its URL"
        );
    }

    #[test]
    fn a_sas_is_appended_and_presigned_urls_are_service_sas() {
        let s = Script::new(vec![answer(200, &[("content-length", "2"), ("etag", "\"0x1\"")], "hi")]);
        let config = AzureConfig::custom("http://127.0.0.1:9/devstoreaccount1").unwrap();
        let clock = Arc::new(FixedClock(chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap()));
        let store = AzureStore::sas(config, Secret::new("sv=2022-11-02&sp=r&sig=SECRETSIG"), s.clone(), clock.clone());
        let got = futures::executor::block_on(FileSystem::new(store).cat("cnt/k")).unwrap();
        assert_eq!(&got[..], b"hi");
        let sent = &s.sent()[0];
        assert!(sent.url().ends_with("/cnt/k?sv=2022-11-02&sp=r&sig=SECRETSIG") && sent.headers.get("authorization").is_none());
        let url = futures::executor::block_on(fs(&s).sign("cnt/k", std::time::Duration::from_secs(60))).unwrap();
        assert!(
            url.starts_with("http://127.0.0.1:9/devstoreaccount1/cnt/k?") && url.contains("sp=r") && url.contains("sig="),
            "{url}"
        );
        let anon = AzureStore::anonymous(AzureConfig::account("acct").unwrap(), s.clone(), clock);
        assert!(!crate::fs::Store::capabilities(&anon).presign);
        let _ = Error::not_found("");
    }

    #[test]
    fn environment_fills_only_what_is_unset() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string())
        };
        let mut o = StoreOptions::default();
        fill_from_environment(&mut o, false, env(&[("AZURE_STORAGE_CONNECTION_STRING", "UseDevelopmentStorage=true")]));
        assert_eq!(o.connection_string.as_ref().map(|c| c.expose().to_string()).as_deref(), Some("UseDevelopmentStorage=true"));
        let mut o = StoreOptions { sas_token: Some(Secret::new("sig=x")), ..StoreOptions::default() };
        fill_from_environment(&mut o, false, env(&[("AZURE_STORAGE_KEY", "k"), ("AZURE_STORAGE_ACCOUNT", "acct")]));
        assert!(o.account_key.is_none(), "a credential given wins over the environment's");
        assert_eq!(o.account_name.as_deref(), Some("acct"));
        let mut o = StoreOptions::default();
        fill_from_environment(&mut o, true, env(&[("AZURE_STORAGE_ACCOUNT_KEY", "k"), ("AZURE_STORAGE_ACCOUNT", "other")]));
        assert!(o.account_key.is_some() && o.account_name.is_none(), "the URL's account wins");
        let mut o = StoreOptions { anon: true, ..StoreOptions::default() };
        fill_from_environment(&mut o, false, env(&[("AZURE_STORAGE_ACCOUNT_KEY", "k")]));
        assert!(o.account_key.is_none());
        assert_eq!(dfs_to_blob("https://a.dfs.core.windows.net"), "https://a.blob.core.windows.net");
        assert_eq!(dfs_to_blob("http://127.0.0.1:10000/devstoreaccount1"), "http://127.0.0.1:10000/devstoreaccount1");
    }
}
