"""Data checks: paths, schema, quality, versioning, leakage."""

from __future__ import annotations

import ast
import re

from prodkit.notebook.analysis import dotted_name
from prodkit.readiness.checks._state import contracts, models, monitoring
from prodkit.readiness.context import CheckContext
from prodkit.readiness.registry import Outcome, listed, register_check

_HOME_PATH = re.compile(r"^(?:~[/\\]|/home/|/Users/|/root/|[A-Za-z]:[\\/]+Users[\\/])")
_MOUNT_PATH = re.compile(r"^(?:/(?:mnt|media|Volumes|data|datasets|srv|opt|var|tmp|dbfs|Workspace|workspace|content|"
                         r"gdrive|kaggle|scratch|net|nfs|lustre|shared)/|[A-Za-z]:[\\/])")
_FILE_PATH = re.compile(r"^/(?:[\w.\-]+/)+[\w.\-]+\.\w{1,8}$")

READERS = re.compile(r"(?:^|\.)(?:read_csv|read_parquet|read_excel|read_json|read_feather|read_table|read_pickle|"
                     r"read_sql|read_sql_query|read_sql_table|read_hdf|read_orc|load_dataset|loadtxt|genfromtxt|"
                     r"read_fwf|scan_csv|scan_parquet)$")
# preprocessing that learns from the data it is fitted on (unsupervised decompositions, clusterings
# and stateless transforms are not leakage)
_PREPROCESSOR_MODULES = ("sklearn.preprocessing.", "sklearn.feature_selection.", "sklearn.impute.",
                         "sklearn.feature_extraction.")
_STATELESS = {"PolynomialFeatures", "FunctionTransformer", "Normalizer", "Binarizer", "HashingVectorizer",
              "FeatureHasher", "add_dummy_feature", "normalize", "binarize", "SplineTransformer"}
_SPLIT_NAME = re.compile(r"(?i)(?:^|_)(?:train|val|valid|validation|test|holdout)(?:_|$)")
_SPLITTERS = ("sklearn.model_selection.train_test_split",)


def _is_absolute_path(value: str) -> str | None:
    if "\n" in value or len(value) > 400 or " " in value.strip():
        return None
    if _HOME_PATH.match(value):
        return "home"
    if _MOUNT_PATH.match(value) or _FILE_PATH.match(value):
        return "absolute"
    return None


@register_check("DATA-01", section="Data", reads_code=True, title="No absolute or home paths",
                fix="use paths relative to the project (Path('data') / 'x.csv') or a parameter in the params cell")
def no_absolute_paths(ctx: CheckContext) -> Outcome:
    found: dict[int, list[str]] = {}
    for f in ctx.facts:
        for value, _line in f.strings:
            if _is_absolute_path(value):
                found.setdefault(f.cell.number, []).append(value)
        if any(call.name in ("Path.home", "pathlib.Path.home") or call.name.endswith("expanduser")
               for call in f.calls):
            found.setdefault(f.cell.number, []).append("~ (home folder)")
    if not found:
        return Outcome.ok("no absolute or home paths in code")
    examples = listed(sorted({v for vs in found.values() for v in vs}), 3)
    return Outcome.problem(f"{sum(map(len, found.values()))} absolute/home path(s), e.g. {examples}", list(found))


def _static_validation(ctx: CheckContext) -> list[int]:
    """Cells that validate a schema in code (pandera, great_expectations, pydantic, prodkit.monitor)."""
    cells = []
    for f, call, resolved in ctx.calls():
        if resolved.startswith(("pandera.", "great_expectations.", "pydantic.", "prodkit.monitor.watch",
                                "prodkit.monitor.validate")) or call.name.endswith(("DataFrameSchema", "validate")):
            cells.append(f.cell.number)
    return cells


@register_check("DATA-02", reads_state=True, section="Data", title="Schema validated",
                fix="declare the scored batch with prodkit.monitor.watch(df, model=...) so each run is "
                    "validated against the data contract")
def schema_validated(ctx: CheckContext) -> Outcome:
    info = monitoring(ctx)
    found = contracts(info)
    missing = [m for m, path in info.contracts.items() if not path]
    if info.watched and missing:
        return Outcome.problem(f"watched without a data contract: {', '.join(missing)}", list(info.cells),
                               fix="store the training data as reference: prodkit.monitor.set_reference(NAME, df) "
                                   "or register_model(..., data=df)")
    if found:
        return Outcome.ok(f"data contract: {', '.join(found)}", list(info.cells))
    cells = _static_validation(ctx)
    if cells:
        return Outcome.ok("schema validated in code", cells)
    return Outcome.not_set_up("no data contract or schema validation for this notebook",
                              "`prodkit.monitor.watch(df, model=...)` in the notebook (or validate with pandera)")


