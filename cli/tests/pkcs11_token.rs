//! `coffer` and `coffer serve` when the SoftHSMv2 token is disturbed: commands killed at random
//! while others run, root keys gone, the token moved away and back under a running server.
//!
//! Each test has a token directory of its own (`SOFTHSM2_CONF` set for the processes it runs),
//! its token made with `softhsm2-util`. `COFFER_TEST_PKCS11_MODULE` names another module.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    missing_docs
)]

mod common;

use std::collections::BTreeMap;
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::token::{self, PIN, module};
use common::{Store, b64, unb64};
use hmac::{Hmac, KeyInit as _, Mac as _};
use serde_json::Value;
use sha2::{Digest as _, Sha256};

/// A store on a fresh token `label`, initialized (`coffer init --pkcs11`).
fn pkcs11_store(label: &str) -> Store {
    let store = token::pkcs11_store(label);
    store.ok(&["init", "--pkcs11", "--module", &module(), "--token", label]);
    store
}

/// The directory of the store's one token (SoftHSMv2 names it by a UUID).
fn token_dir(store: &Store) -> PathBuf {
    let mut dirs: Vec<PathBuf> =
        std::fs::read_dir(store.dir.path().join("tokens")).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(dirs.len(), 1, "{dirs:?}");
    dirs.pop().unwrap()
}

/// Every file of the token directory and its bytes.
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (e.file_name().to_string_lossy().into_owned(), std::fs::read(e.path()).unwrap())
        })
        .collect()
}

/// The set-up of README.md and docs/PKCS11.md: once the store is made, `token.object` is made
/// read-only for the service (mode 0400; `chattr +i` as well when the service runs as root,
/// which mode bits do not stop). SoftHSMv2 then cannot rewrite it at login, which is what a
/// killed command could leave empty. Undone when dropped, so that the directory can be removed.
struct ReadOnlyTokenObject {
    path: PathBuf,
    immutable: bool,
}

impl ReadOnlyTokenObject {
    fn new(store: &Store) -> Self {
        use std::os::unix::fs::PermissionsExt as _;
        let path = token_dir(store).join("token.object");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o400)).unwrap();
        let mut guard = Self { path, immutable: false };
        if guard.writable() {
            // Root: mode bits do not stop it.
            let chattr = Command::new("chattr").arg("+i").arg(&guard.path).status().expect("chattr runs");
            assert!(chattr.success(), "chattr +i {} (as root, CAP_LINUX_IMMUTABLE is needed)", guard.path.display());
            guard.immutable = true;
        }
        assert!(!guard.writable(), "token.object must not be writable by the commands");
        guard
    }

    fn writable(&self) -> bool {
        std::fs::OpenOptions::new().write(true).open(&self.path).is_ok()
    }
}

impl Drop for ReadOnlyTokenObject {
    fn drop(&mut self) {
        if self.immutable {
            let _ = Command::new("chattr").arg("-i").arg(&self.path).status();
        }
    }
}

