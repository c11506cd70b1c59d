/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The containers module's cmocka executable: one group per source file.
 * The netlink and OCI groups need root; they skip when not run as root.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "ct_test.h"

int
main(void)
{
	int failed = 0;

	failed += ct_test_state();
	failed += ct_test_nl();
	failed += ct_test_oci();
	failed += ct_test_cni();
	return failed != 0;
}
