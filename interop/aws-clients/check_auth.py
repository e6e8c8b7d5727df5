"""Refusals of `coffer serve`: unsigned, unknown access key, wrong secret, a session token,
replayed outside the clock skew, signed for another service or region, body changed after
signing, revoked key; and malformed requests (JSON, types, missing members, oversized bodies)
under a valid signature.

Requests are signed by botocore's own SigV4 signer (not Coffer's code) and sent raw, so each
answer's HTTP status and `__type` can be checked. Environment as check_clients.py, plus
COFFER_BIN and COFFER_HOME to revoke an access key at the end.
"""

import datetime
import json
import os
import subprocess
import urllib.request
import urllib.error

import botocore.auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

ENDPOINT = os.environ["COFFER_ENDPOINT"]
REGION = os.environ["AWS_DEFAULT_REGION"]
AKID = os.environ["AWS_ACCESS_KEY_ID"]
SECRET = os.environ["AWS_SECRET_ACCESS_KEY"]
checks = 0


def ok(what):
    global checks
    checks += 1
    print(f"ok {checks}: {what}", flush=True)


def send(op, body, akid=AKID, secret=SECRET, service="kms", region=REGION, skew=None, sign=True, after=None,
         content_type="application/x-amz-json-1.1", token=None):
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    req = AWSRequest(method="POST", url=ENDPOINT + "/", data=data,
                     headers={"X-Amz-Target": f"TrentService.{op}", "Content-Type": content_type})
    if sign:
        real = botocore.auth.get_current_datetime
        if skew is not None:
            botocore.auth.get_current_datetime = lambda: real() + skew
        try:
            botocore.auth.SigV4Auth(Credentials(akid, secret, token), service, region).add_auth(req)
        finally:
            botocore.auth.get_current_datetime = real
    if after is not None:
        data = after
    prepared = urllib.request.Request(ENDPOINT + "/", data=data, method="POST",
                                      headers={k: v for k, v in req.headers.items()})
    try:
        with urllib.request.urlopen(prepared, timeout=10) as r:
            return r.status, json.loads(r.read() or b"{}")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


def refused(status, code, answer, contains=None):
    got_status, body = answer
    assert (got_status, body.get("__type")) == (status, code), f"expected {status} {code}, got {got_status} {body}"
    if contains is not None:
        assert contains in body.get("message", ""), body
    return body


def main():
    status, body = send("ListKeys", {})
    assert status == 200 and "Keys" in body, (status, body)
    ok("a signed request is served")

    refused(400, "MissingAuthenticationTokenException", send("ListKeys", {}, sign=False))
    ok("unsigned: 400 MissingAuthenticationTokenException")

    refused(400, "UnrecognizedClientException", send("ListKeys", {}, akid="CFAKAAAAAAAAAAAAAAAA"))
    refused(400, "UnrecognizedClientException", send("ListKeys", {}, akid="cfak-not-an-id"))
    ok("unknown access key: 400 UnrecognizedClientException")

    wrong = SECRET[:-1] + ("A" if SECRET[-1] != "A" else "B")
    refused(400, "InvalidSignatureException", send("ListKeys", {}, secret=wrong), "does not match")
    ok("wrong secret: 400 InvalidSignatureException")

    refused(400, "InvalidSignatureException", send("ListKeys", {}, skew=datetime.timedelta(minutes=-6)),
            "Signature expired")
    refused(400, "InvalidSignatureException", send("ListKeys", {}, skew=datetime.timedelta(minutes=6)),
            "not yet current")
    status, _ = send("ListKeys", {}, skew=datetime.timedelta(minutes=-4))
    assert status == 200, status
    ok("outside the 5-minute clock skew (either way): 400 InvalidSignatureException; inside: served")

    refused(400, "UnrecognizedClientException", send("ListKeys", {}, token="FwoGZXIvYXdzEXAMPLETOKEN"),
            "session tokens are not supported")
    ok("a session token (signed by botocore, as temporary credentials are): 400 UnrecognizedClientException")

    refused(400, "InvalidSignatureException", send("ListKeys", {}, service="s3"), "correct service")
    other_region = "eu-west-3" if REGION != "eu-west-3" else "us-west-2"
    refused(400, "InvalidSignatureException", send("ListKeys", {}, region=other_region), "valid region")
    ok("signed for another service or region: 400 InvalidSignatureException")

    refused(400, "InvalidSignatureException",
            send("DescribeKey", {"KeyId": "alias/a"}, after=json.dumps({"KeyId": "alias/b"}).encode()))
    ok("body changed after signing: 400 InvalidSignatureException")

    refused(400, "SerializationException", send("ListKeys", b"{not json"))
    refused(400, "SerializationException", send("ListKeys", b"[1, 2]"))
    refused(400, "SerializationException", send("DescribeKey", {"KeyId": 42}))
    refused(400, "SerializationException", send("Encrypt", {"KeyId": "k", "Plaintext": "not base64!"}))
    refused(400, "ValidationException", send("DescribeKey", {}), "must not be null")
    refused(400, "ValidationException", send("GenerateDataKey", {"KeyId": "k", "NumberOfBytes": 99999}))
    refused(400, "ValidationException", send("ListKeys", {"Limit": 0}))
    refused(400, "NotFoundException", send("DescribeKey", {"KeyId": "alias/none"}))
    refused(400, "UnknownOperationException", send("DeleteEverything", {}))
    ok("malformed JSON, wrong types, missing or out-of-range members: Serialization/ValidationException")

    status, body = send("Encrypt", {"KeyId": "k", "Plaintext": "A" * (70 * 1024)})
    assert status == 413 and body.get("__type") == "RequestEntityTooLargeException", (status, body)
    ok("a body over 64 KiB: 413")

    status, body = send("ListKeys", {})
    assert status == 200, (status, body)
    ok("the server still serves after all of that")

    out = subprocess.run([os.environ["COFFER_BIN"], "access-key", "revoke", "--access-key-id", AKID],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    refused(400, "UnrecognizedClientException", send("ListKeys", {}))
    ok("revoked access key: 400 UnrecognizedClientException")

    print(f"{checks} passed, 0 failed")


if __name__ == "__main__":
    main()
