// remove_tree (core/remove_tree.h) against what remove_all's contract says,
// checked by looking at the file system afterwards: the tree is gone, a link
// inside it is removed without following it, a missing path is no error, a
// path that cannot exist is one.
#include "core/remove_tree.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "temp_dir.h"

namespace mecrl {
namespace {

namespace fs = std::filesystem;

void touch(const fs::path& p) { std::ofstream(p) << "x"; }

TEST(RemoveTree, RemovesADirectoryAndEverythingBelowWithoutFollowingLinks) {
  const fs::path root = testing::fresh_scratch_dir("remove_tree");
  const fs::path tree = root / "tree", outside = root / "outside";
  fs::create_directories(tree / "sub" / "deeper");
  fs::create_directories(outside);
  touch(tree / "a.txt");
  touch(tree / "sub" / "b.txt");
  touch(tree / "sub" / "deeper" / "c.bin");
  touch(tree / ".hidden");
  touch(outside / "keep.txt");
  fs::create_directory_symlink(outside, tree / "sub" / "link_to_outside");
  fs::create_symlink(root / "nowhere", tree / "dangling");

  std::error_code ec;
  EXPECT_TRUE(remove_tree(tree.string(), ec));
  EXPECT_FALSE(ec) << ec.message();
  EXPECT_FALSE(fs::exists(fs::symlink_status(tree)));
  EXPECT_TRUE(fs::exists(outside / "keep.txt"));  // the link went, not what it points to
  EXPECT_TRUE(fs::exists(root));
}

TEST(RemoveTree, AFileALinkAndAMissingPath) {
  const fs::path root = testing::fresh_scratch_dir("remove_tree_single");
  touch(root / "f");
  fs::create_directories(root / "d");
  fs::create_directory_symlink(root / "d", root / "l");
  std::error_code ec;
  EXPECT_TRUE(remove_tree((root / "f").string(), ec));
  EXPECT_FALSE(fs::exists(root / "f"));
  EXPECT_TRUE(remove_tree((root / "l").string(), ec));  // the link, not the directory
  EXPECT_FALSE(fs::exists(fs::symlink_status(root / "l")));
  EXPECT_TRUE(fs::is_directory(root / "d"));
  EXPECT_FALSE(remove_tree((root / "never_was").string(), ec));
  EXPECT_FALSE(ec);
  EXPECT_FALSE(remove_tree((root / "never_was").string()));  // the throwing form: nothing to throw
}

TEST(RemoveTree, APathThroughAFileIsAnErrorNamingIt) {
  const fs::path root = testing::fresh_scratch_dir("remove_tree_error");
  touch(root / "file");
  const std::string bad = (root / "file" / "below").string();
  std::error_code ec;
  EXPECT_FALSE(remove_tree(bad, ec));
  EXPECT_EQ(ec, std::errc::not_a_directory);
  try {
    remove_tree(bad);
    FAIL() << "no IoError";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find(bad), std::string::npos) << e.what();
    EXPECT_EQ(e.code(), ENOTDIR);
  }
}

}  // namespace
}  // namespace mecrl
