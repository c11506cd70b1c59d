/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Name tables generated from the drop and counter X-macro lists.
 */
#include <errno.h>
#include <string.h>

#include "vx_drop.h"

const char *const vx_drop_names[VX_DROP__MAX] = {
#define VX_DROP(name, desc) [VX_DROP_##name] = #name,
#include "vx_drop.def"
#undef VX_DROP
};

const char *const vx_drop_descs[VX_DROP__MAX] = {
#define VX_DROP(name, desc) [VX_DROP_##name] = desc,
#include "vx_drop.def"
#undef VX_DROP
};

const char *const vx_stat_names[VX_STAT__MAX] = {
#define VX_STAT(name, desc) [VX_STAT_##name] = #name,
#include "vx_stats.def"
#undef VX_STAT
};

const char *const vx_stat_descs[VX_STAT__MAX] = {
#define VX_STAT(name, desc) [VX_STAT_##name] = desc,
#include "vx_stats.def"
#undef VX_STAT
};

void
vx_stats_add(struct vx_stats *dst, const struct vx_stats *src)
{
	for (unsigned int i = 0; i < VX_DROP__MAX; i++)
		dst->drop[i] += src->drop[i];
	for (unsigned int i = 0; i < VX_STAT__MAX; i++)
		dst->stat[i] += src->stat[i];
}

int
vx_drop_lookup(const char *name)
{
	for (unsigned int i = 0; i < VX_DROP__MAX; i++)
		if (strcmp(vx_drop_names[i], name) == 0)
			return (int)i;
	return -ENOENT;
}
