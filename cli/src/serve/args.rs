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
    /// Seconds a client may take over one request: TLS handshake, headers, body and reading
    /// the answer (the time the request waits for the server itself is not counted). A
    /// keep-alive connection idle this long is closed.
    #[arg(long, default_value_t = 30, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub(crate) request_timeout: u64,
    /// Connections served at once; more wait to be accepted.
    #[arg(long, default_value_t = 256, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=65_536))]
    pub(crate) max_connections: u32,
    /// Connections one peer (an IPv4 address, an IPv6 /64) may hold at once; more from it are
    /// closed at once. At most --max-connections; keep it below, so other peers find room.
    #[arg(long, default_value_t = 64, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=65_536))]
    pub(crate) max_connections_per_peer: u32,
    /// Requests run at once, each on a façade lane with its own HSM instance (default: the
    /// number of CPUs). A PKCS#11 store is served by one lane whatever this says.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=256))]
    pub(crate) lanes: Option<u32>,
    /// Requests that may wait for a free lane; one more is refused at once with
    /// ThrottlingException (HTTP 400, as AWS), rather than waiting ever longer.
    #[arg(long, default_value_t = 256, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=65_536))]
    pub(crate) queue_depth: u32,
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
