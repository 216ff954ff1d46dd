#include "config.h"

#include "common.h"

int cmd_shm(int argc, char **argv)
{
	(void)argc;
	return fail("%s: not built yet", argv[0]);
}
