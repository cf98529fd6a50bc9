"""Recognising titles and characters in pictures nobody indexed: galleries with calibrated,
open-set answers (`Recognizer`) and the evaluation of recognition methods (`animeid eval`).
Names load on first use so `import animeid.recognize` stays light."""
from __future__ import annotations

__all__ = ["Recognizer", "FeatureRecipe", "GalleryCfg"]


def __getattr__(name: str):
    if name == "Recognizer":
        from animeid.recognize.recognizer import Recognizer

        return Recognizer
    if name in ("FeatureRecipe", "GalleryCfg"):
        from animeid.recognize import config

        return getattr(config, name)
    raise AttributeError(f"module 'animeid.recognize' has no attribute {name!r}")
