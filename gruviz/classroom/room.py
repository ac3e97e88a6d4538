"""A class: a code for students, a secret link for the teacher, and who may see what.

The teacher's token and every student's token are ≥128 bits from `secrets`, stored
only as SHA-256 hashes and compared in constant time; a student's token opens only
that student's work. Whatever a link says, the server decides who is a teacher.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache

from ..errors import InputError
from ..text import _
from ..store import ClassInfo, Store, StudentInfo, Taken, now
from . import exercises

# No 0/O, 1/I/L: a code is read off a projector and typed on a phone.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 6
NAME_MAX = 40
WRONG_CODES_PER_MINUTE = {"session": 10, "address": 60}  # a whole class may share one school NAT address
DEFAULT_SEED = exercises.DEFAULT_SEED
_TOKEN = re.compile(r"[A-Za-z0-9_-]{20,64}")


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _position in range(CODE_LENGTH))


def new_token() -> str:
    return secrets.token_urlsafe(24)  # 192 bits


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def normal_code(text: str) -> str:
    """What a student typed as the code, the way the alphabet writes it."""
    return re.sub(r"[\s-]", "", str(text)).upper()[: 2 * CODE_LENGTH]


@dataclass(frozen=True)
class Created:
    info: ClassInfo
    teacher_token: str

    @property
    def code(self) -> str:
        return self.info.code


def create(store: Store, seed: int | None = None, per_student: bool = False, lesson: str = "") -> Created:
    """A new class; the teacher token is returned here once and never stored in clear."""
    seed = DEFAULT_SEED if seed is None else seed
    exercises.generate(seed)  # an unusable seed is refused now, not in front of the class
    for _attempt in range(20):
        token = new_token()
        try:
            info = store.create_class(new_code(), digest(token), seed, per_student, lesson)
        except Taken:  # a code already in use: draw again
            continue
        return Created(info, token)
    raise InputError(_("No free class code was found; end some old classes and try again."))


def teacher_class(store: Store, token: str | None) -> ClassInfo:
    """The class this teacher token opens; InputError in one sentence otherwise."""
    if not token or not _TOKEN.fullmatch(str(token)):
        raise InputError(_("The answers and the dashboard need the teacher link of this class."))
    # Looked up by its hash: the database never holds, compares or returns the token itself.
    info = store.class_by_teacher(digest(str(token)))
    if info is None:
        raise InputError(_("This teacher link opens no class: it was mistyped, or the class was deleted."))
    return info


def opens(info: ClassInfo, code: str | None) -> bool:
    """Whether a teacher of `info` may act on the class named `code` (a link may name another)."""
    return code is None or hmac.compare_digest(normal_code(code), info.code)


def display_name(text: str) -> tuple[str, str]:
    """A name as shown (NFC, spaces folded) and as compared: the hash of its casefolded NFKC form,
    a fixed length however far a letter expands when folded (ﷺ becomes 18 characters)."""
    name = " ".join(unicodedata.normalize("NFC", str(text)).split())
    if not name:
        raise InputError(_("Type a name to join: your first name or a nickname."))
    if len(name) > NAME_MAX:
        raise InputError(_("A name has at most {most} characters; yours has {count}.").format(most=NAME_MAX, count=len(name)))
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn") for ch in name):
        raise InputError(_("A name cannot hold control or invisible characters; type it again."))
    return name, digest(unicodedata.normalize("NFKC", name).casefold())


def _limited(store: Store, whos: dict[str, str]) -> None:
    since = now() - timedelta(minutes=1)
    for kind, who in whos.items():
        if store.failed_joins(who, since) >= WRONG_CODES_PER_MINUTE[kind]:
            raise InputError(_("Too many wrong class codes in the last minute. Wait a minute, then check the "
                                "code on the board."))


def _who(session: str, address: str | None) -> dict[str, str]:
    whos = {"session": digest(f"session:{session}")}
    if address:
        whos["address"] = digest(f"address:{address}")
    return whos


def find_class(store: Store, code: str, session: str, address: str | None = None) -> ClassInfo:
    """The open class with this code, counting wrong codes against the session and the address."""
    whos = _who(session, address)
    _limited(store, whos)
    typed = normal_code(code)
    info = store.class_by_code(typed) if len(typed) == CODE_LENGTH else None
    if info is None or info.ended:
        store.add_failed_join(list(whos.values()), now() - timedelta(minutes=10))
        if info is not None:
            raise InputError(_("This class has ended: ask your teacher for today's code."))
        raise InputError(_("No class has the code {code}: check it on the board ({length} letters and "
                           "digits).").format(code=typed[:CODE_LENGTH] or "—", length=CODE_LENGTH))
    return info


def join(store: Store, info: ClassInfo, name: str) -> tuple[str, StudentInfo]:
    """A new student of `info`; the token (for the student's link) is returned only here."""
    shown, key = display_name(name)
    for _attempt in range(5):
        token = new_token()
        try:
            return token, store.add_student(info.id, shown, key, digest(token))
        except Taken:
            if any(display_name(other.name)[1] == key for other in store.students(info.id)):
                raise InputError(_("Someone in this class already has the name {name}; add a letter or "
                                   "choose another.").format(name=shown)) from None
    raise InputError(_("Joining did not work this time; press Join again."))


def student(store: Store, token: str | None) -> tuple[StudentInfo, ClassInfo]:
    """The student this token opens, with their class; InputError in one sentence otherwise."""
    if not token or not _TOKEN.fullmatch(str(token)):
        raise InputError(_("This student link is damaged: join again with the class code."))
    found = store.student_by_token(digest(str(token)))
    info = None if found is None else store.class_by_id(found.class_id)
    if found is None or info is None:
        raise InputError(_("This student link opens no class: the class was deleted. Join again with the "
                           "code."))
    if info.ended:
        raise InputError(_("This class has ended: your teacher has its results."))
    return found, info


def variant_seed(info: ClassInfo, student_info: StudentInfo | None) -> int:
    """The seed of a student's numbers: the class's own, or one per student (neighbours differ)."""
    if not info.per_student or student_info is None:
        return info.exercise_seed
    mixed = hashlib.sha256(f"{info.exercise_seed}:{student_info.number}".encode()).digest()
    return int.from_bytes(mixed[:7], "big")


@lru_cache(maxsize=256)
def _exercise(seed: int, options: exercises.Options) -> exercises.Exercise:
    return exercises.generate(seed, options)


def exercise(info: ClassInfo, student_info: StudentInfo | None = None) -> exercises.Exercise:
    """The student's exercise. Variants keep the class exercise's shape, so the grid lines up."""
    base = _exercise(info.exercise_seed, exercises.Options())
    if not info.per_student or student_info is None:
        return base
    shape = exercises.Options(base.units, base.setup.weights.config.input_dim, base.steps, base.decimals,
                              base.setup.convention)
    return _exercise(variant_seed(info, student_info), shape)


def end(store: Store, info: ClassInfo) -> None:
    """End a class and delete every student's data now."""
    store.delete_class(info.id)


def purge(store: Store, days: float) -> int:
    """Delete classes (and all their students' data) created more than `days` ago."""
    return store.delete_classes_before(now() - timedelta(days=days))


def exercise_key(store: Store, query: str) -> str:
    """The teacher key of a stand-alone exercise link: an HMAC of its query under a server secret."""
    secret = store.setting("exercise_link_secret", lambda: secrets.token_hex(32))
    return hmac.new(bytes.fromhex(secret), query.encode(), hashlib.sha256).hexdigest()[:32]
