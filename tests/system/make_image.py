#!/usr/bin/env python3
"""Builds docker-save archives for the image tests from busybox-static,
with no registry: a base layer (busybox and its applet links), a second
layer that adds a file and whites one out, a config whose diff IDs are the
layers' sha256, and manifest.json. Options make broken archives on purpose
for the hostile-input tests."""
import argparse
import gzip
import hashlib
import io
import json
import os
import tarfile

APPLETS = ["sh", "ls", "cat", "echo", "true", "false", "id", "env", "sleep",
           "hostname", "md5sum", "mount", "touch", "grep", "wc", "test",
           "tty", "uname", "ps", "head"]


def add_file(tar, name, data, mode=0o644):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = mode
    info.mtime = 1700000000
    tar.addfile(info, io.BytesIO(data))


def add_dir(tar, name):
    info = tarfile.TarInfo(name)
    info.type = tarfile.DIRTYPE
    info.mode = 0o755
    info.mtime = 1700000000
    tar.addfile(info)


def add_symlink(tar, name, target):
    info = tarfile.TarInfo(name)
    info.type = tarfile.SYMTYPE
    info.linkname = target
    info.mtime = 1700000000
    tar.addfile(info)


def layer(build):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        build(tar)
    return buf.getvalue()


def base_layer(tar, padding):
    for d in ["bin", "etc", "tmp", "gone"]:
        add_dir(tar, d)
    with open("/bin/busybox", "rb") as f:
        add_file(tar, "bin/busybox", f.read(), 0o755)
    for applet in APPLETS:
        add_symlink(tar, "bin/" + applet, "busybox")
    add_file(tar, "etc/passwd", b"root:x:0:0:root:/root:/bin/sh\n")
    add_file(tar, "gone/file", b"whited out by the next layer\n")
    if padding:
        # Incompressible filler, in files of 8 MiB, for the benchmarks.
        add_dir(tar, "filler")
        for i in range((padding + (8 << 20) - 1) // (8 << 20)):
            add_file(tar, "filler/%03d" % i, os.urandom(min(8 << 20, padding - i * (8 << 20))))


def top_layer(tar, tag):
    add_file(tar, "hello.txt", ("hello from %s\n" % tag).encode())
    add_file(tar, ".wh.gone", b"")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--tag", default="busybox:latest")
    parser.add_argument("--label", default="")
    parser.add_argument("--padding", type=int, default=0,
                        help="bytes of random files in the base layer")
    parser.add_argument("--layers", type=int, default=2,
                        help="total layers (extra ones hold one small file)")
    parser.add_argument("--gzip", action="store_true")
    parser.add_argument("--escape", action="store_true",
                        help="the top layer writes ../escape")
    parser.add_argument("--wrong-diff-id", action="store_true")
    parser.add_argument("--missing-layer", action="store_true")
    parser.add_argument("--truncate", action="store_true")
    args = parser.parse_args()

    layers = [layer(lambda t: base_layer(t, args.padding)),
              layer(lambda t: top_layer(t, args.tag))]
    for i in range(2, args.layers):
        layers.append(layer(lambda t, i=i: add_file(t, "extra%d" % i, b"%d\n" % i)))
    if args.escape:
        layers[-1] = layer(lambda t: add_file(t, "../escape", b"owned\n"))
    diff_ids = ["sha256:" + hashlib.sha256(l).hexdigest() for l in layers]
    if args.wrong_diff_id:
        diff_ids[-1] = "sha256:" + "0" * 64
    blobs = [gzip.compress(l, mtime=0) if args.gzip else l for l in layers]

    config = {
        "architecture": "amd64",
        "os": "linux",
        "created": "2023-11-14T22:13:20Z",
        "config": {"Cmd": ["sh"], "Env": ["PATH=/bin"],
                   "Labels": {"test": args.label} if args.label else None},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": [{"created": "2023-11-14T22:13:20Z",
                     "created_by": "layer %d" % i} for i in range(len(layers))]
                   + [{"created": "2023-11-14T22:13:20Z",
                       "created_by": "CMD [\"sh\"]", "empty_layer": True}],
    }
    config_bytes = json.dumps(config, sort_keys=True).encode()
    config_hex = hashlib.sha256(config_bytes).hexdigest()

    layer_paths = []
    with tarfile.open(args.out, "w", format=tarfile.PAX_FORMAT) as out:
        for i, blob in enumerate(blobs):
            name = "%s/layer.tar" % hashlib.sha256(blob).hexdigest()
            layer_paths.append(name)
            if args.missing_layer and i == len(blobs) - 1:
                continue
            add_dir(out, name.split("/")[0])
            add_file(out, name, blob)
        add_file(out, config_hex + ".json", config_bytes)
        manifest = [{"Config": config_hex + ".json",
                     "RepoTags": [args.tag] if args.tag else None,
                     "Layers": layer_paths}]
        add_file(out, "manifest.json", json.dumps(manifest).encode())
    if args.truncate:
        size = os.path.getsize(args.out)
        with open(args.out, "r+b") as f:
            f.truncate(size // 2)
    print(json.dumps({"id": "sha256:" + config_hex, "diff_ids": diff_ids}))


if __name__ == "__main__":
    main()
