"""`animeid` entry point. The CLI is only this table; each row names a module that configures its
argument parser (`configure_<name>(parser)`, which sets `func`) and does nothing heavy on import."""
from __future__ import annotations

import argparse
import importlib
import sqlite3
import sys

from animeid.errors import AnimeidError

# name, module, one-line help
SUBCOMMANDS: list[tuple[str, str, str]] = [
    ("demo", "animeid.cli.demo", "index the built-in clip, search a perturbed screenshot, then serve"),
    ("index", "animeid.cli.scenes", "index a video library (<Title>/<videos>) for scene search"),
    ("search", "animeid.cli.scenes", "find title, episode and second of screenshots"),
    ("info", "animeid.cli.scenes", "describe an index (embedder, factory, files, entries) or a gallery (labels)"),
    ("embedders", "animeid.cli.embedders", "list the registered embedders, or add an ONNX backbone of your own"),
    ("enroll", "animeid.cli.recognize", "enrol GALLERY/<label>/<images> into a title or character gallery"),
    ("identify", "animeid.cli.recognize", "name the title or character in images never indexed"),
    ("eval", "animeid.cli.recognize", "compare recognition methods on a labelled image set"),
    ("serve", "animeid.cli.serve", "serve the REST API and the web page on an index"),
    ("dataset", "animeid.cli.dataset", "build training data: frame datasets from videos, pairs CSV"),
    ("train", "animeid.cli.train", "train an embedder: Siamese contrastive or supervised classifier"),
    ("export", "animeid.cli.train", "cut a trained model's branch out as a named ONNX embedder"),
    ("genres", "animeid.cli.genres", "genres from posters: train, predict, eval (multi-label)"),
]


class OneLineParser(argparse.ArgumentParser):
    """argparse, with its errors (a missing --db, an unknown option) as the one `animeid: error:`
    line every other mistake gets, instead of a usage block then a differently prefixed line."""

    def error(self, message: str):
        from animeid.cli.error_line import print_error

        where = "" if self.prog == "animeid" else f"{self.prog}: "   # print_error says "animeid:" already
        print_error(f"{where}{message} (see `{self.prog} --help`)")
        raise SystemExit(2)


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog="animeid", description="What anime is this picture from?")
    from animeid import __version__

    parser.add_argument("--version", action="version", version=f"animeid {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, module, help_text in SUBCOMMANDS:
        p = sub.add_parser(name, help=help_text, description=help_text)
        try:
            configure = getattr(importlib.import_module(module), f"configure_{name}")
        except ImportError as exc:  # an optional extra is not installed: say so when the command is used
            p.set_defaults(func=_unavailable(name, exc))
            continue
        configure(p)
    return parser


def _unavailable(name: str, exc: ImportError):
    def run(args) -> int:
        raise AnimeidError(f"'animeid {name}' is unavailable here ({exc}); install animeid with its extras: "
                           "pip install 'animeid[export,faces,classical,plots,genres,serve]'")

    return run


def main(argv: list[str] | None = None) -> int:
    from animeid.cli.error_line import print_error
    from animeid.file_names import escape_undecodable

    escape_undecodable(sys.stdout, sys.stderr)
    argv = sys.argv[1:] if argv is None else list(argv)
    if "" in argv:
        # `animeid index "$LIB" --db idx` with LIB unset would index the current folder ("" is ".")
        print_error(f"argument {argv.index('') + 1} is empty (an unset shell variable?)")
        return 2
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except AnimeidError as exc:
        print_error(str(exc))
        return 2
    except KeyboardInterrupt:
        print("animeid: interrupted; everything committed so far is kept", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # the reader went away (`animeid search ... | head`): not an error worth a traceback
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except (OSError, RuntimeError, sqlite3.OperationalError) as exc:
        from animeid.cli.storage_errors import storage_problem

        line = storage_problem(exc)
        if line is None:   # a bug, not the disk: its traceback is what helps
            raise
        print_error(line)
        return 2


if __name__ == "__main__":
    sys.exit(main())
