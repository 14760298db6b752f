"""Unit tests for helpers.digits and helpers.image_tables: the digits, PNG + CSV tables, ImagesDataset and bad input."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest
import torch

from helpers.digits import DigitsCNN, load_digits_arrays, stratified_split
from helpers.image_tables import (
    IMAGE_TABLE_COLUMNS,
    DelayedReader,
    ImagesDataset,
    digits_transforms,
    read_gray_image,
    seed_worker,
    write_digits_png,
)


@pytest.fixture(scope="module")
def digits():
    images, labels = load_digits_arrays()
    return images[:12], labels[:12]


@pytest.fixture
def csv_path(tmp_path, digits):
    return write_digits_png(tmp_path / "digits", *digits)


def test_load_digits_arrays_shapes_and_range():
    images, labels = load_digits_arrays()
    assert images.shape == (1797, 8, 8) and images.dtype == np.uint8
    assert images.min() == 0 and images.max() == 255
    assert labels.shape == (1797,) and sorted(set(labels.tolist())) == list(range(10))


def test_write_digits_png_writes_one_file_per_row_and_a_csv(csv_path, digits):
    images, labels = digits
    df = pd.read_csv(csv_path)
    assert tuple(df.columns) == IMAGE_TABLE_COLUMNS == ("path", "class_")
    assert df["class_"].tolist() == labels.tolist()
    assert all((csv_path.parent / p).is_file() for p in df["path"])
    assert not any(p.startswith("/") for p in df["path"]), "paths are relative to the CSV's folder"


def test_dataset_reads_back_the_exact_pixels(csv_path, digits):
    images, labels = digits
    dataset = ImagesDataset.from_csv(csv_path)
    assert len(dataset) == len(labels)
    for index in (0, 5, len(labels) - 1):
        image, label = dataset[index]
        assert image.dtype == torch.uint8 and tuple(image.shape) == (1, 8, 8)
        assert np.array_equal(image[0].numpy(), images[index]) and label == labels[index]


def test_dataset_accepts_a_dataframe_with_a_root(csv_path):
    df = pd.read_csv(csv_path)
    dataset = ImagesDataset(df, transform=digits_transforms(train=False), root=csv_path.parent)
    image, label = dataset[1]
    assert image.dtype == torch.float32 and 0.0 <= image.min() and image.max() <= 1.0
    assert label == int(df.loc[1, "class_"])


def test_missing_file_names_the_row_and_the_file(csv_path):
    df = pd.read_csv(csv_path)
    df.loc[3, "path"] = "images/nowhere.png"
    dataset = ImagesDataset(df, root=csv_path.parent, source="digits.csv")
    with pytest.raises(FileNotFoundError, match=r"digits\.csv row 3: image file 'images/nowhere\.png' does not exist"):
        dataset[3]
    dataset[2]  # the other rows still load


def test_file_deleted_after_writing_is_reported(csv_path):
    (csv_path.parent / "images" / "0004.png").unlink()
    dataset = ImagesDataset.from_csv(csv_path)
    with pytest.raises(FileNotFoundError, match=r"row 4: image file 'images/0004\.png'"):
        dataset[4]


@pytest.mark.parametrize("content", [b"this is not an image", b"", b"\x89PNG\r\n\x1a\n" + b"\x00" * 20])
def test_corrupt_image_names_the_row_and_the_file(csv_path, content):
    (csv_path.parent / "images" / "0002.png").write_bytes(content)
    dataset = ImagesDataset.from_csv(csv_path)
    with pytest.raises(ValueError, match=r"digits\.csv row 2: cannot read image file 'images/0002\.png'") as caught:
        dataset[2]
    assert caught.value.__cause__ is not None, "the decoder's own error stays attached as the cause"


def test_truncated_png_is_reported(csv_path):
    path = csv_path.parent / "images" / "0007.png"
    path.write_bytes(path.read_bytes()[:40])
    with pytest.raises(ValueError, match=r"row 7: cannot read image file 'images/0007\.png'"):
        ImagesDataset.from_csv(csv_path)[7]


def test_missing_column_is_named(csv_path):
    df = pd.read_csv(csv_path).rename(columns={"class_": "label"})
    message = r"table lacks column\(s\) 'class_': expected 'path', 'class_', found 'path', 'label'"
    with pytest.raises(ValueError, match=message):
        ImagesDataset(df)


def test_missing_columns_in_a_csv_name_the_file_and_every_column(tmp_path):
    bad = tmp_path / "bad.csv"
    pd.DataFrame({"file": ["a.png"], "label": [1]}).to_csv(bad, index=False)
    with pytest.raises(ValueError, match=r"bad\.csv lacks column\(s\) 'path', 'class_'.*found 'file', 'label'"):
        ImagesDataset.from_csv(bad)


def test_train_transform_augments_and_eval_transform_does_not(csv_path):
    image = read_gray_image(csv_path.parent / "images" / "0000.png")
    torch.manual_seed(0)
    train = [digits_transforms(train=True)(image) for _ in range(8)]
    evaluation = [digits_transforms(train=False)(image) for _ in range(2)]
    for out in train + evaluation:
        assert out.dtype == torch.float32 and tuple(out.shape) == (1, 8, 8)
        assert 0.0 <= out.min() and out.max() <= 1.0
    assert torch.allclose(evaluation[0], image.float() / 255)
    assert any(not torch.equal(out, evaluation[0]) for out in train)


def test_dataset_lives_in_a_module_and_pickles(csv_path):
    # DataLoader workers started with spawn or forkserver unpickle the dataset by module and name.
    assert ImagesDataset.__module__ == DelayedReader.__module__ == "helpers.image_tables"
    dataset = ImagesDataset.from_csv(csv_path, transform=digits_transforms(train=True), loader=DelayedReader(0.0))
    clone = pickle.loads(pickle.dumps(dataset))
    assert clone.paths == dataset.paths and clone.targets == dataset.targets
    assert tuple(clone[0][0].shape) == (1, 8, 8)


def test_digits_cnn_maps_a_batch_to_one_logit_per_class():
    assert tuple(DigitsCNN()(torch.zeros(3, 1, 8, 8)).shape) == (3, 10)
    assert tuple(DigitsCNN(num_classes=4, in_channels=3, image_size=12)(torch.zeros(2, 3, 12, 12)).shape) == (2, 4)
    with pytest.raises(ValueError, match="image_size must be even"):
        DigitsCNN(image_size=7)


def test_stratified_split_keeps_every_class_share_and_repeats():
    _, labels = load_digits_arrays()
    train, test = stratified_split(labels, test_fraction=0.2, seed=0)
    assert len(set(train) & set(test)) == 0 and len(train) + len(test) == len(labels) and len(test) == 360
    for digit in range(10):  # every class keeps (to within one sample) its share in the test split
        assert abs((labels[test] == digit).sum() - (labels == digit).sum() * 0.2) <= 1
    again = stratified_split(labels, test_fraction=0.2, seed=0)
    assert (again[0] == train).all() and (again[1] == test).all()


def test_load_digits_arrays_matches_scikit_learn():
    from sklearn.datasets import load_digits

    images, labels = load_digits_arrays()
    reference = load_digits()
    assert np.array_equal(images, np.round(reference.images * (255.0 / 16.0)).astype(np.uint8))
    assert np.array_equal(labels, reference.target)


def test_load_digits_arrays_does_not_import_scikit_learn():
    import subprocess
    import sys

    code = "import sys, helpers.digits; helpers.digits.load_digits_arrays(); print('sklearn' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False" and out.stderr == ""


def test_seed_worker_seeds_random_and_numpy_from_the_torch_seed_modulo_2_to_the_32():
    import random

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(2**32 + 7)  # a worker's torch seed can exceed what NumPy accepts
        seed_worker(0)
        drawn = (random.random(), np.random.rand())
    random.seed(7)
    np.random.seed(7)
    assert drawn == (random.random(), np.random.rand())
