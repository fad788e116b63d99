"""maskcli.testing's assertions and pytest plugin, run in a pytest of their own (pytester, in a subprocess:
torch and transformers cannot be imported twice in one process)."""

from __future__ import annotations

from importlib.metadata import entry_points

# installed with this pyproject, pytest loads the plugin itself (naming it twice is an error)
INSTALLED = any(ep.value == "maskcli.pytest_plugin" for ep in entry_points(group="pytest11"))
PLUGIN = () if INSTALLED else ("-p", "maskcli.pytest_plugin")

COLLATOR_TESTS = '''
from transformers import DataCollatorWithFlattening
from maskcli.testing import assert_batch_ok

FEATURES = [{"input_ids": [464, 3797, 3332]}, {"input_ids": [15496, 995]}]

def test_flattening_collator(maskcli_tokenizer):
    batch = DataCollatorWithFlattening(return_tensors="np")(FEATURES)
    assert_batch_ok(batch, maskcli_tokenizer("gpt2"))

def broken_collator(features):
    """Pads on the right but leaves the pads' labels trained."""
    width = max(len(f["input_ids"]) for f in features)
    ids = [f["input_ids"] + [50256] * (width - len(f["input_ids"])) for f in features]
    mask = [[1] * len(f["input_ids"]) + [0] * (width - len(f["input_ids"])) for f in features]
    return {"input_ids": ids, "attention_mask": mask, "labels": ids}

def test_broken_collator():
    assert_batch_ok(broken_collator(FEATURES), "gpt2", pad_token="eos")
'''

MASK_TESTS = '''
import numpy as np
import torch
from maskcli.testing import assert_masks_equal

def test_causal_as_tensor():
    assert_masks_equal(torch.ones(4, 4, dtype=torch.bool).tril()[None, None], "causal")

def test_causal_is_not_a_window():
    assert_masks_equal(np.tril(np.ones((4, 4), bool)), "window:2")

def test_mha_convention_is_inverted():
    assert_masks_equal(~np.tril(np.ones((3, 3), bool)), np.tril(np.ones((3, 3))), convention="mha",
                       expected_convention="hf")
'''


def test_batch_helper_passes_a_flattening_collator_and_fails_a_broken_one(pytester):
    pytester.makepyfile(test_collators=COLLATOR_TESTS)
    result = pytester.runpytest_subprocess(*PLUGIN)
    result.assert_outcomes(passed=1, failed=1)
    errors = [line.removeprefix("E").strip() for line in result.outlines if line.startswith("E  ")]
    assert errors == [
        "AssertionError: maskcli check found 1 finding(s):",
        "MC004 trained-padding (error): labels trained (not -100) where the attention mask is 0 (1 of 2 rows)",
        "<batch>[1]: trained labels on masked positions 2",
    ]


def test_mask_helper_fails_with_the_diff_grid(pytester):
    pytester.makepyfile(test_masks=MASK_TESTS)
    result = pytester.runpytest_subprocess(*PLUGIN)
    result.assert_outcomes(passed=2, failed=1)
    errors = [line.removeprefix("E").rstrip() for line in result.outlines if line.startswith("E  ")]
    assert [line.strip() for line in errors[:2]] == [
        "AssertionError: window:2 · sequence 0: 3 of 16 cells differ in rows [2, 3] "
        "(only A attends: 3, only B attends: 0) (A = actual, B = expected)",
        "rows = queries, columns = keys: # both attend  . both blocked  a only A attends  b only B attends  * row differs",
    ]
    grid = [line[errors[3].index("0 1 2 3") - 3:] for line in errors[3:]]
    assert grid == ["   0 1 2 3", "0  # . . .", "1  # # . .", "2* a # # .", "3* a a # #"]


def test_plugin_imports_nothing_heavy_at_start_up(pytester):
    pytester.makepyfile(test_modules='''
import sys

def test_nothing_loaded():
    assert [m for m in ("maskcli.data.tokenizer", "transformers", "torch") if m in sys.modules] == []
''')
    result = pytester.runpytest_subprocess(*PLUGIN, "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


def test_fixture_loads_a_local_tokenizer_once(pytester, tokenizer_dirs):
    pytester.makepyfile(test_local=f'''
def test_local(maskcli_tokenizer):
    tok = maskcli_tokenizer({str(tokenizer_dirs["bert_like"])!r})
    assert tok.pad_token == "[PAD]"
    assert maskcli_tokenizer({str(tokenizer_dirs["bert_like"])!r}) is tok
''')
    pytester.runpytest_subprocess(*PLUGIN).assert_outcomes(passed=1)
