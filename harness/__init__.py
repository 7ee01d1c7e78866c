"""The check runner and everything that runs inside the sandbox.

Nothing here imports from `grader` (tests/unit/test_layering.py holds it to
that): the harness is copied into the sandbox image on its own and talks to
the orchestrator only through the command line of harness.runner and the
results document it writes, in the one format of harness.schema.
"""
