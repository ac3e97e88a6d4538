"""`python -m gruviz class`: start a class and download its results from a shell.

    python -m gruviz class create [--exercise SEED] [--variants same|per-student] [--lesson QUERY]
                                  [--base-url URL] [--db URL]
    python -m gruviz class results CODE --token T [--format csv|json] [--anonymize] [--db URL]

`create` prints {"code", "teacher_link", "student_link"}: the teacher link holds the class's
secret token, printed this once (the database keeps only its hash). `results` prints the
report the teacher's page downloads: CSV, or JSON of the same rows. The database is
GRUVIZ_DATABASE_URL, else SQLite in GRUVIZ_DATA_DIR, unless --db names one.
"""

from __future__ import annotations

import argparse
import sys
import urllib.parse

from ..errors import InputError
from ..text import _
from ..classroom import lesson, presets
from ..classroom.exercises import DEFAULT_SEED

DEFAULT_BASE_URL = "http://localhost:8501/"
VARIANTS = {"same": False, "per-student": True}


def add_to(commands) -> None:
    """Register `class` (with its actions `create` and `results`) on the CLI's subparsers."""
    group = commands.add_parser("class", help=_("start a class; print its results (CSV or JSON)"))
    actions = group.add_subparsers(dest="class_action", required=True, metavar="ACTION", title=_("actions"))
    create = actions.add_parser("create",
                                help=_("a new class: its code, the teacher link and the student link"))
    create.add_argument("--exercise", type=int, metavar="SEED",
                        help=_("the exercise's seed (default {seed})").format(seed=DEFAULT_SEED))
    create.add_argument("--variants", choices=list(VARIANTS), default="same",
                        help=_("per-student: each student gets other numbers of the same shape"))
    create.add_argument("--lesson", metavar="QUERY", help=_(
        "a gruviz link or query string to present, or a preset: {presets}").format(presets=", ".join(presets.BY_KEY)))
    create.add_argument("--base-url", default=DEFAULT_BASE_URL, metavar="URL", help=_(
        "the links' start (default {url}; '' for bare ?class=…)").format(url=DEFAULT_BASE_URL))
    create.add_argument("--db", metavar="URL", help=_("sqlite:///path or postgresql+psycopg://user@host/db"))
    results = actions.add_parser("results",
                                 help=_("every student's numbers, as the teacher's page gives them"))
    results.add_argument("code", help=_("the class code"))
    results.add_argument("--token", required=True,
                         help=_("the teacher link's token, or the whole link"))
    results.add_argument("--format", choices=("csv", "json"), default="csv")
    results.add_argument("--anonymize", action="store_true", help=_('"Student 3" instead of names'))
    results.add_argument("--db", metavar="URL", help=_("sqlite:///path or postgresql+psycopg://user@host/db"))


def _store(url: str | None):
    from ..store import Store, StoreUnavailable

    try:
        return Store(url)
    except StoreUnavailable:
        raise InputError(_("The class database is not answering: check that it runs and that --db or "
                           "GRUVIZ_DATABASE_URL names it.")) from None


def _lesson(text: str | None) -> str:
    """The lesson's query string, read as the teacher's page reads a pasted link; "" for none."""
    if not text or not text.strip():
        return ""
    if text.strip() in presets.BY_KEY:
        return lesson.preset_query(text.strip())
    return lesson.query_of(text)


def _base(url: str) -> str:
    if any(ch in url for ch in "?#") or any(ch.isspace() for ch in url):
        raise InputError(_("--base-url is the app's address without ?, # or spaces, such as "
                           "https://gruviz.example.org/."))
    return url


def link(base: str, **params: str) -> str:
    return f"{base}?{urllib.parse.urlencode(params)}"


# The class commands import the class store (SQLAlchemy, Alembic) when they run, so that
# every other command starts without it.
def run_create(args: argparse.Namespace) -> dict:
    from ..classroom import room
    from ..store import StoreUnavailable

    base = _base(args.base_url)
    lesson = _lesson(args.lesson)
    store = _store(args.db)
    try:
        created = room.create(store, args.exercise, VARIANTS[args.variants], lesson)
    except StoreUnavailable:
        raise InputError(_("The class database stopped answering; no class was created.")) from None
    code = created.code
    return {"code": code, "teacher_link": link(base, **{"class": code, "teacher": created.teacher_token}),
            "student_link": link(base, **{"class": code})}


def _token(text: str) -> str:
    """The token itself, also when the whole teacher link was pasted."""
    text = str(text).strip()
    if "teacher=" in text:
        found = urllib.parse.parse_qs(urllib.parse.urlsplit(text).query or text.lstrip("?")).get("teacher")
        return found[0] if found else ""
    return text


def _write(text: str) -> None:
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:  # the reader (head, less) left early; that is not an error
        sys.stderr.close()


def run_results(args: argparse.Namespace) -> list[dict]:
    from ..classroom import report, room
    from ..store import StoreUnavailable

    store = _store(args.db)
    try:
        info = room.teacher_class(store, _token(args.token))
        if not room.opens(info, args.code):
            typed = room.normal_code(args.code)[: room.CODE_LENGTH] or "—"
            raise InputError(_("This teacher token is for another class, not {code}: use the teacher link of "
                               "that class.").format(code=typed))
        records = report.rows(store, info, args.anonymize)
    except StoreUnavailable:
        raise InputError(_("The class database stopped answering; try again when it is back.")) from None
    if args.format == "json":
        return records
    # The CLI prints a command's result as JSON; a CSV is written as it is and ends the run here.
    _write(report.to_csv(records))
    raise SystemExit(0)


def run_class(args: argparse.Namespace):
    return {"create": run_create, "results": run_results}[args.class_action](args)


COMMANDS = {"class": run_class}
