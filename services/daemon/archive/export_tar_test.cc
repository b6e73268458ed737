#include "services/daemon/archive/export_tar.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/testing/temp_dir.h"
#include "services/daemon/archive/byte_sink.h"
#include "services/daemon/archive/test_tar.h"
#include "services/daemon/archive/test_tree.h"
#include "services/daemon/archive/whiteout.h"

namespace berth {
namespace {

using ::berth::testing::MkdirOrDie;
using ::berth::testing::OverlayMount;
using ::berth::testing::ReadTar;
using ::berth::testing::SetXattrOrDie;
using ::berth::testing::TarEntry;
using ::berth::testing::WhiteoutOrDie;
using ::berth::testing::WriteFileOrDie;
using ::testing::ElementsAre;

std::vector<TarEntry> Export(const std::string& rootfs) {
  StringSink sink;
  absl::Status status = WriteExportTar(rootfs, sink);
  EXPECT_TRUE(status.ok()) << status;
  return status.ok() ? ReadTar(sink.data()) : std::vector<TarEntry>();
}

std::vector<std::string> Names(const std::vector<TarEntry>& entries) {
  std::vector<std::string> names;
  for (const TarEntry& e : entries) names.push_back(e.name);
  return names;
}

TEST(ExportTarTest, MergedOverlayViewExportsWithoutWhiteouts) {
  berth::testing::TempDir tmp;
  std::string lower = tmp.Join("lower");
  std::string upper = tmp.Join("upper");
  std::string work = tmp.Join("work");
  std::string merged = tmp.Join("merged");
  WriteFileOrDie(lower + "/etc/passwd", "root:x:0:0\n");
  WriteFileOrDie(lower + "/etc/hosts", "127.0.0.1 localhost\n");
  WriteFileOrDie(lower + "/opt/old", "o");
  MkdirOrDie(upper);
  MkdirOrDie(work);
  // What a container left in its upper dir: a deletion, an emptied and
  // refilled directory, a new file.
  MkdirOrDie(upper + "/etc");
  WhiteoutOrDie(upper + "/etc/hosts");
  MkdirOrDie(upper + "/opt");
  SetXattrOrDie(upper + "/opt", kOverlayOpaqueXattr, "y");
  WriteFileOrDie(upper + "/opt/new", "n");
  WriteFileOrDie(upper + "/root/.profile", "p");
  OverlayMount mount(merged, {lower}, upper, work);
  if (!mount.ok()) GTEST_SKIP() << mount.error();

  std::vector<TarEntry> entries = Export(merged);
  EXPECT_THAT(Names(entries), ElementsAre("etc/", "etc/passwd", "opt/",
                                          "opt/new", "root/", "root/.profile"));
  for (const TarEntry& e : entries) {
    for (const auto& [name, value] : e.xattrs) {
      EXPECT_NE(name.rfind("trusted.overlay.", 0), 0u) << e.name << " " << name;
    }
  }
}

TEST(ExportTarTest, EntriesGoOutAsTheyAre) {
  berth::testing::TempDir tmp;
  std::string rootfs = tmp.Join("rootfs");
  // In a plain (vfs) root, a 0/0 device and a ".wh." file are what the
  // container made them: nothing to convert.
  WhiteoutOrDie(rootfs + "/dev/zero0");
  WriteFileOrDie(rootfs + "/data/.wh.notes", "not a whiteout");
  std::vector<TarEntry> entries = Export(rootfs);
  ASSERT_THAT(Names(entries),
              ElementsAre("data/", "data/.wh.notes", "dev/", "dev/zero0"));
  EXPECT_EQ(entries[1].type, 'f');
  EXPECT_EQ(entries[1].data, "not a whiteout");
  EXPECT_EQ(entries[3].type, 'c');
}

TEST(ExportTarTest, MissingRootIsNotFound) {
  StringSink sink;
  EXPECT_EQ(WriteExportTar("/nonexistent/berth/rootfs", sink).code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace berth
