#!/usr/bin/env python3
"""Writes the fuzzers' seed corpora, fuzz/corpus/<harness>/: small valid files and slightly
broken ones (a few lines of the shipped Iris and Boston CSVs, hand-made IDX, safetensors,
checkpoint and xgrad-train model files). Run from anywhere; it replaces the seed files it owns.
Inputs that libFuzzer found and that are worth keeping are added by hand beside them."""
import gzip
import json
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def put(harness, name, data):
    folder = os.path.join(HERE, "corpus", harness)
    os.makedirs(folder, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


def lines(path, n):
    with open(os.path.join(ROOT, path)) as f:
        return "".join(f.readline() for _ in range(n))


# ---- CSV
iris = lines("examples/data/iris.csv", 8)
boston = lines("examples/data/boston_house_prices.csv", 6)
put("csv", "iris_head.csv", iris)
put("csv", "boston_head.csv", boston)
put("csv", "header.csv", "a,b,y\n1,2,3\n4,5,6\n")
put("csv", "quoted.csv", 'a,"b, quoted",color,y\n1,"2",red,10\n3," 4 ",blue,20\n5,6,"re""d",30\n')
put("csv", "missing.csv", "x,z,y\n1,NA,1\n?,4,2\n3,,3\nnan,N/A,4\n")
put("csv", "categories.csv", "size,color,label\n1.5,red,yes\n2,blue,no\n-3e2,red,yes\n")
put("csv", "crlf.csv", "a,b\r\n1,2\r\n3,4\r\n")
put("csv", "semicolon.csv", "skipped line\na;b;c\n1;2;3\n4;5;6\n")
put("csv", "ragged.csv", "a,b\n1,2\n3\n")
put("csv", "unterminated.csv", 'a,b\n"1,2\n')
put("csv", "bad_number.csv", "a,b\n1,2\n3,abc\n")
put("csv", "header_only.csv", "a,b,c\n")
put("csv", "blank_lines.csv", "\n\na,b\n\n1,2\n\n")

# ---- whitespace matrices (the UCI HAR layout)
put("whitespace", "X.txt", "  2.8858451e-001 -2.0294171e-002 -1.3290514e-001\n"
    "  2.7841883e-001 -1.6410568e-002 -1.2352019e-001\n")
put("whitespace", "y.txt", "5\n5\n4\n1\n")
put("whitespace", "tabs.txt", "1\t2\t3\r\n4\t5\t6\r\n\n")
put("whitespace", "ragged.txt", "1 2 3\n4 5\n")
put("whitespace", "not_a_number.txt", "1 x\n")
put("whitespace", "signs.txt", "+1 -0 .5\n1e3 -1E-3 0.0\n")


# ---- IDX, plain and gzipped
def be32(*values):
    return b"".join(struct.pack(">I", v) for v in values)


labels = be32(2049, 3) + bytes([1, 0, 9])
images = be32(2051, 2, 2, 2) + bytes([0, 255, 128, 1, 2, 3, 4, 5])
put("idx", "labels-idx1-ubyte", labels)
put("idx", "images-idx3-ubyte", images)
put("idx", "labels-idx1-ubyte.gz", gzip.compress(labels, mtime=0))
put("idx", "images-idx3-ubyte.gz", gzip.compress(images, mtime=0))
put("idx", "truncated-idx1-ubyte", labels[:-1])
put("idx", "trailing-idx3-ubyte", images + b"\x00")
put("idx", "wrong-magic", be32(2051, 3) + bytes(3))
put("idx", "empty-idx3-ubyte", be32(2051, 0, 28, 28))
put("idx", "cut.gz", gzip.compress(images + bytes(64), mtime=0)[:20])


# ---- safetensors
def safetensors(entries, metadata=None, pad=True):
    """entries: (name, dtype, shape, raw bytes); offsets follow one another."""
    header, data = {}, b""
    if metadata is not None:
        header["__metadata__"] = metadata
    for name, dtype, shape, raw in entries:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    text = json.dumps(header, separators=(",", ":")).encode()
    if pad:
        text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + data


def f32(*values):
    return struct.pack("<%df" % len(values), *values)


def f64(*values):
    return struct.pack("<%dd" % len(values), *values)


put("safetensors", "f32.safetensors", safetensors([("w", "F32", [2, 2], f32(1, 2, 3, 4))]))
put("safetensors", "dtypes.safetensors", safetensors([
    ("a", "F64", [2], f64(0.5, -1)), ("b", "I64", [1], struct.pack("<q", -7)),
    ("c", "I32", [2], struct.pack("<2i", 1, 2)), ("d", "U8", [3], bytes([0, 1, 255])),
    ("e", "BOOL", [2], bytes([0, 2])), ("f", "F16", [2], struct.pack("<2H", 0x3c00, 0x0001)),
    ("g", "BF16", [1], struct.pack("<H", 0x3f80)), ("s", "F32", [], f32(3))],
    metadata={"format": "pt"}))
put("safetensors", "empty_tensor.safetensors", safetensors([("z", "F32", [0, 3], b"")]))
put("safetensors", "huge_shape.safetensors", safetensors([("h", "F32", [4611686018427387904], b"")]))
put("safetensors", "truncated.safetensors", safetensors([("w", "F32", [4], f32(1, 2, 3, 4))])[:-3])
put("safetensors", "bad_json.safetensors", struct.pack("<Q", 8) + b'{"w":[1,')
put("safetensors", "no_header.safetensors", b"\x00" * 8)


# ---- trainer checkpoints: the harness's MLP is Linear(3, 4), ReLU, Linear(4, 2)
shapes = {"0.weight": [4, 3], "0.bias": [4], "2.weight": [2, 4], "2.bias": [2]}


def model_entries(prefix="model.", value=0.1):
    out = []
    for name, shape in shapes.items():
        n = 1
        for d in shape:
            n *= d
        out.append((prefix + name, "F32", shape, f32(*([value] * n))))
    return out


def optimizer_entries(buffers, step=1.0, lr=0.01):
    out = [("optimizer.group.0.lr", "F64", [], f64(lr))]
    for i, shape in enumerate(shapes.values()):
        key = "optimizer.state.0.%d." % i
        n = 1
        for d in shape:
            n *= d
        out.append((key + "step", "F64", [], f64(step)))
        for b in buffers:
            out.append((key + b, "F32", shape, f32(*([0.01] * n))))
    return out


put("checkpoint", "sgd.safetensors",
    safetensors(model_entries() + [("optimizer.group.0.lr", "F64", [], f64(0.01))], {"epochs_done": "3"}))
put("checkpoint", "momentum.safetensors",
    safetensors(model_entries() + optimizer_entries(["momentum_buffer"]), {"epochs_done": "1"}))
put("checkpoint", "adam.safetensors",
    safetensors(model_entries() + optimizer_entries(["exp_avg", "exp_avg_sq", "max_exp_avg_sq"], step=2), {"epochs_done": "2"}))
put("checkpoint", "adamw.safetensors",
    safetensors(model_entries() + optimizer_entries(["exp_avg", "exp_avg_sq", "max_exp_avg_sq"]),
                {"epochs_done": "2", "optimizer": "adamw"}))
put("checkpoint", "adam_nan_step.safetensors",
    safetensors(model_entries() + optimizer_entries(["exp_avg", "exp_avg_sq", "max_exp_avg_sq"], step=float("nan")),
                {"epochs_done": "2"}))
put("checkpoint", "rmsprop.safetensors",
    safetensors(model_entries() + optimizer_entries(["square_avg", "grad_avg", "momentum_buffer"]), {"epochs_done": "4"}))
put("checkpoint", "adagrad.safetensors",
    safetensors(model_entries() + optimizer_entries(["sum"]), {"epochs_done": "5"}))
put("checkpoint", "adadelta.safetensors",
    safetensors(model_entries() + optimizer_entries(["square_avg", "acc_delta"]), {"epochs_done": "6"}))
put("checkpoint", "huge_epochs.safetensors",
    safetensors(model_entries() + [("optimizer.group.0.lr", "F64", [], f64(0.01))], {"epochs_done": "9e18"}))
put("checkpoint", "no_epochs.safetensors", safetensors(model_entries()))
put("checkpoint", "step_lr.safetensors",
    safetensors([("last_epoch", "F64", [], f64(3)), ("base_lr.0", "F64", [], f64(0.1))]))
put("checkpoint", "plateau.safetensors",
    safetensors([("best", "F64", [], f64(0.5)), ("bad_epochs", "F64", [], f64(1)),
                 ("cooldown_left", "F64", [], f64(0))]))

# ---- xgrad-train models: model.safetensors, "\0SCALER\0", scaler.safetensors
SEP = b"\x00SCALER\x00"


def tabular(task, inputs, hidden, outputs, classes, extra=None, scaler_columns=None):
    sizes = [inputs] + hidden + [outputs]
    entries = []
    for layer in range(len(sizes) - 1):
        index = 2 * layer
        fan_in, fan_out = sizes[layer], sizes[layer + 1]
        entries.append(("%d.weight" % index, "F32", [fan_out, fan_in], f32(*([0.05] * (fan_in * fan_out)))))
        entries.append(("%d.bias" % index, "F32", [fan_out], f32(*([0.0] * fan_out))))
    meta = {"task": task, "activation": "relu", "inputs": str(inputs), "outputs": str(outputs),
            "target": "y", "classes": "\x1f".join(classes),
            "feature_names": "\x1f".join("f%d" % i for i in range(inputs)),
            "no_header": "0", "skip_lines": "0", "delimiter": ",",
            "hidden": "\x1f".join(str(h) for h in hidden)}
    meta.update(extra or {})
    n = inputs if scaler_columns is None else scaler_columns
    scaler = safetensors([("mean", "F64", [n], f64(*([0.0] * n))), ("scale", "F64", [n], f64(*([1.0] * n)))],
                         {"type": "StandardScaler"})
    return safetensors(entries, meta) + SEP + scaler


put("model", "classify.bin", tabular("classify", 3, [4], 2, ["no", "yes"],
                                     {"encoding.y": "no\x1fyes", "encoding.color": "blue\x1fred"}))
put("model", "regress.bin", tabular("regress", 2, [3, 2], 1, []))
put("model", "linear.bin", tabular("classify", 2, [], 3, ["a", "b", "c"]))
put("model", "few_classes.bin", tabular("classify", 3, [4], 2, ["only"]))
put("model", "scaler_mismatch.bin", tabular("regress", 2, [3], 1, [], scaler_columns=5))
put("model", "huge_hidden.bin", tabular("regress", 2, [3], 1, [], {"hidden": "4611686018427387904"}))
put("model", "no_scaler.bin", tabular("regress", 2, [3], 1, []).split(SEP)[0])
