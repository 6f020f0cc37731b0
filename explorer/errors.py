"""The one error type a user can cause; its message says what to do next."""


class ExplorerError(ValueError):
    """Bad input the user can fix: empty text, unknown model, unsupported architecture, ...

    The app shows ``str(err)`` as-is, so the message must be a plain sentence that says what
    happened and what to do, never a traceback.
    """
