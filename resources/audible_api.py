"""The Audible API source: stored encrypted credentials → every page of ``1.0/library``.

The ``audible`` package does the HTTP, request signing and token refresh
(``audible.Client`` / ``audible.Authenticator``). What it leaves to callers is
added here:

* a server 401/403 makes the package raise at once. With a bearer token we
  refresh it once and retry once, because an access token revoked early is
  the one case a refresh repairs; signed requests never send the access
  token, so there a refresh cannot help and the fetch fails at once;
* 429 and 5xx (and timeouts, network errors) are retried with bounded
  exponential backoff, then fail with a message that says what to do;
* a page that is too large for Audible to answer in time (408 at any size,
  any 5xx or timeout at 1,000 titles per page) is asked for again in smaller
  pages, down to a floor; the page size that worked goes into the sync log;
* the titles received are checked against the ``total-count`` header: a
  library that changed while it was being paged is read again, and a fetch
  that stays short fails rather than let the sync delete the missing titles;
* a refreshed token is written back, encrypted, straight away, so the next
  run (or this one, after a later failure) does not start from a stale
  token; the write is a compare-and-swap on the blob this fetch read, so a
  logout, login, import or key rotation meanwhile is never undone;
* every HTTP call to Audible is counted for the sync log.

Nothing here logs, raises or returns a token, cookie, key or ciphertext: an
``audible.Authenticator``'s repr dumps the whole auth state, so it never goes
near a log line or an exception message.
"""

from __future__ import annotations

import copy
import logging
import math
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import dagster as dg
import httpx
import sqlalchemy as sa
from audible import Authenticator, Client
from audible.client import raise_for_status
from audible.exceptions import (
    AudibleError,
    NetworkError,
    NoRefreshToken,
    NotResponding,
    RatelimitError,
    ServerError,
    StatusError,
    Unauthorized,
)

from domain.api_to_export import LIBRARY_RESPONSE_GROUPS, api_items_to_export
from resources.cipher import Cipher, CipherError
from resources.queries import accounts as account_queries

LIBRARY_ENDPOINT = "1.0/library"
REFRESH_ENDPOINT = "auth/token"
# The library endpoint's largest page.
MAX_PAGE_SIZE = 1000
# Page sizes tried, largest first, when Audible cannot answer a page in time
# (audible-cli's advice for 408s; a 500 at 1,000 per page is a known failure).
PAGE_SIZE_STEPS: tuple[int, ...] = (1000, 500, 250, 100, 50)
# Smallest page size the fetch shrinks to by default.
MIN_PAGE_SIZE = 50
# Full reads of the library before a fetch whose titles do not add up to
# Audible's total-count gives up.
MAX_COMPLETE_ATTEMPTS = 3
# 1,000 pages of 1,000 titles is far beyond any real library: reaching it means
# the server keeps returning full pages, and we stop rather than loop forever.
MAX_PAGES = 1000
# Longest single wait between retries, whatever Retry-After says: a sync that
# waits longer than this is better failed and retried by the next schedule tick.
MAX_BACKOFF_SECONDS = 60.0
# Longest piece of a server error message we repeat in our own message.
MAX_SERVER_MESSAGE = 200

_T = TypeVar("_T")
# Indirection so tests can observe waits without sleeping.
_sleep: Callable[[float], None] = time.sleep


