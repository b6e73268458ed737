#ifndef BERTH_SERVICES_ENGINE_EVENTS_PROTOCOL_H_
#define BERTH_SERVICES_ENGINE_EVENTS_PROTOCOL_H_

namespace berth {

// Initial metadata the engine sends on an Events stream that passed
// validation, so a caller can answer 200 before any event arrives, and
// tell a started stream from an early error.
inline constexpr char kEventsStartedKey[] = "berth-events-started";

}  // namespace berth

#endif  // BERTH_SERVICES_ENGINE_EVENTS_PROTOCOL_H_
