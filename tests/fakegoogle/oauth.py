"""The OAuth 2.0 token endpoint and the fake's principals (service accounts, users).

Service accounts sign a JWT with their private key (RFC 7523 bearer grant); the fake checks
the signature against the public key registered for the account, as Google does. Authorized
users exchange an authorization code or a refresh token. Access tokens name their principal.
"""

from __future__ import annotations

import base64
import functools
import json
import secrets
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
TOKEN_LIFETIME = 3600


class OAuthError(Exception):
    """RFC 6749 error answer: `{"error": ..., "error_description": ...}`."""

    def __init__(self, code: int, error: str, description: str) -> None:
        self.code = code
        self.error = error
        self.description = description
        super().__init__(f"{code} {error}: {description}")

    def payload(self) -> dict[str, str]:
        return {"error": self.error, "error_description": self.description}


@dataclass
class Token:
    principal: str
    scopes: tuple[str, ...]
    expires_at: float
    subject: str | None = None  # the user impersonated with domain-wide delegation


@dataclass
class OAuthState:
    """Keys, users, and the access tokens issued; `clock` decides expiry."""

    clock: Callable[[], float] = time.time
    service_keys: dict[str, rsa.RSAPublicKey] = field(default_factory=dict)  # email -> key
    key_ids: dict[str, str] = field(default_factory=dict)  # email -> private_key_id
    refresh_tokens: dict[str, str] = field(default_factory=dict)  # token -> user email
    auth_codes: dict[str, tuple[str, tuple[str, ...]]] = field(default_factory=dict)
    clients: dict[str, str] = field(default_factory=dict)  # client_id -> secret
    tokens: dict[str, Token] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def register_service_account(self, email: str, public_pem: bytes, key_id: str) -> None:
        key = serialization.load_pem_public_key(public_pem)
        assert isinstance(key, rsa.RSAPublicKey)
        with self.lock:
            self.service_keys[email] = key
            self.key_ids[email] = key_id

    def approve(self, code: str, email: str, scopes: Sequence[str]) -> None:
        """The user said yes on the consent screen: `code` is exchangeable once."""
        with self.lock:
            self.auth_codes[code] = (email, tuple(scopes))

    def revoke(self, principal: str) -> None:
        """Delete a service account's key / a user's grant, and every token it holds."""
        with self.lock:
            self.service_keys.pop(principal, None)
            for rt, email in list(self.refresh_tokens.items()):
                if email == principal:
                    del self.refresh_tokens[rt]
            for tok, info in list(self.tokens.items()):
                if info.principal == principal:
                    del self.tokens[tok]

    def expire_tokens(self) -> None:
        """Make every issued access token expired (clients must refresh)."""
        with self.lock:
            for info in self.tokens.values():
                info.expires_at = 0

    def principal_of(self, authorization: str | None) -> Token | None:
        if not authorization or not authorization.startswith("Bearer "):
            return None
        with self.lock:
            info = self.tokens.get(authorization[7:].strip())
        if info is None or info.expires_at <= self.clock():
            return None
        return info

    def issue(self, principal: str, scopes: tuple[str, ...] = (),
              subject: str | None = None) -> dict[str, Any]:
        """A new access token for `principal` (the token endpoint's answer)."""
        token = "ya29.fake-" + secrets.token_urlsafe(24)
        with self.lock:
            self.tokens[token] = Token(principal, scopes, self.clock() + TOKEN_LIFETIME, subject)
        return {"access_token": token, "expires_in": TOKEN_LIFETIME - 1,
                "scope": " ".join(scopes), "token_type": "Bearer"}

    def grant(self, form: dict[str, str]) -> dict[str, Any]:
        """Answer one token request (form fields already decoded)."""
        kind = form.get("grant_type", "")
        if kind == JWT_GRANT:
            return self._jwt_grant(form.get("assertion", ""))
        if kind == "refresh_token":
            self._check_client(form)
            email = self.refresh_tokens.get(form.get("refresh_token", ""))
            if email is None:
                raise OAuthError(400, "invalid_grant", "Token has been expired or revoked.")
            return self.issue(email, tuple(form.get("scope", "").split()), None)
        if kind == "authorization_code":
            self._check_client(form)
            with self.lock:
                approved = self.auth_codes.pop(form.get("code", ""), None)
            if approved is None:
                raise OAuthError(400, "invalid_grant", "Malformed auth code.")
            email, scopes = approved
            answer = self.issue(email, scopes, None)
            refresh = "1//fake-" + secrets.token_urlsafe(24)
            with self.lock:
                self.refresh_tokens[refresh] = email
            return {**answer, "refresh_token": refresh}
        raise OAuthError(400, "unsupported_grant_type", f"Invalid grant_type: {kind}")

    def _check_client(self, form: dict[str, str]) -> None:
        cid = form.get("client_id", "")
        if cid not in self.clients or self.clients[cid] != form.get("client_secret"):
            raise OAuthError(401, "invalid_client", "The OAuth client was not found.")

    def _jwt_grant(self, assertion: str) -> dict[str, Any]:
        try:
            head_b64, body_b64, sig_b64 = assertion.split(".")
            header = json.loads(_b64decode(head_b64))
            claims = json.loads(_b64decode(body_b64))
            signature = _b64decode(sig_b64)
        except (ValueError, json.JSONDecodeError) as e:
            raise OAuthError(400, "invalid_grant", "Invalid JWT: malformed assertion") from e
        email = claims.get("iss", "")
        with self.lock:
            key = self.service_keys.get(email)
            key_id = self.key_ids.get(email)
        if key is None or header.get("alg") != "RS256" or header.get("kid") != key_id:
            raise OAuthError(400, "invalid_grant", "Invalid JWT Signature.")
        try:
            key.verify(signature, f"{head_b64}.{body_b64}".encode(), padding.PKCS1v15(),
                       hashes.SHA256())
        except InvalidSignature as e:
            raise OAuthError(400, "invalid_grant", "Invalid JWT Signature.") from e
        if float(claims.get("exp", 0)) < self.clock():
            raise OAuthError(400, "invalid_grant",
                             "Invalid JWT: Token must be a short-lived token (60 minutes)")
        return self.issue(email, tuple(str(claims.get("scope", "")).split()), claims.get("sub"))


def _b64decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


@functools.cache
def _rsa_key() -> rsa.RSAPrivateKey:
    # One key per test session (every key file still gets its own private_key_id, which the
    # token endpoint checks). 1024 bits: google-auth validates the key on every load, which
    # costs ~0.17 s at 2048 bits and ~0.03 s at 1024; the code paths are the same.
    return rsa.generate_private_key(public_exponent=65537, key_size=1024)


def new_service_account_key(
    email: str, token_uri: str, *, fresh: bool = False
) -> tuple[dict[str, str], bytes]:
    """A service-account key JSON (as the Cloud Console downloads it) and its public key PEM."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048) if fresh else _rsa_key()
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    project = email.split("@", 1)[1].split(".", 1)[0]
    info = {
        "type": "service_account",
        "project_id": project,
        "private_key_id": secrets.token_hex(20),
        "private_key": private_pem,
        "client_email": email,
        "client_id": str(secrets.randbelow(10**20)),
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": token_uri,
        "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
        "universe_domain": "googleapis.com",
    }
    return info, public_pem
