#!/usr/bin/env bash
# Runs one firmware ELF on QEMU's mps2-an386 (Cortex-M4) with semihosting, and exits with the
# firmware's own status (semihosting SYS_EXIT: 0 on success, 1 on failure; QEMU aborts on a
# lockup). A firmware that hangs is killed after FIRMWARE_TIMEOUT seconds (default 60), which
# `timeout` reports as status 124.
#
#   ./run-qemu.sh target/thumbv7em-none-eabihf/release/coffer-demo
set -euo pipefail
elf=${1:?usage: run-qemu.sh FIRMWARE.elf}
exec timeout --kill-after=5 "${FIRMWARE_TIMEOUT:-60}" \
  qemu-system-arm -machine mps2-an386 -cpu cortex-m4 -nographic \
  -semihosting-config enable=on,target=native -kernel "$elf" </dev/null
