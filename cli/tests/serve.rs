//! `coffer serve` against clients nobody here wrote: the AWS CLI (v1), boto3, botocore's SigV4
//! signer and the AWS Encryption SDK for Python, from the venv of `interop/aws-clients/setup.sh`
//! (`COFFER_AWS_PYTHON` names its python; else `target/aws-venv`). Without it those tests say
//! so and pass, except under CI (`CI` set), where they fail. The raw-HTTP tests need nothing.
//!
//! Each test starts its own server on a free loopback port over a fresh store.

#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc
)]

mod common;
mod serve_support;

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::{BIN, Store};
use serde_json::Value;
use serve_support::{Server, raw, store_with_access_key, terminate};

/// The venv's python, or None (and a note) when it is not installed outside CI.
fn python() -> Option<PathBuf> {
    let path = std::env::var_os("COFFER_AWS_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/aws-venv/bin/python"));
    if path.exists() {
        return Some(path);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "no AWS clients at {}: run interop/aws-clients/setup.sh target/aws-venv",
        path.display()
    );
    eprintln!("SKIPPED: no AWS clients at {} (interop/aws-clients/setup.sh target/aws-venv)", path.display());
    None
}

fn script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../interop/aws-clients").join(name)
}

/// Runs a check script against `server` with the access key's credentials.
fn run_python(
    python: &Path,
    store: &Store,
    server: &Server,
    id: &str,
    secret: &str,
    args: &[&str],
    env: &[(&str, String)],
) -> String {
    let mut cmd = client(python, store, server, id, secret);
    cmd.args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{args:?} failed\nstdout:\n{stdout}\nstderr:\n{stderr}");
    print!("{stdout}");
    stdout
}

/// `program` as a client of `server`: the access key's credentials, no other AWS configuration.
fn client(program: &Path, store: &Store, server: &Server, id: &str, secret: &str) -> Command {
    let mut cmd = Command::new(program);
    cmd.env("COFFER_ENDPOINT", &server.endpoint)
        .env("AWS_ACCESS_KEY_ID", id)
        .env("AWS_SECRET_ACCESS_KEY", secret)
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .env("COFFER_BIN", BIN)
        .env("COFFER_HOME", store.path())
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_SESSION_TOKEN")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env("AWS_EC2_METADATA_DISABLED", "true");
    for (k, v) in &store.env {
        cmd.env(k, v);
    }
    cmd
}

#[test]
fn aws_cli_and_boto3() {
    let Some(python) = python() else { return };
    let (store, id, secret) = store_with_access_key();
    let server = Server::start(&store);
    let script = script("check_clients.py");
    let out = run_python(&python, &store, &server, &id, &secret, &[script.to_str().unwrap()], &[]);
    assert!(out.ends_with(" passed, 0 failed\n"), "{out}");
    // Every request was recorded in the store's audit log, as `coffer` commands are.
    let audit = store.run(&["audit", "--operation", "ReEncrypt"]).json();
    assert_eq!(audit["Events"].as_array().unwrap().len(), 2, "{audit}");
    let (code, summary) = server.stop();
    assert_eq!(code, 0, "{summary}");
}

#[test]
fn authentication_refusals() {
    let Some(python) = python() else { return };
    let (store, id, secret) = store_with_access_key();
    let server = Server::start(&store);
    let script = script("check_auth.py");
    let out = run_python(&python, &store, &server, &id, &secret, &[script.to_str().unwrap()], &[]);
    assert!(out.ends_with(" passed, 0 failed\n"), "{out}");
    // The revocation left no record; the secret is nowhere in the store in plaintext.
    assert!(store.run(&["access-key", "list"]).json()["AccessKeyMetadata"].as_array().unwrap().is_empty());
    let (code, _) = server.stop();
    assert_eq!(code, 0);
}

