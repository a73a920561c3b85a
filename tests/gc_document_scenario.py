"""Run by ``test_document_lifetime.py`` in its own pytest process: documents with
undo history that only the cyclic collector can free, then a full collection.

A segmentation fault here (the process dies) is the defect the test guards
against: a document's undo stack destroyed in the middle of a collection.
"""

from __future__ import annotations

import gc

from designer.canvas import GraphScene
from designer.commands import RemoveNodesCommand, RenameNodeCommand, SetParamsCommand, push_edit
from designer.document import Document
from tests.canvas_helpers import small_graph


def test_documents_with_undo_history_are_left_to_the_collector(qapp):
    for undos in (0, 1, 2):
        doc = Document(small_graph())
        scene = GraphScene()
        scene.set_document(doc)
        assert push_edit(doc.undo_stack, SetParamsCommand(
            doc.graph, "conv1", {"out_channels": 32})) is None
        assert push_edit(doc.undo_stack, SetParamsCommand(  # other parameters: its own step
            doc.graph, "conv1", {"kernel_size": 5})) is None
        assert push_edit(doc.undo_stack, RenameNodeCommand(doc.graph, "conv1", "stem")) is None
        assert push_edit(doc.undo_stack, RemoveNodesCommand(doc.graph, ["stem"])) is None
        for _ in range(undos):
            doc.undo_stack.undo()
        assert doc.undo_stack.count() == 4 and doc.undo_stack.index() == 4 - undos


def test_a_full_collection_frees_them():
    gc.collect()
    assert not [o for o in gc.get_objects() if type(o).__name__ == "Document"]
