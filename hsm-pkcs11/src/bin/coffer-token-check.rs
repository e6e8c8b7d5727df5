//! `coffer-token-check --module PATH --token LABEL`: does this PKCS#11 token have what Coffer
//! needs? The PIN comes from `COFFER_PKCS11_PIN` or the file named by `COFFER_PKCS11_PIN_FILE`,
//! never from an argument. Exit status: 0 all checks passed, 1 a check failed, 2 no check ran.

use coffer_hsm_pkcs11::{ENV_MODULE, ENV_TOKEN, Pkcs11Config, check_token};
use std::process::ExitCode;

const USAGE: &str = "usage: coffer-token-check [--module PATH] [--token LABEL]
  --module PATH   the PKCS#11 module (default: $COFFER_PKCS11_MODULE, else SoftHSMv2's)
  --token LABEL   the token's label (default: $COFFER_PKCS11_TOKEN)
  The user PIN is read from $COFFER_PKCS11_PIN or from the file named by $COFFER_PKCS11_PIN_FILE.";

fn main() -> ExitCode {
    let mut module = std::env::var_os(ENV_MODULE).map(std::path::PathBuf::from);
    let mut token = std::env::var(ENV_TOKEN).ok();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match (arg.as_str(), args.next()) {
            ("--module", Some(path)) => module = Some(path.into()),
            ("--token", Some(label)) => token = Some(label),
            _ => {
                eprintln!("{USAGE}");
                return ExitCode::from(2);
            }
        }
    }
    let Some(token) = token else {
        eprintln!("no token label: give --token or set {ENV_TOKEN}\n{USAGE}");
        return ExitCode::from(2);
    };
    let pin = match coffer_hsm_pkcs11::Pin::from_env_or_file() {
        Ok(pin) => pin,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let mut config = Pkcs11Config::new(&token, pin);
    if let Some(module) = module {
        config.module = module;
    }
    match check_token(&config) {
        Ok(report) => {
            println!("{report}");
            if report.passed() { ExitCode::SUCCESS } else { ExitCode::from(1) }
        }
        Err(e) => {
            eprintln!("token check could not run: {e}");
            ExitCode::from(2)
        }
    }
}
