#include "services/daemon/volumes/volume_json.h"

#include "gtest/gtest.h"

namespace berth {
namespace {

v1::Volume Sample() {
  v1::Volume volume;
  volume.set_name("data");
  volume.set_driver("local");
  volume.set_mountpoint("/var/lib/berth/volumes/data/_data");
  volume.set_created_at("2026-01-02T03:04:05Z");
  volume.set_scope("local");
  (*volume.mutable_labels())["app"] = "web";
  (*volume.mutable_options())["type"] = "tmpfs";
  return volume;
}

TEST(VolumeJsonTest, DockersVolumeObject) {
  EXPECT_EQ(VolumeJson(Sample()).dump(),
            R"({"CreatedAt":"2026-01-02T03:04:05Z","Driver":"local",)"
            R"("Labels":{"app":"web"},"Mountpoint":"/var/lib/berth/volumes/)"
            R"(data/_data","Name":"data","Options":{"type":"tmpfs"},)"
            R"("Scope":"local"})");
}

TEST(VolumeJsonTest, EmptyMapsAreObjectsAndUsageOnlyWhenSet) {
  v1::Volume volume;
  volume.set_name("x");
  nlohmann::json out = VolumeJson(volume);
  EXPECT_EQ(out["Labels"], nlohmann::json::object());
  EXPECT_EQ(out["Options"], nlohmann::json::object());
  EXPECT_FALSE(out.contains("UsageData"));
  EXPECT_FALSE(out.contains("Status"));
  volume.mutable_usage_data()->set_size(10);
  volume.mutable_usage_data()->set_ref_count(2);
  EXPECT_EQ(VolumeJson(volume)["UsageData"].dump(),
            R"({"RefCount":2,"Size":10})");
}

TEST(VolumeJsonTest, ListAndPrune) {
  v1::ListVolumesReply list;
  EXPECT_EQ(VolumeListJson(list).dump(), R"({"Volumes":[],"Warnings":[]})");
  *list.add_volumes() = Sample();
  EXPECT_EQ(VolumeListJson(list)["Volumes"][0]["Name"], "data");
  v1::PruneVolumesReply prune;
  EXPECT_EQ(VolumePruneJson(prune).dump(),
            R"({"SpaceReclaimed":0,"VolumesDeleted":[]})");
  prune.add_volumes_deleted("a");
  prune.set_space_reclaimed(36);
  EXPECT_EQ(VolumePruneJson(prune).dump(),
            R"({"SpaceReclaimed":36,"VolumesDeleted":["a"]})");
}

TEST(VolumeJsonTest, ParsesTheCreateBody) {
  absl::StatusOr<v1::CreateVolumeRequest> request =
      CreateVolumeRequestFromJson(nlohmann::json::parse(
          R"({"Name":"v","Driver":"local","DriverOpts":{"type":"tmpfs"},)"
          R"("Labels":{"a":"1"}})"));
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_EQ(request->name(), "v");
  EXPECT_EQ(request->driver(), "local");
  EXPECT_EQ(request->driver_opts().at("type"), "tmpfs");
  EXPECT_EQ(request->labels().at("a"), "1");

  // The CLI's shape without a name, and nulls, are fine.
  request = CreateVolumeRequestFromJson(nlohmann::json::parse(
      R"({"Driver":"local","DriverOpts":null,"Labels":{}})"));
  ASSERT_TRUE(request.ok());
  EXPECT_EQ(request->name(), "");
  EXPECT_TRUE(CreateVolumeRequestFromJson(nullptr).ok());

  for (const char* bad : {R"([1])", R"({"Name":1})", R"({"Labels":[]})",
                          R"({"DriverOpts":{"o":5}})"}) {
    EXPECT_TRUE(absl::IsInvalidArgument(
        CreateVolumeRequestFromJson(nlohmann::json::parse(bad)).status()))
        << bad;
  }
}

}  // namespace
}  // namespace berth
