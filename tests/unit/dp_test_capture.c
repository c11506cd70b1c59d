/* SPDX-License-Identifier: BSD-3-Clause */
/* Placeholder: being written. */
#include "dp_test.h"
int
dp_test_capture(void)
{
	return 0;
}
