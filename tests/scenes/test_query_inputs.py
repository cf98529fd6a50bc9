"""A screenshot given to `Index.search` as a file object or a PIL image is answered exactly as the
same file given by its path: a BytesIO used to be refused, and a large JPEG given as
`Image.open(path)` was decoded whole instead of at reduced scale, which moved similarities by
~0.001 and could swap near-tied answers."""
import io

import numpy as np
from PIL import Image

from animeid.distribute.sharded_index import open_index
from animeid.media.video import frames_at


def test_file_objects_and_pil_jpegs_are_answered_as_their_path(scene_db, sharded_scene_db, scene_library, tmp_path):
    frame = frames_at(scene_library / "Alpha" / "Alpha - 02.mp4", [2.3])[0]
    shot = tmp_path / "shot.jpg"
    Image.fromarray(frame).resize((1920, 1080), Image.BICUBIC).save(shot, quality=90)
    data = shot.read_bytes()
    for folder in (scene_db, sharded_scene_db):
        index = open_index(folder)
        try:
            expected = index.search(shot, k=3)
            assert expected[0].file == "Alpha/Alpha - 02.mp4"
            assert index.search(data, k=3) == expected
            assert index.search(io.BytesIO(data), k=3) == expected
            with open(shot, "rb") as f:
                assert index.search(f, k=3) == expected
            assert index.search(memoryview(data), k=3) == expected
            assert index.search(Image.open(shot), k=3) == expected
            assert index.search(Image.open(io.BytesIO(data)), k=3) == expected
        finally:
            index.close()


def test_a_uint16_screenshot_of_8bit_values_is_not_a_black_picture(scene_db, scene_library):
    frame = frames_at(scene_library / "Beta" / "[Grp] Beta S01E03 [720p].mkv", [2.3])[0]
    index = open_index(scene_db)
    try:
        assert index.search(frame.astype(np.uint16), k=2) == index.search(frame, k=2)
    finally:
        index.close()
