"""A software passkey authenticator that speaks WebAuthn's wire format (packed "none"
attestation, ES256), so that the server's verification runs for real in tests."""
from __future__ import annotations

import hashlib
import json
import os
import struct
from dataclasses import dataclass, field

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url

UP, UV, AT = 0x01, 0x04, 0x40


@dataclass
class SoftAuthenticator:
    rp_id: str
    origin: str
    user_verifying: bool = True
    credentials: dict = field(default_factory=dict)  # credential id -> (private key, user handle, counter)

    def create(self, options: dict) -> dict:
        key = ec.generate_private_key(ec.SECP256R1())
        cred_id = os.urandom(32)
        user_handle = base64url_to_bytes(options["user"]["id"])
        self.credentials[cred_id] = [key, user_handle, 0]
        numbers = key.public_key().public_numbers()
        cose_key = cbor2.dumps({1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big")})
        auth_data = (hashlib.sha256(self.rp_id.encode()).digest() + bytes([UP | AT | (UV if self.user_verifying else 0)])
                     + struct.pack(">I", 0) + bytes(16) + struct.pack(">H", len(cred_id)) + cred_id + cose_key)
        client_data = self._client_data("webauthn.create", options["challenge"])
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        return {"id": bytes_to_base64url(cred_id), "rawId": bytes_to_base64url(cred_id), "type": "public-key",
                "response": {"clientDataJSON": bytes_to_base64url(client_data),
                             "attestationObject": bytes_to_base64url(attestation), "transports": ["internal"]},
                "clientExtensionResults": {}}

    def get(self, options: dict, cred_id: bytes | None = None, counter_step: int = 1) -> dict:
        cred_id = cred_id or next(iter(self.credentials))
        entry = self.credentials[cred_id]
        entry[2] += counter_step
        key, user_handle, counter = entry
        auth_data = (hashlib.sha256(self.rp_id.encode()).digest() + bytes([UP | (UV if self.user_verifying else 0)])
                     + struct.pack(">I", counter))
        client_data = self._client_data("webauthn.get", options["challenge"])
        signature = key.sign(auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256()))
        return {"id": bytes_to_base64url(cred_id), "rawId": bytes_to_base64url(cred_id), "type": "public-key",
                "response": {"clientDataJSON": bytes_to_base64url(client_data),
                             "authenticatorData": bytes_to_base64url(auth_data),
                             "signature": bytes_to_base64url(signature), "userHandle": bytes_to_base64url(user_handle)},
                "clientExtensionResults": {}}

    def _client_data(self, kind: str, challenge: str) -> bytes:
        return json.dumps({"type": kind, "challenge": challenge, "origin": self.origin,
                           "crossOrigin": False}).encode()
