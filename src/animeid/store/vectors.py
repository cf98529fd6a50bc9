"""A FAISS index that knows only arrays and int64 ids. Titles, files and labels live elsewhere
(metadata store), so the index can be rebuilt, re-trained or swapped without touching them.

The factory string, metric and dimension are saved beside the index (faiss-contrib style), so a
loaded index always says how it was built."""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from animeid.errors import IncompatibleIndex

METRICS = ("cosine", "l2")
INDEX_FILE = "vectors.faiss"
META_FILE = "vectors.json"


def _faiss():
    import faiss

    return faiss


class VectorIndex:
    """Add/search/remove over (vector, id) pairs; scores are "higher is better" for every metric."""

    def __init__(self, dim: int, factory: str = "Flat", metric: str = "cosine", index=None):
        if metric not in METRICS:
            raise ValueError(f"metric must be one of {METRICS}")
        faiss = _faiss()
        self.dim, self.factory, self.metric = int(dim), factory, metric
        if index is None:
            mt = faiss.METRIC_INNER_PRODUCT if metric == "cosine" else faiss.METRIC_L2
            base = faiss.index_factory(self.dim, factory, mt)
            # Flat-like indexes cannot take ids themselves; IVF indexes can.
            index = base if _supports_ids(base) else faiss.IndexIDMap2(base)
        self.index = index

    @property
    def ntotal(self) -> int:
        return int(self.index.ntotal)

    @property
    def is_trained(self) -> bool:
        return bool(self.index.is_trained)

    def _check(self, vectors: np.ndarray) -> np.ndarray:
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if vectors.ndim != 2 or vectors.shape[1] != self.dim:
            raise IncompatibleIndex(f"vectors of shape {vectors.shape} do not fit a {self.dim}-d index")
        return vectors

    def train(self, vectors: np.ndarray) -> None:
        if not self.is_trained:
            try:
                self.index.train(self._check(vectors))
            except RuntimeError as exc:
                raise IncompatibleIndex(f"index {self.factory!r} cannot be trained on {len(vectors)} vectors "
                                        f"({faiss_reason(exc)}); add more video or use 'Flat'") from None

    def add(self, vectors: np.ndarray, ids: np.ndarray) -> None:
        vectors = self._check(vectors)
        ids = np.ascontiguousarray(ids, dtype=np.int64)
        if len(ids) != len(vectors):
            raise ValueError("one id per vector")
        if len(ids) == 0:
            return
        if not self.is_trained:
            raise IncompatibleIndex(f"index {self.factory!r} must be trained before adding")
        self.index.add_with_ids(vectors, ids)

    def remove(self, ids) -> int:
        ids = np.ascontiguousarray(np.asarray(list(ids), dtype=np.int64))
        if len(ids) == 0:
            return 0
        try:
            return int(self.index.remove_ids(_faiss().IDSelectorBatch(ids)))
        except RuntimeError as exc:
            raise self._not_removable(exc) from None

    def check_removable(self) -> None:
        """Raise before anything else changes when this index cannot drop vectors by id: an index
        built with HNSW or NSG before `check_factory` refused them (removing an id that cannot exist
        changes nothing where removal works)."""
        try:
            self.index.remove_ids(_faiss().IDSelectorBatch(np.array([-1], dtype=np.int64)))
        except RuntimeError as exc:
            raise self._not_removable(exc) from None

    def _not_removable(self, exc: RuntimeError) -> IncompatibleIndex:
        return IncompatibleIndex(f"index {self.factory!r} cannot drop the vectors of changed or deleted files "
                                 f"({faiss_reason(exc)}); index the library into a new --db "
                                 "with Flat, SQ8, PQ<m> or IVF<n>,... (this one still answers searches)")

    def update_problem(self) -> str | None:
        """Why vectors could not be added and removed here by id, or None. Re-indexing removes the
        vectors of changed and deleted files, which HNSW, NSG or a refine stage cannot do; an IDMap
        inside the one wrapped around the index refuses every add. Only an empty index is probed."""
        faiss = _faiss()
        if isinstance(self.index, faiss.IndexIDMap2) and isinstance(
                faiss.downcast_index(self.index.index), (faiss.IndexIDMap, faiss.IndexIDMap2)):
            return "it holds an IDMap of its own, which refuses the ids animeid adds"
        zero = np.zeros(1, np.int64)
        try:
            self.index.remove_ids(faiss.IDSelectorBatch(zero))
            if self.is_trained:
                self.index.add_with_ids(np.zeros((1, self.dim), np.float32), zero)
                self.index.remove_ids(faiss.IDSelectorBatch(zero))
        except RuntimeError as exc:
            return f"FAISS cannot add or remove its vectors by id ({faiss_reason(exc)})"
        return None

    def search(self, queries: np.ndarray, k: int, nprobe: int | None = None,
               only: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The k best of every query (id -1 where there are fewer); `only` restricts them to these ids."""
        queries = self._check(np.atleast_2d(queries))
        k = max(1, min(int(k), max(self.ntotal, 1)))
        faiss = _faiss()
        try:
            ivf = faiss.extract_index_ivf(self.index)
        except RuntimeError:
            ivf = None
        if nprobe is not None and ivf is not None:
            ivf.nprobe = nprobe
        params = None
        if only is not None:
            chosen = faiss.IDSelectorBatch(np.ascontiguousarray(only, dtype=np.int64))
            params = (faiss.SearchParametersIVF(sel=chosen, nprobe=ivf.nprobe) if ivf is not None
                      else faiss.SearchParameters(sel=chosen))
        scores, ids = self.index.search(queries, k, params=params)
        if self.metric == "l2":
            scores = -scores  # distances -> higher is better
        return scores, ids

    def ids(self) -> np.ndarray:
        """Every stored id (used to reconcile with the metadata store after a crash)."""
        faiss = _faiss()
        if isinstance(self.index, faiss.IndexIDMap2) or isinstance(self.index, faiss.IndexIDMap):
            return faiss.vector_to_array(self.index.id_map).astype(np.int64)
        ivf = faiss.extract_index_ivf(self.index)
        invlists = ivf.invlists
        out = []
        for lst in range(ivf.nlist):
            n = invlists.list_size(lst)
            if n:
                ptr = invlists.get_ids(lst)
                out.append(faiss.rev_swig_ptr(ptr, n).copy())
        return np.concatenate(out).astype(np.int64) if out else np.zeros(0, np.int64)

    def bytes_per_vector(self) -> float:
        """Serialized size divided by the number of vectors (codes + ids + structure)."""
        if self.ntotal == 0:
            return 0.0
        return len(_faiss().serialize_index(self.index)) / self.ntotal

    def save(self, folder: Path) -> None:
        """Atomic: a crash mid-save leaves the previous index in place."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / (INDEX_FILE + ".tmp")
        _faiss().write_index(self.index, str(tmp))
        os.replace(tmp, folder / INDEX_FILE)
        meta = {"dim": self.dim, "factory": self.factory, "metric": self.metric, "ntotal": self.ntotal}
        tmp_meta = folder / (META_FILE + ".tmp")
        tmp_meta.write_text(json.dumps(meta, indent=2))
        os.replace(tmp_meta, folder / META_FILE)

    @classmethod
    def exists(cls, folder: Path) -> bool:
        return (Path(folder) / INDEX_FILE).exists() and (Path(folder) / META_FILE).exists()

    @classmethod
    def load(cls, folder: Path, mmap: bool = False) -> "VectorIndex":
        folder = Path(folder)
        if not cls.exists(folder):
            raise IncompatibleIndex(f"{folder}: no vector index here")
        try:
            meta = json.loads((folder / META_FILE).read_text())
            dim, factory, metric = int(meta["dim"]), meta["factory"], meta["metric"]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise IncompatibleIndex(f"{folder / META_FILE}: unreadable ({type(exc).__name__}: {exc})") from None
        faiss = _faiss()
        flags = faiss.IO_FLAG_MMAP | faiss.IO_FLAG_READ_ONLY if mmap else 0
        try:
            index = faiss.read_index(str(folder / INDEX_FILE), flags)
        except RuntimeError:
            # FAISS's own text names its C++ source lines; the file is what the user can act on
            raise IncompatibleIndex(f"{folder / INDEX_FILE}: truncated or damaged (FAISS cannot read it)") from None
        if index.d != dim:
            raise IncompatibleIndex(f"{folder}: index dimension {index.d} != recorded {dim}")
        return cls(dim, factory, metric, index=index)


def _supports_ids(index) -> bool:
    faiss = _faiss()
    try:
        return faiss.extract_index_ivf(index) is not None
    except RuntimeError:
        return False


def faiss_reason(exc: RuntimeError) -> str:
    """The last clause of a FAISS error, without the C++ function, file and line it comes with."""
    return str(exc).strip().splitlines()[-1].split(": ")[-1][:160]
