"""`audible-tracker auth …`, `keygen` and `rotate-key`: connecting a real Audible account.

Credentials are obtained once here and stored encrypted in ``audible_config``;
syncs only ever reuse them. Each login registers a new device on the user's
Amazon account, which is why a sync never logs in and ``auth logout``
deregisters the device.

The Amazon password is typed into Amazon's own page in the user's browser
(external login): this program never sees it. An imported auth file's
password is used in memory to open the file and then dropped. Nothing printed
here contains a token, cookie, key or ciphertext.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from domain.accounts import DEFAULT_ACCOUNT
from resources.cipher import ENCRYPTION_KEY_ENV, Cipher, CipherError, DecryptionFailed, generate_key
from resources.queries import accounts as account_queries

LOCALES = ("us", "uk", "de", "fr", "ca", "it", "au", "in", "jp", "es", "br")
AMAZON_DEVICES_HINT = "Amazon → Account → Content and Devices → Devices"
# The long-running processes that run syncs and so hold the key list they started with.
SERVICES_HINT = (
    "the Dagster daemon and webserver (`sudo systemctl restart audible-tracker-daemon "
    "audible-tracker-webserver`) and any running `dagster dev`"
)


class CliError(Exception):
    """A problem to report in one line (to stderr) with exit code 1."""


def _engine():
    # Imported late: `keygen` must work without a database or its driver.
    from resources.postgres import get_engine

    return get_engine()


def _err(message: str) -> None:
    print(f"error: {message}", file=sys.stderr)


def _when(ts: float | datetime | None) -> str:
    if ts is None:
        return "never"
    moment = ts if isinstance(ts, datetime) else datetime.fromtimestamp(ts, timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def _relative(seconds: float) -> str:
    seconds = abs(seconds)
    if seconds < 90:
        return f"{int(seconds)} s"
    if seconds < 90 * 60:
        return f"{int(seconds // 60)} min"
    if seconds < 48 * 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.0f} days"


def _device_name(auth_data: dict[str, Any]) -> str | None:
    info = auth_data.get("device_info")
    name = info.get("device_name") if isinstance(info, dict) else None
    return name if isinstance(name, str) else None


def _store(account: str, auth: Any, cipher: Cipher) -> bool:
    """Encrypt and store an Authenticator's whole state; True if the account is new."""
    import sqlalchemy as sa

    data = auth.to_dict()
    blob = cipher.encrypt_json(data)
    try:
        with _engine().begin() as conn:
            return account_queries.store_auth(conn, account, data["locale_code"], blob)
    except sa.exc.DBAPIError as error:
        # Not the driver's message: a constraint error's detail quotes the row,
        # ciphertext included.
        raise CliError(
            f"could not store the credentials of account {account!r}: database error "
            f"({type(error.orig).__name__})"
        ) from None


def _usable(auth: Any) -> bool:
    return bool((auth.adp_token and auth.device_private_key) or auth.refresh_token)


# -- auth login ------------------------------------------------------------------


def _read_redirect_url(url: str) -> str:
    print(
        "\n1. Open this address in a browser and sign in to Amazon/Audible there"
        " (your password goes to Amazon only):\n\n"
        f"   {url}\n\n"
        "2. After signing in the browser shows an error page ('page not found'). That is expected.\n"
        "3. Copy the full address from the browser's address bar and paste it here.\n",
        flush=True,
    )
    try:
        answer = input("Address after sign-in: ").strip()
    except EOFError:
        answer = ""
    if not answer:
        raise CliError("no address pasted; run `audible-tracker auth login` again")
    return answer


