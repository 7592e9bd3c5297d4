"""Vision models and tools: detection (SSD), segmentation (U-Net), their metrics, geometry.

A library with nothing of Go in it (a test checks that it imports nothing of the engine
or the applications); the board reader ``zerogo.scan`` is built on it.  Where to start:

* ``nn.vision.boxes``: IoU, non-maximum suppression, SSD box offsets, prior matching;
* ``nn.vision.backbone``: the MobileNet encoder (feature maps at strides 2, 4, 8, ...);
* ``nn.vision.ssd``: the single-shot detector — default boxes, head, MultiBox loss with
  hard-negative mining, decoding with per-class NMS;
* ``nn.vision.segment``: the U-Net-like encoder-decoder for per-pixel classes;
* ``nn.vision.metrics``: AP per class, mAP@0.5 and mAP@[.5:.95] (COCO's 101-point
  interpolation), per-class segmentation IoU;
* ``nn.vision.geometry``: homographies (DLT), image warping, grids, quadrilateral fits.

torchvision's ops would do part of this; its wheel does not load beside the CPU build of
torch used here, so the pieces are written out and checked against brute-force and
pycocotools references in ``tests/nn/vision``.
"""
