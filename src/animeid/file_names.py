"""File names the stores can keep and a terminal can show. Linux allows any bytes in a name; Python
hands bytes that are not UTF-8 over as surrogate escapes, which SQLite, JSON and a strict UTF-8
terminal all refuse, so such a file is reported (its odd bytes as \\xNN) and left out rather than
crashing the whole run."""
from __future__ import annotations

import codecs

# the error handler `escape_undecodable` registers: lone surrogates print as \xNN, as `shown` does
ESCAPE_ERRORS = "animeid.escape"


def is_text(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def shown(name: str) -> str:
    """`name` with its undecodable bytes as \\xNN escapes: printable and storable."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


# line breaks and other control characters (a tab is kept), as `repr` writes them
_CONTROLS = {c: repr(chr(c))[1:-1] for c in [*range(32), 127] if c != 9}


def one_line(message: str) -> str:
    """`message` with its line breaks escaped. A file name may hold a newline: printed as it is, it
    splits an `animeid: error:` line in two, and whoever reads errors line by line sees two
    errors, the second without its prefix."""
    return message.translate(_CONTROLS)


def _escape(exc: UnicodeError):
    if not isinstance(exc, UnicodeEncodeError):
        raise exc
    bad = exc.object[exc.start:exc.end]
    return "".join(f"\\x{ord(c) - 0xDC00:02x}" if 0xDC80 <= ord(c) <= 0xDCFF else f"\\u{ord(c):04x}"
                   for c in bad), exc.end


def escape_undecodable(*streams) -> None:
    """Make strict text streams print undecodable file names escaped: printing a name (an input
    named on the command line, in an answer or an error) must not crash a run whose work is done."""
    codecs.register_error(ESCAPE_ERRORS, _escape)
    for stream in streams:
        reconfigure = getattr(stream, "reconfigure", None)   # absent on a test's replacement streams
        if reconfigure is not None and getattr(stream, "errors", "") == "strict":
            reconfigure(errors=ESCAPE_ERRORS)
