"""``maskcli check`` settings: defaults < ``[tool.maskcli]`` in pyproject.toml (or ``--config``) < flags.

The table uses the option names with underscores (dashes work too)::

    [tool.maskcli]
    tokenizer = "./tokenizer"
    pad_token = "eos"
    max_length = 2048
    mode = "train"
    batch_size = 16
    ignore = ["MC010"]
    max_padding_ratio = 0.4
    max_truncation_rate = 0.0
    require_eos = true
    sft = true                  # records prepared as TRL's SFTTrainer does
    assistant_only_loss = true
    chat_template = "training.jinja"
    engine = "ray"              # audit shards on a Ray cluster (docs/ray.md)
    ray_address = "auto"        # the cluster to join [default: a local Ray]

Without ``--config``, the nearest ``pyproject.toml`` with a ``[tool.maskcli]`` table, from the
current directory upwards, is used. A ``--config`` file may be a pyproject.toml or a TOML file
whose top level (or ``[tool.maskcli]``) holds the keys.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from maskcli.check.formats import ReportFormat
from maskcli.check.registry import Severity, parse_ids
from maskcli.data.choices import LOADERS, ON_ERRORS, PADDINGS, SIDES
from maskcli.sft.choices import PACKING_STRATEGIES, TRUNCATION_MODES
from maskcli.errors import InputError

if TYPE_CHECKING:
    from maskcli.data.encoding import EncodeSettings

COMMAND_LINE = "command line"  # the origin of flags' values (CheckConfig.updated); other origins are files
MODES = ("train", "generate")  # audit rows as a training batch or as a batched generate() prompt
ENGINES = ("local", "ray")  # audit in this machine's processes, or shards as Ray tasks (maskcli.check.ray_engine)
CHOICES = {
    "padding": PADDINGS,
    "padding_side": SIDES,
    "loader": LOADERS,
    "mode": MODES,
    "fail_on": tuple(s.value for s in Severity),
    "on_error": ON_ERRORS,
    "format": tuple(f.value for f in ReportFormat),
    "truncation_mode": TRUNCATION_MODES,
    "packing_strategy": PACKING_STRATEGIES,
    "engine": ENGINES,
}
POSITIVE = ("max_length", "pad_to_multiple_of", "batch_size", "num_proc", "rows_per_finding")
RATIOS = ("max_padding_ratio", "max_truncation_rate")


@dataclass(frozen=True)
class CheckConfig:
    """Everything that decides what ``check`` reads and what it reports."""

    tokenizer: str = "gpt2"
    loader: str = "auto"
    pad_token: str | None = None
    padding: str = "longest"
    max_length: int | None = None
    truncation: bool | None = None
    padding_side: str | None = None
    pad_to_multiple_of: int | None = None
    add_special_tokens: bool = True
    field: str = "text"
    input_format: str | None = None
    on_error: str = "fail"
    mode: str = "train"
    batch_size: int = 8
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    fail_on: str = "error"
    format: str = "text"
    max_padding_ratio: float = 0.5
    max_truncation_rate: float = 0.01
    require_eos: bool = False
    num_proc: int = 1
    engine: str = "local"  # or "ray": shards audited by Ray tasks (maskcli.check.ray_engine)
    ray_address: str | None = None  # "auto", "local" or HOST:PORT (ray.init's address); None: Ray's default
    rows_per_finding: int = 10
    sft: bool = False  # prepare records as TRL's SFTTrainer does (maskcli.check.sft); SFTConfig's names below
    truncation_mode: str = "keep_start"
    packing: bool = False
    packing_strategy: str = "bfd"
    padding_free: bool = False
    completion_only_loss: bool | None = None
    assistant_only_loss: bool = False
    eos_token: str | None = None
    chat_template: str | None = None
    source: str | None = dataclasses.field(default=None, compare=False)  # the config file used, if any

    def __post_init__(self) -> None:
        for name, allowed in CHOICES.items():
            value = getattr(self, name)
            if value is not None and value not in allowed:
                raise InputError(f"{name} must be one of {', '.join(allowed)}, not {value!r}")
        for name in POSITIVE:
            value = getattr(self, name)
            if value is not None and value < 1:
                raise InputError(f"{name} must be a positive integer, not {value}")
        for name in RATIOS:
            if not 0 <= getattr(self, name) <= 1:
                raise InputError(f"{name} must be between 0 and 1, not {getattr(self, name)}")

    @property
    def encoding(self) -> EncodeSettings:
        """The tokenizer-call options among the settings (flat here: they are ``[tool.maskcli]``'s
        keys and ``CheckConfig(max_length=...)``'s keywords)."""
        from maskcli.data.encoding import EncodeSettings

        return EncodeSettings(**{f.name: getattr(self, f.name) for f in dataclasses.fields(EncodeSettings)})

    def updated(self, values: Mapping[str, Any], origin: str) -> CheckConfig:
        """A copy with ``values`` (from a file or flags) applied, each checked against its field's type."""
        fields = {f.name: f for f in dataclasses.fields(self) if f.name != "source"}
        changes: dict[str, Any] = {}
        for raw_key, value in values.items():
            key = raw_key.replace("-", "_")
            if key not in fields:
                raise InputError(f"{origin}: unknown setting {raw_key!r} (known: {', '.join(sorted(fields))})")
            changes[key] = _coerce(key, value, fields[key].type, origin)
        from_file = origin != COMMAND_LINE
        for key in ("select", "ignore"):
            if key in changes:
                parse_ids(changes[key], f"{origin}: setting {key!r}" if from_file else f"--{key}")
        try:
            return dataclasses.replace(self, **changes)
        except InputError as exc:  # a value out of range: say which file set it
            raise InputError(f"{origin}: {exc}" if from_file else str(exc)) from None


def _coerce(key: str, value: Any, annotation: str, origin: str) -> Any:
    """A TOML value for a field annotated ``annotation`` (a string: ``from __future__ import annotations``)."""
    kind = annotation.split(" | ")[0]
    ok = {
        "str": isinstance(value, str),
        "int": isinstance(value, int) and not isinstance(value, bool),
        "bool": isinstance(value, bool),
        "float": isinstance(value, (int, float)) and not isinstance(value, bool),
        "tuple[str, ...]": isinstance(value, (str, list, tuple)) and all(isinstance(v, str) for v in _listed(value)),
    }[kind]
    if value is None and "None" in annotation:
        return None
    if not ok:
        raise InputError(f"{origin}: setting {key!r} must be {kind.replace('tuple[str, ...]', 'a list of strings')}, "
                         f"not {value!r}")
    if kind == "tuple[str, ...]":
        return tuple(_listed(value))
    return float(value) if kind == "float" else value


def _listed(value: Any) -> list:
    return [value] if isinstance(value, str) else list(value)


def find_pyproject(start: Path) -> Path | None:
    """The nearest ``pyproject.toml`` with a ``[tool.maskcli]`` table, from ``start`` upwards."""
    for directory in (start, *start.parents):
        candidate = directory / "pyproject.toml"
        if candidate.is_file() and _maskcli_table(candidate, _read_toml(candidate)) is not None:
            return candidate
    return None


def _read_toml(path: Path) -> dict[str, Any]:
    if sys.version_info >= (3, 11):  # imported here: a run with no pyproject.toml never parses TOML
        import tomllib
    else:  # the same parser, before it joined the standard library
        import tomli as tomllib

    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{path}: invalid TOML ({exc})") from None
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 (byte offset {exc.start}); TOML files are UTF-8") from None


def _maskcli_table(path: Path, data: dict[str, Any]) -> Any:
    """``data["tool"]["maskcli"]``, or None when absent; a ``tool`` that is no table is an error."""
    tool = data.get("tool", {})
    if not isinstance(tool, dict):
        raise InputError(f"{path}: 'tool' must be a table ([tool]), not {tool!r}")
    return tool.get("maskcli")


def file_settings(path: Path) -> dict[str, Any]:
    """The settings table of a config file: ``[tool.maskcli]`` if present, else the top level."""
    data = _read_toml(path)
    table = _maskcli_table(path, data)
    if table is None:
        if path.name == "pyproject.toml":
            raise InputError(f"{path}: no [tool.maskcli] table")
        table = data
    if not isinstance(table, dict):
        raise InputError(f"{path}: [tool.maskcli] must be a table, not {table!r}")
    return _relative_to(path.parent, table)


def _relative_to(directory: Path, table: dict[str, Any]) -> dict[str, Any]:
    """A relative ``tokenizer`` path in a config file means relative to that file, not to the
    current directory (hub ids such as ``org/name`` stay as they are)."""
    from maskcli.data.tokenizer import looks_like_path

    value = table.get("tokenizer")
    if not isinstance(value, str) or value.startswith("~") or Path(value).is_absolute():
        return table
    if looks_like_path(value) or (directory / value).exists():
        return table | {"tokenizer": str(directory / value)}
    return table


def _check_is_file(path: Path) -> None:
    """``--config`` must name a regular file; say what it is otherwise."""
    import stat

    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise InputError(f"--config {path}: no such file") from None
    except OSError as exc:
        raise InputError(f"--config {path}: cannot read ({exc.strerror or exc})") from None
    if stat.S_ISDIR(mode):
        raise InputError(f"--config {path}: is a directory, not a TOML file")
    if not stat.S_ISREG(mode):
        kind = "a FIFO" if stat.S_ISFIFO(mode) else "a device or socket"
        raise InputError(f"--config {path}: is {kind}, not a TOML file")


def load_config(flags: Mapping[str, Any], config_file: str | None = None, cwd: Path | None = None) -> CheckConfig:
    """Defaults, then the config file, then the flags that were given (``None`` = not given)."""
    path = Path(config_file) if config_file else find_pyproject(cwd or Path.cwd())
    if config_file:
        _check_is_file(path)
    config = CheckConfig()
    if path is not None:
        config = dataclasses.replace(config.updated(file_settings(path), str(path)), source=str(path))
    return config.updated({k: v for k, v in flags.items() if v is not None}, COMMAND_LINE)
