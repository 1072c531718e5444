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

// Children are allocated from `arena` (the default resource when null), which must outlive
// the trees. `duplicate_keys`, when given, is set to whether some mapping repeats a key
// (check_duplicate_keys then reports them; a tree without is not walked again).
std::optional<std::vector<YNode>> parse_yaml_fast(std::string_view text,
                                                  std::pmr::memory_resource* arena = nullptr,
                                                  bool* duplicate_keys = nullptr);

// The same, read on two threads when `text` is at least `min_size` bytes of one block-style
// List (as `kubectl get -o yaml` prints): the second half of its `items` is read on
// another thread into `second_arena` (fast_yaml_split.cpp). Returns exactly what
// parse_yaml_fast returns, trees, positions and duplicate flag, and reads the text in one
// piece whenever it is of another shape.
std::optional<std::vector<YNode>> parse_yaml_fast_split(std::string_view text,
                                                        std::pmr::memory_resource* arena,
                                                        std::pmr::memory_resource* second_arena,
                                                        bool* duplicate_keys = nullptr,
                                                        size_t min_size = size_t{4} << 20);

}  // namespace nv::load
