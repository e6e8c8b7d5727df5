"""The real AWS clients against `coffer serve`: boto3 and the AWS CLI (v1).

Run by cli/tests/serve.rs with the venv of setup.sh. Environment: COFFER_ENDPOINT (the
server's http://127.0.0.1:PORT), AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (from
`coffer access-key create`), AWS_DEFAULT_REGION (the store's region). Exits non-zero on the
first failed check; prints one line per check.
"""

import base64
import json
import os
import subprocess
import sys

import boto3
import botocore.config
from botocore.exceptions import ClientError

ENDPOINT = os.environ["COFFER_ENDPOINT"]
REGION = os.environ["AWS_DEFAULT_REGION"]
AWS = os.path.join(os.path.dirname(sys.executable), "aws")
checks = 0


def ok(what):
    global checks
    checks += 1
    print(f"ok {checks}: {what}", flush=True)


def expect_error(code, fn, *args, **kwargs):
    try:
        fn(*args, **kwargs)
    except ClientError as e:
        got = e.response["Error"]["Code"]
        assert got == code, f"expected {code}, got {got}: {e}"
        assert e.response["ResponseMetadata"]["HTTPStatusCode"] == 400, e.response
        return e
    raise AssertionError(f"expected {code}, the call succeeded")


def client():
    # No retries: a failure must show at once, not be retried away.
    config = botocore.config.Config(retries={"max_attempts": 1, "mode": "standard"})
    return boto3.client("kms", endpoint_url=ENDPOINT, region_name=REGION, config=config)


