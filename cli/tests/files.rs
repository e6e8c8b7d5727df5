//! `encrypt-file` and `decrypt-file`: the AWS Encryption SDK message format over the store's
//! keys, output renamed into place only on success, bounded memory on a large file.

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

use std::io::{Read as _, Write as _};
use std::path::Path;
use std::time::{Duration, Instant};

use common::{Store, key_arn};

fn path(p: &Path) -> String {
    p.display().to_string()
}

/// Files in `dir` other than `keep`.
fn leftovers(dir: &Path, keep: &[&str]) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !keep.contains(&n.as_str()))
        .collect()
}

#[test]
fn round_trip_with_several_keys_any_of_which_decrypts() {
    let store = Store::new();
    let a = store.create_key("a");
    let b = store.create_key("b");
    store.quiet(&["create-alias", "--alias-name", "alias/b", "--target-key-id", &b]);
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("report.pdf");
    let data: Vec<u8> = (0..100_000u32).map(|i| u8::try_from(i * 7 % 251).unwrap()).collect();
    std::fs::write(&input, &data).unwrap();
    let enc = dir.path().join("report.pdf.encrypted");

    let run = store.run(&[
        "encrypt-file",
        "--key-id",
        &a,
        "--key-id",
        "alias/b",
        "--input-file",
        &path(&input),
        "--output-file",
        &path(&enc),
        "--encryption-context",
        "department=finance",
        "--frame-length",
        "1000",
    ]);
    assert_eq!(run.stderr, "", "no progress bar when stderr is not a terminal");
    let out = run.json();
    assert_eq!(out["PlaintextBytes"], 100_000);
    assert_eq!(out["CiphertextBytes"], std::fs::metadata(&enc).unwrap().len());
    assert_eq!(out["KeyIds"], serde_json::json!([key_arn(&a), key_arn(&b)]));
    assert_eq!(out["AlgorithmSuite"], "AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384");
    assert_eq!(out["FrameLength"], 1000);
    let message = std::fs::read(&enc).unwrap();
    assert_eq!(&message[..3], &[0x02, 0x05, 0x78], "format version 2, suite 05 78");

    // Either key alone decrypts; without --key-id any key of the store may.
    for (n, keys) in [vec![], vec![a.clone()], vec!["alias/b".to_owned()]].iter().enumerate() {
        let output = dir.path().join(format!("out{n}"));
        let (enc_path, out_path) = (path(&enc), path(&output));
        let mut args = vec!["decrypt-file", "--input-file", &enc_path, "--output-file", &out_path];
        for k in keys {
            args.extend(["--key-id", k.as_str()]);
        }
        let got = store.ok(&args);
        assert_eq!(got["PlaintextBytes"], 100_000);
        assert_eq!(got["CiphertextBytes"], u64::try_from(message.len()).unwrap());
        let expected_key = if n == 2 { key_arn(&b) } else { key_arn(&a) };
        assert_eq!(got["KeyId"], expected_key);
        assert_eq!(std::fs::read(&output).unwrap(), data);
    }
    // The context must hold the pairs asked for.
    let output = dir.path().join("ctx");
    store.ok(&[
        "decrypt-file",
        "--input-file",
        &path(&enc),
        "--output-file",
        &path(&output),
        "--encryption-context",
        "department=finance",
    ]);
    let output = dir.path().join("wrong-ctx");
    store
        .run(&[
            "decrypt-file",
            "--input-file",
            &path(&enc),
            "--output-file",
            &path(&output),
            "--encryption-context",
            "department=sales",
        ])
        .failed("InvalidCiphertextException", 9);
    assert!(!output.exists());

    // A key that wrapped no EDK of the message cannot decrypt it.
    let c = store.create_key("c");
    store
        .run(&["decrypt-file", "--key-id", &c, "--input-file", &path(&enc), "--output-file", &path(&output)])
        .failed("InvalidCiphertextException", 9);
    assert!(!output.exists());

    // The unsigned suite, an empty file.
    let empty = dir.path().join("empty");
    std::fs::write(&empty, b"").unwrap();
    let enc0 = dir.path().join("empty.enc");
    let out = store.ok(&[
        "encrypt-file",
        "--key-id",
        &a,
        "--input-file",
        &path(&empty),
        "--output-file",
        &path(&enc0),
        "--algorithm-suite",
        "AES_256_GCM_HKDF_SHA512_COMMIT_KEY",
    ]);
    assert_eq!(out["AlgorithmSuite"], "AES_256_GCM_HKDF_SHA512_COMMIT_KEY");
    assert_eq!(&std::fs::read(&enc0).unwrap()[..3], &[0x02, 0x04, 0x78]);
    let back = dir.path().join("empty.out");
    assert_eq!(
        store.ok(&["decrypt-file", "--input-file", &path(&enc0), "--output-file", &path(&back)])["PlaintextBytes"],
        0
    );
    assert_eq!(std::fs::read(&back).unwrap(), b"");
}