class AudibleSourceError(RuntimeError):
    """A library fetch that failed; the message names account, endpoint, status and next step."""

    def __init__(
        self,
        message: str,
        *,
        account: str,
        endpoint: str | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(message)
        self.account = account
        self.endpoint = endpoint
        self.status = status
        # Calls made before the failure and the page size reached, for the
        # sync log; set by fetch_library.
        self.api_calls = 0
        self.page_size: int | None = None


class AudibleAuthMissing(AudibleSourceError):
    """No usable credentials are stored for the account."""


@dataclass(frozen=True)
class AudibleLibraryFetch:
    items: list[dict]  # export-shaped dicts, one per library title
    api_calls: int  # HTTP calls made to Audible for this fetch (incl. refresh)
    pages: int
    page_size: int  # titles per page of the read that was kept


def login_hint(account: str) -> str:
    return f"run `audible-tracker auth login --account {account}` (or `auth import`)"


def backoff_delay(
    attempt: int,
    base_seconds: float,
    retry_after: str | None = None,
    cap_seconds: float = MAX_BACKOFF_SECONDS,
) -> float:
    """Seconds to wait before retry number ``attempt`` (1, 2, …).

    Exponential (base, 2·base, 4·base, …), at least what a numeric Retry-After
    asks for, never more than ``cap_seconds``. ``base_seconds == 0`` disables
    waiting altogether (tests, and operators who prefer failing fast).
    """
    if base_seconds <= 0 or attempt < 1:
        return 0.0
    delay = base_seconds * (2 ** (attempt - 1))
    if retry_after:
        try:
            asked = float(retry_after)
        except ValueError:
            asked = 0.0  # an HTTP-date: rare from Audible, the exponential delay will do
        if math.isfinite(asked):
            delay = max(delay, asked)
    return min(delay, cap_seconds)


def total_backoff(max_retries: int, base_seconds: float, cap_seconds: float = MAX_BACKOFF_SECONDS) -> float:
    """The longest a call can spend waiting: the bound promised by 'bounded backoff'."""
    return sum(backoff_delay(n, base_seconds, cap_seconds=cap_seconds) for n in range(1, max_retries + 1))


def page_count(total: int | None, page_size: int) -> int | None:
    if total is None:
        return None
    return max(1, math.ceil(total / page_size))


def progress_message(page: int, fetched: int, total: int | None, page_size: int) -> str:
    """'page 2/5 fetched (2,000 of 4,321 titles)' — or without totals when the server gave none."""
    pages = page_count(total, page_size)
    if pages is None:
        return f"page {page} fetched ({fetched:,} titles so far)"
    return f"page {page}/{pages} fetched ({fetched:,} of {total:,} titles)"


def secret_values(auth_data: Mapping[str, Any]) -> list[str]:
    """Every string in the auth state long enough to be a credential."""
    found: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, str) and len(value) >= 8:
            found.append(value)
        elif isinstance(value, Mapping):
            for item in value.values():
                walk(item)
        elif isinstance(value, (list, tuple)):
            for item in value:
                walk(item)

    for key in ("access_token", "refresh_token", "adp_token", "device_private_key", "website_cookies",
                "store_authentication_cookie", "activation_bytes"):  # fmt: skip
        walk(auth_data.get(key))
    return found


def scrub(text: str, secrets: Iterable[str]) -> str:
    """Replace any credential that a server echoed back; cut to a readable length."""
    for secret in sorted(set(secrets), key=len, reverse=True):
        text = text.replace(secret, "[redacted]")
    text = " ".join(text.split())
    return text if len(text) <= MAX_SERVER_MESSAGE else text[: MAX_SERVER_MESSAGE - 1] + "…"


def _status_of(error: BaseException) -> int | None:
    if isinstance(error, StatusError):
        return error.code
    if isinstance(error, httpx.HTTPStatusError):
        return error.response.status_code
    return None


def _retry_after_of(error: BaseException) -> str | None:
    response = getattr(error, "response", None)
    if isinstance(response, httpx.Response):
        return response.headers.get("retry-after")
    return None


def _is_transient(error: BaseException) -> bool:
    if isinstance(error, (RatelimitError, ServerError, NotResponding, NetworkError)):
        return True
    if isinstance(error, httpx.TransportError):
        return True
    status = _status_of(error)
    return status is not None and (status in (408, 429) or status >= 500)


def _is_timeout(error: BaseException) -> bool:
    return isinstance(error, (NotResponding, httpx.TimeoutException))


def page_too_large(error: BaseException, page_size: int) -> bool:
    """Whether ``error`` says the page was too big to serve, so a smaller one may work."""
    status = _status_of(error)
    if status == 408:
        return True
    at_max = page_size >= MAX_PAGE_SIZE
    return at_max and ((status is not None and status >= 500) or _is_timeout(error))


