#include "services/engine/builtin_jobs.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "lib/base/status_macros.h"
#include "lib/docker/docker_json.h"
#include "lib/docker/filters.h"
#include "lib/docker/timestamp.h"
#include "lib/job/job_output.h"
#include "services/engine/event_stream.h"

namespace berth {
namespace {

absl::Status Commands(EngineCore* core, Job& job) {
  v1::CommandsReply reply = core->Commands();
  for (const v1::Command& command : reply.commands()) {
    std::string line = absl::StrCat(command.name(), "\t", command.service());
    if (!command.depends_on().empty()) {
      absl::StrAppend(&line, "\t", absl::StrJoin(command.depends_on(), ","));
    }
    job.Stdout().Write(line + "\n");
  }
  return absl::OkStatus();
}

// env: since, until (Unix seconds or RFC 3339), filters (Docker's JSON:
// {"type":["container"]} or {"type":{"container":true}}).
absl::StatusOr<v1::EventsRequest> EventsRequestFromEnv(const Env& env) {
  v1::EventsRequest request;
  if (!env.Get("since").empty()) {
    BERTH_ASSIGN_OR_RETURN(int64_t since,
                           ParseDockerTimestamp(env.Get("since")));
    request.set_since_nano(since);
  }
  if (!env.Get("until").empty()) {
    BERTH_ASSIGN_OR_RETURN(int64_t until,
                           ParseDockerTimestamp(env.Get("until")));
    request.set_until_nano(until);
  }
  BERTH_RETURN_IF_ERROR(
      ParseDockerFilters(env.Get("filters"), request.mutable_filters()));
  return request;
}

absl::Status Events(EngineCore* core, Job& job) {
  BERTH_ASSIGN_OR_RETURN(v1::EventsRequest request,
                         EventsRequestFromEnv(job.env()));
  return StreamEvents(
      core->events(), request,
      [&job](const v1::Event& event) {
        PrintJson(job, EventJson(event));
        return true;
      },
      [&job] { return job.Cancelled(); });
}

// log ACTION ID [FROM]; env type (default container), attributes (JSON).
absl::Status Log(EngineCore* core, Job& job) {
  if (job.args().size() < 2 || job.args().size() > 3) {
    return absl::InvalidArgumentError("usage: log ACTION ID [FROM]");
  }
  v1::Event event;
  event.set_action(job.args()[0]);
  event.set_id(job.args()[1]);
  if (job.args().size() == 3) event.set_from(job.args()[2]);
  event.set_type(job.env().Get("type"));
  BERTH_ASSIGN_OR_RETURN(nlohmann::json attributes,
                         job.env().GetJson("attributes"));
  if (attributes.is_object()) {
    for (const auto& [key, value] : attributes.items()) {
      if (!value.is_string()) {
        return absl::InvalidArgumentError(
            absl::StrCat("attribute ", key, " must be a string"));
      }
      (*event.mutable_attributes())[key] = value.get<std::string>();
    }
  } else if (!attributes.is_null()) {
    return absl::InvalidArgumentError("attributes must be a JSON object");
  }
  PrintJson(job, EventJson(core->Log(std::move(event))));
  return absl::OkStatus();
}

}  // namespace

absl::Status RegisterBuiltinJobs(EngineCore* core) {
  std::vector<HandlerSpec> specs = {
      {"commands", [core](Job& job) { return Commands(core, job); }},
      {"version",
       [core](Job& job) {
         PrintJson(job, VersionJson(core->Version()));
         return absl::OkStatus();
       }},
      {"info",
       [core](Job& job) {
         PrintJson(job, InfoJson(core->Info()));
         return absl::OkStatus();
       }},
      {"events", [core](Job& job) { return Events(core, job); }},
      {"log", [core](Job& job) { return Log(core, job); }},
      {"subscribers_count",
       [core](Job& job) {
         job.Stdout().Write(
             absl::StrCat(core->events().SubscribersCount(), "\n"));
         return absl::OkStatus();
       }},
  };
  return core->registry()
      .RegisterService(kEngineService, std::move(specs))
      .status();
}

}  // namespace berth
