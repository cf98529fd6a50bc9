"""Entry ids that name one scene across every shard of a library. Each shard numbers its entries
on its own, so a shard's id alone is ambiguous; `id * shards + shard` folds the shard in while
keeping ids plain integers, so the JSON API, the preview links and the web page look exactly as
they do for an unsharded index. The plan's shard count (not the number built so far) is the
modulus, so an id keeps naming the same scene when more shards are built later."""
from __future__ import annotations


def qualify(local_id: int, shard: int, shards: int) -> int:
    """The library-wide id of entry `local_id` of shard `shard` (of `shards`)."""
    return int(local_id) * shards + shard


def split(entry_id: int, shards: int) -> tuple[int, int]:
    """(shard, id inside that shard) of a library-wide id; the inverse of `qualify`."""
    return int(entry_id) % shards, int(entry_id) // shards
