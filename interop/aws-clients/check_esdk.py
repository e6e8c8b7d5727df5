"""The AWS Encryption SDK for Python (4.0.7) with its KMS master key provider pointed at
`coffer serve` (AWS_ENDPOINT_URL_KMS): it encrypts and decrypts a message through the server,
decrypts a message `coffer encrypt-file` made, and leaves a message for `coffer decrypt-file`.

Environment as check_clients.py, plus COFFER_KEY_ARN (the key), COFFER_MESSAGE (a message by
`coffer encrypt-file`), COFFER_MESSAGE_PLAINTEXT (its plaintext), COFFER_ESDK_OUT (where to write
the SDK's message of COFFER_MESSAGE_PLAINTEXT's bytes).
"""

import os

import aws_encryption_sdk
from aws_encryption_sdk import CommitmentPolicy

os.environ["AWS_ENDPOINT_URL_KMS"] = os.environ["COFFER_ENDPOINT"]
ARN = os.environ["COFFER_KEY_ARN"]
checks = 0


def ok(what):
    global checks
    checks += 1
    print(f"ok {checks}: {what}", flush=True)


def main():
    client = aws_encryption_sdk.EncryptionSDKClient(commitment_policy=CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT)
    provider = aws_encryption_sdk.StrictAwsKmsMasterKeyProvider(key_ids=[ARN])
    ctx = {"tenant": "acme", "made-by": "python"}
    plaintext = os.urandom(100_000)
    message, header = client.encrypt(source=plaintext, key_provider=provider, encryption_context=ctx,
                                     frame_length=4096)
    edks = list(header.encrypted_data_keys)
    assert len(edks) == 1 and edks[0].key_provider.provider_id == "aws-kms", edks
    assert edks[0].key_provider.key_info.decode() == ARN, edks
    decrypted, dheader = client.decrypt(source=message, key_provider=provider)
    assert decrypted == plaintext
    assert all(dheader.encryption_context.get(k) == v for k, v in ctx.items())
    ok("the SDK's KMS provider: GenerateDataKey and Decrypt through coffer serve (100 kB, context)")

    with open(os.environ["COFFER_MESSAGE"], "rb") as f:
        coffer_message = f.read()
    with open(os.environ["COFFER_MESSAGE_PLAINTEXT"], "rb") as f:
        expected = f.read()
    decrypted, dheader = client.decrypt(source=coffer_message, key_provider=provider)
    assert decrypted == expected, "the plaintext of coffer encrypt-file's message differs"
    assert dheader.encryption_context.get("tenant") == "acme", dheader.encryption_context
    ok("a message made by coffer encrypt-file decrypts with the SDK through coffer serve")

    out, _ = client.encrypt(source=expected, key_provider=provider, encryption_context={"tenant": "acme"})
    with open(os.environ["COFFER_ESDK_OUT"], "wb") as f:
        f.write(out)
    ok("a message of the SDK's for coffer decrypt-file written")
    print(f"{checks} passed, 0 failed")


if __name__ == "__main__":
    main()