def boto3_checks():
    kms = client()
    key = kms.create_key(Description="boto3 key")["KeyMetadata"]
    assert key["KeyState"] == "Enabled" and key["KeyUsage"] == "ENCRYPT_DECRYPT", key
    assert key["Arn"] == f"arn:aws:kms:{REGION}:000000000000:key/{key['KeyId']}", key
    # botocore parsed the epoch seconds into a datetime.
    assert key["CreationDate"].year >= 2024, key
    key_id, arn = key["KeyId"], key["Arn"]
    ok("boto3 CreateKey")

    assert kms.describe_key(KeyId=arn)["KeyMetadata"]["KeyId"] == key_id
    keys = kms.list_keys()["Keys"]
    assert {"KeyId": key_id, "KeyArn": arn} in keys, keys
    ok("boto3 DescribeKey by ARN, ListKeys")

    kms.create_alias(AliasName="alias/boto3", TargetKeyId=key_id)
    aliases = kms.list_aliases(KeyId=key_id)["Aliases"]
    assert [a["AliasName"] for a in aliases] == ["alias/boto3"], aliases
    assert aliases[0]["AliasArn"] == f"arn:aws:kms:{REGION}:000000000000:alias/boto3", aliases
    expect_error("AlreadyExistsException", kms.create_alias, AliasName="alias/boto3", TargetKeyId=key_id)
    expect_error("NotFoundException", kms.describe_key, KeyId="alias/nope")
    ok("boto3 CreateAlias, ListAliases, AlreadyExists, NotFound")

    ctx = {"tenant": "acme", "purpose": "test"}
    enc = kms.encrypt(KeyId="alias/boto3", Plaintext=b"attack at dawn", EncryptionContext=ctx)
    assert enc["KeyId"] == arn and enc["EncryptionAlgorithm"] == "SYMMETRIC_DEFAULT", enc
    blob = enc["CiphertextBlob"]
    dec = kms.decrypt(CiphertextBlob=blob, EncryptionContext=dict(reversed(list(ctx.items()))))
    assert dec["Plaintext"] == b"attack at dawn" and dec["KeyId"] == arn, dec
    expect_error("InvalidCiphertextException", kms.decrypt, CiphertextBlob=blob, EncryptionContext={"tenant": "evil"})
    expect_error("InvalidCiphertextException", kms.decrypt, CiphertextBlob=blob)
    tampered = bytearray(blob)
    tampered[-1] ^= 1
    expect_error("InvalidCiphertextException", kms.decrypt, CiphertextBlob=bytes(tampered), EncryptionContext=ctx)
    expect_error("ValidationException", kms.encrypt, KeyId=key_id, Plaintext=b"x" * 4097)
    ok("boto3 Encrypt/Decrypt with a context; wrong context, no context, tampered, too long refused")

    dk = kms.generate_data_key(KeyId=key_id, KeySpec="AES_256", EncryptionContext=ctx)
    assert len(dk["Plaintext"]) == 32, dk
    assert kms.decrypt(CiphertextBlob=dk["CiphertextBlob"], EncryptionContext=ctx)["Plaintext"] == dk["Plaintext"]
    dk16 = kms.generate_data_key(KeyId=key_id, NumberOfBytes=16)
    assert len(dk16["Plaintext"]) == 16
    wp = kms.generate_data_key_without_plaintext(KeyId=key_id, KeySpec="AES_128")
    assert "Plaintext" not in wp and wp["KeyId"] == arn, wp
    assert len(kms.decrypt(CiphertextBlob=wp["CiphertextBlob"])["Plaintext"]) == 16
    assert len(kms.generate_random(NumberOfBytes=64)["Plaintext"]) == 64
    ok("boto3 GenerateDataKey (AES_256, 16 bytes), GenerateDataKeyWithoutPlaintext, GenerateRandom")

    other = kms.create_key(Description="destination")["KeyMetadata"]
    re = kms.re_encrypt(
        CiphertextBlob=blob,
        SourceEncryptionContext=ctx,
        DestinationKeyId=other["KeyId"],
        DestinationEncryptionContext={"moved": "yes"},
    )
    assert re["SourceKeyId"] == arn and re["KeyId"] == other["Arn"], re
    back = kms.decrypt(CiphertextBlob=re["CiphertextBlob"], EncryptionContext={"moved": "yes"})
    assert back["Plaintext"] == b"attack at dawn" and back["KeyId"] == other["Arn"]
    expect_error("IncorrectKeyException", kms.decrypt, CiphertextBlob=re["CiphertextBlob"],
                 EncryptionContext={"moved": "yes"}, KeyId=key_id)
    ok("boto3 ReEncrypt to another key and context; IncorrectKey")

    kms.enable_key_rotation(KeyId=key_id, RotationPeriodInDays=90)
    st = kms.get_key_rotation_status(KeyId=key_id)
    assert st["KeyRotationEnabled"] and st["RotationPeriodInDays"] == 90, st
    kms.rotate_key_on_demand(KeyId=key_id)
    rotations = kms.list_key_rotations(KeyId=key_id)["Rotations"]
    assert [r["RotationType"] for r in rotations] == ["ON_DEMAND"], rotations
    assert kms.decrypt(CiphertextBlob=blob, EncryptionContext=ctx)["Plaintext"] == b"attack at dawn"
    newer = kms.encrypt(KeyId=key_id, Plaintext=b"after")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=newer)["Plaintext"] == b"after"
    kms.disable_key_rotation(KeyId=key_id)
    assert not kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"]
    ok("boto3 rotation: enable (90 days), status, on demand, list; old blobs still decrypt")

    kms.update_key_description(KeyId=key_id, Description="renamed")
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["Description"] == "renamed"
    kms.disable_key(KeyId=key_id)
    expect_error("DisabledException", kms.encrypt, KeyId=key_id, Plaintext=b"x")
    kms.enable_key(KeyId=key_id)
    sched = kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    assert sched["KeyState"] == "PendingDeletion" and sched["PendingWindowInDays"] == 7, sched
    expect_error("KMSInvalidStateException", kms.decrypt, CiphertextBlob=newer)
    expect_error("ValidationException", kms.schedule_key_deletion, KeyId=other["KeyId"], PendingWindowInDays=3)
    assert kms.cancel_key_deletion(KeyId=key_id)["KeyId"] == arn
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Disabled"
    kms.enable_key(KeyId=key_id)
    ok("boto3 UpdateKeyDescription, Disable/EnableKey, ScheduleKeyDeletion, CancelKeyDeletion")

    kms.update_alias(AliasName="alias/boto3", TargetKeyId=other["KeyId"])
    assert kms.describe_key(KeyId="alias/boto3")["KeyMetadata"]["KeyId"] == other["KeyId"]
    kms.delete_alias(AliasName="alias/boto3")
    expect_error("NotFoundException", kms.describe_key, KeyId="alias/boto3")
    # Paging.
    for _ in range(3):
        kms.create_key()
    page = kms.list_keys(Limit=2)
    assert len(page["Keys"]) == 2 and page["Truncated"] and page["NextMarker"], page
    rest = kms.list_keys(Marker=page["NextMarker"])
    assert not rest["Truncated"] and len(rest["Keys"]) >= 3, rest
    paged = [k["KeyId"] for p in kms.get_paginator("list_keys").paginate(PaginationConfig={"PageSize": 2}) for k in p["Keys"]]
    assert len(paged) == len(set(paged)) == len(page["Keys"]) + len(rest["Keys"]), paged
    ok("boto3 UpdateAlias, DeleteAlias, ListKeys pages (Limit, Marker, paginator)")
    # A marker no list handed out: InvalidMarkerException, as AWS answers.
    expect_error("InvalidMarkerException", kms.list_keys, Marker="nonsense")
    expect_error("InvalidMarkerException", kms.list_aliases, Marker="not-an-alias")
    expect_error("InvalidMarkerException", kms.list_key_rotations, KeyId=key_id, Marker="x")
    ok("boto3 ListKeys, ListAliases, ListKeyRotations with a bad Marker: InvalidMarkerException")


def aws(*args, check=True):
    cmd = [AWS, "--endpoint-url", ENDPOINT, "--output", "json", "kms", *args]
    out = subprocess.run(cmd, capture_output=True, text=True)
    if check and out.returncode != 0:
        raise AssertionError(f"{' '.join(args)}: exit {out.returncode}: {out.stderr}")
    return out


