"""socklab-grader: the orchestrator side (CLI, labs, backends, reports)."""

__version__ = "0.1.0"
