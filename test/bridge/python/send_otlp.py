"""Sends training events, gauges and a failed span with the standard OTel Python SDK and its
OTLP/HTTP (protobuf) exporters, as a Python training script would.

    python send_otlp.py <base url> <run id> <rank> <gzip|none> [bearer token]

Rows 0..4 go out as `jepa.metrics` log records (train/loss = 1 / (step + 1)); a `jepa.text`
record names its event the older way, with an `event.name` attribute; the `jepa.step` and
`gpu/util` gauges are collected twice, at steps 2 and 4. Prints {"sent": true} when every
exporter has shut down.
"""

import json
import sys

from opentelemetry.exporter.otlp.proto.http import Compression
from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor


def main(url, run_id, rank, compression, token=None):
    options = {
        "compression": Compression.Gzip if compression == "gzip" else Compression.NoCompression,
        "headers": {"Authorization": f"Bearer {token}"} if token else {},
    }
    resource = Resource.create(
        {
            "service.name": "python-training",
            "jepa.run.id": run_id,
            "jepa.run.name": f"py-{run_id}",
            "jepa.rank": int(rank),
        }
    )

    logs = LoggerProvider(resource=resource)
    logs.add_log_record_processor(
        BatchLogRecordProcessor(OTLPLogExporter(endpoint=f"{url}/v1/logs", **options))
    )
    logger = logs.get_logger("train.py")

    readers = [
        PeriodicExportingMetricReader(
            OTLPMetricExporter(endpoint=f"{url}/v1/metrics", **options),
            export_interval_millis=3_600_000,
        )
    ]
    meters = MeterProvider(resource=resource, metric_readers=readers)
    meter = meters.get_meter("train.py")
    step_gauge = meter.create_gauge("jepa.step")
    util = meter.create_gauge("gpu/util")

    for step in range(5):
        logger.emit(
            event_name="jepa.metrics",
            attributes={"jepa.step": step, "train/loss": 1 / (step + 1)},
        )
        if step in (2, 4):
            step_gauge.set(step)
            util.set(step / 10)
            meters.force_flush()
    logger.emit(
        body="from python",
        attributes={"event.name": "jepa.text", "jepa.step": 4, "jepa.tag": "notes"},
    )

    traces = TracerProvider(resource=resource)
    traces.add_span_processor(
        BatchSpanProcessor(OTLPSpanExporter(endpoint=f"{url}/v1/traces", **options))
    )
    try:
        with traces.get_tracer("train.py").start_as_current_span("train_step"):
            raise ValueError("diverged")
    except ValueError:
        pass

    logs.shutdown()
    meters.shutdown()
    traces.shutdown()
    print(json.dumps({"sent": True}))


if __name__ == "__main__":
    main(*sys.argv[1:])
