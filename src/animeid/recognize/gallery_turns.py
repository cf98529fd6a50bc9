"""How a `Recognizer`'s methods take turns with the gallery: its own lock for every use, and the
gallery's write lock (shared with other processes) for changes."""
from __future__ import annotations

import functools


def one_at_a_time(method):
    """Run under the recognizer's own lock: one SQLite connection and one vector index serve every
    thread (a bot answering from a thread pool), and neither may be used by two at once. Embedding,
    the slow part of identifying, runs outside it."""
    @functools.wraps(method)
    def serialised(self, *args, **kwargs):
        with self._lock:
            return method(self, *args, **kwargs)

    return serialised


def writes(method):
    """Run a change under the gallery's write lock: a server's recognizer holds it only while it
    changes the gallery, so an `animeid enroll` meanwhile is refused instead of interleaved."""
    @functools.wraps(method)
    def locked(self, *args, **kwargs):
        with self._lock:
            self._check_open()  # before the write lock: a closed recognizer would take it for nothing
            with self.gallery.writing():
                return method(self, *args, **kwargs)

    return locked
