// Whole-file reads that gunzip transparently: what the IDX and CSV readers share.
#pragma once

#include <string>

namespace xgrad::data {

// Whole file contents, gunzipped when it starts with the gzip magic bytes. Errors read
// "idx: <path>: <what>" (cannot open file, corrupt or truncated gzip data), as they always have.
std::string read_maybe_gzipped(const std::string& path);

}  // namespace xgrad::data
