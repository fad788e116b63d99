"""The classic attention masks from the literature, each built exactly as its reference code does.

They are ``--mask`` kinds like any other (:mod:`maskcli.masks.classic.kinds`); Swin's shifted windows
mask an image grid rather than a token row and are drawn by ``maskcli swin``.
"""
