//! The command line and the server give the same answers through the operation table: the
//! same request, once as `coffer` arguments and once as an AWS JSON body, runs on one façade
//! and answers with the same members and values (the command line prints dates in ISO 8601,
//! the server as seconds since the epoch) and the same errors.

use clap::Parser as _;
use coffer_core::hsm::Hsm as _;
use coffer_core::{Kms, KmsConfig};
use coffer_host_rng::HostRng;
use coffer_hsm_soft::SoftHsm;
use serde_json::Value;

use crate::api::{ApiError, Failure, Request};
use crate::audit::EventLog;
use crate::backend::CliSoftHsm;
use crate::cli::Cli;
use crate::commands::{self, CliKms};
use crate::output::{Format, render};
use crate::store::DirStore;
use crate::time::CliClock;

/// The answer's date members, which the command line prints as ISO 8601.
const DATES: [&str; 5] = ["CreationDate", "DeletionDate", "NextRotationDate", "RotationDate", "LastUpdatedDate"];

/// `value` with its dates as the server writes them.
fn epoch_dates(value: Value) -> Value {
    match value {
        Value::Object(members) => Value::Object(
            members
                .into_iter()
                .map(|(name, v)| match (&v, DATES.contains(&name.as_str())) {
                    (Value::String(s), true) => {
                        let t = crate::time::parse(s).unwrap_or_else(|| panic!("{name}: {s} is not a date"));
                        (name, Value::from(t))
                    }
                    _ => (name, epoch_dates(v)),
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(epoch_dates).collect()),
        other => other,
    }
}

/// What the command line answers to `args`: its JSON output, or its error's name.
fn cli(kms: &mut CliKms<'_, &mut CliSoftHsm>, args: &[&str]) -> Result<Value, &'static str> {
    let cli = Cli::try_parse_from(std::iter::once("coffer").chain(args.iter().copied())).unwrap();
    match commands::run(kms, &cli.command) {
        Ok(doc) => {
            let text = render(&doc, Format::Json, None).unwrap();
            Ok(if text.is_empty() {
                Value::Object(serde_json::Map::new())
            } else {
                serde_json::from_str(&text).unwrap()
            })
        }
        Err(Failure::Request(e)) => Err(e.class.name()),
        Err(Failure::Kms(e)) => Err(crate::error::Class::of_kind(e.kind()).name()),
    }
}

/// What the server answers to `body`: its JSON answer, or its error's name.
fn server(kms: &mut CliKms<'_, &mut CliSoftHsm>, op: &str, body: &str) -> Result<Value, &'static str> {
    let request = Request::decode(op, body.as_bytes()).map_err(|e| e.code)?;
    match request.run_json(kms) {
        Ok(json) => Ok(serde_json::from_str(&json).unwrap()),
        Err(Failure::Request(e)) => Err(ApiError::from(e).code),
        Err(Failure::Kms(e)) => Err(crate::error::Class::of_kind(e.kind()).name()),
    }
}

fn same(kms: &mut CliKms<'_, &mut CliSoftHsm>, args: &[&str], op: &str, body: &str) -> Result<Value, &'static str> {
    let from_cli = cli(kms, args).map(epoch_dates);
    let from_server = server(kms, op, body);
    assert_eq!(from_cli, from_server, "{args:?} / {op} {body}");
    from_server
}

#[test]
fn the_command_line_and_the_server_answer_alike() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = DirStore::open(dir.path()).unwrap();
    let mut hsm: CliSoftHsm = SoftHsm::new(HostRng::new());
    hsm.create_root_keys().unwrap();
    let mut log = EventLog::default();
    let clock = CliClock::from_env().unwrap();
    let mut kms = Kms::new(&mut hsm, &mut store, clock, &mut log, KmsConfig::default()).unwrap();

    let created = cli(&mut kms, &["create-key", "--description", "payments"]).unwrap();
    let id = created["KeyMetadata"]["KeyId"].as_str().unwrap().to_owned();
    let described =
        same(&mut kms, &["describe-key", "--key-id", &id], "DescribeKey", &format!(r#"{{"KeyId":"{id}"}}"#)).unwrap();
    assert_eq!(described["KeyMetadata"]["Description"], "payments");
    assert!(described["KeyMetadata"]["CreationDate"].is_u64());
    same(&mut kms, &["list-keys"], "ListKeys", "{}").unwrap();
    same(&mut kms, &["list-keys", "--limit", "1"], "ListKeys", r#"{"Limit":1}"#).unwrap();
    server(&mut kms, "CreateAlias", &format!(r#"{{"AliasName":"alias/pay","TargetKeyId":"{id}"}}"#)).unwrap();
    let aliases = same(&mut kms, &["list-aliases"], "ListAliases", "{}").unwrap();
    assert_eq!(aliases["Aliases"][0]["AliasName"], "alias/pay");
    cli(&mut kms, &["enable-key-rotation", "--key-id", &id, "--rotation-period-in-days", "90"]).unwrap();
    let status = same(
        &mut kms,
        &["get-key-rotation-status", "--key-id", "alias/pay"],
        "GetKeyRotationStatus",
        r#"{"KeyId":"alias/pay"}"#,
    )
    .unwrap();
    assert_eq!(status["RotationPeriodInDays"], 90);
    same(&mut kms, &["list-key-rotations", "--key-id", &id], "ListKeyRotations", &format!(r#"{{"KeyId":"{id}"}}"#))
        .unwrap();

    // A blob made by the server decrypts alike through both (the same plaintext, key, algorithm).
    let encrypted = server(
        &mut kms,
        "Encrypt",
        r#"{"KeyId":"alias/pay","Plaintext":"aGVsbG8=","EncryptionContext":{"tenant":"acme"}}"#,
    )
    .unwrap();
    let blob = encrypted["CiphertextBlob"].as_str().unwrap().to_owned();
    let decrypted = same(
        &mut kms,
        &["decrypt", "--ciphertext-blob", &blob, "--encryption-context", "tenant=acme"],
        "Decrypt",
        &format!(r#"{{"CiphertextBlob":"{blob}","EncryptionContext":{{"tenant":"acme"}}}}"#),
    )
    .unwrap();
    assert_eq!(decrypted["Plaintext"], "aGVsbG8=");

    // The same refusals: the model's constraints, the façade's errors, an opaque decrypt failure.
    for (args, op, body, code) in [
        (vec!["describe-key", "--key-id", ""], "DescribeKey", r#"{"KeyId":""}"#.to_owned(), "ValidationException"),
        (
            vec!["generate-random", "--number-of-bytes", "1025"],
            "GenerateRandom",
            r#"{"NumberOfBytes":1025}"#.to_owned(),
            "ValidationException",
        ),
        (
            vec!["generate-data-key", "--key-id", "alias/pay", "--key-spec", "AES_512"],
            "GenerateDataKey",
            r#"{"KeyId":"alias/pay","KeySpec":"AES_512"}"#.to_owned(),
            "ValidationException",
        ),
        (vec!["list-keys", "--limit", "0"], "ListKeys", r#"{"Limit":0}"#.to_owned(), "ValidationException"),
        (
            vec!["encrypt", "--key-id", "alias/none", "--plaintext", "aGk="],
            "Encrypt",
            r#"{"KeyId":"alias/none","Plaintext":"aGk="}"#.to_owned(),
            "NotFoundException",
        ),
        (
            vec!["encrypt", "--key-id", "alias/pay", "--plaintext", &"QUFB".repeat(1366)],
            "Encrypt",
            format!(r#"{{"KeyId":"alias/pay","Plaintext":"{}"}}"#, "QUFB".repeat(1366)),
            "ValidationException",
        ),
        (
            vec!["decrypt", "--ciphertext-blob", &blob],
            "Decrypt",
            format!(r#"{{"CiphertextBlob":"{blob}"}}"#),
            "InvalidCiphertextException",
        ),
    ] {
        assert_eq!(same(&mut kms, &args, op, &body), Err(code), "{args:?}");
    }
    // Members the command line has no option for, refused by the server as they would change the
    // request's meaning.
    for (op, body) in [
        ("CreateKey", r#"{"KeySpec":"RSA_2048"}"#),
        ("CreateKey", r#"{"Policy":"{}"}"#),
        ("Encrypt", r#"{"KeyId":"alias/pay","Plaintext":"aGk=","DryRun":true}"#),
        ("GenerateRandom", r#"{"NumberOfBytes":8,"Recipient":{"AttestationDocument":"AA=="}}"#),
    ] {
        assert_eq!(server(&mut kms, op, body), Err("UnsupportedOperationException"), "{op} {body}");
    }
    assert_eq!(
        server(&mut kms, "Encrypt", r#"{"KeyId":"alias/pay","Plaintext":"aGk=","DryRun":false}"#).map(|_| ()),
        Ok(())
    );
}
