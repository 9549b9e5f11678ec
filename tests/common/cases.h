/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The request table: well-formed and malformed data and control requests
 * with the status the spec (virtio-accel-spec/virtio-accel.md, section 7.4
 * and 8) requires. One table, used twice: tests/unit checks the shared
 * validator against it, tests/conformance sends every row to a live device.
 */
#ifndef TESTS_CASES_H
#define TESTS_CASES_H

#include <stdint.h>
#include <stddef.h>
#include <linux/virtio_accel.h>

/* Which session a row's request names. */
#define CS_NONE		0 /* session 0 */
#define CS_BOGUS	1 /* an id no session has */
#define CS_PLAIN	2 /* a session made for the row's (op, algo) */
#define CS_STREAM	3 /* a fresh stream session */
#define CS_ACTIVE	4 /* a stream session with one non-final request done */
#define CS_OTHER	5 /* a session made for another (op, algo) */

/* Symbolic lengths resolved against the device's limits. */
#define L_MAXDATA1	0xfffffff0u /* max_data_len + 1 */
#define L_MAXAAD1	0xfffffff1u /* max_aad_len + 1 */

/* Flags of a row. */
#define CF_UNIT_ONLY	(1u << 0) /* needs limits a live device may not have */
#define CF_NO_STATELESS	(1u << 1) /* validate as if STATELESS not negotiated */
#define CF_NOT_IMPL	(1u << 2) /* validate with the pair not implemented */

struct accel_case {
	const char *label;	/* spec clause the row checks */
	const char *name;
	uint32_t opcode;
	uint32_t algo;
	uint32_t flags;		/* request flags */
	int sess;		/* CS_* */
	uint32_t key_len, iv_len, aad_len, src_len, dst_len;
	int64_t rd_adj;		/* readable bytes sent minus declared total */
	int64_t wr_adj;		/* writable bytes sent minus declared total */
	uint8_t rsvd;		/* if non-zero, reserved[rsvd - 1] := 0xff */
	uint8_t expect;		/* VIRTIO_ACCEL_* */
	uint32_t cflags;	/* CF_* */
};

struct accel_ctrl_case {
	const char *label;
	const char *name;
	uint32_t opcode;
	uint32_t algo;
	uint32_t op;
	uint32_t flags;
	uint64_t session_id;
	uint32_t key_len;
	int64_t rd_adj;
	int64_t wr_adj;		/* writable beyond the 16-byte response */
	uint32_t reserved;
	uint8_t expect;
	uint32_t cflags;
};

extern const struct accel_case accel_cases[];
extern const unsigned int accel_n_cases;
extern const struct accel_ctrl_case accel_ctrl_cases[];
extern const unsigned int accel_n_ctrl_cases;

/*
 * Bytes a row actually sends. Declared totals above CASE_CAP are not sent in
 * full: such a row sends the header and 64 bytes (readable) or just the
 * response (writable); every such row expects BADMSG.
 */
#define CASE_CAP (8u << 20)

struct case_lims {
	uint32_t max_data_len;
	uint32_t max_aad_len;
};

uint64_t case_rd_len(const struct accel_case *c, const struct case_lims *l);
uint64_t case_wr_len(const struct accel_case *c, const struct case_lims *l);
/* Fill the request header of a row (little-endian, as on the wire). */
void case_hdr(const struct accel_case *c, const struct case_lims *l,
	      uint64_t session_id, struct virtio_accel_op_req *req);
/* Build the readable bytes (header + pattern); returns case_rd_len(). */
uint64_t case_build_rd(const struct accel_case *c, const struct case_lims *l,
		       uint64_t session_id, uint8_t *buf);

uint64_t ctrl_case_rd_len(const struct accel_ctrl_case *c);
uint64_t ctrl_case_wr_len(const struct accel_ctrl_case *c);
void ctrl_case_hdr(const struct accel_ctrl_case *c,
		   struct virtio_accel_ctrl_req *req);

/*
 * Run every row labelled @label (data rows through @row, control rows through
 * @ctrl), leaving out rows with any of @skip in their cflags. Returns the
 * number of failed rows; *n is set to the number of rows run.
 */
unsigned int case_run_label(const char *label, uint32_t skip,
			    int (*row)(const struct accel_case *),
			    int (*ctrl)(const struct accel_ctrl_case *),
			    unsigned int *n);

#endif /* TESTS_CASES_H */
