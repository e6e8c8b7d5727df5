#!/usr/bin/env python3
"""Command-line front end to the official Python AWS Encryption SDK, for interop tests.

Coffer (Rust) writes and reads ESDK message format v2; this script is the
independent implementation on the other side. It uses only the SDK's public
API: EncryptionSDKClient with CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT
and a RawMasterKey wrapping with AES_256_GCM_IV12_TAG16_NO_PADDING, which puts
on the wire exactly what the spec's raw AES keyring puts there:

    provider id   = the key namespace (UTF-8)
    provider info = key name (UTF-8) || tag length in bits (u32 BE, 128)
                    || IV length (u32 BE, 12) || IV (12 bytes)
    ciphertext    = AES-256-GCM(data key) || tag, AAD = serialized encryption
                    context (including aws-crypto-public-key for 0578)

Contract (exit 0 on success; non-zero and a message on stderr on any failure):

  esdk.py encrypt --suite {0478|0578} --key-hex HEX --namespace NS --name NAME
                  --frame-length N --context-json JSON --in FILE --out FILE
  esdk.py decrypt --key-hex HEX --namespace NS --name NAME
                  --context-json JSON --in FILE --out FILE
  esdk.py batch --manifest FILE [--results FILE]

decrypt also requires every pair of --context-json to be present with the
same value in the message's encryption context (extra pairs, such as
aws-crypto-public-key for 0578, are allowed). It also refuses bytes after
the end of the message, which the SDK itself would silently ignore. Nothing
is written to --out unless the whole message decrypted and verified.

batch runs many jobs in one process (see README.md for the manifest format);
it exits 0 only if every job's outcome matched its "expect" ("ok" by default).
"""
import argparse
import io
import json
import logging
import os
import sys

import aws_encryption_sdk
from aws_encryption_sdk.identifiers import (
    Algorithm,
    CommitmentPolicy,
    EncryptionKeyType,
    WrappingAlgorithm,
)
from aws_encryption_sdk.internal.crypto.wrapping_keys import WrappingKey
from aws_encryption_sdk.key_providers.raw import RawMasterKey

SUITES = {
    "0478": Algorithm.AES_256_GCM_HKDF_SHA512_COMMIT_KEY,
    "0578": Algorithm.AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384,
}
SUITE_IDS = {alg.algorithm_id: name for name, alg in SUITES.items()}


class JobError(Exception):
    """A job failed; the message says why."""


def _describe(err):
    # cryptography's InvalidTag / InvalidSignature carry no message.
    text = str(err) or {
        "InvalidTag": "AES-GCM tag did not verify (wrong key, or altered data)",
        "InvalidSignature": "ECDSA signature did not verify",
    }.get(type(err).__name__, "no detail")
    return "%s: %s" % (type(err).__name__, text)


def _client():
    return aws_encryption_sdk.EncryptionSDKClient(
        commitment_policy=CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT
    )


def master_key(key_hex, namespace, name):
    """A raw AES-256 master key: namespace = provider id, name = key id."""
    try:
        key = bytes.fromhex(key_hex)
    except ValueError as err:
        raise JobError("--key-hex is not hex: %s" % err)
    if len(key) != 32:
        raise JobError("--key-hex must be 32 bytes (AES-256), got %d" % len(key))
    return RawMasterKey(
        provider_id=namespace,
        key_id=name.encode("utf-8"),
        wrapping_key=WrappingKey(
            wrapping_algorithm=WrappingAlgorithm.AES_256_GCM_IV12_TAG16_NO_PADDING,
            wrapping_key=key,
            wrapping_key_type=EncryptionKeyType.SYMMETRIC,
        ),
    )


def parse_context(ctx):
    """Accept a JSON text or an already-parsed object; require str -> str."""
    if isinstance(ctx, str):
        try:
            ctx = json.loads(ctx)
        except ValueError as err:
            raise JobError("context is not JSON: %s" % err)
    if ctx is None:
        ctx = {}
    if not isinstance(ctx, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in ctx.items()
    ):
        raise JobError("context must be a JSON object of string to string")
    return ctx


def encrypt_bytes(plaintext, suite, key_hex, namespace, name, frame_length, context):
    if suite not in SUITES:
        raise JobError("unknown suite %r (want 0478 or 0578)" % (suite,))
    try:
        ciphertext, _header = _client().encrypt(
            source=plaintext,
            key_provider=master_key(key_hex, namespace, name),
            encryption_context=dict(parse_context(context)),
            algorithm=SUITES[suite],
            frame_length=int(frame_length),
        )
    except JobError:
        raise
    except Exception as err:  # the SDK raises many types; all are failures
        raise JobError("encrypt failed: %s" % _describe(err))
    return ciphertext


