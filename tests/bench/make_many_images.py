#!/usr/bin/env python3
"""Writes ONE docker-save archive holding COUNT distinct images that share a
single small layer (busybox-static and a few applet links), for the
`docker images` / `GET /images/json` benchmark of tests/bench/images_bench.sh.

The images differ only in their config (a label `bench.n=N` and the
`created` time, N seconds apart), so their IDs differ while the layer is
stored once. Each is tagged REPO:N (default bench/many:0 .. bench/many:999).
No registry is needed; the archive loads with `docker load -i` into dockerd
and berth alike. Prints a JSON summary (count, layer diff ID, archive bytes).
"""
import argparse
import datetime
import hashlib
import io
import json
import os
import tarfile

MTIME = 1700000000
APPLETS = ["sh", "ls", "cat", "echo", "true", "false", "id", "env", "sleep"]


def add_file(tar, name, data, mode=0o644):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = mode
    info.mtime = MTIME
    tar.addfile(info, io.BytesIO(data))


def add_dir(tar, name):
    info = tarfile.TarInfo(name)
    info.type = tarfile.DIRTYPE
    info.mode = 0o755
    info.mtime = MTIME
    tar.addfile(info)


def add_symlink(tar, name, target):
    info = tarfile.TarInfo(name)
    info.type = tarfile.SYMTYPE
    info.linkname = target
    info.mtime = MTIME
    tar.addfile(info)


def busybox_layer(busybox):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for d in ["bin", "etc", "tmp"]:
            add_dir(tar, d)
        with open(busybox, "rb") as f:
            add_file(tar, "bin/busybox", f.read(), 0o755)
        for applet in APPLETS:
            add_symlink(tar, "bin/" + applet, "busybox")
        add_file(tar, "etc/passwd", b"root:x:0:0:root:/root:/bin/sh\n")
    return buf.getvalue()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", help="archive to write (docker-save format)")
    parser.add_argument("--count", type=int, default=1000, help="images (default 1000)")
    parser.add_argument("--repo", default="bench/many", help="repository of the tags")
    parser.add_argument("--busybox", default="/bin/busybox", help="static busybox binary")
    args = parser.parse_args()

    layer = busybox_layer(args.busybox)
    diff_id = "sha256:" + hashlib.sha256(layer).hexdigest()
    layer_path = "%s/layer.tar" % hashlib.sha256(layer).hexdigest()
    base = datetime.datetime(2023, 11, 14, 22, 13, 20, tzinfo=datetime.timezone.utc)

    manifest = []
    tmp = args.out + ".tmp"
    with tarfile.open(tmp, "w", format=tarfile.PAX_FORMAT) as out:
        add_dir(out, layer_path.split("/")[0])
        add_file(out, layer_path, layer)
        for n in range(args.count):
            created = (base + datetime.timedelta(seconds=n)).strftime("%Y-%m-%dT%H:%M:%SZ")
            config = {
                "architecture": "amd64",
                "os": "linux",
                "created": created,
                "config": {"Cmd": ["sh"], "Env": ["PATH=/bin"],
                           "Labels": {"bench.n": str(n)}},
                "rootfs": {"type": "layers", "diff_ids": [diff_id]},
                "history": [{"created": created, "created_by": "busybox layer"}],
            }
            config_bytes = json.dumps(config, sort_keys=True).encode()
            config_name = hashlib.sha256(config_bytes).hexdigest() + ".json"
            add_file(out, config_name, config_bytes)
            manifest.append({"Config": config_name,
                             "RepoTags": ["%s:%d" % (args.repo, n)],
                             "Layers": [layer_path]})
        add_file(out, "manifest.json", json.dumps(manifest).encode())
    os.replace(tmp, args.out)
    print(json.dumps({"count": args.count, "diff_id": diff_id,
                      "bytes": os.path.getsize(args.out)}))


if __name__ == "__main__":
    main()
