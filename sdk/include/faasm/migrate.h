/*
 * Migration points (upstream Faasm's faasm/migrate.h): a function marks a
 * point where the runtime may move it to another host and resume it at
 * f(arg), by calling __faasm_migrate_point(f, arg) (faasm/host_interface.h).
 *
 * NearFaaS does not migrate calls yet (a later issue): the import is
 * provided and returns at once, so the call simply goes on where it is.
 */
#ifndef FAASM_MIGRATE_H
#define FAASM_MIGRATE_H

#include "faasm/host_interface.h"

#endif /* FAASM_MIGRATE_H */
