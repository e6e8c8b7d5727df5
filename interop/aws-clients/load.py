"""A bounded load test of `coffer serve` on loopback: THREADS boto3 clients, each with a key of
its own, run Encrypt / Decrypt / GenerateDataKey / ReEncrypt for SECONDS; every answer is checked
as it comes. Afterwards every blob made is decrypted again and compared with its plaintext, and
every key is described. Prints one JSON object (ops, ops/s, latency p50/p99 in ms, errors) and
exits non-zero on any error or mismatch.

Usage: load.py SECONDS THREADS   (environment as check_clients.py)
"""

import json
import os
import sys
import threading
import time

import boto3
import botocore.config

ENDPOINT = os.environ["COFFER_ENDPOINT"]
REGION = os.environ["AWS_DEFAULT_REGION"]


def client():
    config = botocore.config.Config(retries={"max_attempts": 1, "mode": "standard"}, max_pool_connections=4)
    return boto3.client("kms", endpoint_url=ENDPOINT, region_name=REGION, config=config)


def worker(n, key_id, deadline, out):
    kms = client()
    latencies, blobs, errors = [], [], []
    ctx = {"worker": str(n)}
    i = 0
    while time.monotonic() < deadline:
        i += 1
        t0 = time.perf_counter()
        try:
            kind = i % 4
            if kind == 0 or not blobs:
                plaintext = os.urandom(1 + (i * 97) % 4096)
                blob = kms.encrypt(KeyId=key_id, Plaintext=plaintext, EncryptionContext=ctx)["CiphertextBlob"]
                blobs.append((blob, plaintext, ctx))
            elif kind == 1:
                blob, plaintext, c = blobs[i % len(blobs)]
                got = kms.decrypt(CiphertextBlob=blob, EncryptionContext=c)["Plaintext"]
                if got != plaintext:
                    errors.append(f"worker {n}: Decrypt returned another plaintext")
            elif kind == 2:
                dk = kms.generate_data_key(KeyId=key_id, KeySpec="AES_256", EncryptionContext=ctx)
                blobs.append((dk["CiphertextBlob"], dk["Plaintext"], ctx))
            else:
                blob, plaintext, c = blobs[i % len(blobs)]
                new_ctx = {"worker": str(n), "re": str(i)}
                re = kms.re_encrypt(CiphertextBlob=blob, SourceEncryptionContext=c, DestinationKeyId=key_id,
                                    DestinationEncryptionContext=new_ctx)
                blobs.append((re["CiphertextBlob"], plaintext, new_ctx))
        except Exception as e:  # every failure counts
            errors.append(f"worker {n}: {type(e).__name__}: {e}")
        latencies.append(time.perf_counter() - t0)
    out[n] = (latencies, blobs, errors)


def main():
    seconds, threads = float(sys.argv[1]), int(sys.argv[2])
    setup = client()
    keys = [setup.create_key(Description=f"load {n}")["KeyMetadata"]["KeyId"] for n in range(threads)]
    out = {}
    deadline = time.monotonic() + seconds
    start = time.monotonic()
    pool = [threading.Thread(target=worker, args=(n, keys[n], deadline, out)) for n in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    elapsed = time.monotonic() - start
    latencies = sorted(x for n in out for x in out[n][0])
    errors = [e for n in out for e in out[n][2]]

    # Everything intact afterwards: each blob decrypts to its plaintext, each key is Enabled.
    verified = 0
    for n in out:
        for blob, plaintext, ctx in out[n][1]:
            got = setup.decrypt(CiphertextBlob=blob, EncryptionContext=ctx)
            if got["Plaintext"] != plaintext or got["KeyId"].split("/")[-1] != keys[n]:
                errors.append(f"worker {n}: a blob no longer decrypts to its plaintext")
            verified += 1
    for k in keys:
        if setup.describe_key(KeyId=k)["KeyMetadata"]["KeyState"] != "Enabled":
            errors.append(f"key {k} is not Enabled")

    def pct(p):
        return round(1000 * latencies[min(len(latencies) - 1, int(p * len(latencies)))], 2) if latencies else None

    report = {
        "Threads": threads,
        "Seconds": round(elapsed, 2),
        "Operations": len(latencies),
        "OpsPerSecond": round(len(latencies) / elapsed, 1),
        "P50Ms": pct(0.50),
        "P99Ms": pct(0.99),
        "Errors": len(errors),
        "BlobsVerified": verified,
        "Keys": len(keys),
    }
    print(json.dumps(report), flush=True)
    for e in errors[:20]:
        print(e, file=sys.stderr)
    sys.exit(1 if errors or not latencies else 0)


if __name__ == "__main__":
    main()
