"""Turning images into vectors: a registry of embedders by name (timm-style)."""
