"""User-facing errors: one line that says what to fix."""


class MissDiffError(Exception):
    """Bad input, or a run that cannot go on. The message is one line naming the fix.

    The runner prints it without a traceback and records it in a FAILED run record.
    """


class ConfigError(MissDiffError):
    """A configuration that could never run (an unknown choice, a ratio outside (0, 1), a target
    that is not a column, ...). Raised before any work, or as soon as the data shows it; the
    runner prints it and writes no record: FAILED records are for runs that failed."""


class NotApplicableError(MissDiffError):
    """A model cannot be applied to this data (e.g. row deletion leaves no row).

    Tables show such cells as "-", as the paper does.
    """
