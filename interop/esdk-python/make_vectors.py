#!/usr/bin/env python3
"""Regenerate vectors/ with the official Python AWS Encryption SDK.

    python make_vectors.py [--out vectors]

Plaintexts are deterministic: pt-N.bin holds N bytes with byte i = i % 251.
Keys are fixed (see KEYS). Ciphertexts are NOT deterministic: each run picks a
new message id, data key, IVs and (for 0578) ECDSA key, so a rerun rewrites
every .ct file; check_vectors.py then confirms the new set.

Negative vectors ("expect": "fail") are made by mutating positive ones at
offsets found with esdk_format.parse; each entry says what was changed in
"why" and "mutation".
"""
import argparse
import json
import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import esdk  # noqa: E402
import esdk_format  # noqa: E402

KEYS = {
    # 32 bytes 00 01 02 .. 1f
    "A": bytes(range(32)).hex(),
    # 32 bytes 20 21 .. 3f
    "B": bytes(range(0x20, 0x40)).hex(),
}
# Key A with the lowest bit of its last byte flipped.
WRONG_A = (bytes(range(31)) + bytes([31 ^ 1])).hex()

NS = "coffer-interop"
NAME_A = "aes-256-key-A"
NAME_B = "aes-256-key-B"
# Non-ASCII namespace and key name: both go on the wire as UTF-8.
NS_UTF8 = "coffer-пространство-名前"
NAME_UTF8 = "ключ-B-🔑"

CONTEXTS = {
    "empty": {},
    "one": {"purpose": "interop"},
    "several": {
        "tenant": "acme",
        "purpose": "coffer-python-interop",
        "ключ": "значение",
        "名前": "値 ✓",
    },
    # Edge cases the SDK accepts: an empty key and an empty value. Kept out
    # of the other contexts so a reader that refuses them fails only here.
    "edge": {"": "empty key", "empty-value": ""},
    # Sorting is by the UTF-8 bytes of the key. U+FF61 (EF BD A1) sorts
    # before U+1F600 (F0 9F 98 80) in UTF-8 but after it in UTF-16 code
    # units (FF61 > D83D), so an implementation sorting Java/JS-style gets
    # this one wrong.
    "utf8-order": {"\uff61": "halfwidth ideographic full stop", "\U0001F600": "grinning face", "a": "ascii"},
}


def pattern(n):
    return bytes(i % 251 for i in range(n))


def plan():
    """The positive vectors: (name, suite, key id, ns, key name, frame, context id, size)."""
    out = []
    ctx_cycle = ["empty", "one", "several"]
    for suite in ("0478", "0578"):
        for i, size in enumerate((0, 1, 4095, 4096, 4097)):
            c = ctx_cycle[i % 3]
            out.append(("%s-f4096-n%d-ctx-%s" % (suite, size, c), suite, "A", NS, NAME_A, 4096, c, size))
        # every context on the two-frame size
        for c in ("empty", "one", "utf8-order"):
            out.append(("%s-f4096-n8000-ctx-%s" % (suite, c), suite, "A", NS, NAME_A, 4096, c, 8000))
        out.append(("%s-f4096-n100-ctx-edge" % suite, suite, "A", NS, NAME_A, 4096, "edge", 100))
        # smallest frame the Python SDK will write (a multiple of 128): many frames
        out.append(("%s-f128-n1000-ctx-one" % suite, suite, "A", NS, NAME_A, 128, "one", 1000))
        # the second key under a non-ASCII namespace and name
        out.append(("%s-f4096-n4097-utf8-keyname" % suite, suite, "B", NS_UTF8, NAME_UTF8, 4096, "several", 4097))
        # ~0.9 MB (kept small so all vectors stay under ~3 MiB): 13 full
        # 64 KiB frames and a final one of 48032 bytes
        out.append(("%s-f65536-n900000-ctx-one" % suite, suite, "A", NS, NAME_A, 65536, "one", 900000))
    return out


