/*
 * faasm/state_offset: one state value written whole, changed in place at an
 * offset through mapped chunks, and read back by offset, each step in a call
 * of its own (the value is shared by every call of the user).
 *
 * Upstream generation: text output with faasmSetOutput(const char*, long).
 * State value: "faasm_state_offset" of the calling user.
 *
 * Input, one of:
 *   "put <text>"           writes <text> as the whole value and pushes it.
 *                          Output: "put <n>" (n = bytes of <text>).
 *   "upper <offset> <len>" maps bytes [offset, offset+len) twice with
 *                          faasmReadStateOffsetPtr (both pointers must be
 *                          the same), upper-cases ASCII letters through the
 *                          first, checks them through the second, flags the
 *                          chunk dirty and pushes it partially.
 *                          Output: the whole value after the change.
 *   "get <offset> <len>"   copies bytes [offset, offset+len) with
 *                          faasmReadStateOffset. Output: those bytes.
 * Example: "put hello shared world", then "upper 6 6" outputs
 *          "hello SHARED world", then "get 6 6" outputs "SHARED".
 * Errors: anything else, or a range beyond the value, outputs
 *         "FAILED - usage: put <text> | upper <offset> <len> | get <offset> <len>"
 *         and returns 1; two mappings of one chunk that differ output
 *         "FAILED - chunk mapped twice at different addresses", returns 1.
 */
#include <faasm/faasm.h>
#include <faasm/input.h>

#include <ctype.h>
#include <stdio.h>

#include <string>
#include <vector>

static const char* kKey = "faasm_state_offset";

static int fail(const std::string& message) {
  faasmSetOutput(message.c_str(), message.size());
  return 1;
}

static int usage() {
  return fail("FAILED - usage: put <text> | upper <offset> <len> | get <offset> <len>");
}

// Parses "<offset> <len>" of a value of `total` bytes; false if malformed or
// out of range.
static bool parseRange(const std::string& args, long total, long& offset, long& len) {
  int consumed = 0;
  if (sscanf(args.c_str(), "%ld %ld%n", &offset, &len, &consumed) != 2) return false;
  if (static_cast<size_t>(consumed) != args.size()) return false;
  return offset >= 0 && len > 0 && offset + len <= total;
}

int main(int, char*[]) {
  std::string input = faasm::getStringInput("");
  size_t space = input.find(' ');
  if (space == std::string::npos) return usage();
  std::string op = input.substr(0, space);
  std::string args = input.substr(space + 1);

  if (op == "put") {
    faasmWriteState(kKey, BYTES(args.data()), args.size());
    faasmPushState(kKey);
    std::string output = "put " + std::to_string(args.size());
    faasmSetOutput(output.c_str(), output.size());
    return 0;
  }

  long total = static_cast<long>(faasmReadStateSize(kKey));
  long offset = 0, len = 0;
  if (!parseRange(args, total, offset, len)) return usage();

  if (op == "upper") {
    uint8_t* chunkA = faasmReadStateOffsetPtr(kKey, total, offset, len);
    uint8_t* chunkB = faasmReadStateOffsetPtr(kKey, total, offset, len);
    if (chunkA != chunkB) return fail("FAILED - chunk mapped twice at different addresses");
    for (long i = 0; i < len; i++)
      chunkA[i] = static_cast<uint8_t>(toupper(chunkA[i]));
    for (long i = 0; i < len; i++) {
      if (chunkB[i] != chunkA[i]) return fail("FAILED - chunk mapped twice at different addresses");
    }
    faasmFlagStateOffsetDirty(kKey, total, offset, len);
    faasmPushStatePartial(kKey);

    std::vector<uint8_t> whole(static_cast<size_t>(total));
    faasmReadState(kKey, whole.data(), total);
    faasmSetOutput(whole.data(), whole.size());
    return 0;
  }

  if (op == "get") {
    std::vector<uint8_t> chunk(static_cast<size_t>(len));
    faasmReadStateOffset(kKey, total, offset, chunk.data(), len);
    faasmSetOutput(chunk.data(), chunk.size());
    return 0;
  }
  return usage();
}
