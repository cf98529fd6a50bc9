"""`eval --method best` and `--method knn` end to end on real characters, with a cut-down
fine-tune (Lite0 only, one augmented view, three epochs) so each runs in about a minute: each must
reach 0.9 and not fall below the frozen baseline printed beside it (a 30-image test split; the
full methods' figures, which beat it, are in docs/recognition.md)."""
import pytest

from animeid.recognize.config import EvalCfg, FineTuneCfg

pytestmark = pytest.mark.shared_data


@pytest.mark.parametrize("method", ["best", "knn"])
def test_finetuned_methods_on_danbooru6_beat_baseline(shared_data, tmp_path, method):
    from animeid.evaluate.report import write_report
    from animeid.recognize.evaluation import run_eval

    ft = FineTuneCfg(backbones=("efficientnet-lite0",), trainable_blocks=(3,), augmented_views=1, epochs=3)
    result = run_eval(shared_data / "characters" / "danbooru6", method, cfg=EvalCfg(finetune=ft), progress=False)
    assert result["metrics"]["n"] == 30
    assert result["metrics"]["accuracy"] >= 0.9
    assert result["metrics"]["accuracy"] >= result["baseline"]["accuracy"]
    assert "fine-tune efficientnet-lite0" in result["timings_seconds"]
    assert f"predict {method}" in result["timings_seconds"]
    preds = result["predictions"]   # every test image, with the method's ranking
    assert len(preds) == 30 and all(p["top5"][0] == p["pred"] and len(p["top5"]) == 5 for p in preds)
    assert sum(p["pred"] == p["truth"] for p in preds) / 30 == result["metrics"]["accuracy"]
    written = write_report(result, tmp_path / "rep")
    assert written["tsne_2d.png"].exists() and "baseline" in written["markdown"].read_text()
