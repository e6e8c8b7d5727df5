#!/usr/bin/env python3
"""Prints docs/BENCHMARKS.md's tables from a run of the benches, and which targets are met.

Reads criterion's results (<target>/criterion/**/new/{benchmark,estimates}.json) and the
figures the cache and memory benches write (<target>/coffer-benches/{cache,memory}.json).
<target> is $CARGO_TARGET_DIR, else benches/target; or give it: report.py [TARGET_DIR].
Python 3 standard library only. Exit status 0 whether or not the targets are met.
"""

import json
import os
import sys
from pathlib import Path


def load(target):
    """{group: {function: {value: (ns per iteration, throughput)}}} from criterion's output."""
    results = {}
    for bench in sorted((target / "criterion").glob("**/new/benchmark.json")):
        meta = json.loads(bench.read_text())
        estimates = json.loads((bench.parent / "estimates.json").read_text())
        # The figure criterion prints: the slope of the linear fit where it sampled that way,
        # else the mean.
        mean_ns = (estimates.get("slope") or estimates["mean"])["point_estimate"]
        group = results.setdefault(meta["group_id"], {})
        group.setdefault(meta["function_id"], {})[meta.get("value_str") or ""] = (mean_ns, meta.get("throughput"))
    return results


def mib_s(mean_ns, throughput):
    return throughput["Bytes"] / (mean_ns / 1e9) / 2**20


def rate(mib_per_s):
    return f"{mib_per_s:,.0f}" if mib_per_s >= 10 else f"{mib_per_s:.2f}"


def latency(ns):
    if ns >= 1e9:
        return f"{ns / 1e9:.2f} s"
    if ns >= 1e6:
        return f"{ns / 1e6:.2f} ms"
    if ns >= 1e3:
        return f"{ns / 1e3:.1f} µs"
    return f"{ns:.0f} ns"


def size_key(label):
    """Sorts 32B < 1KiB < 64KiB < 1MiB < 16MiB."""
    for unit, factor in (("MiB", 2**20), ("KiB", 2**10), ("B", 1)):
        if label.endswith(unit) and label[: -len(unit)].isdigit():
            return int(label[: -len(unit)]) * factor
    return 0


def sizes_of(group):
    return sorted({v for runs in group.values() for v in runs}, key=size_key)


def table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---:" if i else "---" for i in range(len(header))) + "|"]
    out += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(out)


class Targets:
    def __init__(self):
        self.lines = []

    def check(self, ok, what):
        self.lines.append(f"- [{'x' if ok else ' '}] {what}")


def message_tables(results, targets):
    out = []
    for name in sorted(g for g in results if g.startswith("message-")):
        group = results[name]
        coffers = sorted(f for f in group if f.startswith("coffer-"))
        # The floors first, then the other implementations.
        peers = sorted((f for f in group if not f.startswith("coffer-")), key=lambda f: (not f.startswith("raw-"), f))
        header = ["size"] + [f"{f} MiB/s" for f in coffers + peers]
        def compared(c):
            """The peers `c` is compared with in this group: its floor, its framed floor (measured
            on encrypt only), aws-esdk (absent without the `esdk` feature), and each one's goal."""
            provider = c.removeprefix("coffer-")
            wanted = (("raw-aes-gcm-" + provider, 0.9), ("raw-aes-gcm-framed-" + provider, None), ("aws-esdk", 1.0))
            return [(peer, goal) for peer, goal in wanted if peer in group]
        for c in coffers:
            header += [f"{c} / {peer}" for peer, _ in compared(c)]
        rows = []
        for size in sizes_of(group):
            row = [size]
            speed = {f: mib_s(*group[f][size]) for f in coffers + peers if size in group[f]}
            row += [rate(speed[f]) if f in speed else "–" for f in coffers + peers]
            for c in coffers:
                # The framed floor is shown, not a target: the floor is the one-shot call.
                for peer, goal in compared(c):
                    if c in speed and peer in speed:
                        ratio = speed[c] / speed[peer]
                        row.append(f"{ratio:.2f}×")
                        if goal is not None and size_key(size) >= 64 * 2**10:
                            targets.check(ratio >= goal, f"{name} {size}: {c} ≥ {goal}× {peer} ({ratio:.2f}×)")
                    else:
                        row.append("–")
            rows.append(row)
        out.append(f"**{name}** (throughput in plaintext MiB/s; ratio of throughputs)\n\n" + table(header, rows))
    return out


