"""Classes, students, typed numbers, reveals, failed joins and settings.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "classes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(6), nullable=False, unique=True),
        sa.Column("teacher_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("exercise_seed", sa.BigInteger, nullable=False),
        sa.Column("per_student", sa.Boolean, nullable=False),
        sa.Column("lesson", sa.Text, nullable=False),
        sa.Column("reveal_allowed", sa.Boolean, nullable=False),
        sa.Column("follow", sa.Boolean, nullable=False),
        sa.Column("follow_step", sa.Integer, nullable=False),
        sa.Column("follow_stage", sa.Integer, nullable=False),
        sa.Column("follow_reveal", sa.Boolean, nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("ended_at", WHEN, nullable=True),
    )
    op.create_table(
        "students",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("class_id", sa.Integer, sa.ForeignKey("classes.id", ondelete="CASCADE"), nullable=False,
                  index=True),
        sa.Column("name", sa.String(40), nullable=False),
        sa.Column("name_key", sa.String(64), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("joined_at", WHEN, nullable=False),
        sa.UniqueConstraint("class_id", "name_key"),
        sa.UniqueConstraint("class_id", "number"),
    )
    op.create_table(
        "answers",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("student_id", sa.Integer, sa.ForeignKey("students.id", ondelete="CASCADE"), nullable=False,
                  index=True),
        sa.Column("cell", sa.String(24), nullable=False),
        sa.Column("typed", sa.String(40), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("mistake_id", sa.String(120), nullable=False),
        sa.Column("at", WHEN, nullable=False),
    )
    op.create_table(
        "reveals",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("student_id", sa.Integer, sa.ForeignKey("students.id", ondelete="CASCADE"), nullable=False,
                  index=True),
        sa.Column("cell", sa.String(24), nullable=False),
        sa.Column("at", WHEN, nullable=False),
        sa.UniqueConstraint("student_id", "cell"),
    )
    op.create_table(
        "failed_joins",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("who", sa.String(64), nullable=False, index=True),
        sa.Column("at", WHEN, nullable=False, index=True),
    )
    op.create_table(
        "settings",
        sa.Column("key", sa.String(40), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )


def downgrade() -> None:
    for table in ("settings", "failed_joins", "reveals", "answers", "students", "classes"):
        op.drop_table(table)
