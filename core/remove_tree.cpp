#include "core/remove_tree.h"

#include <fmt/format.h>
#include <ftw.h>
#include <unistd.h>

#include <cerrno>

#include "core/error.h"

namespace mecrl {
namespace {

// nftw callback, children before their directory (FTW_DEPTH). A non-zero
// return stops the walk and is what nftw returns: the errno of the failure.
int remove_entry(const char* path, const struct stat*, int kind, struct FTW*) {
  const int r = kind == FTW_DP ? ::rmdir(path) : ::unlink(path);  // FTW_F, FTW_SL, FTW_SLN, FTW_NS
  if (r == 0 || errno == ENOENT) return 0;
  return errno;
}

}  // namespace

bool remove_tree(const std::string& path, std::error_code& ec) {
  ec.clear();
  // FTW_PHYS: links are entries, not followed (a link or a file as `path`
  // is one entry). 16 descriptors at most.
  const int r = ::nftw(path.c_str(), remove_entry, 16, FTW_DEPTH | FTW_PHYS);
  if (r == 0) return true;
  if (r < 0 && errno == ENOENT) return false;  // nothing there
  ec.assign(r > 0 ? r : errno, std::generic_category());
  return false;
}

bool remove_tree(const std::string& path) {
  std::error_code ec;
  const bool removed = remove_tree(path, ec);
  if (ec) throw IoError(fmt::format("cannot remove '{}': {}", path, ec.message()), ec.value());
  return removed;
}

}  // namespace mecrl
