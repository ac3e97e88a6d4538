"""The one error type the edges raise: its message is written for a person."""


class InputError(ValueError):
    """Bad input from a user or a file. str(error) says what is wrong and how to fix it."""
