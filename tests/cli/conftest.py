"""The generated library and its index that the command-line tests search."""
from __future__ import annotations

import pytest

from animeid.cli.main import main
from tests.videos import make_library


@pytest.fixture(scope="module")
def lib_and_db(tmp_path_factory):
    lib = make_library(tmp_path_factory.mktemp("lib"))
    db = tmp_path_factory.mktemp("db") / "idx"
    assert main(["index", str(lib), "--db", str(db), "--no-progress"]) == 0
    return lib, db