/// A small deterministic generator (xorshift), so that a failing run can be replayed with
/// `COFFER_KILL_SEED`.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// Without the set-up, every command rewrites `token.object` in place (SoftHSMv2 2.6.1 stores
/// the token flags at each C_Login: truncate, then write): the file a SIGKILL can leave empty.
/// With it, 300 commands killed at random moments, with two threads running commands beside
/// them all along, change no byte of the token, every concurrent command succeeds, and every
/// key still decrypts.
#[test]
fn killed_commands_leave_a_read_only_token_whole() {
    let store = pkcs11_store("kill-loop");
    let keys: Vec<String> = (0..3).map(|i| store.create_key(&format!("key {i}"))).collect();
    let blobs: Vec<String> = keys.iter().map(|k| store.encrypt(k, k.as_bytes(), "loop=kill")).collect();

    // The mechanism: a plain describe-key rewrites the token's own file.
    let dir = token_dir(&store);
    let before = std::fs::read(dir.join("token.object")).unwrap();
    store.ok(&["describe-key", "--key-id", &keys[0]]);
    assert_ne!(std::fs::read(dir.join("token.object")).unwrap(), before, "a login rewrites token.object");

    let _read_only = ReadOnlyTokenObject::new(&store);
    let token = snapshot(&dir);
    let seed = std::env::var("COFFER_KILL_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(0x9e37_79b9_7f4a_7c15);
    eprintln!("kill loop seed {seed} (COFFER_KILL_SEED replays it)");
    let done = std::sync::atomic::AtomicBool::new(false);
    let started = Instant::now();
    std::thread::scope(|scope| {
        let concurrent: Vec<_> = (0..2)
            .map(|t| {
                let (store, keys, blobs, done) = (&store, &keys, &blobs, &done);
                scope.spawn(move || {
                    let mut runs = 0;
                    while !done.load(std::sync::atomic::Ordering::Relaxed) {
                        let i = (runs + t) % keys.len();
                        let run = if runs % 2 == 0 {
                            store.run(&["describe-key", "--key-id", &keys[i]])
                        } else {
                            store.run(&["decrypt", "--ciphertext-blob", &blobs[i], "--encryption-context", "loop=kill"])
                        };
                        assert_eq!(run.code, 0, "a command beside the kills failed: {run:?}");
                        runs += 1;
                    }
                    runs
                })
            })
            .collect();
        let mut rng = Rng(seed);
        let mut killed = 0;
        while killed < 300 {
            let i = usize::try_from(rng.below(3)).unwrap();
            let args: Vec<&str> = match rng.below(4) {
                0 => vec!["describe-key", "--key-id", &keys[i]],
                1 => vec!["decrypt", "--ciphertext-blob", &blobs[i], "--encryption-context", "loop=kill"],
                2 => vec!["generate-data-key", "--key-id", &keys[i], "--key-spec", "AES_256"],
                _ => vec!["list-keys"],
            };
            let mut child = store.command(&args).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
            // Across a command's whole life here (module load, login, the operation).
            std::thread::sleep(Duration::from_micros(rng.below(60_000)));
            if matches!(child.try_wait(), Ok(None)) {
                child.kill().unwrap();
                killed += 1;
            }
            let _ = child.wait();
        }
        done.store(true, std::sync::atomic::Ordering::Relaxed);
        let runs: usize = concurrent.into_iter().map(|t| t.join().unwrap()).sum();
        eprintln!("300 kills and {runs} concurrent commands in {:?}", started.elapsed());
        assert!(runs > 0);
    });

    assert_eq!(snapshot(&dir), token, "the token's files changed");
    for (key, blob) in keys.iter().zip(&blobs) {
        assert_eq!(store.decrypt(blob, "loop=kill"), key.as_bytes());
    }
    assert_eq!(store.ok(&["token-check"])["Passed"], true);
}

/// With the root keys gone from the token (its object files removed, as a token restored from
/// an older backup would be), a command is KeyUnavailableException (13), naming the keys; and
/// they cannot be destroyed through PKCS#11 (CKA_DESTROYABLE false).
#[test]
fn missing_root_keys_are_key_unavailable() {
    let store = pkcs11_store("no-root");
    let key = store.create_key("k");
    let conf = store.dir.path().join("softhsm2.conf");

    // pkcs11-tool with the PIN cannot delete them.
    for label in ["coffer-root-wrapping", "coffer-root-sealing"] {
        let out = Command::new("pkcs11-tool")
            .args(["--module", &module(), "--token-label", "no-root", "--login", "--pin", PIN])
            .args(["--delete-object", "--type", "secrkey", "--label", label])
            .env("SOFTHSM2_CONF", &conf)
            .output()
            .expect("pkcs11-tool runs (is opensc installed?)");
        assert!(!out.status.success(), "{label} was deleted: {out:?}");
        // CKR_ACTION_PROHIBITED (this pkcs11-tool prints only its number).
        assert!(String::from_utf8_lossy(&out.stderr).contains("(0x1b)"), "{out:?}");
    }
    store.ok(&["describe-key", "--key-id", &key]);

    // Their files removed: every object file but the token's own.
    let dir = token_dir(&store);
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name != "token.object" && name != "token.lock" && name != "generation" {
            std::fs::remove_file(&path).unwrap();
        }
    }
    let err = store.run(&["describe-key", "--key-id", &key]).failed("KeyUnavailableException", 13).to_owned();
    assert!(err.contains("root keys") && err.contains("coffer-root-*"), "{err}");
    store.run(&["encrypt", "--key-id", &key, "--plaintext", &b64(b"x")]).failed("KeyUnavailableException", 13);
}

/// A running `coffer serve` on the store, stopped with SIGKILL when dropped.
struct Server {
    child: Child,
    addr: String,
    region: String,
}

