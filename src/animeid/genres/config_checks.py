"""Range checks for `GenreCfg`. Every setting reaches sklearn, Optuna or numpy eventually, and a
value out of range there fails deep inside a fit with a traceback (C = 0), or worse, silently
(a k-NN weight of 2 gives "probabilities" above 1 that no threshold in 0..1 handles). So each value
is refused up front with the option a user would have typed; a damaged `model.json` goes through
the same checks when a model is loaded."""
from __future__ import annotations

from animeid.errors import AnimeidError
from animeid.number_checks import finite, whole

# The CLI option behind a setting, so the message names what the user actually typed.
OPTION = {"top_k": "--top-k", "min_count": "--min-count", "C": "--C", "knn_weight": "--knn-weight",
          "pseudo_confidence": "--confidence", "seed": "--seed", "max_predicted": "--max-genres",
          "head": "--head", "loss": "--loss", "threshold_objective": "--objective", "embedders": "--embedder"}
CHOICES = {"head": ("logreg", "mlp"), "loss": ("bce", "focal"), "threshold_objective": ("micro_f1", "hamming")}


def _name(field: str) -> str:
    return OPTION.get(field, f"genre setting {field!r}")


def _int(cfg, field: str, lo: int, hi: int | None = None, why: str = "") -> int:
    return whole(getattr(cfg, field), _name(field), lo, hi, why)


def _float(cfg, field: str, lo: float, hi: float | None = None, lo_open: bool = False, why: str = "") -> float:
    return finite(getattr(cfg, field), _name(field), lo, hi, lo_open=lo_open, why=why)


def check_genre_cfg(cfg) -> None:
    """Raise AnimeidError naming the first setting out of range."""
    from animeid.genres.embeddings import VIEW_NAMES

    for field in ("embedders", "views"):
        v = getattr(cfg, field)
        if not isinstance(v, tuple) or not v or not all(isinstance(n, str) and n for n in v):
            raise AnimeidError(f"{_name(field)}: needs at least one name, got {v!r}")
    unknown = [v for v in cfg.views if v not in VIEW_NAMES]
    if unknown:
        raise AnimeidError(f"unknown poster view(s) {', '.join(map(repr, unknown))}; known: {', '.join(VIEW_NAMES)}")
    for field, options in CHOICES.items():
        if getattr(cfg, field) not in options:
            raise AnimeidError(f"{_name(field)} {getattr(cfg, field)!r}: must be one of {', '.join(options)}")
    if _int(cfg, "top_k", 0, why=" (0 keeps all genres)") == 1:
        raise AnimeidError("--top-k 1 keeps a single genre; multi-label prediction needs 2 or more (0 keeps all)")
    _int(cfg, "min_count", 0, why=" (0 or 1 keeps every genre)")
    _float(cfg, "C", 0.0, lo_open=True, why=" (inverse L2 strength of the logistic head; small = strong)")
    _int(cfg, "hidden", 0)
    _float(cfg, "focal_gamma", 0.0)
    _float(cfg, "focal_alpha", 0.0, 1.0)
    _float(cfg, "lr", 0.0, lo_open=True)
    _float(cfg, "weight_decay", 0.0)
    _float(cfg, "dropout", 0.0, 0.99)
    _int(cfg, "epochs", 1)
    _float(cfg, "knn_weight", 0.0, 1.0, why=" (share of k-NN label transfer in the scores; 0 = head only)")
    _int(cfg, "knn_k", 1)
    _float(cfg, "knn_temperature", 0.0, lo_open=True)
    _int(cfg, "inner_folds", 2)
    _int(cfg, "min_positives_per_genre_threshold", 0)
    _float(cfg, "threshold_shrinkage", 0.0, 1.0)
    grid = cfg.threshold_grid
    if (not isinstance(grid, tuple) or len(grid) != 3 or not all(isinstance(g, (int, float)) for g in grid)
            or not 0.0 <= grid[0] <= grid[1] <= 1.0 or int(grid[2]) != grid[2] or grid[2] < 1):
        raise AnimeidError(f"threshold grid {grid!r}: must be (low, high, count) with 0 <= low <= high <= 1")
    _int(cfg, "min_predicted", 0)
    if isinstance(cfg.max_predicted, bool) or not isinstance(cfg.max_predicted, int) or cfg.max_predicted < -1:
        raise AnimeidError(f"at most {cfg.max_predicted!r} genres per poster: use -1 (the training posters' "
                           "mean genre count, rounded up), 0 (no cap) or a positive number")
    _float(cfg, "pseudo_confidence", 0.0, 1.0, why=" (the best genre's score a pseudo-label needs)")
    _float(cfg, "pseudo_weight", 0.0, lo_open=True)
    _int(cfg, "seed", 0, 2**32 - 1)
