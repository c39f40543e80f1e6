"""Validate a CIN census XML file with the DfE's rules (`csc-validator-be-cin`).

Run with the validator's own interpreter (`.ci/cin-validator-venv/bin/python`, made by `.ci/run`;
never the project's environment):

    .ci/cin-validator-venv/bin/python .ci/validate_cin.py FILE.xml [--json]

The ruleset is the one of the file's collection year (the header's `<Year>`, e.g. 2026 for the
year ending 31 March 2026: `cin2025_26`), or the newest the validator has. Every rule the file
breaks is listed with its type: `error` rules (the DfE rejects the return) and `query` rules
(the return goes in with an explanation). `--json` prints one JSON document
`{"ruleset", "children", "errors": [{"code", "message", "count"}], "queries": [...]}`.

Exit status: 0 no error-type rule broken (queries may remain), 1 at least one error-type rule
broken, 2 the file cannot be read.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import io
import json
import sys
import warnings
import xml.etree.ElementTree as ET
from collections import Counter


def _registry(year: str) -> tuple[str, dict]:
    try:
        name = f"cin{int(year) - 1}_{year[2:4]}"
        return name, importlib.import_module(f"cin_validator.rules.{name}").registry
    except (ValueError, ModuleNotFoundError):
        name = "cin2025_26"
        return name, importlib.import_module(f"cin_validator.rules.{name}").registry


def validate(path: str) -> dict:
    from cin_validator import cin_validator
    from cin_validator.rule_engine import RuleType

    root = ET.parse(path).getroot()
    year = (root.findtext("Header/CollectionDetails/Year") or "").strip()
    ruleset, registry = _registry(year)
    data = cin_validator.process_data(cin_validator.convert_data(root))
    children = len(data["ChildIdentifiers"])
    # the validator prints a line for a rule that raised: keep it, it is a failure too
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        result = cin_validator.CinValidator(data, registry)
    counts: Counter[str] = Counter(str(c) for c in result.full_issue_df["rule_code"])
    for code in result.multichild_issues["rule_code"]:
        counts[str(code)] += 1
    found: dict[str, list[dict]] = {"errors": [], "queries": []}
    for code, count in sorted(counts.items()):
        rule = registry[code]
        kind = "errors" if rule.rule_type is RuleType.ERROR else "queries"
        found[kind].append({"code": code, "message": rule.message, "count": count})
    crashed = [
        line for line in printed.getvalue().splitlines() if line.startswith("Error with rule")
    ]
    return {"ruleset": ruleset, "children": children, **found, "crashed": crashed}


def main() -> int:
    warnings.simplefilter("ignore")  # pandas deprecation notices of the rules: not findings
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    try:
        report = validate(args.file)
    except (OSError, ET.ParseError) as exc:
        print(f"error: {args.file}: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(report, indent=1))
    else:
        print(f"{args.file}: {report['children']} children, ruleset {report['ruleset']}")
        for kind, label in (("errors", "error"), ("queries", "query")):
            for r in report[kind]:
                print(f"  {label:5} {r['code']:>6} x{r['count']}: {r['message']}")
        for line in report["crashed"]:
            print(f"  {line}")
        print(f"{len(report['errors'])} error rules, {len(report['queries'])} query rules broken")
    return 1 if report["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
