// SPDX-License-Identifier: BSD-3-Clause
/*
 * dma-memtable: the memory table of a running device replaced, a request
 * served from the new one, then the front-end gone; CYCLES times, against
 * the real back-end started with --test-dma-register and the options given
 * (tests/hw/t-dma.sh reads its log: each table registered, unregistered
 * before librte_vhost unmaps it and when the device stops). The front-end
 * is hostile-vu's raw vhost-user client (tests/robust/hostile_vu.c).
 *
 *   dma-memtable BACKEND LOG CYCLES [BACKEND-OPTIONS...]
 *
 * Prints "ok - ..." / "not ok - ..." per cycle and "N passed, N failed".
 */
int hostile_vu_main(int argc, char **argv);
#define main hostile_vu_main
#include "../robust/hostile_vu.c"
#undef main

static char **extra;
static int nextra;

static int start(void)
{
	long t0 = now_ms();
	int s;

	bpid = fork();
	if (bpid < 0)
		return -1;
	if (!bpid) {
		char *args[32];
		int fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND, 0600);
		int n = 0, i;

		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		args[n++] = (char *)backend;
		args[n++] = "--socket-path";
		args[n++] = sock_path;
		args[n++] = "--queues";
		args[n++] = "2";
		args[n++] = "--test-dma-register";
		for (i = 0; i < nextra && n < 31; i++)
			args[n++] = extra[i];
		args[n] = NULL;
		execv(backend, args);
		_exit(127);
	}
	while (now_ms() - t0 < 60000) {
		if (!alive())
			return -1;
		s = sock_connect();
		if (s >= 0) {
			close(s);
			sleep_ms(100);
			return 0;
		}
		sleep_ms(50);
	}
	return -1;
}

/*
 * A new table for the same guest addresses: a larger sealed memfd holding
 * the old memory's bytes (rings and indexes go on), at the same front-end
 * address in the table (librte_vhost re-translates the rings from it).
 */
static int fe_remap(struct fe *f, uint64_t size)
{
	struct {
		uint32_t n, pad;
		struct region r;
	} pl;
	uint8_t *p;
	int fd, ret;

	fd = memfd_new(size, 1);
	if (fd < 0)
		return -1;
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		close(fd);
		return -1;
	}
	memcpy(p, f->mem, f->memsz);
	memset(&pl, 0, sizeof(pl));
	pl.n = 1;
	pl.r.gpa = f->gpa;
	pl.r.size = size;
	pl.r.uaddr = (uintptr_t)f->mem;
	ret = tell(f, SET_MEM_TABLE, &pl, sizeof(pl), &fd, 1);
	munmap(f->mem, f->memsz);
	close(f->memfd);
	f->mem = p;
	f->memsz = size;
	f->memfd = fd;
	return ret;
}

int main(int argc, char **argv)
{
	unsigned int i, n, pass = 0, fail = 0;
	const char *o;
	struct fe f;

	if (argc < 4) {
		fprintf(stderr, "usage: dma-memtable BACKEND LOG CYCLES [BACKEND-OPTIONS...]\n");
		return 2;
	}
	backend = argv[1];
	snprintf(log_path, sizeof(log_path), "%s", argv[2]);
	n = (unsigned int)atoi(argv[3]);
	extra = argv + 4;
	nextra = argc - 4;
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	snprintf(dir, sizeof(dir), "/tmp/dma-memtable.XXXXXX");
	if (!mkdtemp(dir))
		return 2;
	snprintf(sock_path, sizeof(sock_path), "%s/accel.sock", dir);
	if (start() < 0) {
		rmdir(dir);
		printf("not ok - the back-end %s does not start\n", backend);
		printf("\n0 passed, 1 failed\n");
		return 1;
	}
	for (i = 0; i < n; i++) {
		o = "setup-failed";
		if (fe_open(&f, feat_base, pf_base) || fe_mem(&f, 1 << 20, 1) ||
		    f.refused)
			goto bad;
		o = fe_run(&f, q64, 1);
		if (strcmp(o, "served"))
			goto bad;
		o = "second table refused";
		if (fe_remap(&f, 2 << 20))
			goto bad;
		o = "not served from the second table";
		if (!fe_request(&f, REQ_Q))
			goto bad;
		fe_close(&f);
		pass++;
		continue;
bad:
		fe_close(&f);
		fail++;
		printf("not ok - cycle %u: %s%s%s\n", i, o,
		       f.refused ? " at " : "", f.refused ? f.refused_at : "");
		if (!alive())
			break;
	}
	if (fail == 0)
		printf("ok - %u cycles: table 1 MiB served, replaced by 2 MiB served, front-end gone\n",
		       n);
	backend_stop();
	unlink(sock_path);
	rmdir(dir);
	printf("\n%u passed, %u failed\n", fail ? 0 : 1, fail);
	return fail ? 1 : 0;
}