impl Server {
    fn start(store: &Store) -> Self {
        let mut child = store
            .command(&["serve", "--bind", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.as_mut().unwrap()).read_line(&mut line).unwrap();
        let v: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("first line {line:?}: {e}"));
        let addr = v["Endpoint"].as_str().unwrap().split("://").nth(1).unwrap().to_owned();
        Self { child, addr, region: v["Region"].as_str().unwrap().to_owned() }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `YYYYMMDDTHHMMSSZ` of now (UTC), as SigV4 wants it.
fn amz_date() -> String {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let (days, rest) = (secs / 86_400, secs % 86_400);
    // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    format!("{year:04}{month:02}{day:02}T{:02}{:02}{:02}Z", rest / 3600, rest % 3600 / 60, rest % 60)
}

fn hmac(key: &[u8], data: &str) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).unwrap();
    mac.update(data.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// One KMS request signed with SigV4 under (`id`, `secret`): the HTTP status and the JSON body.
fn kms(server: &Server, (id, secret): (&str, &str), operation: &str, body: &Value) -> (u16, Value) {
    let body = body.to_string();
    let date = amz_date();
    let day = &date[..8];
    let target = format!("TrentService.{operation}");
    let headers = format!(
        "content-type:application/x-amz-json-1.1\nhost:{}\nx-amz-date:{date}\nx-amz-target:{target}\n",
        server.addr
    );
    let signed = "content-type;host;x-amz-date;x-amz-target";
    let canonical = format!("POST\n/\n\n{headers}\n{signed}\n{}", hex(&Sha256::digest(body.as_bytes())));
    let scope = format!("{day}/{}/kms/aws4_request", server.region);
    let to_sign = format!("AWS4-HMAC-SHA256\n{date}\n{scope}\n{}", hex(&Sha256::digest(canonical.as_bytes())));
    let mut key = hmac(format!("AWS4{secret}").as_bytes(), day);
    for part in [server.region.as_str(), "kms", "aws4_request"] {
        key = hmac(&key, part);
    }
    let signature = hex(&hmac(&key, &to_sign));
    let request = format!(
        "POST / HTTP/1.1\r\nHost: {}\r\nContent-Type: application/x-amz-json-1.1\r\nX-Amz-Date: {date}\r\n\
         X-Amz-Target: {target}\r\nAuthorization: AWS4-HMAC-SHA256 Credential={id}/{scope}, \
         SignedHeaders={signed}, Signature={signature}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        server.addr,
        body.len()
    );
    let mut stream = std::net::TcpStream::connect(&server.addr).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let status = answer.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let json = answer.split("\r\n\r\n").nth(1).and_then(|b| serde_json::from_str(b).ok()).unwrap_or(Value::Null);
    (status, json)
}

/// `coffer serve` keeps serving after its token went away and came back: while the token's
/// directory is moved away, requests are KeyUnavailableException; once it is back, the server
/// opens the module and the token again (with a back-off) and the same key works, with no
/// restart.
#[test]
fn serve_reopens_the_token_after_it_comes_back() {
    let store = pkcs11_store("serve-back");
    let key = store.create_key("served");
    let access = store.ok(&["access-key", "create"]);
    let id = access["AccessKey"]["AccessKeyId"].as_str().unwrap().to_owned();
    let secret = access["AccessKey"]["SecretAccessKey"].as_str().unwrap().to_owned();
    let creds = (id.as_str(), secret.as_str());
    let server = Server::start(&store);
    let encrypt = serde_json::json!({ "KeyId": key, "Plaintext": b64(b"served from the token") });
    let (status, answer) = kms(&server, creds, "Encrypt", &encrypt);
    assert_eq!(status, 200, "{answer}");

    let tokens = store.dir.path().join("tokens");
    let away = store.dir.path().join("tokens-away");
    std::fs::rename(&tokens, &away).unwrap();
    std::fs::create_dir(&tokens).unwrap();
    for _ in 0..3 {
        let (status, answer) = kms(&server, creds, "Encrypt", &encrypt);
        assert_eq!((status, answer["__type"].as_str()), (500, Some("KeyUnavailableException")), "{answer}");
    }

    std::fs::remove_dir(&tokens).unwrap();
    std::fs::rename(&away, &tokens).unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let blob = loop {
        let (status, answer) = kms(&server, creds, "Encrypt", &encrypt);
        if status == 200 {
            break answer["CiphertextBlob"].as_str().unwrap().to_owned();
        }
        assert_eq!(answer["__type"], "KeyUnavailableException", "{answer}");
        assert!(Instant::now() < deadline, "the server did not reopen the token within a minute");
        std::thread::sleep(Duration::from_millis(200));
    };
    let (status, answer) = kms(&server, creds, "Decrypt", &serde_json::json!({ "CiphertextBlob": blob }));
    assert_eq!(status, 200, "{answer}");
    assert_eq!(unb64(answer["Plaintext"].as_str().unwrap()), b"served from the token");
}
