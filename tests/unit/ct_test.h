/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Groups of the containers module's cmocka executable (test_containers.c).
 */
#ifndef CT_TEST_H
#define CT_TEST_H

/** Netlink group (netns, veth, addresses, routes, offloads); returns the failures. */
int ct_test_nl(void);

/** OCI group (bundles and the runtime, runc and crun); returns the failures. */
int ct_test_oci(void);
/** The CNI group (containers/ct_cni.c). */
int ct_test_cni(void);

/** State group (records on disk, argument checks); returns the failures. */
int ct_test_state(void);

#endif /* CT_TEST_H */
