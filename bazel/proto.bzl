"""Compiles .proto files with Debian's protoc and grpc_cpp_plugin."""

def berth_proto_library(name, srcs, deps = [], grpc = True, visibility = None):
    """A cc_library of the C++ (and gRPC) code generated from `srcs`.

    Paths stay workspace-relative, so a proto imports another as
    "proto/foo.proto" and C++ includes "proto/foo.pb.h".

    Args:
      name: the cc_library's name.
      srcs: .proto files in this package.
      deps: other berth_proto_library targets whose protos these import.
      grpc: also generate gRPC service stubs.
      visibility: of the cc_library.
    """
    stems = [src[:-len(".proto")] for src in srcs]
    hdrs = [s + ".pb.h" for s in stems]
    cc_srcs = [s + ".pb.cc" for s in stems]
    if grpc:
        hdrs += [s + ".grpc.pb.h" for s in stems]
        cc_srcs += [s + ".grpc.pb.cc" for s in stems]
    dep_protos = [d + "_protos" for d in deps]

    native.filegroup(
        name = name + "_protos",
        srcs = srcs + dep_protos,
        visibility = visibility,
    )

    cmd = "protoc --proto_path=. --cpp_out=$(GENDIR)"
    if grpc:
        cmd += (" --plugin=protoc-gen-grpc=/usr/bin/grpc_cpp_plugin" +
                " --grpc_out=$(GENDIR)")
    cmd += " " + " ".join(["$(location %s)" % src for src in srcs])

    native.genrule(
        name = name + "_gen",
        srcs = srcs + dep_protos,
        outs = hdrs + cc_srcs,
        cmd = cmd,
    )

    native.cc_library(
        name = name,
        srcs = cc_srcs,
        hdrs = hdrs,
        deps = deps + ["//third_party:grpc", "//third_party:protobuf"],
        visibility = visibility,
    )
