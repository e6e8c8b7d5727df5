#!/usr/bin/env bash
# The figures of docs/EMBEDDED.md: builds both firmwares (and coffer-demo with `full-records`),
# runs each under QEMU (mps2-an386), and prints, as Markdown:
#   - flash (.text + .rodata), static RAM (.data + .bss) and peak stack (painted at reset, scanned
#     by the firmware, reported over semihosting) of each, and the ratios coffer-demo / bare;
#   - flash by crate, the largest statics and the largest stack frames, so that a reader can see
#     which features cost what;
#   - the QEMU output of each run.
#
#   cd firmware && ./measure.sh > /tmp/figures.md
#
# Needs qemu-system-arm and LLVM's binutils (llvm-size, llvm-nm, llvm-objdump): on Debian the
# packages qemu-system-arm and llvm, installed here with apt-get if missing (as root).
set -euo pipefail
cd "$(dirname "$0")"
export CARGO_TERM_COLOR=never

tool() { # the first of its arguments that is on PATH
  for t in "$@"; do command -v "$t" >/dev/null 2>&1 && { echo "$t"; return 0; }; done
  return 1
}
if ! command -v qemu-system-arm >/dev/null || ! tool llvm-size llvm-size-{19,18,17,16,15,14} >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update >&2 && apt-get install -y qemu-system-arm llvm >&2
fi
SIZE=$(tool llvm-size llvm-size-{19,18,17,16,15,14})
NM=$(tool llvm-nm llvm-nm-{19,18,17,16,15,14})
OBJDUMP=$(tool llvm-objdump llvm-objdump-{19,18,17,16,15,14})

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
rel=${CARGO_TARGET_DIR:-target}/thumbv7em-none-eabihf/release

cargo build -q --release --features demo-seed,full-records --bin coffer-demo >&2
cp "$rel/coffer-demo" "$out/coffer-demo-full-records"
cargo build -q --release --features demo-seed --bins >&2
cp "$rel/coffer-demo" "$rel/bare-primitives" "$out/"

section() { # section size of $1, name $2
  "$SIZE" -A "$1" | awk -v s="$2" '$1 == s { print $2; found = 1 } END { if (!found) print 0 }'
}
run() { # runs $1 under QEMU, keeps its output, fails if the firmware does
  if ! ./run-qemu.sh "$1" >"$1.log" 2>&1; then
    echo "firmware $(basename "$1") FAILED under QEMU:" >&2
    cat "$1.log" >&2
    exit 1
  fi
}
peak() { awk '/^stack: peak/ { print $3 }' "$1.log"; }

declare -A flash ram stk
rows=""
for fw in bare-primitives coffer-demo coffer-demo-full-records; do
  elf="$out/$fw"
  run "$elf"
  text=$(section "$elf" .text); rodata=$(section "$elf" .rodata)
  data=$(section "$elf" .data); bss=$(section "$elf" .bss); uninit=$(section "$elf" .uninit)
  vt=$(section "$elf" .vector_table)
  flash[$fw]=$((text + rodata)); ram[$fw]=$((data + bss + uninit)); stk[$fw]=$(peak "$elf")
  rows+="| \`$fw\` | $text | $rodata | **${flash[$fw]}** | $data | $((bss + uninit)) | **${ram[$fw]}** | **${stk[$fw]}** | $((ram[$fw] + stk[$fw])) | $vt |"$'\n'
done

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f×", a / b }'; }

echo "## Sizes (bytes)"
echo
echo "| firmware | .text | .rodata | flash (.text+.rodata) | .data | .bss | static RAM (.data+.bss) | peak stack | RAM in use (static + stack) | .vector_table |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
printf '%s' "$rows"
echo
echo "## Ratios, coffer-demo / bare-primitives"
echo
b=bare-primitives
for fw in coffer-demo coffer-demo-full-records; do
  echo "- \`$fw\`: flash $(ratio "${flash[$fw]}" "${flash[$b]}") (+$((flash[$fw] - flash[$b])) B)," \
    "static RAM $(ratio "${ram[$fw]}" "${ram[$b]}") (+$((ram[$fw] - ram[$b])) B)," \
    "peak stack $(ratio "${stk[$fw]}" "${stk[$b]}") (+$((stk[$fw] - stk[$b])) B)," \
    "RAM in use $(ratio "$((ram[$fw] + stk[$fw]))" "$((ram[$b] + stk[$b]))")"
