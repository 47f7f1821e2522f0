"""Evaluation: scoring every task at every stage."""

from forgetlab.eval.evaluate import TaskScore, evaluate

__all__ = ["TaskScore", "evaluate"]
