"""Exception types that mean "the user's input is wrong", not "we have a bug".

The command-line tools (:func:`vifi_mmaction.apis.run_cli`) report an error
of these types as one ``prog: error: ...`` line with exit status 2 and no
traceback; any other exception is a bug and keeps its traceback. Each
module's own error class (``ClassNamesError``, ``AnnotationError``,
``CheckpointError``, ...) derives from :class:`ViFiUserError` and from the
builtin type callers already catch (``ValueError`` mostly), so existing
``except ValueError`` code keeps working.
"""

__all__ = ['ViFiUserError', 'InputError', 'ConfigError', 'USER_ERRORS']


class ViFiUserError(Exception):
    """Base of every error caused by bad input. The message names the
    culprit: a file and line, a key, an argument or a class."""


class InputError(ViFiUserError, ValueError):
    """A bad argument or value (a command-line option, an API argument)."""


class ConfigError(ViFiUserError, ValueError):
    """A config that cannot be read or built: missing file or ``_base_``,
    syntax error, unknown key or component type, bad component argument."""


#: What the tools report as the user's mistake: our own user errors, and
#: the file-system errors of paths the user gave (missing, a directory
#: where a file is expected, no permission, already exists).
USER_ERRORS = (ViFiUserError, FileNotFoundError, NotADirectoryError,
               IsADirectoryError, PermissionError, FileExistsError)
