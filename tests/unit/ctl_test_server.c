/* SPDX-License-Identifier: BSD-3-Clause */
/* Placeholder: being written. */
#include "ctl_test.h"
int
ctl_test_server(void)
{
	return 0;
}
