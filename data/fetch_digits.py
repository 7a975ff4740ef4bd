"""Write scikit-learn's bundled handwritten digits (UCI optdigits test set, CC BY 4.0) as arrays.

    data/generated/digits.npy         float32 [1797, 64]: 8×8 grey images, row-major, x/8 − 1 ∈ [−1, 1]
    data/generated/digits_labels.npy  int64 [1797]: the digit 0–9 of each image

The images come with the scikit-learn wheel (no download). Values 0–16 are scaled to [−1, 1] as
DDPM scales image pixels. Each file is written to a temporary name and renamed, and only when it
is missing, so that a re-run changes nothing. Usage: python data/fetch_digits.py [FOLDER]
"""
import os
import sys
import tempfile

import numpy as np
from sklearn.datasets import load_digits


def write_atomically(path, array):
    folder = os.path.dirname(path) or "."
    handle, temporary = tempfile.mkstemp(prefix=".tmp-", suffix=".npy", dir=folder)
    try:
        with os.fdopen(handle, "wb") as f:
            np.save(f, array)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)  # mkstemp makes the file private; give it the usual mode
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise


def main():
    folder = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "generated")
    os.makedirs(folder, exist_ok=True)
    images_path = os.path.join(folder, "digits.npy")
    labels_path = os.path.join(folder, "digits_labels.npy")
    if os.path.exists(images_path) and os.path.exists(labels_path):
        return
    digits = load_digits()
    images = (digits.data.astype(np.float64) / 8.0 - 1.0).astype(np.float32)
    labels = digits.target.astype(np.int64)
    assert images.shape == (1797, 64) and labels.shape == (1797,)
    assert images.min() >= -1.0 and images.max() <= 1.0
    if not os.path.exists(images_path):
        write_atomically(images_path, np.ascontiguousarray(images))
    if not os.path.exists(labels_path):
        write_atomically(labels_path, np.ascontiguousarray(labels))
    print(f"data: wrote {images_path} {images.shape} and {labels_path} {labels.shape}", file=sys.stderr)


if __name__ == "__main__":
    main()
