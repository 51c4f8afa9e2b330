#include "core/csv_writer.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <stdexcept>
#include <system_error>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/atomic_file.h"
#include "core/error.h"

namespace mecrl {

namespace {

std::string errno_text(int err) { return std::generic_category().message(err); }

std::vector<std::string> split_commas(const std::string& line) {
  std::vector<std::string> out;
  size_t begin = 0;
  for (;;) {
    const size_t comma = line.find(',', begin);
    out.push_back(line.substr(begin, comma - begin));
    if (comma == std::string::npos) return out;
    begin = comma + 1;
  }
}

}  // namespace

size_t drop_csv_rows_from(const std::string& path, const std::string& column, double first_dropped) {
  const std::string text = read_file(path);
  const size_t header_end = text.find('\n');
  if (header_end == std::string::npos) return 0;  // no complete header: nothing logged yet
  const std::vector<std::string> header = split_commas(text.substr(0, header_end));
  const auto col = std::find(header.begin(), header.end(), column);
  if (col == header.end()) {
    throw std::runtime_error(fmt::format("'{}': no column '{}' in the header", path, column));
  }
  const size_t index = static_cast<size_t>(col - header.begin());
  std::string kept = text.substr(0, header_end + 1);
  size_t dropped = 0;
  for (size_t at = header_end + 1; at < text.size();) {
    const size_t end = text.find('\n', at);
    if (end == std::string::npos) {  // a row cut short by a kill
      ++dropped;
      break;
    }
    const std::vector<std::string> cells = split_commas(text.substr(at, end - at));
    char* stop = nullptr;
    const double v = index < cells.size() ? std::strtod(cells[index].c_str(), &stop) : 0;
    const bool parsed = index < cells.size() && !cells[index].empty() && *stop == '\0';
    if (parsed && v < first_dropped) {
      kept.append(text, at, end + 1 - at);
    } else {
      ++dropped;
    }
    at = end + 1;
  }
  if (dropped > 0) write_file_atomic(path, kept);
  return dropped;
}

CsvWriter::CsvWriter(const std::string& path, Mode mode, std::vector<std::string> columns)
    : path_(path) {
  std::error_code ec;
  const bool resume = mode == Mode::kAppend && std::filesystem::exists(path, ec);
  if (resume) {
    std::string text = read_file(path);
    // A run killed mid-row leaves a line without its newline; that row was
    // never complete, so drop it rather than glue the next row onto it.
    const size_t last_newline = text.rfind('\n');
    const size_t keep = last_newline == std::string::npos ? 0 : last_newline + 1;
    if (keep != text.size()) {
      std::filesystem::resize_file(path, keep, ec);
      if (ec) {
        throw IoError(fmt::format("cannot truncate the partial last line of '{}': {}", path, ec.message()),
                      ec.value());
      }
      text.resize(keep);
    }
    if (!text.empty()) {
      std::string header = text.substr(0, text.find('\n'));
      if (!header.empty() && header.back() == '\r') header.pop_back();
      std::vector<std::string> existing = split_commas(header);
      if (!columns.empty() && columns != existing) {
        throw std::runtime_error(fmt::format(
            "cannot append to '{}': its header is '{}' but this run writes '{}'", path, header,
            fmt::join(columns, ",")));
      }
      columns = std::move(existing);
      header_written_ = true;
    }
  }
  file_ = std::fopen(path.c_str(), resume ? "ab" : "wb");
  if (file_ == nullptr) {
    const int err = errno;
    throw IoError(fmt::format("cannot open '{}': {}", path, errno_text(err)), err);
  }
  if (!columns.empty()) set_columns(std::move(columns));
  if (!columns_.empty() && !header_written_) {
    write(fmt::format("{}\n", fmt::join(columns_, ",")));
    header_written_ = true;
  }
}

CsvWriter::~CsvWriter() {
  if (file_ != nullptr) std::fclose(file_);
}

void CsvWriter::set_columns(std::vector<std::string> columns) {
  std::set<std::string> seen;
  for (const auto& c : columns) {
    if (c.empty() || c.find_first_of(",\"\r\n") != std::string::npos) {
      throw std::runtime_error(fmt::format(
          "'{}': column name '{}' must be non-empty and free of commas, quotes and line breaks", path_, c));
    }
    if (!seen.insert(c).second) throw std::runtime_error(fmt::format("'{}': column '{}' appears twice", path_, c));
  }
  columns_ = std::move(columns);
}

void CsvWriter::row(const std::vector<std::pair<std::string, double>>& values) {
  if (columns_.empty()) {
    std::vector<std::string> names;
    for (const auto& kv : values) names.push_back(kv.first);
    if (names.empty()) throw std::runtime_error(fmt::format("'{}': the first row has no columns", path_));
    set_columns(std::move(names));
    write(fmt::format("{}\n", fmt::join(columns_, ",")));
    header_written_ = true;
  }
  std::vector<std::string> cells(columns_.size());
  std::vector<bool> filled(columns_.size(), false);
  for (const auto& [name, value] : values) {
    size_t i = 0;
    while (i < columns_.size() && columns_[i] != name) ++i;
    if (i == columns_.size()) {
      throw std::runtime_error(fmt::format(
          "'{}': column '{}' is not in the header ({}); the columns are fixed by the first row", path_,
          name, fmt::join(columns_, ",")));
    }
    if (filled[i]) throw std::runtime_error(fmt::format("'{}': column '{}' given twice in one row", path_, name));
    filled[i] = true;
    cells[i] = fmt::format("{:.9g}", value);
  }
  write(fmt::format("{}\n", fmt::join(cells, ",")));
}

void CsvWriter::write(const std::string& text) {
  if (std::fwrite(text.data(), 1, text.size(), file_) != text.size() || std::fflush(file_) != 0) {
    const int err = errno;
    throw IoError(fmt::format("cannot write '{}': {}", path_, errno_text(err)), err);
  }
}

}  // namespace mecrl