#[test]
fn access_key_secret_is_sealed_in_the_store() {
    let (store, id, secret) = store_with_access_key();
    let record = std::fs::read_to_string(store.path().join("access-keys").join(&id)).unwrap();
    assert!(!record.contains(&secret), "{record}");
    let listed = store.run(&["access-key", "list"]).json();
    assert_eq!(listed["AccessKeyMetadata"][0]["AccessKeyId"], id.as_str());
    assert!(!listed.to_string().contains(&secret));
    // Revoking an unknown key: NotFoundException.
    store.run(&["access-key", "revoke", "--access-key-id", "CFAKNOPE0000000000000"]).failed("NotFoundException", 4);
    let revoked = store.run(&["access-key", "revoke", "--access-key-id", &id]);
    assert_eq!(revoked.code, 0, "{revoked:?}");
    assert!(!store.path().join("access-keys").join(&id).exists());
}

#[test]
fn encryption_sdk_through_the_server() {
    let Some(python) = python() else { return };
    let (store, id, secret) = store_with_access_key();
    let server = Server::start(&store);
    // The coffer command works on the store while the server runs (they share the store lock).
    let key = store.run(&["create-key", "--description", "esdk"]).json();
    let arn = key["KeyMetadata"]["Arn"].as_str().unwrap().to_owned();
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("plain.bin");
    let data: Vec<u8> = (0..50_000u32).map(|i| u8::try_from(i % 251).unwrap()).collect();
    std::fs::write(&plain, &data).unwrap();
    let message = dir.path().join("coffer.msg");
    store
        .run(&[
            "encrypt-file",
            "--key-id",
            &arn,
            "--input-file",
            plain.to_str().unwrap(),
            "--output-file",
            message.to_str().unwrap(),
            "--encryption-context",
            "tenant=acme",
        ])
        .json();
    let sdk_message = dir.path().join("sdk.msg");
    let script = script("check_esdk.py");
    let out = run_python(
        &python,
        &store,
        &server,
        &id,
        &secret,
        &[script.to_str().unwrap()],
        &[
            ("COFFER_KEY_ARN", arn.clone()),
            ("COFFER_MESSAGE", message.display().to_string()),
            ("COFFER_MESSAGE_PLAINTEXT", plain.display().to_string()),
            ("COFFER_ESDK_OUT", sdk_message.display().to_string()),
        ],
    );
    assert!(out.ends_with(" passed, 0 failed\n"), "{out}");
    // The SDK's message (made through the server) decrypts with coffer decrypt-file.
    let back = dir.path().join("back.bin");
    store
        .run(&["decrypt-file", "--input-file", sdk_message.to_str().unwrap(), "--output-file", back.to_str().unwrap()])
        .json();
    assert_eq!(std::fs::read(&back).unwrap(), data);
    let (code, _) = server.stop();
    assert_eq!(code, 0);
}

