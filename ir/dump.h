// A stable text dump of the IR: same IR, same bytes. Used for goldens and `netverify dump`.
#pragma once

#include <string>

#include "ir/inventory.h"
#include "ir/model.h"

namespace nv::ir {

std::string dump(const PolicySet& ps);
std::string dump(const Inventory& inv);

}  // namespace nv::ir
