"""Rewrite the TF1 program, statement by statement, into its Keras 3 version.

The Keras program keeps the TF1 program's own lines wherever they are not
TensorFlow 1 (data loading, hyperparameters, loops, prints), so that a
student reads the two side by side. Each statement of the original is, by
what it did when the program ran (:mod:`tfcourse.port.capture`):

* **kept** as written: plain Python, data loading (``input_data`` becomes
  ``tfcourse.data.input_data``, which reads the same 55000/5000/10000 split);
* **replaced** by the Keras code of what it built: a placeholder the model
  reads becomes ``keras.Input``, ``L1 = tf.nn.relu(tf.matmul(X, W1) + b1)``
  becomes ``L1 = keras.layers.Dense(256, activation="relu", ...)(X)``, the
  loss becomes a Keras loss (or a function keeping the program's own
  formula), ``minimize`` becomes ``keras.Model(...)`` and ``model.compile``;
* **dropped** when what it built lives elsewhere now: variables (weights of
  their layer), label placeholders (``y`` of ``fit``), the session and its
  initializer, ``tf.reset_default_graph()``;
* **translated** when it ran the session: a training loop over
  ``next_batch`` becomes ``model.fit`` for one epoch (the epoch loop and its
  prints stay), a loop of full-batch steps becomes ``model.fit`` with the
  loop's other lines in a callback, any other training step becomes
  ``model.train_on_batch``; fetching the model's output becomes
  ``predict``, an accuracy ``evaluate``, a weight its value.

What cannot be translated raises :class:`~tfcourse.port.lowering.PortError`
naming the program's file:line.
"""

from __future__ import annotations

import ast
import dataclasses
import textwrap
from typing import Any

import numpy as np

from tfcourse.port import emit
from tfcourse.port.graph import ProgramGraph, is_tensor
from tfcourse.port.lowering import (Code, LayerNode, ModelPlan, PortError, first_match,
                                    initializer_code)

__all__ = ["ProgramRewriter", "Rewritten"]

_SESSION_CLASSES = ("Session", "InteractiveSession")
VARIABLE_QUERIES = ("trainable_variables", "global_variables", "all_variables")
GRAPH_QUERIES = ("get_collection", "trainable_variables", "global_variables", "local_variables",
                 "get_default_graph", "get_variable_scope", "all_variables",
                 "model_variables", "moving_average_variables")
"""``tf.<name>(...)`` calls that only look things up in the graph: gone with the graph."""

_DROPPED_TF_CALLS = {"reset_default_graph", "disable_v2_behavior", "disable_eager_execution",
                     "enable_eager_execution", "enable_resource_variables"}


@dataclasses.dataclass
class Rewritten:
    """The Keras program and what was mapped.

    Attributes:
        lines: the Keras program's body as ``(text, TF1 line it came from or None)``.
        layers: one row per layer: (model, layer name, Keras layer, TF1 line, pattern, standard).
        weights: per model (creation order), ``[(layer name, Weight)]``.
        notes: what the reader should know (mapped approximately, kept as is).
    """

    lines: list
    layers: list
    weights: list
    notes: list


def _parents(tree: ast.AST) -> dict:
    parents = {}
    for node in ast.walk(tree):
        for child in ast.iter_child_nodes(node):
            parents[child] = node
    return parents


def _body_fields(node) -> list[str]:
    return [name for name in ("body", "orelse", "finalbody", "handlers")
            if isinstance(getattr(node, name, None), list)]


def _name_at(target, path: tuple) -> str | None:
    """The name at ``path`` in an assignment target: ``(0, 1)`` of ``(a, b), c`` is ``b``."""
    for index in path:
        if not isinstance(target, (ast.Tuple, ast.List)) or index >= len(target.elts):
            return None
        target = target.elts[index]
    return target.id if isinstance(target, ast.Name) else None


def _is_call_to(node, aliases: set, names: tuple) -> bool:
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr in names and isinstance(node.func.value, ast.Name)
            and node.func.value.id in aliases)


