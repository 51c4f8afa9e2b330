// write_file_atomic / publish_dir_atomic / read_file: exact contents, no
// temporary files left behind, and the target intact when a write fails.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <sys/stat.h>
#include <unistd.h>

#include "temp_dir.h"
#include "core/atomic_file.h"

namespace mecrl {
namespace {

namespace fs = std::filesystem;
using testing::slurp;
using testing::error_of;

fs::path fresh_dir(const std::string& name) { return testing::fresh_scratch_dir("atomic_file/" + name); }

std::set<std::string> names_in(const fs::path& dir) {
  std::set<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) out.insert(e.path().filename().string());
  return out;
}

TEST(AtomicFile, WritesExactBytesAndReplacesLongerContent) {
  const fs::path dir = fresh_dir("exact");
  const std::string path = (dir / "f.bin").string();
  const std::string binary("a\0b\xff\n\r", 6);
  write_file_atomic(path, std::string(100000, 'x'));
  write_file_atomic(path, binary);
  EXPECT_EQ(slurp(path), binary);
  EXPECT_EQ(read_file(path), binary);
  write_file_atomic(path, "");
  EXPECT_EQ(read_file(path), "");
  EXPECT_EQ(names_in(dir), std::set<std::string>{"f.bin"}) << "no temporary files left";
}

TEST(AtomicFile, RelativePathInCurrentDirectory) {
  const fs::path dir = fresh_dir("relative");
  const fs::path saved = fs::current_path();
  fs::current_path(dir);
  write_file_atomic("plain_name.txt", "hello");
  fs::current_path(saved);
  EXPECT_EQ(slurp(dir / "plain_name.txt"), "hello");
}

TEST(AtomicFile, FailedWriteLeavesTargetIntactEvenForRoot) {
  // A non-empty directory cannot be replaced by rename(), whoever we are.
  const fs::path dir = fresh_dir("blocked");
  const fs::path target = dir / "target";
  fs::create_directories(target);
  std::ofstream(target / "keep") << "original";
  const std::string err = error_of([&] { write_file_atomic(target.string(), "new content"); });
  EXPECT_NE(err.find(target.string()), std::string::npos) << err;
  EXPECT_EQ(slurp(target / "keep"), "original");
  EXPECT_EQ(names_in(dir), std::set<std::string>{"target"}) << "the temporary file was removed";
}

TEST(AtomicFile, FailedWriteInReadOnlyDirectoryKeepsOldContent) {
  if (::geteuid() == 0) GTEST_SKIP() << "root ignores directory permissions";
  const fs::path dir = fresh_dir("readonly");
  const std::string path = (dir / "f.txt").string();
  write_file_atomic(path, "original");
  fs::permissions(dir, fs::perms::owner_read | fs::perms::owner_exec);
  const std::string err = error_of([&] { write_file_atomic(path, "new"); });
  fs::permissions(dir, fs::perms::owner_all);
  EXPECT_NE(err.find(path), std::string::npos) << err;
  EXPECT_NE(err.find("Permission denied"), std::string::npos) << err;
  EXPECT_EQ(slurp(path), "original");
}

TEST(AtomicFile, MissingDirectoryIsAnErrorNamingThePath) {
  const fs::path dir = fresh_dir("missing");
  const std::string path = (dir / "no_such_dir" / "f.txt").string();
  const std::string err = error_of([&] { write_file_atomic(path, "x"); });
  EXPECT_NE(err.find(path), std::string::npos) << err;
  EXPECT_NE(err.find("No such file or directory"), std::string::npos) << err;
}

TEST(AtomicFile, ConcurrentWritersNeverInterleave) {
  const fs::path dir = fresh_dir("concurrent");
  const std::string path = (dir / "f.txt").string();
  std::vector<std::string> contents;
  for (int i = 0; i < 8; ++i) contents.push_back(std::string(20000 + i, static_cast<char>('a' + i)));
  std::vector<std::thread> threads;
  for (const auto& c : contents) {
    threads.emplace_back([&path, &c] {
      for (int k = 0; k < 20; ++k) write_file_atomic(path, c);
    });
  }
  for (auto& t : threads) t.join();
  const std::string final = read_file(path);
  EXPECT_NE(std::find(contents.begin(), contents.end(), final), contents.end()) << "torn or mixed content";
  EXPECT_EQ(names_in(dir), std::set<std::string>{"f.txt"});
}

TEST(AtomicFile, ReadFileErrorsNameThePath) {
  const fs::path dir = fresh_dir("read");
  const std::string missing = (dir / "nope.json").string();
  std::string err = error_of([&] { read_file(missing); });
  EXPECT_NE(err.find(missing), std::string::npos) << err;
  EXPECT_NE(err.find("No such file or directory"), std::string::npos) << err;
  err = error_of([&] { read_file(dir.string()); });
  EXPECT_NE(err.find("Is a directory"), std::string::npos) << err;
}

TEST(AtomicDir, PublishNewAndReplaceExisting) {
  const fs::path dir = fresh_dir("publish");
  const fs::path final_dir = dir / "checkpoints" / "100";
  fs::create_directories(final_dir.parent_path());
  for (int version = 1; version <= 3; ++version) {
    const fs::path tmp = dir / "checkpoints" / ".100.tmp";
    fs::create_directories(tmp);
    write_file_atomic((tmp / "trainer.json").string(), "v" + std::to_string(version));
    if (version == 1) write_file_atomic((tmp / "only_in_v1").string(), "x");
    const std::string slash = version == 2 ? "/" : "";  // "dir/" means the same directory
    publish_dir_atomic(tmp.string() + slash, final_dir.string() + slash);
    EXPECT_EQ(slurp(final_dir / "trainer.json"), "v" + std::to_string(version));
    EXPECT_EQ(fs::exists(final_dir / "only_in_v1"), version == 1) << "the old directory was replaced, not merged";
    EXPECT_EQ(names_in(final_dir.parent_path()), std::set<std::string>{"100"}) << "nothing left aside";
  }
}

TEST(AtomicDir, ErrorsLeaveBothSidesAlone) {
  const fs::path dir = fresh_dir("publish_errors");
  std::string err = error_of([&] { publish_dir_atomic((dir / "absent").string(), (dir / "final").string()); });
  EXPECT_NE(err.find("is not a directory"), std::string::npos) << err;

  const fs::path tmp = dir / "tmp";
  fs::create_directories(tmp);
  std::ofstream(tmp / "data") << "new";
  std::ofstream(dir / "final") << "a file, not a checkpoint";
  err = error_of([&] { publish_dir_atomic(tmp.string(), (dir / "final").string()); });
  EXPECT_NE(err.find((dir / "final").string()), std::string::npos) << err;
  EXPECT_EQ(slurp(tmp / "data"), "new");
  EXPECT_EQ(slurp(dir / "final"), "a file, not a checkpoint");
}

// What interrupted writes leave beside a path, whatever process left them,
// goes; everything else in the directory stays.
TEST(AtomicDir, RemoveStaleTemporaries) {
  const fs::path dir = fresh_dir("stale");
  const std::string last = (dir / "last").string();
  fs::create_directories(dir / "last");
  std::ofstream(dir / "last" / "keep") << "x";
  for (const char* junk : {".tmp-last-12345", ".last.new.999.0", ".last.old.77.3"}) {
    fs::create_directories(dir / junk);
    std::ofstream(dir / junk / "big") << std::string(1000, 'x');
  }
  std::ofstream(dir / ".last.tmp.5.1") << "half a file";
  for (const char* keep : {"other", ".tmp-lastx-1", ".last.new.x.0", ".last.new.1", ".lastly.new.1.2", ".tmp-last-1a"}) {
    std::ofstream(dir / keep) << "mine";
  }
  EXPECT_EQ(remove_stale_temporaries(last), 4);
  EXPECT_EQ(names_in(dir), (std::set<std::string>{".last.new.1", ".last.new.x.0", ".lastly.new.1.2", ".tmp-last-1a",
                                                  ".tmp-lastx-1", "last", "other"}));
  EXPECT_EQ(slurp(dir / "last" / "keep"), "x");
  EXPECT_EQ(remove_stale_temporaries((dir / "nowhere" / "last").string()), 0) << "a missing parent: nothing to do";
}

TEST(AtomicDir, TempDirBesideIsFreshAndPublishable) {
  const fs::path dir = fresh_dir("temp_dir");
  const std::string final_dir = (dir / "last").string();
  const std::string a = make_temp_dir_beside(final_dir), b = make_temp_dir_beside(final_dir);
  EXPECT_NE(a, b);
  EXPECT_TRUE(fs::is_directory(a));
  write_file_atomic(a + "/f", "1");
  publish_dir_atomic(a, final_dir);
  EXPECT_EQ(slurp(dir / "last" / "f"), "1");
  EXPECT_EQ(remove_stale_temporaries(final_dir), 1) << "b was never published";
}

}  // namespace
}  // namespace mecrl
