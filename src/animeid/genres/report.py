"""Turning a cross-validation result into text, JSON, Markdown and charts."""
from __future__ import annotations

import json
from pathlib import Path

from animeid.output_folders import write_text_atomic

HEADLINE = (("micro_f1", "micro-F1"), ("macro_f1", "macro-F1"), ("micro_precision", "precision"),
            ("micro_recall", "recall"), ("hamming_loss", "Hamming"), ("subset_accuracy", "subset acc"),
            ("mAP", "mAP"))


def summary_lines(report: dict) -> list[str]:
    head = f"{'':22s}" + "".join(f"{label:>11s}" for _, label in HEADLINE)
    lines = [f"{report['n_posters']} posters, {report['n_genres']} genres, label density "
             f"{report['label_density']:.3f}, {report['folds']}-fold iterative-stratified CV", head]
    for name, r in report["results"].items():
        lines.append(f"{name:22s}" + "".join(f"{r.get(k, float('nan')):11.3f}" for k, _ in HEADLINE))
    model = report["results"].get("model")
    if model and "per_genre" in model:
        lines.append("")
        lines.append(f"{'genre':22s}{'support':>8s}{'F1':>7s}{'prec':>7s}{'recall':>7s}{'thresh':>8s}")
        for row in model["per_genre"]:
            lines.append(f"{row['genre'][:22]:22s}{row['support']:8d}{row['f1']:7.3f}{row['precision']:7.3f}"
                         f"{row['recall']:7.3f}{row['threshold']:8.3f}")
    return lines


def write_report(report: dict, folder: Path) -> list[Path]:
    """report.json, report.md and the charts in `folder`; other files there are left alone. A
    folder that cannot be written is one AnimeidError line, not a traceback."""
    from animeid.errors import AnimeidError

    folder = Path(folder)
    try:
        return _write_report(report, folder)
    except OSError as exc:
        raise AnimeidError(f"--report {folder}: cannot write the report ({exc.strerror or exc})") from None


def _write_report(report: dict, folder: Path) -> list[Path]:
    from animeid.evaluate.plots import per_genre_bars, threshold_f1_curves

    folder.mkdir(parents=True, exist_ok=True)
    write_text_atomic(folder / "report.json", json.dumps(report, indent=2))
    md = ["# Genre model: cross-validated report", "", "```", *summary_lines(report), "```", ""]
    md += [f"- {n}" for n in report.get("notes", [])]
    write_text_atomic(folder / "report.md", "\n".join(md) + "\n")
    written = [folder / "report.json", folder / "report.md"]
    curves = {name: (r["threshold_curve"]["thresholds"], r["threshold_curve"]["micro_f1"])
              for name, r in report["results"].items() if "threshold_curve" in r}
    if curves:
        written.append(threshold_f1_curves(curves, folder / "threshold_f1.png"))
    model = report["results"].get("model")
    if model and "per_genre" in model:
        rows = model["per_genre"]
        written.append(per_genre_bars([r["genre"] for r in rows], [r["f1"] for r in rows],
                                      [r["support"] for r in rows], folder / "per_genre_f1.png"))
    return written
