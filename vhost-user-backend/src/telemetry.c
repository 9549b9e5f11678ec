// SPDX-License-Identifier: BSD-3-Clause
/*
 * Statistics of each device (front-end socket) on DPDK's telemetry socket,
 * <EAL runtime dir>/dpdk_telemetry.v2 (the runtime dir is named by the
 * back-end's own --file-prefix, vua<pid>, so two back-ends on one host do
 * not collide). dpdk-telemetry.py -f vua<pid> reads it:
 *
 *   /vaccel/devices        the device indexes
 *   /vaccel/stats,N        device N: its socket, front-end, worker,
 *                          sessions, requests, bytes, statuses, in flight;
 *                          and the same per queue ("q0" is the control
 *                          queue, "q1".. the data queues)
 *
 * Counts are those of the front-end connected now (or last): they start
 * at 0 when a front-end connects.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_telemetry.h>

#include "backend.h"

static const char *const va_status_names[VA_NSTATUS + 1] = {
	"ok", "err", "badmsg", "notsupp", "invsess", "nospc", "other",
};

static int va_tel_devices(const char *cmd, const char *params,
			  struct rte_tel_data *d)
{
	unsigned int i;

	(void)cmd;
	(void)params;
	rte_tel_data_start_array(d, RTE_TEL_INT_VAL);
	for (i = 0; i < va_ndevs; i++)
		rte_tel_data_add_array_int(d, (int)i);
	return 0;
}

static uint64_t va_ld(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

/*
 * Requests taken from the avail ring and not yet in the used ring: the
 * worker's own indexes, read while it writes them (a display figure).
 */
static uint64_t va_q_inflight(const struct va_vq *q)
{
	if (!__atomic_load_n(&q->ready, __ATOMIC_RELAXED))
		return 0;
	return (uint16_t)(__atomic_load_n(&q->last_avail, __ATOMIC_RELAXED) -
			  __atomic_load_n(&q->last_used, __ATOMIC_RELAXED));
}

static void va_tel_counts(struct rte_tel_data *t, const struct va_qstats *s,
			  uint64_t inflight, int data)
{
	unsigned int i;

	rte_tel_data_add_dict_u64(t, "requests", va_ld(&s->requests));
	if (data) {
		rte_tel_data_add_dict_u64(t, "bytes_in", va_ld(&s->bytes_in));
		rte_tel_data_add_dict_u64(t, "bytes_out",
					  va_ld(&s->bytes_out));
	}
	for (i = 0; i <= VA_NSTATUS; i++)
		rte_tel_data_add_dict_u64(t, va_status_names[i],
					  va_ld(&s->status[i]));
	rte_tel_data_add_dict_u64(t, "inflight", inflight);
}

static int va_tel_stats(const char *cmd, const char *params,
			struct rte_tel_data *t)
{
	struct va_qstats data = { 0 }, *s;
	const struct va_dev *d;
	uint64_t inflight = 0, lim, all = 0;
	unsigned long n;
	unsigned int i, k;
	char *end;

	(void)cmd;
	if (!params || !*params)
		return -EINVAL;
	n = strtoul(params, &end, 10);
	if (*end || n >= va_ndevs)
		return -EINVAL;
	d = &va_devs[n];
	rte_tel_data_start_dict(t);
	rte_tel_data_add_dict_string(t, "socket", d->path);
	rte_tel_data_add_dict_int(t, "connected",
				  __atomic_load_n(&d->fe_connected,
						  __ATOMIC_RELAXED));
	rte_tel_data_add_dict_u64(t, "connections",
				  __atomic_load_n(&d->connections,
						  __ATOMIC_RELAXED));
	rte_tel_data_add_dict_int(t, "worker",
				  __atomic_load_n(&d->worker_id,
						  __ATOMIC_RELAXED));
	rte_tel_data_add_dict_u64(t, "sessions", va_sessions_live(d));
	rte_tel_data_add_dict_u64(t, "comp_streams", va_comp_streams_live(d));
	rte_tel_data_add_dict_u64(t, "max_sessions", d->sess.max);
	rte_tel_data_add_dict_u64(t, "max_comp_streams",
				  d->lim.max_comp_streams);
	rte_tel_data_add_dict_u64(t, "ctrl_requests",
				  va_ld(&d->vq[0].st.requests));
	/* the data queues' sum */
	for (i = 1; i < d->nr_vq; i++) {
		s = (struct va_qstats *)&d->vq[i].st;
		data.requests += va_ld(&s->requests);
		data.bytes_in += va_ld(&s->bytes_in);
		data.bytes_out += va_ld(&s->bytes_out);
		for (k = 0; k <= VA_NSTATUS; k++)
			data.status[k] += va_ld(&s->status[k]);
		inflight += va_q_inflight(&d->vq[i]);
	}
	va_tel_counts(t, &data, inflight, 1);
	/*
	 * Requests inside the engines now and at most since the device
	 * started, and the limit: --max-inflight, else the data queues' slot
	 * tables (each queue's size, at most 1024: pipeline.c).
	 */
	rte_tel_data_add_dict_u64(t, "engine_inflight",
				  __atomic_load_n(&d->eng_inflight,
						  __ATOMIC_RELAXED));
	rte_tel_data_add_dict_u64(t, "engine_inflight_max",
				  __atomic_load_n(&d->eng_inflight_max,
						  __ATOMIC_RELAXED));
	lim = va_opts.max_inflight;
	for (i = 1; !lim && i < d->nr_vq; i++)
		if (__atomic_load_n(&d->vq[i].ready, __ATOMIC_RELAXED)) {
			uint32_t sz = __atomic_load_n(&d->vq[i].size,
						      __ATOMIC_RELAXED);

			all += sz < 1024 ? sz : 1024;
		}
	rte_tel_data_add_dict_u64(t, "max_inflight", lim ? lim : all);
	for (i = 0; i < d->nr_vq; i++) {
		struct rte_tel_data *q = rte_tel_data_alloc();
		char name[16];

		if (!q)
			return -ENOMEM;
		rte_tel_data_start_dict(q);
		va_tel_counts(q, &d->vq[i].st, va_q_inflight(&d->vq[i]),
			      i != VIRTIO_ACCEL_CTRLQ);
		snprintf(name, sizeof(name), "q%u", i);
		if (rte_tel_data_add_dict_container(t, name, q, 0) < 0) {
			rte_tel_data_free(q);
			return -ENOMEM;
		}
	}
	return 0;
}

int va_telemetry_init(void)
{
	if (rte_telemetry_register_cmd("/vaccel/devices", va_tel_devices,
				       "The back-end's devices (front-end sockets). Takes no parameters") < 0 ||
	    rte_telemetry_register_cmd("/vaccel/stats", va_tel_stats,
				       "Statistics of a device and its queues. Parameters: int device") < 0) {
		VA_ERR("cannot register the telemetry commands");
		return -1;
	}
	VA_INFO("telemetry: %s/dpdk_telemetry.v2 (/vaccel/devices, /vaccel/stats,N)",
		rte_eal_get_runtime_dir());
	return 0;
}