def decrypt_bytes(ciphertext, key_hex, namespace, name, context):
    """Decrypt and verify; return (plaintext, suite name, message context)."""
    expected = parse_context(context)
    source = io.BytesIO(ciphertext)
    try:
        plaintext, header = _client().decrypt(
            source=source, key_provider=master_key(key_hex, namespace, name)
        )
    except JobError:
        raise
    except Exception as err:
        raise JobError("decrypt failed: %s" % _describe(err))
    # The SDK stops reading at the end of the message and silently ignores
    # anything after it (the Java SDK refuses such input). We refuse it too,
    # so that a writer that appends junk is caught.
    if source.tell() != len(ciphertext):
        raise JobError(
            "decrypt: %d bytes after the end of the message (the SDK would ignore them)"
            % (len(ciphertext) - source.tell())
        )
    got = dict(header.encryption_context)
    for k, v in expected.items():
        if k not in got:
            raise JobError("decrypt: context key %r missing from message" % k)
        if got[k] != v:
            raise JobError(
                "decrypt: context key %r has %r in message, expected %r" % (k, got[k], v)
            )
    suite = SUITE_IDS.get(header.algorithm.algorithm_id, "%04x" % header.algorithm.algorithm_id)
    return plaintext, suite, got


def _read(path):
    with open(path, "rb") as f:
        return f.read()


def _write(path, data):
    """Write via a temporary file so a reader never sees a partial output."""
    tmp = "%s.tmp-%d" % (path, os.getpid())
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def _resolve(base, path):
    return path if os.path.isabs(path) else os.path.join(base, path)


def run_job(job, base="."):
    """One batch job (dict). Returns a dict describing the outcome."""
    op = job.get("op")
    try:
        if "name" not in job and "key_name" in job:  # vectors/manifest.json spelling
            job = dict(job, name=job["key_name"])
        for field in ("key_hex", "namespace", "name", "in", "out"):
            if not isinstance(job.get(field), str):
                raise JobError("job lacks string field %r" % field)
        data = _read(_resolve(base, job["in"]))
        if op == "encrypt":
            if not isinstance(job.get("frame_length"), int):
                raise JobError("encrypt job lacks integer field 'frame_length'")
            out = encrypt_bytes(
                data, job.get("suite"), job["key_hex"], job["namespace"], job["name"],
                job["frame_length"], job.get("context", {}),
            )
            _write(_resolve(base, job["out"]), out)
            return {"ok": True}
        if op == "decrypt":
            out, suite, ctx = decrypt_bytes(
                data, job["key_hex"], job["namespace"], job["name"], job.get("context", {})
            )
            if job.get("suite") is not None and job["suite"] != suite:
                raise JobError("decrypt: message suite %s, job expected %s" % (suite, job["suite"]))
            _write(_resolve(base, job["out"]), out)
            return {"ok": True, "suite": suite, "context": ctx}
        raise JobError("unknown op %r (want encrypt or decrypt)" % (op,))
    except (JobError, OSError) as err:
        return {"ok": False, "error": str(err)}


def cmd_batch(args):
    with open(args.manifest, "rb") as f:
        manifest = json.load(f)
    jobs = manifest["jobs"] if isinstance(manifest, dict) else manifest
    base = os.path.dirname(os.path.abspath(args.manifest))
    results, bad = [], 0
    for i, job in enumerate(jobs):
        res = run_job(job, base)
        expect = job.get("expect", "ok")
        res["id"] = job.get("id", i)
        res["expect"] = expect
        res["matched"] = res["ok"] == (expect == "ok")
        if not res["matched"]:
            bad += 1
            print(
                "job %s (%s): expected %s, got %s%s"
                % (res["id"], job.get("op"), expect, "ok" if res["ok"] else "fail",
                   (": " + res["error"]) if "error" in res else ""),
                file=sys.stderr,
            )
        results.append(res)
    text = json.dumps({"results": results, "mismatched": bad}, ensure_ascii=False, indent=1)
    if args.results:
        _write(args.results, text.encode("utf-8"))
    else:
        print(text)
    print("batch: %d jobs, %d matched, %d mismatched" % (len(jobs), len(jobs) - bad, bad), file=sys.stderr)
    return 1 if bad else 0


def quiet_sdk_logging():
    """The SDK logs tracebacks (e.g. "Error on closing") through logging on
    every failed decrypt; our own stderr message says what failed, so keep
    those quiet unless ESDK_PY_DEBUG is set."""
    if not os.environ.get("ESDK_PY_DEBUG"):
        logging.getLogger("aws_encryption_sdk").setLevel(logging.CRITICAL)


def main(argv=None):
    quiet_sdk_logging()
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)

    e = sub.add_parser("encrypt")
    e.add_argument("--suite", required=True, choices=sorted(SUITES))
    e.add_argument("--frame-length", required=True, type=int)
    d = sub.add_parser("decrypt")
    for sp in (e, d):
        sp.add_argument("--key-hex", required=True)
        sp.add_argument("--namespace", required=True)
        sp.add_argument("--name", required=True)
        sp.add_argument("--context-json", required=True)
        sp.add_argument("--in", dest="inp", required=True)
        sp.add_argument("--out", required=True)
    b = sub.add_parser("batch")
    b.add_argument("--manifest", required=True)
    b.add_argument("--results", help="write the results JSON here instead of stdout")

    args = p.parse_args(argv)
    try:
        if args.cmd == "batch":
            return cmd_batch(args)
        data = _read(args.inp)
        if args.cmd == "encrypt":
            out = encrypt_bytes(data, args.suite, args.key_hex, args.namespace, args.name,
                                args.frame_length, args.context_json)
        else:
            out, _suite, _ctx = decrypt_bytes(data, args.key_hex, args.namespace, args.name,
                                              args.context_json)
        _write(args.out, out)
        return 0
    except (JobError, OSError, ValueError, KeyError) as err:
        print("esdk.py %s: %s" % (args.cmd, err), file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
