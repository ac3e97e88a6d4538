"""gruviz.classroom.room on real databases: codes, hashed tokens, who opens what, names,
the wrong-code rate limit, variants, ending and purging. Every test runs on SQLite and
on PostgreSQL (`class_store`). Expected values come from the rules as written (the
alphabet, SHA-256, the limits), never from gruviz's own output.
"""

import base64
import hashlib
import string
from datetime import timedelta

import numpy as np
import pytest
from sqlalchemy import update

from class_db import assert_for_a_person, rows
from gruviz.classroom import exercises, room
from gruviz.errors import InputError
from gruviz.store import Answer, now
from gruviz.store.schema import FailedJoinRow

ALPHABET = set(string.ascii_uppercase + string.digits) - set("0O1IL")  # 31 characters
TABLES = ("classes", "students", "answers", "reveals", "failed_joins", "settings")


def sha(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def bits(token: str) -> int:
    return 8 * len(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))


def refused(call, *args) -> str:
    with pytest.raises(InputError) as raised:
        call(*args)
    assert_for_a_person(raised.value)
    return str(raised.value)


def test_codes_are_six_characters_without_0_o_1_i_l(class_store):
    codes = [room.create(class_store).code for _ in range(20)]
    assert all(len(code) == 6 and set(code) <= ALPHABET for code in codes), codes
    assert len(set(codes)) == 20
    assert sorted(r["code"] for r in rows(class_store, "classes")) == sorted(codes)
    drawn = "".join(room.new_code() for _ in range(2000))  # 12,000 draws: each of 31 characters shows
    assert set(drawn) == ALPHABET


def test_tokens_have_128_bits_and_only_their_sha256_is_stored(class_store):
    created = room.create(class_store)
    student_token, _ = room.join(class_store, created.info, "Ana")
    other = room.create(class_store)
    tokens = (created.teacher_token, student_token, other.teacher_token)
    assert all(bits(token) >= 128 for token in tokens) and len(set(tokens)) == 3
    stored = [str(value) for table in TABLES for row in rows(class_store, table) for value in row.values()]
    assert not [value for value in stored for token in tokens if token in value]
    assert {r["code"]: r["teacher_hash"] for r in rows(class_store, "classes")} == {
        created.code: sha(created.teacher_token), other.code: sha(other.teacher_token)}
    assert [r["token_hash"] for r in rows(class_store, "students")] == [sha(student_token)]


def test_a_teacher_token_opens_its_own_class_only(class_store):
    a, b = room.create(class_store), room.create(class_store)
    mine = room.teacher_class(class_store, a.teacher_token)
    assert mine.code == a.code and room.teacher_class(class_store, b.teacher_token).code == b.code
    assert room.opens(mine, a.code) and room.opens(mine, a.code.lower()) and room.opens(mine, None)
    assert not room.opens(mine, b.code)
    student_token, _ = room.join(class_store, a.info, "Ana")
    token = a.teacher_token
    changed = token[:-1] + ("A" if token[-1] != "A" else "B")
    for wrong in (changed, student_token, token[:10], "", None, "x" * 200, "<script>alert(1)</script>"):
        refused(room.teacher_class, class_store, wrong)


@pytest.mark.parametrize("token", [None, "", "short", "a" * 65, "<img src=x onerror=alert(1)>",
                                   "' OR '1'='1' --", "ü" * 30, "a" * 31 + "\x00"])
def test_a_malformed_student_token_is_refused_in_one_sentence(class_store, token):
    created = room.create(class_store)
    room.join(class_store, created.info, "Ana")
    refused(room.student, class_store, token)


def test_a_foreign_student_token_is_refused_in_one_sentence(class_store):
    created = room.create(class_store)
    mine, ana = room.join(class_store, created.info, "Ana")
    assert room.student(class_store, mine) == (ana, created.info)
    for foreign in (created.teacher_token, room.new_token(), mine[::-1]):
        refused(room.student, class_store, foreign)


