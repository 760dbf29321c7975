/*
 * Counters in state (namespace faasm, upstream Faasm's faasm/counter.h): an
 * int (4 bytes, the guest's byte order) stored as the state value
 * `counterKey`. A missing value reads as 0.
 *
 * getCounter and incrementCounter(key) read and write the local copy
 * without locking and without pushing, as upstream's do. The three-argument
 * incrementCounter with globalLock = true holds the key's write lock around
 * pull, add, write and push; that lock is host-local in NearFaaS (Faasm's is
 * global), so counters shared by calls on several hosts can race.
 */
#ifndef FAASM_COUNTER_H
#define FAASM_COUNTER_H

/* The key AtomicInt uses. */
#define COUNTER_KEY "atomic_counter"

#ifdef __cplusplus
namespace faasm {

/* Writes 0. */
void initCounter(const char* counterKey);

/* The current value. */
int getCounter(const char* counterKey);

/* Adds 1 (read, add, write; not atomic). */
void incrementCounter(const char* counterKey);

/* Adds `increment` and returns the new value; atomic on this host and
 * pushed if globalLock. */
int incrementCounter(const char* counterKey, int increment, bool globalLock);

/* A counter at COUNTER_KEY. */
class AtomicInt {
 public:
  AtomicInt();

  /* Adds other atomically (incrementCounter with globalLock) and returns the
   * new value. */
  int operator+=(int other);

  /* The current value. */
  int get();

  /* Sets the value to 0. */
  void reset();

 private:
  int value;
};

}  // namespace faasm
#endif /* __cplusplus */

#endif /* FAASM_COUNTER_H */
