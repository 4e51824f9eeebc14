#!/usr/bin/env python3
"""TensorBoard as the oracle for @store/tfevents (run with the venv from setup.sh).

  oracle.py read <logdir>          What TensorBoard serves for every run of <logdir>, as JSON on
                                   stdout: the legacy EventAccumulator's tags and scalars, the
                                   data provider's scalars / tensors / blob sequences (images and
                                   audio decoded with PIL and wave), the plugins' own views
                                   (pr_curves, custom_scalars layout, mesh metadata, hparams
                                   content) and the projector config with its tensors.
  oracle.py pytorch <spec> <logdir> Replays the calls listed in the JSON file <spec> with
                                   torch.utils.tensorboard.SummaryWriter into <logdir>; prints
                                   {"writer": "torch <version>"}, or {"writer": null} when torch
                                   is not installed.
"""
import base64
import io
import json
import os
import sys
import wave


def b64(data):
    return base64.b64encode(bytes(data)).decode("ascii")


def decode_image(data):
    from PIL import Image, ImageSequence

    image = Image.open(io.BytesIO(data))
    frames = []
    for frame in ImageSequence.Iterator(image):
        rgb = frame.convert("RGBA" if frame.mode in ("RGBA", "LA", "PA") else "RGB")
        frames.append(list(rgb.tobytes()))
    return {"format": image.format, "width": image.width, "height": image.height, "mode": image.mode, "frames": frames}


def decode_audio(data):
    with wave.open(io.BytesIO(data), "rb") as w:
        frames = w.readframes(w.getnframes())
        import numpy as np

        return {"rate": w.getframerate(), "channels": w.getnchannels(), "width": w.getsampwidth(), "samples": np.frombuffer(frames, "<i2").tolist()}


def tolist(array):
    import numpy as np

    if array.dtype.kind in ("S", "O", "U"):
        return [b64(x if isinstance(x, bytes) else str(x).encode()) for x in array.reshape(-1)]
    return np.asarray(array, dtype=np.float64).reshape(-1).tolist()


