"""`python -m animeid`: the same command line as the `animeid` script (handy where the venv's
scripts folder is not on PATH)."""
from animeid.cli.main import main

if __name__ == "__main__":
    raise SystemExit(main())
