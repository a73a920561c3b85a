"""The ``--help`` of every command-line subcommand: what each option does, with examples.

The sub-parsers are built where their commands live (``engine.cli``,
``engine.import_cli``, ``engine.labs_cli``, ``engine.train_cli``,
``engine.explain_cli``); :func:`document` then gives each a description, an
epilog of examples and a line of help for every argument, from the tables here,
so that the whole command line reads alike (cli.md is the contract: these texts
describe it, they do not change it). ``tests/test_polish_engine.py`` checks
that no argument is left without help and every subcommand shows an example.
"""

from __future__ import annotations

import argparse

__all__ = ["document", "HELP"]

G = "resources/examples/hdc_dilated_stack.convgraph.json"

#: command -> (description, examples, {argument dest: help})
HELP: dict[str, tuple[str, str, dict[str, str]]] = {
    "analyze": (
        "Per node: output shape, receptive field (size and jump, in input pixels), "
        "parameters and MACs, then the totals, errors and warnings. Jumps print as exact "
        "fractions (2/3); --json keeps full precision. Exit 0 valid, 1 the graph has "
        "errors (the analysis is still printed), 2 the file cannot be read.",
        f"  main.py analyze {G}\n  main.py analyze {G} --json > report.json",
        {"graph": "the graph file (*.convgraph.json)",
         "json": "print JSON (keys valid, nodes, total, errors, warnings) instead of the "
                 "table"}),
    "export": (
        "Write standalone code for the graph: PyTorch source (imports only torch), or an "
        "ONNX model when the output ends in .onnx. Exit 0, 1 graph errors (nothing "
        "written), 2 unreadable graph or unwritable output.",
        f"  main.py export {G} -o model.py --class-name HDCNet\n"
        f"  main.py export {G} -o model.py --train-script train.py\n"
        f"  main.py export {G} -o model.onnx --weights w.pt",
        {"graph": "the graph file (*.convgraph.json)",
         "output": "the file to write: MODEL.py (Python) or MODEL.onnx (ONNX), "
                   "e.g. -o model.py",
         "class_name": "name of the nn.Module class (default: from the graph name, else "
                       "Net), e.g. --class-name HDCNet",
         "train_script": "also write a torchrun-ready training script for the exported "
                         "class, e.g. --train-script train.py",
         "format": "python or onnx (default: from the suffix of -o)",
         "weights": "ONNX only: weights saved by run/train --save-weights (default: "
                    "seeded), e.g. --weights w.pt",
         "seed": "ONNX only: seed of the initial weights when no --weights (default 0)"}),
    "run": (
        "Build the graph in torch (seeded), run it on an image and write input.npy, "
        "summary.json and a PNG grid of every node's feature maps into --out. Exit 0, "
        "1 graph errors, 2 unreadable graph, image or weights.",
        f"  main.py run {G} --out out/\n"
        f"  main.py run {G} --image cat.png --seed 3 --save-weights w.pt --out out/",
        {"graph": "the graph file (*.convgraph.json)",
         "image": "an image file (default: the bundled sample), resized to the Input's "
                  "size, e.g. --image cat.png",
         "seed": "seed of the initial weights (default 0), e.g. --seed 3",
         "weights": "load these weights (a state_dict from --save-weights or train) "
                    "instead of seeding, e.g. --weights w.pt",
         "save_weights": "write the weights used to this file, e.g. --save-weights w.pt",
         "save_activations": "also write activations.npz: every node's activation, keyed "
                             "by node id",
         "out": "the folder to write into (made if missing), e.g. --out out/"}),
    "explain": (
        None,  # keeps its own description (the list of types)
        "  main.py explain Conv2d --input 5 --kernel 3 --stride 2 --padding 1\n"
        "  main.py explain ConvTranspose2d --input 3 --stride 2 --output-padding 1 --json\n"
        "  main.py explain resources/examples/transposed_conv_arithmetic.convgraph.json "
        "--node tconv_6 --gif tconv_6.gif",
        {"layer": "a layer type (Conv2d, ConvTranspose2d, ...) or a graph file with --node",
         "node": "the node of GRAPH to explain (its parameters and input size), "
                 "e.g. --node conv1",
         "input": "input size: N for N×N or H,W (default 5), e.g. --input 7,5",
         "kernel": "kernel size, K or KH,KW, e.g. --kernel 3",
         "stride": "stride, S or SH,SW, e.g. --stride 2",
         "padding": "padding: P, PH,PW, same or valid, e.g. --padding 1",
         "dilation": "dilation, D or DH,DW, e.g. --dilation 2",
         "output_padding": "transposed convs: extra rows/columns on the bottom/right, "
                           "smaller than the stride or dilation, e.g. --output-padding 1",
         "in_channels": "input channels (default: the groups, else 1), e.g. "
                        "--in-channels 4",
         "out_channels": "output channels (default: the input channels), e.g. "
                         "--out-channels 4",
         "groups": "weight groups (divides both channel counts), e.g. --groups 2"}),
    "import": (
        "Turn an existing model into an editable graph: an ONNX file, or an nn.Module "
        "class (or a function returning one) from a Python file or module, called with "
        "no arguments (this runs that code). Exit 0 all mapped, 1 some operations became "
        "Opaque, 2 unreadable source.",
        "  main.py import resnet.onnx -o resnet.convgraph.json\n"
        "  main.py import mynet.py:Net -o net.convgraph.json --input-shape 3,64,64 "
        "--weights-out w.pt --report report.json\n"
        "  main.py import torchvision.models:resnet18 -o r18.convgraph.json",
        {"source": "MODEL.onnx, FILE.py:NAME or package.module:NAME",
         "output": "the graph file to write, e.g. -o net.convgraph.json",
         "input_shape": "input shape C,H,W to trace with (default: the first conv's "
                        "in_channels at 224×224), e.g. --input-shape 3,64,64",
         "weights_out": "write the model's weights under the graph's names (for run "
                        "--weights), e.g. --weights-out w.pt",
         "report": "write the JSON report: every source operation and the node it "
                   "became, e.g. --report report.json"}),
    "train": (
        "Train the graph on CPU on generated shapes (4 classes, or per-pixel labels with "
        "shapes-seg) or on a folder of class sub-folders; writes metrics.json and "
        "curves.png into --out. Progress on stderr. Exit 0, 1 graph errors or an output "
        "that fits no task, 2 unreadable graph, data or weights.",
        "  main.py train resources/examples/shapes_classifier.convgraph.json --data shapes "
        "--epochs 3 --out runs/a\n"
        "  main.py train net.convgraph.json --data photos/ --epochs 10 --batch 32 "
        "--lr 3e-4 --save-weights w.pt --out runs/b",
        {"graph": "the graph file (*.convgraph.json)",
         "data": "shapes, shapes-seg (generated, no download) or a folder with one "
                 "sub-folder of images per class, e.g. --data shapes",
         "epochs": "passes over the training set, e.g. --epochs 5",
         "samples": "generated training images (default 4000; validation: a quarter as "
                    "many more), e.g. --samples 1000",
         "batch": "batch size (default 64), e.g. --batch 32",
         "lr": "learning rate (default 1e-3), e.g. --lr 3e-4",
         "optimizer": "adam (default) or sgd (momentum 0.9)",
         "schedule": "learning-rate schedule: constant (default) or cosine",
         "seed": "seed of the weights, data and order (default 0), e.g. --seed 1",
         "threads": "torch CPU threads (default: one per core), e.g. --threads 4",
         "weights": "start from these weights, e.g. --weights w.pt",
         "save_weights": "write the final weights (loadable by run --weights and the "
                         "exported class), e.g. --save-weights w.pt",
         "out": "the folder to write metrics.json and curves.png into, e.g. --out runs/a"}),
    "diff": (
        "Compare two designs node by node (matched by id): added and removed nodes, "
        "changed parameters, and the change of shape, receptive field, params and MACs. "
        "Exit 0 same, 1 different, 2 unreadable.",
        "  main.py diff before.convgraph.json after.convgraph.json\n"
        "  main.py diff a.convgraph.json b.convgraph.json --json",
        {"a": "the first design (the reference)",
         "b": "the second design",
         "json": "print JSON (keys added, removed, changed, total)"}),
    "grade": (
        "Grade designs against a rubric: each check passed or not, its points, what was "
        "measured and the hint. A submission that cannot be read scores 0 with the "
        "reason. Exit 0 graded, 2 unreadable rubric.",
        "  main.py grade alice.convgraph.json bob.convgraph.json "
        "--rubric resources/labs/rf_budget/rf_budget.rubric.json\n"
        "  main.py grade sub.convgraph.json --rubric r.rubric.json --format gradescope "
        "-o results.json",
        {"submissions": "one or more graph files to grade",
         "rubric": "the rubric file (rubric.md), e.g. --rubric r.rubric.json",
         "format": "text (default), json, gradescope (one submission: results.json) or "
                   "csv (a row per submission)",
         "output": "write the report to this file instead of stdout, e.g. -o grades.csv"}),
}


class _Formatter(argparse.RawDescriptionHelpFormatter):
    """Keeps the examples' line breaks; wraps the description as argparse does."""

    def _fill_text(self, text, width, indent):
        if "\n  " in text:  # an epilog of examples
            return super()._fill_text(text, width, indent)
        return argparse.HelpFormatter._fill_text(self, text, width, indent)


def document(parser: argparse.ArgumentParser) -> None:
    """Give every subcommand of ``parser`` its description, examples and argument help.

    An argument that already has help keeps it when the table has none; the
    table's text wins otherwise (one voice for the whole command line).
    """
    for action in parser._actions:
        if not isinstance(action, argparse._SubParsersAction):
            continue
        for name, sub in action.choices.items():
            text = HELP.get(name)
            if text is None:
                continue
            description, examples, args = text
            sub.formatter_class = _Formatter
            if description:
                sub.description = description
            sub.epilog = "examples:\n" + examples.replace("  main.py ", f"  {parser.prog} ")
            for arg in sub._actions:
                if arg.dest in args:
                    arg.help = args[arg.dest]