/// Encrypts `data` with `args` added, decrypts it back with `decrypt-file`, and checks both.
fn round_trip(store: &Store, dir: &Path, name: &str, data: &[u8], args: &[&str]) {
    let input = dir.join(name);
    std::fs::write(&input, data).unwrap();
    let enc = dir.join(format!("{name}.enc"));
    let back = dir.join(format!("{name}.out"));
    let mut encrypt = vec!["encrypt-file", "--input-file", input.to_str().unwrap()];
    encrypt.extend(["--output-file", enc.to_str().unwrap()]);
    encrypt.extend(args);
    let run = store.run(&encrypt);
    assert_eq!(run.code, 0, "{name}: {}", run.stderr);
    let out = store.ok(&["decrypt-file", "--input-file", &path(&enc), "--output-file", &path(&back)]);
    assert_eq!(out["PlaintextBytes"], u64::try_from(data.len()).unwrap(), "{name}");
    assert!(std::fs::read(&back).unwrap() == data, "{name}: another plaintext came back");
}

/// Every frame length from 1 to 1 MiB, whatever the header: the workspace is sized from the
/// header the keys and context make, not from the frame alone (the header of one key and no
/// context is 220 bytes for `04 78`, 315 for `05 78`, so frames shorter than that once failed).
#[test]
fn any_frame_length_and_any_header_round_trip() {
    let store = Store::new();
    let keys: Vec<String> = (0..10).map(|i| store.create_key(&format!("k{i}"))).collect();
    let dir = tempfile::tempdir().unwrap();
    let data: Vec<u8> = (0..1000u32).map(|i| u8::try_from(i * 7 % 251).unwrap()).collect();
    let suites = ["AES_256_GCM_HKDF_SHA512_COMMIT_KEY", "AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384"];
    for suite in suites {
        for frame in ["1", "2", "219", "220", "221", "314", "315", "316", "4096", "1048576"] {
            let name = format!("{suite}-{frame}");
            let args = ["--key-id", &keys[0], "--algorithm-suite", suite, "--frame-length", frame];
            round_trip(&store, dir.path(), &name, &data, &args);
        }
        // Every key the default limit allows (10 EDKs), at the default frame and at 1 byte.
        for frame in ["4096", "1"] {
            let mut args = vec!["--algorithm-suite", suite, "--frame-length", frame];
            for key in &keys {
                args.extend(["--key-id", key.as_str()]);
            }
            round_trip(&store, dir.path(), &format!("{suite}-10-keys-{frame}"), &data, &args);
        }
        // 5 keys and a 15-pair 3.8 KiB context at the default frame length.
        let context: Vec<String> = (0..15).map(|i| format!("key{i:02}={}", "v".repeat(250))).collect();
        let context = context.join(",");
        let mut args = vec!["--algorithm-suite", suite, "--encryption-context", &context];
        for key in &keys[..5] {
            args.extend(["--key-id", key.as_str()]);
        }
        round_trip(&store, dir.path(), &format!("{suite}-context-5-keys"), &data, &args);
    }
}