def cmd_login(args: argparse.Namespace) -> int:
    import httpx
    from audible import Authenticator

    # Everything that can fail without Amazon is checked first: a login
    # registers a device, and failing afterwards would leave it orphaned.
    cipher = Cipher()
    with _engine().connect() as conn:
        existing = account_queries.get_account(conn, args.account)
    if existing is not None and existing.has_auth and not args.replace:
        raise CliError(
            f"account {args.account!r} already has stored credentials; run "
            f"`audible-tracker auth logout --account {args.account}` first (it deregisters the old "
            "device), or pass --replace to keep the old device registered"
        )
    try:
        auth = Authenticator.from_login_external(locale=args.locale, login_url_callback=_read_redirect_url)
    except CliError:
        raise
    except KeyError:
        raise CliError(
            "the pasted address has no authorization code; paste the whole address of the page shown "
            "after signing in (it contains 'openid.oa2.authorization_code')"
        ) from None
    except httpx.HTTPError as error:
        raise CliError(f"could not reach Amazon to register the device ({type(error).__name__})") from None
    except Exception:
        # register() raises a bare Exception with Amazon's JSON reply: not shown,
        # as it is not ours to vet for secrets.
        raise CliError(
            "Amazon refused the device registration; the sign-in code is single-use and expires "
            "within minutes: run `audible-tracker auth login` again"
        ) from None
    new = _store(args.account, auth, cipher)
    device = _device_name(auth.to_dict()) or "a new device"
    print(
        f"{'Stored' if new else 'Replaced'} credentials for account {args.account!r} "
        f"(marketplace {args.locale}, registered as {device!r}), encrypted with the newest key "
        f"of {ENCRYPTION_KEY_ENV}."
    )
    return 0


# -- auth import -----------------------------------------------------------------


def _read_password_file(path: Path) -> str:
    try:
        with path.expanduser().open(encoding="utf-8") as handle:
            password = handle.readline().rstrip("\r\n")
    except (OSError, UnicodeDecodeError) as error:
        reason = getattr(error, "strerror", None) or type(error).__name__
        raise CliError(f"cannot read the password file {path}: {reason}") from None
    if not password:
        raise CliError(f"the password file {path} is empty")
    return password


def _file_password(path: Path, args: argparse.Namespace) -> str | None:
    """The auth file's password: from --password-file, a prompt on a terminal, or standard input.

    ``--password`` still works, with a warning: a command line is visible to
    every local user (``ps``) and lands in shell history.
    """
    from audible.aescipher import detect_file_encryption

    try:
        encryption = detect_file_encryption(path)
    except OSError as error:
        raise CliError(f"cannot read {path}: {error.strerror or type(error).__name__}") from None
    if not isinstance(encryption, str):
        return None
    if args.password_file is not None:
        return _read_password_file(Path(args.password_file))
    if args.password is not None:
        print(
            "warning: --password is visible to other users of this machine and kept in shell history; "
            "use --password-file FILE, pipe the password on standard input, or type it at the prompt",
            file=sys.stderr,
        )
        return args.password
    if sys.stdin.isatty():
        return getpass.getpass(f"Password of {path.name}: ")
    password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        raise CliError(
            f"{path} is encrypted: give its password at the prompt (run in a terminal), "
            "with --password-file FILE, or on standard input"
        )
    return password


def cmd_import(args: argparse.Namespace) -> int:
    from audible import Authenticator

    path = Path(args.file).expanduser()
    if not path.is_file():
        raise CliError(f"{path} does not exist or is not a file")
    cipher = Cipher()
    password = _file_password(path, args)
    try:
        auth = Authenticator.from_file(path, password=password, locale=args.locale)
    except Exception:
        # Details of a failed decryption (padding, JSON position) help nobody
        # and could quote file content.
        reason = "wrong password, or " if password is not None else ""
        hint = "" if args.locale else "; if the file has no locale, pass --locale"
        raise CliError(f"cannot load {path}: {reason}not an audible / audible-cli auth file{hint}") from None
    if auth.locale is None:
        raise CliError(f"{path} names no marketplace; pass --locale (one of {', '.join(LOCALES)})")
    if not _usable(auth):
        raise CliError(
            f"{path} holds no device key and no refresh token, so it cannot authenticate; "
            "use `audible-tracker auth login` instead"
        )
    new = _store(args.account, auth, cipher)
    print(
        f"{'Imported' if new else 'Replaced'} credentials for account {args.account!r} from {path.name} "
        f"(marketplace {auth.locale.country_code}), encrypted with the newest key of {ENCRYPTION_KEY_ENV}.\n"
        "The device is shared with that file: `auth logout` deregisters it (and so invalidates the file) "
        "unless you pass --keep-device. The file itself can now be deleted."
    )
    return 0


