/*
 * AsyncArray<T> (namespace faasm, upstream Faasm's faasm/array.h): an array
 * of T kept in the state value `key`, mapped into linear memory and pushed
 * partially. Every element read through operator[] is flagged dirty, so
 * push() sends exactly the elements touched since the last push.
 *
 * The key must outlive the array (it is not copied). Call pull() or
 * pullLazy() before indexing: until then data() is NULL.
 */
#ifndef FAASM_ARRAY_H
#define FAASM_ARRAY_H

#include <stddef.h>

#include "faasm/core.h"
#include "faasm/state.h"

#ifdef __cplusplus
namespace faasm {

template <typename T>
class AsyncArray {
 public:
  AsyncArray(const char* key, size_t nElems)
      : key_(key), nElems_(nElems), bytes_(nElems * sizeof(T)) {}

  /* Writes and pushes zeros, then maps the value. */
  void zero() {
    zeroState(key_, bytes_);
    pullLazy();
  }

  /* Element idx, flagged dirty (assumed written). */
  T& operator[](int idx) {
    faasmFlagStateOffsetDirty(key_, static_cast<long>(bytes_),
                              static_cast<long>(static_cast<size_t>(idx) * sizeof(T)),
                              static_cast<long>(sizeof(T)));
    return contents_[idx];
  }

  /* Maps the local copy without refreshing it from the global one. */
  void pullLazy() {
    contents_ = reinterpret_cast<T*>(faasmReadStatePtr(key_, static_cast<long>(bytes_)));
  }

  /* Refreshes the local copy from the global one and maps it. */
  void pull() {
    faasmPullState(key_, static_cast<long>(bytes_));
    pullLazy();
  }

  /* Pushes the dirty elements. */
  void push() { faasmPushStatePartial(key_); }

  T* data() { return contents_; }
  size_t size() const { return nElems_; }

 private:
  const char* key_;
  size_t nElems_;
  size_t bytes_;
  T* contents_ = nullptr;
};

}  // namespace faasm
#endif /* __cplusplus */

#endif /* FAASM_ARRAY_H */
