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
// alone is a well-formed document (a sequence), read on another thread; this thread reads
// the rest, the reader stepping over the second half's lines (ReadWindow). Both number
// lines as the whole text does. The second half's items are then appended to the first's
// `items`. Anything outside this shape (several documents, directives, carriage returns,
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

int lines_in(std::string_view t) { return static_cast<int>(std::count(t.begin(), t.end(), '\n')); }

}  // namespace

std::optional<std::vector<YNode>> parse_yaml_fast_split(std::string_view text,
                                                        std::pmr::memory_resource& arena,
                                                        std::pmr::memory_resource* second_arena,
                                                        bool* duplicate_keys, size_t min_size) {
  auto whole = [&] { return parse_yaml_fast(text, arena, duplicate_keys); };
  size_t begin = 0, end = 0;
  if (text.size() < min_size || !second_arena || !find_items(text, begin, end)) return whole();
  size_t split = text.find("\n- ", begin + (end - begin) / 2);
  if (split == std::string_view::npos || split + 1 >= end) return whole();
  ++split;

  // Both readers read `text` itself (their trees' scalars are views of it), with the
  // positions of the whole text: this thread around the second half, the other thread
  // the second half only.
  const int before = lines_in(text.substr(0, split));
  const int second = lines_in(text.substr(split, end - split));
  std::optional<std::vector<YNode>> tail;
  bool tail_duplicates = false;
  std::jthread reader([&] {  // joined below, or on unwinding
    try {
      tail = parse_yaml_fast(text.substr(split, end - split), *second_arena, &tail_duplicates,
                             {.first_line = before + 1});
    } catch (...) {  // out of memory: the whole text is read again here, and fails here
      tail.reset();
    }
  });
  bool head_duplicates = false;
  std::optional<std::vector<YNode>> docs = parse_yaml_fast(
      text, arena, &head_duplicates, {.gap_begin = split, .gap_end = end, .gap_lines = second});
  reader.join();

  YNode* items = nullptr;
  int found = 0;
  if (docs && docs->size() == 1 && (*docs)[0].is_map()) {
    YNode& root = (*docs)[0];
    const size_t n = root.keys().size();
    for (size_t i = 0; i < n; ++i)
      if (root.keys()[i].is_scalar() && root.keys()[i].value == "items" && ++found &&
          root.values()[i].is_seq())
        items = &root.mutable_children()[n + i];
  }
  if (!items || found != 1 || !tail || tail->size() != 1 || !(*tail)[0].is_seq()) return whole();
  // The items of both halves, in one array of the first arena (theirs stay where they are).
  auto first = items->items(), more = (*tail)[0].items();
  YNode* all = new_nodes(arena, first.size() + more.size());
  std::copy(more.begin(), more.end(), std::copy(first.begin(), first.end(), all));
  items->set_children(all, first.size() + more.size());
  if (duplicate_keys) *duplicate_keys = head_duplicates || tail_duplicates;
  return docs;
}

}  // namespace nv::load
