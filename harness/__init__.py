"""The check runner and everything that runs inside the sandbox.

Nothing here imports from `grader`: the harness is copied into the sandbox
image on its own and talks to the orchestrator only through the results
document it writes (see harness.results).
"""
