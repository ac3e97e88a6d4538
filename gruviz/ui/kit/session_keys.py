"""Names the class pages share: session-state keys and link parameters."""

TEACHER_TOKEN = "class_teacher_token"  # session state: the teacher token, never left in the link
TEACHER_TOKEN_PARAM = "teacher"  # the teacher link's parameter, read once and removed
STUDENT_TOKEN_PARAM = "student"  # the student link's parameter: a reload brings the work back
