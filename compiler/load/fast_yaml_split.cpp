// parse_yaml_fast_split: a large `kubectl get -o yaml` List read on two threads.
//
// kubectl prints one block-style document, a mapping whose `items:` is a block sequence
// at column 0:
//
//   apiVersion: v1
//   items:
//   - apiVersion: v1        <- every item begins with "- " at column 0; nothing
//     kind: Pod                else in the sequence starts at column 0
//     ...
//   kind: List
//   metadata: ...
//
// The text is cut at an item boundary near the middle of the sequence. The second half
// alone is a well-formed document (a sequence), read on another thread; the first half
// with the prefix and the suffix glued back is read here. The second half's items are
// then appended to the first's `items`, and line numbers shifted back to the whole
// text's. Anything outside this shape (several documents, directives, carriage returns,
// a comment at column 0, `items` not followed by "- ") is read in one piece, as is a
// text whose halves the fast reader does not take: the answer is always exactly
// parse_yaml_fast's.
#include <algorithm>
#include <string>
#include <thread>

#include "compiler/load/fast_yaml.h"

namespace nv::load {

namespace {

// Where the item sequence begins and ends (line starts), or false.
bool find_items(std::string_view t, size_t& begin, size_t& end) {
  if (t.find('\r') != std::string_view::npos || t.starts_with("---") || t.starts_with("%") ||
      t.starts_with("#") || t.find("\n---") != std::string_view::npos ||
      t.find("\n...") != std::string_view::npos || t.find("\n%") != std::string_view::npos)
    return false;
  size_t at = t.starts_with("items:\n") ? 0 : t.find("\nitems:\n");
  if (at == std::string_view::npos) return false;
  begin = at == 0 ? 7 : at + 8;
  if (t.substr(begin, 2) != "- ") return false;
  // The sequence ends before the first line at column 0 that is not an item's first line.
  end = begin;
  while (true) {
    size_t nl = t.find('\n', end);
    if (nl == std::string_view::npos) {
      end = t.size();
      break;
    }
    end = nl + 1;
    if (end == t.size()) break;
    char c = t[end];
    // A comment, or "-" not followed by a space: an item on the next line, or a root key
    // that begins with a dash (an error before an item: read it whole).
    if (c == '#' || (c == '-' && t.substr(end, 2) != "- ")) return false;
    if (c != ' ' && c != '\n' && c != '-') break;
  }
  return true;
}

size_t lines_in(std::string_view t) {
  return static_cast<size_t>(std::count(t.begin(), t.end(), '\n'));
}

void shift_lines(YNode& n, int above, int by) {
  if (n.line > above) n.line += by;
  for (auto& c : n.items) shift_lines(c, above, by);
  for (auto& c : n.keys) shift_lines(c, above, by);
  for (auto& c : n.values) shift_lines(c, above, by);
}

}  // namespace

std::optional<std::vector<YNode>> parse_yaml_fast_split(std::string_view text,
                                                        std::pmr::memory_resource* arena,
                                                        std::pmr::memory_resource* second_arena,
                                                        bool* duplicate_keys, size_t min_size) {
  auto whole = [&] { return parse_yaml_fast(text, arena, duplicate_keys); };
  size_t begin = 0, end = 0;
  if (text.size() < min_size || !second_arena || !find_items(text, begin, end)) return whole();
  size_t split = text.find("\n- ", begin + (end - begin) / 2);
  if (split == std::string_view::npos || split + 1 >= end) return whole();
  ++split;

  const int before = static_cast<int>(lines_in(text.substr(0, split)));
  const int second = static_cast<int>(lines_in(text.substr(split, end - split)));
  std::optional<std::vector<YNode>> tail;
  bool tail_duplicates = false;
  std::jthread reader([&] {  // joined below, or on unwinding
    try {
      tail = parse_yaml_fast(text.substr(split, end - split), second_arena, &tail_duplicates);
      if (tail)
        for (auto& d : *tail) shift_lines(d, 0, before);
    } catch (...) {  // out of memory: the whole text is read again here, and fails here
      tail.reset();
    }
  });
  std::string head;
  head.reserve(split + text.size() - end);
  head.append(text.substr(0, split)).append(text.substr(end));
  bool head_duplicates = false;
  std::optional<std::vector<YNode>> docs = parse_yaml_fast(head, arena, &head_duplicates);
  reader.join();

  YNode* items = nullptr;
  int found = 0;
  if (docs && docs->size() == 1 && (*docs)[0].is_map()) {
    YNode& root = (*docs)[0];
    for (size_t i = 0; i < root.keys.size(); ++i)
      if (root.keys[i].is_scalar() && root.keys[i].value == "items" && ++found &&
          root.values[i].is_seq())
        items = &root.values[i];
  }
  if (!items || found != 1 || !tail || tail->size() != 1 || !(*tail)[0].is_seq()) return whole();
  shift_lines((*docs)[0], before, second);
  YNode::List& more = (*tail)[0].items;
  items->items.reserve(items->items.size() + more.size());
  for (auto& n : more) items->items.push_back(std::move(n));
  if (duplicate_keys) *duplicate_keys = head_duplicates || tail_duplicates;
  return docs;
}

}  // namespace nv::load
