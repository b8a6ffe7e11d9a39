"""API tokens: made from a CSPRNG, shown once, stored only as a SHA-256 digest.

A token has 256 bits of entropy, so a fast unsalted digest is safe here and lets every request
find its token with one indexed lookup.
"""

import hashlib
import secrets

TOKEN_PREFIX = "cdk_"


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def token_display_prefix(token: str) -> str:
    return token[:12]