def aws_json(*args):
    out = aws(*args).stdout
    return json.loads(out) if out.strip() else {}


def cli_checks(tmp):
    key = aws_json("create-key", "--description", "aws cli key")["KeyMetadata"]
    key_id, arn = key["KeyId"], key["Arn"]
    aws("create-alias", "--alias-name", "alias/cli", "--target-key-id", key_id)
    aliases = aws_json("list-aliases", "--key-id", key_id)["Aliases"]
    assert [a["AliasName"] for a in aliases] == ["alias/cli"], aliases
    ok("aws kms create-key, create-alias, list-aliases")

    plain = os.path.join(tmp, "plain.txt")
    with open(plain, "wb") as f:
        f.write(b"the aws cli says hello\n")
    enc = aws_json("encrypt", "--key-id", "alias/cli", "--plaintext", f"fileb://{plain}",
                   "--encryption-context", "tenant=acme,stage=test")
    assert enc["KeyId"] == arn, enc
    blob = os.path.join(tmp, "blob.bin")
    with open(blob, "wb") as f:
        f.write(base64.b64decode(enc["CiphertextBlob"]))
    dec = aws_json("decrypt", "--ciphertext-blob", f"fileb://{blob}", "--encryption-context", "stage=test,tenant=acme")
    assert base64.b64decode(dec["Plaintext"]) == b"the aws cli says hello\n", dec
    bad = aws("decrypt", "--ciphertext-blob", f"fileb://{blob}", "--encryption-context", "tenant=evil", check=False)
    assert bad.returncode != 0 and "(InvalidCiphertextException)" in bad.stderr, bad.stderr
    ok("aws kms encrypt / decrypt with a context; another context refused (InvalidCiphertextException)")

    dk = aws_json("generate-data-key", "--key-id", key_id, "--key-spec", "AES_256")
    assert len(base64.b64decode(dk["Plaintext"])) == 32
    wp = aws_json("generate-data-key-without-plaintext", "--key-id", key_id, "--number-of-bytes", "24")
    assert "Plaintext" not in wp
    with open(blob, "wb") as f:
        f.write(base64.b64decode(wp["CiphertextBlob"]))
    assert len(base64.b64decode(aws_json("decrypt", "--ciphertext-blob", f"fileb://{blob}")["Plaintext"])) == 24
    ok("aws kms generate-data-key, generate-data-key-without-plaintext (then decrypt)")

    other = aws_json("create-key")["KeyMetadata"]
    with open(blob, "wb") as f:
        f.write(base64.b64decode(enc["CiphertextBlob"]))
    re = aws_json("re-encrypt", "--ciphertext-blob", f"fileb://{blob}",
                  "--source-encryption-context", "tenant=acme,stage=test",
                  "--destination-key-id", other["KeyId"], "--destination-encryption-context", "moved=yes")
    assert re["KeyId"] == other["Arn"] and re["SourceKeyId"] == arn, re
    with open(blob, "wb") as f:
        f.write(base64.b64decode(re["CiphertextBlob"]))
    dec = aws_json("decrypt", "--ciphertext-blob", f"fileb://{blob}", "--encryption-context", "moved=yes")
    assert base64.b64decode(dec["Plaintext"]) == b"the aws cli says hello\n"
    ok("aws kms re-encrypt to another key and context")

    aws("enable-key-rotation", "--key-id", key_id)
    st = aws_json("get-key-rotation-status", "--key-id", key_id)
    assert st["KeyRotationEnabled"] is True and st["RotationPeriodInDays"] == 365, st
    aws("rotate-key-on-demand", "--key-id", key_id)
    rot = aws_json("list-key-rotations", "--key-id", key_id)["Rotations"]
    assert len(rot) == 1 and rot[0]["RotationType"] == "ON_DEMAND", rot
    ok("aws kms enable-key-rotation, get-key-rotation-status, rotate-key-on-demand, list-key-rotations")

    sched = aws_json("schedule-key-deletion", "--key-id", key_id, "--pending-window-in-days", "7")
    assert sched["KeyState"] == "PendingDeletion" and sched["PendingWindowInDays"] == 7, sched
    desc = aws_json("describe-key", "--key-id", "alias/cli")["KeyMetadata"]
    assert desc["KeyState"] == "PendingDeletion" and "DeletionDate" in desc, desc
    aws("cancel-key-deletion", "--key-id", key_id)
    ok("aws kms schedule-key-deletion, describe-key (PendingDeletion), cancel-key-deletion")

    random = aws_json("generate-random", "--number-of-bytes", "32")
    assert len(base64.b64decode(random["Plaintext"])) == 32
    text = aws("list-keys", "--query", "Keys[].KeyId", "--output", "text").stdout.split()
    assert key_id in text and other["KeyId"] in text, text
    ok("aws kms generate-random, list-keys --query")


if __name__ == "__main__":
    import tempfile

    boto3_checks()
    with tempfile.TemporaryDirectory() as tmp:
        cli_checks(tmp)
    print(f"{checks} passed, 0 failed")
