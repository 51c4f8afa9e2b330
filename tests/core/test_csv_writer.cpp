// metrics.csv: the exact bytes written (expected text spelled out here),
// resume by appending, and the errors that keep columns aligned.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <unistd.h>

#include "temp_dir.h"
#include "core/csv_writer.h"

namespace mecrl {
namespace {

namespace fs = std::filesystem;
using testing::slurp;
using testing::error_of;

fs::path test_root() { return testing::scratch_root() / "csv_writer"; }

std::string fresh_file(const std::string& name) {
  const fs::path dir = test_root();
  fs::create_directories(dir);
  fs::remove(dir / name);
  return (dir / name).string();
}

void spit(const std::string& p, const std::string& text) { std::ofstream(p, std::ios::binary) << text; }

TEST(Csv, HeaderFromFirstRowAndNumberFormat) {
  const std::string path = fresh_file("first_row.csv");
  {
    CsvWriter csv(path, CsvWriter::Mode::kTruncate);
    EXPECT_EQ(slurp(path), "") << "no header before the first row";
    csv.row({{"global_step", 0}, {"charts/SPS", 0.1}, {"losses/approx_kl", 1.0 / 3.0}});
    // Flushed per row: visible before the writer is closed.
    EXPECT_EQ(slurp(path), "global_step,charts/SPS,losses/approx_kl\n0,0.1,0.333333333\n");
    csv.row({{"losses/approx_kl", 1e20}, {"global_step", 123456789012.0}});  // any order, one missing
    csv.row({{"charts/SPS", -2.5e-7}});
  }
  EXPECT_EQ(slurp(path),
            "global_step,charts/SPS,losses/approx_kl\n"
            "0,0.1,0.333333333\n"
            "1.23456789e+11,,1e+20\n"
            ",-2.5e-07,\n");
}

TEST(Csv, ColumnsGivenUpFrontWriteTheHeaderAtOnce) {
  const std::string path = fresh_file("given.csv");
  CsvWriter csv(path, CsvWriter::Mode::kTruncate, {"step", "return"});
  EXPECT_EQ(slurp(path), "step,return\n");
  csv.row({{"return", 4}});
  EXPECT_EQ(slurp(path), "step,return\n,4\n");
}

TEST(Csv, TruncateReplacesAnOldFile) {
  const std::string path = fresh_file("truncate.csv");
  spit(path, "old,header\n1,2\n");
  CsvWriter csv(path, CsvWriter::Mode::kTruncate);
  csv.row({{"a", 1}});
  EXPECT_EQ(slurp(path), "a\n1\n");
}

TEST(Csv, ResumeAppendsUnderTheExistingHeader) {
  const std::string path = fresh_file("resume.csv");
  {
    CsvWriter csv(path, CsvWriter::Mode::kTruncate);
    csv.row({{"step", 1}, {"loss", 0.5}});
  }
  {
    CsvWriter csv(path, CsvWriter::Mode::kAppend);  // columns adopted from the file
    EXPECT_EQ(csv.columns(), (std::vector<std::string>{"step", "loss"}));
    csv.row({{"step", 2}, {"loss", 0.25}});
  }
  {
    CsvWriter csv(path, CsvWriter::Mode::kAppend, {"step", "loss"});  // columns checked against it
    csv.row({{"loss", 0.125}, {"step", 3}});
  }
  EXPECT_EQ(slurp(path), "step,loss\n1,0.5\n2,0.25\n3,0.125\n");
}

TEST(Csv, ResumeDropsATornLastLine) {
  const std::string path = fresh_file("torn.csv");
  spit(path, "step,loss\n1,0.5\n2,0.2");  // killed while writing row 2
  {
    CsvWriter csv(path, CsvWriter::Mode::kAppend);
    csv.row({{"step", 2}, {"loss", 0.25}});
  }
  EXPECT_EQ(slurp(path), "step,loss\n1,0.5\n2,0.25\n");
}

TEST(Csv, AppendToAMissingFileStartsIt) {
  const std::string path = fresh_file("missing.csv");
  CsvWriter csv(path, CsvWriter::Mode::kAppend);
  csv.row({{"x", 1}});
  EXPECT_EQ(slurp(path), "x\n1\n");
}

TEST(Csv, ResumeWithOtherColumnsIsAnErrorNamingTheFile) {
  const std::string path = fresh_file("mismatch.csv");
  spit(path, "step,loss\n1,0.5\n");
  const std::string err = error_of([&] { CsvWriter csv(path, CsvWriter::Mode::kAppend, {"step", "reward"}); });
  EXPECT_NE(err.find(path), std::string::npos) << err;
  EXPECT_NE(err.find("'step,loss'"), std::string::npos) << err;
  EXPECT_NE(err.find("'step,reward'"), std::string::npos) << err;
  EXPECT_EQ(slurp(path), "step,loss\n1,0.5\n") << "the file is left as it was";
}

TEST(Csv, UnknownColumnIsAnErrorAndWritesNothing) {
  const std::string path = fresh_file("unknown.csv");
  CsvWriter csv(path, CsvWriter::Mode::kTruncate);
  csv.row({{"step", 1}, {"loss", 0.5}});
  const std::string err = error_of([&] { csv.row({{"step", 2}, {"charts/new", 1}}); });
  EXPECT_NE(err.find("'charts/new'"), std::string::npos) << err;
  EXPECT_NE(err.find(path), std::string::npos) << err;
  EXPECT_EQ(slurp(path), "step,loss\n1,0.5\n");
  csv.row({{"step", 3}});
  EXPECT_EQ(slurp(path), "step,loss\n1,0.5\n3,\n");
}

TEST(Csv, BadColumnNamesAreErrors) {
  const std::string path = fresh_file("bad.csv");
  EXPECT_NE(error_of([&] { CsvWriter csv(path, CsvWriter::Mode::kTruncate, {"a,b"}); }).find("'a,b'"),
            std::string::npos);
  EXPECT_NE(error_of([&] { CsvWriter csv(path, CsvWriter::Mode::kTruncate, {"a", "a"}); }).find("twice"),
            std::string::npos);
  CsvWriter csv(path, CsvWriter::Mode::kTruncate);
  EXPECT_NE(error_of([&] { csv.row({}); }).find("no columns"), std::string::npos);
  EXPECT_NE(error_of([&] { csv.row({{"a", 1}, {"a", 2}}); }).find("twice"), std::string::npos);
}

// A resumed run drops the rows logged after its checkpoint (and a row cut
// short by a kill) before it logs those steps again.
TEST(Csv, DropRowsFromStep) {
  const std::string path = fresh_file("drop.csv");
  spit(path, "global_step,x\n512,1\n1024,2\n1536,3\n2048,4\n25");
  EXPECT_EQ(drop_csv_rows_from(path, "global_step", 1536), 3u);
  EXPECT_EQ(slurp(path), "global_step,x\n512,1\n1024,2\n");
  EXPECT_EQ(drop_csv_rows_from(path, "global_step", 4096), 0u);
  EXPECT_EQ(slurp(path), "global_step,x\n512,1\n1024,2\n");
  spit(path, "x,global_step\n1,10\n2,20\n");
  EXPECT_EQ(drop_csv_rows_from(path, "global_step", 20), 1u) << "found by name, not position";
  EXPECT_EQ(slurp(path), "x,global_step\n1,10\n");
  EXPECT_NE(error_of([&] { drop_csv_rows_from(path, "step", 0); }).find("no column 'step'"), std::string::npos);
  // Then the writer appends under the same header.
  {
    CsvWriter csv(path, CsvWriter::Mode::kAppend, {"x", "global_step"});
    csv.row({{"x", 3}, {"global_step", 20}});
  }
  EXPECT_EQ(slurp(path), "x,global_step\n1,10\n3,20\n");
}

}  // namespace
}  // namespace mecrl
