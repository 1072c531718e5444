#include "compiler/load/inputs.h"

#include <sys/mman.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

namespace fs = std::filesystem;

namespace nv::load {

namespace {

// Where the arenas of the YAML trees get their blocks: large ones from the kernel as
// transparent huge pages where it allows them (madvise mode), the rest from the heap.
// A 20 MB inventory's trees are 70 MB written once: in 4 KiB pages, 18,000 page faults.
class HugeBlocks : public std::pmr::memory_resource {
  static constexpr size_t kHuge = size_t{2} << 20, kPage = 4096;  // mmap aligns to a page
  static size_t rounded(size_t bytes) { return (bytes + kHuge - 1) / kHuge * kHuge; }
  void* do_allocate(size_t bytes, size_t align) override {
    if (bytes < kHuge || align > kPage)
      return std::pmr::new_delete_resource()->allocate(bytes, align);
    void* p =
        mmap(nullptr, rounded(bytes), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
    madvise(p, rounded(bytes), MADV_HUGEPAGE);  // best effort
    return p;
  }
  void do_deallocate(void* p, size_t bytes, size_t align) override {
    if (bytes < kHuge || align > kPage)
      return std::pmr::new_delete_resource()->deallocate(p, bytes, align);
    munmap(p, rounded(bytes));
  }
  bool do_is_equal(const std::pmr::memory_resource& o) const noexcept override {
    return this == &o;
  }
};

std::pmr::memory_resource* huge_blocks() {
  static HugeBlocks r;
  return &r;
}

}  // namespace

std::string Object::group() const {
  auto slash = api_version.find('/');
  return slash == std::string::npos ? "" : api_version.substr(0, slash);
}

static bool yaml_name(const fs::path& p) {
  auto ext = p.extension().string();
  return ext == ".yaml" || ext == ".yml" || ext == ".json";
}

void InputSet::add_path(const std::string& path) {
  if (path == "-") {
    if (stdin_read_) return;
    stdin_read_ = true;
    std::string text{std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>()};
    add_text("<stdin>", std::move(text));
    return;
  }
  std::error_code ec;
  auto status = fs::status(path, ec);
  if (ec || !fs::exists(status)) {
    diags_->report(ir::Code::NV1001, {path, 0, 0, 0}, "cannot read: no such file or directory");
    return;
  }
  if (fs::is_directory(status)) {
    std::vector<fs::path> files;
    fs::recursive_directory_iterator it(path, ec), end;
    for (; !ec && it != end; it.increment(ec)) {
      if (!yaml_name(it->path())) continue;
      std::error_code fec;
      if (it->is_regular_file(fec)) {
        files.push_back(it->path());
      } else if (it->is_symlink(fec) && !fs::exists(it->path(), fec)) {
        diags_->report(ir::Code::NV1001, {it->path().string(), 0, 0, 0},
                       "cannot read: a symbolic link to nothing");
      }
    }
    if (ec)
      diags_->report(ir::Code::NV1001, {path, 0, 0, 0}, "cannot read directory: " + ec.message());
    std::sort(files.begin(), files.end());
    for (const auto& f : files) add_path(f.string());
    return;
  }
  std::string text;
  if (!read_file(path, fs::is_regular_file(status), text)) {
    diags_->report(ir::Code::NV1001, {path, 0, 0, 0}, "cannot read file");
    return;
  }
  add_text(path, std::move(text));
}

// A regular file is read in one piece into a string of its size; anything else (a pipe,
// /dev/stdin) through a stream.
bool InputSet::read_file(const std::string& path, bool regular, std::string& text) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  if (regular) {
    std::error_code ec;
    auto size = fs::file_size(path, ec);
    if (!ec) {
      text.resize(size);
      in.read(text.data(), static_cast<std::streamsize>(size));
      if (static_cast<uintmax_t>(in.gcount()) == size &&
          in.peek() == std::ifstream::traits_type::eof())
        return !in.bad();
      // The file changed size while we read it: read it again as a stream.
      in.clear();
      in.seekg(0);
      if (!in) return false;
    }
  }
  std::ostringstream buf;
  buf << in.rdbuf();
  if (!in || in.bad()) return false;
  text = std::move(buf).str();
  return true;
}

void InputSet::add_text(const std::string& name, std::string text) {
  const std::string& stored = sources_->add(name, std::move(text));
  auto& arena = arenas_.emplace_back(std::max<size_t>(stored.size() * 2, 4096), huge_blocks());
  auto& second = arenas_.emplace_back(std::max<size_t>(stored.size(), 4096), huge_blocks());
  docs_.push_back(parse_yaml(stored, name, *diags_, arena, {}, &second));
  const auto& docs = docs_.back();
  for (size_t i = 0; i < docs.size(); ++i) {
    if (docs[i].is_null()) continue;  // empty or comment-only document
    add_object(docs[i], name, static_cast<int>(i), "", "");
  }
}

static std::string scalar_or_empty(const YNode* n) {
  return n && n->is_scalar() ? std::string(n->value) : "";
}

void InputSet::add_object(const YNode& n, const std::string& file, int doc,
                          const std::string& list_api, const std::string& list_kind) {
  ir::SourceSpan span{file, doc, n.line, n.col};
  if (!n.is_map()) {
    diags_->report(
        ir::Code::NV1010, span,
        std::string("expected a Kubernetes object (a mapping), found a ") + kind_name(n.kind));
    return;
  }
  Object o;
  o.node = &n;
  o.span = span;
  o.api_version = scalar_or_empty(n.get("apiVersion"));
  o.kind = scalar_or_empty(n.get("kind"));
  // Items of a typed list (NetworkPolicyList) may omit their kind and apiVersion.
  // Items of a plain `kind: List` carry their own; a typo must not inherit "v1".
  bool typed_list = !list_kind.empty() && list_kind != "List";
  if (o.kind.empty() && typed_list) o.kind = list_kind.substr(0, list_kind.size() - 4);
  if (o.api_version.empty() && typed_list) o.api_version = list_api;
  if (o.kind.empty() || o.api_version.empty()) {
    diags_->report(ir::Code::NV1011, span,
                   o.kind.empty() ? "object has no `kind`" : "object has no `apiVersion`");
    return;
  }
  const YNode* items = n.get("items");
  if (o.kind == "List" || (o.kind.size() > 4 && o.kind.ends_with("List") && items)) {
    if (items && !items->is_seq()) {
      diags_->report(ir::Code::NV1021, {file, doc, items->line, items->col},
                     "`items` of a " + o.kind + " must be a list");
      return;
    }
    if (items)
      for (const auto& item : items->items()) add_object(item, file, doc, o.api_version, o.kind);
    return;
  }
  if (const YNode* md = n.get("metadata"); md && md->is_map()) {
    o.name = scalar_or_empty(md->get("name"));
    o.ns = scalar_or_empty(md->get("namespace"));
  }
  objects_.push_back(std::move(o));
}

}  // namespace nv::load
