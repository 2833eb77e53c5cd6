"""Prints, as JSON, everything TensorBoard's EventAccumulator (the legacy, unmigrated view) keeps
of a run: scalars, histograms, images (decoded to pixels), text tensors and hparams infos.

    python accumulate.py <run directory or event file>
"""

import io
import json
import math
import sys

import numpy as np
from google.protobuf import json_format
from PIL import Image
from tensorboard.backend.event_processing import event_accumulator as ea
from tensorboard.plugins.hparams import metadata as hparams_metadata
from tensorboard.util import tensor_util


def number(x):
    # JSON has no NaN or infinities: spell them out.
    return x if math.isfinite(x) else repr(x)


def plugin_tags(acc, plugin_name):
    try:
        return acc.PluginTagToContent(plugin_name)
    except KeyError:
        return {}


def main(path):
    acc = ea.EventAccumulator(path, size_guidance=ea.STORE_EVERYTHING_SIZE_GUIDANCE)
    acc.Reload()
    tags = acc.Tags()
    out = {
        "file_version": acc.file_version,
        "scalars": {
            tag: [[e.step, number(e.value), e.wall_time] for e in acc.Scalars(tag)]
            for tag in tags[ea.SCALARS]
        },
        "histograms": {
            tag: [
                {
                    "step": e.step,
                    "wall_time": e.wall_time,
                    "min": number(e.histogram_value.min),
                    "max": number(e.histogram_value.max),
                    "num": e.histogram_value.num,
                    "sum": number(e.histogram_value.sum),
                    "sum_squares": number(e.histogram_value.sum_squares),
                    "bucket_limit": [number(x) for x in e.histogram_value.bucket_limit],
                    "bucket": list(e.histogram_value.bucket),
                }
                for e in acc.Histograms(tag)
            ]
            for tag in tags[ea.HISTOGRAMS]
        },
        "images": {},
        "texts": {},
        "tensors": sorted(tags[ea.TENSORS]),
        "hparams": {},
    }
    for tag in tags[ea.IMAGES]:
        out["images"][tag] = []
        for e in acc.Images(tag):
            image = Image.open(io.BytesIO(e.encoded_image_string))
            out["images"][tag].append(
                {
                    "step": e.step,
                    "width": e.width,
                    "height": e.height,
                    "mode": image.mode,
                    "pixels": np.asarray(image).reshape(-1).tolist(),
                }
            )
    for tag in plugin_tags(acc, "text"):
        out["texts"][tag] = [
            {"step": e.step, "text": tensor_util.make_ndarray(e.tensor_proto).item().decode("utf-8")}
            for e in acc.Tensors(tag)
        ]
    hparams = plugin_tags(acc, "hparams")
    if hparams_metadata.SESSION_START_INFO_TAG in hparams:
        info = hparams_metadata.parse_session_start_info_plugin_data(
            hparams[hparams_metadata.SESSION_START_INFO_TAG]
        )
        out["hparams"]["start"] = {
            "hparams": {k: json_format.MessageToDict(v) for k, v in info.hparams.items()},
            "group_name": info.group_name,
            "start_time_secs": info.start_time_secs,
        }
    if hparams_metadata.SESSION_END_INFO_TAG in hparams:
        info = hparams_metadata.parse_session_end_info_plugin_data(
            hparams[hparams_metadata.SESSION_END_INFO_TAG]
        )
        out["hparams"]["end"] = {"status": info.status, "end_time_secs": info.end_time_secs}
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1])