#[test]
fn failures_leave_no_output_and_existing_files_need_force() {
    let store = Store::new();
    let a = store.create_key("a");
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in");
    std::fs::write(&input, vec![0x5a; 50_000]).unwrap();
    let enc = dir.path().join("enc");
    store.ok(&["encrypt-file", "--key-id", &a, "--input-file", &path(&input), "--output-file", &path(&enc)]);
    let message = std::fs::read(&enc).unwrap();

    // Never overwritten without --force (and the existing file is untouched).
    std::fs::write(dir.path().join("taken"), b"keep me").unwrap();
    let taken = dir.path().join("taken");
    store
        .run(&["encrypt-file", "--key-id", &a, "--input-file", &path(&input), "--output-file", &path(&taken)])
        .failed("OutputFileExistsException", 18);
    store
        .run(&["decrypt-file", "--input-file", &path(&enc), "--output-file", &path(&taken)])
        .failed("OutputFileExistsException", 18);
    assert_eq!(std::fs::read(&taken).unwrap(), b"keep me");
    store.ok(&["decrypt-file", "--input-file", &path(&enc), "--output-file", &path(&taken), "--force"]);
    assert_eq!(std::fs::read(&taken).unwrap(), vec![0x5a; 50_000]);

    // Tampered (a byte of the last frame), truncated, or with bytes after its end: refused, and
    // no plaintext is left behind, not even of the frames that verified.
    let mut tampered = message.clone();
    let at = tampered.len() - 200;
    tampered[at] ^= 1;
    let truncated = message[..message.len() - 50].to_vec();
    let mut trailing = message.clone();
    trailing.push(0);
    for (name, bytes) in [("tampered", tampered), ("truncated", truncated), ("trailing", trailing)] {
        let bad = dir.path().join(name);
        std::fs::write(&bad, bytes).unwrap();
        let out = dir.path().join(format!("{name}.out"));
        store
            .run(&["decrypt-file", "--input-file", &path(&bad), "--output-file", &path(&out)])
            .failed("InvalidCiphertextException", 9);
        assert!(!out.exists(), "{name}");
    }
    let listed = leftovers(dir.path(), &["in", "enc", "taken", "tampered", "truncated", "trailing"]);
    assert!(listed.is_empty(), "left behind: {listed:?}");

    // The key's state is reported as Decrypt reports it.
    store.quiet(&["disable-key", "--key-id", &a]);
    let out = dir.path().join("disabled.out");
    store
        .run(&["decrypt-file", "--input-file", &path(&enc), "--output-file", &path(&out)])
        .failed("DisabledException", 7);
    store
        .run(&["encrypt-file", "--key-id", &a, "--input-file", &path(&input), "--output-file", &path(&out)])
        .failed("DisabledException", 7);
    assert!(!out.exists());
    store
        .run(&[
            "encrypt-file",
            "--key-id",
            "00000000-0000-4000-8000-000000000000",
            "--input-file",
            &path(&input),
            "--output-file",
            &path(&out),
        ])
        .failed("NotFoundException", 4);

    // Malformed requests.
    store.quiet(&["enable-key", "--key-id", &a]);
    let (miss, inp, outp) = (path(&dir.path().join("missing")), path(&input), path(&out));
    for (args, name, code) in [
        (vec!["--input-file", &miss], "ValidationException", 3),
        (vec!["--input-file", &inp, "--frame-length", "0"], "ValidationException", 3),
        (vec!["--input-file", &inp, "--frame-length", "1048577"], "ValidationException", 3),
        (vec!["--input-file", &inp, "--algorithm-suite", "AES_128_GCM_IV12_TAG16"], "ValidationException", 3),
        (vec!["--input-file", &inp, "--encryption-context", "aws-crypto-x=1"], "ValidationException", 3),
    ] {
        let mut full = vec!["encrypt-file", "--key-id", &a, "--output-file", &outp];
        full.extend(args);
        store.run(&full).failed(name, code);
        assert!(!out.exists());
    }
    assert_eq!(store.run(&["encrypt-file", "--input-file", "x", "--output-file", "y"]).code, 2, "--key-id is required");
    let listed = leftovers(dir.path(), &["in", "enc", "taken", "tampered", "truncated", "trailing"]);
    assert!(listed.is_empty(), "left behind: {listed:?}");
}

