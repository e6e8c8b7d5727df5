"""`coffer serve` over TLS.

`check_tls.py cert DIR`: writes DIR/cert.pem and DIR/key.pem, a self-signed P-256 certificate
for 127.0.0.1 and localhost (made with `cryptography`, which the SDK already depends on).
`check_tls.py check CERT`: boto3 over HTTPS (verifying against CERT) creates a key, encrypts
and decrypts; plain HTTP to the same port gets no answer. Environment as check_clients.py.
"""

import datetime
import ipaddress
import os
import sys
import urllib.request

import boto3
import botocore.config


def make_cert(directory):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "coffer serve test")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(
            [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    with open(os.path.join(directory, "cert.pem"), "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(os.path.join(directory, "key.pem"), "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))


def check(cert):
    endpoint = os.environ["COFFER_ENDPOINT"]
    assert endpoint.startswith("https://127.0.0.1:"), endpoint
    config = botocore.config.Config(retries={"max_attempts": 1, "mode": "standard"})
    kms = boto3.client("kms", endpoint_url=endpoint, region_name=os.environ["AWS_DEFAULT_REGION"],
                       verify=cert, config=config)
    key = kms.create_key(Description="over tls")["KeyMetadata"]["KeyId"]
    blob = kms.encrypt(KeyId=key, Plaintext=b"over tls", EncryptionContext={"t": "1"})["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=blob, EncryptionContext={"t": "1"})["Plaintext"] == b"over tls"
    print("ok 1: boto3 over HTTPS (certificate verified): CreateKey, Encrypt, Decrypt", flush=True)
    try:
        urllib.request.urlopen("http://" + endpoint[len("https://"):] + "/", data=b"{}", timeout=5)
        raise AssertionError("plain HTTP was answered on the TLS port")
    except AssertionError:
        raise
    except Exception:
        pass
    print("ok 2: plain HTTP to the TLS port gets no answer", flush=True)
    print("2 passed, 0 failed")


if __name__ == "__main__":
    if sys.argv[1] == "cert":
        make_cert(sys.argv[2])
    else:
        check(sys.argv[2])
