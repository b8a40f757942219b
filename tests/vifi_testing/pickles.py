"""A checkpoint payload that runs code when unpickled, for the tests that
prove a loader refuses it."""
import os
import shlex


class CodeOnUnpickle:
    """Pickles as ``os.system('touch <marker>')``.

    A loader that unpickled it would create ``marker``; the tests assert the
    file is absent, and one test per loader family proves the payload is
    real by unpickling it with ``weights_only=False``.

    Args:
        marker (str): path of the file the payload creates.
    """

    def __init__(self, marker: str):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f'touch {shlex.quote(self.marker)}', )
