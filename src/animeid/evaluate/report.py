"""An evaluation report a person can read and a script can diff: `report.json`, `report.md`, a
confusion-matrix PNG and t-SNE PNGs (2-D and 3-D) of the embeddings coloured by label."""
from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from animeid.output_folders import write_text_atomic


def tsne(x: np.ndarray, dims: int, perplexity: float = 30.0, seed: int = 0) -> np.ndarray:
    """t-SNE of the feature rows after PCA to 30 dimensions (standard practice: faster, less
    noise), 500 iterations: a picture of the clusters, not a measurement."""
    from sklearn.decomposition import PCA
    from sklearn.manifold import TSNE

    x = np.asarray(x, dtype=np.float32)
    if x.shape[1] > 30 and len(x) > 30:
        x = PCA(n_components=30, random_state=seed).fit_transform(x)
    perplexity = float(min(perplexity, max(2.0, (len(x) - 1) / 3)))
    return TSNE(n_components=dims, perplexity=perplexity, init="pca", random_state=seed,
                max_iter=500).fit_transform(x)


def _cell(text) -> str:
    return str(text).replace("|", "\\|")


def number(value, digits: int) -> str:
    """A figure as text, or a dash where there is none (no inner folds, no top-k): a report is read
    by people, who should see "no value", not "nan" or "None"."""
    return "—" if value is None else f"{value:.{digits}f}"


def markdown(result: dict, figures: dict[str, str]) -> str:
    m, b = result["metrics"], result["baseline"]
    k = next((key for key in m if key.startswith("top") and key.endswith("_accuracy")), "top5_accuracy")
    lines = [f"# Recognition report: `{result['method']}`", "",
             f"Data: {result['data']}", f"Method: {result.get('method_detail', '')}", "",
             "| | accuracy | " + k.replace("_", " ") + " | macro-F1 |", "|---|---|---|---|",
             f"| **{result['method']}** | {m['accuracy']:.4f} | {number(m.get(k), 4)} | {m['macro_f1']:.4f} |",
             f"| baseline ({result['baseline_description']}) | {b['accuracy']:.4f} | {number(b.get(k), 4)} "
             f"| {b['macro_f1']:.4f} |", ""]
    lines += _notes(result, k)
    if "table" in result:
        lines += ["## Classical models (S2's table)", "",
                  "| model | features | train acc | inner-fold acc | test acc | fit time (s) |",
                  "|---|---|---|---|---|---|"]
        lines += [f"| {r['model']} | {r['features']} | {r['train_accuracy']:.3f} | {number(r['inner_cv_accuracy'], 3)} "
                  f"| {r['test_accuracy']:.3f} | {r['fit_seconds']:.2f} |" for r in result["table"]]
        lines.append("")
    lines += ["## Per class", "", "| label | precision | recall | F1 | support | in macro-F1 |",
              "|---|---|---|---|---|---|"]
    lines += [f"| {_cell(r['label'])} | {r['precision']:.3f} | {r['recall']:.3f} | {r['f1']:.3f} | {r['support']} "
              f"| {'yes' if r.get('in_macro_f1', True) else 'no'} |" for r in result["per_class"]]
    lines += ["", "## Figures", ""]
    if result.get("tsne_features"):
        lines += [f"The t-SNE plots show: {result['tsne_features']}.", ""]
    lines += [f"![{name}]({fname})" for name, fname in figures.items()]
    lines += ["", "## Wall time per stage (seconds)", "", "| stage | seconds |", "|---|---|"]
    lines += [f"| {_cell(name)} | {sec:.2f} |" for name, sec in result["timings_seconds"].items()]
    return "\n".join(lines) + "\n"


