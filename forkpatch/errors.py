class ForkpatchError(Exception):
    """A failure to report to the user as one line, without a traceback."""
