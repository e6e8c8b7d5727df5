#!/usr/bin/env bash
# Usage: setup.sh VENV_DIR
# Creates (or reuses) a Python venv in VENV_DIR with the AWS CLI (v1), boto3 and the AWS
# Encryption SDK pinned in requirements.txt; non-interactive and idempotent. pip's output goes
# to stderr; the only line on stdout, and so the last, is the venv's python path (its `aws` is
# beside it). Set PYTHON to choose the interpreter that creates the venv (3.11 or newer).
set -euo pipefail
if [ $# -ne 1 ]; then
  echo "usage: $0 VENV_DIR" >&2
  exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
venv=$1

if [ -z "${PYTHON:-}" ]; then
  if command -v python3.11 >/dev/null 2>&1; then PYTHON=python3.11; else PYTHON=python3; fi
fi

if [ ! -x "$venv/bin/python" ]; then
  "$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "need Python 3.11 or newer, found " + sys.version.split()[0])'
  "$PYTHON" -m venv "$venv" >&2
fi
py=$(cd "$venv/bin" && pwd)/python

export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1
"$py" -m pip install --quiet -r "$here/requirements.txt" >&2
# Fail here, not in the first test, if the install is unusable.
"$py" -c 'import boto3, botocore, aws_encryption_sdk' >&2
"$(dirname "$py")/aws" --version >&2
echo "$py"
