// A fast reader for the YAML that machines print: the block-style subset of
// `kubectl get -o yaml`, helm and kustomize output, and JSON (`kubectl get -o json`).
//
// yaml-cpp 0.7 reads about 7 MB/s; a 100,000-pod inventory is ~90 MB. This reader is an
// order of magnitude faster, and deliberately narrow: on anything outside its subset
// (anchors, tags, directives, multi-line plain scalars, folded scalars, complex keys, any
// syntax error) it returns nullopt and the caller uses yaml-cpp, which stays the single
// authority on error messages. Where it does answer, its tree equals yaml-cpp's, node for
// node and position for position; a differential fuzz target checks exactly that.
#pragma once

#include <memory_resource>
#include <optional>
#include <string_view>
#include <vector>

#include "compiler/load/yaml_tree.h"

namespace nv::load {

// The trees point into `text` and `arena` (their children, and the scalars the source
// spells otherwise), which must outlive them. `duplicate_keys`, when given, is set to
// whether some mapping repeats a key (check_duplicate_keys then reports them; a tree
// without is not walked again).
//
// `window` is for parse_yaml_fast_split: the text is read as if the whole lines in
// [gap_begin, gap_end) were not there, and its first line is numbered `first_line`, so
// that positions are those of a larger text the two threads read parts of.
struct ReadWindow {
  size_t gap_begin = 0, gap_end = 0;
  int gap_lines = 0;  // line breaks in the gap
  int first_line = 1;
};
std::optional<std::vector<YNode>> parse_yaml_fast(std::string_view text,
                                                  std::pmr::memory_resource& arena,
                                                  bool* duplicate_keys = nullptr,
                                                  const ReadWindow& window = {});

// The same, read on two threads when `text` is at least `min_size` bytes of one block-style
// List (as `kubectl get -o yaml` prints): the second half of its `items` is read on
// another thread into `second_arena` (fast_yaml_split.cpp), which must outlive the trees
// too. Returns exactly what parse_yaml_fast returns, trees, positions and duplicate flag,
// and reads the text in one piece whenever it is of another shape.
std::optional<std::vector<YNode>> parse_yaml_fast_split(std::string_view text,
                                                        std::pmr::memory_resource& arena,
                                                        std::pmr::memory_resource* second_arena,
                                                        bool* duplicate_keys = nullptr,
                                                        size_t min_size = size_t{4} << 20);

}  // namespace nv::load