# -- auth status -----------------------------------------------------------------


@dataclass(frozen=True)
class TokenState:
    """How stored credentials authenticate, as a sync will find them."""

    signing: bool  # adp token + device key: requests are signed, the access token is not sent
    has_refresh_token: bool
    expires: float | None  # the access token's expiry (epoch seconds), when recorded
    now: float

    @classmethod
    def of(cls, auth_data: dict[str, Any], now: float | None = None) -> TokenState:
        expires = auth_data.get("expires")
        return cls(
            signing=bool(auth_data.get("adp_token") and auth_data.get("device_private_key")),
            has_refresh_token=bool(auth_data.get("refresh_token")),
            expires=float(expires) if isinstance(expires, (int, float)) else None,
            now=datetime.now(timezone.utc).timestamp() if now is None else now,
        )

    @property
    def expired(self) -> bool:
        # The sync treats an unrecorded expiry as expired (and refreshes).
        return self.expires is None or self.expires <= self.now

    @property
    def usable(self) -> bool:
        return self.signing or self.has_refresh_token or not self.expired


def _expiry_text(state: TokenState) -> str:
    if state.expires is None:
        return "no expiry recorded"
    left = state.expires - state.now
    return f"{_when(state.expires)} ({'in ' + _relative(left) if left > 0 else 'expired ' + _relative(left) + ' ago'})"


def token_status(state: TokenState, account: str) -> str:
    """The 'access token' line of `auth status`: what the next sync will do with these credentials."""
    expiry = _expiry_text(state)
    if state.signing:
        return f"{expiry}; not needed: requests are signed with the device key"
    if state.has_refresh_token:
        if state.expires is None:
            return f"{expiry}; the next sync refreshes it first with the stored refresh token"
        if state.expired:
            return f"{expiry}; refreshed automatically before the next sync"
        return f"{expiry}; refreshed automatically when it expires"
    login = f"`audible-tracker auth login --account {account}`"
    if state.expired:  # expired, or no expiry recorded
        return f"{expiry} and no refresh token is stored: syncs fail until you run {login}"
    return f"{expiry}; no refresh token is stored: once it expires, syncs fail until you run {login}"


def _credential_lines(row: account_queries.AccountRow, cipher: Cipher) -> tuple[list[tuple[str, str]], bool]:
    """The credential lines of one account, and whether a sync can authenticate with them."""
    if not row.has_auth:
        return [("credentials", "none stored (`audible-tracker auth login` or `auth import`)")], True
    try:
        data = cipher.decrypt_json(row.auth_encrypted or "", row.account)
    except CipherError as error:
        return [("credentials", f"stored, encrypted, but unreadable: {error}")], False
    device = _device_name(data)
    newest = cipher.opens_with_newest_key(row.auth_encrypted or "")
    state = TokenState.of(data)
    return [
        ("credentials", "stored, encrypted" + (f" (device {device!r})" if device else "")),
        (
            "encryption",
            f"the newest key of {ENCRYPTION_KEY_ENV}"
            if newest
            else f"an older key of {ENCRYPTION_KEY_ENV}: run `audible-tracker rotate-key`",
        ),
        ("access token", token_status(state, row.account)),
    ], state.usable


def _print_block(lines: list[tuple[str, str]]) -> None:
    width = max(len(k) for k, _ in lines) + 1
    for key, value in lines:
        print(f"{key + ':':<{width}} {value}")


