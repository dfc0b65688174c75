"""The rules are named once (planner/rules.py): the model, the checker and the README agree."""

from __future__ import annotations

import inspect
from pathlib import Path

from planner.check import CHECKS
from planner.cpsat.model import ItineraryModel
from planner.rules import MODEL_RULES, RULES, Rule, Stage, markdown_table

ROOT = Path(__file__).resolve().parent.parent


def test_every_rule_says_where_it_is_enforced():
    assert set(RULES) == set(Rule)
    assert all(info.says and info.enforced_in for info in RULES.values())
    assert all(len(set(info.enforced_in)) == len(info.enforced_in) for info in RULES.values())


def test_the_checker_has_one_function_per_rule_named_after_it():
    """Every rule is re-verified by the checker, by a function under the rule's own name."""
    assert list(CHECKS) == list(RULES)
    assert {rule: check.__name__ for rule, check in CHECKS.items()} == {rule: rule.value for rule in RULES}


def test_the_model_states_its_rules_under_their_names_in_order():
    """The model's rule methods are exactly the rules enforced in the model, in MODEL_RULES order."""
    methods = {name for name, _ in inspect.getmembers(ItineraryModel, inspect.isfunction)}
    stated = {rule for rule in Rule if rule.value in methods}
    assert stated == {rule for rule, info in RULES.items() if Stage.MODEL in info.enforced_in}
    assert ItineraryModel.RULES == MODEL_RULES


def test_the_readme_table_is_generated_from_the_rules():
    """README.md holds the table ``python -m planner.rules`` prints, unchanged."""
    assert markdown_table() in (ROOT / "README.md").read_text()
