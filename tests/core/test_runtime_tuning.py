"""build_runtime sets the process up for latency (why: bot/runtime.py tune_for_latency)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from threadpoolctl import threadpool_info, threadpool_limits

from bot.config import load_settings
from bot.runtime import GIL_SWITCH_INTERVAL_S, build_runtime


def test_build_runtime_shortens_the_gil_switch_interval_and_uses_one_blas_thread(
    tmp_path: Path,
) -> None:
    before = sys.getswitchinterval()
    settings = load_settings(_env_file=None).model_copy(
        update={"home": tmp_path, "database_url": None, "kb_sources": []}
    )
    sys.setswitchinterval(0.005)
    try:
        with threadpool_limits(limits=2, user_api="blas"):  # restored when the block ends
            build_runtime(settings)
            assert sys.getswitchinterval() == pytest.approx(GIL_SWITCH_INTERVAL_S)
            blas = [info for info in threadpool_info() if info["user_api"] == "blas"]
            assert blas and all(info["num_threads"] == 1 for info in blas)
    finally:
        sys.setswitchinterval(before)
