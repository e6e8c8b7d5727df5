#!/usr/bin/env bash
# Usage: setup.sh VENV_DIR
# Creates (or reuses) a Python venv in VENV_DIR with the AWS CLI (v1), boto3 and the AWS
# Encryption SDK pinned in requirements.txt (interop/venv.sh), and a second one in
# VENV_DIR-esdk-cli with the AWS Encryption SDK CLI (esdk-cli-requirements.txt: it needs an
# older SDK); non-interactive and idempotent.
# pip's output goes to stderr; the only line on stdout, and so the last, is the first venv's
# python path (its `aws` is beside it; `aws-encryption-cli` is in VENV_DIR-esdk-cli/bin).
# PYTHON chooses the interpreter.
set -euo pipefail
if [ $# -ne 1 ]; then
  echo "usage: $0 VENV_DIR" >&2
  exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
py=$(bash "$here/../venv.sh" "$1" "$here/requirements.txt")
cli_py=$(bash "$here/../venv.sh" "$1-esdk-cli" "$here/esdk-cli-requirements.txt")
# Fail here, not in the first test, if the install is unusable.
"$py" -c 'import boto3, botocore, aws_encryption_sdk' >&2
"$(dirname "$py")/aws" --version >&2
"$(dirname "$cli_py")/aws-encryption-cli" --version >&2
echo "$py"
