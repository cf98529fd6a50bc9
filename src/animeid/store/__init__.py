"""Where vectors (FAISS, arrays and ids only) and their metadata (SQLite) are kept."""
