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
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

import httpx
from audible import Authenticator
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

LIBRARY_URL = re.compile(r"^https://api\.audible\.com/1\.0/library")
REFRESH_URL = "https://api.amazon.com/auth/token"
DEREGISTER_URL = "https://api.amazon.com/auth/deregister"
REGISTER_URL = "https://api.amazon.com/auth/register"
# The address Amazon's sign-in page ends on (what `auth login` asks to paste).
REDIRECT = (
    "https://www.amazon.com/ap/maplanding?openid.assoc_handle=amzn_audible_ios_us"
    "&openid.oa2.authorization_code=ANFAKEAUTHCODE0123456789&openid.mode=id_res"
)


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


# The keys a real ``1.0/library`` item carries, per response group, as listed
# by audible-cli's maintainer (audible-cli issue #109 and pull request #81)
# and seen in published whole items (audible-cli issue #115, others). A key of
# a requested group is present even when its value is null.
ALWAYS_RETURNED_KEYS = (
    "asin", "is_ayce", "is_removable_by_parent", "library_status", "purchase_date", "sku_lite", "status",
)  # fmt: skip
GROUP_KEYS: dict[str, tuple[str, ...]] = {
    "contributors": ("authors", "narrators", "publisher_name", "sku"),
    "media": (
        "available_codecs",
        "content_delivery_type",
        "content_type",
        "format_type",
        "has_children",
        "is_adult_product",
        "is_listenable",
        "is_purchasability_suppressed",
        "issue_date",
        "language",
        "merchandising_summary",
        "product_images",
        "publication_name",
        "release_date",
        "runtime_length_min",
        "social_media_images",
        "subtitle",
        "thesaurus_subject_keywords",
        "title",
        "voice_description",
    ),  # fmt: skip
    "product_details": ("isbn",),
    "series": ("series",),
    "is_finished": ("is_finished",),
    "percent_complete": ("percent_complete",),
    "listening_status": ("listening_status",),
}
RECORDED_PAGE = Path(__file__).parent / "resources" / "data" / "library_page.json"


def recorded_page() -> dict[str, Any]:
    """A ``1.0/library`` page built after published real responses.

    The titles, names and numbers are made up; the shapes are Audible's: every
    key of each requested group present, null where Audible sends null
    (subtitle, series, isbn, release_date, listening_status of an unstarted
    title, progress of a podcast parent), ``sequence`` "" for an unnumbered
    series entry, authors without an ASIN, float noise such as
    100.00000001 and 37.519999, ISBN-10 as well as ISBN-13.
    """
    return json.loads(RECORDED_PAGE.read_text(encoding="utf-8"))


def library_item(
    n: int, *, percent: float = 0.0, finished: bool = False, isbn: str | None = None
) -> dict[str, Any]:
    """One ``1.0/library`` item with every key of the response groups the resource requests."""
    started = percent > 0 or finished
    return {
        # always returned
        "asin": f"B0{n:08d}",
        "is_ayce": False,
        "is_removable_by_parent": True,
        "library_status": {
            "date_added": "2021-01-25T12:43:44.103Z",
            "is_pending": None,
            "is_preordered": None,
            "is_removable": None,
            "is_visible": None,
        },
        "purchase_date": "2021-01-25T12:43:44.103Z",
        "sku_lite": f"BK_TEST_{n:06d}",
        "status": "Active",
        # contributors
        "authors": [{"asin": "B000AUTHOR" if n % 4 else None, "name": f"Author {n % 7}"}],
        "narrators": [{"asin": None, "name": "Narrator One"}, {"asin": None, "name": "Narrator Two"}],
        "publisher_name": "Test Audio",
        "sku": f"BK_TEST_{n:06d}",
        # media
        "available_codecs": [
            {
                "enhanced_codec": "LC_64_44100_stereo",
                "format": "Enhanced",
                "is_kindle_enhanced": True,
                "name": "aax_44_64",
            }
        ],
        "content_delivery_type": "SinglePartBook",
        "content_type": "Product",
        "format_type": "unabridged",
        "has_children": False,
        "is_adult_product": False,
        "is_listenable": True,
        "is_purchasability_suppressed": False,
        "issue_date": "2020-01-01",
        "language": "english",
        "merchandising_summary": f"<p>Summary of title {n}.</p>",
        "product_images": {"500": f"https://m.media-amazon.com/images/I/test{n}._SL500_.jpg"},
        "publication_name": "Test Saga" if n % 2 else None,
        "release_date": "2020-01-01",
        "runtime_length_min": 300 + n,
        "social_media_images": None,
        "subtitle": f"Book {n} of the Test Saga" if n % 3 == 0 else None,
        "thesaurus_subject_keywords": ["literature-and-fiction"],
        "title": f"Title {n}",
        "voice_description": None,
        # product_details
        "isbn": isbn,
        # series
        "series": [{"asin": "B0SERIES00", "sequence": str(n), "title": "Test Saga", "url": "/pd/x"}]
        if n % 2
        else None,
        # is_finished, percent_complete, listening_status
        "is_finished": finished,
        "percent_complete": percent,
        "listening_status": {
            "finished_at_timestamp": "2022-03-04T05:06:07.890Z" if finished else None,
            "is_finished": finished,
            "percent_complete": percent,
            "time_remaining_seconds": 0 if finished else int((300 + n) * 60 * (1 - percent / 100)),
        }
        if started
        else None,
    }


