/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target of the container parsers that see untrusted input: the
 * params of container.create (from the control socket and CoAP) through
 * ct_create_args_from_json() and ct_create_args_check(), and container
 * records (files on disk) through ct_rec_from_json(). A record that loads
 * must serialise and load again to the same JSON.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ct_state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *j = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
	struct ct_create_args a;
	struct ct_rec rec, back;
	char err[256];

	if (j == NULL)
		return 0;
	ct_create_args_init(&a);
	if (ct_create_args_from_json(j, &a, err, sizeof(err)) == 0 &&
	    ct_create_args_check(&a, err, sizeof(err)) == 0 &&
	    ct_rec_init(&rec, &a, "runc", err, sizeof(err)) == 0)
		ct_rec_fini(&rec);
	ct_create_args_fini(&a);

	memset(&rec, 0, sizeof(rec));
	if (ct_rec_from_json(j, &rec, err, sizeof(err)) == 0) {
		json_t *again = ct_rec_json(&rec);

		memset(&back, 0, sizeof(back));
		if (again == NULL || ct_rec_from_json(again, &back, err, sizeof(err)) != 0)
			abort();
		ct_rec_fini(&back);
		json_decref(again);
		ct_rec_fini(&rec);
	}
	json_decref(j);
	return 0;
}
