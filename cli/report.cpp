#include "cli/report.h"
