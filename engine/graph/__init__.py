"""The graph model: a design's layers and wires, edited only by primitive edits.

Owns the state of one design and nothing else (no analysis, no Qt, no torch):

* :mod:`.values`: the immutable :class:`Node` and :class:`Edge`;
* :mod:`.edits`: the eight primitive edits, each with an exact inverse;
* :mod:`.groups`: :class:`Group` (graph-format.md ``groups``) and its three edits;
* :mod:`.events`: what a subscriber is told, one :class:`Changes` per batch;
* :mod:`.model`: :class:`Graph`, which validates, applies and announces edits;
* :mod:`.checks`, :mod:`.ids`: the validation rules; :mod:`.serial`: the file dict.
"""

from .checks import clean_params
from .edits import (
    Connect,
    DeleteGroup,
    DeleteNode,
    Disconnect,
    Edit,
    InsertGroup,
    InsertNode,
    MoveNode,
    RenameNode,
    SetGroup,
    SetMeta,
    SetParams,
)
from .errors import GraphEditError
from .events import (
    Changes,
    EdgeAdded,
    EdgeRemoved,
    GraphEvent,
    GroupAdded,
    GroupChanged,
    GroupRemoved,
    MetaChanged,
    NodeAdded,
    NodeChanged,
    NodeMoved,
    NodeRemoved,
    NodeRenamed,
)
from .groups import Group
from .ids import ID_RE, RESERVED_IDS, check_id
from .model import Graph
from .values import Edge, Node

__all__ = ["Graph", "Node", "Edge", "GraphEditError", "check_id", "RESERVED_IDS", "ID_RE",
           "NodeAdded", "NodeRemoved", "NodeChanged", "NodeMoved", "NodeRenamed",
           "EdgeAdded", "EdgeRemoved", "MetaChanged", "GraphEvent", "Changes",
           "Edit", "InsertNode", "DeleteNode", "Connect", "Disconnect", "SetParams",
           "MoveNode", "RenameNode", "SetMeta", "clean_params", "Group", "InsertGroup",
           "DeleteGroup", "SetGroup", "GroupAdded", "GroupRemoved", "GroupChanged"]
