//! `fnf-operator call`: send any fnf action by hand, with the same signing,
//! retries and credential chain as the operator, and print the JSON answer.
//!
//! Must never print credentials; it only returns what the cloud answered.

use fnf_client::{Client, ClientConfig, CredentialProvider, Endpoint, FnfError, SignatureVersion};

/// `--signature` as clap reads it. [`SignatureVersion`] itself lives in the
/// clap-free `fnf-client`, so the names and help of its values are here
/// (`run --signature` reads it too).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum SignatureArg {
    /// HMAC-SHA1 RPC signature 1.0, what the official SDKs send by default.
    #[default]
    Rpc,
    /// ACS3-HMAC-SHA256.
    V3,
}

impl From<SignatureArg> for SignatureVersion {
    fn from(arg: SignatureArg) -> Self {
        match arg {
            SignatureArg::Rpc => SignatureVersion::Rpc,
            SignatureArg::V3 => SignatureVersion::V3,
        }
    }
}

/// Arguments of `fnf-operator call`.
#[derive(Debug, Clone, clap::Args)]
pub struct CallArgs {
    /// The fnf action (API version 2019-03-15), e.g. DescribeExecution.
    pub action: String,

    /// A request parameter, repeatable, e.g. --param FlowName=my_flow.
    #[arg(long = "param", value_name = "KEY=VALUE", value_parser = parse_param)]
    pub params: Vec<(String, String)>,

    /// Region of the fnf endpoint https://{region}.fnf.aliyuncs.com.
    #[arg(long, env = "ALIBABA_CLOUD_REGION_ID")]
    pub region: Option<String>,

    /// Explicit endpoint URL instead of the regional one (https, or http on
    /// loopback only), e.g. a local emulator.
    #[arg(long, env = "FNF_ENDPOINT")]
    pub endpoint: Option<String>,

    /// PEM file of CA certificates to trust besides the system's (as `run`'s).
    #[arg(long, env = "FNF_CLOUD_CA_BUNDLE")]
    pub cloud_ca_bundle: Option<std::path::PathBuf>,

    /// Request signature: rpc (HMAC-SHA1) or v3 (ACS3-HMAC-SHA256).
    #[arg(long, value_enum, default_value_t = SignatureArg::Rpc)]
    pub signature: SignatureArg,
}

/// Parses `Key=Value`; the value may contain `=` and may be empty.
pub fn parse_param(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((key, value)) if !key.is_empty() => Ok((key.to_string(), value.to_string())),
        _ => Err(format!("expected KEY=VALUE, got {text:?}")),
    }
}

/// Runs the call with the environment credential chain (static keys, else
/// RRSA).
pub async fn run_call(args: &CallArgs) -> Result<serde_json::Value, FnfError> {
    let http = cloud_http(args)?;
    let credentials =
        CredentialProvider::from_lookup_with_http(|name| std::env::var(name).ok(), http)?;
    run_call_with(args, credentials).await
}

/// Runs the call with the given credentials (tests pass static ones).
pub async fn run_call_with(
    args: &CallArgs,
    credentials: CredentialProvider,
) -> Result<serde_json::Value, FnfError> {
    let endpoint = match (&args.endpoint, &args.region) {
        (Some(url), _) => Endpoint::from_url(url)?,
        (None, Some(region)) => Endpoint::from_region(region)?,
        (None, None) => {
            return Err(FnfError::InvalidConfig(
                "region: set --region (or ALIBABA_CLOUD_REGION_ID) or --endpoint".to_string(),
            ));
        }
    };
    let mut config = match cloud_http(args)? {
        Some(http) => ClientConfig::with_http(endpoint, http),
        None => ClientConfig::new(endpoint)?,
    };
    config.signature = args.signature.into();
    if let Some(region) = &args.region {
        config.region_id = Some(region.clone());
    }
    Client::new(config, credentials)
        .call(&args.action, args.params.clone())
        .await
}

/// The HTTP client trusting `--cloud-ca-bundle`, if given.
fn cloud_http(args: &CallArgs) -> Result<Option<reqwest::Client>, FnfError> {
    let Some(path) = &args.cloud_ca_bundle else {
        return Ok(None);
    };
    let pem = std::fs::read(path).map_err(|e| {
        FnfError::InvalidConfig(format!("--cloud-ca-bundle {}: {e}", path.display()))
    })?;
    fnf_client::client::http_client_trusting(Some(&pem)).map(Some)
}