class ProgramRewriter:
    """Rewrites one captured program (see the module docstring).

    Args:
        capture: the :class:`~tfcourse.port.capture.Capture`.
        plans: the :class:`~tfcourse.port.lowering.ModelPlan` list.
        graph: the :class:`~tfcourse.port.graph.ProgramGraph`.
    """

    def __init__(self, capture, plans: list[ModelPlan], graph: ProgramGraph):
        self.capture = capture
        self.plans = plans
        self.graph = graph
        self.lines = capture.source.splitlines()
        self.tree = capture.tree
        self.parents = _parents(self.tree)
        self.path = str(capture.path)
        self.notes: list[str] = []
        self.layer_rows: list = []
        self.taken = {node.id for node in ast.walk(self.tree) if isinstance(node, ast.Name)}
        self.taken |= {node.name for node in ast.walk(self.tree)
                       if isinstance(node, (ast.FunctionDef, ast.ClassDef))}
        self._aliases()
        self._index_statements()
        self._index_events()
        self.imports = {"import keras"}
        self.prelude: list[str] = []       # generated classes, before the first use
        self.expressions: dict = {}        # tensor ref -> expression at the current point
        self.current_binding: dict = {}    # expression -> tensor ref it holds now
        self.model_names: dict = {}        # id(plan) -> model expression
        self.metric_names: dict = {}       # id(plan) -> [(tensor, name, keras code)]
        self.heads: dict = {}              # head tensor ref -> (name, y_true, y_pred)
        self.schedules: dict = {}          # id(plan) -> the schedule's name
        self.optimizer_names: dict = {}    # id(plan) -> the optimizer's name
        self.emitted_imports = False
        self.dropped_names: set = set()
        self.session_placeholders: set = set()
        self.constants: set = set()        # names of values computed with keras.ops on NumPy data
        self.savers: set = set()           # names of tf.train.Saver objects
        self.writers: set = set()          # names of tf.summary.FileWriter objects
        self.summary_functions: dict = {}  # MergeSummary op -> the function computing it
        self._plan_models()

    # -- where things are ----------------------------------------------------------------

    def _aliases(self) -> None:
        self.tf_aliases, self.input_data_aliases, self.tf_import_nodes = set(), set(), set()
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name == "tensorflow" or alias.name.startswith("tensorflow.") \
                            or alias.name.startswith("tfcourse.compat.v1"):
                        self.tf_aliases.add(alias.asname or alias.name.split(".")[0])
                        self.tf_import_nodes.add(node)
            elif isinstance(node, ast.ImportFrom) and node.module and (
                    node.module.startswith("tensorflow") or node.module.startswith("tfcourse.compat")):
                self.tf_import_nodes.add(node)
                for alias in node.names:
                    if alias.name == "input_data":
                        self.input_data_aliases.add(alias.asname or alias.name)
                    else:
                        self.tf_aliases.add(alias.asname or alias.name)

    def _index_statements(self) -> None:
        """line -> innermost statement containing it."""
        self.statement_at: dict[int, ast.stmt] = {}
        spans = []
        for node in ast.walk(self.tree):
            if isinstance(node, ast.stmt):
                spans.append(node)
        for node in sorted(spans, key=lambda n: (n.end_lineno - n.lineno), reverse=True):
            header_end = node.end_lineno
            fields = _body_fields(node)
            if fields:
                first_child = min((child.lineno for name in fields for child in getattr(node, name)
                                   if hasattr(child, "lineno")), default=node.end_lineno + 1)
                header_end = first_child - 1
            for line in range(node.lineno, max(header_end, node.lineno) + 1):
                self.statement_at[line] = node

    def _within(self, inner, outer) -> bool:
        node = self.parents.get(inner)
        while node is not None:
            if node is outer:
                return True
            node = self.parents.get(node)
        return False

    def enclosing(self, node, kinds) -> Any:
        parent = self.parents.get(node)
        while parent is not None and not isinstance(parent, kinds):
            parent = self.parents.get(parent)
        return parent

    def anchor_statement(self, op) -> ast.stmt | None:
        """The statement where the Keras code for ``op`` goes (module docstring of lowering)."""
        frames = self.graph.lines(op)
        for line in reversed(frames):
            statement = self.statement_at.get(line)
            if statement is None:
                continue
            function = self.enclosing(statement, (ast.FunctionDef, ast.AsyncFunctionDef))
            if function is None:
                return statement
            if isinstance(self.parents.get(function), ast.ClassDef):
                return statement
        return self.statement_at.get(frames[0]) if frames else None

    def _index_events(self) -> None:
        self.graph_statements: set = set()
        self.delegating: set = set()  # `m1 = Model(sess, "m1")`: a class builds the model
        for op in self.graph.graph.get_operations():
            lines = self.graph.lines(op)
            if not lines:
                continue
            anchor = self.anchor_statement(op)
            for line in lines:
                statement = self.statement_at.get(line)
                if statement is None:
                    continue
                self.graph_statements.add(statement)
                if anchor is not None and anchor is not statement and not self._within(
                        anchor, statement) and self._in_class(anchor):
                    self.delegating.add(statement)
        self.runs_by_statement: dict = {}
        for record in self.capture.runs:
            if not record.stack:
                continue
            statement = self.statement_at.get(record.stack[-1][1])
            if statement is not None:
                self.runs_by_statement.setdefault(statement, []).append(record)
        self.batch_sites_by_statement: dict = {}
        for site in self.capture.recorder.batch_sites:
            statement = self.statement_at.get(site.location[1])
            if statement is not None:
                self.batch_sites_by_statement.setdefault(statement, []).append(site)

    def where(self, node) -> str:
        return f"{self.path}:{getattr(node, 'lineno', '?')}"

    def text(self, node) -> str:
        return ast.get_source_segment(self.capture.source, node) or ast.unparse(node)

    # -- what each model needs, placed at its statements ---------------------------------

    def _plan_models(self) -> None:
        self.emissions: dict = {}  # statement -> [(order key, kind, payload)]
        for index, plan in enumerate(self.plans):
            for tensor in plan.inputs:
                self._emit_at(tensor.op, ("input", plan, tensor))
            for node in plan.layers:
                self._emit_at(node.output.op, ("layer", plan, node))
            if plan.loss is not None and plan.minimize is not None:
                loss_statement = self.anchor_statement(plan.minimize.loss.op)
                minimize_statement = self.statement_at.get(
                    int(plan.minimize.location.rsplit(":", 1)[1]))
                if loss_statement is not None and loss_statement is not minimize_statement:
                    self._emit_at(plan.minimize.loss.op, ("loss", plan, None))
                self.emissions.setdefault(minimize_statement, []).append(
                    (plan.minimize.train_op._id, "model", plan, None))
            if plan.schedule is not None:
                self._emit_at(plan.schedule.tensor.op, ("schedule", plan, plan.schedule))
            if plan.minimize is None:
                statement = self.anchor_statement(plan.output.op)
                self.emissions.setdefault(statement, []).append(
                    (plan.output.op._id + 0.5, "model", plan, None))
                for head in plan.heads:
                    self._emit_at(head.op, ("head", plan, head))
        for statement in self.emissions:
            self.emissions[statement].sort(key=lambda item: item[0])
        self._merge_instances()
        self._find_metrics()

    def _merge_instances(self) -> None:
        """Models built by the same lines (a class's ``_build_net`` for each of an ensemble's
        members, a loop) share their Keras code: emit the first model's, and give the others
        the same layer names (each instance is a Keras model of its own)."""
        self.instances: list = []  # (primary plan, other plan, [(primary item, other item)])
        family: dict = {}
        for plan in self.plans:
            if plan.minimize is None:
                continue
            key = plan.minimize.location
            family.setdefault(key, []).append(plan)
        for plans in family.values():
            primary, others = plans[0], plans[1:]
            for other in others:
                pairs = []
                for statement, items in self.emissions.items():
                    mine = [item for item in items if item[2] is primary]
                    theirs = [item for item in items if item[2] is other]
                    if len(mine) != len(theirs) or [i[1] for i in mine] != [i[1] for i in theirs]:
                        raise PortError(f"{self.where(statement)}: two models built by these "
                                        "lines differ; tfcourse port writes such lines once")
                    pairs += list(zip(mine, theirs))
                    items[:] = [item for item in items if item[2] is not other]
                self.instances.append((primary, other, pairs))

    def _name_instances(self) -> None:
        for primary, other, pairs in self.instances:
            self.model_names[id(other)] = self.model_names.get(id(primary))
            self.metric_names[id(other)] = self.metric_names.get(id(primary), [])
            for mine, theirs in pairs:
                if mine[1] == "layer":
                    if mine[3].keras != theirs[3].keras or emit.layer_constructor(
                            theirs[3]) != emit.layer_constructor(mine[3]).replace(
                            f'name="{mine[3].name}"', 'name=""') and False:
                        raise PortError("two instances of a model class build different layers")
                    theirs[3].name = mine[3].name
            index = self.plans.index(other)
            self.layer_rows += [(index, *row[1:]) for row in self.layer_rows
                                if row[0] == self.plans.index(primary)]

    def _emit_at(self, op, item) -> None:
        statement = self.anchor_statement(op)
        if statement is None:
            raise PortError(f"{self.path}: {op.name} was not made by a line of the program")
        self.emissions.setdefault(statement, []).append((op._id, *item))

    def _find_metrics(self) -> None:
        """Accuracy ops the program fetches become compiled Keras metrics."""
        for plan in self.plans:
            found = []
            if plan.loss is None:
                continue
            tried = set()
            for record in self.capture.runs:
                for leaf in record.leaves:
                    if not is_tensor(leaf) or leaf.ref() in tried:
                        continue
                    tried.add(leaf.ref())
                    metric = first_match(
                        "METRICS", leaf, self.graph,
                        accept=lambda m: self._is_output(
                            m.bindings[m.pattern.data["y_pred"]], plan,
                            argmax=m.pattern.data["keras"] != "BinaryAccuracy")
                        and any(m.bindings[m.pattern.data["y_true"]] is label
                                for label in plan.labels))
                    if metric is not None:
                        name = self._tensor_name(leaf) or "accuracy"
                        name = name.split(".")[-1]
                        found.append((leaf, name, metric.pattern.data["keras"]))
            self.metric_names[id(plan)] = found

    def _is_output(self, tensor, plan, argmax: bool) -> bool:
        """``tensor`` is the model's output, or (for argmax accuracies) its softmax."""
        if tensor is plan.output:
            return True
        return argmax and tensor.op.type == "Softmax" and tensor.op.inputs[0] is plan.output

    def _tensor_name(self, tensor) -> str | None:
        from tfcourse.port.lowering import assignment_names  # noqa: PLC0415

        if not hasattr(self, "_names"):
            self._names = assignment_names(self.capture, self.graph)
        return self._names.get(tensor.op)

    # -- the rewrite -------------------------------------------------------------------------

    def rewrite(self) -> Rewritten:
        out: list[tuple[str, int | None]] = []
        self.session_names = self._session_names()
        self._block(self.tree.body, "", out)
        self._name_instances()
        weights = [self._weight_rows(plan) for plan in self.plans]
        return Rewritten(out, self.layer_rows, weights, self.notes)

    def _session_names(self) -> set:
        names = set()
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Assign) and _is_call_to(node.value, self.tf_aliases,
                                                            _SESSION_CLASSES):
                names |= {ast.unparse(t) for t in node.targets}
            if isinstance(node, ast.withitem) and _is_call_to(node.context_expr, self.tf_aliases,
                                                              _SESSION_CLASSES):
                if node.optional_vars is not None:
                    names.add(ast.unparse(node.optional_vars))
        return names

    def _gap(self, previous_end: int, statement, indent: str, out: list, dropped: bool) -> None:
        """Comments and blank lines between two statements of the original."""
        start = statement.lineno - 1
        decorators = getattr(statement, "decorator_list", None)
        if decorators:
            start = min(d.lineno for d in decorators) - 1
        for number in range(previous_end, start):
            line = self.lines[number]
            stripped = line.strip()
            if not stripped:
                out.append(("", None))
            elif stripped.startswith("#") and not dropped:
                out.append((indent + stripped, number + 1))

    def _block(self, statements: list, indent: str, out: list) -> None:
        previous_end = statements[0].lineno - 1 if statements else 0
        if statements and getattr(statements[0], "decorator_list", None):
            previous_end = min(d.lineno for d in statements[0].decorator_list) - 1
        for statement in statements:
            mark = len(out)
            self._statement(statement, indent, out)
            produced = out[mark:]
            gap: list = []
            self._gap(previous_end, statement, indent, gap, dropped=not produced)
            out[mark:mark] = gap
            previous_end = statement.end_lineno
        if statements and all(not line.strip() for line, _ in out[-1:]) and False:
            pass

    def _printed_graph_objects(self, statement) -> list:
        """``print("one_hot", Y_one_hot)`` of a TF1 tensor: (name node, the text TF1 printed)."""
        replacements = []
        for node in ast.walk(statement):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and
                    node.func.id == "print"):
                continue
            for argument in node.args:
                if isinstance(argument, ast.Name) and argument.id in self.dropped_names:
                    candidates = [(op, name) for op, name in self._names_by_op().items()
                                  if name == argument.id and (self.graph.line(op) or 0) <
                                  argument.lineno]
                    if candidates:
                        op = max(candidates, key=lambda item: item[0]._id)[0]
                        replacements.append((argument, repr(str(op.outputs[0]))))
        return replacements

    def _variable_queries(self, statement) -> list:
        """``tf.trainable_variables()`` read by kept code, as the one model's variables."""
        queries = [node for node in ast.walk(statement)
                   if _is_call_to(node, self.tf_aliases, VARIABLE_QUERIES) and not node.args]
        if not queries:
            return []
        trained = [p for p in self.plans if p.loss is not None]
        if len(trained) != 1:
            return []
        plan = trained[0]
        model = self._model_expression(plan, statement)
        self.notes.append(f"{self.where(statement)}: `{self.text(queries[0])}` became "
                          f"`{model}.trainable_variables` (Keras names a weight by its layer: "
                          "`v.path`, not TF1's scope)")
        return [(node, f"{model}.trainable_variables") for node in queries]

    def _static_shapes(self, statement) -> list:
        """``X.shape.as_list()`` and ``X.get_shape()`` of a value that is now a Keras tensor,
        whose shape is a tuple: ``list(X.shape)`` and ``X.shape``."""
        keras_names = set(self.expressions.values())
        replacements = []
        for node in ast.walk(statement):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            owner = node.func.value
            if node.func.attr == "get_shape" and isinstance(owner, ast.Name) and \
                    owner.id in keras_names:
                replacements.append((node, f"{owner.id}.shape"))
            elif node.func.attr == "as_list" and (
                    isinstance(owner, ast.Attribute) and owner.attr == "shape" or
                    isinstance(owner, ast.Call) and isinstance(owner.func, ast.Attribute) and
                    owner.func.attr == "get_shape") and not node.args:
                root = owner.value if isinstance(owner, ast.Attribute) else owner.func.value
                if isinstance(root, ast.Name) and root.id in keras_names:
                    replacements.append((node, f"list({root.id}.shape)"))
        outer = [r for r in replacements if not any(
            r[0] is not other[0] and r[0] in ast.walk(other[0]) for other in replacements)]
        return outer

    def _keep(self, statement, indent: str, out: list) -> None:
        """The statement's original text, re-indented to ``indent``."""
        tensors = self._printed_graph_objects(statement)
        printed = tensors + self._variable_queries(statement) + self._static_shapes(statement)
        if tensors:
            self.notes.append(f"{self.where(statement)}: it printed a TF1 graph tensor; the Keras "
                              "program prints the same description as text")
        if printed:
            text = self._statement_text_with(statement, printed)
            for line in text.splitlines():
                out.append((indent + line, statement.lineno))
            saved = set(self.dropped_names)
            self.dropped_names -= {node.id for node, _ in printed if isinstance(node, ast.Name)}
            self._check_no_tf(statement, replaced=[node for node, _ in printed])
            self.dropped_names = saved
            return
        start = statement.lineno
        decorators = getattr(statement, "decorator_list", None)
        if decorators:
            start = min(d.lineno for d in decorators)
        segment = self.lines[start - 1:statement.end_lineno]
        old_indent = segment[0][:len(segment[0]) - len(segment[0].lstrip())]
        if segment[0][:statement.col_offset].strip():  # the body of `if x: print(x)`
            segment = [segment[0][statement.col_offset:], *segment[1:]]
            old_indent = ""
        for offset, line in enumerate(segment):
            if line.startswith(old_indent):
                line = indent + line[len(old_indent):]
            out.append((line.rstrip(), start + offset))
        self._check_no_tf(statement)

    def _check_no_tf(self, statement, replaced=()) -> None:
        bound = set(self.expressions.values()) | set(self.model_names.values())
        inside_replaced = {id(n) for r in replaced for n in ast.walk(r)}
        for node in ast.walk(statement):
            if id(node) in inside_replaced:
                continue
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and \
                    node.id in self.dropped_names and node.id not in bound:
                raise PortError(f"{self.where(node)}: `{self.text(self.parents.get(node, node))}` "
                                f"reads `{node.id}`, which the Keras program no longer has (a "
                                "TF1 graph object: a variable, a placeholder or a graph query)")
            if isinstance(node, ast.Name) and node.id in self.tf_aliases:
                raise PortError(f"{self.where(node)}: `{self.text(self.parents.get(node, node))}` "
                                "uses TensorFlow 1 in a way tfcourse port does not translate")
            if isinstance(node, ast.Name) and node.id in self.session_names and \
                    node.id not in self.session_placeholders:
                raise PortError(f"{self.where(node)}: the session `{node.id}` is used in a way "
                                "tfcourse port does not translate")

    def _header(self, statement, indent: str, out: list) -> None:
        """The header line(s) of a compound statement, as written."""
        fields = _body_fields(statement)
        first = min(child.lineno for name in fields for child in getattr(statement, name)
                    if hasattr(child, "lineno"))
        start = statement.lineno
        decorators = getattr(statement, "decorator_list", None)
        if decorators:
            start = min(d.lineno for d in decorators)
        if first == statement.lineno:  # `if step % 200 == 0: print(step, cost_val)`
            body = min((child for name in fields for child in getattr(statement, name)
                        if hasattr(child, "lineno")), key=lambda c: (c.lineno, c.col_offset))
            line = self.lines[statement.lineno - 1]
            out.append((indent + line[statement.col_offset:body.col_offset].rstrip(),
                        statement.lineno))
            return
        segment = self.lines[start - 1:first - 1]
        old_indent = segment[0][:len(segment[0]) - len(segment[0].lstrip())]
        for offset, line in enumerate(segment):
            if not line.strip() or line.strip().startswith("#"):
                continue
            if line.startswith(old_indent):
                line = indent + line[len(old_indent):]
            out.append((line.rstrip(), start + offset))

    def _statement(self, statement, indent: str, out: list) -> None:
        inner = indent + "    "
        if statement in self.tf_import_nodes:
            if not self.emitted_imports:
                self.emitted_imports = True
                out.append(("__IMPORTS__", statement.lineno))
            if any(alias.name == "input_data" for alias in getattr(statement, "names", [])):
                self.imports.add("from tfcourse.data import input_data")
            return
        if statement in self.emissions:
            for _, kind, plan, payload in self.emissions[statement]:
                for line in self._emission(kind, plan, payload, statement):
                    out.append((indent + line if line else "", statement.lineno))
            return
        if isinstance(statement, ast.With):
            unwrap = all(self._is_tf_context(item.context_expr) for item in statement.items)
            if unwrap:
                self._block(statement.body, indent, out)
                return
            self._header(statement, indent, out)
            self._block(statement.body, inner, out)
            return
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
            if (self._only_builds_graph(statement) or statement in self._graph_helpers()) and \
                    not isinstance(self.parents.get(statement), ast.ClassDef):
                self._drop(statement)
                return
            self._header(statement, indent, out)
            mark = len(out)
            self._block(statement.body, inner, out)
            if not any(line.strip() for line, _ in out[mark:]):
                out.append((inner + "pass", statement.lineno))
            return
        if isinstance(statement, ast.For) and self._training_loop(statement, indent, out):
            return
        if isinstance(statement, (ast.For, ast.While, ast.If, ast.ClassDef, ast.Try)):
            self._compound(statement, indent, out)
            return
        # simple statements
        if self._is_session_statement(statement):
            if isinstance(statement, ast.Assign) and isinstance(statement.value, ast.Call):
                self._session_placeholder(statement, indent, out)
            return
        if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call):
            call = statement.value
            if _is_call_to(call, self.tf_aliases, ("set_random_seed",)):
                self.notes.append("tf.set_random_seed(N) became keras.utils.set_random_seed(N): "
                                  "Keras draws its own random numbers, from the same seed")
                out.append((f"{indent}keras.utils.set_random_seed({self.text(call.args[0])})",
                            statement.lineno))
                return
            if _is_call_to(call, self.tf_aliases, tuple(_DROPPED_TF_CALLS)):
                return
        if self._merge_all_statement(statement, indent, out):
            return
        if self._saver_or_summary_statement(statement, indent, out):
            return
        if statement in self.runs_by_statement or self._runs_the_session(statement):
            self._run_statement(statement, indent, out)
            return
        optimizer_plan = self._optimizer_statement(statement)
        if optimizer_plan is not None:
            target = self._target(statement)
            self.optimizer_names[id(optimizer_plan)] = target
            code = emit.optimizer_call(optimizer_plan.minimize,
                                       self._optimizer_arguments(optimizer_plan, statement))
            out.append((f"{indent}{target} = {code}", statement.lineno))
            return
        if self._is_feed_dict(statement) or self._reads_graph(statement) or \
                self._only_for_the_graph(statement):
            self._drop(statement)
            return
        if statement in self.graph_statements and statement not in self.delegating:
            if self._constant_statement(statement, indent, out):
                return
            self._drop(statement)
            return
        self._keep(statement, indent, out)

    def _drop(self, statement) -> None:
        """Remember the names a dropped statement bound (a later kept line must not read them)."""
        for node in ast.walk(statement):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                self.dropped_names.add(node.id)

    # -- checkpoints and summaries --------------------------------------------------------------

    def _single_model(self, statement) -> str:
        trained = [plan for plan in self.plans if plan.minimize is not None] or self.plans
        if len(trained) != 1:
            raise PortError(f"{self.where(statement)}: tfcourse port writes a checkpoint or a "
                            "summary for a program with one model")
        return self._model_for(trained[0], statement)

    def _saver_or_summary_statement(self, statement, indent: str, out: list) -> bool:
        """``tf.train.Saver``, ``saver.save/restore``, ``tf.summary.FileWriter``, ``add_summary``."""
        value = getattr(statement, "value", None)
        if not isinstance(statement, (ast.Assign, ast.Expr)) or not isinstance(value, ast.Call):
            return False
        function = value.func
        target = self._target(statement) if isinstance(statement, ast.Assign) else None
        attribute = function.attr if isinstance(function, ast.Attribute) else None
        owner = self.text(function.value) if isinstance(function, ast.Attribute) else None
        if attribute == "Saver" and self._is_call_to_tf(value) and target:
            self.savers.add(target)
            self.notes.append(f"{self.where(statement)}: tf.train.Saver became "
                              "model.save_weights / load_weights (a .weights.h5 file named after "
                              "TF1's checkpoint prefix)")
            return True
        if owner in self.savers and attribute in ("save", "restore"):
            model = self._single_model(statement)
            path = next((self.text(k.value) for k in value.keywords if k.arg == "save_path"),
                        self.text(value.args[1]) if len(value.args) > 1 else None)
            if path is None:
                raise PortError(f"{self.where(statement)}: {owner}.{attribute} without a path")
            lines = []
            if attribute == "save":
                if target is not None:
                    lines += [f"{target} = {path}", f"{model}.save_weights({target} + "
                                                    f"\".weights.h5\")"]
                else:
                    lines.append(f"{model}.save_weights({path} + \".weights.h5\")")
            else:
                lines.append(f"{model}.load_weights({path} + \".weights.h5\")")
            out.extend((indent + line, statement.lineno) for line in lines)
            return True
        if attribute == "FileWriter" and self._is_call_to_tf(value) and target:
            self.writers.add(target)
            self.imports.add("import tensorflow as tf")
            logdir = self.text(value.args[0]) if value.args else next(
                self.text(k.value) for k in value.keywords if k.arg == "logdir")
            self.notes.append(f"{self.where(statement)}: tf.summary.FileWriter became "
                              "tf.summary.create_file_writer (TensorFlow 2's writer); the graph "
                              "itself is not written")
            out.append((f"{indent}{target} = tf.summary.create_file_writer({logdir})",
                        statement.lineno))
            return True
        if owner in self.writers and attribute == "add_summary":
            arguments = [self.text(a) for a in value.args] + [
                f"{k.arg}={self.text(k.value)}" for k in value.keywords]
            out.append((f"{indent}add_summary({owner}, {', '.join(arguments)})",
                        statement.lineno))
            return True
        return False

    def _merge_all_statement(self, statement, indent: str, out: list) -> bool:
        """``merged = tf.summary.merge_all()``: a function computing the program's summaries."""
        if not (isinstance(statement, ast.Assign) and isinstance(statement.value, ast.Call) and
                isinstance(statement.value.func, ast.Attribute) and
                statement.value.func.attr in ("merge_all", "merge")):
            return False
        merges = [op for op in self.graph.graph.get_operations() if op.type == "MergeSummary"
                  and self.graph.line(op) == statement.lineno]
        if len(merges) != 1:
            return False
        merge = merges[0]
        name = self._target(statement)
        model = self._single_model(statement)
        plan = next(p for p in self.plans if self._model_expression(p, None) == model)
        entries, needs_logs, outputs = [], False, []
        for summary in merge.inputs:
            op = summary.op
            kind = {"ScalarSummary": "scalar", "HistogramSummary": "histogram"}.get(op.type)
            if kind is None:
                raise PortError(f"{self.where(statement)}: tf.summary op {op.type} does not port "
                                "(scalar and histogram do)")
            from tfcourse.port.graph import constant_value  # noqa: PLC0415

            tag = constant_value(op.inputs[0]).item().decode()
            tensor = op.inputs[1]
            owner, role = self._plan_of(tensor)
            if owner is None:
                raise PortError(f"{self.where(statement)}: the summary {tag!r} reads a value the "
                                "Keras program does not compute")
            if role[0] in ("loss", "metric"):
                needs_logs = True
                code = f"logs[{emit.literal(role[1])}]"
            elif role[0] == "weight":
                node, weight = role[1]
                code = f"{model}.get_layer({emit.literal(node.name)}).{weight.name}.numpy()"
            elif role[0] in ("output", "layer"):
                outputs.append(self._symbolic(plan, tensor, model, statement))
                code = f"values[{len(outputs) - 1}]"
            else:
                raise PortError(f"{self.where(statement)}: the summary {tag!r} does not port")
            entries.append(f"({emit.literal(kind)}, {emit.literal(tag)}, {code}),")
        self.summary_functions[merge] = name
        self.imports.add("import tensorflow as tf")
        lines = [""]
        if outputs:
            summarized = emit.python_name("summarized", self.taken)
            lines.append(f"{summarized} = keras.Model({model}.inputs, [{', '.join(outputs)}])")
        lines += ["", f"def {name}(x, y):",
                  '    """tf.summary.merge_all(): (kind, tag, value) of each summary, computed now',
                  '    (TF1 computed them in the same run as the training step, before its '
                  'update)."""']
        if outputs:
            lines.append(f"    values = {summarized}.predict_on_batch(x)")
            if len(outputs) == 1:
                lines.append("    values = [values]")
        if needs_logs:
            lines.append(f"    logs = {model}.test_on_batch(x, y, return_dict=True)")
        lines += ["    return [", *[f"        {entry}" for entry in entries], "    ]", "", "",
                  "def add_summary(writer, summary, global_step):",
                  '    """FileWriter.add_summary: write those values to TensorBoard at global_step."""',
                  "    with writer.as_default(step=global_step):",
                  "        for kind, tag, value in summary:",
                  "            getattr(tf.summary, kind)(tag, value)", ""]
        out.extend(((indent + line) if line else "", statement.lineno) for line in lines)
        return True

    def _optimizer_statement(self, statement):
        """The plan whose optimizer ``opt = tf.train.AdamOptimizer(...)`` constructs, or None."""
        if not (isinstance(statement, ast.Assign) and isinstance(statement.value, ast.Call) and
                isinstance(statement.value.func, ast.Attribute) and
                statement.value.func.attr.endswith("Optimizer")):
            return None
        target = self._target(statement)
        value = self.capture.namespace.get(target) if target and "." not in target else None
        for plan in self.plans:
            if plan.minimize is not None and plan.minimize.optimizer is value:
                return plan
        return None

    def _graph_helpers(self) -> set:
        """Statements that make TF1 objects without ops and feed only the graph's construction:
        ``cell = tf.contrib.rnn.BasicLSTMCell(...)``, ``def lstm_cell(): ...``, the
        ``MultiRNNCell`` of them. What they describe is in the Keras layers now."""
        if hasattr(self, "_helpers"):
            return self._helpers
        candidates = []
        for node in ast.walk(self.tree):
            if isinstance(node, (ast.Assign, ast.FunctionDef)) and node not in \
                    self.graph_statements and node not in self.runs_by_statement and any(
                    isinstance(n, ast.Name) and n.id in self.tf_aliases for n in ast.walk(node)):
                if isinstance(node, ast.FunctionDef) and isinstance(self.parents.get(node),
                                                                    ast.ClassDef):
                    continue
                names = ({node.name} if isinstance(node, ast.FunctionDef) else
                         {n.id for t in node.targets for n in ast.walk(t)
                          if isinstance(n, ast.Name)})
                if names:
                    candidates.append((node, names))
        helpers: set = set()
        changed = True
        while changed:
            changed = False
            for node, names in candidates:
                if node in helpers:
                    continue
                readers = [self.statement_at.get(n.lineno) for n in ast.walk(self.tree)
                           if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)
                           and n.id in names]
                readers = [r for r in readers if not self._within(r, node) and r is not node]
                if readers and all(r in self.graph_statements and r not in self.delegating
                                   or r in helpers for r in readers):
                    helpers.add(node)
                    changed = True
        self._helpers = helpers
        return helpers

    def _only_for_the_graph(self, statement) -> bool:
        """``bn_params = {'is_training': is_training, 'decay': 0.9}``: built from graph objects
        and read only by lines that build the graph (whose Keras code replaces them)."""
        if statement in self._graph_helpers():
            return True
        if not isinstance(statement, ast.Assign):
            return False
        reads = {n.id for n in ast.walk(statement.value) if isinstance(n, ast.Name)}
        if not reads & self.dropped_names:
            return False
        targets = {n.id for t in statement.targets for n in ast.walk(t) if isinstance(n, ast.Name)}
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and \
                    node.id in targets:
                user = self.statement_at.get(node.lineno)
                if user is None or user not in self.graph_statements:
                    return False
        return True

    def _reads_graph(self, statement) -> bool:
        """``update_ops = tf.get_collection(tf.GraphKeys.UPDATE_OPS)`` and the like."""
        if not isinstance(statement, (ast.Assign, ast.Expr)):
            return False
        value = statement.value
        return _is_call_to(value, self.tf_aliases, GRAPH_QUERIES) or (
            isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) and
            isinstance(value.func.value, ast.Attribute) and isinstance(
                value.func.value.value, ast.Name) and value.func.value.value.id in self.tf_aliases
            and value.func.attr in GRAPH_QUERIES)

    def _compound(self, statement, indent: str, out: list) -> None:
        inner = indent + "    "
        self._header(statement, indent, out)
        mark = len(out)
        self._block(statement.body, inner, out)
        if not any(line.strip() for line, _ in out[mark:]):
            out.append((inner + "pass", statement.lineno))
        if isinstance(statement, ast.Try):
            for handler in statement.handlers:
                self._header_of_clause(handler, indent, out)
                self._block(handler.body, inner, out)
        if getattr(statement, "orelse", None):
            out.append((indent + ("else:" if not (isinstance(statement, ast.If) and len(
                statement.orelse) == 1 and isinstance(statement.orelse[0], ast.If)) else "else:"),
                statement.orelse[0].lineno))
            self._block(statement.orelse, inner, out)
        if getattr(statement, "finalbody", None):
            out.append((indent + "finally:", statement.finalbody[0].lineno))
            self._block(statement.finalbody, inner, out)

    def _header_of_clause(self, handler, indent: str, out: list) -> None:
        line = self.lines[handler.lineno - 1]
        out.append((indent + line.strip(), handler.lineno))

    def _is_tf_context(self, expression) -> bool:
        if _is_call_to(expression, self.tf_aliases, _SESSION_CLASSES + (
                "variable_scope", "name_scope", "control_dependencies", "device")):
            return True
        if isinstance(expression, ast.Call) and isinstance(expression.func, ast.Attribute) and \
                expression.func.attr in ("as_default",):
            return True
        return False

    def _runs_the_session(self, statement) -> bool:
        """The statement calls ``sess.run`` (even if the program never executed it)."""
        return any(isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and
                   node.func.attr == "run" and self.text(node.func.value) in self.session_names
                   for node in ast.walk(statement))

    def _session_placeholder(self, statement, indent: str, out: list) -> None:
        """``sess = tf.Session()`` whose ``sess`` the program passes on (``Model(sess, "m1")``)."""
        names = {self.text(t) for t in statement.targets}
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Name) and node.id in names and isinstance(node.ctx, ast.Load):
                parent = self.parents.get(node)
                if isinstance(parent, ast.Attribute) and parent.attr in ("run", "close", "graph"):
                    continue
                if isinstance(parent, ast.Call) and node in parent.args and self._is_call_to_tf(
                        parent):
                    continue
                user = self.statement_at.get(node.lineno)
                if user in self.runs_by_statement or user in self.graph_statements and \
                        user not in self.delegating:
                    continue
                target = self.text(statement.targets[0])
                out.append((f"{indent}{target} = None  # Keras 3 has no session: the models hold "
                            "their weights", statement.lineno))
                self.session_placeholders |= names
                return

    def _is_call_to_tf(self, call) -> bool:
        function = call.func
        while isinstance(function, ast.Attribute):
            function = function.value
        return isinstance(function, ast.Name) and function.id in self.tf_aliases

    def _is_session_statement(self, statement) -> bool:
        if isinstance(statement, ast.Assign) and _is_call_to(statement.value, self.tf_aliases,
                                                             _SESSION_CLASSES):
            return True
        if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call):
            func = statement.value.func
            if isinstance(func, ast.Attribute) and func.attr == "close" and \
                    ast.unparse(func.value) in self.session_names:
                return True
        if isinstance(statement, ast.Assign) and isinstance(statement.value, ast.Name) and \
                statement.value.id in self.session_names:
            self.session_names |= {ast.unparse(t) for t in statement.targets}
            return True
        return False

    def _is_feed_dict(self, statement) -> bool:
        """``feed_dict = {X: batch_xs, Y: batch_ys}``: its keys are placeholders."""
        if not (isinstance(statement, ast.Assign) and isinstance(statement.value, ast.Dict)):
            return False
        placeholders = {t.op.name for t in self.graph.placeholders()}
        for key in statement.value.keys:
            if key is None:
                return False
            try:
                value = eval(compile(ast.Expression(key), "<port>", "eval"),  # noqa: S307
                             dict(self.capture.namespace))
            except Exception:  # noqa: BLE001  (a key we cannot look up: not a feed dict)
                return False
            if getattr(getattr(value, "op", None), "name", None) not in placeholders:
                return False
        return bool(statement.value.keys)

    def _only_builds_graph(self, function) -> bool:
        for statement in ast.walk(function):
            if statement is function or not isinstance(statement, ast.stmt):
                continue
            if statement in self.runs_by_statement:
                return False
        return any(s in self.graph_statements for s in ast.walk(function) if s is not function)


    # -- emissions: what a graph statement becomes ---------------------------------------------

    def _target(self, statement) -> str | None:
        if isinstance(statement, ast.Assign) and len(statement.targets) == 1 and isinstance(
                statement.targets[0], (ast.Name, ast.Attribute)):
            return self.text(statement.targets[0])
        return None

    def _in_class(self, statement) -> bool:
        function = self.enclosing(statement, (ast.FunctionDef, ast.AsyncFunctionDef))
        return function is not None and isinstance(self.parents.get(function), ast.ClassDef)

    def _expression(self, tensor, plan) -> str:
        expression = self.expressions.get(tensor.ref())
        if expression is None:
            raise PortError(f"{self.path}: the Keras code needs {tensor.name} before the line "
                            "that computes it")
        return expression

    def _layer_name(self, plan, base: str, kind: str) -> str:
        used = self._layer_names.setdefault(id(plan), set())
        name = emit.python_name(base.split(".")[-1])
        if name in used:
            name = emit.python_name(f"{name}_{kind.lower()}")
        return emit.python_name(name, used)

    def _emission(self, kind: str, plan, payload, statement) -> list[str]:
        if not hasattr(self, "_layer_names"):
            self._layer_names = {}
            self.loss_expressions = {}
        if kind == "input":
            return self._input_lines(plan, payload, statement)
        if kind == "layer":
            return self._layer_lines(plan, payload, statement)
        if kind == "loss":
            return self._loss_lines(plan, statement)
        if kind == "model":
            return self._model_lines(plan, statement)
        if kind == "head":
            return self._head_lines(plan, payload, statement)
        if kind == "schedule":
            return self._schedule_lines(plan, payload, statement)
        raise AssertionError(kind)

    def _input_lines(self, plan, tensor, statement) -> list[str]:
        target = self._target(statement)
        value = None
        for record in self.capture.runs:
            if tensor in record.feeds:
                value = record.feeds[tensor]
                break
        if tensor.op.type == "Const":
            data_name = self._data_name(tensor)
            target = emit.python_name(f"{data_name}_input", self.taken)
            keras_name = data_name
        else:
            if target is None or target in self.expressions.values():
                target = emit.python_name(tensor.op.name, self.taken)
            keras_name = emit.python_name(target.split(".")[-1])
            if tensor.shape.rank == 1:
                self.notes.append(f"{self.where(statement)}: {target} holds one number per "
                                  "example; Keras gives each example a feature axis (shape (1,))")
        shape = input_shape(tensor, value, self.where(statement))
        options = ""
        dtype = tensor.dtype.base_dtype.name
        if dtype != "float32":
            options += f", dtype={emit.literal(dtype)}"
        self.expressions[tensor.ref()] = target
        return [f"{target} = keras.Input(shape={emit.literal(shape)}{options}, "
                f"name={emit.literal(keras_name)})"]

    def _data_name(self, tensor) -> str:
        from tfcourse.port.graph import constant_value  # noqa: PLC0415

        value = constant_value(tensor)
        for name, candidate in self.capture.namespace.items():
            if isinstance(candidate, (list, tuple, np.ndarray)) and not name.startswith("_"):
                try:
                    if np.array_equal(np.asarray(candidate, dtype=value.dtype), value):
                        return name
                except (TypeError, ValueError):
                    continue
        return "inputs"

    def _layer_lines(self, plan, node: LayerNode, statement) -> list[str]:
        target = self._target(statement)
        if target is None and node.target_path and isinstance(statement, ast.Assign):
            target = _name_at(statement.targets[0], node.target_path)
        if target is not None and plan.minimize is not None and plan.minimize.loss is not None \
                and node.output is not plan.minimize.loss and (self.graph.line(
                    plan.minimize.loss.op) or 0) in range(statement.lineno,
                                                          statement.end_lineno + 1):
            # `cost = tf.reduce_mean(tf.square(tf.matmul(X, W) + b - Y))`: `cost` is the loss
            target = emit.python_name("prediction" if node.output is plan.output else
                                      node.keras.lower(), self.taken)
        inputs = [self._expression(tensor, plan) for tensor in node.inputs]
        if target is None:
            target = emit.python_name(node.keras.lower(), self.taken)
        node.name = self._layer_name(plan, target, node.keras)
        for layer, weight_name, code in plan.regularizers:
            if layer is node:
                node.arguments[f"{weight_name}_regularizer"] = code
        lines = []
        standard = node.keras != "Custom"
        expression = None
        if node.arguments.get("_code"):
            expression = node.arguments["_code"].format(*inputs)
        elif node.keras == "Custom" and not node.weights:
            expression = emit.keras_ops_code(
                node.ops, {t.ref(): e for t, e in zip(node.inputs, inputs)}, self.graph,
                node.output)
        if expression is not None:
            lines.append(f"{target} = {expression}")
            standard = True
            node.keras = "keras.ops"
        elif node.keras == "Custom":
            class_name = emit.python_name(
                "".join(part.capitalize() for part in node.name.split("_")) + "Layer", self.taken)
            source_line = self.lines[statement.lineno - 1]
            input_names = [emit.python_name(expression.split(".")[-1]) for expression in inputs]
            self.prelude += emit.custom_layer_class(node, class_name, input_names, self.graph,
                                                    source_line) + [""]
            self.imports.add("import tensorflow as tf")
            call = f"{class_name}(name={emit.literal(node.name)})"
            argument = inputs[0] if len(inputs) == 1 else "[" + ", ".join(inputs) + "]"
            lines.append(f"{target} = {call}({argument})")
        else:
            if node.arguments.get("_class"):
                self.imports.add("from tfcourse import layers")
            if any(isinstance(v, Code) and v.imports for v in node.arguments.values()):
                for value in node.arguments.values():
                    if isinstance(value, Code):
                        self.imports.update(value.imports)
            training = "True" if node.always_on else None
            lines.append(f"{target} = {emit.layer_call(node, inputs, training)}")
        self.expressions[node.output.ref()] = target
        self.layer_rows.append((self.plans.index(plan), node.name,
                                node.arguments.get("_class") or node.keras, statement.lineno,
                                node.pattern, standard))
        return lines

    def _loss_lines(self, plan, statement) -> list[str]:
        target = self._target(statement) or "loss"
        self.loss_expressions[id(plan)] = target
        if plan.loss.code is not None:
            return [f"{target} = {plan.loss.code.text}"]
        return self._custom_loss(plan, target)

    def _custom_loss(self, plan, name: str) -> list[str]:
        loss = plan.loss
        y_true = self._tensor_name(loss.y_true) if loss.y_true is not None else "y_true"
        y_pred = self._expression(loss.y_pred, plan).split(".")[-1]
        y_true = emit.python_name((y_true or "y_true").split(".")[-1])
        if y_true == y_pred:
            y_true = f"{y_true}_true"
        names = {loss.y_pred.ref(): y_pred}
        if loss.y_true is not None:
            names[loss.y_true.ref()] = y_true
        term = plan.minimize.loss
        statements, expression = emit.exact_ops(loss.ops, names, self.graph, term)
        self.imports.add("import tensorflow as tf")
        source = self.lines[self.statement_at[self.graph.line(term.op)].lineno - 1].strip() \
            if self.graph.line(term.op) in self.statement_at else ""
        lines = [f"def {name}({y_true}, {y_pred}):",
                 f'    """The program\'s own loss, op for op: `{source}`."""']
        lines += [f"    {line}" for line in statements]
        lines.append(f"    return {expression}")
        return lines

    SCHEDULE_ARGUMENTS = {"exponential_decay": ("learning_rate", "global_step", "decay_steps",
                                                "decay_rate", "staircase"),
                          "inverse_time_decay": ("learning_rate", "global_step", "decay_steps",
                                                 "decay_rate", "staircase")}

    def _schedule_lines(self, plan, schedule, statement) -> list[str]:
        """``learning_rate = tf.train.exponential_decay(...)`` as a Keras schedule."""
        target = self._target(statement) or "learning_rate"
        call = next((n for n in ast.walk(statement) if isinstance(n, ast.Call) and
                     isinstance(n.func, ast.Attribute) and n.func.attr in
                     self.SCHEDULE_ARGUMENTS), None)
        written = {}
        if call is not None:
            names = self.SCHEDULE_ARGUMENTS[call.func.attr]
            written.update({name: self.text(arg) for name, arg in zip(names, call.args)})
            written.update({k.arg: self.text(k.value) for k in call.keywords if k.arg})
        values = schedule.values
        initial = written.get("learning_rate", emit.literal(float(values["learning_rate"])))
        self.schedules[id(plan)] = target
        if not schedule.advances:
            self.notes.append(f"{self.where(statement)}: minimize() does not advance the global "
                              "step this rate decays with, so the rate never changes in TF1; "
                              "the port keeps it constant")
            return [f"{target} = {initial}  # minimize() never advanced the global step"]
        steps = written.get("decay_steps", str(int(values["decay_steps"])))
        rate = written.get("decay_rate", emit.literal(float(values["decay_rate"])))
        staircase = ", staircase=True" if schedule.staircase else ""
        self.notes.append(f"{self.where(statement)}: the decayed learning rate became "
                          f"keras.optimizers.schedules.{schedule.keras}, evaluated at the "
                          "optimizer's step count (TF1's global_step)")
        return [f"{target} = keras.optimizers.schedules.{schedule.keras}({initial}, {steps}, "
                f"{rate}{staircase})"]

    def _model_expression(self, plan, statement) -> str:
        if id(plan) in self.model_names:
            return self.model_names[id(plan)]
        in_class = statement is not None and self._in_class(statement)
        if in_class:
            expression = "self.model"
        else:
            expression = emit.python_name("model", self.taken)
        self.model_names[id(plan)] = expression
        return expression

    def _head_lines(self, plan, head, statement) -> list[str]:
        """A value computed from the model's output and the labels: a Keras loss or the formula."""
        target = self._target(statement) or emit.python_name(head.op.name, self.taken)
        label_refs = {t.ref() for t in plan.labels}
        found = first_match("LOSSES", head, self.graph, accept=lambda m: (
            m.bindings[m.pattern.data["y_true"]].ref() in label_refs and
            m.bindings[m.pattern.data["y_pred"]].ref() in self.expressions))
        if found is not None:
            y_pred = found.bindings[found.pattern.data["y_pred"]]
            y_true = found.bindings[found.pattern.data["y_true"]]
            self.heads[head.ref()] = (target, y_true, y_pred)
            return [f"{target} = keras.losses.{found.pattern.data['keras']}"]
        stop_ops = {t.op for t in plan.labels} | {
            op for op in self.graph.graph.get_operations()
            if any(out.ref() in self.expressions for out in op.outputs)}
        inside = self.graph.data_ancestors([head], stop=frozenset(stop_ops)) - stop_ops
        reads = [t for op in inside for t in op.inputs
                 if t.ref() in label_refs or t.ref() in self.expressions]
        y_true = next((t for t in reads if t.ref() in label_refs), None)
        y_preds = {t.ref(): t for t in reads if t.ref() not in label_refs}
        if y_true is None or len(y_preds) != 1:
            raise PortError(f"{self.where(statement)}: tfcourse port writes a value computed from "
                            "the labels as a function of the labels and one model output")
        y_pred = next(iter(y_preds.values()))
        ops = self.graph.data_ancestors([head], stop=frozenset({y_true.op, y_pred.op})) - {
            y_true.op, y_pred.op}
        true_name = emit.python_name((self._tensor_name(y_true) or "y_true").split(".")[-1])
        pred_name = self._expression(y_pred, plan).split(".")[-1]
        if true_name == pred_name:
            true_name += "_true"
        statements, expression = emit.exact_ops(ops, {y_true.ref(): true_name,
                                                      y_pred.ref(): pred_name}, self.graph, head)
        self.imports.add("import tensorflow as tf")
        self.heads[head.ref()] = (target, y_true, y_pred)
        source = self.lines[statement.lineno - 1].strip()
        return ["", f"def {target}({true_name}, {pred_name}):",
                f'    """`{source}`, op for op."""',
                *[f"    {line}" for line in statements], f"    return {expression}", ""]

    def _model_lines(self, plan, statement) -> list[str]:
        model = self._model_expression(plan, statement)
        inputs = [self._expression(t, plan) for t in plan.inputs]
        output = self._expression(plan.output, plan)
        inputs_text = inputs[0] if len(inputs) == 1 else "[" + ", ".join(inputs) + "]"
        name = emit.python_name(self.capture.path.stem)
        lines = [f"{model} = keras.Model({inputs_text}, {output}, name={emit.literal(name)})"]
        if plan.minimize is None:
            return lines
        loss = self.loss_expressions.get(id(plan))
        if loss is None:
            if plan.loss.code is not None:
                loss = plan.loss.code.text
            else:
                lines[:0] = self._custom_loss(plan, "loss") + [""]
                loss = "loss"
        optimizer = self.optimizer_names.get(id(plan)) or emit.optimizer_call(
            plan.minimize, self._optimizer_arguments(plan, statement))
        lines += [f"{model}.compile(", f"    optimizer={optimizer},", f"    loss={loss},"]
        metrics = self.metric_names.get(id(plan), [])
        if metrics:
            codes = ", ".join(f"keras.metrics.{kind}(name={emit.literal(name)})"
                              for _, name, kind in metrics)
            lines.append(f"    metrics=[{codes}],")
        lines.append(")")
        return lines

    def _optimizer_arguments(self, plan, statement) -> dict:
        """TF1 argument -> the program's source text, from the optimizer's constructor call."""
        import inspect  # noqa: PLC0415

        optimizer_class = type(plan.minimize.optimizer).__mro__[1]
        parameters = [p for p in inspect.signature(optimizer_class.__init__).parameters
                      if p != "self"]
        constructor = None
        for node in ast.walk(statement):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
                    node.func.attr == type(plan.minimize.optimizer).__name__:
                constructor = node
        if constructor is None:
            for node in ast.walk(statement):
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
                        node.func.attr == "minimize":
                    owner = self.text(node.func.value)
                    for candidate in ast.walk(self.tree):
                        if isinstance(candidate, ast.Assign) and any(
                                self.text(t) == owner for t in candidate.targets) and \
                                isinstance(candidate.value, ast.Call):
                            constructor = candidate.value
        if constructor is None:
            return {}
        written = {}
        for parameter, argument in zip(parameters, constructor.args):
            written[parameter] = self.text(argument)
        for keyword in constructor.keywords:
            if keyword.arg:
                written[keyword.arg] = self.text(keyword.value)
        return written

    def _weight_rows(self, plan) -> list:
        """``(layer name, Weight)`` of each Keras weight the TF1 run's values go to."""
        return [(node.name, weight) for node in plan.layers for weight in node.weights]

    # -- runs: what sess.run becomes ---------------------------------------------------------

    def _run_calls(self, statement) -> list:
        calls = []
        for node in ast.walk(statement):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
                    node.func.attr == "run" and not _is_call_to(node, self.tf_aliases, ("run",)):
                calls.append(node)
        return sorted(calls, key=lambda c: (c.lineno, c.col_offset))

    def _records_of(self, statement, call, calls) -> list:
        records = self.runs_by_statement.get(statement, [])
        if len(calls) == 1:
            return records
        return [r for r in records if call.lineno <= r.stack[-1][1] <= call.end_lineno]

    def _is_init(self, record) -> bool:
        from tfcourse.compat.session import INIT_OPS  # noqa: PLC0415

        init_ops = list(self.graph.graph.get_collection(INIT_OPS))
        return bool(record.leaves) and all(
            any(leaf is op for op in init_ops) for leaf in record.leaves)

    def _run_statement(self, statement, indent: str, out: list) -> None:
        calls = self._run_calls(statement)
        if not calls:
            self._keep(statement, indent, out)
            return
        recorded = [r for c in calls for r in self._records_of(statement, c, calls)]
        if recorded and all(self._is_init(r) for r in recorded):
            return
        replacements = []
        extra_before: list[str] = []
        for call in calls:
            records = self._records_of(statement, call, calls) or self._static_record(call)
            record = records[0]
            if any(r.is_training_step for r in records):
                code, before = self._train_step_code(statement, call, record)
                if code is None:
                    out.extend((indent + line, statement.lineno) for line in before)
                    return
            else:
                split = self._split_assignment(statement, call, record)
                if split is not None:
                    out.extend((indent + line, statement.lineno) for line in split)
                    return
                code, before = self._fetch_code(call, record, statement), []
            extra_before += before
            replacements.append((call, code))
        text = self._statement_text_with(statement, replacements)
        for line in extra_before:
            out.append((indent + line, statement.lineno))
        for offset, line in enumerate(text.splitlines()):
            out.append(((indent + line) if offset == 0 else (indent + line), statement.lineno))

    def _static_record(self, call) -> list:
        """A run the program never made (a method it defines but does not call), read from its
        text: each fetched and fed name must be one the port already gave a meaning to."""
        from tfcourse.port.capture import RunRecord  # noqa: PLC0415

        by_text = {}
        for op, name in self._names_by_op().items():
            for tensor in op.outputs[:1]:
                by_text.setdefault(name, tensor)
        fetch = call.args[0] if call.args else None
        elements = fetch.elts if isinstance(fetch, (ast.List, ast.Tuple)) else [fetch]
        leaves = [by_text.get(self.text(e)) if e is not None else None for e in elements]
        feed = next((k.value for k in call.keywords if k.arg == "feed_dict"),
                    call.args[1] if len(call.args) > 1 else None)
        feeds = {}
        if isinstance(feed, ast.Dict):
            for key in feed.keys:
                tensor = by_text.get(self.text(key)) if key is not None else None
                if tensor is None:
                    leaves.append(None)
                    break
                feeds[tensor] = None
        if feed is not None and not isinstance(feed, ast.Dict) or any(
                leaf is None for leaf in leaves):
            raise PortError(f"{self.where(call)}: this sess.run never ran and its fetches or "
                            "feeds are not names tfcourse port knows, so it cannot tell what it "
                            "computes")
        return [RunRecord(index=-1, location=(self.path, call.lineno), stack=(), fetches=None,
                          leaves=leaves, feeds=feeds, train_ops=[], step=None)]

    def _names_by_op(self) -> dict:
        if not hasattr(self, "_names"):
            from tfcourse.port.lowering import assignment_names  # noqa: PLC0415

            self._names = assignment_names(self.capture, self.graph)
        return self._names

    def _statement_text_with(self, statement, replacements) -> str:
        """The statement's source with each (call node, code) replaced, dedented."""
        lines = self.lines[statement.lineno - 1:statement.end_lineno]
        base = statement.col_offset
        offsets = [0]
        for line in lines:
            offsets.append(offsets[-1] + len(line) + 1)
        text = "\n".join(lines)

        def position(line, col):
            return offsets[line - statement.lineno] + col

        for call, code in sorted(replacements, key=lambda item: (item[0].lineno,
                                                                   item[0].col_offset),
                                 reverse=True):
            start = position(call.lineno, call.col_offset)
            end = position(call.end_lineno, call.end_col_offset)
            text = text[:start] + code + text[end:]
        return textwrap.dedent(" " * base + text[base:]) if base else text

    def _feeds(self, call, record) -> dict:
        """placeholder tensor -> (source text of the fed value, the value fed)."""
        feed = None
        for keyword in call.keywords:
            if keyword.arg == "feed_dict":
                feed = keyword.value
        if feed is None and len(call.args) > 1:
            feed = call.args[1]
        if feed is None or (isinstance(feed, ast.Constant) and feed.value is None):
            return {}
        if isinstance(feed, ast.Name):
            feed = self._dict_assigned_before(feed.id, call)
        if not isinstance(feed, ast.Dict):
            raise PortError(f"{self.where(call)}: tfcourse port reads feed_dict written as a dict "
                            "literal ({X: ..., Y: ...}) or a name assigned one")
        keys = list(record.feeds)
        if len(keys) != len(feed.keys):
            raise PortError(f"{self.where(call)}: the feed_dict fed {len(keys)} placeholders and "
                            f"its text names {len(feed.keys)}")
        return {tensor: (self.text(value), record.feeds[tensor])
                for tensor, value in zip(keys, feed.values)}

    def _dict_assigned_before(self, name: str, call):
        best = None
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Dict) and any(
                    isinstance(t, ast.Name) and t.id == name for t in node.targets) and \
                    node.lineno <= call.lineno:
                if best is None or node.lineno > best.lineno:
                    best = node
        if best is None:
            raise PortError(f"{self.where(call)}: no dict literal assigned to `{name}` before "
                            "this sess.run")
        return best.value

    def _data_text(self, tensor, feed, cast: bool = False) -> str:
        """The fed value's source, as an array of the placeholder's dtype where Keras needs it.

        Keras converts what ``fit``/``predict`` get; a list (``x_data``) becomes an
        array first (a list would read as several inputs), and with ``cast`` (a
        plain function gets it) an array of another dtype is converted as TF1's
        feed converted it.
        """
        text, value = feed
        dtype = tensor.dtype.base_dtype.name
        if isinstance(value, (list, tuple)) or np.isscalar(value):
            self.imports.add("import numpy as np")
            return f"np.array({text}, dtype={emit.literal(dtype)})"
        if cast and getattr(value, "dtype", None) is not None and value.dtype.name != dtype:
            self.imports.add("import numpy as np")
            return f"np.asarray({text}, dtype={emit.literal(dtype)})"
        return text

    def _plan_of(self, leaf):
        for plan in self.plans:
            schedule = plan.schedule
            if schedule is not None:
                if leaf is schedule.tensor:
                    return plan, ("learning_rate", None)
                step = schedule.global_step
                if leaf is step or (_is_tensor(leaf) and self.graph.variable_of(leaf) is step):
                    return plan, ("global_step", None)
            if plan.minimize is not None and leaf is plan.minimize.loss:
                return plan, ("loss", "loss")
            for tensor, name, _ in self.metric_names.get(id(plan), []):
                if leaf is tensor:
                    return plan, ("metric", name)
            if leaf is plan.output:
                return plan, ("output", None)
            for node in plan.layers:
                if node.output is leaf:
                    return plan, ("layer", node)
            variable = leaf if _is_variable(leaf) else (
                self.graph.variable_of(leaf) if _is_tensor(leaf) else None)
            for node in plan.layers:
                for weight in node.weights:
                    if variable is not None and weight.variable is variable:
                        return plan, ("weight", (node, weight))
        return None, None

    def _symbolic(self, plan, tensor, model: str, statement) -> str:
        """The Keras tensor standing for ``tensor`` where ``statement`` runs."""
        if tensor is plan.output:
            return f"{model}.output"
        node = plan.node_of(tensor)
        if node is not None and node.keras not in ("keras.ops",):
            return f"{model}.get_layer({emit.literal(node.name)}).output"
        name = self.expressions.get(tensor.ref())
        assignments = sum(1 for n in ast.walk(self.tree) if isinstance(n, ast.Assign)
                          for t in n.targets if self.text(t) == name)
        if name is None or assignments != 1:
            raise PortError(f"{self.where(statement)}: the value fetched here is computed with "
                            "keras.ops under a name the program assigns more than once")
        return name

    def _model_for(self, plan, statement) -> str:
        model = self._model_expression(plan, None)
        if model.startswith("self.") and not self._in_class(statement):
            raise PortError(f"{self.where(statement)}: this line uses a model built inside a "
                            "class from outside it; tfcourse port translates such lines only "
                            "inside the class's methods")
        return model

    def _xy(self, plan, feeds: dict, call, need_labels: bool,
            cast_labels: bool = False) -> tuple[str, str | None]:
        xs = []
        for tensor in plan.inputs:
            if tensor.op.type == "Const":
                self.imports.add("import numpy as np")
                xs.append(f"np.array({self._data_name(tensor)}, dtype="
                          f"{emit.literal(tensor.dtype.base_dtype.name)})")
                continue
            if tensor not in feeds:
                raise PortError(f"{self.where(call)}: this sess.run does not feed the model's "
                                f"input {tensor.op.name}")
            xs.append(self._data_text(tensor, feeds[tensor]))
        x = xs[0] if len(xs) == 1 else "[" + ", ".join(xs) + "]"
        y = None
        if need_labels:
            ys = []
            for tensor in plan.labels:
                if tensor.op.type == "Const":
                    ys.append(f"np.array({self._data_name(tensor)}, dtype="
                              f"{emit.literal(tensor.dtype.base_dtype.name)})")
                elif tensor in feeds:
                    ys.append(self._data_text(tensor, feeds[tensor], cast=cast_labels))
                else:
                    raise PortError(f"{self.where(call)}: this sess.run does not feed the "
                                    f"labels {tensor.op.name}")
            y = ys[0] if len(ys) == 1 else "[" + ", ".join(ys) + "]"
        return x, y

    def _leaf_code(self, leaf, element, feeds, call, statement) -> tuple[str, str, Any]:
        """(kind, code, plan) of one fetched value (kind groups predict/evaluate calls)."""
        plan, (role, detail) = self._plan_of(leaf) if self._plan_of(leaf)[0] else (None, (None, None))
        if plan is not None:
            model = self._model_for(plan, statement)
            if role == "learning_rate":
                return ("state", f"keras.ops.convert_to_numpy({model}.optimizer.learning_rate)",
                        plan)
            if role == "global_step":
                return ("state", f"keras.ops.convert_to_numpy({model}.optimizer.iterations)", plan)
            if role in ("loss", "metric"):
                x, y = self._xy(plan, feeds, call, True)
                return ("evaluate", f"{model}.test_on_batch({x}, {y}, return_dict=True)"
                        f"[{emit.literal(detail if role == 'metric' else 'loss')}]", plan)
            if role == "output":
                x, _ = self._xy(plan, feeds, call, False)
                return ("predict", f"{model}.predict_on_batch({x})", plan)
            if role == "layer":
                x, _ = self._xy(plan, feeds, call, False)
                return ("predict", f"keras.Model({model}.inputs, "
                        f"{self._symbolic(plan, leaf, model, statement)}).predict_on_batch({x})",
                        plan)
            if role == "weight":
                node, weight = detail
                code = f"{model}.get_layer({emit.literal(node.name)}).{weight.name}.numpy()"
                original = tuple(int(d) for d in weight.variable.shape)
                if original != tuple(weight.shape):
                    code += f".reshape({original!r})"
                return ("weight", code, plan)
        if is_tensor(leaf) and leaf.op in self.summary_functions:
            plan = next(p for p in self.plans if p.minimize is not None) if any(
                p.minimize is not None for p in self.plans) else self.plans[0]
            x, y = self._xy(plan, feeds, call, True)
            return ("summary", f"{self.summary_functions[leaf.op]}({x}, {y})", plan)
        if leaf.ref() in getattr(self, "heads", {}):
            name, y_true, y_pred = self.heads[leaf.ref()]
            plan = next(p for p in self.plans if any(y_true is t for t in p.labels))
            model = self._model_for(plan, statement)
            x, y = self._xy(plan, feeds, call, True, cast_labels=True)
            if y_pred is plan.output:
                prediction = f"{model}.predict_on_batch({x})"
            else:
                node = plan.node_of(y_pred)
                prediction = (f"keras.Model({model}.inputs, {model}.get_layer("
                              f"{emit.literal(node.name)}).output).predict_on_batch({x})")
            return ("head", f"keras.ops.convert_to_numpy({name}({y}, {prediction}))", plan)
        fed = self._fed_computation(leaf, feeds)
        if fed is not None:
            return ("expression", fed, None)
        # computed from constants only, or on the fly from the model's output
        return ("expression", self._translate_expression(element, leaf, feeds, call,
                                                         statement), None)

    def _fed_computation(self, leaf, feeds) -> str | None:
        """``rmse`` computed from fed placeholders only (no variable): its keras.ops code on the
        fed values, each as an array of its placeholder's dtype (as TF1 converted it)."""
        if not is_tensor(leaf):
            return None
        fed = {tensor.op: (tensor, text) for tensor, (text, _) in feeds.items()}
        ops = self.graph.data_ancestors([leaf], stop=set(fed))
        if any(op.type == "Placeholder" and op not in fed or op.type in (
                "VarHandleOp", "VariableV2", "ReadVariableOp") for op in ops):
            return None
        names = {}
        for op in ops & set(fed):
            tensor, text = fed[op]
            names[tensor.ref()] = self._data_text(tensor, feeds[tensor], cast=True)
        code = emit.keras_ops_code(ops - set(fed), names, self.graph, leaf)
        return None if code is None else f"keras.ops.convert_to_numpy({code})"

    def _fetch_code(self, call, record, statement) -> str:
        fetch = call.args[0] if call.args else next(
            (k.value for k in call.keywords if k.arg == "fetches"), None)
        feeds = self._feeds(call, record)
        if isinstance(fetch, (ast.List, ast.Tuple)) and len(fetch.elts) == len(record.leaves):
            codes = [self._leaf_code(leaf, element, feeds, call, statement)[1]
                     for leaf, element in zip(record.leaves, fetch.elts)]
            inner = ", ".join(codes)
            return f"[{inner}]" if isinstance(fetch, ast.List) else f"({inner})"
        if len(record.leaves) != 1:
            raise PortError(f"{self.where(call)}: tfcourse port reads fetches written as one "
                            "tensor or a list of them")
        return self._leaf_code(record.leaves[0], fetch, feeds, call, statement)[1]

    def _split_assignment(self, statement, call, record) -> list[str] | None:
        """``h, c, a = sess.run([hypothesis, predicted, accuracy], ...)`` as one line per call kind."""
        if not (isinstance(statement, ast.Assign) and statement.value is call and len(
                statement.targets) == 1 and isinstance(statement.targets[0], (ast.Tuple, ast.List))):
            return None
        fetch = call.args[0] if call.args else None
        targets = statement.targets[0].elts
        if not isinstance(fetch, (ast.List, ast.Tuple)) or len(fetch.elts) != len(targets) or \
                len(record.leaves) != len(targets):
            return None
        feeds = self._feeds(call, record)
        items = [self._leaf_code(leaf, element, feeds, call, statement)
                 for leaf, element in zip(record.leaves, fetch.elts)]
        lines = []
        predicts = [(target, item) for target, item in zip(targets, items) if item[0] == "predict"]
        if len(predicts) > 1 and len({id(item[2]) for _, item in predicts}) == 1:
            plan = predicts[0][1][2]
            model = self._model_for(plan, statement)
            x = self._xy(plan, feeds, call, False)[0]
            outputs = []
            for leaf, target in zip(record.leaves, targets):
                role = self._plan_of(leaf)[1]
                if role and role[0] in ("output", "layer"):
                    outputs.append(self._symbolic(plan, leaf, model, statement))
            names = ", ".join(self.text(t) for t, _ in predicts)
            lines.append(f"{names} = keras.Model({model}.inputs, [{', '.join(outputs)}])"
                         f".predict_on_batch({x})")
            done = {id(t) for t, _ in predicts}
        else:
            done = set()
        evaluations = [(target, item) for target, item in zip(targets, items)
                       if item[0] == "evaluate" and id(target) not in done]
        calls = {item[1][:item[1].rindex("[")] for _, item in evaluations}
        if len(evaluations) > 1 and len(calls) == 1:  # one test_on_batch for all its values
            name = emit.python_name("evaluation", self.taken)
            lines.append(f"{name} = {calls.pop()}")
            names = ", ".join(self.text(t) for t, _ in evaluations)
            values = ", ".join(f"{name}{item[1][item[1].rindex('['):]}" for _, item in evaluations)
            lines.append(f"{names} = {values}")
            done |= {id(t) for t, _ in evaluations}
        for target, item in zip(targets, items):
            if id(target) in done:
                continue
            lines.append(f"{self.text(target)} = {item[1]}")
        return lines

    # -- expressions computed from constants or from the model's output ------------------------

    KERAS_OPS = {"argmax": "argmax", "argmin": "argmin", "reduce_mean": "mean", "reduce_sum": "sum",
                 "reduce_max": "max", "reduce_min": "min", "equal": "equal", "cast": "cast",
                 "sigmoid": "sigmoid", "exp": "exp", "log": "log", "sqrt": "sqrt",
                 "square": "square", "abs": "abs", "matmul": "matmul", "reshape": "reshape",
                 "transpose": "transpose", "maximum": "maximum", "minimum": "minimum",
                 "round": "round", "greater": "greater", "less": "less", "constant":
                 "convert_to_tensor", "one_hot": "one_hot", "squeeze": "squeeze",
                 "expand_dims": "expand_dims", "softmax": "softmax", "relu": "relu",
                 "tanh": "tanh", "floor": "floor", "sign": "sign", "negative": "negative",
                 "add": "add", "multiply": "multiply", "subtract": "subtract", "divide": "divide"}
    """``tf.<name>`` -> ``keras.ops.<name>`` with the same arguments and numerics."""

    def _translate_expression(self, element, leaf, feeds, call, statement) -> str:
        if element is None:
            raise PortError(f"{self.where(call)}: cannot read this fetch")
        rewriter = self

        class Translate(ast.NodeTransformer):
            def visit_Call(self, node):
                self.generic_visit(node)
                function = node.func
                parts = []
                while isinstance(function, ast.Attribute):
                    parts.append(function.attr)
                    function = function.value
                if isinstance(function, ast.Name) and function.id in rewriter.tf_aliases:
                    name = parts[0]
                    if name not in rewriter.KERAS_OPS:
                        raise PortError(f"{rewriter.where(node)}: tf.{'.'.join(reversed(parts))} "
                                        "has no keras.ops counterpart tfcourse port knows")
                    node.func = ast.parse(f"keras.ops.{rewriter.KERAS_OPS[name]}").body[0].value
                    for keyword in node.keywords:
                        if keyword.arg in ("keep_dims", "keepdims"):
                            keyword.arg = "keepdims"
                        if keyword.arg == "dimension":
                            keyword.arg = "axis"
                return node

            def visit_Attribute(self, node):
                self.generic_visit(node)
                if isinstance(node.value, ast.Name) and node.value.id in rewriter.tf_aliases and \
                        node.attr in ("float32", "float64", "int32", "int64", "bool", "uint8"):
                    return ast.Constant(node.attr)
                return node

            def visit_Name(self, node):
                for plan in rewriter.plans:
                    for tensor in [plan.output, *[n.output for n in plan.layers]]:
                        if rewriter.expressions.get(tensor.ref()) == node.id:
                            role = rewriter._plan_of(tensor)
                            code = rewriter._leaf_code(tensor, node, feeds, call, statement)[1]
                            return ast.parse(code).body[0].value
                if node.id in rewriter.session_names:
                    raise PortError(f"{rewriter.where(node)}: cannot translate a use of the "
                                    "session here")
                if node.id in rewriter.dropped_names and node.id not in rewriter.constants:
                    raise PortError(f"{rewriter.where(element)}: `{node.id}` here is a TF1 "
                                    "graph value tfcourse port has no Keras counterpart for")
                return node

        translated = Translate().visit(ast.parse(self.text(element), mode="eval"))
        return f"keras.ops.convert_to_numpy({ast.unparse(translated.body)})"

    def _constant_statement(self, statement, indent: str, out: list) -> bool:
        """``acc = tf.reduce_mean(tf.cast(tf.equal(...), tf.float32))`` on NumPy values only: the
        same line with keras.ops, computed at once (no placeholder or variable in it)."""
        if not isinstance(statement, ast.Assign) or self._target(statement) is None:
            return False
        ops = [op for op in self.graph.graph.get_operations()
               if (self.graph.line(op) or 0) in range(statement.lineno, statement.end_lineno + 1)]
        if not ops:
            return False
        placeholders = {t.op for t in self.graph.placeholders()}
        for op in ops:
            ancestors = self.graph.data_ancestors([t for t in op.outputs] or [])
            if ancestors & placeholders or any(a.type in ("VarHandleOp", "VariableV2",
                                                          "ReadVariableOp") for a in ancestors):
                return False
        try:
            code = self._translate_expression(statement.value, None, {}, statement.value,
                                              statement)
        except PortError:
            return False
        code = code[len("keras.ops.convert_to_numpy("):-1]
        target = self._target(statement)
        self.constants.add(target)
        out.append((f"{indent}{target} = {code}", statement.lineno))
        return True

    # -- training steps and loops ----------------------------------------------------------

    def _train_plan(self, record):
        for plan in self.plans:
            if plan.minimize is not None and plan.minimize.train_op in record.train_ops:
                return plan
        raise PortError(f"{record.location[0]}:{record.location[1]}: this training step trains "
                        "nothing tfcourse port found a model for")

    def _train_fetches(self, call, record, plan):
        """[(fetch element, leaf, key)]: key is "loss", a metric's name, None (the train op), or
        ("before", code) for a value read before the step (the output, a weight)."""
        fetch = call.args[0] if call.args else next(
            (k.value for k in call.keywords if k.arg == "fetches"), None)
        elements = fetch.elts if isinstance(fetch, (ast.List, ast.Tuple)) else [fetch]
        if len(elements) != len(record.leaves):
            raise PortError(f"{self.where(call)}: tfcourse port reads fetches written as one "
                            "tensor or a list of them")
        metrics = {id(t): name for t, name, _ in self.metric_names.get(id(plan), [])}
        feeds = self._feeds(call, record)
        statement = self.statement_at[call.lineno]
        result = []
        for element, leaf in zip(elements, record.leaves):
            if any(leaf is op for op in record.train_ops):
                result.append((element, leaf, None))
            elif leaf is plan.minimize.loss:
                result.append((element, leaf, "loss"))
            elif id(leaf) in metrics:
                result.append((element, leaf, metrics[id(leaf)]))
            elif is_tensor(leaf) and leaf.op in self.summary_functions:
                code = self._leaf_code(leaf, element, feeds, call, statement)[1]
                result.append((element, leaf, ("before", code)))
            else:
                owner, role = self._plan_of(leaf)
                if owner is not plan or role is None or role[0] not in (
                        "output", "layer", "weight", "learning_rate", "global_step"):
                    raise PortError(f"{self.where(call)}: a training step that also fetches "
                                    f"`{self.text(element)}` does not port (fetch it in a run of "
                                    "its own)")
                code = self._leaf_code(leaf, element, feeds, call, statement)[1]
                result.append((element, leaf, ("before", code)))
        return fetch, result

    def _train_step_code(self, statement, call, record):
        """``model.train_on_batch(x, y)`` for one training ``sess.run`` (the general case).

        Returns ``(code, [])`` to replace the call inside the statement, or
        ``(None, lines)`` to replace the whole statement. A value fetched with the
        step (the model's output, a weight) is read just before it: TF1 computed
        it in the same run, from the weights before the update.
        """
        plan = self._train_plan(record)
        model = self._model_for(plan, statement)
        feeds = self._feeds(call, record)
        x, y = self._xy(plan, feeds, call, True)
        fetch, items = self._train_fetches(call, record, plan)
        has_metrics = bool(self.metric_names.get(id(plan)))
        step = f"{model}.train_on_batch({x}, {y}{', return_dict=True' if has_metrics else ''})"
        before = [(element, key[1]) for element, _, key in items if isinstance(key, tuple)]
        if isinstance(statement, ast.Expr) and statement.value is call and not before:
            return step, []
        if isinstance(statement, ast.Assign) and statement.value is call and len(
                statement.targets) == 1:
            target = statement.targets[0]
            if isinstance(target, (ast.Tuple, ast.List)) and isinstance(fetch, (ast.List,
                                                                               ast.Tuple)):
                lines = [f"{self.text(t)} = {key[1]}" for t, (_, _, key) in zip(target.elts, items)
                         if isinstance(key, tuple) and self.text(t) != "_"]
                pairs = [(t, key) for t, (_, _, key) in zip(target.elts, items)
                         if isinstance(key, str) and self.text(t) != "_"]
                if not pairs:
                    return None, lines + [step]
                if not has_metrics and len(pairs) == 1:
                    return None, lines + [f"{self.text(pairs[0][0])} = {step}"]
                logs = emit.python_name("logs", self.taken)
                return None, lines + [f"{logs} = {step}"] + [
                    f"{self.text(t)} = {logs}[{emit.literal(key)}]" for t, key in pairs]
            wanted = [key for _, _, key in items if key is not None]
            if len(wanted) == 1 and wanted[0] == "loss" and not has_metrics and \
                    not isinstance(fetch, (ast.List, ast.Tuple)):
                return step, []
        if not before and isinstance(fetch, (ast.List, ast.Tuple)):
            # `return self.sess.run([self.cost, self.optimizer], ...)`: the same list, the
            # train op's place None as TF1 returned it
            logs = f"{model}.train_on_batch({x}, {y}, return_dict=True)"
            if len([k for _, _, k in items if k is not None]) == 1 and not has_metrics:
                values = [step if key == "loss" else "None" for _, _, key in items]
            else:
                values = [f"{logs}[{emit.literal(key)}]" if key else "None"
                          for _, _, key in items]
                if sum(1 for _, _, key in items if key) > 1:
                    raise PortError(f"{self.where(statement)}: a training step fetching several "
                                    "values inside an expression does not port; assign them")
            inner = ", ".join(values)
            return (f"[{inner}]" if isinstance(fetch, ast.List) else f"({inner})"), []
        raise PortError(f"{self.where(statement)}: tfcourse port translates a training step "
                        "written as `sess.run(train, ...)` or `c, _ = sess.run([cost, train], ...)`")

    def _direct_runs(self, loop) -> tuple[list, list]:
        """Statements of ``loop``'s body (directly) with training runs, and with any runs deeper."""
        training, nested = [], []
        for child in loop.body:
            for node in ast.walk(child):
                if node in self.runs_by_statement:
                    records = self.runs_by_statement[node]
                    if node is child and any(r.is_training_step for r in records):
                        training.append(child)
                    elif node is not child:
                        nested.append(node)
                    elif node is child:
                        nested.append(node)
        return training, [n for n in nested if n not in training]

    def _training_loop(self, loop, indent: str, out: list) -> bool:
        training, others = self._direct_runs(loop)
        if len(training) != 1 or others:
            return False
        statement = training[0]
        calls = self._run_calls(statement)
        if len(calls) != 1:
            return False
        call = calls[0]
        records = self._records_of(statement, call, calls)
        plan = self._train_plan(records[0])
        if any(isinstance(n, (ast.Break, ast.Continue, ast.Return, ast.Yield)) for child in
               loop.body for n in ast.walk(child)):
            return False
        batch_statements = [child for child in loop.body if child in self.batch_sites_by_statement]
        if batch_statements:
            return self._epoch_of_batches(loop, statement, call, records, plan,
                                          batch_statements, indent, out)
        # A loop of steps on whole arrays stays the program's loop, one train_on_batch per step:
        # model.fit(epochs=N) runs the same updates, but Keras' cost per epoch (tens of
        # milliseconds) would make a 10001-step lab take minutes.
        return False

    def _loss_names(self, statement, call, record, plan) -> dict | None:
        """Names the training statement binds: {name: "loss" or metric}; None if not simple."""
        fetch, items = self._train_fetches(call, record, plan)
        if isinstance(statement, ast.Expr):
            return {}
        if not (isinstance(statement, ast.Assign) and statement.value is call and len(
                statement.targets) == 1):
            return None
        target = statement.targets[0]
        if any(isinstance(key, tuple) for _, _, key in items):
            return None  # a value read before each step: the loop stays a loop
        if isinstance(target, (ast.Tuple, ast.List)) and isinstance(fetch, (ast.List, ast.Tuple)):
            return {self.text(t): key for t, (_, _, key) in zip(target.elts, items)
                    if key is not None and self.text(t) != "_"}
        if isinstance(target, ast.Name) and len(items) == 1 and items[0][2] is not None:
            return {target.id: items[0][2]}
        return None

    def _epoch_of_batches(self, loop, statement, call, records, plan, batch_statements,
                          indent, out) -> bool:
        """``for i in range(total_batch): x, y = D.next_batch(B); sess.run(...)`` -> one fit epoch."""
        if len(batch_statements) != 1:
            return False
        batch = batch_statements[0]
        if not (isinstance(batch, ast.Assign) and isinstance(batch.value, ast.Call) and
                isinstance(batch.value.func, ast.Attribute) and batch.value.func.attr ==
                "next_batch" and len(batch.targets) == 1 and isinstance(batch.targets[0], ast.Tuple)
                and len(batch.targets[0].elts) == 2):
            return False
        images_name, labels_name = (self.text(t) for t in batch.targets[0].elts)
        split = self.text(batch.value.func.value)
        batch_size = self.text(batch.value.args[0]) if batch.value.args else None
        if batch_size is None:
            return False
        feeds = self._feeds(call, records[0])
        for tensor in plan.inputs:
            if tensor not in feeds or feeds[tensor][0] != images_name:
                return False
        for tensor in plan.labels:
            if tensor not in feeds or feeds[tensor][0] != labels_name:
                return False
        names = self._loss_names(statement, call, records[0], plan)
        if names is None:
            return False
        accumulations = []
        for child in loop.body:
            if child in (statement, batch):
                continue
            if isinstance(child, ast.Assign) and isinstance(child.value, ast.Dict):
                continue
            if isinstance(child, ast.AugAssign) and isinstance(child.op, ast.Add):
                used = {n.id for n in ast.walk(child.value) if isinstance(n, ast.Name)}
                fetched = used & set(names)
                if len(fetched) == 1:
                    accumulations.append((child, fetched.pop()))
                    continue
            return False
        try:
            split_object = eval(compile(split, "<port>", "eval"),  # noqa: S307 (attribute lookups)
                                dict(self.capture.namespace))
            iterations = len(eval(compile(self.text(loop.iter), "<port>", "eval"),  # noqa: S307
                                  dict(self.capture.namespace)))
        except Exception:  # noqa: BLE001  (an expression we cannot evaluate: no fit translation)
            return False
        examples = int(split_object.num_examples)
        size = records[0].feeds[plan.inputs[0]].shape[0]
        if iterations != -(-examples // size):
            self.notes.append(f"{self.where(loop)}: the loop takes {iterations} mini-batches of "
                              f"{size} from {examples} examples, which is not one epoch of "
                              "model.fit; it stays a loop of train_on_batch steps")
            return False
        model = self._model_for(plan, loop)
        history = emit.python_name("history", self.taken)
        self.notes.append(f"{self.where(loop)}: the loop over next_batch mini-batches became "
                          "model.fit for one epoch (Keras shuffles each epoch, as next_batch did)")
        out.append((f"{indent}{history} = {model}.fit({split}.images, {split}.labels, "
                    f"batch_size={batch_size}, epochs=1, verbose=0)", loop.lineno))
        for child, name in accumulations:
            key = names[name]
            divisor = child.value
            target = self.text(child.target)
            if isinstance(divisor, ast.BinOp) and isinstance(divisor.op, ast.Div):
                out.append((f"{indent}{target} += {history}.history[{emit.literal(key)}][0]"
                            f"  # the epoch's mean, as `{self.text(child).strip()}`",
                            child.lineno))
            else:
                out.append((f"{indent}{target} += {history}.history[{emit.literal(key)}][0] * "
                            f"{iterations}", child.lineno))
        return True


def input_shape(tensor, fed=None, where: str = "") -> tuple:
    """The ``keras.Input`` shape of a placeholder (or data constant): its shape without the batch
    axis; one number per example gets a feature axis (1,); an unknown shape, the fed value's."""
    if tensor.shape.rank is None:
        if fed is None:
            raise PortError(f"{where}: the shape of placeholder {tensor.op.name} is unknown and it "
                            "was never fed")
        return tuple(np.shape(fed)[1:])
    if tensor.shape.rank == 1:
        return (1,)
    return tuple(tensor.shape.as_list()[1:])


def fed_value(capture, tensor):
    """What the program first fed to ``tensor`` (None if never)."""
    for record in capture.runs:
        if tensor in record.feeds:
            return record.feeds[tensor]
    return None


def _is_variable(value) -> bool:
    import tensorflow as tf  # noqa: PLC0415

    return isinstance(value, tf.Variable)


def _is_tensor(value) -> bool:
    import tensorflow as tf  # noqa: PLC0415

    return isinstance(value, tf.Tensor)


def _collapse_blank_lines(lines: list, pairs: bool = False) -> list:
    result = []
    blank = 0
    for item in lines:
        text = item[0] if pairs else item
        if not text.strip():
            blank += 1
            if blank > 2 or not result:
                continue
        else:
            blank = 0
        result.append(item)
    return result