def smaller_page_size(page_size: int, floor: int) -> int | None:
    """The next page size to try below ``page_size``; None at the floor."""
    for step in PAGE_SIZE_STEPS:
        if step < page_size:
            return max(step, floor) if max(step, floor) < page_size else None
    return None


def _database_error_summary(error: sa.exc.DBAPIError) -> str:
    """Class, SQLSTATE and constraint of a database error; never its message or detail.

    PostgreSQL puts row values into the detail of constraint errors ("Failing
    row contains …"), and that row holds the encrypted credentials.
    """
    original = error.orig
    diag = getattr(original, "diag", None)
    parts = [type(original).__name__]
    sqlstate = getattr(original, "sqlstate", None) or getattr(diag, "sqlstate", None)
    if sqlstate:
        parts.append(f"SQLSTATE {sqlstate}")
    constraint = getattr(diag, "constraint_name", None)
    if constraint:
        parts.append(f"constraint {constraint}")
    return ", ".join(parts)


def _describe(error: BaseException) -> str:
    if isinstance(error, NotResponding) or isinstance(error, httpx.TimeoutException):
        return "timed out"
    if isinstance(error, NetworkError) or isinstance(error, httpx.TransportError):
        return "network error"
    status = _status_of(error)
    return f"HTTP {status}" if status is not None else type(error).__name__


def load_authenticator(auth_data: Mapping[str, Any], account: str) -> Authenticator:
    """An Authenticator from stored state. ``from_dict`` mutates its input: give it a copy."""
    try:
        return Authenticator.from_dict(copy.deepcopy(dict(auth_data)))
    except (AttributeError, TypeError, ValueError, AudibleError) as error:
        # The package's validation messages name the field ("access_token:
        # Invalid token."), never its value.
        raise AudibleAuthMissing(
            f"the stored credentials for Audible account {account!r} are not valid audible "
            f"auth data ({error}); {login_hint(account)}",
            account=account,
        ) from None
    except Exception:
        # Locale lookups raise a bare Exception for an unknown marketplace.
        raise AudibleAuthMissing(
            f"the stored credentials for Audible account {account!r} name an unknown "
            f"marketplace; {login_hint(account)}",
            account=account,
        ) from None


def _access_token_expired(auth: Authenticator) -> bool:
    return auth.expires is None or auth.access_token_expired


class _PageTooLarge(Exception):
    """Internal: Audible could not serve a page of this size; the fetch shrinks it."""

    def __init__(self, error: BaseException) -> None:
        super().__init__(_describe(error))
        self.error = error


