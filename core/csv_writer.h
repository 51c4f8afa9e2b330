// metrics.csv: one row per training iteration for plotting scripts and
// spreadsheets. The columns are fixed once (by the caller or by the first
// row) so every row lines up under its header; a resumed run appends to the
// file only if it would write the same columns. Each row is flushed as it is
// written, so the file is current while training runs.
#pragma once

#include <cstdio>
#include <string>
#include <utility>
#include <vector>

namespace mecrl {

class CsvWriter {
 public:
  enum class Mode {
    kTruncate,  // start a new file (a fresh run)
    kAppend,    // resume: keep existing rows; the header must match
  };

  // `columns` empty: taken from the keys of the first row (or, when
  // appending, from the existing file's header). Names may not contain
  // ',', '"' or line breaks, so the file needs no quoting.
  CsvWriter(const std::string& path, Mode mode, std::vector<std::string> columns = {});
  ~CsvWriter();
  CsvWriter(const CsvWriter&) = delete;
  CsvWriter& operator=(const CsvWriter&) = delete;

  // A column missing from `values` stays empty in this row; a key that is
  // not a column is an error. Numbers are written with {:.9g}.
  void row(const std::vector<std::pair<std::string, double>>& values);

  const std::vector<std::string>& columns() const { return columns_; }
  const std::string& path() const { return path_; }

 private:
  void set_columns(std::vector<std::string> columns);
  void write(const std::string& text);
  std::string path_;
  std::FILE* file_ = nullptr;
  std::vector<std::string> columns_;
  bool header_written_ = false;
};

// A resumed run must not log a step twice: rewrites the CSV at `path`
// (atomically) keeping the header and the rows whose `column` is below
// `first_dropped` (a partial last line goes too). Returns the number of rows
// dropped; 0 leaves the file untouched. Throws if `column` is not in the
// header, IoError if the file cannot be rewritten.
size_t drop_csv_rows_from(const std::string& path, const std::string& column, double first_dropped);

}  // namespace mecrl
