"""GenreCfg refuses settings out of range (the Python API and model.json, not only the CLI)."""
import pytest

from animeid.errors import AnimeidError
from animeid.genres.config import GenreCfg


@pytest.mark.parametrize("changes,message", [
    ({"C": 0}, "--C 0: must be a finite number > 0"),
    ({"C": "strong"}, "--C 'strong'"),
    ({"knn_weight": 1.5}, "--knn-weight 1.5: must be in [0, 1]"),
    ({"pseudo_confidence": 1.01}, "--confidence 1.01"),
    ({"top_k": 1}, "--top-k 1 keeps a single genre"),
    ({"top_k": -1}, "--top-k -1"),
    ({"min_count": -2}, "--min-count -2"),
    ({"inner_folds": 1}, "'inner_folds' 1"),
    ({"knn_k": 0}, "'knn_k' 0"),
    ({"epochs": 2.5}, "'epochs' 2.5"),
    ({"head": "svm"}, "--head 'svm': must be one of logreg, mlp"),
    ({"threshold_objective": "f2"}, "--objective 'f2'"),
    ({"views": ("full", "sideways")}, "unknown poster view"),
    ({"embedders": ()}, "--embedder: needs at least one name"),
    ({"threshold_grid": (0.5, 0.1, 3)}, "threshold grid"),
    ({"seed": True}, "--seed True"),
])
def test_out_of_range_settings_refused(changes, message):
    with pytest.raises(AnimeidError, match=message.replace("(", r"\(").replace("[", r"\[")):
        GenreCfg().replace(**changes)


def test_boundaries_accepted():
    cfg = GenreCfg(knn_weight=0.0, pseudo_confidence=1.0, top_k=0, min_count=0, max_predicted=0, C=1e-6)
    assert GenreCfg.from_dict(cfg.to_dict()) == cfg
    assert GenreCfg(knn_weight=1.0, top_k=2, min_count=1, pseudo_confidence=0.0).top_k == 2