class _LibrarySession:
    """One fetch: the client, the call counter and the write-back of refreshed tokens."""

    def __init__(
        self,
        resource: AudibleResource,
        engine: sa.Engine,
        account: str,
        log: logging.Logger,
        cipher: Cipher,
        auth: Authenticator,
        marketplace: str,
        read_blob: str,
        secrets: list[str],
    ) -> None:
        self.resource = resource
        self.engine = engine
        self.account = account
        self.log = log
        self.cipher = cipher
        self.auth = auth
        # The stored ciphertext this fetch started from: the write-back only
        # replaces exactly this blob.
        self.read_blob: str | None = read_blob
        self.secrets = secrets
        self.calls = 0
        self.refreshed_after_401 = False
        self.page_size = resource.page_size
        try:
            self.client = Client(
                auth=auth,
                country_code=marketplace,
                timeout=resource.timeout_seconds,  # type: ignore[arg-type]  # httpx takes floats
                event_hooks={"request": [self._count_request]},
            )
        except Exception:
            raise AudibleSourceError(
                f"Audible account {account!r} has an unknown marketplace {marketplace!r}; "
                "use a locale code such as us, uk, de, fr, ca, it, au, in, jp, es or br",
                account=account,
            ) from None

    def _count_request(self, request: httpx.Request) -> None:
        self.calls += 1

    def close(self) -> None:
        self.client.close()

    @property
    def signing(self) -> bool:
        """Requests are signed with the device key; the access token is not sent."""
        return bool(self.auth.adp_token and self.auth.device_private_key)

    # -- errors ---------------------------------------------------------------

    def _fail(self, endpoint: str, error: BaseException, attempts: int, what_next: str) -> AudibleSourceError:
        detail = ""
        server_message = getattr(error, "error", None)
        if isinstance(server_message, str) and server_message.strip() and isinstance(error, StatusError):
            detail = f" ({scrub(server_message, self.secrets)})"
        tries = f" after {attempts} attempts" if attempts > 1 else ""
        return AudibleSourceError(
            f"Audible library fetch for account {self.account!r} failed: {endpoint} "
            f"returned {_describe(error)}{detail}{tries}; {what_next}",
            account=self.account,
            endpoint=endpoint,
            status=_status_of(error),
        )

    def _with_retries(
        self,
        endpoint: str,
        call: Callable[[], _T],
        too_large: Callable[[BaseException], bool] = lambda error: False,
    ) -> _T:
        """Run ``call``; retry rate limits, server errors and network trouble with backoff.

        An error ``too_large`` accepts is not retried at this size: it is
        raised as ``_PageTooLarge`` for the caller to ask for smaller pages.
        """
        retries = self.resource.max_retries
        attempt = 0
        while True:
            try:
                return call()
            except Exception as error:
                if too_large(error):
                    raise _PageTooLarge(error) from None
                if not _is_transient(error):
                    raise
                attempt += 1
                if attempt > retries:
                    raise self._fail(endpoint, error, attempt, _advice_after_retries(error)) from None
                delay = backoff_delay(attempt, self.resource.backoff_seconds, _retry_after_of(error))
                self.log.warning(
                    f"Audible {endpoint} returned {_describe(error)}; retry {attempt}/{retries} in {delay:.1f}s"
                )
                _sleep(delay)

    # -- tokens ---------------------------------------------------------------

    def refresh(self, reason: str) -> None:
        """Get a new access token (module-level httpx.post inside the package) and store it."""
        self.log.info(f"refreshing the Audible access token for account {self.account!r} ({reason})")

        def do_refresh() -> None:
            # Counted here: the refresh bypasses the client and its request hook.
            self.calls += 1
            self.auth.refresh_access_token(force=True)

        try:
            self._with_retries(REFRESH_ENDPOINT, do_refresh)
        except NoRefreshToken:
            raise AudibleAuthMissing(
                f"the stored credentials for Audible account {self.account!r} have no refresh "
                f"token, and the access token has expired; {login_hint(self.account)}",
                account=self.account,
                endpoint=REFRESH_ENDPOINT,
            ) from None
        except httpx.HTTPStatusError as error:
            raise self._fail(
                REFRESH_ENDPOINT,
                error,
                1,
                f"Audible refused to refresh the access token (the device may have been "
                f"deregistered); {login_hint(self.account)}",
            ) from None
        except (httpx.HTTPError, KeyError, ValueError) as error:
            raise AudibleSourceError(
                f"refreshing the Audible access token for account {self.account!r} failed "
                f"({type(error).__name__}); try again later or {login_hint(self.account)}",
                account=self.account,
                endpoint=REFRESH_ENDPOINT,
            ) from None
        self.persist()

    def persist(self) -> None:
        """Write the current auth state back, encrypted with the newest key, over the blob read.

        When the stored blob is no longer the one this fetch read, someone
        logged out, logged in, imported or rotated the key meanwhile: their
        state is newer, so it stays, and this fetch stops writing back.
        """
        data = self.auth.to_dict()
        self.secrets.extend(secret_values(data))
        if self.read_blob is None:
            return
        blob = self.cipher.encrypt_json(data)
        try:
            with self.engine.begin() as conn:
                stored = account_queries.update_auth(conn, self.account, self.read_blob, blob)
        except sa.exc.DBAPIError as error:
            raise AudibleSourceError(
                f"storing the refreshed Audible credentials of account {self.account!r} failed: "
                f"database error ({_database_error_summary(error)}); the stored credentials are "
                "unchanged and still work; check the database and try again",
                account=self.account,
                endpoint=REFRESH_ENDPOINT,
            ) from None
        if stored:
            self.read_blob = blob
            self.log.info(
                f"stored the refreshed Audible credentials for account {self.account!r} (encrypted)"
            )
            return
        self.read_blob = None
        self.log.warning(
            f"the stored credentials of account {self.account!r} changed during this sync "
            "(logout, login, import or key rotation): kept them, this sync's refreshed token is not stored"
        )

    def ensure_fresh_token(self) -> None:
        """Refresh an expired access token before the first call, when it is the one in use.

        With an adp token and device key the package signs requests and never
        sends the access token, so refreshing it would be a wasted call.
        """
        if self.signing:
            return
        expired = self.auth.access_token is None or _access_token_expired(self.auth)
        if self.auth.refresh_token and expired:
            self.refresh("access token expired")
            return
        if expired:
            raise AudibleAuthMissing(
                f"the stored credentials for Audible account {self.account!r} can no longer "
                f"authenticate (no device key and no refresh token); {login_hint(self.account)}",
                account=self.account,
            )

    # -- library ----------------------------------------------------------------

    def _request_page(self, page: int, page_size: int) -> tuple[Any, str | None]:
        def request() -> tuple[Any, str | None]:
            expires_before = self.auth.expires
            try:
                return self.client.get(
                    LIBRARY_ENDPOINT,
                    response_callback=_json_and_total,
                    num_results=page_size,
                    page=page,
                    response_groups=",".join(LIBRARY_RESPONSE_GROUPS),
                )
            finally:
                if self.auth.expires != expires_before:
                    # The package refreshed inside its auth flow (bearer mode,
                    # token expired mid-fetch): count that call, keep the token.
                    self.calls += 1
                    self.persist()

        floor = self.resource.page_size_floor
        return self._with_retries(
            LIBRARY_ENDPOINT,
            request,
            too_large=lambda error: page_size > floor and page_too_large(error, page_size),
        )

    def _refused(self, error: Unauthorized) -> None:
        """A 401/403: refresh once when that can help, else fail with the login advice."""
        if self.signing:
            # The signature is made with the device key and adp token; a new
            # access token changes nothing in the request Audible refused.
            raise self._fail(
                LIBRARY_ENDPOINT,
                error,
                1,
                f"Audible refuses this device's signed requests (it may have been deregistered); "
                f"{login_hint(self.account)}",
            ) from None
        if self.refreshed_after_401:
            raise self._fail(
                LIBRARY_ENDPOINT,
                error,
                1,
                f"Audible still refuses the credentials after a token refresh; {login_hint(self.account)}",
            ) from None
        self.log.warning(f"Audible {LIBRARY_ENDPOINT} returned HTTP {error.code}; refreshing once")
        self.refreshed_after_401 = True
        self.refresh(f"HTTP {error.code} from {LIBRARY_ENDPOINT}")

    def get_page(self, page: int, page_size: int) -> tuple[list[Any], int | None]:
        while True:
            try:
                body, total_header = self._request_page(page, page_size)
                break
            except Unauthorized as error:
                self._refused(error)
            except StatusError as error:
                raise self._fail(
                    LIBRARY_ENDPOINT,
                    error,
                    1,
                    "this is unexpected for the library request; check for an audible package update",
                ) from None
            except httpx.HTTPStatusError as error:
                # Only the package's own refresh (inside its auth flow) raises this.
                raise self._fail(
                    REFRESH_ENDPOINT,
                    error,
                    1,
                    f"Audible refused to refresh the access token; {login_hint(self.account)}",
                ) from None
            except AudibleError as error:
                raise AudibleSourceError(
                    f"Audible library fetch for account {self.account!r} failed: {LIBRARY_ENDPOINT} "
                    f"raised {type(error).__name__}; {login_hint(self.account)} if this persists",
                    account=self.account,
                    endpoint=LIBRARY_ENDPOINT,
                ) from None

        if not isinstance(body, Mapping) or not isinstance(body.get("items", []), list):
            raise AudibleSourceError(
                f"Audible library fetch for account {self.account!r}: {LIBRARY_ENDPOINT} page {page} "
                "is not the expected JSON object with an 'items' list; check for an audible package update",
                account=self.account,
                endpoint=LIBRARY_ENDPOINT,
            )
        total: int | None = None
        if total_header is not None:
            try:
                total = int(total_header)
            except ValueError:
                total = None
        return list(body.get("items") or []), total

    def _shrink(self, too_large: _PageTooLarge) -> None:
        smaller = smaller_page_size(self.page_size, self.resource.page_size_floor)
        if smaller is None:  # unreachable: _request_page does not shrink at the floor
            raise too_large.error
        self.log.warning(
            f"Audible {LIBRARY_ENDPOINT} returned {too_large} at {self.page_size:,} titles per page; "
            f"asking for pages of {smaller:,}"
        )
        self.page_size = smaller

    def read_library(self) -> _LibraryRead:
        """One pass over every page, shrinking the page size when Audible cannot serve it."""
        read = _LibraryRead()
        # Position of the next title to ask for: pages are numbered per page
        # size, so after a shrink the page holding this position is asked for;
        # titles it repeats are dropped by ASIN.
        position = 0
        while True:
            page = position // self.page_size + 1
            try:
                batch, page_total = self.get_page(page, self.page_size)
            except _PageTooLarge as too_large:
                self._shrink(too_large)
                continue
            read.pages += 1
            read.add(batch, page_total)
            position = page * self.page_size
            self.log.info(progress_message(page, read.received(position), read.total, self.page_size))
            # A short page is the last one; so is reaching the announced total.
            # Stopping on either saves the empty "page N+1" call.
            if len(batch) < self.page_size or (read.total is not None and position >= read.total):
                return read
            if read.pages >= MAX_PAGES:
                raise AudibleSourceError(
                    f"Audible library fetch for account {self.account!r}: more than {MAX_PAGES} full pages; "
                    "stopping rather than paging forever",
                    account=self.account,
                    endpoint=LIBRARY_ENDPOINT,
                )

    def fetch_all(self) -> AudibleLibraryFetch:
        self.ensure_fresh_token()
        pages = 0
        for attempt in range(1, MAX_COMPLETE_ATTEMPTS + 1):
            read = self.read_library()
            pages += read.pages
            shortfall = read.shortfall()
            if shortfall is None:
                if read.total is None:
                    self.log.info("Audible sent no total-count; the library's completeness cannot be checked")
                return AudibleLibraryFetch(
                    items=api_items_to_export(read.items),
                    api_calls=self.calls,
                    pages=pages,
                    page_size=self.page_size,
                )
            if attempt < MAX_COMPLETE_ATTEMPTS:
                self.log.warning(
                    f"the Audible library of account {self.account!r} changed while it was read "
                    f"({shortfall}); reading it again ({attempt + 1}/{MAX_COMPLETE_ATTEMPTS})"
                )
        raise AudibleSourceError(
            f"Audible library fetch for account {self.account!r} is incomplete after "
            f"{MAX_COMPLETE_ATTEMPTS} reads ({shortfall}): the library kept changing while it was "
            "read; nothing was changed, the next scheduled sync will try again",
            account=self.account,
            endpoint=LIBRARY_ENDPOINT,
        )


