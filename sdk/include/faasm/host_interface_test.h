/*
 * Test numbers of Faasm's host-interface test hook
 * (__faasm_host_interface_test, upstream Faasm's faasm/host_interface_test.h).
 * NearFaaS does not provide the hook: a function that calls it fails to link,
 * naming it. The numbers are here so that code naming them compiles.
 */
#ifndef FAASM_HOST_INTERFACE_TEST_H
#define FAASM_HOST_INTERFACE_TEST_H

enum HostInterfaceTest {
  NoTest = 0,
  ExceptionPropagationTest = 1,
};

#endif /* FAASM_HOST_INTERFACE_TEST_H */