def read(logdir):
    from tensorboard.backend.event_processing import data_provider as dp
    from tensorboard.backend.event_processing import event_accumulator as ea
    from tensorboard.backend.event_processing import plugin_event_multiplexer as pem
    from tensorboard import context as tb_context
    from tensorboard.plugins import base_plugin

    out = {"legacy": {}, "scalars": {}, "tensors": {}, "blobs": {}, "metadata": {}, "plugins": {}}
    # Legacy accumulator, one per run directory, everything kept (size guidance 0).
    for root, _dirs, files in os.walk(logdir):
        if not any("tfevents" in f for f in files):
            continue
        run = os.path.relpath(root, logdir)
        acc = ea.EventAccumulator(root, size_guidance={k: 0 for k in ea.DEFAULT_SIZE_GUIDANCE}, purge_orphaned_data=True)
        acc.Reload()
        tags = acc.Tags()
        out["legacy"][run] = {
            "tags": {k: sorted(v) if isinstance(v, list) else v for k, v in tags.items()},
            "scalars": {t: [[e.step, e.value] for e in acc.Scalars(t)] for t in tags.get("scalars", [])},
            "histograms": {
                t: [[e.step, {"min": e.histogram_value.min, "max": e.histogram_value.max, "num": e.histogram_value.num,
                              "sum": e.histogram_value.sum, "sum_squares": e.histogram_value.sum_squares,
                              "bucket_limit": list(e.histogram_value.bucket_limit), "bucket": list(e.histogram_value.bucket)}]
                    for e in acc.Histograms(t)]
                for t in tags.get("histograms", [])
            },
            "images": {t: [[e.step, e.width, e.height] for e in acc.Images(t)] for t in tags.get("images", [])},
            "audio": {t: [[e.step, e.sample_rate, e.length_frames, e.content_type] for e in acc.Audio(t)] for t in tags.get("audio", [])},
        }

    multiplexer = pem.EventMultiplexer(size_guidance={k: 0 for k in ("scalars", "tensors", "images", "audio", "histograms", "compressedHistograms")}, tensor_size_guidance={}, purge_orphaned_data=True)
    multiplexer.AddRunsFromDirectory(logdir)
    multiplexer.Reload()
    provider = dp.MultiplexerDataProvider(multiplexer, logdir)
    ctx = tb_context.RequestContext()
    plugins = provider.list_plugins(ctx, experiment_id="")
    for plugin in plugins:
        for run, tags in multiplexer.PluginRunToTagToContent(plugin).items():
            for tag, content in tags.items():
                out["metadata"].setdefault(plugin, {}).setdefault(run, {})[tag] = b64(content)
        scalars = provider.read_scalars(ctx, experiment_id="", plugin_name=plugin, downsample=10**9)
        for run, tags in scalars.items():
            for tag, points in tags.items():
                out["scalars"].setdefault(plugin, {}).setdefault(run, {})[tag] = [[p.step, p.value] for p in points]
        tensors = provider.read_tensors(ctx, experiment_id="", plugin_name=plugin, downsample=10**9)
        for run, tags in tensors.items():
            for tag, points in tags.items():
                out["tensors"].setdefault(plugin, {}).setdefault(run, {})[tag] = [
                    {"step": p.step, "dtype": str(p.numpy.dtype), "shape": list(p.numpy.shape), "values": tolist(p.numpy)} for p in points
                ]
        blobs = provider.read_blob_sequences(ctx, experiment_id="", plugin_name=plugin, downsample=10**9)
        for run, tags in blobs.items():
            for tag, points in tags.items():
                series = []
                for p in points:
                    datas = [provider.read_blob(ctx, blob_key=ref.blob_key) for ref in p.values]
                    if plugin == "images":
                        decoded = {"width": int(datas[0]), "height": int(datas[1]), "images": [decode_image(d) for d in datas[2:]]}
                    elif plugin == "audio":
                        decoded = {"audio": [decode_audio(d) for d in datas]}
                    else:
                        decoded = {"blobs": [b64(d) for d in datas]}
                    series.append({"step": p.step, **decoded})
                out["blobs"].setdefault(plugin, {}).setdefault(run, {})[tag] = series

    context = base_plugin.TBContext(logdir=logdir, multiplexer=multiplexer, data_provider=provider)
    if "custom_scalars" in plugins:
        from google.protobuf import json_format
        from tensorboard.plugins.custom_scalar import custom_scalars_plugin

        layout = custom_scalars_plugin.CustomScalarsPlugin(context).layout_impl(ctx, "")
        out["plugins"]["custom_scalars"] = layout
    if "pr_curves" in plugins:
        from tensorboard.plugins.pr_curve import pr_curves_plugin

        plugin = pr_curves_plugin.PrCurvesPlugin(context)
        curves = {}
        for run, tags in multiplexer.PluginRunToTagToContent("pr_curves").items():
            for tag in tags:
                curves.setdefault(run, {})[tag] = plugin.pr_curves_impl(ctx, "", [run], tag)[run]
        out["plugins"]["pr_curves"] = curves
    if "mesh" in plugins:
        from tensorboard.plugins.mesh import metadata as mesh_metadata
        from google.protobuf import json_format

        meshes = {}
        for run, tags in multiplexer.PluginRunToTagToContent("mesh").items():
            for tag, content in tags.items():
                meshes.setdefault(run, {})[tag] = json_format.MessageToDict(mesh_metadata.parse_plugin_metadata(content), preserving_proto_field_name=True)
        out["plugins"]["mesh"] = meshes
    if "hparams" in plugins:
        from google.protobuf import json_format
        from tensorboard.plugins.hparams import plugin_data_pb2 as hp_data

        hp = {}
        for run, tags in multiplexer.PluginRunToTagToContent("hparams").items():
            for tag, content in tags.items():
                hp.setdefault(run, {})[tag] = json_format.MessageToDict(hp_data.HParamsPluginData.FromString(content), preserving_proto_field_name=True)
        out["plugins"]["hparams"] = hp

    projector = {}
    for root, _dirs, files in os.walk(logdir):
        if "projector_config.pbtxt" in files:
            from google.protobuf import json_format, text_format
            from tensorboard.plugins.projector import projector_config_pb2, projector_plugin

            config = projector_config_pb2.ProjectorConfig()
            with open(os.path.join(root, "projector_config.pbtxt")) as f:
                text_format.Parse(f.read(), config)
            entries = []
            for emb in config.embeddings:
                entry = json_format.MessageToDict(emb, preserving_proto_field_name=True)
                entry["tensor"] = projector_plugin._read_tensor_tsv_file(os.path.join(root, emb.tensor_path)).reshape(-1).astype("float64").tolist()
                if emb.metadata_path:
                    with open(os.path.join(root, emb.metadata_path), encoding="utf-8") as f:
                        entry["metadata"] = f.read()
                if emb.sprite.image_path:
                    with open(os.path.join(root, emb.sprite.image_path), "rb") as f:
                        entry["sprite_image"] = decode_image(f.read())
                entries.append(entry)
            projector[os.path.relpath(root, logdir)] = entries
    out["projector"] = projector
    json.dump(out, sys.stdout, default=lambda o: o.tolist() if hasattr(o, "tolist") else str(o))


def pytorch(spec_path, logdir):
    import numpy as np

    try:
        from torch.utils.tensorboard import SummaryWriter
        import torch
    except ImportError:
        json.dump({"writer": None}, sys.stdout)
        return
    writer_name = "torch " + torch.__version__
    with open(spec_path) as f:
        calls = json.load(f)

    def arg(value):
        if isinstance(value, dict) and "array" in value:
            return np.asarray(value["array"], dtype=value.get("dtype", "float64")).reshape(value["shape"])
        if isinstance(value, dict) and "tensor" in value:
            array = np.asarray(value["tensor"], dtype=value.get("dtype", "float32")).reshape(value["shape"])
            return torch.from_numpy(array)
        return value

    import contextlib

    # PyTorch prints warnings (e.g. audio clipping) on stdout, which carries our JSON.
    with contextlib.redirect_stdout(sys.stderr):
        writer = SummaryWriter(logdir, **calls.get("writer", {}))
        for call in calls["calls"]:
            method = getattr(writer, call["method"])
            method(*[arg(a) for a in call.get("args", [])], **{k: arg(v) for k, v in call.get("kwargs", {}).items()})
        writer.close()
    json.dump({"writer": writer_name}, sys.stdout)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "read":
        read(sys.argv[2])
    elif len(sys.argv) == 4 and sys.argv[1] == "pytorch":
        pytorch(sys.argv[2], sys.argv[3])
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
