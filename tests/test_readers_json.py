"""JSON Lines parsing: orjson, when installed, reads every line as the standard library does."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st


@settings(max_examples=300, deadline=None)
@given(value=st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
                          lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner,
                                                                                      max_size=4), max_leaves=12))
def test_json_lines_read_as_the_standard_library_reads_them(value):
    """orjson (when installed) must give json.loads's values and types: big integers, floats, escapes."""
    from maskcli.data.readers import _loads

    for text in (json.dumps(value), json.dumps(value, ensure_ascii=False)):
        got, want = _loads(text), json.loads(text)
        assert got == want and json.dumps(got) == json.dumps(want)
