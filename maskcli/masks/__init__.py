"""Attention masks as arrays: key intervals (spans) and packing,
position ids, conventions (hf/sdpa/eager/mha/flex/flash), tiles (block view), receptive fields,
the registry of mask kinds with the classic ones (BERT MLM, XLNet, Swin, sparse), model configs,
mask files (``io``) and their comparison (``diff``).

Pure numpy: nothing here tokenizes, reads records or prints.
"""
