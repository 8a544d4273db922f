// Writing a file so that a failed or killed write never destroys what was there: the bytes go to
// a temporary beside the target (`<name>.tmp.<pid>`), which is fsynced and renamed over it;
// temporaries of killed writers are removed after a successful write. Every failed write, fsync
// or close is an Error naming the file.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace xgrad {

class FileWriter {
 public:
  void write(const void* data, std::size_t bytes);
  void write(std::string_view text) { write(text.data(), text.size()); }

 private:
  friend void write_file_atomically(const std::string&, const std::function<void(FileWriter&)>&,
                                    const std::string&, bool);
  FileWriter(int fd, std::string error_prefix) : fd_(fd), error_prefix_(std::move(error_prefix)) {}
  int fd_;
  std::string error_prefix_;
};

// Runs `write` on the new file's contents and puts them at `path`. Errors read
// "<error_prefix><path>: <what>". Only a regular file (or nothing) is replaced; with
// `write_in_place_to_devices` a device or a pipe (/dev/stdout) is written to directly instead
// of being refused.
void write_file_atomically(const std::string& path, const std::function<void(FileWriter&)>& write,
                           const std::string& error_prefix = "",
                           bool write_in_place_to_devices = false);

}  // namespace xgrad
