"""`python -m animeid`: the same command line as the `animeid` script (handy where the venv's
scripts folder is not on PATH)."""
from animeid.cli.main import main

raise SystemExit(main())
