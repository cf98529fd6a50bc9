"""How every command reports a failure: one `animeid: error:` line on standard error, which a
script reading errors line by line takes whole even when a file or title name holds a newline."""
from __future__ import annotations

import sys

from animeid.file_names import one_line


def print_error(message: str) -> None:
    print(f"animeid: error: {one_line(message)}", file=sys.stderr)
