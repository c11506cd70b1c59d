/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target of mflow-cni's parsers of untrusted input: the network
 * configuration a runtime writes on stdin, through ct_cni_conf_parse() for
 * every command, and an IPAM plugin's result, through ct_cni_result() with
 * the input taken as that result. A configuration that parses must give a
 * result or NULL, never crash; its error object must always build.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ct_cni.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t mac[6] = {2, 0, 0, 0, 0, 1};
	static const char base[] = "{\"cniVersion\": \"1.0.0\", \"name\": \"n\", \"vni\": 1}";
	struct ct_cni_conf conf;
	struct ct_cni_error e;
	json_t *ipam, *r;

	for (int cmd = CT_CNI_ADD; cmd <= CT_CNI_GC; cmd++) {
		memset(&e, 0, sizeof(e));
		if (ct_cni_conf_parse((const char *)data, size, (enum ct_cni_cmd)cmd, &conf, &e) ==
		    0) {
			r = ct_cni_result(&conf, NULL, "h", mac, "eth0", mac, "/x");
			json_decref(r);
			ct_cni_conf_fini(&conf);
		} else {
			r = ct_cni_error_json(&e, conf.version);
			if (r == NULL)
				abort();
			json_decref(r);
		}
	}
	/* The same bytes as an IPAM result. */
	ipam = json_loadb((const char *)data, size, 0, NULL);
	if (ipam != NULL && ct_cni_conf_parse(base, strlen(base), CT_CNI_ADD, &conf, &e) == 0) {
		r = ct_cni_result(&conf, ipam, "h", mac, "eth0", mac, "/x");
		json_decref(r);
		ct_cni_conf_fini(&conf);
	}
	json_decref(ipam);
	return 0;
}
