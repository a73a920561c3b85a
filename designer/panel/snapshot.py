"""Snapshots of the engine panel's state: what a job, a session and a result were made with.

The :class:`~designer.panel.controller.RunController` compares them to tell
whether a result is still current and whether the worker's session must be
rebuilt; :func:`graph_key` is what decides the built model.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import numpy as np

__all__ = ["graph_key", "node_params", "State", "SessionSpec", "Spec"]


def graph_key(data: dict) -> str:
    """What decides the built model: node ids, types, params (in order) and edges."""
    nodes = [(n["id"], n["type"], n.get("params", {})) for n in data.get("nodes", [])]
    edges = sorted((e["from"], e["to"], e.get("port", 0)) for e in data.get("edges", []))
    return json.dumps([nodes, edges], sort_keys=True, default=str)


class State(NamedTuple):
    """What a result was computed with (equal to the current state: still current)."""

    graph_key: str
    seed: int
    weights: str | None
    image_token: int
    weights_gen: int


class SessionSpec(NamedTuple):
    """What the worker's session was built with (another one: build a new session)."""

    graph_key: str
    seed: int
    weights: str | None
    weights_gen: int


@dataclass
class Spec:
    """A snapshot of the UI-side state, taken when a job is submitted."""

    graph: dict
    key: str
    seed: int
    weights: str | None
    image_path: Path | None
    image: np.ndarray | None
    image_token: int
    weights_gen: int = 0
    notes: list[str] = field(default_factory=list)
    rebuilt: bool = False
    dropped: bool = False


def node_params(graph: dict, node_id: str) -> dict | None:
    """The parameters of ``node_id`` in a graph dict (``Graph.to_dict``), or None."""
    return next((n.get("params", {}) for n in graph["nodes"] if n["id"] == node_id), None)
