"""The wandb package's run.log in offline mode, end to end (bench suite 3).

Reads the rows from a JSON file (the same rows the Node side logs), then, for a warm-up run and
`repeats` measured runs, starts an offline run (not timed), logs every row at its step with
run.log and finishes the run: the time from the first run.log to the end of run.finish() is one
run's figure. WANDB_MODE=offline, WANDB_SILENT=true and a scratch WANDB_DIR come from the
environment. Prints JSON: the seconds of each measured run.
"""

import json
import sys
import time

import wandb


def one_run(rows):
    run = wandb.init(project="bench", mode="offline")
    start = time.perf_counter()
    for step, values in enumerate(rows):
        run.log(values, step=step)
    run.finish()
    return time.perf_counter() - start


def main():
    rows_file, repeats = sys.argv[1], int(sys.argv[2])
    with open(rows_file) as f:
        rows = json.load(f)
    one_run(rows[: max(1, len(rows) // 4)])
    seconds = [one_run(rows) for _ in range(repeats)]
    print(json.dumps({"seconds": seconds}))


main()
