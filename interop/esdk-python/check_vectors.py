#!/usr/bin/env python3
"""Check vectors/ with the official Python AWS Encryption SDK.

    python check_vectors.py [--vectors vectors]

For each manifest entry:
  expect "ok":   the SDK decrypts the ciphertext with the entry's key, the
                 message context holds every pair of "context", the plaintext
                 equals the plaintext file (which must also equal the
                 documented pattern, byte i = i % 251), and an independent
                 parse of the message (esdk_format.py) agrees with the entry
                 on suite, frame length, namespace, key name and context.
  expect "fail": the SDK (plus the required-context check) refuses it.
Exit status 0 only if every entry behaves as expected.
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import esdk  # noqa: E402
import esdk_format  # noqa: E402


def check_header(e, ct):
    m = esdk_format.parse(ct)
    problems = []
    if "%04x" % m["suite_id"] != e["suite"]:
        problems.append("suite %04x" % m["suite_id"])
    if m["frame_length"] != e["frame_length"]:
        problems.append("frame length %d" % m["frame_length"])
    if len(m["edks"]) != 1:
        problems.append("%d EDKs" % len(m["edks"]))
    edk = m["edks"][0]
    if edk["provider_id"] != e["namespace"].encode("utf-8"):
        problems.append("provider id %r" % edk["provider_id"])
    prefix = esdk_format.raw_aes_provider_info(e["key_name"])
    if not (edk["provider_info"].startswith(prefix) and len(edk["provider_info"]) == len(prefix) + 12):
        problems.append("provider info %r" % edk["provider_info"])
    if len(edk["ciphertext"]) != 32 + 16:
        problems.append("wrapped key length %d" % len(edk["ciphertext"]))
    pairs = m["context_pairs"]
    keys = [k for k, _ in pairs]
    if keys != sorted(keys):
        problems.append("context not sorted by key bytes")
    wire = {k.decode("utf-8"): v.decode("utf-8") for k, v in pairs}
    want = dict(e["context"])
    if e["suite"] == "0578":
        if "aws-crypto-public-key" not in wire:
            problems.append("0578 without aws-crypto-public-key")
        else:
            want["aws-crypto-public-key"] = wire["aws-crypto-public-key"]
    if wire != want:
        problems.append("context on the wire %r" % wire)
    return problems


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--vectors", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "vectors"))
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    esdk.quiet_sdk_logging()
    with open(os.path.join(args.vectors, "manifest.json"), encoding="utf-8") as f:
        entries = json.load(f)

    passed = failed = 0
    for e in entries:
        problems = []
        ct = open(os.path.join(args.vectors, e["ciphertext"]), "rb").read()
        expect = e.get("expect", "ok")
        try:
            pt, suite, _ctx = esdk.decrypt_bytes(ct, e["key_hex"], e["namespace"], e["key_name"], e["context"])
            outcome = "ok"
        except esdk.JobError as err:
            outcome, reason = "fail", str(err)
        if outcome != expect:
            problems.append("expected %s, got %s%s" % (expect, outcome, (": " + reason) if outcome == "fail" else ""))
        elif expect == "ok":
            want = open(os.path.join(args.vectors, e["plaintext"]), "rb").read()
            if pt != want:
                problems.append("plaintext differs from %s" % e["plaintext"])
            if want != bytes(i % 251 for i in range(len(want))):
                problems.append("%s is not the documented pattern" % e["plaintext"])
            if suite != e["suite"]:
                problems.append("SDK reports suite %s" % suite)
            try:
                problems += check_header(e, ct)
            except esdk_format.FormatError as err:
                problems.append("esdk_format: %s" % err)
        if problems:
            failed += 1
            print("FAIL %s: %s" % (e["name"], "; ".join(problems)))
        else:
            passed += 1
            if args.verbose:
                print("ok   %s (%s%s)" % (e["name"], expect, (": " + reason) if outcome == "fail" else ""))
    print("check_vectors: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
