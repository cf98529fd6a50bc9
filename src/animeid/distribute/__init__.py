"""Indexing a library that outgrows one machine: split its files into shards by a stable hash,
build each shard as an ordinary index (here, in local processes, or on other machines with
`animeid index --shard I/N`), and search all shards as one (`ShardedIndex`)."""
