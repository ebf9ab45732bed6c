#!/usr/bin/env python3
"""Verifies a token Warden issued (ExchangeToken) without Warden: against its JWKS, with `cryptography` only.

    verify_token.py --jwks https://warden.auth.svc/.well-known/jwks.json \
        --issuer https://warden.auth.svc --audience billing-api < token

Reads the token from standard input (so it stays out of the shell's history), prints its verified claims as JSON,
and exits 1 naming the problem when the token does not verify.
"""

import argparse
import base64
import json
import sys
import time
import urllib.request

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

LEEWAY_SECONDS = 5


def b64url(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def public_key(jwk: dict):
    if jwk.get("kty") == "EC" and jwk.get("crv") == "P-256":
        x, y = (int.from_bytes(b64url(jwk[c]), "big") for c in ("x", "y"))
        return ec.EllipticCurvePublicNumbers(x, y, ec.SECP256R1()).public_key()
    if jwk.get("kty") == "OKP" and jwk.get("crv") == "Ed25519":
        return Ed25519PublicKey.from_public_bytes(b64url(jwk["x"]))
    raise ValueError(f"unsupported key {jwk.get('kid')}: {jwk.get('kty')} {jwk.get('crv')}")


def verify(token: str, jwks: dict, issuer: str, audience: str) -> dict:
    try:
        header_segment, payload_segment, signature_segment = token.split(".")
        header = json.loads(b64url(header_segment))
    except ValueError as error:
        raise ValueError(f"not a compact JWT: {error}") from error
    # The algorithm comes from the key Warden published, never from the token alone.
    jwk = next((key for key in jwks["keys"] if key.get("kid") == header.get("kid")), None)
    if jwk is None:
        raise ValueError(f"unknown key {header.get('kid')}")
    if header.get("alg") != jwk.get("alg") or header.get("alg") not in ("ES256", "EdDSA"):
        raise ValueError(f"algorithm {header.get('alg')} does not fit key {jwk.get('kid')}")
    signed = f"{header_segment}.{payload_segment}".encode()
    signature = b64url(signature_segment)
    key = public_key(jwk)
    try:
        if header["alg"] == "ES256":
            if len(signature) != 64:
                raise InvalidSignature()
            r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
            key.verify(encode_dss_signature(r, s), signed, ec.ECDSA(hashes.SHA256()))
        else:
            key.verify(signature, signed)
    except InvalidSignature as error:
        raise ValueError("invalid signature") from error
    claims = json.loads(b64url(payload_segment))
    now = time.time()
    if claims.get("iss") != issuer:
        raise ValueError(f"wrong issuer {claims.get('iss')}")
    audiences = claims.get("aud")
    if audience not in (audiences if isinstance(audiences, list) else [audiences]):
        raise ValueError(f"wrong audience {audiences}")
    if not isinstance(claims.get("exp"), (int, float)) or claims["exp"] + LEEWAY_SECONDS <= now:
        raise ValueError("expired")
    if isinstance(claims.get("nbf"), (int, float)) and claims["nbf"] - LEEWAY_SECONDS > now:
        raise ValueError("not yet valid")
    return claims


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--jwks", required=True, help="URL of Warden's /.well-known/jwks.json")
    parser.add_argument("--issuer", required=True)
    parser.add_argument("--audience", required=True)
    args = parser.parse_args()
    with urllib.request.urlopen(args.jwks, timeout=5) as response:
        jwks = json.load(response)
    try:
        claims = verify(sys.stdin.read().strip(), jwks, args.issuer, args.audience)
    except ValueError as error:
        print(f"refused: {error}", file=sys.stderr)
        return 1
    print(json.dumps(claims, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
