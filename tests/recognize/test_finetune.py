"""`eval --method best`: the cached-prefix fine-tune on tiny synthetic images (real Lite0
weights from the installed package, last block only, torch prefix, a few steps)."""
import numpy as np
import pytest

from animeid.recognize.config import EvalCfg, FineTuneCfg
from animeid.recognize.evaluation import Split, Timer

TINY = FineTuneCfg(backbones=("efficientnet-lite0",), trainable_blocks=(1,), augmented_views=1, epochs=3,
                   batch_size=8, head_init_steps=60, test_views=("base", "flip", "crop", "cropflip"),
                   onnx_prefix=False, threads=1)


def shapes(rng, n_per=6, size=48):
    """Three classes a frozen ImageNet net tells apart easily: colour and layout differ."""
    imgs, labels = [], []
    for label, rgb in (("red", (220, 30, 30)), ("green", (30, 200, 40)), ("blue", (30, 40, 220))):
        for _ in range(n_per):
            img = np.full((size, size, 3), 240, np.float32)
            x0, y0 = rng.integers(0, size // 6, 2)
            img[y0:y0 + 2 * size // 3, x0:x0 + 2 * size // 3] = rgb
            imgs.append(np.clip(img + rng.normal(0, 8, img.shape), 0, 255).astype(np.uint8))
            labels.append(label)
    return imgs, labels


@pytest.fixture(scope="module")
def data():
    return shapes(np.random.default_rng(0))


def test_prefix_bank_caches_views_once(data):
    from animeid.recognize.prefix_bank import PrefixBank

    imgs, _ = data
    bank = PrefixBank([f"img{i}" for i in range(len(imgs))], TINY, images=imgs)
    train = np.arange(0, len(imgs), 2)
    bank.prepare("efficientnet-lite0", train)
    assert bank.cut("efficientnet-lite0") == 15
    base = bank.acts("efficientnet-lite0", "base", np.arange(len(imgs)))
    assert base.shape[0] == len(imgs) and str(base.dtype) == "torch.float16"
    assert bank.acts("efficientnet-lite0", "aug1", train[:3]).shape[0] == 3
    with pytest.raises(KeyError):
        bank.acts("efficientnet-lite0", "aug1", np.array([1]))  # not a training row
    assert bank.train_views() == ["base", "flip", "aug1"]


def test_shrink_keeps_small_images_and_aspect():
    from animeid.recognize.prefix_bank import shrink

    small = np.zeros((40, 30, 3), np.uint8)
    assert shrink(small, 512) is small
    assert shrink(np.zeros((1000, 500, 3), np.uint8), 512).shape == (512, 256, 3)


def test_ensemble_learns_and_scores_are_probabilities(data):
    from animeid.recognize.finetune_ensemble import FineTuneEnsemble
    from animeid.recognize.prefix_bank import PrefixBank

    imgs, labels = data
    rows = np.arange(len(imgs))
    train, test = rows[rows % 3 != 0], rows[rows % 3 == 0]
    bank = PrefixBank([f"img{i}" for i in rows], TINY, images=imgs)
    bank.prepare("efficientnet-lite0", train)
    model = FineTuneEnsemble(TINY).fit(bank, train, [labels[i] for i in train])
    s = model.scores(bank, test)
    assert s.shape == (len(test), 3) and np.allclose(s.sum(axis=1), 1.0, atol=1e-5)
    pred = [model.classes[i] for i in s.argmax(axis=1)]
    assert np.mean([p == labels[i] for p, i in zip(pred, test)]) >= 0.8
    assert len(model.members[0].history) == TINY.epochs


def test_seeded_members_differ_and_are_averaged(data):
    from dataclasses import replace

    from animeid.recognize.finetune_ensemble import FineTuneEnsemble
    from animeid.recognize.prefix_bank import PrefixBank

    imgs, labels = data
    rows = np.arange(len(imgs))
    train, test = rows[rows % 3 != 0], rows[rows % 3 == 0]
    cfg = replace(TINY, seeds_per_backbone=2)
    bank = PrefixBank([f"img{i}" for i in rows], cfg, images=imgs)
    bank.prepare("efficientnet-lite0", train)
    model = FineTuneEnsemble(cfg).fit(bank, train, [labels[i] for i in train])
    assert [m.cfg.seed for m in model.members] == [0, 1]
    a, b = (m.predict_proba(bank, test) for m in model.members)
    assert not np.allclose(a, b)                      # another seed, another fine-tune
    assert np.allclose(model.scores(bank, test), (a + b) / 2, atol=1e-6)


def test_evaluate_finetune_reports_like_row_methods(data):
    from animeid.recognize.finetune_ensemble import evaluate_finetune
    from animeid.recognize.prefix_bank import PrefixBank

    imgs, labels = data
    rows = np.arange(len(imgs))
    splits = [Split(rows[rows % 2 != k], rows[rows % 2 == k]) for k in range(2)]
    cfg = EvalCfg(finetune=TINY)
    bank = PrefixBank([f"img{i}" for i in rows], TINY, images=imgs)
    timer = Timer()
    out, x_plot, desc = evaluate_finetune([f"img{i}" for i in rows], labels, splits, cfg, timer, False, bank)
    assert out["n"] == len(imgs) and 0.0 <= out["accuracy"] <= 1.0 and out["top5_accuracy"] == 1.0
    assert len(out["truth"]) == len(out["pred"]) == len(imgs) and len(out["chosen"]) == 2
    assert x_plot.shape == (len(imgs), 1280)
    assert "fine-tune efficientnet-lite0" in timer.stages and "prefix activations efficientnet-lite0" in timer.stages
    assert "last 1 blocks" in desc


def test_mismatched_config_is_refused():
    from animeid.recognize.finetune_ensemble import FineTuneEnsemble

    with pytest.raises(ValueError, match="trainable_blocks"):
        FineTuneEnsemble(FineTuneCfg(backbones=("efficientnet-lite0",), trainable_blocks=(1, 2)))


def test_embed_concatenates_unit_norm_members_averaged_over_views(data):
    from dataclasses import replace

    from animeid.features.embedder import l2_normalize
    from animeid.recognize.finetune_ensemble import FineTuneEnsemble
    from animeid.recognize.prefix_bank import PrefixBank

    imgs, labels = data
    rows = np.arange(len(imgs))
    cfg = replace(TINY, seeds_per_backbone=2, epochs=1)
    bank = PrefixBank([f"img{i}" for i in rows], cfg, images=imgs)
    bank.prepare("efficientnet-lite0", rows)
    model = FineTuneEnsemble(cfg).fit(bank, rows, labels)
    emb = model.embed(bank, rows[:4])
    assert emb.shape == (4, 2 * 1280)
    for part, member in zip(np.split(emb, 2, axis=1), model.members):
        assert np.allclose(np.linalg.norm(part, axis=1), 1.0, atol=1e-5)
        by_hand = l2_normalize(sum(l2_normalize(member.pooled(bank, rows[:4], v)) for v in cfg.test_views))
        assert np.allclose(part, by_hand, atol=1e-5)


def test_knn_over_the_fine_tuned_embedder(data):
    from animeid.recognize.finetune_ensemble import evaluate_finetune
    from animeid.recognize.prefix_bank import PrefixBank

    imgs, labels = data
    rows = np.arange(len(imgs))
    splits = [Split(rows[rows % 3 != 0], rows[rows % 3 == 0])]
    cfg = EvalCfg(finetune=TINY)
    bank = PrefixBank([f"img{i}" for i in rows], TINY, images=imgs)
    timer = Timer()
    out, x_plot, desc = evaluate_finetune([f"img{i}" for i in rows], labels, splits, cfg, timer, False, bank,
                                          classifier="knn")
    assert out["n"] == len(splits[0].test) and out["accuracy"] >= 0.8
    chosen = out["chosen"][0]["knn"]
    assert chosen["clf__n_neighbors"] in cfg.knn_k and chosen["clf__weights"] in ("uniform", "distance")
    assert x_plot.shape == (len(imgs), 1280) and "fit knn" in timer.stages and "k-NN" in desc
    with pytest.raises(ValueError, match="softmax or knn"):
        evaluate_finetune([f"img{i}" for i in rows], labels, splits, cfg, timer, False, bank, classifier="svm")


@pytest.mark.parametrize("method", ["knn-fine", "classical:xgboost"])
def test_unknown_eval_method_is_refused_before_any_work(tmp_path, method):
    from animeid.errors import AnimeidError
    from animeid.recognize.evaluation import run_eval

    with pytest.raises(AnimeidError, match="unknown method"):
        run_eval(tmp_path / "does-not-exist", method)  # the method is checked before the folder is read
