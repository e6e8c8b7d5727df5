#!/usr/bin/env python3
"""Pre-signed AWS KMS requests for the load run of `coffer serve` (benches/serve/run.sh).

Usage:
  presign.py prepare ENDPOINT STATE
      Creates a KMS key and 16 blobs of 32-byte plaintexts through ENDPOINT, checks that each
      blob decrypts to its plaintext, and writes the key id and blobs to STATE (JSON).
  presign.py sign ENDPOINT STATE OPERATION COUNT OUT
      Signs COUNT requests of OPERATION (encrypt: a fresh random 32-byte plaintext each;
      decrypt: the blobs of STATE in turn; generate-data-key: AES_256) for now, sends the first
      one through ENDPOINT and checks its answer, and writes all of them to OUT for
      replay.lua: each request as its length in bytes, a newline, then its bytes.

Credentials come from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_DEFAULT_REGION. A
signature stays valid while the request's date is within the server's allowed clock skew
(5 minutes, as AWS allows), so requests are signed right before they are replayed.

Python 3 standard library only: this is the one client of the run written in Python, and it
sends a handful of requests outside the measured time; the load itself comes from wrk.
"""

import base64
import datetime
import hashlib
import hmac
import http.client
import json
import os
import secrets
import sys
import urllib.parse

BLOBS = 16
PLAINTEXT_BYTES = 32


def hmac_sha256(key, data):
    return hmac.new(key, data.encode(), hashlib.sha256).digest()


def signed_request(endpoint, operation, body, keep_alive=True):
    """The bytes of one SigV4-signed KMS request (AWS JSON 1.1), dated now."""
    host = urllib.parse.urlsplit(endpoint).netloc
    key_id = os.environ["AWS_ACCESS_KEY_ID"]
    secret = os.environ["AWS_SECRET_ACCESS_KEY"]
    region = os.environ.get("AWS_DEFAULT_REGION", "us-east-1")
    now = datetime.datetime.now(datetime.timezone.utc)
    amz_date = now.strftime("%Y%m%dT%H%M%SZ")
    date = amz_date[:8]
    payload = json.dumps(body, separators=(",", ":")).encode()
    headers = {
        "content-type": "application/x-amz-json-1.1",
        "host": host,
        "x-amz-date": amz_date,
        "x-amz-target": "TrentService." + operation,
    }
    names = sorted(headers)
    canonical = "POST\n/\n\n{}\n{}\n{}".format(
        "".join(f"{n}:{headers[n]}\n" for n in names),
        ";".join(names),
        hashlib.sha256(payload).hexdigest(),
    )
    scope = f"{date}/{region}/kms/aws4_request"
    to_sign = f"AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
    key = ("AWS4" + secret).encode()
    for part in (date, region, "kms", "aws4_request"):
        key = hmac_sha256(key, part)
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    lines = ["POST / HTTP/1.1"]
    lines += [f"{n}: {headers[n]}" for n in names]
    lines.append(
        f"authorization: AWS4-HMAC-SHA256 Credential={key_id}/{scope}, "
        f"SignedHeaders={';'.join(names)}, Signature={signature}"
    )
    if not keep_alive:
        lines.append("connection: close")
    lines.append(f"content-length: {len(payload)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + payload


def send(endpoint, raw):
    """Sends one request's bytes on a fresh connection; the answer's status and JSON body."""
    parts = urllib.parse.urlsplit(endpoint)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        connection.connect()
        connection.sock.sendall(raw)
        response = http.client.HTTPResponse(connection.sock, method="POST")
        response.begin()
        body = response.read()
    finally:
        connection.close()
    try:
        return response.status, json.loads(body or b"null")
    except ValueError:
        return response.status, body


def call(endpoint, operation, body):
    status, answer = send(endpoint, signed_request(endpoint, operation, body, keep_alive=False))
    if status != 200:
        sys.exit(f"{endpoint}: {operation} answered {status}: {answer}")
    return answer


def prepare(endpoint, state_path):
    key_id = call(endpoint, "CreateKey", {"Description": "serve load run"})["KeyMetadata"]["KeyId"]
    blobs = []
    for _ in range(BLOBS):
        plaintext = base64.b64encode(secrets.token_bytes(PLAINTEXT_BYTES)).decode()
        blob = call(endpoint, "Encrypt", {"KeyId": key_id, "Plaintext": plaintext})["CiphertextBlob"]
        back = call(endpoint, "Decrypt", {"CiphertextBlob": blob})["Plaintext"]
        if back != plaintext:
            sys.exit(f"{endpoint}: a blob did not decrypt to its plaintext")
        blobs.append({"CiphertextBlob": blob, "Plaintext": plaintext})
    with open(state_path, "w") as f:
        json.dump({"KeyId": key_id, "Blobs": blobs}, f)


def bodies(state, operation, count):
    """(AWS operation, request body, check of the answer) for each request."""
    key_id = state["KeyId"]
    for i in range(count):
        if operation == "encrypt":
            plaintext = base64.b64encode(secrets.token_bytes(PLAINTEXT_BYTES)).decode()
            yield "Encrypt", {"KeyId": key_id, "Plaintext": plaintext}, lambda a: "CiphertextBlob" in a
        elif operation == "decrypt":
            blob = state["Blobs"][i % len(state["Blobs"])]
            yield "Decrypt", {"CiphertextBlob": blob["CiphertextBlob"]}, (
                lambda a, want=blob["Plaintext"]: a.get("Plaintext") == want
            )
        elif operation == "generate-data-key":
            yield "GenerateDataKey", {"KeyId": key_id, "KeySpec": "AES_256"}, (
                lambda a: len(base64.b64decode(a.get("Plaintext", ""))) == 32 and "CiphertextBlob" in a
            )
        else:
            sys.exit(f"unknown operation {operation!r}: encrypt, decrypt or generate-data-key")


def sign(endpoint, state_path, operation, count, out_path):
    with open(state_path) as f:
        state = json.load(f)
    with open(out_path, "wb") as out:
        for i, (name, body, check) in enumerate(bodies(state, operation, count)):
            raw = signed_request(endpoint, name, body)
            if i == 0:
                # The run measures answers that are right: the first request is sent once and
                # its answer checked (the measured ones count any status >= 400 as an error).
                status, answer = send(endpoint, raw)
                if status != 200 or not isinstance(answer, dict) or not check(answer):
                    sys.exit(f"{endpoint}: {name} answered {status}: {answer}")
            out.write(b"%d\n" % len(raw))
            out.write(raw)


def main(argv):
    if len(argv) == 3 and argv[0] == "prepare":
        prepare(argv[1], argv[2])
    elif len(argv) == 6 and argv[0] == "sign":
        sign(argv[1], argv[2], argv[3], int(argv[4]), argv[5])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
