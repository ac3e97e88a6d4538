"""Reading and writing a class's rows. Plain data in, frozen dataclasses out: nothing
here knows what a GRU is, and every call is one short transaction, so a class of 30
typing at once never holds a lock for long.

A database that does not answer raises `StoreUnavailable`; a broken promise of the
schema (a name or a code already taken) raises `Taken`.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, fields
from datetime import datetime, timezone

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from .engine import StoreUnavailable, engine_for, unavailable_message
from .schema import AnswerRow, ClassRow, FailedJoinRow, RevealRow, SettingRow, StudentRow


class Taken(ValueError):
    """A unique value (a class code, a name in a class, a token) is already in use."""


def now() -> datetime:
    return datetime.now(timezone.utc)


def _aware(moment: datetime | None) -> datetime | None:
    """SQLite gives back naive times; every time gruviz stores is UTC."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=timezone.utc)


def _utc(moment: datetime) -> datetime:
    """A time as gruviz stores it: UTC (SQLite keeps the clock reading and drops the offset)."""
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


@dataclass(frozen=True)
class ClassInfo:
    id: int
    code: str
    exercise_seed: int
    per_student: bool
    lesson: str
    reveal_allowed: bool
    follow: bool
    follow_step: int
    follow_stage: int
    follow_reveal: bool
    created_at: datetime
    ended_at: datetime | None

    @property
    def ended(self) -> bool:
        return self.ended_at is not None


@dataclass(frozen=True)
class StudentInfo:
    id: int
    class_id: int
    name: str
    number: int
    joined_at: datetime


@dataclass(frozen=True)
class Answer:
    student_id: int
    cell: str
    typed: str
    status: str
    mistake_id: str
    at: datetime


@dataclass(frozen=True)
class Reveal:
    student_id: int
    cell: str
    at: datetime


def _info(kind, row):
    values = {f.name: getattr(row, f.name) for f in fields(kind)}
    return kind(**{k: _aware(v) if isinstance(v, datetime) else v for k, v in values.items()})


def _guarded(method):
    """Turn any database failure into StoreUnavailable, said for a person."""
    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except IntegrityError:
            raise Taken(method.__name__) from None
        except SQLAlchemyError as error:
            raise StoreUnavailable(unavailable_message(error)) from None
    return wrapper


