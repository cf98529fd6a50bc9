"""Anime face detection on the shared illustrations and patches, and the margin crop."""
import numpy as np
import pytest

from animeid.features import faces
from animeid.media.images import list_images, load_image


def test_crop_with_margin_is_clamped():
    img = np.zeros((100, 80, 3), np.uint8)
    box = faces.FaceBox(10, 20, 40, 40, 1.0)
    # 25% margin = 10 px each side: x 0..60, y 10..70
    assert faces.crop_with_margin(img, box, 0.25).shape == (60, 60, 3)
    # 50% margin = 20 px: x -10..70 clamps to 0..70, y 0..80
    assert faces.crop_with_margin(img, box, 0.5).shape == (80, 70, 3)


def test_blank_image_falls_back_to_whole():
    img = np.full((120, 160, 3), 200, np.uint8)
    crops, boxes, fell_back = faces.face_crops_or_whole(img)
    assert fell_back and boxes == [None] and crops[0].shape == img.shape


@pytest.mark.shared_data
def test_every_illustration_has_a_face(shared_data):
    paths = list_images(shared_data / "faces" / "illustrations")
    assert len(paths) >= 8
    for p in paths:
        img = load_image(p)
        found = faces.detect_faces(img)
        assert len(found) >= 1, p.name
        for f in found:
            assert 0 <= f.x and f.x + f.w <= img.shape[1] and 0 <= f.y and f.y + f.h <= img.shape[0]
            assert 0.5 <= f.likelihood <= 1.0


@pytest.mark.shared_data
def test_face_not_face_patches(shared_data):
    """Detection on the patch upscaled to 128 px and edge-padded (no learned classifier)."""
    root = shared_data / "faces" / "patches"
    correct = total = 0
    per_class = {}
    for cls, want in (("face", True), ("not_face", False)):
        hits = [faces.is_face_patch(load_image(p)) == want for p in list_images(root / cls)]
        per_class[cls] = float(np.mean(hits))
        correct += sum(hits)
        total += len(hits)
    acc = correct / total
    print(f"face/not-face accuracy {acc:.3f} over {total} patches; per class {per_class}")
    assert total == 364
    assert acc >= 0.95
    assert per_class["not_face"] >= 0.98


@pytest.mark.shared_data
def test_equally_likely_faces_come_larger_first(shared_data):
    """The detector gives several faces of a group picture exactly 1.0: among those the larger
    comes first (a gallery enrolled with faces keeps the first), not the detector's scan order."""
    from animeid.features.faces import detect_faces
    from animeid.media.images import load_image

    faces = detect_faces(load_image(shared_data / "faces" / "illustrations" / "detect_01.jpg"))
    assert len(faces) >= 2
    order = [(-f.likelihood, -f.w * f.h) for f in faces]
    assert order == sorted(order)
    tied = [f for f in faces if f.likelihood == faces[0].likelihood]
    assert len(tied) >= 2 and tied[0].w * tied[0].h == max(f.w * f.h for f in tied)


@pytest.mark.shared_data
def test_enrolling_a_group_picture_with_faces_says_so(shared_data, tmp_path):
    from animeid.recognize.recognizer import Recognizer

    warnings = []
    with Recognizer.create(tmp_path / "db", "character", faces=True) as rec:
        group = shared_data / "faces" / "illustrations" / "detect_01.jpg"
        assert rec.enroll("group", [group], warn=warnings.append, refit=False) == 1
    (line,) = [w for w in warnings if "several faces" in w]
    assert line.startswith("label 'group': 1 image(s) show several faces (") and str(group) in line
