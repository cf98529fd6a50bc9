"""`eval --method best` end to end on real characters, with a cut-down fine-tune (Lite0 only,
one augmented view, three epochs) so it runs in about a minute: it must beat the frozen baseline
printed beside it. The full method's figures are in docs/recognition.md."""
import pytest

from animeid.recognize.config import EvalCfg, FineTuneCfg

pytestmark = pytest.mark.shared_data


def test_best_on_danbooru6_beats_baseline(shared_data, tmp_path):
    from animeid.evaluate.report import write_report
    from animeid.recognize.evaluation import run_eval

    ft = FineTuneCfg(backbones=("efficientnet-lite0",), trainable_blocks=(3,), augmented_views=1, epochs=3)
    result = run_eval(shared_data / "characters" / "danbooru6", "best", cfg=EvalCfg(finetune=ft), progress=False)
    assert result["metrics"]["n"] == 30
    assert result["metrics"]["accuracy"] >= 0.9
    assert result["metrics"]["accuracy"] >= result["baseline"]["accuracy"]
    assert "fine-tune efficientnet-lite0" in result["timings_seconds"]
    written = write_report(result, tmp_path / "rep")
    assert written["tsne_2d.png"].exists() and "baseline" in written["markdown"].read_text()
