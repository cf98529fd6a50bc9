"""A shard that could not be built. Shards are independent indexes, so one that fails (an IVF
shard with too few frames to train, a locked or damaged folder, a full disk) must not keep the
others from being built, nor hide their reports: strategies record the failure and go on, and
`index_shards` raises `ShardsFailed` only once every shard has had its turn."""
from __future__ import annotations

from dataclasses import dataclass, field

from animeid.errors import AnimeidError


@dataclass(frozen=True)
class ShardFailure:
    shard: int
    shards: int
    error: str
    # for an exception that is neither the user's input nor the machine (AnimeidError, OSError):
    # a bug, whose traceback the CLI still shows (errors.py), though the other shards go on
    traceback: str = field(default="", compare=False, repr=False)

    def to_dict(self) -> dict:
        return {"shard": f"{self.shard}/{self.shards}", "error": self.error}

    def __str__(self) -> str:
        return f"shard {self.shard}/{self.shards}: {self.error}"

    @classmethod
    def of(cls, task, exc: BaseException) -> "ShardFailure":
        if isinstance(exc, (AnimeidError, OSError)):  # explained in one line, as the CLI explains them
            return cls(task.shard, task.shards, str(exc) or type(exc).__name__)
        import traceback

        # str() alone of a KeyError is "'key'": the type says what went wrong; a process pool's
        # exception carries the worker's traceback as its cause, which format_exception includes
        return cls(task.shard, task.shards, f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__,
                   "".join(traceback.format_exception(exc)))


class ShardsFailed(AnimeidError):
    """Carries what was built beside what failed, so a caller can still report both."""

    def __init__(self, reports: list, failures: list[ShardFailure]):
        self.reports = reports
        self.failures = failures
        super().__init__("; ".join(map(str, failures)))