/// The AWS Encryption SDK CLI (`aws-encryption-cli` 4.3.0 on the Python SDK 3.3.1), with its
/// KMS provider pointed at the server (`AWS_ENDPOINT_URL_KMS`), both ways: it decrypts what
/// `coffer encrypt-file` writes, and `coffer decrypt-file` decrypts what it writes, at the sizes
/// where frames end: empty, 1, a frame less one, a frame (the SDK 3.x refuses a final frame as
/// long as the frame length) and two frames and one byte.
#[test]
fn encryption_sdk_cli_through_the_server() {
    let Some(python) = python() else { return };
    // setup.sh puts the CLI in a venv of its own beside the clients' (it needs an older SDK).
    let venv = python.parent().and_then(Path::parent).unwrap();
    let esdk_cli = PathBuf::from(format!("{}-esdk-cli", venv.display())).join("bin/aws-encryption-cli");
    assert!(esdk_cli.exists(), "no {}: run interop/aws-clients/setup.sh again", esdk_cli.display());
    let (store, id, secret) = store_with_access_key();
    let server = Server::start(&store);
    let key = store.run(&["create-key", "--description", "esdk-cli"]).json();
    let arn = key["KeyMetadata"]["Arn"].as_str().unwrap().to_owned();
    let dir = tempfile::tempdir().unwrap();
    let path = |name: String| dir.path().join(name).to_str().unwrap().to_owned();
    let esdk = |args: &[&str]| {
        let mut cmd = client(&esdk_cli, &store, &server, &id, &secret);
        cmd.env("AWS_ENDPOINT_URL_KMS", &server.endpoint)
            .args(args)
            .args(["--wrapping-keys", &format!("key={arn}")])
            .args(["--commitment-policy", "require-encrypt-require-decrypt", "-S"]);
        let out = cmd.output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "aws-encryption-cli {args:?} failed: {stderr}");
    };
    const FRAME: usize = 4096;
    for size in [0, 1, FRAME - 1, FRAME, 2 * FRAME + 1] {
        let data: Vec<u8> = (0..size).map(|i| u8::try_from(i % 251).unwrap()).collect();
        let plain = path(format!("plain-{size}"));
        std::fs::write(&plain, &data).unwrap();

        // coffer encrypt-file -> aws-encryption-cli --decrypt
        let coffer_msg = path(format!("coffer-{size}.msg"));
        store
            .run(&[
                "encrypt-file",
                "--key-id",
                &arn,
                "--input-file",
                &plain,
                "--output-file",
                &coffer_msg,
                "--encryption-context",
                "tenant=acme",
            ])
            .json();
        let by_esdk = path(format!("esdk-{size}.out"));
        esdk(&["--decrypt", "--input", &coffer_msg, "--output", &by_esdk, "--encryption-context", "tenant=acme"]);
        assert!(std::fs::read(&by_esdk).unwrap() == data, "aws-encryption-cli read another plaintext ({size} bytes)");

        // aws-encryption-cli --encrypt -> coffer decrypt-file
        let esdk_msg = path(format!("esdk-{size}.msg"));
        esdk(&[
            "--encrypt",
            "--input",
            &plain,
            "--output",
            &esdk_msg,
            "--encryption-context",
            "tenant=acme",
            "--frame-length",
            &FRAME.to_string(),
        ]);
        let by_coffer = path(format!("coffer-{size}.out"));
        store
            .run(&[
                "decrypt-file",
                "--input-file",
                &esdk_msg,
                "--output-file",
                &by_coffer,
                "--encryption-context",
                "tenant=acme",
            ])
            .json();
        assert!(std::fs::read(&by_coffer).unwrap() == data, "coffer read another plaintext ({size} bytes)");
    }
    let (code, _) = server.stop();
    assert_eq!(code, 0);
}

/// Several concurrent boto3 clients for a fixed time (`COFFER_LOAD_SECS`, default 5;
/// `COFFER_LOAD_THREADS`, default 4): zero errors, every blob and key intact afterwards.
#[test]
fn load_on_loopback() {
    let Some(python) = python() else { return };
    let (store, id, secret) = store_with_access_key();
    let server = Server::start(&store);
    let secs = std::env::var("COFFER_LOAD_SECS").unwrap_or_else(|_| "5".into());
    let threads = std::env::var("COFFER_LOAD_THREADS").unwrap_or_else(|_| "4".into());
    let script = script("load.py");
    let out = run_python(&python, &store, &server, &id, &secret, &[script.to_str().unwrap(), &secs, &threads], &[]);
    let report: Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(report["Errors"], 0, "{report}");
    assert!(report["Operations"].as_u64().unwrap() > 0, "{report}");
    eprintln!("load: {report}");
    let (code, summary) = server.stop();
    assert_eq!(code, 0, "{summary}");
}

