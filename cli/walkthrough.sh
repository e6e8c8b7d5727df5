#!/usr/bin/env bash
# The coffer command from a fresh checkout, on the default (software) backend: builds it, then
# init, create a key and an alias, encrypt a file (and a small secret), rotate the key, decrypt
# what was encrypted before the rotation, and look at the rotations and the audit log.
#
#   bash cli/walkthrough.sh            # a throw-away store in a temporary directory
#   KEEP=1 bash cli/walkthrough.sh     # keep the store and print where it is
#
# The passphrase is given through COFFER_PASSPHRASE so that the script runs unattended; typed
# at a terminal, `coffer` prompts for it instead. The store uses the default Argon2id parameters
# (64 MiB, 3 passes), so every command spends a moment deriving the key.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build -q -p coffer-cli
coffer="$PWD/target/debug/coffer"

work=$(mktemp -d)
if [ -z "${KEEP:-}" ]; then trap 'rm -rf "$work"' EXIT; fi
export COFFER_HOME="$work/store"
export COFFER_PASSPHRASE="${COFFER_PASSPHRASE:-walk-through only, use a real one}"

step() { printf '\n\033[1m$ coffer %s\033[0m\n' "$*" >&2; "$coffer" "$@"; }

step init
key=$(step create-key --description "walk-through key" --query KeyMetadata.KeyId --output text)
step create-alias --alias-name alias/walkthrough --target-key-id "$key"
step describe-key --key-id alias/walkthrough

# A file of any size goes through encrypt-file: the AWS Encryption SDK message format, its data
# key generated under the KMS key, streamed frame by frame.
{ printf 'the launch code is 0000\n'; head -c 3000000 /dev/urandom; } > "$work/report.bin"
step encrypt-file --key-id alias/walkthrough --input-file "$work/report.bin" \
  --output-file "$work/report.bin.encrypted" --encryption-context purpose=walkthrough

# A small secret goes straight to encrypt (up to 4096 bytes).
printf 'db-password\n' > "$work/secret.txt"
step encrypt --key-id alias/walkthrough --plaintext "fileb://$work/secret.txt" \
  --encryption-context purpose=walkthrough --query CiphertextBlob --output text | base64 -d > "$work/secret.enc"

step rotate-key-on-demand --key-id alias/walkthrough
step list-key-rotations --key-id alias/walkthrough --output text

# Both decrypt after the rotation: the version is in what was encrypted.
step decrypt-file --input-file "$work/report.bin.encrypted" --output-file "$work/report.out" \
  --encryption-context purpose=walkthrough
cmp "$work/report.bin" "$work/report.out"
step decrypt --ciphertext-blob "fileb://$work/secret.enc" --encryption-context purpose=walkthrough \
  --query Plaintext --output text | base64 -d > "$work/secret.out"
cmp "$work/secret.txt" "$work/secret.out"
echo "decrypted after the rotation: $(head -c 24 "$work/report.out" | head -1) / $(cat "$work/secret.out")" >&2

# Another context is refused, and nothing is written.
if step decrypt-file --input-file "$work/report.bin.encrypted" --output-file "$work/refused.out" \
  --encryption-context purpose=other; then
  echo "a wrong encryption context was accepted" >&2
  exit 1
fi
[ ! -e "$work/refused.out" ]

step audit --key-id "$key" --output text
[ -n "${KEEP:-}" ] && echo "the store is in $COFFER_HOME" >&2
echo "walk-through: OK" >&2
