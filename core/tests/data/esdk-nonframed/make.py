#!/usr/bin/env python3
"""Makes the legacy non-framed messages (content type 01) that core/tests/message_nonframed.rs
decrypts: the official Python AWS Encryption SDK (4.0.7) with frame_length=0, raw AES keyring
(RawMasterKey), both committing suites. Coffer never writes non-framed content; it reads it when
it fits the workspace. Run with the SDK installed (interop/esdk-python/setup.sh makes a venv):
    python make.py
"""
import aws_encryption_sdk
from aws_encryption_sdk import CommitmentPolicy
from aws_encryption_sdk.identifiers import Algorithm, EncryptionKeyType, WrappingAlgorithm
from aws_encryption_sdk.internal.crypto.wrapping_keys import WrappingKey
from aws_encryption_sdk.key_providers.raw import RawMasterKey

KEY = bytes([0x11] * 32)
PLAINTEXT = bytes(range(256)) * 4 + b"non-framed"
CONTEXT = {"purpose": "non-framed"}

key = RawMasterKey(
    provider_id="coffer-test",
    key_id=b"key-a",
    wrapping_key=WrappingKey(
        wrapping_algorithm=WrappingAlgorithm.AES_256_GCM_IV12_TAG16_NO_PADDING,
        wrapping_key=KEY,
        wrapping_key_type=EncryptionKeyType.SYMMETRIC,
    ),
)
client = aws_encryption_sdk.EncryptionSDKClient(commitment_policy=CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT)
suites = {
    "0478": Algorithm.AES_256_GCM_HKDF_SHA512_COMMIT_KEY,
    "0578": Algorithm.AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384,
}
for name, suite in suites.items():
    ct, header = client.encrypt(
        source=PLAINTEXT, key_provider=key, encryption_context=CONTEXT, algorithm=suite, frame_length=0
    )
    assert header.content_type.value == 1, header.content_type
    with open(f"{name}.ct", "wb") as f:
        f.write(ct)
with open("plaintext.bin", "wb") as f:
    f.write(PLAINTEXT)
