#!/usr/bin/env bash
# Usage: venv.sh VENV_DIR REQUIREMENTS_FILE
# Creates (or reuses) a Python venv in VENV_DIR and installs the pinned requirements into it;
# non-interactive and idempotent. pip's output goes to stderr; the only line on stdout is the
# venv's python path. Set PYTHON to choose the interpreter that creates the venv (3.11 or
# newer). Shared by interop/esdk-python/setup.sh and interop/aws-clients/setup.sh.
set -euo pipefail
if [ $# -ne 2 ]; then
  echo "usage: $0 VENV_DIR REQUIREMENTS_FILE" >&2
  exit 2
fi
venv=$1
requirements=$2

if [ -z "${PYTHON:-}" ]; then
  if command -v python3.11 >/dev/null 2>&1; then PYTHON=python3.11; else PYTHON=python3; fi
fi

if [ ! -x "$venv/bin/python" ]; then
  "$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "need Python 3.11 or newer, found " + sys.version.split()[0])'
  "$PYTHON" -m venv "$venv" >&2
fi
py=$(cd "$venv/bin" && pwd)/python

export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1
"$py" -m pip install --quiet -r "$requirements" >&2
echo "$py"
