// TensorBoard event files, written without TensorFlow or protobuf: TFRecord
// framing around three tiny protobuf messages (Event, Summary, Summary.Value)
// encoded by hand in the wire format (docs: shared notes, ecosystem §5.2).
// Scalars use the legacy `simple_value` form that every TensorBoard reader
// understands. tests/core/test_tfevents.cpp decodes the file independently;
// tests/python/test_tfevents_tensorboard.py reads it with TensorBoard itself.
//
// The file is an append-only log, not atomically replaced: whatever has been
// flushed is a valid prefix that TensorBoard can read while training runs.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

namespace mecrl {

class TfEventsWriter {
 public:
  // Creates `dir` if needed and a new `events.out.tfevents.<unix_seconds>.<hostname>`
  // in it (".<n>" appended if that name is taken), starting with the
  // file-version record; the file is readable as soon as this returns.
  explicit TfEventsWriter(const std::string& dir);
  ~TfEventsWriter();
  TfEventsWriter(const TfEventsWriter&) = delete;
  TfEventsWriter& operator=(const TfEventsWriter&) = delete;

  // Buffered; call flush() once per training iteration.
  void scalar(const std::string& tag, int64_t step, float value);
  void flush();

  const std::string& path() const { return path_; }

 private:
  void write_record(const std::string& event);
  std::string path_;
  std::FILE* file_ = nullptr;
};

// A resumed run must not log a step twice (TensorBoard would draw both):
// rewrites the event file at `path` (atomically) without the events whose
// step is >= first_dropped_step, and without a torn last record (a run
// killed mid-write). The file-version record stays. Returns the number of
// records dropped; 0 leaves the file untouched. Throws IoError if it cannot
// be read or rewritten.
int64_t drop_events_from_step(const std::string& path, int64_t first_dropped_step);

}  // namespace mecrl
