#!/usr/bin/env bash
# Usage: setup.sh VENV_DIR
# Creates (or reuses) a Python venv in VENV_DIR and installs the pinned requirements into it
# (interop/venv.sh); non-interactive and idempotent. pip's output goes to stderr; the only line
# on stdout, and so the last, is the venv's python path. PYTHON chooses the interpreter.
set -euo pipefail
if [ $# -ne 1 ]; then
  echo "usage: $0 VENV_DIR" >&2
  exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
py=$(bash "$here/../venv.sh" "$1" "$here/requirements.txt")
# Fail here, not in the first test, if the install is unusable.
"$py" -c 'import aws_encryption_sdk, sys; v = aws_encryption_sdk.__version__; sys.exit(0 if v == "4.0.7" else "aws-encryption-sdk " + v + " installed, want 4.0.7")' >&2
echo "$py"