fn post(body: &str, extra: &str) -> Vec<u8> {
    format!(
        "POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/x-amz-json-1.1\r\n\
         X-Amz-Target: TrentService.ListKeys\r\n{extra}Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

#[test]
fn raw_http_refusals_and_graceful_shutdown() {
    let (store, _, _) = store_with_access_key();
    let server = Server::start(&store);
    let addr = server.addr.clone();

    let unsigned = raw(&addr, &post("{}", ""));
    assert!(unsigned.starts_with("HTTP/1.1 400"), "{unsigned}");
    assert!(unsigned.contains(r#"{"__type":"MissingAuthenticationTokenException""#), "{unsigned}");

    let malformed = raw(&addr, &post("{}", "Authorization: AWS4-HMAC-SHA256 Credential=x\r\n"));
    assert!(malformed.contains("IncompleteSignatureException"), "{malformed}");

    let big = raw(
        &addr,
        format!("POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: {}\r\n\r\n", 1 << 20).as_bytes(),
    );
    assert!(big.starts_with("HTTP/1.1 413"), "{big}");

    let get = raw(&addr, b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    assert!(get.starts_with("HTTP/1.1 405"), "{get}");

    // Not HTTP at all, binary garbage, a request cut short: the connection fails, the server stays.
    let _ = raw(&addr, b"\x00\xff\x16\x03\x01 garbage\r\n\r\n");
    let mut cut = TcpStream::connect(&addr).unwrap();
    cut.write_all(b"POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\n{").unwrap();
    drop(cut);
    let again = raw(&addr, &post("{}", ""));
    assert!(again.starts_with("HTTP/1.1 400"), "{again}");

    // A request in flight when SIGTERM arrives is answered: headers sent, SIGTERM, body sent.
    let mut s = TcpStream::connect(&addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let request = post(r#"{"Limit": 1}"#, "");
    let split = request.len() - 5;
    s.write_all(&request[..split]).unwrap();
    std::thread::sleep(Duration::from_millis(300));
    terminate(&server.child);
    std::thread::sleep(Duration::from_millis(300));
    s.write_all(&request[split..]).unwrap();
    let mut answer = String::new();
    let _ = s.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 400") && answer.contains("MissingAuthenticationToken"), "{answer}");
    let (code, summary) = server.stop();
    assert_eq!(code, 0, "{summary}");
    let summary: Value = serde_json::from_str(&summary).unwrap();
    assert!(summary["Requests"].as_u64().unwrap() >= 6, "{summary}");
    // And nothing listens any more.
    assert!(TcpStream::connect(&addr).is_err());
}

#[test]
fn non_loopback_bind_needs_tls() {
    let store = Store::new();
    let run = store.run(&["serve", "--bind", "0.0.0.0:0"]);
    let err = run.failed("ValidationException", 3);
    assert!(err.contains("--tls-cert"), "{err}");
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk.pem");
    std::fs::write(&junk, "not a certificate").unwrap();
    let junk = junk.to_str().unwrap();
    store
        .run(&["serve", "--bind", "0.0.0.0:0", "--tls-cert", junk, "--tls-key", junk])
        .failed("ValidationException", 3);
}

/// HTTPS: bound to every address (allowed with TLS), reached on 127.0.0.1 by boto3, which
/// verifies the certificate.
#[test]
fn tls_with_boto3() {
    let Some(python) = python() else { return };
    let (store, id, secret) = store_with_access_key();
    let dir = tempfile::tempdir().unwrap();
    let script = script("check_tls.py");
    let made = Command::new(&python).args([script.to_str().unwrap(), "cert"]).arg(dir.path()).status().unwrap();
    assert!(made.success());
    let cert = dir.path().join("cert.pem");
    let key = dir.path().join("key.pem");
    let mut server = Server::start_with(
        &store,
        &["--bind", "0.0.0.0:0", "--tls-cert", cert.to_str().unwrap(), "--tls-key", key.to_str().unwrap()],
    );
    assert!(server.endpoint.starts_with("https://0.0.0.0:"), "{}", server.endpoint);
    let port = server.addr.rsplit(':').next().unwrap().to_owned();
    server.endpoint = format!("https://127.0.0.1:{port}");
    let out = run_python(
        &python,
        &store,
        &server,
        &id,
        &secret,
        &[script.to_str().unwrap(), "check", cert.to_str().unwrap()],
        &[],
    );
    assert!(out.ends_with(" passed, 0 failed\n"), "{out}");
    let (code, _) = server.stop();
    assert_eq!(code, 0);
}
