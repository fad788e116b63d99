"""Reading masks users already have (``.npy``, ``.npz``, JSON) into boolean True = attend matrices.

Accepted inputs, each giving named lists of 2-D ``(Q, K)`` matrices (one per sequence):

- ``.npy``: one array ``(Q, K)``, ``(B, Q, K)`` or transformers' ``(B, 1, Q, K)``; named ``mask``.
- ``.npz``: every array except ``input_ids`` / ``attention_mask`` / ``convention`` is a mask
  (``maskcli show -o masks.npz`` writes exactly that, with its ``convention``).
- JSON: a ``maskcli show --json`` document (its ``mask_convention`` is honoured), a matrix
  (nested lists), or an object mapping names to matrices.

A file that states its convention is read in it; ``--convention`` covers files that state none
(default ``sdpa``: nonzero = attend) and must agree with a file that does.
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from maskcli.data import remote
from maskcli.masks.conventions import MATRIX_CONVENTIONS, check_convention, from_convention
from maskcli.errors import InputError
from maskcli.masks.flash import FlashForm, mask_from_flash
from maskcli.wording import counted

NON_MASK_KEYS = ("input_ids", "attention_mask", "convention")
MAX_CELLS = 2**26  # cells of all arrays read from one file (a 8192 x 8192 mask); checked on the headers first
DEFAULT_IMPORT_CONVENTION = "sdpa"


@dataclass(frozen=True)
class MaskFile:
    """Named masks, one boolean ``(Q, K)`` matrix per sequence, plus the rows' padding when known."""

    path: str
    convention: str
    masks: dict[str, list[np.ndarray]]
    attention_mask: list[np.ndarray] | None = None
    query_rows: dict[str, list[np.ndarray]] = field(default_factory=dict)


def _pick(path: str, stated: str | None, given: str | None, default: str | None = None) -> str:
    """The file's convention: the one it states (a conflicting ``given`` one is an error), else
    ``given``, else ``default`` (which yields to a stated one silently), else sdpa."""
    if stated and given and stated != given:
        raise InputError(f"{path} states convention {stated!r}, but --convention {given} was given")
    name = stated or given or default or DEFAULT_IMPORT_CONVENTION
    if name not in MATRIX_CONVENTIONS and name != "flash":
        check_convention(name)
    return name


def _split(path: str, name: str, array: np.ndarray) -> list[np.ndarray]:
    """A mask array as a list of 2-D matrices."""
    arr = np.asarray(array)
    if arr.ndim == 4 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim == 2:
        return [arr]
    if arr.ndim == 3:
        return list(arr)
    raise InputError(f"{path}: mask {name!r} has shape {arr.shape}; expected (Q, K), (B, Q, K) or (B, 1, Q, K)")


def _decode(path: str, name: str, matrices: list, convention: str, lengths: list[int] | None) -> list[np.ndarray]:
    out = []
    for i, matrix in enumerate(matrices):
        where = f"{path}: mask {name!r} sequence {i}"
        if isinstance(matrix, dict):
            if not matrix.get("representable", False) or lengths is None:
                raise InputError(f"{where}: no matrix in this flash entry ({matrix.get('reason', 'no lengths known')})")
            form = FlashForm(bool(matrix["causal"]), tuple(matrix["window_size"]), tuple(matrix["cu_seqlens"]), tuple(matrix["indices"]))
            out.append(mask_from_flash(form, lengths[i]))
            continue
        try:
            arr = np.array(matrix)
        except ValueError:
            raise InputError(f"{where}: rows of different lengths") from None
        if arr.ndim != 2:
            raise InputError(f"{where}: expected a 2-D matrix, got shape {arr.shape}")
        out.append(from_convention(arr, convention, where))
    return out


def _depth(value: object) -> int:
    """Nesting depth of a JSON list (``[[1, 0], [1, 1]]`` -> 2)."""
    depth = 0
    while isinstance(value, list) and value:
        depth, value = depth + 1, value[0]
    return depth


def header_shape(stream) -> tuple[int, ...]:
    """The shape an ``.npy`` stream declares, read from its header alone (nothing is loaded)."""
    version = np.lib.format.read_magic(stream)
    read = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
    return read(stream)[0]


def check_cells(path: str, shapes: list[tuple[int, ...]]) -> None:
    """Refuse, before loading, a file whose arrays hold more than :data:`MAX_CELLS` cells."""
    cells = sum(int(np.prod(shape, dtype=object)) for shape in shapes)
    if cells > MAX_CELLS:
        raise InputError(f"{path}: its arrays hold {cells:,} cells, more than the {MAX_CELLS:,} maskcli reads; "
                         "cut the mask to the tokens you need (e.g. mask[100:160, 100:160]) before viewing it")


