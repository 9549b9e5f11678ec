/* SPDX-License-Identifier: BSD-3-Clause */
/* vaccel cdi: Container Device Interface spec generation (cdi.c). */
#ifndef VACCEL_CLI_CDI_H
#define VACCEL_CLI_CDI_H

/* argv[0] "cdi", argv[1] the verb; returns the exit status. */
int vaccel_cdi_main(int argc, char **argv);

#endif /* VACCEL_CLI_CDI_H */