@register_check("DATA-03", reads_state=True, section="Data", title="Data quality checked",
                fix="fix the data source or update the contract (prodkit validate DATA --contract FILE shows "
                    "each violation)")
def data_quality(ctx: CheckContext) -> Outcome:
    info = monitoring(ctx)
    last = info.last_validation
    if last is not None:
        bad = last.errors or (0 if last.ok else 1)
        when = f" ({last.time})" if last.time else ""
        if bad:
            return Outcome.problem(f"the last validated batch broke the data contract: {bad} violation(s){when}",
                                   list(info.cells))
        return Outcome.ok(f"the last validated batch met the data contract{when}", list(info.cells))
    if contracts(info):
        return Outcome.not_set_up("a data contract exists but no batch has been validated yet",
                                  "the notebook as a job (`prodkit jobs run NAME`)")
    return Outcome.not_set_up("no data quality verdict recorded",
                              "`prodkit.monitor.watch(df, model=...)` in the notebook, then run it as a job")


_OTHER_READERS = re.compile(r"^(?:torchvision\.datasets\.(?:ImageFolder|DatasetFolder)|numpy\.load|pickle\.load|"
                            r"gzip\.open|joblib\.load|PIL\.Image\.open|cv2\.imread|"
                            r"tensorflow\.keras\.utils\.image_dataset_from_directory|"
                            r"(?:tensorflow\.)?keras\.(?:preprocessing|utils)\.\w*from_directory)$")


def _reads(ctx: CheckContext) -> list[int]:
    """Cells that read data: pandas-style readers, open() for reading, image folders, pickles."""
    cells = set()
    for f, call, resolved in ctx.calls():
        if READERS.search(call.name) or _OTHER_READERS.match(resolved) or call.name.endswith(".flow_from_directory"):
            cells.add(f.cell.number)
        elif call.name in ("open", "io.open") and call.node.args and not _writes(call.node) and not call.deferred:
            cells.add(f.cell.number)
    return sorted(cells)


def _writes(node: ast.Call) -> bool:
    mode = node.args[1] if len(node.args) > 1 else next((k.value for k in node.keywords if k.arg == "mode"), None)
    return isinstance(mode, ast.Constant) and isinstance(mode.value, str) and any(m in mode.value for m in "wax+")


@register_check("DATA-04", section="Data", scope="project", reads_code=True, title="Data versioned", severity="warn",
                fix="pass the training data to prodkit.register_model(..., data=df) so its hash is recorded, "
                    "or version it with DVC")
def data_versioned(ctx: CheckContext) -> Outcome:
    reads = _reads(ctx)
    hashed = [r for r in models(ctx) if "data hash" not in r.missing]
    if hashed:  # the training data is versioned, whether the notebook read it from a file or made it
        return Outcome.ok(f"data hash recorded on {hashed[0].name} v{hashed[0].latest_version}", reads)
    if not reads:
        return Outcome.not_applicable("no data files read in this notebook")
    evidence = sorted({f.cell.number for f, call, resolved in ctx.calls()
                       if resolved.startswith(("hashlib.", "dvc.api.", "prodkit._io.sha256"))
                       or (call.name.endswith("register_model") and "data" in call.keywords)})
    if evidence or any(m.startswith(("dvc", "lakefs")) for m in ctx.imported_modules):
        return Outcome.ok("the data read is hashed or versioned in code", evidence)
    return Outcome.problem("the data read has no recorded version or hash", reads)


def _training_cells(ctx: CheckContext) -> list[int]:
    """Cells that fit a model: `.fit(`, `.backward()`, `optimizer.step()`, `trainer.train()` (once per context)."""
    cache = ctx.__dict__.setdefault("_training_cells", [])
    if not cache:
        cache.append(_find_training_cells(ctx))
    return cache[0]


def nothing_to_judge(ctx: CheckContext) -> str | None:
    """Why the notebook has nothing for the checklist to judge (it reads no data and trains no model),
    or None. A notebook with cells that do not parse is judged (CODE-08 fails)."""
    from prodkit.readiness.checks.data_io import _downloads

    if ctx.unparsed or _training_cells(ctx) or _reads(ctx) or _downloads(ctx):
        return None
    return "it reads no data and trains no model"