def load_npy(path: str, convention: str | None, default: str | None = None) -> MaskFile:
    try:
        with remote.open_binary(path) as stream:
            check_cells(path, [header_shape(stream)])
            stream.seek(0)
            array = np.load(stream, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: not a NumPy .npy file ({exc})") from None
    name = _pick(path, None, convention, default)
    return MaskFile(path, name, {"mask": _decode(path, "mask", _split(path, "mask", array), name, None)})


def load_npz(path: str, convention: str | None, default: str | None = None) -> MaskFile:
    try:
        with remote.open_binary(path) as file, zipfile.ZipFile(file) as archive:
            shapes = []
            for member in archive.namelist():
                if member.endswith(".npy"):
                    with archive.open(member) as stream:
                        shapes.append(header_shape(stream))
            check_cells(path, shapes)
            file.seek(0)
            with np.load(file, allow_pickle=False) as data:
                arrays = {key: data[key] for key in data.files}
    except (OSError, ValueError, zipfile.BadZipFile) as exc:
        raise InputError(f"{path}: not a NumPy .npz file ({exc})") from None
    stated = str(arrays["convention"]) if "convention" in arrays else None
    name = _pick(path, stated, convention, default)
    masks = {key: _decode(path, key, _split(path, key, value), name, None) for key, value in arrays.items() if key not in NON_MASK_KEYS}
    if not masks:
        raise InputError(f"{path}: no mask arrays in the file")
    am = arrays.get("attention_mask")
    return MaskFile(path, name, masks, list(np.atleast_2d(am)) if am is not None else None)


_MISSING = object()


def _typed(path: str, container: dict, key: str, kind: type, fallback: object = _MISSING, where: str = "") -> object:
    """``container[key]`` when it is a ``kind``; a missing key gives ``fallback`` (required without one)."""
    if not isinstance(container, dict):
        raise InputError(f"{path}: {where or 'the document'} must be an object, not {type(container).__name__}")
    value = container.get(key, fallback)
    if value is _MISSING:
        raise InputError(f"{path}: field {where}{key} is missing")
    if not isinstance(value, kind):
        raise InputError(f"{path}: field {where}{key} must be a JSON {'list' if kind is list else 'object'}, not {type(value).__name__}")
    return value


def load_json(path: str, convention: str | None, default: str | None = None) -> MaskFile:
    try:
        with remote.open_binary(path) as stream:
            text = stream.read().decode("utf-8")
        lines = [line for line in text.splitlines() if line.strip()]
        documents = [json.loads(line) for line in lines] if len(lines) > 1 else [json.loads(text)]
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise InputError(f"{path}: not a JSON file ({exc})") from None
    data = documents[0]
    if isinstance(data, dict) and ("sequences" in data or "schema_version" in data):  # show's export
        from maskcli.show import SCHEMA_VERSION

        if data.get("schema_version", SCHEMA_VERSION) != SCHEMA_VERSION:
            raise InputError(f"{path}: schema_version {data['schema_version']!r}; this maskcli reads show's "
                             f"exports of schema_version {SCHEMA_VERSION} (a newer maskcli wrote it?)")
        stated = _typed(path, data, "mask_convention", dict, {}).get("name", "hf")
        name = _pick(path, stated, convention, default)
        sequences = [seq for document in documents for seq in _typed(path, document, "sequences", list)]  # JSON Lines: every batch
        for i, seq in enumerate(sequences):
            if not isinstance(seq, dict):
                raise InputError(f"{path}: sequences[{i}] must be an object, not {type(seq).__name__}")
            _typed(path, seq, "attention_mask", list, where=f"sequences[{i}].")
            _typed(path, seq, "masks", dict, {}, where=f"sequences[{i}].")
            _typed(path, seq, "query_rows", dict, {}, where=f"sequences[{i}].")
        if not sequences or not sequences[0].get("masks"):
            raise InputError(f"{path}: the document has no mask matrices (written with --no-matrices?)")
        lengths = [len(seq["attention_mask"]) for seq in sequences]
        masks = {
            key: _decode(path, key, [seq["masks"][key] for seq in sequences], name, lengths)
            for key in sequences[0]["masks"]
            if all(key in seq.get("masks", {}) for seq in sequences)
        }
        rows = {
            key: [np.asarray(seq["query_rows"][key]) for seq in sequences]
            for key in masks
            if all(key in seq.get("query_rows", {}) for seq in sequences)
        }
        return MaskFile(path, name, masks, [np.asarray(seq["attention_mask"]) for seq in sequences], rows)
    name = _pick(path, None, convention, default)
    named = data if isinstance(data, dict) else {"mask": data}
    masks = {}
    for key, value in named.items():
        if not isinstance(value, list):
            raise InputError(f"{path}: mask {key!r} is not a matrix (nested lists)")
        masks[key] = _decode(path, key, value if _depth(value) == 3 else [value], name, None)
    return MaskFile(path, name, masks)


def pick_rows(holder: str, count: int, row: int | None) -> range:
    """The sequences to use of ``count`` (``holder`` says whose: "a.npy holds"): all, or ``--row N`` alone."""
    if row is None:
        return range(count)
    if not 0 <= row < count:
        raise InputError(f"--row {row}: {holder} {counted(count, 'sequence')} (rows 0 to {count - 1})")
    return range(row, row + 1)


LOADERS = {".npy": load_npy, ".npz": load_npz, ".json": load_json}


def load_mask_file(path: str, convention: str | None = None, default: str | None = None) -> MaskFile:
    """Any supported file by its suffix."""
    if path == "-":
        raise InputError("mask files are read by path (.npy, .npz, .json), not from stdin")
    if not remote.isfile(path):
        raise InputError(f"{path}: no such file")
    loader = LOADERS.get(Path(path).suffix.lower())
    if loader is None:
        raise InputError(f"{path}: unknown mask file type; use .npy, .npz or .json")
    return loader(path, convention, default)
