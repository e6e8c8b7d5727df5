#!/usr/bin/env python3
"""Decrypt every message Coffer exported (core/tests/message_export.rs) with the official SDK.

    python check_coffer.py DIR

DIR holds NAME.ct (a Coffer message) and NAME.pt (its plaintext) pairs, written by
`COFFER_ESDK_EXPORT=DIR cargo test -p coffer-core --test message_export`. Each message must
decrypt with the SDK's raw AES keyring under the test key (namespace "coffer-test", name
"key-a", 32 bytes of 0x11) to exactly its plaintext, with the context the test used, and the
suite its name says. A message with a manifest NAME.json (an object with "key_hex",
"namespace", "name" and "context", as for the known-answer vectors) uses that raw AES key and
context instead. A message whose last byte is flipped must be refused. Exit 0 only if every
message does all that; at least one message of each suite must be there.
"""
import json
import os
import sys

import esdk

KEY_HEX = "11" * 32
NAMESPACE = "coffer-test"
NAME = "key-a"
CONTEXT = {"purpose": "interop", "名前": "値 ✓"}


def main(argv):
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    folder = argv[1]
    names = sorted(f[:-3] for f in os.listdir(folder) if f.endswith(".ct"))
    failures, suites = 0, set()
    for name in names:
        with open(os.path.join(folder, name + ".ct"), "rb") as f:
            ciphertext = f.read()
        with open(os.path.join(folder, name + ".pt"), "rb") as f:
            expected = f.read()
        key = (KEY_HEX, NAMESPACE, NAME, CONTEXT)
        manifest = os.path.join(folder, name + ".json")
        if os.path.exists(manifest):
            with open(manifest, encoding="utf-8") as f:
                m = json.load(f)
            key = (m["key_hex"], m["namespace"], m["name"], m["context"])
        try:
            plaintext, suite, _context = esdk.decrypt_bytes(ciphertext, *key)
        except esdk.JobError as err:
            print("FAIL %s: %s" % (name, err), file=sys.stderr)
            failures += 1
            continue
        if plaintext != expected or not name.startswith(suite):
            print("FAIL %s: wrong plaintext or suite %s" % (name, suite), file=sys.stderr)
            failures += 1
            continue
        suites.add(suite)
        tampered = ciphertext[:-1] + bytes([ciphertext[-1] ^ 1])
        try:
            esdk.decrypt_bytes(tampered, *key)
            print("FAIL %s: a flipped last byte was accepted" % name, file=sys.stderr)
            failures += 1
        except esdk.JobError:
            pass
    if suites != {"0478", "0578"}:
        print("FAIL: messages of both suites expected, got %s" % sorted(suites), file=sys.stderr)
        failures += 1
    print("%d Coffer messages decrypted by the official SDK, %d failures" % (len(names), failures))
    return 1 if failures else 0


if __name__ == "__main__":
    esdk.quiet_sdk_logging()
    sys.exit(main(sys.argv))
