// SPDX-License-Identifier: BSD-3-Clause
/*
 * Unit tests of the back-end's librte_vhost glue
 * (vhost-user-backend/src/vhost.c) with librte_vhost and the worker mocked
 * (mock_vhost.c): the messages it answers itself (GET_CONFIG, GET_QUEUE_NUM,
 * SET_CONFIG), parking the worker around the others, and the regression the
 * fuzzer found (tests/fuzz/corpus/vhost_msg/regress-msg-paused-destroy): a
 * message that parked the worker and whose post handler never ran, then
 * destroy_device and new_device, made the next message re-read the rings
 * under the freshly started worker.
 */
#include <string.h>

#include "unit.h"
#include "mock_backend.h"
#include "mock_vhost.h"
#include "../../vhost-user-backend/src/backend.h"

/* librte_vhost's struct vhu_msg_context, as vhost.c and vumsg.c see it */
struct msg {
	uint32_t request;
	uint32_t flags;
	uint32_t size;
	union {
		uint64_t u64;
		struct {
			uint32_t offset;
			uint32_t size;
			uint32_t flags;
			uint8_t region[256];
		} cfg;
		uint8_t raw[632];
	} payload;
	int fds[8];
	int fd_num;
} __attribute__((packed));

#define GET_FEATURES	1
#define SET_VRING_KICK	12
#define GET_QUEUE_NUM	17
#define GET_CONFIG	24
#define SET_CONFIG	25

/* one device, as main.c sets it up for one --socket-path */
static struct va_dev vh_dev;

static int vh_init(void)
{
	mock_vhost_reset();
	va_opts.socket_path = "/nonexistent/test-vhost.sock";
	va_opts.queues = 2;
	vh_dev = (struct va_dev){ .vid = -1, .path = va_opts.socket_path };
	va_devs = &vh_dev;
	va_ndevs = 1;
	if (va_sessions_init(&vh_dev, va_opts.max_sessions) ||
	    va_vhost_start() || !mock_vhost_ops)
		return -1;
	return 0;
}

static int vh_fini(void)
{
	va_vhost_stop();
	va_sessions_fini(&vh_dev);
	vh_dev = (struct va_dev){ .vid = -1 };
	va_devs = NULL;
	va_ndevs = 0;
	return 0;
}

static int pre(uint32_t request, struct msg *m)
{
	memset(m, 0, sizeof(*m));
	m->request = request;
	m->flags = 1;
	m->size = 8;
	/* queue 0, no file descriptor (as vumsg.c requires) */
	if (request == SET_VRING_KICK)
		m->payload.u64 = 0x100;
	return mock_vhost_xops->pre_msg_handle(0, m);
}

static void post(struct msg *m)
{
	mock_vhost_xops->post_msg_handle(0, m);
}

