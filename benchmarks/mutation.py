"""Mutation testing of the pure modules with mutmut (not run in CI).

Run: ``python benchmarks/mutation.py [--max-children N] [--workdir DIR]``

It needs mutmut in the environment (``pip install mutmut``, 3.x; it is in
no extra of the project). The pure modules (uncertainty, the metrics, the
measures, array validation and the threshold rules) are mutated one change
at a time, and the tests that cover them must fail for each change.

The package, the tests and a ``pyproject.toml`` holding mutmut's settings are
copied into a scratch directory (``--workdir``, by default under the system's
temporary directory), so the checkout is never touched. There the decorators
of the modules' functions are written as the assignments they are (``f =
d(f)`` after ``def f``), since mutmut does not mutate decorated functions,
and the public metrics all are. mutmut copies them
once more into its ``mutants/`` folder there, rewrites every function of the
modules below into all its mutants behind a trampoline, records which tests
reach which function, then forks one process per mutant and runs only those
tests, stopping at the first failure. A mutant is *killed* when a test fails,
*survived* when every test passes.

The tests are those of the modules' own subpackages, minus the few that
train a network (TensorFlow in a forked process is not fork-safe, and each
takes seconds): a run takes about 10 minutes on 2 cores. The script prints
the score per module, then every surviving mutant with its diff. The
explanation of those that remain (equivalent mutants) is in the last
section of the docstring below.

Surviving mutants, and why they are equivalent (last run: see the report
printed by this script). A mutant is equivalent when no input can tell it
from the original:

- ``_entropy``: ``+ 0.0`` turns a ``-0.0`` into ``0.0``; ``- 0.0`` or
  ``+ 1.0`` would be caught, but ``np.log(p, out=np.zeros_like(p), where=p >
  0)`` mutated to ``where=p >= 0`` computes ``log(0) = -inf`` times 0 = nan
  only for exact zeros, which the ``0 * log(0) = 0`` tests catch.
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

MODULES = [
    "sk_mcdropout/uncertainty.py",
    "sk_mcdropout/_measures.py",
    "sk_mcdropout/_validation.py",
    "sk_mcdropout/metrics/_selective.py",
    "sk_mcdropout/metrics/_calibration.py",
    "sk_mcdropout/metrics/_regression.py",
    "sk_mcdropout/reject/_threshold.py",
]
TESTS = [
    "tests/test_uncertainty.py",
    "tests/metrics",
    "tests/reject",
]
# Tests that train a network: TensorFlow is not fork-safe, and they take
# seconds each. Every module above is covered without them. Also one that
# counts stack frames, which mutmut's trampolines add, and one whose joblib
# workers are child processes, which mutmut's own wait for its mutants reaps.
SKIPPED = [
    "warnings_point_at_the_callers_line",
    "n_jobs_fits_the_folds_in_parallel",
    "mc_measures_on_frozen_classifier",
    "uncertainty_functions_agree_with_classifier",
    "mc_measure_through_pipeline_with_cross_fitting",
    "mc_dropout_regressor",
    "grid_search_over_p",
    "overlay_measures_on_one_axes",
    "guaranteed_risk_holds",
    "novelty_guard_catches_shifted_rows",
]

PYPROJECT = """\
[tool.pytest.ini_options]
addopts = "-p no:cacheprovider --import-mode=importlib"
filterwarnings = [
    "ignore::DeprecationWarning",
]

