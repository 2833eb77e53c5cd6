"""tensorboardX's SummaryWriter.add_scalar, end to end (bench suite 2).

Reads the rows from a JSON file (the same rows the Node side logs), then, for a warm-up run and
`repeats` measured runs, writes every value of every row with add_scalar at its step into a new
SummaryWriter and flushes it: the time from the first add_scalar to the end of flush() is one
run's figure. Prints JSON: the seconds of each measured run, and whether tensorboardX found the
native crc32c package (its best configuration).
"""

import json
import os
import sys
import time

import tensorboardX.crc32c as tbx_crc32c
from tensorboardX import SummaryWriter


def one_run(logdir, rows):
    writer = SummaryWriter(logdir)
    start = time.perf_counter()
    for step, values in enumerate(rows):
        for key, value in values.items():
            writer.add_scalar(key, value, step)
    writer.flush()
    seconds = time.perf_counter() - start
    writer.close()
    return seconds


def main():
    rows_file, out_dir, repeats = sys.argv[1], sys.argv[2], int(sys.argv[3])
    with open(rows_file) as f:
        rows = json.load(f)
    one_run(os.path.join(out_dir, "warm-up"), rows[: max(1, len(rows) // 4)])
    seconds = [one_run(os.path.join(out_dir, f"run-{n}"), rows) for n in range(repeats)]
    print(
        json.dumps(
            {"seconds": seconds, "native_crc32c": tbx_crc32c._crc32c_native is not None}
        )
    )


main()