static void t_answers(void)
{
	struct msg m;

	CU_ASSERT_EQUAL_FATAL(mock_vhost_ops->new_connection(0), 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(mock_vhost_xops);
	/* GET_CONFIG: the bytes asked for, or an empty reply */
	memset(&m, 0, sizeof(m));
	m.request = GET_CONFIG;
	m.size = 12 + 8;
	m.payload.cfg.offset = 4;
	m.payload.cfg.size = 8;
	CU_ASSERT_EQUAL(mock_vhost_xops->pre_msg_handle(0, &m),
			RTE_VHOST_MSG_RESULT_REPLY);
	CU_ASSERT_EQUAL(m.size, 12 + 8);
	CU_ASSERT_EQUAL(memcmp(m.payload.cfg.region,
			       (uint8_t *)&vh_dev.cfg + 4, 8), 0);
	m.size = 12 + 8;
	m.payload.cfg.offset = 30;
	m.payload.cfg.size = 4;
	CU_ASSERT_EQUAL(mock_vhost_xops->pre_msg_handle(0, &m),
			RTE_VHOST_MSG_RESULT_REPLY);
	CU_ASSERT_EQUAL(m.size, 0);
	/* GET_QUEUE_NUM: control queue + data queues */
	CU_ASSERT_EQUAL(pre(GET_QUEUE_NUM, &m), RTE_VHOST_MSG_RESULT_REPLY);
	CU_ASSERT_EQUAL(m.size, 8);
	CU_ASSERT_EQUAL(m.payload.u64, 3);
	/* SET_CONFIG: read-only configuration */
	CU_ASSERT_EQUAL(pre(SET_CONFIG, &m), RTE_VHOST_MSG_RESULT_OK);
	/* another vid's message is not ours */
	m.request = GET_QUEUE_NUM;
	CU_ASSERT_EQUAL(mock_vhost_xops->pre_msg_handle(1, &m),
			RTE_VHOST_MSG_RESULT_NOT_HANDLED);
	mock_vhost_ops->destroy_connection(0);
	CU_ASSERT_EQUAL(vh_dev.vid, -1);
}

/* Messages that may change rings park the worker until the post handler. */
static void t_parking(void)
{
	struct msg m;

	CU_ASSERT_EQUAL_FATAL(mock_vhost_ops->new_connection(0), 0);
	mock_vhost_features = 1ull << VIRTIO_ACCEL_F_STATELESS;
	CU_ASSERT_EQUAL_FATAL(mock_vhost_ops->new_device(0), 0);
	CU_ASSERT(vh_dev.worker_started);
	CU_ASSERT_EQUAL(vh_dev.lim.stateless, 1);
	CU_ASSERT_EQUAL(vh_dev.lim.stream, 0);
	CU_ASSERT_EQUAL(pre(SET_VRING_KICK, &m),
			RTE_VHOST_MSG_RESULT_NOT_HANDLED);
	CU_ASSERT(mock_worker_paused && vh_dev.msg_paused);
	post(&m);
	CU_ASSERT(!mock_worker_paused && !vh_dev.msg_paused);
	/* a read-only message leaves the worker alone */
	CU_ASSERT_EQUAL(pre(GET_FEATURES, &m),
			RTE_VHOST_MSG_RESULT_NOT_HANDLED);
	CU_ASSERT(!mock_worker_paused);
	post(&m);
	/* a message whose post handler never ran: the next one resumes */
	pre(SET_VRING_KICK, &m);
	pre(SET_VRING_KICK, &m);
	CU_ASSERT(mock_worker_paused && vh_dev.msg_paused);
	post(&m);
	CU_ASSERT(!mock_worker_paused);
	CU_ASSERT_EQUAL(mock_worker_refresh_unparked, 0);
	CU_ASSERT_EQUAL(mock_worker_bad_pause, 0);
	CU_ASSERT_EQUAL(mock_worker_bad_resume, 0);
	mock_vhost_ops->destroy_device(0);
	mock_vhost_ops->destroy_connection(0);
}

/*
 * Regression (fuzz_vhost_msg): a message parks the worker and fails
 * without its post handler; its handler stopped the device
 * (destroy_device) and librte_vhost started it again (new_device). The
 * next message must not re-read the rings under the running worker.
 */
static void t_paused_then_restarted(void)
{
	struct msg m;

	CU_ASSERT_EQUAL_FATAL(mock_vhost_ops->new_connection(0), 0);
	CU_ASSERT_EQUAL_FATAL(mock_vhost_ops->new_device(0), 0);
	pre(SET_VRING_KICK, &m);	/* parks the worker; no post */
	CU_ASSERT(vh_dev.msg_paused);
	mock_vhost_ops->destroy_device(0);
	CU_ASSERT(!vh_dev.worker_started);
	CU_ASSERT_EQUAL_FATAL(mock_vhost_ops->new_device(0), 0);
	CU_ASSERT(vh_dev.worker_started && !mock_worker_paused);
	pre(GET_FEATURES, &m);
	CU_ASSERT_EQUAL(mock_worker_refresh_unparked, 0);
	CU_ASSERT_EQUAL(mock_worker_bad_resume, 0);
	post(&m);
	CU_ASSERT(vh_dev.worker_started && !mock_worker_paused);
	mock_vhost_ops->destroy_device(0);
	mock_vhost_ops->destroy_connection(0);
}

void register_vhost_tests(void)
{
	ADD_SUITE("backend-vhost-glue", vh_init, vh_fini);
	ADD_TEST(t_answers);
	ADD_TEST(t_parking);
	ADD_TEST(t_paused_then_restarted);
}
