"""Labelled folders as `animeid eval` reads them: what is warned about, and where."""
import numpy as np
from PIL import Image


def make(root, counts: dict):
    for label, n in counts.items():
        d = root / label
        d.mkdir(parents=True)
        for i in range(n):
            Image.fromarray(np.full((8, 8, 3), 40 * i, np.uint8)).save(d / f"{i}.png")
    return root


def test_single_image_and_empty_labels_are_reported(tmp_path):
    from animeid.recognize.datasets import labelled_folder

    root = make(tmp_path / "g", {"a": 2, "b": 1, "c": 0})
    got = labelled_folder(root)
    assert got.labels == ["a", "a", "b"]
    assert got.warnings == ["label 'b' has a single image", "label folder 'c' has no images; skipped"]
    assert labelled_folder(root, warn_single=False).warnings == ["label folder 'c' has no images; skipped"]


def test_eval_warns_about_single_image_labels_of_training_only(tmp_path):
    from animeid.recognize.evaluation import load_eval_data

    train = make(tmp_path / "train", {"a": 3, "b": 1})
    test = make(tmp_path / "test", {"a": 1, "b": 1, "z": 1})
    data = load_eval_data(train, test, None)
    assert len(data.splits) == 1 and len(data.splits[0].train) == 4 and len(data.splits[0].test) == 3
    assert "label 'b' has a single image" in data.warnings
    assert not any("'a' has a single image" in w for w in data.warnings)   # one test image is normal
    assert any("absent from training are always wrong: z" in w for w in data.warnings)


def test_a_frames_dataset_manifest_is_a_split(tmp_path):
    """`animeid dataset frames` writes split,title,image,...,status; eval reads its kept rows."""
    from animeid.recognize.datasets import manifest_split

    root = tmp_path / "frames"
    rows = ["split,title,image,source,seconds,phash,laplacian_var,status"]
    for split, title, n in (("train", "A", 3), ("train", "B", 3), ("test", "A", 1), ("test", "B", 1)):
        d = root / split / title
        d.mkdir(parents=True, exist_ok=True)
        for i in range(n):
            Image.fromarray(np.full((8, 8, 3), 30 * i, np.uint8)).save(d / f"{i}.jpg")
            rows.append(f"{split},{title},{split}/{title}/{i}.jpg,v.mp4,{i}.0,0,10.0,kept")
    rows.append("train,A,,v.mp4,9.0,0,1.0,dropped: blurred")
    (root / "manifest.csv").write_text("\n".join(rows) + "\n")
    train, test = manifest_split(root)
    assert sorted(train.labels) == ["A"] * 3 + ["B"] * 3 and sorted(test.labels) == ["A", "B"]
    assert not train.warnings and all(p.exists() for p in train.paths)