def _find_training_cells(ctx: CheckContext) -> list[int]:
    cells = set()
    for f, call, resolved in ctx.calls():
        last = call.name.rsplit(".", 1)[-1]
        if last in _TRAINING_CALLS or call.name.endswith(("optimizer.step", "opt.step", "optim.step", "trainer.train",
                                                         "Trainer.fit")) \
                or (last == "train" and (call.nargs or call.keywords)) or "create_supervised_trainer" in resolved:
            cells.add(f.cell.number)
    return sorted(cells)


_TRAINING_CALLS = {"fit", "backward", "partial_fit", "fit_generator", "train_on_batch", "fit_one_cycle", "fine_tune",
                   "fit_flat_cos"}


@register_check("DATA-05", section="Data", reads_code=True, title="No train/test leakage",
                fix="split first (train_test_split), then fit scalers/encoders on the training part only "
                    "(or use a sklearn Pipeline)")
def no_leakage(ctx: CheckContext) -> Outcome:
    training = _training_cells(ctx)
    splits = _splits(ctx)
    fits = [(f, call) for f, call, _ in ctx.calls()
            if call.name.rsplit(".", 1)[-1] in ("fit", "fit_transform") and call.node.args]
    assignments = _assignments(ctx) if fits else {}
    literals = _literal_names(ctx) if fits else set()
    outputs = _assigned_from(ctx) if fits else {}
    leaks: list[int] = []
    for f, call in fits:
        node = call.node
        pos = (f.cell.number, call.line)
        inline = isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Call) and \
            _is_preprocessor(ctx, node.func.value)
        if not inline and not _holds_preprocessor(assignments.get(call.name.rsplit(".", 1)[0], []), pos):
            continue
        first = node.args[0]
        if _is_toy_data(first, literals):
            continue
        fitted = {n.id for n in ast.walk(first) if isinstance(n, ast.Name)}
        made = outputs.get(id(node), set())
        for split_pos, inputs in splits:
            if split_pos > pos:  # fitted first, then its data (or what it made) is split into train and test
                shared = inputs & (fitted | made)
                if any(not _reassigned(assignments.get(n, []), pos, split_pos) for n in shared):
                    leaks.append(f.cell.number)
            elif split_pos < pos and isinstance(first, ast.Name) and first.id in inputs and \
                    not _reassigned(assignments.get(first.id, []), split_pos, pos):
                leaks.append(f.cell.number)  # split first, then fitted on the whole data anyway
    if leaks:
        return Outcome.problem("a scaler/encoder is fitted on data that includes the test set", leaks)
    if not training:
        return Outcome.not_applicable("no model training in this notebook")
    held_out = [f.cell.number for f in ctx.facts if any(_SPLIT_NAME.search(n) for n in f.assigned)]
    if not splits and not held_out:
        return Outcome.warn("models are trained without a held-out split", training,
                            fix="hold out a test set with train_test_split before training")
    first = min([s[0][0] for s in splits] + held_out)
    return Outcome.ok(f"held-out data from cell {first}; no preprocessing fitted on the test part")


def _splits(ctx: CheckContext) -> list[tuple[tuple[int, int], set[str]]]:
    """(position, names of the data split) of each train/test split: splitter calls, and assignments to
    names like X_train / test_df."""
    found = []
    for f, call, resolved in ctx.calls():
        if resolved in _SPLITTERS or resolved.endswith(("model_selection.KFold", "StratifiedKFold", "GroupKFold",
                                                        "TimeSeriesSplit", "ShuffleSplit")) or \
                call.name.endswith(".train_test_split"):
            names = {n.id for a in call.node.args for n in ast.walk(a) if isinstance(n, ast.Name)}
            found.append(((f.cell.number, call.line), names))
    for f in ctx.facts:
        for node in f.of(ast.Assign):
            if isinstance(node, ast.Assign) and _is_manual_split(node):
                names = {n.id for n in ast.walk(node.value) if isinstance(n, ast.Name)}
                found.append(((f.cell.number, node.lineno), names))
    return sorted(found, key=lambda s: s[0])


_SLICING_CALLS = {"sample", "drop", "query", "head", "tail", "split", "random_split", "take", "filter", "select",
                  "where", "isin", "copy"}
_MODEL_CALLS = {"transform", "fit_transform", "predict", "predict_proba", "evaluate", "score", "fit", "inverse_transform"}


