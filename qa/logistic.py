"""logistic: the squash and the fit shared by the engine's two calibrated scores (relevance and the
answer scorer), each a logistic model over a few features."""

from __future__ import annotations

import math

import numpy as np


def squash(z: float) -> float:
    """The logistic of z in 0..1, rounded to three places (what the engine reports)."""
    return round(1.0 / (1.0 + math.exp(-max(min(z, 30.0), -30.0))), 3)


def fit_logistic(features: np.ndarray, labels: np.ndarray, l2: float = 1e-2) -> tuple[np.ndarray, float]:
    """Weights and bias of a logistic model, classes weighted equally (Newton's method; a few
    thousand rows of three features need nothing bigger)."""
    design = np.hstack([features, np.ones((len(features), 1))])
    y = labels.astype(float)
    balance = np.where(y == 1, 0.5 / y.mean(), 0.5 / (1 - y.mean()))
    w = np.zeros(design.shape[1])
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-design @ w))
        gradient = design.T @ (balance * (p - y)) + l2 * w
        hessian = (design * (balance * p * (1 - p))[:, None]).T @ design + l2 * np.eye(len(w))
        w -= np.linalg.solve(hessian, gradient)
    return w[:-1], float(w[-1])