[tool.mutmut]
source_paths = ["sk_mcdropout"]
only_mutate = {only_mutate}
pytest_add_cli_args_test_selection = {selection}
pytest_add_cli_args = ["-p", "no:cacheprovider"]
use_git_change_detection = false
"""


def _toml_list(values):
    return "[" + ", ".join(f'"{v}"' for v in values) + "]"


def undecorate(path):
    """Write ``@d`` above a module-level ``def f`` as ``f = d(f)`` below it.

    The language defines the two as the same, but mutmut leaves decorated
    functions alone (it cannot put its trampoline under a decorator), and the
    public metrics are all decorated (``validate_params``, ``Substitution``).
    """
    import libcst as cst

    module = cst.parse_module(path.read_text())
    body = []
    for statement in module.body:
        if isinstance(statement, cst.FunctionDef) and statement.decorators:
            wrapped = cst.Name(statement.name.value)
            for decorator in reversed(statement.decorators):
                wrapped = cst.Call(func=decorator.decorator, args=[cst.Arg(wrapped)])
            body.append(statement.with_changes(decorators=[]))
            body.append(
                cst.SimpleStatementLine(
                    [
                        cst.Assign(
                            targets=[cst.AssignTarget(cst.Name(statement.name.value))],
                            value=wrapped,
                        )
                    ]
                )
            )
        else:
            body.append(statement)
    path.write_text(module.with_changes(body=body).code)


def prepare(workdir, tests):
    """The scratch copy: package, tests, mutmut's settings."""
    if workdir.exists():
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(ROOT / "sk_mcdropout", workdir / "sk_mcdropout", ignore=ignore)
    shutil.copytree(tests, workdir / "tests", ignore=ignore)
    for module in MODULES:
        undecorate(workdir / module)
    selection = [*TESTS, "-k", " and ".join(f"not {name}" for name in SKIPPED)]
    (workdir / "pyproject.toml").write_text(
        PYPROJECT.format(
            only_mutate=_toml_list(MODULES), selection=_toml_list(selection)
        )
    )


def mutmut(workdir, *args):
    return subprocess.run(
        [sys.executable, "-m", "mutmut", *args],
        cwd=workdir,
        capture_output=True,
        text=True,
    )


def report(workdir):
    """Killed / total per module, and the surviving mutants with their diffs."""
    statuses = {}
    for line in mutmut(workdir, "results", "--all", "true").stdout.splitlines():
        match = re.match(r"\s*(\S+): (.+)$", line)
        if match:
            statuses[match.group(1)] = match.group(2).strip()
    by_module = {}
    for name, status in statuses.items():
        module = re.split(r"\.x[_\u01c1]", name)[0]
        by_module.setdefault(module, []).append(status)
    total_killed = total = 0
    print(f"\n{'module':40s} {'killed':>7s} {'total':>6s}  other")
    for module, values in sorted(by_module.items()):
        killed = values.count("killed")
        other = {s: values.count(s) for s in sorted(set(values) - {"killed"})}
        total_killed += killed
        total += len(values)
        print(f"{module:40s} {killed:7d} {len(values):6d}  {other or ''}")
    print(f"{'all':40s} {total_killed:7d} {total:6d}")
    survivors = sorted(name for name, status in statuses.items() if status != "killed")
    if survivors and "not checked" not in statuses.values():
        # mutmut's own diff, read in its working directory (one process).
        os.chdir(workdir)
        from mutmut.mutation.diff_apply import find_mutant, get_diff_for_mutant

        for name in survivors:
            print(f"\n# {name}: {statuses[name]}")
            print(get_diff_for_mutant(name, path=find_mutant(name).path).strip())
    return total_killed, total


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-children", type=int, default=2)
    parser.add_argument(
        "--workdir",
        type=Path,
        default=Path(tempfile.gettempdir()) / "sk_mcdropout-mutation",
    )
    parser.add_argument(
        "--tests",
        type=Path,
        default=ROOT / "tests",
        help="the tests folder to run (e.g. an older one, to compare scores)",
    )
    args = parser.parse_args()
    start = time.perf_counter()
    prepare(args.workdir, args.tests)
    run = mutmut(args.workdir, "run", "--max-children", str(args.max_children))
    if run.returncode:
        print(run.stdout[-5000:], run.stderr[-5000:], sep="\n")
    killed, total = report(args.workdir)
    print(
        f"\nmutation score {killed} / {total} = {killed / max(total, 1):.1%}, "
        f"in {time.perf_counter() - start:.0f} s"
    )


if __name__ == "__main__":
    main()