def _is_manual_split(node: ast.Assign) -> bool:
    """`X_test = X[800:]`, `test_df = df.sample(frac=0.2)`: a train/test part cut out by hand (not
    `X_test = scaler.transform(X_test)` or `y_pred_test = model.predict(...)`)."""
    if not any(isinstance(t, ast.Name | ast.Tuple) and any(isinstance(n, ast.Name) and _SPLIT_NAME.search(n.id)
                                                          for n in ast.walk(t)) for t in node.targets):
        return False
    calls = [(dotted_name(c.func) or "").rsplit(".", 1)[-1] for c in ast.walk(node.value) if isinstance(c, ast.Call)]
    if any(c in _MODEL_CALLS for c in calls):
        return False
    return isinstance(node.value, ast.Subscript) or any(c in _SLICING_CALLS for c in calls) or \
        any(isinstance(n, ast.Subscript) and isinstance(n.slice, ast.Slice) for n in ast.walk(node.value))


def _assigned_from(ctx: CheckContext) -> dict[int, set[str]]:
    """id of a call -> the names the statement holding it assigns (`X_s = sc.fit_transform(X)` -> {"X_s"})."""
    found: dict[int, set[str]] = {}
    for f in ctx.facts:
        for node in f.of(ast.Assign):
            if isinstance(node, ast.Assign):
                targets = {n.id for t in node.targets for n in ast.walk(t) if isinstance(n, ast.Name)}
                for sub in ast.walk(node.value):
                    if isinstance(sub, ast.Call):
                        found[id(sub)] = targets
    return found


def _reassigned(assigned: list[tuple[tuple[int, int], bool]], start: tuple[int, int], end: tuple[int, int]) -> bool:
    """Whether the name gets a new value strictly after `start` and before `end`."""
    return any(start < at < end for at, _ in assigned)


def ctx_name(node) -> str:
    return dotted_name(node) or ""


def _is_preprocessor(ctx: CheckContext, call: ast.Call) -> bool:
    """`StandardScaler()`, `OneHotEncoder(...)`: a sklearn step that learns from what it is fitted on."""
    resolved = ctx.resolve(ctx_name(call.func))
    return resolved.startswith(_PREPROCESSOR_MODULES) and resolved.rsplit(".", 1)[-1] not in _STATELESS


def _assignments(ctx: CheckContext) -> dict[str, list[tuple[tuple[int, int], bool]]]:
    """Name -> [(position, whether the value assigned there is a preprocessor)], in notebook order."""
    found: dict[str, list[tuple[tuple[int, int], bool]]] = {}
    for f in ctx.facts:
        for node in f.of(ast.Assign):
            if isinstance(node, ast.Assign):
                prep = isinstance(node.value, ast.Call) and _is_preprocessor(ctx, node.value)
                for t in node.targets:
                    if isinstance(t, ast.Name):
                        found.setdefault(t.id, []).append(((f.cell.number, node.lineno), prep))
    for values in found.values():
        values.sort()
    return found


def _is_literal(node: ast.AST) -> bool:
    """A value written out in the code: `[...]`, `np.array([[1, 2], ...])`, `"text"`."""
    if isinstance(node, ast.Call):
        return bool(node.args) and all(_is_literal(a) for a in node.args)
    return all(isinstance(n, ast.Constant | ast.List | ast.Tuple | ast.Load | ast.UnaryOp | ast.USub | ast.Set
                          | ast.Dict) for n in ast.walk(node))


def _literal_names(ctx: CheckContext) -> set[str]:
    """Names assigned a literal value (toy data such as `docs = np.array(["The sun is shining", ...])`)."""
    names = set()
    for f in ctx.facts:
        for node in f.of(ast.Assign):
            if isinstance(node, ast.Assign) and _is_literal(node.value):
                names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
    return names


def _data_names(node: ast.AST) -> list[str]:
    """Names an expression reads as data (not the objects whose methods it calls)."""
    if isinstance(node, ast.Call):
        return [n for a in [*node.args, *(k.value for k in node.keywords)] for n in _data_names(a)]
    return [n.id for n in ast.walk(node) if isinstance(n, ast.Name)]


def _is_toy_data(node: ast.AST, literals: set[str]) -> bool:
    """The data fitted is a literal or built only from names holding literals."""
    names = _data_names(node)
    return _is_literal(node) or (bool(names) and all(n in literals for n in names if n not in ("np", "numpy")))


def _holds_preprocessor(assigned: list[tuple[tuple[int, int], bool]], pos: tuple[int, int]) -> bool:
    """Whether the name holds a preprocessor at `pos`: its latest assignment before it (`model = PCA()`
    then `model = LogisticRegression()` is a model again)."""
    before = [prep for at, prep in assigned if at <= pos]
    return before[-1] if before else any(prep for _, prep in assigned)
