"""Reads every record of event files with TensorBoard's record reader (the one that checks the
CRCs) and prints, per file, how many records it read and the error that stopped it, if any.

    python records.py <event file>...
"""

import json
import sys

from tensorboard.compat.proto import event_pb2
from tensorboard.compat.tensorflow_stub import errors
from tensorboard.compat.tensorflow_stub.pywrap_tensorflow import PyRecordReader_New


def read(path):
    reader = PyRecordReader_New(path)
    records, last_step, error = 0, None, None
    while True:
        try:
            reader.GetNext()
        except errors.OutOfRangeError:
            break
        except errors.DataLossError as e:
            error = e.message
            break
        event = event_pb2.Event.FromString(reader.record())
        records += 1
        last_step = event.step
    return {"path": path, "records": records, "last_step": last_step, "error": error}


if __name__ == "__main__":
    print(json.dumps([read(path) for path in sys.argv[1:]]))