def flip(data, offset, bit=0):
    b = bytearray(data)
    b[offset] ^= 1 << bit
    return bytes(b)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "vectors"))
    args = ap.parse_args()
    if os.path.isdir(args.out):
        shutil.rmtree(args.out)
    os.makedirs(args.out)

    entries, cts = [], {}
    for name, suite, kid, ns, kname, frame, cid, size in plan():
        pt_file = "pt-%d.bin" % size
        pt = pattern(size)
        if not os.path.exists(os.path.join(args.out, pt_file)):
            with open(os.path.join(args.out, pt_file), "wb") as f:
                f.write(pt)
        ct = esdk.encrypt_bytes(pt, suite, KEYS[kid], ns, kname, frame, CONTEXTS[cid])
        ct_file = name + ".ct"
        with open(os.path.join(args.out, ct_file), "wb") as f:
            f.write(ct)
        cts[name] = ct
        entries.append({
            "name": name, "expect": "ok", "suite": suite, "key_hex": KEYS[kid],
            "namespace": ns, "key_name": kname, "frame_length": frame,
            "context": CONTEXTS[cid], "plaintext": pt_file, "ciphertext": ct_file,
        })

    by_name = {e["name"]: e for e in entries}

    def negative(base, suffix, data, why, mutation, **override):
        e = dict(by_name[base])
        e.update({"name": "%s--%s" % (base, suffix), "expect": "fail", "why": why,
                  "derived_from": base, "mutation": mutation})
        if data is not None:
            e["ciphertext"] = e["name"] + ".ct"
            with open(os.path.join(args.out, e["ciphertext"]), "wb") as f:
                f.write(data)
        e.update(override)
        entries.append(e)

    for suite in ("0478", "0578"):
        base = "%s-f4096-n8000-ctx-one" % suite
        ct = cts[base]
        m = esdk_format.parse(ct)
        f1, f2 = m["frames"]
        muts = [
            ("flip-suite-id", m["message_id_offset"] - 1,
             "header: suite id changed (0478<->0479 / 0578<->0579); unknown or non-committing suite"),
            ("flip-message-id", m["message_id_offset"] + 5,
             "header: message id changed; key derivation and commitment check fail"),
            ("flip-context", m["aad_offset"] + len(m["aad"]) - 1,
             "header: last byte of the encryption context changed; data key unwrap (AAD) and header auth fail"),
            ("flip-edk-ciphertext", m["aad_offset"] + len(m["aad"]) + 2 + 2
             + len(m["edks"][0]["provider_id"]) + 2 + len(m["edks"][0]["provider_info"]) + 2,
             "header: first byte of the wrapped data key changed; unwrap fails"),
            ("flip-frame-length", m["suite_data_offset"] - 2,
             "header: frame length changed from 4096; header auth fails"),
            ("flip-commitment", m["suite_data_offset"] + 31,
             "header: last byte of the 32-byte key commitment changed; commitment check fails"),
            ("flip-header-auth-tag", m["header_auth_offset"] + 15,
             "header auth tag's last byte changed"),
            ("flip-frame1-iv", f1["offset"] + 4,
             "body: first byte of frame 1's IV changed"),
            ("flip-frame1-content", f1["content_offset"] + 100,
             "body: a byte of frame 1's ciphertext changed"),
            ("flip-final-frame-tag", f2["content_offset"] + f2["content_length"] + 15,
             "body: last byte of the final frame's tag changed"),
        ]
        for suffix, off, why in muts:
            negative(base, suffix, flip(ct, off), why, {"flip_byte_offset": off, "bit": 0})
        negative(base, "truncated-last-byte", ct[:-1],
                 "message missing its last byte", {"truncate_to": len(ct) - 1})
        negative(base, "truncated-after-frame1", ct[:f2["offset"]],
                 "message ends after the first (regular) frame: final frame missing",
                 {"truncate_to": f2["offset"]})
        negative(base, "trailing-bytes", ct + b"\x00" * 16,
                 "16 zero bytes appended after a complete message. NOTE: the Python SDK itself "
                 "ignores them and decrypts; esdk.py (and the Java SDK) refuse trailing data",
                 {"append_zero_bytes": 16})
        negative(base, "truncated-in-header", ct[:m["header_length"] - 10],
                 "message ends inside the header", {"truncate_to": m["header_length"] - 10})
        if suite == "0578":
            negative(base, "truncated-no-footer", ct[:m["footer_offset"]],
                     "signed message with the whole signature footer removed",
                     {"truncate_to": m["footer_offset"]})
            sig_last = len(ct) - 1
            negative(base, "flip-signature", flip(ct, sig_last),
                     "last byte of the ECDSA signature changed", {"flip_byte_offset": sig_last, "bit": 0})
        negative(base, "wrong-key", None,
                 "right namespace and key name, wrong key bytes: unwrap fails",
                 {"key_hex": WRONG_A}, key_hex=WRONG_A)
        negative(base, "wrong-key-name", None,
                 "right key bytes, different key name: no encrypted data key matches",
                 {"key_name": NAME_B}, key_name=NAME_B)
        negative(base, "wrong-namespace", None,
                 "right key bytes and name, different namespace: no encrypted data key matches",
                 {"namespace": NS + "-other"}, namespace=NS + "-other")
        negative(base, "context-mismatch", None,
                 "decrypts, but the required context pair purpose=interop is given as purpose=other",
                 {"context": {"purpose": "other"}}, context={"purpose": "other"})

    # The manifest is a plain list of entries; what they mean is in README.md.
    with open(os.path.join(args.out, "manifest.json"), "w", encoding="utf-8") as f:
        json.dump(entries, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print("wrote %d vectors (%d expect=fail) to %s"
          % (len(entries), sum(e["expect"] == "fail" for e in entries), args.out))


if __name__ == "__main__":
    main()
