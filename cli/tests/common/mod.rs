//! Test support: a private store per test, the built `coffer` binary run with the test's
//! environment, its JSON answer parsed.
//!
//! The stores use Argon2id at 64 KiB and one pass (`init --insecure-test-kdf`, added by
//! [`Store::command`]): the default (64 MiB, t=3) would make every command of every test
//! take a noticeable fraction of a second.

#![allow(
    dead_code,
    unreachable_pub,
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc
)]

pub mod token;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

pub const BIN: &str = env!("CARGO_BIN_EXE_coffer");
pub const PASSPHRASE: &str = "correct horse battery staple";
/// The Argon2id parameters of the tests' soft stores (`Store::command` adds them to `init`).
pub const TEST_KDF: [&str; 5] = ["--insecure-test-kdf", "--kdf-memory-kib", "64", "--kdf-iterations", "1"];

/// What a run gave.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    fn from(out: Output) -> Self {
        Self {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8(out.stdout).unwrap(),
            stderr: String::from_utf8(out.stderr).unwrap(),
        }
    }

    /// The JSON answer of a successful run.
    pub fn json(&self) -> Value {
        assert_eq!(self.code, 0, "stdout: {}\nstderr: {}", self.stdout, self.stderr);
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.stdout))
    }

    /// Asserts the run failed with `name` and `code`, and returns stderr.
    pub fn failed(&self, name: &str, code: i32) -> &str {
        assert_eq!(self.code, code, "expected {name} ({code}); stdout: {}\nstderr: {}", self.stdout, self.stderr);
        assert!(
            self.stderr.starts_with(&format!("An error occurred ({name}) when calling the ")),
            "stderr: {}",
            self.stderr
        );
        assert!(self.stdout.is_empty(), "stdout of a failure: {}", self.stdout);
        &self.stderr
    }
}

/// A store directory of the test's own, removed when dropped.
pub struct Store {
    pub dir: tempfile::TempDir,
    pub env: Vec<(String, String)>,
}

impl Store {
    /// An uninitialized store location.
    pub fn empty() -> Self {
        let dir = tempfile::Builder::new().prefix("coffer-cli-test").tempdir().unwrap();
        Self { env: vec![("COFFER_PASSPHRASE".into(), PASSPHRASE.into())], dir }
    }

    /// An initialized soft store.
    pub fn new() -> Self {
        let store = Self::empty();
        let init = store.run(&["init"]);
        assert_eq!(init.code, 0, "{init:?}");
        store
    }

    pub fn path(&self) -> PathBuf {
        self.dir.path().join("store")
    }

    /// The command with the store and the environment set, nothing inherited that matters.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = self.command_exact(args);
        if args.first() == Some(&"init") && !args.contains(&"--pkcs11") && !args.contains(&"--kdf-memory-kib") {
            cmd.args(TEST_KDF);
        }
        cmd
    }

    /// The command with exactly these arguments (`command` adds [`TEST_KDF`] to a soft `init`).
    pub fn command_exact(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(BIN);
        cmd.args(args)
            .env("COFFER_HOME", self.path())
            .env_remove("COFFER_NOW")
            .env_remove("COFFER_PKCS11_PIN")
            .env_remove("COFFER_PKCS11_PIN_FILE")
            .stdin(Stdio::null());
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        cmd
    }

    pub fn run(&self, args: &[&str]) -> Run {
        Run::from(self.command(args).output().unwrap())
    }

    pub fn run_env(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let mut cmd = self.command(args);
        for (k, v) in env {
            cmd.env(k, v);
        }
        Run::from(cmd.output().unwrap())
    }

    /// Runs and parses a successful JSON answer.
    pub fn ok(&self, args: &[&str]) -> Value {
        self.run(args).json()
    }

    /// Runs a command whose success prints nothing.
    pub fn quiet(&self, args: &[&str]) {
        let run = self.run(args);
        assert_eq!(run.code, 0, "{run:?}");
        assert_eq!(run.stdout, "", "{run:?}");
    }

    /// Creates a key and returns its id.
    pub fn create_key(&self, description: &str) -> String {
        let v = self.ok(&["create-key", "--description", description]);
        v["KeyMetadata"]["KeyId"].as_str().unwrap().to_owned()
    }

    /// Encrypts `text` (as bytes) under `key` with `context`; returns the blob in base64.
    pub fn encrypt(&self, key: &str, text: &[u8], context: &str) -> String {
        let b64 = b64(text);
        let mut args = vec!["encrypt", "--key-id", key, "--plaintext", &b64];
        if !context.is_empty() {
            args.extend(["--encryption-context", context]);
        }
        self.ok(&args)["CiphertextBlob"].as_str().unwrap().to_owned()
    }

    /// Decrypts and returns the plaintext bytes.
    pub fn decrypt(&self, blob: &str, context: &str) -> Vec<u8> {
        let mut args = vec!["decrypt", "--ciphertext-blob", blob];
        if !context.is_empty() {
            args.extend(["--encryption-context", context]);
        }
        unb64(self.ok(&args)["Plaintext"].as_str().unwrap())
    }

    pub fn file(&self, rel: &str) -> PathBuf {
        self.path().join(rel)
    }
}

pub fn b64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

pub fn unb64(text: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.decode(text).unwrap()
}

pub const ARN_PREFIX: &str = "arn:aws:kms:us-east-1:000000000000:";

pub fn key_arn(id: &str) -> String {
    format!("{ARN_PREFIX}key/{id}")
}

/// Stale temporaries anywhere in the store.
pub fn temporaries(root: &Path) -> usize {
    ["", "keys", "aliases", "access-keys", "versions", "descriptions"]
        .iter()
        .filter_map(|d| std::fs::read_dir(root.join(d)).ok())
        .flat_map(|rd| rd.flatten())
        .filter(|e| e.file_name().to_string_lossy().starts_with("~tmp-"))
        .count()
}

/// Whether strace is here, for the tests that trace or kill `coffer` with it: else they say
/// SKIPPED, except under CI (`.ci/run` installs it), where this fails.
pub fn have_strace() -> bool {
    if Command::new("strace").arg("-V").output().is_ok_and(|o| o.status.success()) {
        return true;
    }
    assert!(std::env::var_os("CI").is_none(), "strace is missing (apt-get install strace)");
    eprintln!("SKIPPED: strace is not installed");
    false
}
