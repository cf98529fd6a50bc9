"""The stages `animeid genres train|eval` run, as plain functions: read and validate the poster
list, build the vocabulary, embed (cached), then train a model or cross-validate it."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from animeid.genres.config import GenreCfg, SmallCnnCfg
from animeid.genres.genre_vocabulary import GenreVocabulary
from animeid.genres.poster_set import PosterSet, load_poster_set

Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    pass


@dataclass
class PreparedPosters:
    posters: PosterSet
    vocabulary: GenreVocabulary
    y: np.ndarray
    blocks: dict[str, np.ndarray]
    notes: list[str] = field(default_factory=list)
    seconds_embedding: float = 0.0


def prepare(posters_file: Path | str, cfg: GenreCfg, embedders: tuple[str, ...] | None = None,
            progress: Progress = _quiet) -> PreparedPosters:
    from animeid.genres.embeddings import embed_files

    posters = load_poster_set(posters_file)
    notes = list(posters.problems)
    vocab = GenreVocabulary.fit(posters.genres, cfg.top_k, cfg.min_count, notes)
    y = vocab.encode(posters.genres)
    keep = np.flatnonzero(y.sum(axis=1) > 0)
    if len(keep) < len(y):
        notes.append(f"{len(y) - len(keep)} poster(s) have only genres outside the vocabulary; left out")
        posters, y = posters.subset(list(keep)), y[keep]
    if len(y) < 10:
        from animeid.genres.errors import BadPosterList

        raise BadPosterList(f"{posters_file}: only {len(y)} usable posters; at least 10 are needed")
    progress(f"{len(y)} posters, {len(vocab)} genres, label density {y.mean():.3f}")
    t0 = time.perf_counter()
    blocks = {}
    for name in embedders or cfg.embedders:
        progress(f"embedding with {name} ({len(cfg.views)} views each; cached by file hash)")
        blocks[name] = embed_files(posters.paths, [name], cfg.views)
    return PreparedPosters(posters, vocab, y, blocks, notes, time.perf_counter() - t0)


def list_unlabelled(folder: Path | str, notes: list[str]) -> list[Path]:
    """The readable images of an --unlabelled folder, checked before any poster is embedded so a
    wrong folder fails in a second, not after minutes of work; unreadable ones go to `notes`."""
    from animeid.errors import BadImage
    from animeid.genres.errors import BadPosterList
    from animeid.media.images import list_images, load_image

    folder = Path(folder)
    if not folder.is_dir():
        raise BadPosterList(f"--unlabelled {folder}: not a folder of images")
    ok = []
    try:
        files = list_images(folder)
    except OSError as exc:
        raise BadPosterList(f"--unlabelled {folder}: cannot be listed ({exc.strerror or exc})") from None
    for p in files:
        try:
            load_image(p)
            ok.append(p)
        except BadImage as exc:
            notes.append(f"unlabelled {exc}; skipped")
    if not ok:
        raise BadPosterList(f"--unlabelled {folder}: no readable image in it")
    return ok


def embed_unlabelled(paths: list[Path], cfg: GenreCfg, progress: Progress = _quiet) -> dict[str, np.ndarray]:
    """Features of the unlabelled posters per embedder, like `PreparedPosters.blocks`: an Optuna
    search may choose a subset of the embedders, and the unlabelled features must then be stacked
    the same way as the labelled ones."""
    from animeid.genres.embeddings import embed_files

    out = {}
    for name in cfg.embedders:
        progress(f"embedding {len(paths)} unlabelled posters with {name}")
        out[name] = embed_files(paths, [name], cfg.views)
    return out


def check_folds(n_folds) -> int:
    """Refuse fewer than 2 folds (they used to become 2 silently)."""
    from animeid.errors import AnimeidError

    if isinstance(n_folds, bool) or not isinstance(n_folds, int) or n_folds < 2:
        raise AnimeidError(f"--folds {n_folds}: cross-validation needs at least 2 folds")
    return n_folds


# each trial is an inner cross-validation (seconds to a minute): more than this is a typo, which
# used to run until killed
MAX_SEARCH_TRIALS = 1000


def check_search(trials) -> int:
    from animeid.errors import AnimeidError

    if isinstance(trials, bool) or not isinstance(trials, int) or trials < 0:
        raise AnimeidError(f"--search {trials}: must be 0 (no search) or a positive number of trials")
    if trials > MAX_SEARCH_TRIALS:
        raise AnimeidError(f"--search {trials}: at most {MAX_SEARCH_TRIALS} trials")
    return trials


def train_model(prep: PreparedPosters, cfg: GenreCfg, unlabelled: dict[str, np.ndarray] | None = None,
                search_trials: int = 0, progress: Progress = _quiet):
    """A fitted GenreModel; `unlabelled` holds per-embedder features (see `embed_unlabelled`)."""
    from animeid.genres.genre_model import GenreModel
    from animeid.genres.pseudo_labels import fit_with_pseudo_labels
    from animeid.genres.search import search_cfg, stack_blocks
    from animeid.genres.training import fit_genres

    check_search(search_trials)
    info: dict = {"posters": len(prep.y), "source": str(prep.posters.source), "notes": prep.notes}
    if search_trials:
        progress(f"Optuna search, {search_trials} trials on the training posters")
        cfg, value, trials = search_cfg(prep.blocks, prep.y, cfg, search_trials)
        info["search"] = {"best_inner_micro_f1": value, "trials": len(trials)}
    x = stack_blocks(prep.blocks, cfg.embedders)
    fitted = fit_genres(x, prep.y, cfg)
    if unlabelled is not None:
        xu = stack_blocks(unlabelled, cfg.embedders)
        fitted, adopted = fit_with_pseudo_labels(x, prep.y, xu, cfg, fitted)
        info["pseudo_labelled"] = adopted
        progress(f"pseudo-labelled {adopted} of {len(xu)} unlabelled posters")
    return GenreModel(cfg, prep.vocabulary, fitted.predictor, fitted.thresholds, fitted.global_threshold,
                      info=info, max_predicted=fitted.max_predicted)


def evaluate(prep: PreparedPosters, cfg: GenreCfg, n_folds: int = 5, unlabelled: dict[str, np.ndarray] | None = None,
             with_cnn: bool = False, search_trials: int = 0, progress: Progress = _quiet) -> dict:
    """Cross-validated figures of the model (and of its variants asked for) beside the baselines.
    More folds than posters cannot be made: the count is lowered, with a note saying so."""
    from animeid.genres.crossval import cross_validate, default_fit
    from animeid.genres.search import search_cfg, stack_blocks

    check_folds(n_folds)
    check_search(search_trials)
    if n_folds > len(prep.y):
        prep.notes.append(f"--folds {n_folds} lowered to {len(prep.y)}: there are only {len(prep.y)} posters")
        progress(f"note: {prep.notes[-1]}")
        n_folds = len(prep.y)
    x = stack_blocks(prep.blocks, cfg.embedders)
    models = {"model": default_fit(x, cfg)}
    if unlabelled is not None:
        from animeid.genres.pseudo_labels import fit_with_pseudo_labels

        xu = stack_blocks(unlabelled, cfg.embedders)

        def fit_pseudo(rows, y):
            fitted, _ = fit_with_pseudo_labels(x[rows], y, xu, cfg)
            return (lambda te: fitted.predictor.scores(x[te])), fitted.decision

        models["model+pseudo_labels"] = fit_pseudo
    if search_trials:
        def fit_searched(rows, y):
            from animeid.genres.training import fit_genres

            best, _, _ = search_cfg({k: v[rows] for k, v in prep.blocks.items()}, y, cfg, search_trials)
            xb = stack_blocks(prep.blocks, best.embedders)
            fitted = fit_genres(xb[rows], y, best)
            return (lambda te: fitted.predictor.scores(xb[te])), fitted.decision

        models["optuna_search"] = fit_searched
    if with_cnn:
        from animeid.genres.cnn_baseline import poster_pixels, small_cnn_fit

        ccfg = SmallCnnCfg()
        progress(f"decoding posters at {ccfg.input_size} px for the small CNN")
        models["small_cnn"] = small_cnn_fit(poster_pixels(prep.posters.paths, ccfg.input_size), ccfg,
                                            cfg.min_predicted, cfg.threshold_grid)
    t0 = time.perf_counter()
    report = cross_validate(prep.y, prep.vocabulary.genres, models, cfg, n_folds, progress)
    report.update(source=str(prep.posters.source), notes=prep.notes, cfg=cfg.to_dict(),
                  seconds_embedding=round(prep.seconds_embedding, 2),
                  seconds_cross_validation=round(time.perf_counter() - t0, 2))
    return report
