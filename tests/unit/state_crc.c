// SPDX-License-Identifier: BSD-3-Clause
/* See state_crc.h. Byte at a time: no unaligned loads for UBSan. */
#include <stdint.h>

#include <rte_crc_sw.h>

#include "state_crc.h"

uint32_t state_test_crc32c(uint32_t crc, const void *p, uint32_t len)
{
	const uint8_t *b = p;

	while (len--)
		crc = crc32c_1byte(*b++, crc);
	return crc;
}
