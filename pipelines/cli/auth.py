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
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from domain.accounts import DEFAULT_ACCOUNT
from resources.cipher import ENCRYPTION_KEY_ENV, Cipher, CipherError, DecryptionFailed, generate_key
from resources.queries import accounts as account_queries

LOCALES = ("us", "uk", "de", "fr", "ca", "it", "au", "in", "jp", "es", "br")
AMAZON_DEVICES_HINT = "Amazon → Account → Content and Devices → Devices"


class CliError(Exception):
    """A problem to report in one line (to stderr) with exit code 1."""


def _engine():
    # Imported late: `keygen` must work without a database or its driver.
    from resources.database import get_engine

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
    data = auth.to_dict()
    blob = cipher.encrypt_json(data)
    with _engine().begin() as conn:
        return account_queries.store_auth(conn, account, data["locale_code"], blob)


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


def _file_password(path: Path, given: str | None) -> str | None:
    from audible.aescipher import detect_file_encryption

    try:
        encryption = detect_file_encryption(path)
    except OSError as error:
        raise CliError(f"cannot read {path}: {error.strerror or type(error).__name__}") from None
    if not isinstance(encryption, str):
        return None
    if given is not None:
        return given
    if not sys.stdin.isatty():
        raise CliError(f"{path} is encrypted: pass --password, or run interactively to be asked")
    return getpass.getpass(f"Password of {path.name}: ")


def cmd_import(args: argparse.Namespace) -> int:
    from audible import Authenticator

    path = Path(args.file).expanduser()
    if not path.is_file():
        raise CliError(f"{path} does not exist or is not a file")
    cipher = Cipher()
    password = _file_password(path, args.password)
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


def cmd_status(args: argparse.Namespace) -> int:
    with _engine().connect() as conn:
        row = account_queries.get_account(conn, args.account)
        names = [r.account for r in account_queries.list_accounts(conn)]
        last = account_queries.last_sync(conn, args.account) if row else None
    if row is None:
        others = f"; accounts: {', '.join(names)}" if names else ""
        raise CliError(f"no account {args.account!r}{others}. Connect one with `audible-tracker auth login`")
    lines = [
        ("account", row.account),
        ("marketplace", row.marketplace),
        ("source", row.source + ("" if row.enabled else " (sync disabled)")),
    ]
    code = 0
    if not row.has_auth:
        lines.append(("credentials", "none stored (`audible-tracker auth login` or `auth import`)"))
    else:
        try:
            data = Cipher().decrypt_json(row.auth_encrypted or "", row.account)
        except CipherError as error:
            lines.append(("credentials", f"stored, encrypted, but unreadable: {error}"))
            code = 1
        else:
            device = _device_name(data)
            lines.append(("credentials", "stored, encrypted" + (f" (device {device!r})" if device else "")))
            signing = bool(data.get("adp_token") and data.get("device_private_key"))
            expires = data.get("expires")
            if isinstance(expires, (int, float)):
                left = expires - datetime.now(timezone.utc).timestamp()
                state = f"in {_relative(left)}" if left > 0 else f"expired {_relative(left)} ago"
                renewal = (
                    "requests are signed with the device key; refreshed when needed"
                    if signing
                    else "refreshed automatically before the next sync"
                )
                lines.append(("access token", f"{_when(expires)} ({state}; {renewal})"))
            else:
                lines.append(("access token", "no expiry recorded"))
    when = _when(row.last_sync_at)
    if last is not None:
        when += f" (last run: {last[0]} at {_when(last[1])})"
    lines.append(("last sync", when))
    width = max(len(k) for k, _ in lines) + 1
    for key, value in lines:
        print(f"{key + ':':<{width}} {value}")
    return code


# -- auth logout -----------------------------------------------------------------


def _deregister(auth_data: dict[str, Any]) -> str | None:
    """Deregister the device; None on success, else a reason that contains no secret."""
    import httpx
    from audible import Authenticator

    try:
        auth = Authenticator.from_dict(dict(auth_data))
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
    if cipher.key_count > 1:
        print(f"The older key(s) can now be removed from {ENCRYPTION_KEY_ENV}.")
    else:
        print(f"Only one key is configured: to rotate, set {ENCRYPTION_KEY_ENV}=new,old and run this again.")
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
    imp.add_argument(
        "--password",
        help="password of an encrypted file (visible to other local users and in shell history: "
        "prefer being asked)",
    )
    imp.add_argument("--locale", choices=LOCALES, help="marketplace, when the file does not name one")
    _account_option(imp)
    imp.set_defaults(func=_guarded(cmd_import))

    status = auth_commands.add_parser("status", help="account, marketplace, token expiry, last sync")
    _account_option(status)
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
