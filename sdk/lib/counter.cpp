// libfaasm: faasm/counter.h, counters kept in state.
#include "faasm/counter.h"

#include "faasm/core.h"

namespace faasm {

namespace {

int readInt(const char* key) {
  int value = 0;
  if (faasmReadStateSize(key) != sizeof(int)) return 0;
  faasmReadState(key, BYTES(&value), sizeof(int));
  return value;
}

void writeInt(const char* key, int value) {
  faasmWriteState(key, BYTES(&value), sizeof(int));
}

}  // namespace

void initCounter(const char* counterKey) {
  writeInt(counterKey, 0);
}

int getCounter(const char* counterKey) {
  return readInt(counterKey);
}

void incrementCounter(const char* counterKey) {
  writeInt(counterKey, readInt(counterKey) + 1);
}

int incrementCounter(const char* counterKey, int increment, bool globalLock) {
  if (!globalLock) {
    int value = readInt(counterKey) + increment;
    writeInt(counterKey, value);
    return value;
  }
  faasmLockStateGlobal(counterKey);
  faasmPullState(counterKey, sizeof(int));
  int value = readInt(counterKey) + increment;
  writeInt(counterKey, value);
  faasmPushState(counterKey);
  faasmUnlockStateGlobal(counterKey);
  return value;
}

AtomicInt::AtomicInt() : value(0) {}

int AtomicInt::operator+=(int other) {
  value = incrementCounter(COUNTER_KEY, other, true);
  return value;
}

int AtomicInt::get() {
  value = getCounter(COUNTER_KEY);
  return value;
}

void AtomicInt::reset() {
  initCounter(COUNTER_KEY);
  faasmPushState(COUNTER_KEY);
  value = 0;
}

}  // namespace faasm