def cmd_status(args: argparse.Namespace) -> int:
    cipher = Cipher()
    with _engine().connect() as conn:
        rows = account_queries.list_accounts(conn)
        chosen = rows if args.all else [r for r in rows if r.account == args.account]
        last = {r.account: account_queries.last_sync(conn, r.account) for r in chosen}
    if not chosen:
        others = f"; accounts: {', '.join(r.account for r in rows)}" if rows else ""
        if args.all:
            raise CliError("no accounts yet. Connect one with `audible-tracker auth login`")
        raise CliError(f"no account {args.account!r}{others}. Connect one with `audible-tracker auth login`")
    code = 0
    for index, row in enumerate(chosen):
        lines = [
            ("account", row.account),
            ("marketplace", row.marketplace),
            ("source", row.source + ("" if row.enabled else " (sync disabled)")),
        ]
        credential_lines, usable = _credential_lines(row, cipher)
        lines += credential_lines
        code = code if usable else 1
        when = _when(row.last_sync_at)
        if last[row.account] is not None:
            status, started = last[row.account]  # type: ignore[misc]
            when += f" (last run: {status} at {_when(started)})"
        lines.append(("last sync", when))
        if index:
            print()
        _print_block(lines)
    return code


# -- auth logout -----------------------------------------------------------------


def _deregister(auth_data: dict[str, Any]) -> str | None:
    """Deregister the device; None on success, else a reason that contains no secret."""
    import httpx
    from audible import Authenticator

    state = TokenState.of(auth_data)
    if state.expired and not state.has_refresh_token:
        expiry = "has no recorded expiry" if state.expires is None else "has expired"
        return f"the access token {expiry} and no refresh token is stored, so Amazon cannot be asked"
    try:
        auth = Authenticator.from_dict(dict(auth_data))
        if state.expires is None:
            # The package cannot tell whether an access token without expiry is
            # still good: get a fresh one before asking.
            auth.refresh_access_token(force=True)
        auth.deregister_device()
    except httpx.HTTPStatusError as error:
        return f"Amazon answered HTTP {error.response.status_code} to the token refresh"
    except httpx.HTTPError as error:
        return f"network error ({type(error).__name__})"
    except Exception:
        # deregister() raises a bare Exception carrying Amazon's reply; not echoed.
        return "Amazon refused the deregistration"
    return None


def cmd_logout(args: argparse.Namespace) -> int:
    with _engine().connect() as conn:
        row = account_queries.get_account(conn, args.account)
    if row is None or not row.has_auth:
        print(f"No credentials stored for account {args.account!r}; nothing to do.")
        return 0
    device = None
    if args.keep_device:
        outcome = "device left registered (--keep-device)"
    else:
        try:
            data = Cipher().decrypt_json(row.auth_encrypted or "", row.account)
        except CipherError as error:
            outcome = f"could not deregister the device: {error}"
        else:
            device = _device_name(data)
            reason = _deregister(data)
            outcome = (
                f"deregistered the device {device!r} from Amazon"
                if reason is None
                else f"could not deregister the device ({reason})"
            )
    if outcome.startswith("could not"):
        name = f" {device!r}" if device else " (Audible for iPhone)"
        outcome += f"; remove it yourself under {AMAZON_DEVICES_HINT}:{name}"
    with _engine().begin() as conn:
        account_queries.delete_auth(conn, args.account)
    print(
        f"Deleted the stored credentials of account {args.account!r}; {outcome}. "
        "Mappings and sync history are kept."
    )
    return 0


# -- keys ------------------------------------------------------------------------


def cmd_keygen(args: argparse.Namespace) -> int:
    # The key alone on stdout, so `export VAR=$(audible-tracker keygen)` works.
    print(generate_key())
    print(
        f"Set it as {ENCRYPTION_KEY_ENV}. To rotate, put the new key first and keep the old one after it "
        f"({ENCRYPTION_KEY_ENV}=new,old), run `audible-tracker rotate-key`, then drop the old key.",
        file=sys.stderr,
    )
    return 0


