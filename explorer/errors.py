"""The one error type a user can cause; its message says what to do next."""


class ExplorerError(ValueError):
    """Bad input the user can fix: empty text, unknown model, unsupported architecture, a bad export selection, ...

    The app and the command line show ``str(err)`` as-is, so the message must be a plain sentence that says what
    happened and what to do, never a traceback. Mistakes in calling the library (a layer index past the model's
    layers, an unknown option name) are plain ``ValueError``s: they are bugs in the caller, not the user's input.
    """
