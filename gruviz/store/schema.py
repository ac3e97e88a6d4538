"""The tables a class lives in. Alembic's migrations (`migrations/`) create them;
this module is what the code reads and writes through SQLAlchemy 2.

Every row of a class hangs off `classes` with ON DELETE CASCADE, so deleting a class
deletes every student, typed number and reveal in one statement.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

CODE_LENGTH = 6
HASH_LENGTH = 64  # sha256, hex
NAME_LENGTH = 40  # a display name, in characters
TYPED_LENGTH = 40  # one typed number, as the exercise box caps it
CELL_LENGTH = 24  # "h_tilde.2.1"


class Base(DeclarativeBase):
    pass


class ClassRow(Base):
    __tablename__ = "classes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(CODE_LENGTH), unique=True)
    teacher_hash: Mapped[str] = mapped_column(String(HASH_LENGTH), unique=True)
    exercise_seed: Mapped[int] = mapped_column(BigInteger)
    per_student: Mapped[bool] = mapped_column(Boolean, default=False)
    lesson: Mapped[str] = mapped_column(Text, default="")  # a main-page query string, "" for none
    reveal_allowed: Mapped[bool] = mapped_column(Boolean, default=True)
    follow: Mapped[bool] = mapped_column(Boolean, default=False)
    follow_step: Mapped[int] = mapped_column(Integer, default=1)
    follow_stage: Mapped[int] = mapped_column(Integer, default=0)
    follow_reveal: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class StudentRow(Base):
    __tablename__ = "students"
    __table_args__ = (UniqueConstraint("class_id", "name_key"), UniqueConstraint("class_id", "number"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    class_id: Mapped[int] = mapped_column(ForeignKey("classes.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    name_key: Mapped[str] = mapped_column(String(HASH_LENGTH))  # hash of the casefolded name: "Ana" = "ANA"
    token_hash: Mapped[str] = mapped_column(String(HASH_LENGTH), unique=True)
    number: Mapped[int] = mapped_column(Integer)  # 1, 2, … in joining order: "Student 3" when anonymized
    joined_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AnswerRow(Base):
    """Every number a student typed, kept even when a later one replaces it."""

    __tablename__ = "answers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id", ondelete="CASCADE"), index=True)
    cell: Mapped[str] = mapped_column(String(CELL_LENGTH))
    typed: Mapped[str] = mapped_column(String(TYPED_LENGTH))
    status: Mapped[str] = mapped_column(String(12))  # right | wrong | invalid | short
    mistake_id: Mapped[str] = mapped_column(String(120), default="")
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class RevealRow(Base):
    __tablename__ = "reveals"
    __table_args__ = (UniqueConstraint("student_id", "cell"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id", ondelete="CASCADE"), index=True)
    cell: Mapped[str] = mapped_column(String(CELL_LENGTH))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class FailedJoinRow(Base):
    """A wrong class code, by who tried it: the rate limit counts these across processes."""

    __tablename__ = "failed_joins"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    who: Mapped[str] = mapped_column(String(HASH_LENGTH), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class SettingRow(Base):
    """Server-wide values every process must agree on (the key that signs exercise links)."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