class _LibraryRead:
    """The titles of one pass over the library's pages, and the totals Audible announced."""

    def __init__(self) -> None:
        self.items: list[Any] = []
        self.asins: set[str] = set()
        self.totals: list[int] = []
        self.pages = 0

    @property
    def total(self) -> int | None:
        return self.totals[-1] if self.totals else None

    def received(self, position: int) -> int:
        return min(position, self.total) if self.total is not None else len(self.items)

    def add(self, batch: list[Any], page_total: int | None) -> None:
        if page_total is not None:
            self.totals.append(page_total)
        for item in batch:
            # A title bought while we page shifts the others by one: the same
            # ASIN then appears on two pages. Keep the first.
            asin = item.get("asin") if isinstance(item, Mapping) else None
            if isinstance(asin, str):
                if asin in self.asins:
                    continue
                self.asins.add(asin)
            self.items.append(item)

    def shortfall(self) -> str | None:
        """Why this pass cannot be trusted to hold every title, or None when it can.

        A total-count that moved between pages, or fewer distinct titles than
        announced, means a title was added or removed while paging and another
        one may have slid past a page boundary unseen. Keeping such a read
        would make the sync delete that title's snapshot row.
        """
        if not self.totals:
            return None
        if len(set(self.totals)) > 1:
            return f"total-count went from {self.totals[0]:,} to {self.totals[-1]:,} while paging"
        if len(self.items) < self.totals[-1]:
            return f"{len(self.items):,} distinct titles received of {self.totals[-1]:,} announced"
        return None