def as_served(item: dict[str, Any], response_groups: str) -> dict[str, Any]:
    """The item as Audible sends it for these response groups: the other groups' keys are absent."""
    keys = set(ALWAYS_RETURNED_KEYS)
    for group in response_groups.split(","):
        keys.update(GROUP_KEYS.get(group.strip(), ()))
    return {k: v for k, v in item.items() if k in keys}


def library_page(items: list[dict[str, Any]], total: int) -> httpx.Response:
    return httpx.Response(
        200,
        headers={"total-count": str(total), "content-type": "application/json"},
        content=json.dumps(
            {"items": items, "response_groups": ["always-returned", *GROUP_KEYS, "product_attrs"]}
        ).encode(),
    )


class FakeLibrary:
    """A respx side effect serving a library page by page, as ``1.0/library`` does.

    ``max_page_size``: pages asked for with more titles than this are answered
    with ``too_large_status`` (Audible's 408 / 500 on pages it cannot serve in
    time). ``after_request``: request number → change applied to the library
    right after that request was answered (a title bought or removed while
    the sync pages).
    """

    def __init__(
        self,
        total: int = 0,
        items: list[dict[str, Any]] | None = None,
        *,
        max_page_size: int | None = None,
        too_large_status: int = 408,
    ) -> None:
        self.items = (
            items
            if items is not None
            else [library_item(n, percent=(n * 7) % 100) for n in range(1, total + 1)]
        )
        self.requests: list[httpx.Request] = []
        self.max_page_size = max_page_size
        self.too_large_status = too_large_status
        self.after_request: dict[int, Callable[[list[dict[str, Any]]], None]] = {}

    def page_sizes(self) -> list[int]:
        return [int(r.url.params["num_results"]) for r in self.requests]

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        page = int(request.url.params.get("page", "1"))
        size = int(request.url.params.get("num_results", "50"))
        if self.max_page_size is not None and size > self.max_page_size:
            response = httpx.Response(self.too_large_status, json={"message": "Request timed out"})
        else:
            groups = request.url.params.get("response_groups", "")
            chunk = [as_served(item, groups) for item in self.items[(page - 1) * size : page * size]]
            response = library_page(chunk, len(self.items))
        change = self.after_request.pop(len(self.requests), None)
        if change is not None:
            change(self.items)
        return response


def refresh_response(new_token: str, expires_in: int = 3600) -> httpx.Response:
    return httpx.Response(
        200, json={"access_token": new_token, "expires_in": expires_in, "token_type": "bearer"}
    )


def new_access_token() -> str:
    return "Atna|FAKENEWACCESS" + _random(48)


def register_response(auth: dict[str, Any]) -> httpx.Response:
    """Shaped like Amazon's /auth/register success reply."""
    return httpx.Response(
        200,
        json={
            "response": {
                "success": {
                    "tokens": {
                        "mac_dms": {
                            "adp_token": auth["adp_token"],
                            "device_private_key": auth["device_private_key"],
                        },
                        "bearer": {
                            "access_token": auth["access_token"],
                            "refresh_token": auth["refresh_token"],
                            "expires_in": "3600",
                        },
                        "website_cookies": [
                            {"Name": k, "Value": v} for k, v in auth["website_cookies"].items()
                        ],
                        "store_authentication_cookie": auth["store_authentication_cookie"],
                    },
                    "extensions": {
                        "device_info": auth["device_info"],
                        "customer_info": auth["customer_info"],
                    },
                }
            }
        },
    )


def auth_file(
    tmp_path: Path, auth: dict[str, Any], password: str | None = None, encryption: str = "json"
) -> Path:
    """An audible / audible-cli auth file written by the real package (plain or encrypted)."""
    path = tmp_path / "audible.json"
    real = Authenticator.from_dict(dict(auth))
    if password is None:
        real.to_file(path, encryption=False)
    else:
        real.to_file(path, password=password, encryption=encryption)
    return path
