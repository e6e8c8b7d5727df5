#!/usr/bin/env bash
# Usage: setup.sh VENV_DIR
# Creates (or reuses) a Python venv in VENV_DIR with the AWS CLI (v1), boto3 and the AWS
# Encryption SDK pinned in requirements.txt (interop/venv.sh); non-interactive and idempotent.
# pip's output goes to stderr; the only line on stdout, and so the last, is the venv's python
# path (its `aws` is beside it). PYTHON chooses the interpreter.
set -euo pipefail
if [ $# -ne 1 ]; then
  echo "usage: $0 VENV_DIR" >&2
  exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
py=$(bash "$here/../venv.sh" "$1" "$here/requirements.txt")
# Fail here, not in the first test, if the install is unusable.
"$py" -c 'import boto3, botocore, aws_encryption_sdk' >&2
"$(dirname "$py")/aws" --version >&2
echo "$py"