class Store:
    """One database's classes. Cheap to make: the engine is shared per URL and process."""

    def __init__(self, url: str | None = None):
        try:
            self.engine = engine_for(url)
        except SQLAlchemyError as error:
            raise StoreUnavailable(unavailable_message(error)) from None

    def _session(self) -> Session:
        return Session(self.engine, expire_on_commit=False)

    # classes
    @_guarded
    def create_class(self, code: str, teacher_hash: str, exercise_seed: int, per_student: bool,
                     lesson: str = "") -> ClassInfo:
        with self._session() as s, s.begin():
            row = ClassRow(code=code, teacher_hash=teacher_hash, exercise_seed=exercise_seed,
                           per_student=per_student, lesson=lesson, reveal_allowed=True, follow=False,
                           follow_step=1, follow_stage=0, follow_reveal=False, created_at=now(), ended_at=None)
            s.add(row)
            s.flush()
            return _info(ClassInfo, row)

    @_guarded
    def class_by_code(self, code: str) -> ClassInfo | None:
        with self._session() as s:
            row = s.scalar(select(ClassRow).where(ClassRow.code == code))
            return None if row is None else _info(ClassInfo, row)

    @_guarded
    def class_by_teacher(self, teacher_hash: str) -> ClassInfo | None:
        with self._session() as s:
            row = s.scalar(select(ClassRow).where(ClassRow.teacher_hash == teacher_hash))
            return None if row is None else _info(ClassInfo, row)

    @_guarded
    def class_by_id(self, class_id: int) -> ClassInfo | None:
        with self._session() as s:
            row = s.get(ClassRow, class_id)
            return None if row is None else _info(ClassInfo, row)

    @_guarded
    def update_class(self, class_id: int, **values) -> None:
        with self._session() as s, s.begin():
            s.execute(update(ClassRow).where(ClassRow.id == class_id).values(**values))

    @_guarded
    def delete_class(self, class_id: int) -> None:
        with self._session() as s, s.begin():
            s.execute(delete(ClassRow).where(ClassRow.id == class_id))

    @_guarded
    def delete_classes_before(self, moment: datetime) -> int:
        with self._session() as s, s.begin():
            return s.execute(delete(ClassRow).where(ClassRow.created_at < moment)).rowcount

    # students
    @_guarded
    def add_student(self, class_id: int, name: str, name_key: str, token_hash: str) -> StudentInfo:
        with self._session() as s, s.begin():
            number = (s.scalar(select(func.max(StudentRow.number)).where(StudentRow.class_id == class_id)) or 0) + 1
            row = StudentRow(class_id=class_id, name=name, name_key=name_key, token_hash=token_hash,
                             number=number, joined_at=now())
            s.add(row)
            s.flush()
            return _info(StudentInfo, row)

    @_guarded
    def student_by_token(self, token_hash: str) -> StudentInfo | None:
        with self._session() as s:
            row = s.scalar(select(StudentRow).where(StudentRow.token_hash == token_hash))
            return None if row is None else _info(StudentInfo, row)

    @_guarded
    def students(self, class_id: int) -> list[StudentInfo]:
        with self._session() as s:
            rows = s.scalars(select(StudentRow).where(StudentRow.class_id == class_id).order_by(StudentRow.number))
            return [_info(StudentInfo, row) for row in rows]

    # what students typed and asked to see
    @_guarded
    def add_answers(self, answers: list[Answer]) -> None:
        with self._session() as s, s.begin():
            s.add_all(AnswerRow(**{f.name: getattr(a, f.name) for f in fields(Answer)} | {"at": _utc(a.at)})
                      for a in answers)

    @_guarded
    def answers(self, class_id: int, student_id: int | None = None) -> list[Answer]:
        """Every typed number of a class (or of one student), oldest first."""
        query = select(AnswerRow).join(StudentRow).where(StudentRow.class_id == class_id)
        if student_id is not None:
            query = query.where(AnswerRow.student_id == student_id)
        with self._session() as s:
            return [_info(Answer, row) for row in s.scalars(query.order_by(AnswerRow.at, AnswerRow.id))]

    @_guarded
    def add_reveal(self, student_id: int, cell: str) -> None:
        with self._session() as s, s.begin():
            exists = s.scalar(select(RevealRow.id).where(RevealRow.student_id == student_id, RevealRow.cell == cell))
            if exists is None:
                s.add(RevealRow(student_id=student_id, cell=cell, at=now()))

    @_guarded
    def reveals(self, class_id: int, student_id: int | None = None) -> list[Reveal]:
        query = select(RevealRow).join(StudentRow).where(StudentRow.class_id == class_id)
        if student_id is not None:
            query = query.where(RevealRow.student_id == student_id)
        with self._session() as s:
            return [_info(Reveal, row) for row in s.scalars(query.order_by(RevealRow.at, RevealRow.id))]

    # the rate limit on class codes
    @_guarded
    def failed_joins(self, who: str, since: datetime) -> int:
        with self._session() as s:
            return s.scalar(select(func.count()).where(FailedJoinRow.who == who, FailedJoinRow.at >= since)) or 0

    @_guarded
    def add_failed_join(self, whos: list[str], forget_before: datetime) -> None:
        with self._session() as s, s.begin():
            s.execute(delete(FailedJoinRow).where(FailedJoinRow.at < forget_before))
            s.add_all(FailedJoinRow(who=who, at=now()) for who in whos)

    # server-wide settings
    @_guarded
    def setting(self, key: str, make) -> str:
        """The stored value of `key`; the first caller anywhere stores `make()`."""
        with self._session() as s:
            value = s.scalar(select(SettingRow.value).where(SettingRow.key == key))
        if value is not None:
            return value
        try:
            with self._session() as s, s.begin():
                s.add(SettingRow(key=key, value=make()))
        except IntegrityError:  # another process stored it first: theirs wins
            pass
        with self._session() as s:
            return s.scalar(select(SettingRow.value).where(SettingRow.key == key))