/// Peak resident memory of a running child, sampled from /proc until it exits.
fn run_measured(mut cmd: std::process::Command) -> (std::process::Output, u64, Duration) {
    let started = Instant::now();
    let mut child = cmd.stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped()).spawn().unwrap();
    let status_path = format!("/proc/{}/status", child.id());
    let mut peak_kib = 0u64;
    while child.try_wait().unwrap().is_none() {
        let status = std::fs::read_to_string(&status_path).unwrap_or_default();
        if let Some(line) = status.lines().find(|l| l.starts_with("VmHWM:")) {
            let kib: u64 = line.split_whitespace().nth(1).and_then(|v| v.parse().ok()).unwrap_or(0);
            peak_kib = peak_kib.max(kib);
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let output = child.wait_with_output().unwrap();
    (output, peak_kib, started.elapsed())
}

/// 64 MiB by default: twice the resident-memory bound asserted below, so a program that held the
/// file would fail it, while the three files (input, message, output) stay small enough for a
/// CI machine with little free disk.
#[test]
fn a_large_file_streams_through_in_bounded_memory() {
    let mib: u64 = std::env::var("COFFER_BIG_FILE_MIB").ok().and_then(|v| v.parse().ok()).unwrap_or(64);
    let store = Store::new();
    let key = store.create_key("big");
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("big.bin");
    {
        let mut f = std::io::BufWriter::new(std::fs::File::create(&input).unwrap());
        let mut chunk = vec![0u8; 1 << 20];
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..mib {
            for b in chunk.iter_mut() {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                *b = x.to_le_bytes()[3];
            }
            f.write_all(&chunk).unwrap();
        }
    }
    let enc = dir.path().join("big.enc");
    let out = dir.path().join("big.out");
    let (run, enc_peak, enc_time) = run_measured(store.command(&[
        "encrypt-file",
        "--key-id",
        &key,
        "--input-file",
        &path(&input),
        "--output-file",
        &path(&enc),
        "--frame-length",
        "65536",
    ]));
    assert!(run.status.success(), "{run:?}");
    let (run, dec_peak, dec_time) =
        run_measured(store.command(&["decrypt-file", "--input-file", &path(&enc), "--output-file", &path(&out)]));
    assert!(run.status.success(), "{run:?}");
    std::fs::remove_file(&enc).unwrap();
    eprintln!(
        "{mib} MiB: encrypt-file {enc_time:?}, peak RSS {enc_peak} KiB; decrypt-file {dec_time:?}, peak RSS {dec_peak} KiB"
    );
    assert!(enc_peak > 0 && dec_peak > 0, "memory was sampled");
    // A few MiB of program and buffers, nothing that grows with the file.
    assert!(enc_peak < 32 * 1024, "encrypt-file peak {enc_peak} KiB");
    assert!(dec_peak < 32 * 1024, "decrypt-file peak {dec_peak} KiB");

    // Same bytes back, compared in chunks.
    let (mut x, mut y) = (std::fs::File::open(&input).unwrap(), std::fs::File::open(&out).unwrap());
    let (mut bx, mut by) = (vec![0u8; 1 << 20], vec![0u8; 1 << 20]);
    let mut total = 0u64;
    loop {
        let n = x.read(&mut bx).unwrap();
        y.read_exact(&mut by[..n]).unwrap();
        assert_eq!(bx[..n], by[..n], "differs near byte {total}");
        total += n as u64;
        if n == 0 {
            break;
        }
    }
    assert_eq!(y.read(&mut by).unwrap(), 0);
    assert_eq!(total, mib << 20);
}

/// On a terminal (a pseudo-terminal made by `script`), a progress bar is drawn on stderr.
/// Skipped where util-linux's `script` is missing.
#[test]
fn progress_bar_only_on_a_terminal() {
    if std::process::Command::new("script").arg("--version").output().is_err() {
        eprintln!("no `script` here: skipped");
        return;
    }
    let store = Store::new();
    let key = store.create_key("tty");
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in");
    std::fs::write(&input, vec![1u8; 8 << 20]).unwrap();
    let enc = dir.path().join("enc");
    let line = format!(
        "{} encrypt-file --key-id {key} --input-file {} --output-file {}",
        common::BIN,
        path(&input),
        path(&enc)
    );
    let mut cmd = std::process::Command::new("script");
    cmd.args(["-qfec", &line, "/dev/null"]).env("COFFER_HOME", store.path()).stdin(std::process::Stdio::null());
    for (k, v) in &store.env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let screen = String::from_utf8_lossy(&out.stdout);
    assert!(screen.contains("encrypting ["), "no bar drawn: {screen}");
    assert!(screen.contains("\"PlaintextBytes\": 8388608"), "{screen}");
}
