"""Grading across machines: Celery tasks on a Redis broker, with the same results as one machine.

    grader grade LAB SUBMISSIONS --out DIR --broker redis://HOST:6379/0   the orchestrator (dispatch)
    grader worker --broker redis://HOST:6379/0 [--jobs N] [--backend ...]  one per grading machine (worker)

Rule (one record, written by one process): only the orchestrator writes the
output folder, through the same `grader.batch.record_result` a local batch
uses; a worker grades with the same `grader.batch.grade_one` and sends the
results document back. Everything that decides a grade besides the submission
comes from the worker's own installation, and a worker whose grader version or
checks hash differs from the orchestrator's refuses the task (see worker.py).

Modules: celery_app (the Celery configuration: JSON only, late ack, the
visibility timeout), payload (what a task carries, both ways), worker (the task
body and `grader worker`), dispatch (send, collect, retry, survive a broker
restart).
"""
