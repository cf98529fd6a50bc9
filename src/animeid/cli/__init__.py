"""The command line: a table of subcommands, each a thin call into the library."""
