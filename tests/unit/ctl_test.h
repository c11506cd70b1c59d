/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The groups of the control module's cmocka executable (test_control). Each
 * returns the number of failed tests.
 */
#ifndef CTL_TEST_H
#define CTL_TEST_H

/** The method table and JSON-RPC dispatcher (ctl_rpc.c). */
int ctl_test_rpc(void);

/** The control socket server (ctl_server.c). */
int ctl_test_server(void);

/** The CoAP endpoint (ctl_coap.c), with the real coap-client. */
int ctl_test_coap(void);

/** Validation of every mflowd method (ctl_methods.c). */
int ctl_test_methods(void);

#endif /* CTL_TEST_H */