def latency_tables(results, prefix, subject, goal, title, lower_is_better):
    """Latency tables: `subject` against every other function of each group."""
    out = []
    for name in sorted(g for g in results if g.startswith(prefix)):
        group = results[name]
        peers = sorted(f for f in group if f != subject)
        header = ["size", subject] + peers + [f"{subject} / {p}" for p in peers]
        rows = []
        for size in sizes_of(group):
            if size not in group.get(subject, {}):
                continue
            mine = group[subject][size][0]
            row = [size, latency(mine)] + [latency(group[p][size][0]) if size in group[p] else "–" for p in peers]
            for p in peers:
                if size not in group[p]:
                    row.append("–")
                    continue
                ratio = mine / group[p][size][0] if lower_is_better else group[p][size][0] / mine
                row.append(f"{ratio:.2f}×")
                if goal and goal[0](name, p):
                    targets_ok = ratio <= goal[1] if lower_is_better else ratio >= goal[1]
                    goal[2].check(targets_ok, f"{name} {size}: {subject} {'≤' if lower_is_better else '≥'} {goal[1]}× {p} ({ratio:.2f}×)")
            rows.append(row)
        out.append(f"**{name}** ({title})\n\n" + table(header, rows))
    return out


def cache_tables(results, target, targets):
    out = []
    path = target / "coffer-benches" / "cache.json"
    figures = json.loads(path.read_text()) if path.exists() else None
    for name in sorted(g for g in results if g.startswith("cache-")):
        group = results[name]
        direction = "encrypt" if "encrypt" in name else "decrypt"
        rows = []
        for f in sorted(group):
            mean_ns = group[f][""][0]
            kind = f.removeprefix("coffer-")
            calls = figures[kind][direction] if figures and kind in figures else None
            rows.append([f, latency(mean_ns), latency(mean_ns / figures["messages"]) if figures else "–",
                         str(calls["aead"]) if calls else "–", str(calls["calls"]) if calls else "–"])
        out.append(f"**{name}**\n\n" + table(["", "time for all", "per message", "HSM seals/opens", "HSM trait calls"], rows))
        if "coffer-cached" in group and "coffer-uncached" in group:
            ratio = group["coffer-cached"][""][0] / group["coffer-uncached"][""][0]
            out[-1] += f"\n\nTime with the cache / without: {ratio:.2f}×."
    if figures:
        limit = figures["messages"] // figures["max_messages"]
        for direction in ("encrypt", "decrypt"):
            n = figures["cached"][direction]["aead"]
            targets.check(n <= limit, f"cache, {direction}: {figures['messages']} messages, max-messages "
                          f"{figures['max_messages']}: {n} HSM calls (≤ {limit})")
    return out


def memory_table(target, targets):
    path = target / "coffer-benches" / "memory.json"
    if not path.exists():
        return []
    rows = []
    for suite in json.loads(path.read_text()):
        runs = suite["runs"]
        for r in runs:
            rows.append([suite["suite"], f"{r['plaintext_bytes'] / 2**20:,.0f} MiB", f"{r['encrypt_peak_heap_bytes']:,} B",
                         f"{r['decrypt_peak_heap_bytes']:,} B", f"{r['encrypt_mib_per_s']:,.0f}", f"{r['decrypt_mib_per_s']:,.0f}"])
        for key in ("encrypt_peak_heap_bytes", "decrypt_peak_heap_bytes"):
            peaks = [r[key] for r in runs]
            targets.check(len(set(peaks)) == 1, f"memory {suite['suite']}: {key} the same at every size ({peaks})")
    header = ["suite", "plaintext", "peak heap, encrypt", "peak heap, decrypt", "encrypt MiB/s", "decrypt MiB/s"]
    return ["**memory** (std io adapters, message to and from a file)\n\n" + table(header, rows)]


def main():
    if len(sys.argv) > 1:
        target = Path(sys.argv[1])
    else:
        target = Path(os.environ.get("CARGO_TARGET_DIR") or Path(__file__).resolve().parent / "target")
    results = load(target)
    if not results:
        sys.exit(f"no criterion results under {target / 'criterion'}: run the benches first (docs/BENCHMARKS.md)")
    targets = Targets()
    sections = message_tables(results, targets)
    sections += latency_tables(results, "kms-", "coffer-soft", (lambda g, p: g.startswith(("kms-encrypt-", "kms-decrypt-")), 0.5, targets),
                               "latency; ratio of throughputs, raw = 1", lower_is_better=False)
    sections += latency_tables(results, "pkcs11-", "backend", (lambda g, p: p == "raw-cryptoki", 1.10, targets),
                               "latency; ratio of latencies", lower_is_better=True)
    sections += cache_tables(results, target, targets)
    sections += memory_table(target, targets)
    print("\n\n".join(sections))
    met = sum(line.startswith("- [x]") for line in targets.lines)
    print(f"\nTargets met: {met} of {len(targets.lines)}\n")
    print("\n".join(targets.lines))


if __name__ == "__main__":
    main()
