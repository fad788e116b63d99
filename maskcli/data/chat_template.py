"""Chat templates rendered as transformers' ``apply_chat_template(..., tokenize=False)`` renders them.

The environment is the one ``transformers.utils.chat_template_utils._compile_jinja_template``
builds: jinja2's ``ImmutableSandboxedEnvironment`` with ``trim_blocks``/``lstrip_blocks``, the
``loopcontrols`` extension and the ``{% generation %}`` tag (it records where assistant text was
rendered, for ``return_assistant_tokens_mask``), the ``tojson`` filter without HTML escaping,
and the globals ``raise_exception``, ``strftime_now``, ``dict`` and ``namespace``. The template
sees ``messages``, ``tools``, ``documents``, ``add_generation_prompt`` and the tokenizer's
named special tokens (``bos_token``, ``eos_token``, ...), as in transformers.
``tests/test_native_oracle.py`` compares the output with transformers' own.
"""

from __future__ import annotations

import json
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from functools import lru_cache
from typing import Any

# The names a message's reasoning goes by; templates read the first (transformers' _REASONING_FIELDS).
REASONING_FIELDS = ("reasoning_content", "thinking", "reasoning")


def render_chat(
    template: str | dict,
    messages: list[dict],
    special_tokens_map: dict[str, str],
    add_generation_prompt: bool = False,
) -> str:
    """The chat text (``apply_chat_template(messages, tokenize=False)``)."""
    return render_chat_with_generation(template, messages, special_tokens_map, add_generation_prompt)[0]


def render_chat_with_generation(
    template: str | dict,
    messages: list[dict],
    special_tokens_map: dict[str, str],
    add_generation_prompt: bool = False,
) -> tuple[str, list[tuple[int, int]]]:
    """The chat text and the character spans ``{% generation %}`` blocks rendered (assistant text)."""
    compiled = _compile(_default_template(template))
    chat = _alias_reasoning_fields([{k: v for k, v in m.items() if v is not None} for m in messages])
    blocks: list[str] = []
    spans: list[tuple[int, int]] = []
    with compiled.environment.activate_tracker(blocks, spans):
        for block in compiled.generate(messages=chat, tools=None, documents=None,
                                       add_generation_prompt=add_generation_prompt, **special_tokens_map):
            blocks.append(block)
    return "".join(blocks), spans


def _default_template(template: str | dict) -> str:
    """``get_chat_template`` without a name: the only template, or the one named ``default``."""
    if isinstance(template, dict):
        if "default" not in template:
            raise ValueError(f"the tokenizer has several chat templates ({', '.join(sorted(template))}) and no default")
        return template["default"]
    return template


def _alias_reasoning_fields(chat: list[dict]) -> list[dict]:
    aliased = []
    for message in chat:
        reasoning = next((message[key] for key in REASONING_FIELDS if message.get(key) is not None), None)
        if reasoning is not None:
            message = {"thinking": reasoning, **message, "reasoning_content": reasoning}
        aliased.append(message)
    return aliased


@lru_cache
def _compile(template: str) -> Any:
    import jinja2
    import jinja2.ext
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    class AssistantTracker(jinja2.ext.Extension):
        """``{% generation %}...{% endgeneration %}``: records the rendered span when tracking."""

        tags = {"generation"}

        def __init__(self, environment: Any) -> None:
            super().__init__(environment)
            environment.extend(activate_tracker=self.activate_tracker)
            self._tracking: ContextVar = ContextVar("assistant_tracker", default=None)

        def parse(self, parser: Any) -> Any:
            lineno = next(parser.stream).lineno
            body = parser.parse_statements(["name:endgeneration"], drop_needle=True)
            return jinja2.nodes.CallBlock(self.call_method("_generation_support"), [], [], body).set_lineno(lineno)

        @jinja2.pass_eval_context
        def _generation_support(self, context: Any, caller: Any) -> str:
            rendered = caller()
            if (tracking := self._tracking.get()) is not None:
                blocks, spans = tracking
                start = len("".join(blocks))
                spans.append((start, start + len(rendered)))
            return rendered

        @contextmanager
        def activate_tracker(self, blocks: list[str], spans: list[tuple[int, int]]):
            token = self._tracking.set((blocks, spans))
            try:
                yield
            finally:
                self._tracking.reset(token)

    def raise_exception(message: str) -> None:
        raise jinja2.exceptions.TemplateError(message)

    def tojson(x: Any, ensure_ascii: bool = False, indent: Any = None, separators: Any = None,
               sort_keys: bool = False) -> str:
        return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)

    def strftime_now(format: str) -> str:
        return datetime.now().strftime(format)

    class TemplateDict:
        """``dict(...)`` and ``dict.fromkeys(...)`` without the type's other attributes."""

        def __call__(self, *args: Any, **kwargs: Any) -> dict:
            return dict(*args, **kwargs)

        def fromkeys(self, *args: Any, **kwargs: Any) -> dict:
            return dict.fromkeys(*args, **kwargs)

    class TemplateNamespace(jinja2.utils.Namespace):
        """A namespace that refuses underscore-prefixed attributes."""

        def __init__(*args: Any, **kwargs: Any) -> None:
            self, args = args[0], args[1:]
            attrs = dict(*args, **kwargs)
            for name in attrs:
                TemplateNamespace._check_name(name)
            jinja2.utils.Namespace.__init__(self, attrs)

        def __setitem__(self, name: str, value: Any) -> None:
            TemplateNamespace._check_name(name)
            jinja2.utils.Namespace.__setitem__(self, name, value)

        @staticmethod
        def _check_name(name: Any) -> None:
            if isinstance(name, str) and name.startswith("_"):
                raise jinja2.exceptions.SecurityError(
                    f"Chat templates cannot store underscore-prefixed attributes on a namespace, but got {name!r}."
                )

    environment = ImmutableSandboxedEnvironment(
        trim_blocks=True, lstrip_blocks=True, extensions=[AssistantTracker, jinja2.ext.loopcontrols]
    )
    environment.filters["tojson"] = tojson
    environment.globals["raise_exception"] = raise_exception
    environment.globals["strftime_now"] = strftime_now
    environment.globals["dict"] = TemplateDict()
    environment.globals["namespace"] = TemplateNamespace
    return environment.from_string(template)
