//! `--query`: JMESPath over the answer, printed as the AWS CLI prints it.
//!
//! The queries are the AWS CLI documentation's (its user guide's "Filtering output" page and
//! the KMS command examples). Each is checked two ways: against the answer it must give, and,
//! where the AWS CLI (v1) is installed (`COFFER_AWS_PYTHON`, else `target/aws-venv`, as for
//! tests/serve.rs), against what the AWS CLI's own JMESPath and formatters print for the same
//! JSON answer. Without it those comparisons say so and pass, except under CI.

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

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::{Store, key_arn};
use serde_json::Value;

/// The AWS CLI's python, or None (and a note) when it is not installed outside CI.
fn aws_python() -> Option<PathBuf> {
    let path = std::env::var_os("COFFER_AWS_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/aws-venv/bin/python"));
    if path.exists() {
        return Some(path);
    }
    assert!(std::env::var_os("CI").is_none(), "no AWS CLI at {}", path.display());
    eprintln!("SKIPPED the AWS CLI comparison: no AWS CLI at {}", path.display());
    None
}

/// What the AWS CLI prints for `answer` with `--query query --output format`: its JMESPath,
/// then its formatter (`awscli/formatter.py`'s JSON rule, `awscli/text.py`).
const AWS_CLI_OUTPUT: &str = r#"
import json, sys
import jmespath
from awscli import text
answer = json.load(sys.stdin)
result = jmespath.search(sys.argv[1], answer)
if sys.argv[2] == "text":
    text.format_text(result, sys.stdout)
elif result != {}:
    json.dump(result, sys.stdout, indent=4, ensure_ascii=False)
    sys.stdout.write("\n")
"#;

