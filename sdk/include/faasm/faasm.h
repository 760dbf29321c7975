/*
 * Umbrella header of the Faasm function API: include this in a function.
 */
#ifndef FAASM_FAASM_H
#define FAASM_FAASM_H

#include "faasm/core.h"

#endif /* FAASM_FAASM_H */
