"""Node ids: the rule an id must follow and fresh ids for new nodes.

New nodes get one scheme, ``<stem><n>``: the kind's ``id_stem`` (``conv``, ``add``,
``cat``, ``clip`` for ReLU6; a stem never ends in a digit or ``_``) and the first free
number from 1: ``conv1``, ``add1``, ``cat2``. Imported nodes keep the names of their
module paths (``layer1_0_conv1``; engine.interchange.naming).

An id becomes a Python attribute in exported code and a ``state_dict`` key
prefix, so it must be a short identifier that is no keyword, clashes with no
``nn.Module`` attribute and does not start with ``__`` (``self.__x`` is
name-mangled inside a class; graph-format.md).
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Container
from typing import Any

from .errors import GraphEditError

__all__ = ["ID_RE", "RESERVED_IDS", "check_id", "fresh_id"]

#: the whole id (``\Z``, not ``$``, which would accept a trailing newline)
ID_RE = re.compile(r"\A[A-Za-z_][A-Za-z0-9_]{0,63}\Z")

#: Names that clash with ``nn.Module`` attributes or with names the exported
#: code needs (``self``, ``torch``, ``nn``, ``F``, ``math``).
RESERVED_IDS = frozenset("""
T_destination add_module apply bfloat16 buffers call_super_init children compile cpu cuda
double dump_patches eval extra_repr float forward get_buffer get_extra_state get_parameter
get_submodule half ipu load_state_dict modules mtia named_buffers named_children
named_modules named_parameters parameters register_backward_hook register_buffer
register_forward_hook register_forward_pre_hook register_full_backward_hook
register_full_backward_pre_hook register_load_state_dict_post_hook
register_load_state_dict_pre_hook register_module register_parameter
register_state_dict_post_hook register_state_dict_pre_hook requires_grad_
set_extra_state set_submodule share_memory state_dict to to_empty train training type xpu
zero_grad self torch nn F math super
_apply _backward_hooks _backward_pre_hooks _buffers _call_impl _compiled_call_impl
_forward_hooks _forward_hooks_always_called _forward_hooks_with_kwargs _forward_pre_hooks
_forward_pre_hooks_with_kwargs _get_backward_hooks _get_backward_pre_hooks _get_name
_is_full_backward_hook _load_from_state_dict _load_state_dict_post_hooks
_load_state_dict_pre_hooks _maybe_warn_non_full_backward_hook _modules _named_members
_non_persistent_buffers_set _parameters _register_load_state_dict_pre_hook
_register_state_dict_hook _replicate_for_data_parallel _save_to_state_dict _slow_forward
_state_dict_hooks _state_dict_pre_hooks _version _wrapped_call_impl
""".split())


def check_id(node_id: Any) -> str:
    """Return ``node_id`` if it is a legal id, else raise :class:`GraphEditError`."""
    if not isinstance(node_id, str):
        raise GraphEditError(f"node id {node_id!r} must be a string", None, "id")
    shown = node_id if len(node_id) <= 40 else node_id[:40] + "..."
    if not ID_RE.fullmatch(node_id):
        raise GraphEditError(f"node id {shown!r} is not a valid name: use letters, digits "
                             "and _, not starting with a digit, at most 64 characters",
                             None, "id")
    if node_id.startswith("__"):  # ``self.__x`` in a class body is name-mangled
        raise GraphEditError(f"node id {node_id!r} starts with __, which Python mangles in "
                             "exported code (the weights would not load)", None, "id")
    if keyword.iskeyword(node_id) or keyword.issoftkeyword(node_id):
        raise GraphEditError(f"node id {node_id!r} is a Python keyword", None, "id")
    if node_id in RESERVED_IDS:
        raise GraphEditError(f"node id {node_id!r} clashes with an nn.Module attribute or a "
                             "name the exported code uses", None, "id")
    return node_id


def fresh_id(stem_of: str, taken: Container[str]) -> str:
    """A legal id ``<stem><n>`` not in ``taken``, n counting from 1.

    The stem is ``stem_of`` without trailing digits and characters an id cannot
    hold, e.g. ``conv3`` from ``conv1`` when ``conv1`` and ``conv2`` are taken.
    """
    stem = re.sub(r"[^A-Za-z0-9_]", "", re.sub(r"\d+$", "", stem_of)) or "node"
    if stem[0].isdigit():
        stem = "n" + stem
    stem = stem[:56]
    i = 1
    while True:
        cand = f"{stem}{i}"
        if cand not in taken:
            try:
                return check_id(cand)
            except GraphEditError:
                pass
        i += 1
