//! The command-line arguments of `coffer serve` and `coffer access-key`.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Subcommand};

/// `coffer serve`.
#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    /// Address and port to listen on (port 0: any free port; the endpoint is printed on the
    /// first line of the output). Any address but loopback requires TLS.
    #[arg(long, default_value = "127.0.0.1:4599", value_name = "ADDR:PORT")]
    pub(crate) bind: SocketAddr,
    /// Serve HTTPS with this certificate chain (PEM).
    #[arg(long, value_name = "PEM", requires = "tls_key")]
    pub(crate) tls_cert: Option<PathBuf>,
    /// The certificate's private key (PEM: PKCS#8, PKCS#1 or SEC1).
    #[arg(long, value_name = "PEM", requires = "tls_cert")]
    pub(crate) tls_key: Option<PathBuf>,
}

/// `coffer access-key ...`: the credentials callers of `coffer serve` sign requests with.
#[derive(Debug, Subcommand)]
pub(crate) enum AccessKeyCommand {
    /// Create an access key; its secret is printed once, never again.
    Create,
    /// Revoke an access key: requests signed with it are refused from then on.
    Revoke {
        /// The access key id.
        #[arg(long)]
        access_key_id: String,
    },
    /// List the access keys (ids and creation dates; no secrets).
    List,
}
