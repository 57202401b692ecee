"""The one error type the command line turns into a single line on stderr and a non-zero exit."""


class UserError(Exception):
    """Something the person at the keyboard can fix: a bad argument, an unknown session..."""