def cmd_rotate_key(args: argparse.Namespace) -> int:
    cipher = Cipher()
    try:
        count = account_queries.rotate_all_auth(_engine(), cipher.rotate)
    except DecryptionFailed as error:
        raise CliError(f"{error}. Nothing was changed.") from None
    print(f"Re-encrypted the credentials of {count} account(s) with the newest key.")
    if cipher.key_count == 1:
        print(f"Only one key is configured: to rotate, set {ENCRYPTION_KEY_ENV}=new,old and run this again.")
        return 0
    print(
        f"Processes that run syncs keep the key list they started with. Set {ENCRYPTION_KEY_ENV} to the "
        "new key alone in their environment (e.g. /etc/audible-tracker/env) and in your shell, then "
        f"restart {SERVICES_HINT}. `audible-tracker auth status --all` then shows every account under "
        "the newest key."
    )
    return 0


# -- wiring ----------------------------------------------------------------------


def _guarded(func):
    """Turn expected failures into one line on stderr and exit code 1, never a traceback."""

    def run(args: argparse.Namespace) -> int:
        try:
            return func(args)
        except (CliError, CipherError) as error:
            _err(str(error))
            return 1

    run.__name__ = func.__name__
    run.__doc__ = func.__doc__
    return run


def _account_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--account", default=DEFAULT_ACCOUNT, help=f"account name in the tracker (default: {DEFAULT_ACCOUNT})"
    )


def add_auth_parsers(subparsers: Any) -> None:
    """Register `auth login|import|status|logout`, `keygen` and `rotate-key` on ``subparsers``."""
    auth = subparsers.add_parser("auth", help="connect, inspect or disconnect an Audible account")
    auth_commands = auth.add_subparsers(dest="auth_command", required=True, metavar="ACTION")

    login = auth_commands.add_parser(
        "login",
        help="sign in through your browser and register a device (the password never reaches this program)",
    )
    login.add_argument("--locale", default="us", choices=LOCALES, help="Audible marketplace (default: us)")
    login.add_argument(
        "--replace", action="store_true", help="replace stored credentials (the old device stays registered)"
    )
    _account_option(login)
    login.set_defaults(func=_guarded(cmd_login))

    imp = auth_commands.add_parser("import", help="store an existing audible / audible-cli auth file")
    imp.add_argument("file", metavar="FILE", help="the auth file (plain or password-encrypted)")
    password = imp.add_mutually_exclusive_group()
    password.add_argument(
        "--password-file",
        metavar="FILE",
        help="read the encrypted file's password from the first line of FILE "
        "(without either option: asked on a terminal, else read from standard input)",
    )
    password.add_argument(
        "--password",
        help="deprecated: visible to other local users and kept in shell history; use --password-file",
    )
    imp.add_argument("--locale", choices=LOCALES, help="marketplace, when the file does not name one")
    _account_option(imp)
    imp.set_defaults(func=_guarded(cmd_import))

    status = auth_commands.add_parser(
        "status", help="account, marketplace, key, token expiry and what the next sync will do, last sync"
    )
    _account_option(status)
    status.add_argument("--all", action="store_true", help="every stored account")
    status.set_defaults(func=_guarded(cmd_status))

    logout = auth_commands.add_parser(
        "logout", help="deregister the device (when possible) and delete the stored credentials"
    )
    logout.add_argument(
        "--keep-device",
        action="store_true",
        help="do not deregister (e.g. the device is shared with audible-cli)",
    )
    _account_option(logout)
    logout.set_defaults(func=_guarded(cmd_logout))

    keygen = subparsers.add_parser("keygen", help=f"print a new key for {ENCRYPTION_KEY_ENV}")
    keygen.set_defaults(func=_guarded(cmd_keygen))

    rotate = subparsers.add_parser(
        "rotate-key", help="re-encrypt every stored account with the newest key (the first one)"
    )
    rotate.set_defaults(func=_guarded(cmd_rotate_key))
