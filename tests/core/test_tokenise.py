"""JWE of the payment code (acquirer-api.md §3), decrypted with jwcrypto as the acquirer would."""
from __future__ import annotations

import pytest
from jwcrypto import jwe, jwk
from jwcrypto.common import json_decode

from terminal import signing
from terminal.codes import parse_payment_code
from terminal.tokenise import CredentialEncrypter

CODE = "281012345678901234"


@pytest.fixture(scope="module")
def acquirer_enc_key():
    return signing.generate_private_key()


def _decrypt(token: str, private_key) -> tuple[dict, bytes]:
    key = jwk.JWK.from_pem(signing.private_key_pem(private_key))
    obj = jwe.JWE()
    obj.deserialize(token, key=key)
    return json_decode(obj.objects["protected"]), obj.payload


def test_jwe_round_trip(acquirer_enc_key):
    enc = CredentialEncrypter(public_key_pem=signing.public_key_pem(acquirer_enc_key), kid="enc-key-7")
    token = enc.encrypt(parse_payment_code(CODE + "\r\n"))
    assert token.count(".") == 4  # compact serialisation: five parts
    assert CODE not in token
    header, plaintext = _decrypt(token, acquirer_enc_key)
    assert header == {"alg": "RSA-OAEP-256", "enc": "A256GCM", "kid": "enc-key-7"}
    assert plaintext == CODE.encode("ascii")


def test_two_encryptions_differ(acquirer_enc_key):
    enc = CredentialEncrypter(public_key_pem=signing.public_key_pem(acquirer_enc_key), kid="k")
    code = parse_payment_code(CODE)
    a, b = enc.encrypt(code), enc.encrypt(code)
    assert a != b
    assert _decrypt(a, acquirer_enc_key)[1] == _decrypt(b, acquirer_enc_key)[1] == CODE.encode()


def test_other_key_cannot_decrypt(acquirer_enc_key, other_key):
    enc = CredentialEncrypter(public_key_pem=signing.public_key_pem(acquirer_enc_key), kid="k")
    token = enc.encrypt(parse_payment_code(CODE))
    with pytest.raises(Exception):
        _decrypt(token, other_key)


def test_refuses_non_rsa_key():
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    pem = ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    with pytest.raises(ValueError, match="RSA"):
        CredentialEncrypter(public_key_pem=pem, kid="k")


def test_dropped_code_cannot_be_encrypted(acquirer_enc_key):
    enc = CredentialEncrypter(public_key_pem=signing.public_key_pem(acquirer_enc_key), kid="k")
    code = parse_payment_code(CODE)
    code.drop()
    with pytest.raises(RuntimeError):
        enc.encrypt(code)
