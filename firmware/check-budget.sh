#!/usr/bin/env bash
# Builds both firmwares (release, feature demo-seed; again with kms-path-only; coffer-demo again
# with full-records), runs them under QEMU and fails if a figure goes over the firmware budget: the table between the
# `budget:begin` and `budget:end` markers of docs/EMBEDDED.md, the one place the budget is
# written (next to the figures it is judged against).
#
#   ./check-budget.sh
#
# Each row names a figure and its limit in bytes:
#   <firmware>-stack            peak stack of the whole run ("stack: peak N")
#   coffer-demo-kms-path-stack  peak stack when the KMS path is done (its "kms path" line)
#   coffer-demo-full-records-stack  peak stack of coffer-demo built with `full-records`
#                               (10 KiB records: a façade copied on the stack shows here)
#   <firmware>-flash            .text + .rodata of the ELF
#   coffer-demo-static-ram      .data + .bss, less the store the firmware chooses (STORE)
#   kms-path-flash-per-mille    flash of coffer-demo over bare-primitives, both built with
#                               kms-path-only (no streamed message), times 1000
# Sizes come from readelf (binutils), so the check needs no LLVM tools.
set -euo pipefail
cd "$(dirname "$0")"
budget_md=../docs/EMBEDDED.md

rows=$(awk '/budget:begin/ { on = 1; next } /budget:end/ { on = 0 } on && /^\| `[a-z-]+` \|/' "$budget_md" \
  | awk -F'|' '{ gsub(/[` ,]/, "", $2); gsub(/[ ,]/, "", $3); print $2, $3 }')
[ -n "$rows" ] || { echo "no budget rows found in $budget_md" >&2; exit 1; }

section_sum() { # ELF, section names...: the sum of their sizes
  local elf=$1; shift
  local sum=0 hex
  for hex in $(readelf -S -W "$elf" | awk -v names=" $* " '
    { for (i = 1; i <= NF; i++) if ($i ~ /^\./ && index(names, " " $i " ")) { print $(i + 4); break } }'); do
    sum=$((sum + 16#$hex))
  done
  echo "$sum"
}
symbol_size() { # ELF, pattern: the size of the one data symbol whose name matches
  readelf -s -W "$1" | awk -v p="$2" '$4 == "OBJECT" && $8 ~ p && !found { found = $3 + 0 } END { print found + 0 }'
}

logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
declare -A figure
built=${CARGO_TARGET_DIR:-target}/thumbv7em-none-eabihf/release

# The KMS path alone (no streamed message), for the flash ratio; then the full firmwares.
cargo build -q --release --features demo-seed,kms-path-only --bins
for fw in coffer-demo bare-primitives; do
  ./run-qemu.sh "$built/$fw" >"$logs/$fw-kms-path" 2>&1 \
    || { cat "$logs/$fw-kms-path" >&2; echo "$fw (kms-path-only) failed under QEMU" >&2; exit 1; }
  figure[$fw-kms-path-flash]=$(section_sum "$built/$fw" .text .rodata)
done
figure[kms-path-flash-per-mille]=$((figure[coffer-demo-kms-path-flash] * 1000 / figure[bare-primitives-kms-path-flash]))
echo "kms path only: coffer-demo flash ${figure[coffer-demo-kms-path-flash]}, bare-primitives ${figure[bare-primitives-kms-path-flash]}"
# The demo with records of any size: only the binary is built again (about 15 s), and a run.
cargo build -q --release --features demo-seed,full-records --bin coffer-demo
./run-qemu.sh "$built/coffer-demo" >"$logs/coffer-demo-full-records" 2>&1 \
  || { cat "$logs/coffer-demo-full-records" >&2; echo "coffer-demo (full-records) failed under QEMU" >&2; exit 1; }
figure[coffer-demo-full-records-stack]=$(awk '/^stack: peak/ { print $3 }' "$logs/coffer-demo-full-records")
cargo build -q --release --features demo-seed --bins
rel=$built
for fw in coffer-demo bare-primitives; do
  ./run-qemu.sh "$rel/$fw" >"$logs/$fw" 2>&1 || { cat "$logs/$fw" >&2; echo "$fw failed under QEMU" >&2; exit 1; }
  figure[$fw-stack]=$(awk '/^stack: peak/ { print $3 }' "$logs/$fw")
  figure[$fw-flash]=$(section_sum "$rel/$fw" .text .rodata)
done
figure[coffer-demo-kms-path-stack]=$(awk '/\] kms path/ { gsub(/[^0-9]/, "", $2); print $2 }' "$logs/coffer-demo")
store=$(symbol_size "$rel/coffer-demo" '5STORE')
figure[coffer-demo-static-ram]=$(($(section_sum "$rel/coffer-demo" .data .bss) - ${store:-0}))

over=0
while read -r name limit; do
  value=${figure[$name]:-}
  if [ -z "$value" ]; then
    echo "budget row $name: no such figure measured" >&2
    over=1
  elif [ "$value" -gt "$limit" ]; then
    printf 'OVER BUDGET  %-28s %8d > %8d\n' "$name" "$value" "$limit" >&2
    over=1
  else
    printf 'within       %-28s %8d <= %8d\n' "$name" "$value" "$limit"
  fi
done <<<"$rows"
exit "$over"
