// Placeholder: being written (translation-validation parsers).
#include "compiler/backends/firewall.h"
