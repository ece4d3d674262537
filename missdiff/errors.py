"""User-facing errors: one line that says what to fix."""


class MissDiffError(Exception):
    """Bad input or configuration. The message is one line naming the fix.

    The runner prints it without a traceback and records it in a FAILED run record.
    """


class NotApplicableError(MissDiffError):
    """A model cannot be applied to this data (e.g. row deletion leaves no row).

    Tables show such cells as "-", as the paper does.
    """
