"""Random secrets and how they are kept: only a hash ever reaches the database."""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from cryptography.fernet import Fernet, InvalidToken
from flask import current_app


def new_token(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)


def token_hash(token: str) -> str:
    """For high-entropy tokens a plain SHA-256 is enough: there is nothing to guess."""
    return hashlib.sha256(token.encode()).hexdigest()


def keyed_hash(value: str, *, context: str) -> str:
    """For low-entropy secrets (6-digit codes): keyed with SECRET_KEY, so a copy of the
    database alone does not let anyone try the million codes offline."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"{context}:{value}".encode(), hashlib.sha256).hexdigest()


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def _fernet() -> Fernet:
    digest = hashlib.sha256(b"sourire-sealed-secrets:" + current_app.config["SECRET_KEY"].encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def seal(value: str) -> str:
    """Encrypt a secret that must be read back once (a code inside a message waiting to be sent)."""
    return _fernet().encrypt(value.encode()).decode()


def unseal(sealed: str) -> str | None:
    """The secret, or None when it cannot be read (another SECRET_KEY, or tampered)."""
    try:
        return _fernet().decrypt(sealed.encode()).decode()
    except InvalidToken:
        return None