fn aws_cli_output(python: &Path, answer: &str, query: &str, format: &str) -> String {
    let mut child = Command::new(python)
        .args(["-c", AWS_CLI_OUTPUT, query, format])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(answer.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{query}");
    String::from_utf8(out.stdout).unwrap()
}

/// Runs `args` with `--query query --output format`, checks it against `expected` (when
/// given) and against the AWS CLI's rendering of the plain answer; returns the output.
fn query(store: &Store, args: &[&str], q: &str, format: &str, expected: Option<&str>) -> String {
    let mut full = args.to_vec();
    full.extend(["--query", q, "--output", format]);
    let run = store.run(&full);
    assert_eq!(run.code, 0, "{q}: {run:?}");
    if let Some(expected) = expected {
        assert_eq!(run.stdout, expected, "{q} ({format})");
    }
    if let Some(python) = aws_python() {
        let answer = store.run(args);
        assert_eq!(answer.code, 0, "{answer:?}");
        let aws = aws_cli_output(&python, &answer.stdout, q, format);
        if format == "json" && !aws.is_empty() {
            // The same value; a query's new objects may list their fields in another order.
            let ours: Value = serde_json::from_str(&run.stdout).unwrap();
            let theirs: Value = serde_json::from_str(&aws).unwrap();
            assert_eq!(ours, theirs, "{q} (json)");
        } else {
            assert_eq!(run.stdout, aws, "{q} ({format}): coffer beside the AWS CLI");
        }
    }
    run.stdout
}

#[test]
fn the_aws_cli_documentation_queries() {
    let store = Store::new();
    let a = store.create_key("first");
    let b = store.create_key("second");
    store.quiet(&["create-alias", "--alias-name", "alias/ExampleAlias", "--target-key-id", &a]);
    store.quiet(&["create-alias", "--alias-name", "alias/other", "--target-key-id", &b]);
    let listed = store.ok(&["list-keys"]);
    let first_arn = listed["Keys"][0]["KeyArn"].as_str().unwrap().to_owned();
    let ids: Vec<&str> = listed["Keys"].as_array().unwrap().iter().map(|k| k["KeyId"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 2);

    // The issue's query: an index and a field.
    query(&store, &["list-keys"], "Keys[0].KeyArn", "text", Some(&format!("{first_arn}\n")));
    query(&store, &["list-keys"], "Keys[0].KeyArn", "json", Some(&format!("\"{first_arn}\"\n")));
    query(&store, &["list-keys"], "Keys[-1].KeyId", "text", Some(&format!("{}\n", ids[1])));
    // Projections: a list of scalars is one tab-separated line in text.
    query(&store, &["list-keys"], "Keys[*].KeyId", "text", Some(&format!("{}\t{}\n", ids[0], ids[1])));
    query(
        &store,
        &["list-keys"],
        "Keys[*].KeyId",
        "json",
        Some(&format!("[\n    \"{}\",\n    \"{}\"\n]\n", ids[0], ids[1])),
    );
    query(&store, &["list-keys"], "Keys[].KeyId", "text", None);
    query(&store, &["list-keys"], "Keys[:1].KeyArn", "text", Some(&format!("{first_arn}\n")));
    query(&store, &["list-keys"], "Keys[*].KeyId | [0]", "text", Some(&format!("{}\n", ids[0])));
    // Functions.
    query(&store, &["list-keys"], "length(Keys)", "text", Some("2\n"));
    query(&store, &["list-aliases"], "length(Aliases)", "json", None);
    // Filters, with the AWS documentation's literal and raw-string forms.
    let target = format!("{a}\n");
    query(&store, &["list-aliases"], "Aliases[?AliasName==`alias/ExampleAlias`].TargetKeyId", "text", Some(&target));
    query(
        &store,
        &["list-aliases"],
        "Aliases[?AliasName=='alias/ExampleAlias'].TargetKeyId | [0]",
        "text",
        Some(&target),
    );
    query(&store, &["list-aliases"], "Aliases[?starts_with(AliasName, 'alias/Ex')].AliasName", "text", None);
    query(&store, &["list-aliases"], "Aliases[?TargetKeyId=='nope']", "text", Some(""));
    // Several values: multi-select lists and hashes.
    query(&store, &["list-aliases"], "Aliases[*].[AliasName, TargetKeyId]", "text", None);
    query(&store, &["list-keys"], "Keys[*].{ID:KeyId, ARN:KeyArn}", "text", None);
    query(&store, &["list-keys"], "Keys[*].{ID:KeyId, ARN:KeyArn}", "json", None);
    query(&store, &["list-aliases"], "sort_by(Aliases, &AliasName)[*].AliasName", "json", None);
    // Objects and whole answers print as without --query.
    query(&store, &["describe-key", "--key-id", &a], "KeyMetadata", "text", None);
    query(&store, &["describe-key", "--key-id", &a], "KeyMetadata.KeyId", "text", Some(&format!("{a}\n")));
    query(&store, &["describe-key", "--key-id", &a], "KeyMetadata.EncryptionAlgorithms", "text", None);
    query(&store, &["list-aliases"], "@", "text", None);
    query(&store, &["list-aliases"], "Aliases[0]", "json", None);
    query(&store, &["list-keys"], "Nope", "text", Some("None\n"));
    query(&store, &["list-keys"], "Nope", "json", Some("null\n"));

    // The text layouts without --query: describe-key's algorithm list on its own line, as
    // the AWS CLI prints it.
    let text = store.run(&["describe-key", "--key-id", &a, "--output", "text"]);
    assert!(text.stdout.contains("\nENCRYPTIONALGORITHMS\tSYMMETRIC_DEFAULT\n"), "{}", text.stdout);
    if let Some(python) = aws_python() {
        for args in [&["describe-key", "--key-id", a.as_str()][..], &["list-aliases"], &["list-keys"]] {
            let answer = store.run(args);
            let mut with_text = args.to_vec();
            with_text.extend(["--output", "text"]);
            assert_eq!(store.run(&with_text).stdout, aws_cli_output(&python, &answer.stdout, "@", "text"), "{args:?}");
        }
    }
}

#[test]
fn the_documented_pipelines_give_bare_values() {
    let store = Store::new();
    // aws kms create-key --query KeyMetadata.KeyId --output text
    let run = store.run(&["create-key", "--query", "KeyMetadata.KeyId", "--output", "text"]);
    assert_eq!(run.code, 0, "{run:?}");
    let key = run.stdout.trim_end();
    assert_eq!(key.len(), 36, "{run:?}");
    assert_eq!(store.ok(&["describe-key", "--key-id", key])["KeyMetadata"]["KeyId"], key);
    // aws kms encrypt ... --query CiphertextBlob --output text; aws kms decrypt ... --query Plaintext
    let plaintext = common::b64(b"the data");
    let run = store.run(&[
        "encrypt",
        "--key-id",
        key,
        "--plaintext",
        &plaintext,
        "--query",
        "CiphertextBlob",
        "--output",
        "text",
    ]);
    assert_eq!(run.code, 0, "{run:?}");
    let blob = run.stdout.trim_end().to_owned();
    let run = store.run(&["decrypt", "--ciphertext-blob", &blob, "--query", "Plaintext", "--output", "text"]);
    assert_eq!(run.stdout, format!("{plaintext}\n"));
    let run = store.run(&["decrypt", "--ciphertext-blob", &blob, "--query", "[KeyId, Plaintext]", "--output", "text"]);
    assert_eq!(run.stdout, format!("{}\t{plaintext}\n", key_arn(key)));
    // A function or a comparison over an answer holding a secret is refused, after the
    // command ran (the secret never enters the JMESPath engine).
    let run = store.run(&["decrypt", "--ciphertext-blob", &blob, "--query", "length(Plaintext)"]);
    let err = run.failed("ValidationException", 3);
    assert!(err.contains("holds a secret value"), "{err}");
    assert!(!err.contains(&plaintext), "{err}");
}

#[test]
fn a_malformed_query_is_a_usage_error_and_the_command_does_not_run() {
    let store = Store::new();
    for (q, says) in [
        ("KeyMetadata.[", "not a JMESPath expression"),
        ("Keys[0", "not a JMESPath expression"),
        ("nope(Keys)", "unknown function: nope()"),
        ("Keys[::0]", "a slice step cannot be 0"),
    ] {
        let run = store.run(&["create-key", "--query", q]);
        assert_eq!(run.code, 2, "{q}: {run:?}");
        assert!(run.stderr.contains("--query") && run.stderr.contains(says), "{q}: {}", run.stderr);
        assert_eq!(run.stdout, "");
    }
    let deep = "(".repeat(10_000) + "a";
    let run = store.run(&["list-keys", "--query", &deep]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("at most 4096 bytes"), "{}", run.stderr);
    let deep = "[?".repeat(300) + "a";
    let run = store.run(&["list-keys", "--query", &deep]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("at most 512 operators and brackets"), "{}", run.stderr);
    // None of those create-key commands ran.
    assert_eq!(store.ok(&["list-keys"])["Keys"].as_array().unwrap().len(), 0);
    // A query that fails on the answer (a function given the wrong type): ValidationException.
    let run = store.run(&["list-keys", "--query", "abs(Keys)"]);
    let err = run.failed("ValidationException", 3);
    assert!(err.contains("--query: "), "{err}");
}

#[test]
fn a_query_at_the_nesting_bound_runs() {
    let store = Store::new();
    store.create_key("k");
    // 512 operators deep: parsed and searched on the main thread's stack without overflowing.
    for (open, close, per_level) in [("(", ")", 2), ("!", "", 1), ("[", "]", 2), ("[?", "]", 3)] {
        let levels = 512 / per_level;
        let q = format!("{}Keys{}", open.repeat(levels), close.repeat(levels));
        let run = store.run(&["list-keys", "--query", &q]);
        assert!(run.code == 0 || run.code == 2, "{open}: {run:?}");
    }
}

/// The report's pipeline: a key ARN from list-keys fed to encrypt-file. Before, the query
/// printed `None`, and encrypt-file then failed without saying which key it could not use.
#[test]
fn a_key_arn_from_list_keys_feeds_encrypt_file_and_a_bad_key_id_is_named() {
    let store = Store::new();
    store.create_key("k");
    let arn = query(&store, &["list-keys"], "Keys[0].KeyArn", "text", None);
    let arn = arn.trim_end();
    assert!(arn.starts_with("arn:aws:kms:"), "{arn}");
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in");
    std::fs::write(&input, b"data").unwrap();
    let (input, output) = (input.display().to_string(), dir.path().join("out").display().to_string());
    let encrypt = |key: &str| {
        store.run(&["encrypt-file", "--key-id", key, "--input-file", &input, "--output-file", &output, "--force"])
    };
    assert_eq!(encrypt(arn).code, 0);

    for (bad, error, code) in [
        ("None", "ValidationException", 3),
        ("alias/missing", "NotFoundException", 4),
        ("1234abcd-12ab-34cd-56ef-1234567890ab", "NotFoundException", 4),
    ] {
        let run = encrypt(bad);
        let err = run.failed(error, code);
        assert!(err.contains(&format!("KeyId \"{bad}\"")), "{err}");
    }
    // With several keys, the one that failed is named.
    let run = store.run(&[
        "encrypt-file",
        "--key-id",
        arn,
        "--key-id",
        "None",
        "--input-file",
        &input,
        "--output-file",
        &output,
        "--force",
    ]);
    let err = run.failed("ValidationException", 3);
    assert!(err.contains("KeyId \"None\"") && !err.contains(arn), "{err}");
}
