"""`audible-tracker tracker check|show|set`: the reader's tracker as the sync sees it, and its profile.

``check`` and ``show`` only look: they connect read-only and run no migrations, so they can be
pointed at a tracker before the first sync. ``set`` stores a tracker-wide setting (the words for
each reading state, the progress scale) in audible_tracker_profile, the same code path as the
Dagster job `update_tracker_profile`.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from typing import Any

from domain.tracker_profile import (
    SETTING_COLUMNS,
    SETTING_HELP,
    TrackerSettingError,
    check_lines,
    check_summary,
    parse_setting,
    refusal_text,
    settings_lines,
)


def _where(engine) -> str:
    url = engine.url
    return f"database {url.database!r} on {url.host or 'the local socket'}" + (
        f":{url.port}" if url.port else ""
    )


def _err(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 1


def _inspect() -> tuple[Any, Any, str]:
    from resources.postgres import read_only_engine
    from resources.queries import tracker_profile as q

    engine = read_only_engine()
    try:
        with engine.connect() as conn:
            return q.read_shape(conn), q.read_settings(conn), _where(engine)
    finally:
        engine.dispose()


def cmd_check(args: argparse.Namespace) -> int:
    shape, settings, where = _inspect()
    summary = check_summary(shape, settings)
    if args.json:
        print(json.dumps(summary, indent=2, default=str))
    else:
        print("\n".join(check_lines(shape, settings, where)))
    return 0 if summary["sync_can_run"] else 1


def cmd_show(args: argparse.Namespace) -> int:
    _, settings, _ = _inspect()
    if args.json:
        print(json.dumps({key: settings.configured(key) for key in SETTING_COLUMNS}, indent=2))
        return 0
    print("Tracker profile (change one with `audible-tracker tracker set KEY VALUE`):")
    print("\n".join(settings_lines(settings)))
    if settings.updated_by:
        print(f"  last changed {settings.updated_at:%Y-%m-%d %H:%M %Z} by {settings.updated_by}")
    return 0


def _person() -> str:
    try:
        return f"{getpass.getuser()} via audible-tracker tracker set"
    except Exception:  # no user name in some containers
        return "audible-tracker tracker set"


def cmd_set(args: argparse.Namespace) -> int:
    from resources.postgres import get_engine
    from resources.queries import tracker_profile as q

    try:
        if args.default:
            key = args.key.strip().lower()
            if key not in SETTING_COLUMNS:
                raise TrackerSettingError(
                    f"unknown tracker setting {args.key!r}; the settings are: {', '.join(SETTING_COLUMNS)}"
                )
            column, value = SETTING_COLUMNS[key], None
        elif args.value is None:
            return _err(f"give a value for {args.key} (or --default to go back to the default)")
        else:
            column, value = parse_setting(args.key, args.value)
        key = next(k for k, c in SETTING_COLUMNS.items() if c == column)
        with get_engine().begin() as conn:
            before, after = q.update_settings(conn, {column: value}, _person())
        with get_engine().connect() as conn:
            shape = q.read_shape(conn, migrated=True)
    except TrackerSettingError as error:
        return _err(str(error))
    old, new = before.configured(key), after.configured(key)
    if old == new:
        print(f"{key} is already {'the default' if new is None else repr(new)}; nothing changed")
    else:
        shown = {None: "the default"}
        print(f"{key}: {shown.get(old, repr(old))} → {shown.get(new, repr(new))}")
    blocking = refusal_text(shape, after)
    print("The sync can run." if blocking is None else f"The sync still cannot run: {blocking}")
    return 0


def _epilog() -> str:
    return "settings:\n" + "\n".join(f"  {key:<16} {help}" for key, help in SETTING_HELP.items())


def add_tracker_parsers(commands: Any) -> None:
    tracker = commands.add_parser(
        "tracker",
        help="what the sync reads and writes in your books table, and the words it uses there",
        description="Inspect the tracker's books table and show or change the tracker profile.",
        epilog=_epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = tracker.add_subparsers(dest="tracker_command", required=True, metavar="ACTION")

    check = actions.add_parser(
        "check",
        help="columns, id type, status words, progress scale and every incompatibility (writes nothing; "
        "exit 1 when the sync could not run)",
    )
    check.add_argument("--json", action="store_true", help="print JSON instead of text")
    check.set_defaults(func=cmd_check)

    show = actions.add_parser("show", help="print the stored tracker profile")
    show.add_argument("--json", action="store_true", help="print JSON (null: not configured)")
    show.set_defaults(func=cmd_show)

    change = actions.add_parser(
        "set",
        help="store one tracker-wide setting, e.g. `tracker set status.finished read`",
        epilog=_epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    change.add_argument("key", metavar="KEY", help=f"one of: {', '.join(SETTING_COLUMNS)}")
    change.add_argument("value", metavar="VALUE", nargs="?")
    change.add_argument(
        "--default", action="store_true", help="forget the setting: the default applies again"
    )
    change.set_defaults(func=cmd_set)
