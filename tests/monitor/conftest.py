"""Shared frames for the monitor tests (small, seeded)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest


def churn_frame(n: int = 1500, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "tenure": rng.integers(0, 72, n),
        "monthly_charges": rng.normal(70, 20, n),
        "support_calls": rng.poisson(1.5, n).astype("int64"),
        "plan": rng.choice(["basic", "plus", "premium"], n),
    })


@pytest.fixture
def reference() -> pd.DataFrame:
    return churn_frame()


@pytest.fixture
def same_batch() -> pd.DataFrame:
    return churn_frame(seed=1)


@pytest.fixture
def shifted_batch() -> pd.DataFrame:
    batch = churn_frame(seed=2)
    batch["monthly_charges"] += 40
    batch["plan"] = np.where(batch.index % 2 == 0, "enterprise", batch["plan"])
    return batch
