// Atomic file replacement (file_io.hpp).
#include "tensor/file_io.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "tensor/tensor.hpp"

namespace xgrad {

namespace {
// Temporaries of killed writers (`<name>.tmp.<pid>` of a process that no longer runs) beside
// `path`, so kills do not pile up files.
void remove_stale_temporaries(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path target(path);
  const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  const std::string prefix = target.filename().string() + ".tmp.";
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(prefix, 0) != 0) continue;
    const std::string pid_text = name.substr(prefix.size());
    if (pid_text.empty() || pid_text.find_first_not_of("0123456789") != std::string::npos) continue;
    const long pid = std::strtol(pid_text.c_str(), nullptr, 10);
    if (pid > 0 && ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH)
      fs::remove(entry.path(), ec);
  }
}
}  // namespace

void FileWriter::write(const void* data, std::size_t bytes) {
  const char* p = static_cast<const char*>(data);
  while (bytes > 0) {
    const ssize_t written = ::write(fd_, p, bytes);
    if (written < 0) {
      if (errno == EINTR) continue;
      throw Error(error_prefix_ + "cannot write: " + std::strerror(errno));
    }
    p += written;
    bytes -= static_cast<std::size_t>(written);
  }
}

void write_file_atomically(const std::string& path, const std::function<void(FileWriter&)>& write,
                           const std::string& error_prefix, bool write_in_place_to_devices) {
  const std::string prefix = error_prefix + path + ": ";
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
    if (S_ISDIR(st.st_mode)) throw Error(prefix + "is a directory, not a file");
    if (!write_in_place_to_devices)
      throw Error(prefix + "is not a regular file; refusing to replace it");
    const int fd = ::open(path.c_str(), O_WRONLY);
    if (fd < 0) throw Error(prefix + "cannot open: " + std::strerror(errno));
    FileWriter out(fd, prefix);
    try {
      write(out);
    } catch (...) {
      ::close(fd);
      throw;
    }
    if (::close(fd) != 0) throw Error(prefix + "cannot write: " + std::strerror(errno));
    return;
  }
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) throw Error(prefix + "cannot create " + tmp + ": " + std::strerror(errno));
  FileWriter out(fd, prefix);
  try {
    write(out);
    if (::fsync(fd) != 0) throw Error(prefix + "fsync failed: " + std::strerror(errno));
  } catch (...) {
    ::close(fd);
    std::remove(tmp.c_str());
    throw;
  }
  if (::close(fd) != 0) {
    const std::string why = std::strerror(errno);
    std::remove(tmp.c_str());
    throw Error(prefix + "cannot write: " + why);
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string why = std::strerror(errno);
    std::remove(tmp.c_str());
    throw Error(prefix + "cannot replace the file: " + why);
  }
  remove_stale_temporaries(path);
}

}  // namespace xgrad
