"""A small slice of the CLINC150 calibration: the rule must be no worse than the floor.

The slice keeps every phrasing of the first ten intents (so each FAQ entry is as dense as
in the full run) and all out-of-scope queries; both rules are tuned on its train
(leave-one-out) + oos_train and scored on its val + oos_val, exactly as the benchmark.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "calibrate_routing.py"


@pytest.fixture(scope="module")
def calibration():
    spec = importlib.util.spec_from_file_location("calibrate_routing", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    sys.modules[spec.name] = module  # its dataclasses look their module up by name
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop(spec.name, None)


def test_rule_is_no_worse_than_the_floor_on_a_clinc_slice(
    calibration, shared_data, embedder
) -> None:
    data = calibration.load_clinc(shared_data, n_intents=10)
    fitted, _ = calibration.evaluate_clinc(embedder, data)
    assert fitted.rule_outcome.balanced >= fitted.floor.balanced
    assert fitted.rule_outcome.answered_wrong <= fitted.floor.answered_wrong
    assert fitted.floor.answered_correct > 0.8  # the slice is a sane, answerable KB