HOSTILE = ["<img src=x onerror=alert(1)>", "**bold**", r"$\frac{1}{0}$", "汉字" * 20, "😀" * 40,
           "Robert'); DROP TABLE students;--", "ana", "\\x00"]


def test_hostile_names_are_stored_exactly_as_typed(class_store):
    info = room.create(class_store).info
    for name in HOSTILE:
        room.join(class_store, info, name)
    assert len("汉字" * 20) == 40
    assert [s.name for s in class_store.students(info.id)] == HOSTILE
    assert sorted(r["name"] for r in rows(class_store, "students")) == sorted(HOSTILE)
    assert [s.number for s in class_store.students(info.id)] == list(range(1, len(HOSTILE) + 1))


def test_a_name_that_folds_to_many_characters_is_stored_or_refused_in_a_sentence(class_store, backend, request):
    info = room.create(class_store).info
    name = "\ufdfa" * 40  # one letter (category Lo), NFC-stable: a name like any other
    try:
        room.join(class_store, info, name)
    except InputError as error:
        assert_for_a_person(error)
    else:
        assert [s.name for s in class_store.students(info.id)] == [name]


@pytest.mark.parametrize("name, says", [("汉" * 41, "41"), ("Ana\x00", "control"), ("Ana\u202eevil", "control"),
                                        ("A\x1b[31mna", "control"), ("An\u200ba", "control"), ("", "Type a name"),
                                        ("   ", "Type a name"), ("\u3000", "Type a name")])
def test_unusable_names_are_refused_and_nothing_is_stored(class_store, name, says):
    info = room.create(class_store).info
    assert says in refused(room.join, class_store, info, name)
    assert rows(class_store, "students") == []


def test_ten_wrong_codes_a_minute_per_session_then_even_the_right_one_waits(class_store):
    info = room.create(class_store).info
    wrong = "ZZZZZZ" if info.code != "ZZZZZZ" else "YYYYYY"
    for _ in range(10):
        assert "No class has the code" in refused(room.find_class, class_store, wrong, "session-a")
    assert "Too many wrong class codes" in refused(room.find_class, class_store, info.code, "session-a")
    for _ in range(9):  # nine wrong codes leave room for the right one
        refused(room.find_class, class_store, wrong, "session-b")
    assert room.find_class(class_store, info.code, "session-b") == info
    assert room.find_class(class_store, info.code.lower(), "session-c") == info  # others are not held up
    with class_store.engine.begin() as connection:  # a minute later the wrong codes no longer count
        connection.execute(update(FailedJoinRow).values(at=now() - timedelta(minutes=2)))
    assert room.find_class(class_store, info.code, "session-a") == info


def test_sixty_wrong_codes_a_minute_from_one_address_hold_up_its_new_sessions(class_store):
    info = room.create(class_store).info
    wrong = "ZZZZZZ" if info.code != "ZZZZZZ" else "YYYYYY"
    for attempt in range(59):  # six sessions behind one school address, none past its own limit
        refused(room.find_class, class_store, wrong, f"pupil-{attempt // 10}", "10.0.0.1")
    assert room.find_class(class_store, info.code, "pupil-new", "10.0.0.1") == info
    refused(room.find_class, class_store, wrong, "pupil-late", "10.0.0.1")  # the 60th
    assert "Too many" in refused(room.find_class, class_store, info.code, "pupil-next", "10.0.0.1")
    assert room.find_class(class_store, info.code, "pupil-next", "10.0.0.2") == info


def test_an_ended_class_no_longer_opens(class_store):
    created = room.create(class_store)
    token, _ = room.join(class_store, created.info, "Ana")
    room.end(class_store, created.info)
    assert "No class has the code" in refused(room.find_class, class_store, created.code, "s")
    refused(room.student, class_store, token)
    refused(room.teacher_class, class_store, created.teacher_token)


def test_a_class_marked_ended_refuses_its_code_and_its_students(class_store):
    created = room.create(class_store)
    token, _ = room.join(class_store, created.info, "Ana")
    class_store.update_class(created.info.id, ended_at=now())
    assert "ended" in refused(room.find_class, class_store, created.code, "s")
    assert "ended" in refused(room.student, class_store, token)


