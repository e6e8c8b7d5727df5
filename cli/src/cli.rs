//! The command line (clap): `coffer [--store DIR] [--output json|text] [--query JMESPATH] COMMAND`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::output::{Format, Query};

/// AWS KMS-like key management over a local key store.
#[derive(Debug, Parser)]
#[command(name = "coffer", version, about, long_about = None)]
pub(crate) struct Cli {
    /// The key store directory [default: $COFFER_HOME, else $XDG_DATA_HOME/coffer, else
    /// ~/.local/share/coffer].
    #[arg(long, global = true, value_name = "DIR")]
    pub(crate) store: Option<PathBuf>,
    /// Output format.
    #[arg(long, global = true, value_enum, default_value = "json")]
    pub(crate) output: Format,
    /// Print only what this JMESPath expression selects from the answer, as the AWS CLI's
    /// `--query` does, e.g. `--query Plaintext`, `--query 'Keys[*].KeyId'` or
    /// `--query 'length(Aliases)'`.
    #[arg(long, global = true, value_name = "JMESPATH", value_parser = Query::parse)]
    pub(crate) query: Option<Query>,
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// A key reference: key id, key ARN, alias name or alias ARN.
#[derive(Debug, Args)]
pub(crate) struct KeyIdArg {
    /// Key id, key ARN, alias name (alias/...) or alias ARN.
    #[arg(long)]
    pub(crate) key_id: String,
}

/// A page of a list.
#[derive(Debug, Args)]
pub(crate) struct PageArgs {
    /// Return at most this many entries (1 to 1000) and a NextMarker if there are more;
    /// without it every page is fetched.
    #[arg(long)]
    pub(crate) limit: Option<usize>,
    /// Start after this marker (the NextMarker of the previous page).
    #[arg(long)]
    pub(crate) marker: Option<String>,
}

/// Data key size: one of the two.
#[derive(Debug, Args)]
pub(crate) struct DataKeyArgs {
    /// The KMS key that wraps the data key.
    #[arg(long)]
    pub(crate) key_id: String,
    /// AES_128 or AES_256.
    #[arg(long)]
    pub(crate) key_spec: Option<String>,
    /// Length in bytes, 1 to 1024.
    #[arg(long)]
    pub(crate) number_of_bytes: Option<u16>,
    /// Encryption context: k=v,k2=v2 or a JSON object (or file://path of one).
    #[arg(long)]
    pub(crate) encryption_context: Option<String>,
}

/// `coffer encrypt-file`.
#[derive(Debug, Args)]
pub(crate) struct EncryptFileArgs {
    /// A KMS key to wrap the data key (repeat for several: any one decrypts the file).
    #[arg(long, required = true)]
    pub(crate) key_id: Vec<String>,
    /// The file to encrypt.
    #[arg(long, value_name = "PATH")]
    pub(crate) input_file: PathBuf,
    /// Where to write the message (AWS Encryption SDK format).
    #[arg(long, value_name = "PATH")]
    pub(crate) output_file: PathBuf,
    /// Encryption context: k=v,k2=v2 or a JSON object (or file://path of one).
    #[arg(long)]
    pub(crate) encryption_context: Option<String>,
    /// Replace the output file if it exists.
    #[arg(long)]
    pub(crate) force: bool,
    /// Plaintext bytes per frame (1 to 1048576).
    #[arg(long, default_value_t = 4096)]
    pub(crate) frame_length: u32,
    /// AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384 (default, signed) or
    /// AES_256_GCM_HKDF_SHA512_COMMIT_KEY.
    #[arg(long)]
    pub(crate) algorithm_suite: Option<String>,
}

/// `coffer decrypt-file`.
#[derive(Debug, Args)]
pub(crate) struct DecryptFileArgs {
    /// Only these KMS keys may unwrap the data key [default: any key of this store].
    #[arg(long)]
    pub(crate) key_id: Vec<String>,
    /// The message to decrypt.
    #[arg(long, value_name = "PATH")]
    pub(crate) input_file: PathBuf,
    /// Where to write the plaintext (only once the whole message verified).
    #[arg(long, value_name = "PATH")]
    pub(crate) output_file: PathBuf,
    /// Pairs the message's encryption context must contain.
    #[arg(long)]
    pub(crate) encryption_context: Option<String>,
    /// Replace the output file if it exists.
    #[arg(long)]
    pub(crate) force: bool,
}

/// `coffer init`.
#[derive(Debug, Args)]
pub(crate) struct InitArgs {
    /// Keep the root keys on a PKCS#11 token instead of sealing them under a passphrase.
    #[arg(long)]
    pub(crate) pkcs11: bool,
    /// The PKCS#11 module [default: $COFFER_PKCS11_MODULE, else SoftHSMv2's].
    #[arg(long, requires = "pkcs11", value_name = "PATH")]
    pub(crate) module: Option<PathBuf>,
    /// The token's label [default: $COFFER_PKCS11_TOKEN].
    #[arg(long, requires = "pkcs11", value_name = "LABEL")]
    pub(crate) token: Option<String>,
    /// Prefix of Coffer's object labels on the token.
    #[arg(long, requires = "pkcs11", default_value = coffer_hsm_pkcs11::DEFAULT_LABEL_PREFIX)]
    pub(crate) label_prefix: String,
    /// Use root keys already on the token (made by an earlier init) instead of creating them.
    #[arg(long, requires = "pkcs11")]
    pub(crate) use_existing_root_keys: bool,
    /// Argon2id memory cost in KiB (recorded in the store; ignored with --pkcs11) [default: 65536].
    #[arg(long)]
    pub(crate) kdf_memory_kib: Option<u32>,
    /// Argon2id passes (recorded in the store) [default: 3].
    #[arg(long)]
    pub(crate) kdf_iterations: Option<u32>,
    /// Argon2id lanes (recorded in the store) [default: 1].
    #[arg(long)]
    pub(crate) kdf_parallelism: Option<u32>,
    /// Allow Argon2id parameters below OWASP's minimum (19 MiB, 2 passes): for tests only, a
    /// passphrase under such parameters is cheap to guess from a copy of config.json.
    #[arg(long)]
    pub(crate) insecure_test_kdf: bool,
    /// ARN partition.
    #[arg(long, default_value = "aws")]
    pub(crate) partition: String,
    /// ARN region.
    #[arg(long, default_value = "us-east-1")]
    pub(crate) region: String,
    /// ARN account (12 digits).
    #[arg(long, default_value = "000000000000")]
    pub(crate) account: String,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Create a key store (soft backend with a passphrase, or a PKCS#11 token).
    Init(InitArgs),
    /// CreateKey: a new symmetric ENCRYPT_DECRYPT key.
    CreateKey {
        /// The key's description.
        #[arg(long, default_value = "")]
        description: String,
    },
    /// DescribeKey.
    DescribeKey(KeyIdArg),
    /// ListKeys.
    ListKeys(PageArgs),
    /// EnableKey.
    EnableKey(KeyIdArg),
    /// DisableKey.
    DisableKey(KeyIdArg),
    /// ScheduleKeyDeletion (7 to 30 days, default 30).
    ScheduleKeyDeletion {
        #[command(flatten)]
        key: KeyIdArg,
        /// Waiting period in days.
        #[arg(long)]
        pending_window_in_days: Option<u16>,
    },
    /// CancelKeyDeletion (the key returns Disabled).
    CancelKeyDeletion(KeyIdArg),
    /// UpdateKeyDescription.
    UpdateKeyDescription {
        #[command(flatten)]
        key: KeyIdArg,
        /// The new description.
        #[arg(long)]
        description: String,
    },
    /// CreateAlias.
    CreateAlias {
        /// alias/...
        #[arg(long)]
        alias_name: String,
        /// Key id or key ARN.
        #[arg(long)]
        target_key_id: String,
    },
    /// UpdateAlias: point an alias at another key.
    UpdateAlias {
        /// alias/...
        #[arg(long)]
        alias_name: String,
        /// Key id or key ARN.
        #[arg(long)]
        target_key_id: String,
    },
    /// DeleteAlias.
    DeleteAlias {
        /// alias/...
        #[arg(long)]
        alias_name: String,
    },
    /// ListAliases (all, or those of one key).
    ListAliases {
        /// Only aliases of this key.
        #[arg(long)]
        key_id: Option<String>,
        #[command(flatten)]
        page: PageArgs,
    },
    /// EnableKeyRotation (every 90 to 2560 days, default 365).
    EnableKeyRotation {
        #[command(flatten)]
        key: KeyIdArg,
        /// Rotation period in days.
        #[arg(long)]
        rotation_period_in_days: Option<u16>,
    },
    /// DisableKeyRotation.
    DisableKeyRotation(KeyIdArg),
    /// GetKeyRotationStatus.
    GetKeyRotationStatus(KeyIdArg),
    /// RotateKeyOnDemand: add a key version now.
    RotateKeyOnDemand(KeyIdArg),
    /// ListKeyRotations.
    ListKeyRotations {
        #[command(flatten)]
        key: KeyIdArg,
        #[command(flatten)]
        page: PageArgs,
    },
    /// Retire every version below N (irreversible: their ciphertexts no longer decrypt).
    SetMinimumDecryptionVersion {
        #[command(flatten)]
        key: KeyIdArg,
        /// The oldest version that stays.
        #[arg(long)]
        minimum_decryption_version: u32,
    },
    /// Encrypt up to 4096 bytes.
    Encrypt {
        #[command(flatten)]
        key: KeyIdArg,
        /// fileb://path, or base64.
        #[arg(long)]
        plaintext: String,
        /// k=v,k2=v2 or a JSON object (or file://path of one).
        #[arg(long)]
        encryption_context: Option<String>,
    },
    /// Decrypt a ciphertext blob.
    Decrypt {
        /// fileb://path, or base64.
        #[arg(long)]
        ciphertext_blob: String,
        /// Refuse a blob made under another key (IncorrectKeyException).
        #[arg(long)]
        key_id: Option<String>,
        /// The context given at encryption.
        #[arg(long)]
        encryption_context: Option<String>,
    },
    /// ReEncrypt a blob under another key or context, without showing the plaintext.
    ReEncrypt {
        /// fileb://path, or base64.
        #[arg(long)]
        ciphertext_blob: String,
        /// The source blob's context.
        #[arg(long)]
        source_encryption_context: Option<String>,
        /// Refuse a source blob made under another key.
        #[arg(long)]
        source_key_id: Option<String>,
        /// The key to encrypt under.
        #[arg(long)]
        destination_key_id: String,
        /// The new context.
        #[arg(long)]
        destination_encryption_context: Option<String>,
    },
    /// GenerateDataKey: a data key in plaintext and wrapped.
    GenerateDataKey(DataKeyArgs),
    /// GenerateDataKeyWithoutPlaintext: a wrapped data key only.
    GenerateDataKeyWithoutPlaintext(DataKeyArgs),
    /// GenerateRandom: 1 to 1024 random bytes from the HSM.
    GenerateRandom {
        /// How many bytes.
        #[arg(long)]
        number_of_bytes: u16,
    },
    /// Encrypt a file of any size into the AWS Encryption SDK message format.
    EncryptFile(EncryptFileArgs),
    /// Decrypt an AWS Encryption SDK message into a file, written only once it verified.
    DecryptFile(DecryptFileArgs),
    /// Apply due automatic rotations and key deletions (run it from a timer).
    Maintenance,
    /// Show the audit log (no passphrase or PIN needed).
    Audit {
        /// Only events of this key (key id or key ARN).
        #[arg(long)]
        key_id: Option<String>,
        /// Only events at or after this time (ISO 8601 UTC or seconds since the epoch).
        #[arg(long)]
        start_time: Option<String>,
        /// Only events at or before this time.
        #[arg(long)]
        end_time: Option<String>,
        /// Only events of this operation (CreateKey, Encrypt, ...).
        #[arg(long)]
        operation: Option<String>,
    },
    /// Serve the AWS KMS JSON API on a local port (AWS CLI and SDKs: --endpoint-url).
    Serve(crate::serve::ServeArgs),
    /// Access keys that sign requests to `coffer serve` (create, revoke, list).
    #[command(subcommand)]
    AccessKey(crate::serve::AccessKeyCommand),
    /// Check that a PKCS#11 token has what Coffer needs (changes nothing on it).
    TokenCheck {
        /// The module [default: the store's, else $COFFER_PKCS11_MODULE, else SoftHSMv2's].
        #[arg(long, value_name = "PATH")]
        module: Option<PathBuf>,
        /// The token's label [default: the store's, else $COFFER_PKCS11_TOKEN].
        #[arg(long, value_name = "LABEL")]
        token: Option<String>,
    },
}

impl Command {
    /// The AWS operation name (or the command's) for error messages.
    pub(crate) const fn operation(&self) -> &'static str {
        match self {
            Self::Init(_) => "Init",
            Self::CreateKey { .. } => "CreateKey",
            Self::DescribeKey(_) => "DescribeKey",
            Self::ListKeys(_) => "ListKeys",
            Self::EnableKey(_) => "EnableKey",
            Self::DisableKey(_) => "DisableKey",
            Self::ScheduleKeyDeletion { .. } => "ScheduleKeyDeletion",
            Self::CancelKeyDeletion(_) => "CancelKeyDeletion",
            Self::UpdateKeyDescription { .. } => "UpdateKeyDescription",
            Self::CreateAlias { .. } => "CreateAlias",
            Self::UpdateAlias { .. } => "UpdateAlias",
            Self::DeleteAlias { .. } => "DeleteAlias",
            Self::ListAliases { .. } => "ListAliases",
            Self::EnableKeyRotation { .. } => "EnableKeyRotation",
            Self::DisableKeyRotation(_) => "DisableKeyRotation",
            Self::GetKeyRotationStatus(_) => "GetKeyRotationStatus",
            Self::RotateKeyOnDemand(_) => "RotateKeyOnDemand",
            Self::ListKeyRotations { .. } => "ListKeyRotations",
            Self::SetMinimumDecryptionVersion { .. } => "SetMinimumDecryptionVersion",
            Self::Encrypt { .. } => "Encrypt",
            Self::Decrypt { .. } => "Decrypt",
            Self::ReEncrypt { .. } => "ReEncrypt",
            Self::GenerateDataKey(_) => "GenerateDataKey",
            Self::GenerateDataKeyWithoutPlaintext(_) => "GenerateDataKeyWithoutPlaintext",
            Self::GenerateRandom { .. } => "GenerateRandom",
            Self::EncryptFile(_) => "EncryptFile",
            Self::DecryptFile(_) => "DecryptFile",
            Self::Maintenance => "Maintenance",
            Self::Audit { .. } => "Audit",
            Self::TokenCheck { .. } => "TokenCheck",
            Self::Serve(_) => "Serve",
            Self::AccessKey(_) => "AccessKey",
        }
    }
}