def _advice_after_retries(error: BaseException) -> str:
    status = _status_of(error)
    if status == 429:
        return "Audible is rate-limiting this account; wait a while or lower the schedule's frequency"
    if status == 408:
        return "Audible keeps timing out even on the smallest page; the next scheduled sync will try again"
    return "Audible seems unavailable; the next scheduled sync will try again"


def _json_and_total(response: httpx.Response) -> tuple[Any, str | None]:
    """Response callback: the package's status handling, plus the total-count header it drops."""
    raise_for_status(response)
    try:
        body = response.json()
    except ValueError:
        body = None
    return body, response.headers.get("total-count")


class AudibleResource(dg.ConfigurableResource):
    """The Audible API, with the account's encrypted credentials from ``audible_config``.

    ``encryption_key`` unset reads AUDIBLE_TRACKER_ENCRYPTION_KEY when a fetch
    starts (comma-separated keys, newest first). Set it, if at all, as
    ``dg.EnvVar(...)``: a literal value would be kept in every run's job
    snapshot and shown on the UI's Resources page. ``page_size`` is where a
    fetch starts; it shrinks towards ``min_page_size`` when Audible cannot
    serve pages that large.
    """

    encryption_key: str | None = None
    page_size: int = MAX_PAGE_SIZE
    min_page_size: int = MIN_PAGE_SIZE
    max_retries: int = 4
    backoff_seconds: float = 2.0
    timeout_seconds: float = 30.0

    @property
    def page_size_floor(self) -> int:
        """Smallest page the fetch shrinks to (never above the configured page size)."""
        return max(1, min(self.min_page_size, self.page_size))

    def fetch_library(self, engine: sa.Engine, account: str, log: logging.Logger) -> AudibleLibraryFetch:
        """Every page of the account's library, converted to export-shaped dicts."""
        if not 1 <= self.page_size <= MAX_PAGE_SIZE:
            raise AudibleSourceError(
                f"AudibleResource.page_size must be between 1 and {MAX_PAGE_SIZE}, got {self.page_size}",
                account=account,
            )
        with engine.connect() as conn:
            row = account_queries.get_account(conn, account)
        if row is None or not row.has_auth:
            raise AudibleAuthMissing(
                f"no Audible credentials are stored for account {account!r}; {login_hint(account)}",
                account=account,
            )
        try:
            cipher = Cipher(self.encryption_key)
            auth_data = cipher.decrypt_json(row.auth_encrypted or "", account)
        except CipherError as error:
            raise AudibleSourceError(str(error), account=account) from None
        auth = load_authenticator(auth_data, account)
        session = _LibrarySession(
            self,
            engine,
            account,
            log,
            cipher,
            auth,
            row.marketplace,
            row.auth_encrypted or "",
            secret_values(auth_data),
        )
        try:
            fetch = session.fetch_all()
        except AudibleSourceError as error:
            error.api_calls = session.calls
            error.page_size = session.page_size
            raise
        finally:
            session.close()
        log.info(
            f"fetched {len(fetch.items):,} titles for account {account!r} in {fetch.pages} "
            f"page(s) of up to {fetch.page_size:,} with {fetch.api_calls} Audible API call(s)"
        )
        return fetch


def account_has_stored_auth(engine: sa.Engine, account: str) -> bool:
    """Whether the account has credentials stored (the asset then uses the API source)."""
    with engine.connect() as conn:
        return account_queries.has_stored_auth(conn, account)
