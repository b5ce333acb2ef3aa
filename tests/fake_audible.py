"""A fake Audible at the HTTP boundary only: auth states and responses shaped like real ones.

The real ``audible.Client`` and ``Authenticator`` run against these through
respx, which intercepts both the client's requests and the module-level
``httpx.post`` the package uses for token refresh and deregistration.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import time
from functools import lru_cache
from typing import Any

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

LIBRARY_URL = re.compile(r"^https://api\.audible\.com/1\.0/library")
REFRESH_URL = "https://api.amazon.com/auth/token"
DEREGISTER_URL = "https://api.amazon.com/auth/deregister"


def _random(n: int) -> str:
    return secrets.token_urlsafe(n)


@lru_cache(maxsize=1)
def device_private_key() -> str:
    """A real RSA key, so the package's request signing runs for real."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode("ascii")


def fake_auth(*, signing: bool = True, expired: bool = False, locale: str = "us") -> dict[str, Any]:
    """An ``Authenticator.to_dict()``-shaped state with long random, obviously fake secrets."""
    b64 = base64.b64encode
    adp = (
        f"{{enc:{b64(secrets.token_bytes(48)).decode()}}}{{key:{b64(secrets.token_bytes(32)).decode()}}}"
        f"{{iv:{b64(secrets.token_bytes(16)).decode()}}}{{name:{b64(b'ADPTokenEncryptionKey').decode()}}}"
        "{serial:Mg==}"
    )
    return {
        "website_cookies": {"session-id": "FAKE-" + _random(18), "at-main": "Atza|FAKE" + _random(40)},
        "adp_token": adp if signing else None,
        "access_token": "Atna|FAKEACCESS" + _random(48),
        "refresh_token": "Atnr|FAKEREFRESH" + _random(48),
        "device_private_key": device_private_key() if signing else None,
        "store_authentication_cookie": {"cookie": "FAKESTORE" + _random(40)},
        "device_info": {
            "device_name": "Test Reader's 3rd Audible for iPhone",
            "device_serial_number": secrets.token_hex(16).upper(),
            "device_type": "A2CZJZGLK2JJVM",
        },
        "customer_info": {"name": "Test Reader", "user_id": "amzn1.account.FAKE" + secrets.token_hex(8)},
        "expires": time.time() + (-120 if expired else 3600),
        "locale_code": locale,
        "with_username": False,
        "activation_bytes": None,
    }


def secret_strings(auth: dict[str, Any]) -> list[str]:
    """The values no log, error or metadata may ever contain."""
    found = [auth["access_token"], auth["refresh_token"], auth["store_authentication_cookie"]["cookie"]]
    found += list(auth["website_cookies"].values())
    if auth.get("adp_token"):
        found.append(auth["adp_token"])
        body = "".join(auth["device_private_key"].splitlines()[1:-1])
        found.append(body[:64])
    return found


def library_item(n: int, *, percent: float = 0.0, finished: bool = False) -> dict[str, Any]:
    """One ``1.0/library`` item with the response groups the resource requests."""
    return {
        "asin": f"B0{n:08d}",
        "title": f"Title {n}",
        "subtitle": f"Book {n} of the Test Saga" if n % 3 == 0 else None,
        "authors": [{"asin": "B000AUTHOR", "name": f"Author {n % 7}"}],
        "narrators": [{"name": "Narrator One"}, {"name": "Narrator Two"}],
        "series": [{"asin": "B0SERIES00", "sequence": str(n), "title": "Test Saga", "url": "/pd/x"}]
        if n % 2
        else None,
        "runtime_length_min": 300 + n,
        "release_date": "2020-01-01",
        "purchase_date": "2021-01-25T12:43:44.103Z",
        "library_status": {"date_added": "2021-01-25T12:43:44.103Z", "is_pending": False},
        "is_finished": finished,
        "percent_complete": percent,
        "listening_status": {"is_finished": finished, "percent_complete": percent},
        "content_type": "Product",
    }


def library_page(items: list[dict[str, Any]], total: int) -> httpx.Response:
    return httpx.Response(
        200,
        headers={"total-count": str(total), "content-type": "application/json"},
        content=json.dumps({"items": items, "response_groups": ["always-returned"]}).encode(),
    )


class FakeLibrary:
    """A respx side effect serving a library of ``total`` titles page by page."""

    def __init__(self, total: int) -> None:
        self.items = [library_item(n, percent=(n * 7) % 100) for n in range(1, total + 1)]
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        page = int(request.url.params.get("page", "1"))
        size = int(request.url.params.get("num_results", "50"))
        chunk = self.items[(page - 1) * size : page * size]
        return library_page(chunk, len(self.items))


def refresh_response(new_token: str, expires_in: int = 3600) -> httpx.Response:
    return httpx.Response(
        200, json={"access_token": new_token, "expires_in": expires_in, "token_type": "bearer"}
    )


def new_access_token() -> str:
    return "Atna|FAKENEWACCESS" + _random(48)