def _notes(result: dict, k: str) -> list[str]:
    """What the headline figures mean and where they may mislead: the labels macro-F1 averages,
    a trivial top-k, pooling over folds (with the per-fold spread), leaks, searches not run."""
    m, b = result["metrics"], result["baseline"]
    lines = []
    if "macro_f1_n_labels" in m:
        lines.append(f"- macro-F1 is the mean F1 over the {m['macro_f1_n_labels']} labels that are true or predicted "
                     "in the test rows (`in macro-F1` in the per-class table).")
    trivial = k.replace("_accuracy", "_trivial")
    if m.get(trivial):
        top = k.removeprefix("top").removesuffix("_accuracy")
        n = result.get("n_trained_classes", f"{top} or fewer")
        lines.append(f"- {k.replace('_', ' ')} is trivial here: with {n} trained classes every class is in the "
                     f"top {top}.")
    if result.get("predictions") is not None:
        lines.append("- Each test image's truth, prediction, ranking and baseline answer: `predictions` in "
                     "report.json.")
    if m.get("pooled_over_folds"):
        lines.append(f"- The figures above are pooled over the {m['pooled_over_folds']} folds' test predictions "
                     "(each image tested once); per fold below.")
    for w in result.get("warnings", []):
        lines.append(f"- **Warning:** {w}")
    for n in result.get("search_notes", []):
        lines.append(f"- Note: {n}")
    if lines:
        lines.append("")
    if m.get("per_fold"):
        lines += ["## Per fold", "",
                  "| fold | test images | accuracy | macro-F1 | baseline accuracy | baseline macro-F1 |",
                  "|---|---|---|---|---|---|"]
        base = {f["fold"]: f for f in (b.get("per_fold") or {}).get("folds", [])}
        for f in m["per_fold"]["folds"]:
            bf = base.get(f["fold"], {})
            lines.append(f"| {f['fold']} | {f['n']} | {f['accuracy']:.4f} | {f['macro_f1']:.4f} "
                         f"| {number(bf.get('accuracy'), 4)} | {number(bf.get('macro_f1'), 4)} |")
        pf, bpf = m["per_fold"], b.get("per_fold") or {}
        lines += [f"| mean ± sd | | {pf['accuracy_mean']:.4f} ± {pf['accuracy_std']:.4f} "
                  f"| {pf['macro_f1_mean']:.4f} ± {pf['macro_f1_std']:.4f} "
                  f"| {number(bpf.get('accuracy_mean'), 4)} ± {number(bpf.get('accuracy_std'), 4)} "
                  f"| {number(bpf.get('macro_f1_mean'), 4)} ± {number(bpf.get('macro_f1_std'), 4)} |",
                  "", "(sd: population standard deviation over the folds)", ""]
    return lines


def write_report(result: dict, out: Path, tsne_perplexity: float = 30.0, seed: int = 0) -> dict[str, Path]:
    """Write everything into the folder `out`; returns the written paths."""
    from animeid.evaluate import plots

    from animeid.output_folders import check_output_folder

    out = check_output_folder(out, "--report")
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    conf = result["confusion"]
    figures = {"confusion matrix (rows = predicted, columns = true)": "confusion.png",
               "t-SNE 2-D": "tsne_2d.png", "t-SNE 3-D": "tsne_3d.png"}
    plots.confusion_matrix_png(np.asarray(conf["rows_predicted_cols_true"]), conf["labels"], out / "confusion.png",
                               title=f"{result['method']}: rows predicted, columns true")
    plot = result.get("_plot")
    shows = result.get("tsne_features") or f"{result['method']} features"
    if plot is not None and len(plot["labels"]) >= 5:
        for dims in (2, 3):
            pts = tsne(plot["x"], dims, tsne_perplexity, seed)
            plots.scatter_by_label(pts, plot["labels"], out / f"tsne_{dims}d.png",
                                   title=f"t-SNE {dims}-D: {shows}")
    else:
        figures = {k: v for k, v in figures.items() if not k.startswith("t-SNE")}
    result = dict(result)
    result.pop("_plot", None)
    result["timings_seconds"] = dict(result["timings_seconds"])
    result["timings_seconds"]["report"] = round(time.perf_counter() - t0, 3)
    write_text_atomic(out / "report.json", strict_json(result))
    write_text_atomic(out / "report.md", markdown(result, figures))
    return {"json": out / "report.json", "markdown": out / "report.md", **{v: out / v for v in figures.values()}}


def strict_json(result: dict) -> str:
    """The result as JSON every parser accepts: a missing figure is null, and a NaN or infinity
    that slips in fails here, loudly, instead of writing a file strict parsers reject."""
    return json.dumps(result, indent=2, ensure_ascii=False, allow_nan=False, default=_jsonable)


def _jsonable(o):
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    return str(o)
