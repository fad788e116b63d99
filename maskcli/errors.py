"""The one exception type that means "the user gave us bad input".

The CLI turns it into a single ``Error: ...`` line on stderr and exit code 2.
Anything else is a bug and keeps its traceback.
"""


class InputError(Exception):
    """Bad input or usage: the message says what was wrong and where."""
