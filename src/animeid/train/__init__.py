"""The training workflow: frame datasets, Siamese contrastive training, supervised fine-tuning and
model surgery (export a trained branch as a named embedder). torch is imported lazily, inside the
modules that need it, so `import animeid.train` stays cheap."""
