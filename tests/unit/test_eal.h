/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * EAL start-up for the unit tests: no hugepages, no devices, a runtime
 * directory of the test's own that is removed at exit, so that tests can
 * run in parallel and leave nothing behind.
 */
#ifndef TEST_EAL_H
#define TEST_EAL_H

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_eal.h>

static char test_eal_rundir[4096];

static int
test_eal_rm(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

static void
test_eal_cleanup(void)
{
	if (test_eal_rundir[0] != '\0')
		nftw(test_eal_rundir, test_eal_rm, 8, FTW_DEPTH | FTW_PHYS);
}

/** Remove EAL's runtime directory when the process exits. Call after rte_eal_init(). */
static inline void
test_eal_cleanup_at_exit(void)
{
	snprintf(test_eal_rundir, sizeof(test_eal_rundir), "%s", rte_eal_get_runtime_dir());
	atexit(test_eal_cleanup);
}

/**
 * Start EAL for a test.
 *
 * @param name
 *   The test's name, for the runtime directory.
 * @param lcores
 *   The -l argument, or the --lcores argument when it maps lcores to CPUs
 *   (contains '@').
 * @return
 *   0, or -1 with a message on stderr.
 */
static inline int
test_eal_init(const char *name, const char *lcores)
{
	char prefix[128], lc[64], lcopt[16];
	char *argv[] = {(char *)name,
			"--no-huge",
			"-m",
			"256",
			"--no-pci",
			"--no-shconf",
			"--no-telemetry",
			prefix,
			lcopt,
			lc,
			"--log-level=*:error",
			NULL};

	snprintf(prefix, sizeof(prefix), "--file-prefix=%s-%d", name, (int)getpid());
	snprintf(lc, sizeof(lc), "%s", lcores);
	snprintf(lcopt, sizeof(lcopt), "%s", strchr(lcores, '@') != NULL ? "--lcores" : "-l");
	if (rte_eal_init((int)RTE_DIM(argv) - 1, argv) < 0) {
		fprintf(stderr, "%s: EAL initialisation failed\n", name);
		return -1;
	}
	test_eal_cleanup_at_exit();
	return 0;
}

#endif /* TEST_EAL_H */
