#include "config.h"
#include "sha1.h"
