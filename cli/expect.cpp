#include "cli/expect.h"