def shape(exercise):
    w = exercise.setup.weights
    return (exercise.cells(), exercise.setup.weights.config.input_dim, exercise.decimals, exercise.setup.convention,
            w.kernel.shape, w.recurrent_kernel.shape, exercise.setup.x.shape)


def numbers(exercise):
    return np.array([exercise.answer(*cell) for cell in exercise.cells()])


def test_per_student_variants_change_the_numbers_not_the_shape(class_store):
    info = room.create(class_store, 7, per_student=True).info
    (_, ana), (_, bo) = room.join(class_store, info, "Ana"), room.join(class_store, info, "Bo")
    base, mine, theirs = exercises.generate(7), room.exercise(info, ana), room.exercise(info, bo)
    assert shape(mine) == shape(theirs) == shape(base)
    assert not np.allclose(numbers(mine), numbers(theirs)) and not np.allclose(numbers(mine), numbers(base))
    assert not np.array_equal(mine.setup.weights.kernel, theirs.setup.weights.kernel)
    again = next(s for s in class_store.students(info.id) if s.name == "Ana")
    np.testing.assert_array_equal(numbers(room.exercise(info, again)), numbers(mine))  # stable per student
    same = room.create(class_store, 7).info
    (_, cy), (_, dee) = room.join(class_store, same, "Cy"), room.join(class_store, same, "Dee")
    np.testing.assert_array_equal(numbers(room.exercise(same, cy)), numbers(base))
    np.testing.assert_array_equal(numbers(room.exercise(same, dee)), numbers(base))


def test_a_seed_that_makes_no_exercise_creates_no_class(class_store):
    for seed in (-1, 2**63, True):
        with pytest.raises(InputError):
            room.create(class_store, seed)
    assert rows(class_store, "classes") == []


def test_no_free_code_is_said_in_a_sentence(class_store, monkeypatch):
    monkeypatch.setattr(room, "new_code", lambda: "ABCDEF")  # every draw collides (the database is real)
    room.create(class_store)
    assert "No free class code" in refused(room.create, class_store)
    assert len(rows(class_store, "classes")) == 1


def with_work(store, name_count=2):
    created = room.create(store)
    people = [room.join(store, created.info, f"P{i}")[1] for i in range(name_count)]
    store.add_answers([Answer(p.id, "z.0.0", "0.5", "wrong", "", now()) for p in people])
    for p in people:
        store.add_reveal(p.id, "z.0.0")
    return created.info, people


def counts(store, people) -> tuple[int, int, int]:
    ids = {p.id for p in people}
    return (sum(r["id"] in ids for r in rows(store, "students")),
            sum(r["student_id"] in ids for r in rows(store, "answers")),
            sum(r["student_id"] in ids for r in rows(store, "reveals")))


def test_ending_a_class_deletes_all_of_its_rows_and_no_other(class_store):
    info, people = with_work(class_store)
    other, others = with_work(class_store, 1)
    assert counts(class_store, people) == (2, 2, 2)
    room.end(class_store, info)
    assert class_store.class_by_id(info.id) is None and counts(class_store, people) == (0, 0, 0)
    assert class_store.class_by_id(other.id) == other and counts(class_store, others) == (1, 1, 1)


def test_purge_deletes_classes_older_than_the_days_given(class_store):
    (old, old_people), (week, _), (fresh, _) = (with_work(class_store) for _ in range(3))
    class_store.update_class(old.id, created_at=now() - timedelta(days=10))
    class_store.update_class(week.id, created_at=now() - timedelta(days=6))
    assert room.purge(class_store, 7) == 1
    assert class_store.class_by_id(old.id) is None and counts(class_store, old_people) == (0, 0, 0)
    assert {c["id"] for c in rows(class_store, "classes")} == {week.id, fresh.id}
    assert room.purge(class_store, 5) == 1
    assert {c["id"] for c in rows(class_store, "classes")} == {fresh.id}
    assert room.purge(class_store, 1) == 0
