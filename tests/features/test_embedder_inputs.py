"""`Embedder.embed` and `detect_faces` take what `load_image` takes. A float 0-1 array at exactly
the input size was cast to uint8 (a black frame, embedded without a word); a path or PIL image was
an AttributeError; a grey array handed to the face detector kept three columns and found nothing."""
import numpy as np
import pytest
from PIL import Image

from animeid.errors import BadImage
from animeid.features.registry import create_embedder
from animeid.media.images import load_image


@pytest.fixture(scope="module")
def lite0():
    return create_embedder("efficientnet-lite0")


def test_every_image_form_embeds_as_its_uint8_pixels(lite0, rng, tmp_path):
    picture = rng.integers(0, 256, (224, 224, 3), dtype=np.uint8)
    Image.fromarray(picture).save(tmp_path / "p.png")
    forms = [picture / 255.0, Image.fromarray(picture), str(tmp_path / "p.png"), tmp_path / "p.png",
             (tmp_path / "p.png").read_bytes(), np.dstack([picture, np.full((224, 224), 255, np.uint8)])]
    expected = lite0.embed([picture])[0]
    for vec in lite0.embed(forms):
        assert float(vec @ expected) > 0.9999
    black = lite0.embed([np.zeros((224, 224, 3), np.uint8)])[0]
    assert float(lite0.embed([picture / 255.0])[0] @ black) < 0.9    # not the black frame it used to be


def test_what_is_not_an_image_is_a_bad_image_error(lite0):
    with pytest.raises(BadImage, match="no such file"):
        lite0.embed(["/nonexistent/shot.png"])
    with pytest.raises(BadImage, match="unsupported image input of type NoneType"):
        lite0.embed([None])


@pytest.mark.shared_data
def test_a_grey_or_file_illustration_has_its_face_found(shared_data):
    from animeid.features.faces import detect_faces
    from animeid.media.images import list_images

    path = list_images(shared_data / "faces" / "illustrations")[0]
    rgb = load_image(path)
    assert detect_faces(rgb)
    assert detect_faces(rgb[..., 1])          # grey HxW
    assert detect_faces(path) and detect_faces(Image.fromarray(rgb))