done

# Rust's legacy symbol mangling, made readable, and the hash dropped.
readable() {
  sed -E 's/_\$LT\$/</g; s/\$GT\$/>/g; s/\$LT\$/</g; s/\$u20\$/ /g; s/\$C\$/,/g; s/\$RF\$/\&/g; s/\.\./::/g; s/::h[0-9a-f]{16}//g'
}

# Flash by crate: the named symbols of .text and .rodata, grouped by the crate their path starts
# with (the type's crate for `<T as Trait>::f`). With LTO, inlined code counts for its caller.
by_crate() { # $1 elf
  "$NM" --print-size --size-sort --radix=d -C "$1" | readable | awk '
    $3 ~ /^[tTrR]$/ {
      name = $4; for (i = 5; i <= NF; i++) name = name " " $i
      # The first path in the name: `<T as core::fmt::Debug>::fmt` counts for core, `<aes::Aes256
      # as cipher::KeyInit>::new` for aes.
      gsub(/[<>&\[\]()*,;]/, " ", name); n = split(name, w, " "); crate = "(runtime, unnamed)"
      for (i = 1; i <= n; i++) if (w[i] ~ /^[A-Za-z_][A-Za-z0-9_]*::/) { split(w[i], p, "::"); crate = p[1]; break }
      total[crate] += $2; all += $2
    }
    END { for (c in total) printf "%d\t%s\n", total[c], c; printf "%d\t(all named symbols)\n", all }' |
    sort -rn
}

echo
echo "## Flash by crate (named .text and .rodata symbols, bytes)"
for fw in coffer-demo bare-primitives; do
  echo
  echo "\`$fw\` (.text + .rodata = ${flash[$fw]}; the rest is unnamed constants and padding):"
  echo
  echo "| bytes | crate |"
  echo "|---:|---|"
  by_crate "$out/$fw" | awk 'NR <= 16' | awk -F'\t' '{ printf "| %d | `%s` |\n", $1, $2 }'
done

echo
echo "## Largest statics (.data, .bss)"
for fw in coffer-demo coffer-demo-full-records bare-primitives; do
  echo
  echo "\`$fw\`:"
  echo
  echo "| bytes | symbol |"
  echo "|---:|---|"
  "$NM" --print-size --size-sort --radix=d -C "$out/$fw" | readable |
    awk '$3 ~ /^[bBdD]$/ { name = $4; for (i = 5; i <= NF; i++) name = name " " $i; printf "%d\t%s\n", $2, name }' |
    sort -rn | awk 'NR <= 5' | awk -F'\t' '{ printf "| %d | `%s` |\n", $1, $2 }'
done

# Stack frames: the bytes each function reserves in its prologue (`sub sp, #n`), read from the
# disassembly. A call chain's depth is the sum of its frames; the painted peak above is measured.
frames() { # $1 elf, $2 how many
  "$OBJDUMP" -d -C --no-show-raw-insn "$1" | awk '
    /^[0-9a-f]+ <.*>:$/ { fn = $2; sub(/^</, "", fn); sub(/>:$/, "", fn) }
    /(sub|subw|sub\.w)[ \t]+sp, (sp, )?#/ { match($0, /#[0-9]+/); n[fn] += substr($0, RSTART + 1, RLENGTH - 1) }
    END { for (f in n) printf "%d\t%s\n", n[f], f }' | readable | sort -rn | awk -v n="$2" 'NR <= n'
}
echo
echo "## Largest stack frames (bytes reserved by the function's prologue)"
for fw in coffer-demo bare-primitives; do
  echo
  echo "\`$fw\`:"
  echo
  echo "| bytes | function |"
  echo "|---:|---|"
  frames "$out/$fw" 14 | awk -F'\t' '{ printf "| %d | `%s` |\n", $1, $2 }'
done

echo
echo "## QEMU output"
for fw in coffer-demo bare-primitives coffer-demo-full-records; do
  echo
  echo "\`$fw\`:"
  echo
  echo '```text'
  cat "$out/$fw.log"
  echo '```'
done
echo
echo "Measured $(date -u '+%Y-%m-%d %H:%M UTC') with $(rustc --version), $(qemu-system-arm --version | head -1)."
